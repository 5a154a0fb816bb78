"""Contraceptive dynamics from contraception spells: KM continuation by method, discontinuation by
reason as competing risks (Aalen–Johansen), and the method-switching matrix."""

from __future__ import annotations

import polars as pl

from analyses.survival import MONTH, Curve, cumulative_incidence, kaplan_meier

# Competing reasons an episode ends (docs/analyses.md): the stated stop reason, a method failure
# (pregnancy or birth while using), or a direct switch (a new method started with no stop).
CAUSES = ["failure", "wants_child", "side_effects", "switched", "other"]
TIMES = [12.0, 24.0]


def _episodes(spells: pl.DataFrame) -> pl.DataFrame:
    c = spells.filter(pl.col("spell_type") == "contraception")
    detail = pl.col("end_detail")
    cause = (
        pl.when(pl.col("end_reason") != "event")
        .then(pl.lit(None, pl.String))
        .when(detail.is_in(["failure", "wants_child", "side_effects", "switched"]))
        .then(detail)
        .otherwise(pl.lit("other"))
    )
    return c.with_columns(
        method=pl.col("state"),
        entry_m=(pl.col("entry") - pl.col("start")).dt.total_days() / MONTH,
        duration_m=(pl.col("end") - pl.col("start")).dt.total_days() / MONTH,
        event=pl.col("end_reason") == "event",
        cause=cause,
    )


def contraception_tables(spells: pl.DataFrame, curves: dict[str, Curve]) -> dict[str, pl.DataFrame]:
    ep = _episodes(spells)
    cont, disc = [], []
    methods = sorted(ep["method"].unique().to_list())
    for method in [*methods, "all methods"]:
        part = ep if method == "all methods" else ep.filter(pl.col("method") == method)
        c = kaplan_meier(part["entry_m"], part["duration_m"], part["event"], label=method)
        curves[f"contraception_{method}"] = c
        row = {"method": method, "episodes": c.n, "discontinued": c.events, "median_months": c.median}
        for t in TIMES:
            s, lo, hi = c.at(t)
            row |= {f"continuing_{int(t)}m": s, f"continuing_{int(t)}m_ci_low": lo, f"continuing_{int(t)}m_ci_high": hi}
        cont.append(row)
        for r in cumulative_incidence(part["entry_m"], part["duration_m"], part["cause"].to_list(), CAUSES, TIMES):
            disc.append({"method": method, "episodes": c.n, **r})
    ended = ep.filter(pl.col("event"))
    switching = (
        ended.group_by(["method", "next_state"])
        .agg(episodes=pl.len())
        .with_columns(share=pl.col("episodes") / pl.col("episodes").sum().over("method"))
        .rename({"method": "from_method", "next_state": "to_method"})
        .sort(["from_method", "to_method"])
    )
    return {
        "contraception_continuation": pl.DataFrame(cont, infer_schema_length=None),
        "contraception_discontinuation": pl.DataFrame(disc, infer_schema_length=None),
        "contraception_switching": switching,
    }
