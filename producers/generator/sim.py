"""The simulation context shared by the monthly steps: state, schedules, randomness, the emitter."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from producers.generator import rates
from producers.generator.names import Names
from producers.generator.noise import NoiseConfig
from producers.generator.places import Places
from producers.generator.rand import Rand, Table
from producers.generator.state import ALIVE, MARITAL, MARRIED, NONE, State
from producers.generator.truth import Truth
from producers.generator.writer import Emitter, day_iso

RELATIONS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")


@dataclass
class Sim:
    state: State
    places: Places
    preset: rates.Preset
    hz: rates.Hazards
    noise: NoiseConfig
    r: Rand
    names: Names
    em: Emitter
    truth: Truth
    start_day: int
    month: int = 0  # index of the month being simulated
    month_first: int = 0  # its first day (date ordinal)
    move_norm: float = 1.0  # mean age factor of single movers (migration.age_norm, set at the start)
    queue: dict[int, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    eth_by_commune: list[Table] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._kids_month = -1
        male, female = rates.mortality(self.preset)
        # Monthly death probabilities by age; infants are exposed from the month after birth, so
        # their annual risk is spread over 11 months.
        self.q_month = np.array(
            [[1 - np.exp(-m / (11.0 if age == 0 else 12.0)) for age, m in enumerate(sched)] for sched in (male, female)]
        )
        self.asfr = np.array(self.preset.asfr())
        self.first_marriage = np.array(rates.first_marriage_hazard(self.preset.female_marriage_mean))
        self.method_table = Table(range(len(rates.METHODS)), rates.METHOD_MIX)
        # Starts are drawn so the stock mix stays at METHOD_MIX: start share ~ stock share x stop rate
        # (sterilisations "stop" only by leaving 15-49, about 1/180 a month).
        w = [s * (h if h > 0 else 1 / 180) for s, h in zip(rates.METHOD_MIX, rates.METHOD_STOP, strict=True)]
        self.start_table = Table(range(len(rates.METHODS)), w)
        srb = self.preset.srb_by_order
        self.p_male = [s / (100.0 + s) for s in srb]
        gap = self.preset.marriage_gap_mean
        self.gap_scale = ((gap + 0.16 * 2.2) / 0.72 - 1.0) / 2.0  # Erlang(2) part of "husband older"

    # -- helpers used by every step -------------------------------------------------------------

    def free(self, person: int, day: int) -> bool:
        """Alive in the province, with no other event this month, and not wrongly recorded dead."""
        p = self.state.p
        return p.status[person] == ALIVE and p.busy[person] != self.month and p.frozen_until[person] <= day

    def kids(self, mother: int) -> list[int]:
        """Her children under 15 alive in the province (an index rebuilt once a month)."""
        if self._kids_month != self.month:
            p = self.state.p
            young = (p.view("status") == ALIVE) & (p.view("mother") != NONE)
            young &= p.view("birth") > self.month_first - int(15 * 365.2425)
            idx = np.nonzero(young)[0]
            order = np.argsort(p.mother[idx], kind="stable")
            self._kids = idx[order]
            self._kid_mothers = p.mother[self._kids]
            self._kids_month = self.month
        lo = int(np.searchsorted(self._kid_mothers, mother, "left"))
        hi = int(np.searchsorted(self._kid_mothers, mother, "right"))
        return [int(k) for k in self._kids[lo:hi] if self.state.p.status[k] == ALIVE]

    def mark(self, *persons: int) -> None:
        for person in persons:
            self.state.p.busy[person] = self.month

    def free_mask(self, day: int) -> np.ndarray:
        p = self.state.p
        return (p.view("status") == ALIVE) & (p.view("busy") != self.month) & (p.view("frozen_until") <= day)

    def day_in(self, first: int, last: int) -> int:
        return self.r.between(first, last)

    def marriage_gap(self) -> int:
        u = self.r.u()
        if u < 0.16:
            return -self.r.between(1, 4)  # wife older, ~16 % of couples [V22]
        if u < 0.28:
            return 0  # same age, ~12 % [V22]
        return 1 + round(self.r.gamma_int(2, self.gap_scale))

    def new_person(
        self, household: int, sex: int, birth: int, eth: int, surname: int, mother: int = NONE, marital: int = 0
    ) -> int:
        s = self.state
        i = s.p.add()
        p = s.p
        p.birth[i], p.sex[i], p.eth[i], p.surname[i] = birth, sex, eth, surname
        p.mother[i], p.marital[i], p.hh[i] = mother, marital, household
        p.commune[i] = s.h.commune[household]
        s.h.size[household] += 1
        return i

    def wed(self, a: int, b: int, known: bool = False) -> None:
        p = self.state.p
        p.marital[a] = p.marital[b] = MARRIED
        p.spouse[a], p.spouse[b] = b, a
        p.union_known[a] = p.union_known[b] = 1 if known else 0

    def pick_household(self, commune: int, day: int, tries: int = 6) -> int | None:
        """A random household with living members in the commune (as known by its code on `day`)."""
        group = self.places.same_code(commune, day)
        for _ in range(tries):
            homes = self.state.by_commune[group[self.r.below(len(group))]]
            if homes:
                h = homes[self.r.below(len(homes))]
                if self.state.h.size[h] > 0:
                    return h
        return None

    def address(self, commune: int, day: int, household: int) -> str:
        c = self.places.communes[commune]
        if c.urban:
            return f"Tổ {household % 17 + 1}, {self.places.name(commune, day)}"
        a = ("Nà", "Huổi", "Pá", "Co", "Hua", "Nong", "Phiêng", "Búng", "Tà", "Nậm")
        b = ("Sản", "Lay", "Mòn", "Hịa", "Khoang", "Lứa", "Tấu", "Hin", "Cang", "Lằn", "Pục")
        return f"Bản {a[household % 10]} {b[household // 10 % 11]}, {self.places.name(commune, day)}"

    def person_payload(
        self, i: int, relation: str, full_name: str, *, national_id: bool = True, on: int | None = None
    ) -> dict[str, Any]:
        p = self.state.p
        female = bool(p.sex[i])
        age = ((on or self.start_day) - int(p.birth[i])) / 365.2425
        out: dict[str, Any] = {
            "person_id": self.em.pid(i),
            "household_id": self.em.hid(int(p.hh[i])),
            "full_name": full_name,
            "sex": "F" if female else "M",
            "birth_date": day_iso(int(p.birth[i])),
            "relation_to_head": relation,
            "marital_status": MARITAL[int(p.marital[i])],
        }
        if p.mother[i] != NONE:
            out["mother_id"] = self.em.pid(int(p.mother[i]))
        if female and age >= 15:
            out["children_ever_born"] = int(p.parity[i])
        if national_id and age >= 14 and self.r.chance(0.55):
            out["national_id"] = self.national_id(i)
        out["ethnicity"] = self.names.groups[int(p.eth[i])]
        return out

    def national_id(self, i: int) -> str:
        """CCCD layout: province of birth (3), century and sex (1), year (2), serial (6)."""
        p = self.state.p
        year = int(day_iso(int(p.birth[i]))[:4])
        century = 0 if year < 2000 else 2
        return f"0{self.places.province}{century + int(p.sex[i])}{year % 100:02d}{self.r.below(10**6):06d}"
