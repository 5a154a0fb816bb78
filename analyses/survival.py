"""lifelines estimators fed from spells: Kaplan–Meier with left truncation, Aalen–Johansen CIFs.

No estimator is written here; this module only shapes spell rows into (entry, duration, event)
arrays and reads the fitted curves at chosen times.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
from lifelines import AalenJohansenFitter, KaplanMeierFitter
from lifelines.exceptions import StatError

from analyses.cube import birthday_in

MONTH = 30.4375  # days per month (DHS-7 convention, DEMOGRAPHY.md row 20)


@dataclass
class Curve:
    """A fitted KM curve: the step function, its pointwise 95% band, and the raw counts."""

    times: np.ndarray
    surv: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    events: int
    max_time: float
    median: float | None
    estimable: bool = True

    def at(self, t: float) -> tuple[float | None, float | None, float | None]:
        """S(t) with its band; None beyond the longest observed time (no extrapolation)."""
        if self.n == 0 or not self.estimable or t > self.max_time:
            return None, None, None
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        i = max(i, 0)
        return float(self.surv[i]), float(self.low[i]), float(self.high[i])


def _clean(entry, duration, event):
    entry, duration = np.asarray(entry, float), np.asarray(duration, float)
    event = np.asarray(event, bool)
    keep = (duration > entry) | ((duration == entry) & (duration == 0) & event)
    return entry[keep], duration[keep], event[keep], keep


def kaplan_meier(entry, duration, event, label: str = "KM") -> Curve:
    entry, duration, event, _ = _clean(entry, duration, event)
    if duration.size == 0:
        return Curve(np.array([0.0]), np.array([1.0]), np.array([1.0]), np.array([1.0]), 0, 0, 0.0, None)
    km = KaplanMeierFitter(label=label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines warns about ties and tiny risk sets
            km.fit(duration, event_observed=event, entry=entry)
    except StatError:
        # lifelines refuses when the risk set empties early (too few early entries under left
        # truncation): the curve is not identified there, so no figure rather than a wrong one.
        return Curve(
            np.array([0.0]),
            np.array([1.0]),
            np.array([1.0]),
            np.array([1.0]),
            int(duration.size),
            int(event.sum()),
            0.0,
            None,
            estimable=False,
        )
    sf = km.survival_function_[label].to_numpy()
    ci = km.confidence_interval_.to_numpy()
    med = km.median_survival_time_
    return Curve(
        km.survival_function_.index.to_numpy(float),
        sf,
        np.nan_to_num(ci[:, 0], nan=0.0),
        np.nan_to_num(ci[:, 1], nan=1.0),
        int(duration.size),
        int(event.sum()),
        float(duration.max()),
        None if not np.isfinite(med) else float(med),
    )


def cumulative_incidence(entry, duration, cause, causes: list[str], times: list[float]) -> list[dict]:
    """Aalen–Johansen CIF of each cause (others compete; None = censored) at the given times."""
    cause = np.asarray(cause, dtype=object)
    codes = np.array([0 if c is None else causes.index(c) + 1 for c in cause])
    entry, duration, observed, keep = _clean(entry, duration, codes > 0)
    codes = codes[keep]
    duration = _untie(duration, codes > 0)
    rows = []
    for i, name in enumerate(causes, start=1):
        row: dict = {"cause": name, "events": int((codes == i).sum())}
        if duration.size == 0 or row["events"] == 0:
            rows.append({**row, **{f"cif_{int(t)}m": 0.0 if duration.size else None for t in times}})
            continue
        aj = AalenJohansenFitter(seed=1, calculate_variance=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ties are broken by a seeded jitter inside lifelines
            aj.fit(duration, codes, event_of_interest=i, entry=entry)
        cif = aj.cumulative_density_.iloc[:, 0]
        for t in times:
            before = cif[cif.index <= t]
            row[f"cif_{int(t)}m"] = float(before.iloc[-1]) if len(before) and t <= duration.max() else None
        rows.append(row)
    return rows


def _untie(duration: np.ndarray, is_event: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Tied event times moved apart by k x 1e-6 (in order of the rows), only ever later.

    lifelines' Aalen–Johansen jitters ties at random in both directions, which can put an event
    before its own (left-truncated) entry and then refuses the data; a deterministic, forward-only
    split of ties gives the same estimate as any tie-breaking, without that failure."""
    out = duration.copy()
    idx = np.nonzero(is_event)[0]
    values = out[idx]
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    first = np.r_[True, ranked[1:] != ranked[:-1]] if ranked.size else np.array([], bool)
    start = np.maximum.accumulate(np.where(first, np.arange(ranked.size), 0)) if ranked.size else ranked
    values[order] = ranked + (np.arange(ranked.size) - start) * step
    out[idx] = values
    return out


def parity_intervals(spells: pl.DataFrame, origin_age15: bool = False) -> pl.DataFrame:
    """Parity spells as (entry, duration, event) in months from the k-th birth (or age 15 for k=0)."""
    p = spells.filter(pl.col("spell_type") == "parity")
    if origin_age15:
        origin = birthday_in(pl.col("birth_date").dt.year() + 15, pl.col("birth_date"))
        p = p.filter(pl.col("state") == "0").with_columns(origin=origin)
    else:
        p = p.filter((pl.col("state") != "0") & pl.col("start").is_not_null()).with_columns(origin=pl.col("start"))
    p = p.filter(pl.col("end") >= pl.col("origin"))
    return p.with_columns(
        parity=pl.col("state").cast(pl.Int32),
        entry_m=((pl.col("entry") - pl.col("origin")).dt.total_days().clip(lower_bound=0)) / MONTH,
        duration_m=(pl.col("end") - pl.col("origin")).dt.total_days() / MONTH,
        event=pl.col("end_reason") == "event",
    )


def clip_to_year(df: pl.DataFrame, year: int) -> pl.DataFrame:
    """The same intervals observed only inside one calendar year (a period life table)."""
    lo, hi = pl.date(year, 1, 1), pl.date(year + 1, 1, 1)
    part = df.filter(
        (pl.col("entry") < hi) & (pl.col("end") > lo)
        | ((pl.col("end") == pl.col("entry")) & (pl.col("end").dt.year() == year))
    )
    return part.with_columns(
        entry_m=((pl.max_horizontal(pl.col("entry"), lo) - pl.col("origin")).dt.total_days().clip(lower_bound=0))
        / MONTH,
        duration_m=(pl.min_horizontal(pl.col("end"), hi) - pl.col("origin")).dt.total_days() / MONTH,
        event=pl.col("event") & (pl.col("end") < hi),
    )
