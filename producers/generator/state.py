"""Compact simulation state: one numpy column per attribute of persons and households.

Nothing here is a pydantic model: 1.5 M persons fit in ~100 MB as columns, and monthly hazards
are vector operations over them. Indices are stable; the dead and the departed keep their rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

# person status
ALIVE, DEAD, LEFT, GHOST = 0, 1, 2, 3  # GHOST: a duplicate record of a person (noise)
# marital status, in the order of events/types.py MaritalStatus
NEVER, MARRIED, DIVORCED, SEPARATED, WIDOWED = 0, 1, 2, 3, 4
MARITAL = ("never_married", "married", "divorced", "separated", "widowed")
NONE = -1

_PERSON_COLUMNS = {
    "birth": np.int32,  # date ordinal
    "sex": np.int8,  # 0 male, 1 female
    "status": np.int8,
    "commune": np.int16,  # index into Places.communes (the units in force at the start)
    "hh": np.int32,
    "marital": np.int8,
    "spouse": np.int32,
    "union_known": np.int8,  # 1 if the register can tell the couple: a marriage fact or an A0 head/spouse pair
    "parity": np.int16,  # live births given (women)
    "last_birth": np.int32,  # date ordinal of the latest live birth, 0 if none
    "last_end": np.int32,  # date ordinal of the end of the latest pregnancy
    "mother": np.int32,
    "eth": np.int8,
    "surname": np.int16,
    "contra": np.int8,  # index into rates.METHODS, NONE if not using
    "preg_end": np.int32,  # date ordinal the current pregnancy ends, 0 if not pregnant
    "preg_rec": np.int32,  # date ordinal it becomes known (pregnancy.recorded), 0 if never
    "preg_out": np.int8,  # index into rates.OUTCOMES
    "preg_twins": np.int8,
    "busy": np.int16,  # month index of this person's latest event (one major event a month)
    "frozen_until": np.int32,  # date ordinal until which a wrongly recorded death stands
    "rec": np.int64,  # second of the latest recorded_at of a fact about the person
}
_HOUSEHOLD_COLUMNS = {
    "commune": np.int16,
    "size": np.int32,  # living members in the province
    "rec": np.int64,  # second its household.registered was recorded
}
_FILL = {"spouse": NONE, "mother": NONE, "contra": NONE, "busy": -1}


class Columns:
    """Growable struct-of-arrays; `n` rows are in use."""

    def __init__(self, spec: Mapping[str, Any], capacity: int):
        self.spec = spec
        self.n = 0
        self.cap = max(capacity, 16)
        for name, dtype in spec.items():
            setattr(self, name, np.full(self.cap, _FILL.get(name, 0), dtype=dtype))

    def add(self, count: int = 1) -> int:
        """Reserve `count` rows; returns the first index."""
        if self.n + count > self.cap:
            new_cap = max(self.cap * 3 // 2, self.n + count)
            for name, dtype in self.spec.items():
                old = getattr(self, name)
                grown: np.ndarray = np.full(new_cap, _FILL.get(name, 0), dtype=dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
            self.cap = new_cap
        first = self.n
        self.n += count
        return first

    def view(self, name: str) -> np.ndarray:
        return getattr(self, name)[: self.n]

    if TYPE_CHECKING:  # the columns are set from `spec`: every one is an array

        def __getattr__(self, name: str) -> np.ndarray: ...


class State:
    """Persons, households, and each commune's households (to find one to join)."""

    def __init__(self, persons: int, households: int, communes: int):
        self.p = Columns(_PERSON_COLUMNS, persons)
        self.h = Columns(_HOUSEHOLD_COLUMNS, households)
        self.by_commune: list[list[int]] = [[] for _ in range(communes)]

    def new_household(self, commune: int) -> int:
        h = self.h.add()
        self.h.commune[h] = commune
        self.by_commune[commune].append(h)
        return h

    def join(self, person: int, household: int) -> None:
        """Move a living person into a household (leaving the old one's count)."""
        old = self.p.hh[person]
        if self.p.status[person] == ALIVE and old != household:
            self.h.size[old] -= 1
            self.h.size[household] += 1
        self.p.hh[person] = household
        self.p.commune[person] = self.h.commune[household]

    def leave(self, person: int, status: int) -> None:
        """A person leaves the population (death or departure from the province)."""
        if self.p.status[person] == ALIVE:
            self.h.size[self.p.hh[person]] -= 1
        self.p.status[person] = status
        self.p.preg_end[person] = 0
        self.p.preg_rec[person] = 0
        spouse = self.p.spouse[person]
        if spouse != NONE and status == DEAD:
            # The register widows the survivor only if it knows the couple; otherwise it still
            # holds her married, so she cannot remarry in the register's eyes either.
            if self.p.union_known[person]:
                self.p.marital[spouse] = WIDOWED
                # the death is a prerequisite of anything the widow(er) does next (a remarriage)
                self.p.rec[spouse] = max(self.p.rec[spouse], self.p.rec[person])
            self.p.spouse[spouse] = NONE
            self.p.spouse[person] = NONE

    def ages(self, day: int) -> np.ndarray:
        """Completed years of every row on `day` (365.2425-day years; exact within a day)."""
        return ((day - self.p.view("birth")) / 365.2425).astype(np.int32)
