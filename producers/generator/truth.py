"""The sidecar FILE.truth.json: the generator's inputs and what it actually produced.

End-to-end tests and analyses compare the register's figures with it. Top-level keys:
- `format` (1), `generator` {seed, province, households, years, start, end (exclusive),
  id_prefix (of every person/household id), preset};
- `inputs`: the schedules fed in: tfr, asfr_per_1000 by 5-year group, srb_by_order {1, 2, 3+},
  e0 {M, F}, imr_per_1000, female_first_marriage_mean_age, marriage_age_gap_mean,
  household_size, ethnic_mix, method_mix, pregnancy_outcomes, twin_rate, hazards (annual move,
  divorce, remarriage rates; monthly contraception rates), noise (the rates used), sources;
- `realised`: from the simulation itself with exact woman-years (every fact that happened,
  recorded by the end or not): tfr, tfr_by_year, asfr_per_1000, live_births, srb, srb_by_order,
  third_plus_share, mean_age_first_marriage {M, F}, mean_age_marriage {M, F}, marriages,
  child_marriages {M: under 20, F: under 18}, deaths, infant_deaths, imr_per_1000,
  persons_moving by kind, and stocks `start` and `end` (population, households,
  mean_household_size, sex_ratio, share_0_14, share_60_plus, share_divorced_15_plus,
  married_women_15_49, cpr_any, cpr_modern, dead_total);
- `events`: clean lines written, by type (a resubmitted duplicate counts once; wrong entries
  that are voided later are included: see `noise`);
- `noise`: late_recorded (> 31 days), resubmitted_duplicates, newborns_named_later, renamed,
  unmatched_move_outs (left the province), move_in_without_move_out, arrivals_registered
  (persons), wrong_deaths / voided_wrong_deaths, double_entries / voided_double_entries,
  duplicate_persons / persons_merged, not_yet_recorded (facts whose recording falls after the end);
- `invalid_lines` {total, by_kind}: the deliberately broken lines (EVENTS.md-invalid);
- `lines` (all lines written) and `buffer_peak_lines` (most lines held back at once).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from producers.generator.rates import AGE_GROUPS, MAX_AGE


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


class Truth:
    """Counters filled while generating; `report()` gives the JSON document."""

    def __init__(self, first_year: int, years: int):
        self.events: Counter[str] = Counter()
        self.noise: Counter[str] = Counter()
        self.invalid: Counter[str] = Counter()
        self.moves: Counter[str] = Counter()  # persons moving, by kind of move
        self.first_year = first_year
        n_years = years + 2
        self.exposure = np.zeros((n_years, MAX_AGE + 1))  # woman-years by calendar year and age
        self.births = np.zeros((n_years, MAX_AGE + 1))  # live births by mother's age
        self.births_sex_order = np.zeros((2, 3), dtype=np.int64)  # [M/F, order 1/2/3+]
        self.marriage_age = {"M": [0.0, 0], "F": [0.0, 0]}  # all marriages: sum of ages, count
        self.first_marriage_age = {"M": [0.0, 0], "F": [0.0, 0]}
        self.child_marriages = {"M": 0, "F": 0}  # under the legal age (M 20, F 18)
        self.deaths = 0
        self.infant_deaths = 0
        self.snapshots: dict[str, dict[str, Any]] = {}

    def add_exposure(self, year: int, female_ages: np.ndarray, months: float = 1.0) -> None:
        counts = np.bincount(np.clip(female_ages, 0, MAX_AGE), minlength=MAX_AGE + 1)
        self.exposure[year - self.first_year] += counts * (months / 12.0)

    def add_birth(self, year: int, mother_age: int, male: bool, order: int) -> None:
        self.births[year - self.first_year, min(mother_age, MAX_AGE)] += 1
        self.births_sex_order[0 if male else 1, min(order, 3) - 1] += 1

    def add_marriage(self, sex: str, age_years: float, first: bool) -> None:
        self.marriage_age[sex][0] += age_years
        self.marriage_age[sex][1] += 1
        if first:
            self.first_marriage_age[sex][0] += age_years
            self.first_marriage_age[sex][1] += 1
        if age_years < (20 if sex == "M" else 18):
            self.child_marriages[sex] += 1

    @staticmethod
    def _tfr(births: np.ndarray, exposure: np.ndarray) -> float | None:
        # Births under 15 join 15-19 and 50+ join 45-49 (DEMOGRAPHY §1.3 row 4): single ages 15-49
        # with the tails folded in.
        b = births.copy()
        b[15] += b[:15].sum()
        b[49] += b[50:].sum()
        e = exposure[15:50]
        if (e <= 0).any():
            return None
        return float((b[15:50] / e).sum())

    def report(self) -> dict[str, Any]:
        births = self.births.sum(axis=0)
        exposure = self.exposure.sum(axis=0)
        by_year = {}
        for i in range(self.births.shape[0]):
            if self.exposure[i, 15:50].sum() > 0 and self.exposure[i, 15:50].min() > 0:
                by_year[str(self.first_year + i)] = _round(self._tfr(self.births[i], self.exposure[i]))
        asfr = {}
        for start in AGE_GROUPS:
            e = exposure[start : start + 5].sum()
            asfr[f"{start}-{start + 4}"] = _round(births[start : start + 5].sum() / e * 1000, 2) if e else None
        m, f = self.births_sex_order
        total = int(m.sum() + f.sum())

        def srb(male: float, female: float) -> float | None:
            return _round(100.0 * male / female, 2) if female else None

        def mean(pair: list) -> float | None:
            return _round(pair[0] / pair[1], 2) if pair[1] else None

        return {
            "tfr": _round(self._tfr(births, exposure)),
            "tfr_by_year": by_year,
            "asfr_per_1000": asfr,
            "live_births": total,
            "srb": srb(m.sum(), f.sum()),
            "srb_by_order": {"1": srb(m[0], f[0]), "2": srb(m[1], f[1]), "3+": srb(m[2], f[2])},
            "third_plus_share": _round((m[2] + f[2]) / total) if total else None,
            "mean_age_first_marriage": {k: mean(v) for k, v in self.first_marriage_age.items()},
            "mean_age_marriage": {k: mean(v) for k, v in self.marriage_age.items()},
            "marriages": self.marriage_age["F"][1],
            "child_marriages": dict(self.child_marriages),
            "deaths": self.deaths,
            "infant_deaths": self.infant_deaths,
            "imr_per_1000": _round(1000.0 * self.infant_deaths / total, 2) if total else None,
            "persons_moving": dict(sorted(self.moves.items())),
            **self.snapshots,
        }
