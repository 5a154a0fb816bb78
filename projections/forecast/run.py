"""One forecast end to end: the counts, the rates, the expected projection and the trajectories,
summarised for every area of the scope (its communes, districts, provinces and itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from projections.forecast.engine import FLOWS, project, project_parallel
from projections.forecast.estimate import Counts, Rates, estimate
from projections.forecast.lifetable import single_year
from projections.forecast.scenarios import Year, schedule

QUANTILES = {"lower_95": 0.025, "lower_80": 0.10, "median": 0.5, "upper_80": 0.90, "upper_95": 0.975}
STATS = ("expected", *QUANTILES)
# The Population Strategy to 2030's targets (QĐ 1679/QĐ-TTg, 22 November 2019, section II):
# (indicator, target text, test on a value).
TARGET_YEAR = 2030
TARGETS: dict[str, tuple[str, Any]] = {
    "tfr": ("2.1 (replacement)", lambda v: 2.0 <= v <= 2.2),
    "srb": ("< 109", lambda v: v < 109.0),
    "e0": ("≥ 75", lambda v: v >= 75.0),
    "share_0_14": ("≈ 22 %", lambda v: abs(v - 22.0) <= 1.0),
    "share_65_plus": ("≈ 11 %", lambda v: abs(v - 11.0) <= 1.0),
    "dependency_ratio": ("≈ 49 %", lambda v: abs(v - 49.0) <= 2.0),
}


@dataclass
class Area:
    code: str
    level: str  # commune | district | province | country
    members: np.ndarray  # unit indexes
    parent: str | None = None


def add_years(day: date, k: int) -> date:
    try:
        return day.replace(year=day.year + k)
    except ValueError:
        return day.replace(year=day.year + k, day=28)


def _q(x: np.ndarray, expected: np.ndarray) -> dict[str, np.ndarray]:
    """Stats over trajectories (axis 0) beside the expected projection."""
    qs = np.quantile(x, list(QUANTILES.values()), axis=0)
    out = {"expected": expected}
    out.update({name: qs[i] for i, name in enumerate(QUANTILES)})
    return out


@dataclass
class Forecast:
    scope: str
    base: date
    horizon: int
    scenario: str
    sims: int
    seed: int
    counts: Counts
    rates: Rates
    areas: list[Area]
    years: list[date]  # k = 0..horizon
    # per area index, per year k: {stat: array}
    ages: list[list[dict[str, np.ndarray]]] = field(default_factory=list)  # [2, AGES] each
    totals: list[list[dict[str, Any]]] = field(default_factory=list)
    e0: dict[str, dict[str, float]] = field(default_factory=dict)
    totals_in: dict[int, float] = field(default_factory=dict)  # the outside totals it was scaled to

    def area_index(self, code: str) -> int:
        for i, a in enumerate(self.areas):
            if a.code == code:
                return i
        raise KeyError(code)


def build_areas(counts: Counts, provinces: list[str]) -> list[Area]:
    U = len(counts.units)
    units = np.arange(U)
    areas = [Area(u, "commune", np.array([i]), counts.districts[i]) for i, u in enumerate(counts.units)]
    if counts.scope == "VN":
        for p in sorted(set(provinces)):
            areas.append(Area(p, "province", units[np.array(provinces) == p], "VN"))
        areas.append(Area("VN", "country", units))
        for a in areas[:U]:
            a.parent = provinces[int(a.members[0])]
    else:
        for d in sorted({d for d in counts.districts if d is not None}):
            areas.append(Area(d, "district", units[np.array(counts.districts, dtype=object) == d], counts.scope))
        areas.append(Area(counts.scope, "province", units, "VN"))
        for a in areas[:U]:
            a.parent = a.parent or counts.scope
    return areas


def membership(areas: list[Area], units: int) -> np.ndarray:
    """[units, areas]: 1 where a unit is part of an area (sums over areas are matrix products)."""
    out = np.zeros((units, len(areas)))
    for i, a in enumerate(areas):
        out[a.members, i] = 1.0
    return out


def _stocks(pop: np.ndarray) -> dict[str, np.ndarray]:
    """pop [..., 2, AGES] -> population (total, by sex) and the shares and ratios (percent) [...],
    in about one and a half passes over the array."""
    by_sex = pop.sum(axis=-1)
    total = by_sex.sum(axis=-1)
    young = pop[..., :15].sum(axis=(-1, -2))
    old = pop[..., 65:].sum(axis=(-1, -2))
    working = total - young - old
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "population": total,
            "males": by_sex[..., 0],
            "females": by_sex[..., 1],
            "share_0_14": np.where(total > 0, 100 * young / total, np.nan),
            "share_65_plus": np.where(total > 0, 100 * old / total, np.nan),
            "dependency_ratio": np.where(working > 0, 100 * (young + old) / working, np.nan),
            "sex_ratio": np.where(by_sex[..., 1] > 0, 100 * by_sex[..., 0] / by_sex[..., 1], np.nan),
        }


def run_forecast(
    counts: Counts,
    provinces: list[str],
    base: date,
    horizon: int,
    scenario: str,
    sims: int = 1000,
    seed: int = 0,
    totals: dict[int, float] | None = None,
    on_year: Callable[[int, int], None] | None = None,
) -> Forecast:
    """`totals`: an outside projection of the scope's population by calendar year (e.g. GSO's), which
    every trajectory is scaled to in the years it gives (docs/forecasts.md, "Constrained")."""
    rates = estimate(counts)
    plan: list[Year] = schedule(scenario, rates.tfr(), rates.boy_share, base.year, horizon)
    if totals:
        plan = [
            Year(y.fertility, y.boy_share, y.migration, totals.get(add_years(base, k).year))
            for k, y in enumerate(plan, start=1)
        ]
    areas = build_areas(counts, provinces)
    fc = Forecast(
        counts.scope,
        base,
        horizon,
        scenario,
        sims,
        seed,
        counts,
        rates,
        areas,
        [add_years(base, k) for k in range(horizon + 1)],
        totals_in=dict(totals or {}),
    )
    A = len(areas)
    U = len(counts.units)
    member = membership(areas, U)
    # the share of each unit's moves to other units of the scope that leave each area it is in
    leave = member * (1.0 - rates.dest @ member)
    expected_years = project(counts.pop, rates, plan, 0, seed)
    simulated_years = project_parallel(counts.pop, rates, plan, sims, seed) if sims > 0 else None
    S = max(sims, 1)
    rest = member[:, U:]  # the areas after the units themselves (districts, provinces, the scope)

    def by_area(x: np.ndarray) -> np.ndarray:
        """[S, U, ...] -> [S, A, ...]: the units as they are, then the sums of the larger areas."""
        return np.concatenate([x, np.moveaxis(np.moveaxis(x, 1, -1) @ rest.astype(x.dtype), -1, 1)], axis=1)

    e_units = counts.pop[None].astype(float)

    e_prev = by_area(counts.pop[None].astype(float))
    s_prev = np.broadcast_to(e_prev, (S, *e_prev.shape[1:]))
    totals_before: dict[int, np.ndarray] = {}
    fc.ages = [[] for _ in areas]
    fc.totals = [[] for _ in areas]
    for k in range(horizon + 1):
        if k == 0:
            e_pop, s_pop = e_prev, s_prev
        else:
            e_res = next(expected_years)
            s_res = next(simulated_years) if simulated_years is not None else e_res
            e_pop, s_pop = by_area(e_res.pop), by_area(s_res.pop)
        names: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> ([S, A] per trajectory, [A] expected)
        st_s, st_e = (_stocks(s_pop), _stocks(e_pop)) if k > 0 or sims == 0 else (_stocks(e_pop), _stocks(e_pop))
        for label in st_s:
            names[label] = (st_s[label], st_e[label][0])
        if k > 0:
            totals_now = {1: st_e["population"], 0: st_s["population"]}
            for res, slot in ((e_res, 1), (s_res, 0)):
                fl = {n: by_area(res.flows[n].sum(axis=-1)[..., None])[..., 0] for n in FLOWS}
                out_m = fl["out_external"] + res.flows["out_internal"].sum(axis=-1) @ leave
                in_m = totals_now[slot] - totals_before[slot] - fl["births"] + fl["deaths"] + out_m
                in_m = in_m - fl["adjustment"]
                born = by_area(res.flows["births"])  # [S, A, 2]
                with np.errstate(divide="ignore", invalid="ignore"):
                    srb = np.where(born[..., 1] > 0, 100 * born[..., 0] / born[..., 1], np.nan)
                for label, value in (
                    ("births", fl["births"]),
                    ("deaths", fl["deaths"]),
                    ("in_migrants", in_m),
                    ("out_migrants", out_m),
                    ("adjustment", fl["adjustment"]),
                    ("srb", srb),
                ):
                    if slot == 1:
                        names[label] = (names.get(label, (None, None))[0], value[0])  # type: ignore[assignment]
                    else:
                        names[label] = (value, names[label][1])
            tfr = _tfr(rates, plan[k - 1], e_units, e_res.pop, member)
            e_units = e_res.pop
        labels = list(names)
        stacked = np.stack([names[n][0] for n in labels], axis=-1)  # [S, A, n]
        if sims > 0:
            # a figure undefined in some trajectory (the SRB of an area without births) has no band
            qs = np.quantile(stacked, list(QUANTILES.values()), axis=0)  # [5, A, n]
        for i in range(A):
            row: dict[str, Any] = {}
            for j, label in enumerate(labels):
                st = {"expected": _num(names[label][1][i])}
                if sims > 0:
                    st.update({q: _num(qs[qi, i, j]) for qi, q in enumerate(QUANTILES)})
                row[label] = st
            if k > 0:
                row["tfr"] = {"expected": _num(tfr[i])}
            fc.totals[i].append(row)
        # population by sex and single age: expected and the quantiles, all areas at once
        if sims > 0:
            pos = np.array(list(QUANTILES.values())) * (S - 1)
            lo, frac = np.floor(pos).astype(int), pos - np.floor(pos)
            hi = np.minimum(lo + 1, S - 1)
            ordered = np.sort(s_pop, axis=0)  # one sort of the trajectories, every area, sex and age
            picked = ordered[lo] * (1 - frac[:, None, None, None]) + ordered[hi] * frac[:, None, None, None]
        for i in range(A):
            entry = {"expected": e_pop[0, i]}
            if sims > 0:
                entry.update({q: picked[qi, i] for qi, q in enumerate(QUANTILES)})
            fc.ages[i].append(entry)
        totals_before = {1: names["population"][1][None], 0: names["population"][0]}
        if on_year is not None:
            on_year(k, horizon)
    for a in areas:
        fc.e0[a.code] = _e0(rates, counts, a.members)
    return fc


def _num(v: Any) -> float | None:
    v = float(v)
    return None if np.isnan(v) else round(v, 4)


def _tfr(rates: Rates, year: Year, start: np.ndarray, end: np.ndarray, member: np.ndarray) -> np.ndarray:
    """The model's TFR of each area in a year: its units' ASFRs weighted by their women."""
    women = 0.5 * (start[0, :, 1, :] + end[0, :, 1, :])  # [U, AGES]
    births = rates.asfr * year.fertility[:, None] * women
    w = women.T @ member  # [AGES, A]
    b = births.T @ member
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w > 0, b / np.where(w > 0, w, 1.0), 0.0).sum(axis=0)


def _e0(rates: Rates, counts: Counts, members: np.ndarray) -> dict[str, float]:
    out = {}
    expo = counts.exposure[members]  # [m, 2, AGES]
    for s, name in ((0, "M"), (1, "F")):
        w = expo[:, s, :] + 1e-9
        mx = (rates.mx[members, s, :] * w).sum(axis=0) / w.sum(axis=0)
        out[name] = round(single_year(mx, s == 0).e0, 2)
    both = expo.sum(axis=1) + 1e-9
    mx = (rates.mx[members] * expo).sum(axis=1).sum(axis=0) / both.sum(axis=0)
    out["total"] = round(single_year(mx, True).e0, 2)
    return out


def strategy_check(fc: Forecast, i: int) -> list[dict[str, Any]]:
    """Each Strategy target: the area's value in 2030 (if projected) and the first year it is met."""
    out = []
    for name, (text, met) in TARGETS.items():
        first = None
        at_target = None
        for k in range(1, fc.horizon + 1):
            value = fc.e0[fc.areas[i].code]["total"] if name == "e0" else _central(fc.totals[i][k].get(name))
            if value is None:
                continue
            if fc.years[k].year == TARGET_YEAR:
                at_target = value
            if first is None and met(value):
                first = fc.years[k].year
        out.append(
            {
                "indicator": name,
                "target": text,
                "target_year": TARGET_YEAR,
                "value_2030": at_target,
                "first_year_met": first,
            }
        )
    return out


def _central(stats: dict[str, float | None] | None) -> float | None:
    if not stats:
        return None
    return stats.get("median") if stats.get("median") is not None else stats.get("expected")
