"""Per-person rule checks of one timeline entry, shared by the rules and the late-event re-checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from events.calendar import LEGAL_MARRIAGE_AGE
from events.register import AreaPath
from processors.register.reasons import Violation
from processors.register.state import PersonState, age_on, state_before
from processors.register.timeline import (
    PRESENCE_TYPES,
    Entry,
    Timeline,
    active,
    entry_date,
    sort_key,
)

MOTHER_AGE = (10, 60)
BIRTH_SPACING_DAYS = 150
LEGAL_AGE = LEGAL_MARRIAGE_AGE  # events.calendar
MAX_MERGE_CHAIN = 32


class GazetteerLike(Protocol):
    def resolve(self, commune: str, on: date) -> AreaPath | None: ...
    def successors(self, old_commune: str) -> list[str]: ...


class Reader(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...


def requirements(entry: Entry) -> tuple[str, ...]:
    """What must hold for a person before this entry (EVENTS.md rules), by type and role."""
    t, d = entry["t"], entry.get("d", {})
    resident = ("resident",) if d.get("rc", 1) else ()
    match t:
        case "birth":
            return ("exists", "alive", "resident", "mother") if d.get("role") == "mother" else ()
        case "death":
            return () if d.get("role") == "spouse" else ("exists", "not_dead", "resident")
        case "marriage":
            return ("exists", "alive", "unmarried", *resident)
        case "divorce":
            return ("exists", "alive", "married_to", *resident)
        case "move_out":
            return ("exists", "alive") if d.get("dup") else ("exists", "alive", "resident")
        case "move_in":
            return ("alive",)
        case "household.member_moved" | "contraception.started" | "contraception.stopped":
            return ("exists", "alive", "resident")
        case "pregnancy.recorded" | "pregnancy.ended":
            return ("exists", "alive", "resident")
        case _:  # registrations create; corrections, merges and voids are allowed at any time
            return ()


class Places:
    """Place comparisons through the gazetteer, cached for the life of the worker."""

    def __init__(self, gazetteer: GazetteerLike):
        self.gazetteer = gazetteer
        self.same = lru_cache(maxsize=65536)(self._same_place)

    def _same_place(self, known: str, recorded: str) -> bool:
        # A commune renamed or merged by the 2025 reform is still where the person lives.
        frontier, seen = [known], set[str]()
        while frontier:
            code = frontier.pop()
            if code == recorded:
                return True
            if code in seen or len(seen) > 16:
                continue
            seen.add(code)
            frontier.extend(self.gazetteer.successors(code))
        return False


class Checks:
    """Rule checks against the register's current state (read through `reader`)."""

    def __init__(self, reader: Reader, places: Places):
        self.reader = reader
        self.places = places
        self.gazetteer = places.gazetteer

    # -- identity and places -------------------------------------------------------------
    def resolve(self, person_id: str) -> str:
        """Follow merges: a merged id stands for its survivor."""
        seen = 0
        while seen < MAX_MERGE_CHAIN:
            timeline = self.reader.get("p:" + person_id)
            if timeline is None or not timeline.get("mi"):
                return person_id
            person_id = timeline["mi"]
            seen += 1
        return person_id

    def person(self, person_id: str) -> tuple[str, Timeline | None]:
        resolved = self.resolve(person_id)
        return resolved, self.reader.get("p:" + resolved)

    def same_place(self, known: str | None, recorded: str) -> bool:
        return known is not None and self.places.same(known, recorded)

    def partner(self, person_id: str, state: PersonState) -> str | None:
        """The spouse: from a marriage fact, or the head/spouse pair of an A0 page."""
        if state.spouse:
            return self.resolve(state.spouse)
        if state.marital_status != "married" or not state.household_id:
            return None
        household = self.reader.get("h:" + state.household_id)
        mine = _relation(self.reader.get("p:" + person_id))
        wanted = {"head": "spouse", "spouse": "head"}.get(mine or "")
        if household is None or wanted is None:
            return None
        for entry in active(household):
            for other in entry.get("d", {}).get("join", ()):
                if other != person_id and _relation(self.reader.get("p:" + other)) == wanted:
                    return self.resolve(other)
        return None

    # -- the checks ------------------------------------------------------------------------
    def violations(
        self, person_id: str, timeline: Timeline | None, entry: Entry, *, new: bool, exclude: str | None = None
    ) -> Iterator[Violation]:
        """The rules that fail for this entry against the state just before it, lazily in order."""
        state = state_before(timeline, sort_key(entry), exclude)
        day = entry_date(entry)
        for need in requirements(entry):
            found = getattr(self, "_" + need)(person_id, timeline, state, entry, day, new, exclude)
            if found is not None:
                yield found

    def check(
        self, person_id: str, timeline: Timeline | None, entry: Entry, *, new: bool, exclude: str | None = None
    ) -> Violation | None:
        """The first rule that fails for this entry, or None."""
        return next(self.violations(person_id, timeline, entry, new=new, exclude=exclude), None)

    def exists(self, pid: str, timeline: Timeline | None, state: PersonState, exclude: str | None) -> Violation | None:
        return self._exists(pid, timeline, state, None, None, True, exclude)

    def _exists(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        if state.exists:
            return None
        later = [e for e in active(timeline) if e["t"] in PRESENCE_TYPES and e["i"] != exclude]
        if later:
            return Violation("not_yet_registered", f"{pid} enters the register only on {later[0]['o']}")
        return Violation("unknown_person", f"{pid} is not in the register")

    def _alive(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        # A person is alive through the day of death (a mother who dies giving birth).
        if state.died_on is not None and state.died_on < day:
            return Violation("person_dead", f"{pid} died on {state.died_on.isoformat()}")
        return None

    def _not_dead(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        if state.died_on is not None:
            return Violation("person_dead", f"{pid} died on {state.died_on.isoformat()}")
        return None

    def _resident(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        here = state.present or state.died_on == day
        if here and self.same_place(state.commune, entry["c"]):
            return None
        if state.departed_on is not None:
            where = f"moved out of {state.commune} on {state.departed_on.isoformat()}"
        else:
            where = f"lives in {state.commune}"
        return Violation("not_resident", f"{pid} {where}, not in {entry['c']} on {entry['o']}")

    def _mother(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        if state.sex != "F":
            return Violation("mother_not_female", f"{pid} is recorded as sex {state.sex}")
        age = age_on(state.birth_date, day)
        low, high = MOTHER_AGE
        if age is None or not low <= age <= high:
            born = state.birth_date.isoformat() if state.birth_date else "unknown"
            return Violation("mother_age_out_of_range", f"{pid} (born {born}) is aged {age} on {entry['o']}")
        return self._spacing(pid, timeline, entry, day, new, exclude)

    def _spacing(self, pid, timeline, entry, day, new, exclude) -> Violation | None:
        plural = (entry["d"].get("pl") or 1) > 1
        for other in active(timeline):
            if other["t"] != "birth" or other.get("d", {}).get("role") != "mother":
                continue
            if other["i"] in (entry["i"], exclude):
                continue
            # A new birth is checked both ways; a re-check only looks back (the later one is
            # the "second" birth of the rule).
            if not new and sort_key(other) >= sort_key(entry):
                continue
            gap = abs((entry_date(other) - day).days)
            if gap >= BIRTH_SPACING_DAYS:
                continue
            if gap == 0 and plural and (other["d"].get("pl") or 1) > 1:
                continue  # twins and other multiple births share the date
            return Violation("birth_spacing", f"{pid} gave birth on {other['o']} ({other['i']}), {gap} days apart")
        return None

    def _unmarried(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        if state.marital_status == "married":
            with_whom = f" to {state.spouse}" if state.spouse else ""
            return Violation("already_married", f"{pid} is married{with_whom} on {entry['o']}")
        return None

    def _married_to(self, pid, timeline, state, entry, day, new, exclude) -> Violation | None:
        other = self.resolve(entry["d"]["sp"])
        if state.marital_status == "married" and self.partner(pid, state) == other:
            return None
        return Violation("not_married_to_each_other", f"{pid} is {state.marital_status}, not married to {other}")


def _relation(timeline: Timeline | None) -> str | None:
    for entry in active(timeline):
        if entry["t"] == "person.registered":
            return entry.get("d", {}).get("rel")
    return None


def legal_age(sex: str | None) -> int:
    return LEGAL_AGE.get(sex or "", 20)
