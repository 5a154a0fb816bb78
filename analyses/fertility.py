"""`popreg analyses fertility`: rates, parity progression, birth intervals, ages at first birth and
marriage, and the sex ratio at birth, from an export's cube, spells, segments and events."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from analyses import rates
from analyses.contraception import contraception_tables
from analyses.cube import month_day
from analyses.survival import Curve, clip_to_year, kaplan_meier, parity_intervals

YEAR = 365.25
MAX_PARITY = 5  # progressions 0->1 ... 5->6 are estimated; higher parities are too few


def stock(export: Path, on: date, columns: list[str]) -> pl.DataFrame:
    """Persons in the area at the end of day `on`, with their completed age."""
    seg = (
        pl.scan_parquet(export / "segments.parquet")
        .filter((pl.col("start") <= on) & (pl.col("end") > on))
        .select(list(dict.fromkeys(["person_key", "sex", "birth_date", *columns])))
        .collect()
    )
    b = pl.col("birth_date")
    age = on.year - b.dt.year().cast(pl.Int32) - ((on.month * 100 + on.day) < month_day(b)).cast(pl.Int32)
    return seg.with_columns(age=age)


def year_ends(first: date, last: date) -> list[date]:
    return [min(date(y, 12, 31), last) for y in range(first.year, last.year + 1)]


def ppr_lifetable(spells: pl.DataFrame, curves: dict[str, Curve]) -> pl.DataFrame:
    """Life-table PPRs: 1 - S(t) of the KM curve of the wait from birth k to birth k+1 (k=0: from 15)."""
    rows = []
    zero = parity_intervals(spells, origin_age15=True)
    iv = parity_intervals(spells)
    for k in range(MAX_PARITY + 1):
        part = zero if k == 0 else iv.filter(pl.col("parity") == k)
        c = kaplan_meier(part["entry_m"], part["duration_m"], part["event"], label=f"parity {k}")
        curves[f"parity_{k}"] = c
        horizons = [(35 * 12, "ppr_by_50")] if k == 0 else [(60, "ppr_5y"), (120, "ppr_10y")]
        row = {
            "parity": k,
            "origin": "age 15" if k == 0 else f"birth {k}",
            "intervals": c.n,
            "next_births": c.events,
            "median_months": c.median,
        }
        for t, name in horizons:
            s, lo, hi = c.at(t)
            row[name] = None if s is None else 1 - s
            row[name + "_ci_low"] = None if hi is None else 1 - hi
            row[name + "_ci_high"] = None if lo is None else 1 - lo
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def ppr_period(spells: pl.DataFrame, years: list[int]) -> pl.DataFrame:
    """Period PPRs: the same KM from the intervals lived in each calendar year (a synthetic cohort)."""
    iv, zero = parity_intervals(spells), parity_intervals(spells, origin_age15=True)
    rows = []
    for year in years:
        for k in range(MAX_PARITY + 1):
            part = clip_to_year(zero if k == 0 else iv.filter(pl.col("parity") == k), year)
            c = kaplan_meier(part["entry_m"], part["duration_m"], part["event"])
            t = 35 * 12 if k == 0 else 60
            s, lo, hi = c.at(t)
            rows.append(
                {
                    "year": year,
                    "parity": k,
                    "horizon_months": t,
                    "intervals": c.n,
                    "next_births": c.events,
                    "ppr": None if s is None else 1 - s,
                    "ci_low": None if hi is None else 1 - hi,
                    "ci_high": None if lo is None else 1 - lo,
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)


def ppr_cohort(export: Path, last: date) -> pl.DataFrame:
    """Cohort PPRs W(>=k+1)/W(>=k) among women aged 45-54 at the end of the range."""
    w = stock(export, last, ["parity"]).filter((pl.col("sex") == "F") & pl.col("age").is_between(45, 54))
    n = w.height
    rows = []
    for k in range(MAX_PARITY + 1):
        at_least = w.filter(pl.col("parity") >= k).height
        more = w.filter(pl.col("parity") >= k + 1).height
        lo, hi = rates.wilson(more, at_least)
        rows.append(
            {
                "parity": k,
                "women_45_54": n,
                "women_at_least_k": at_least,
                "women_at_least_k1": more,
                "ppr": more / at_least if at_least else None,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None)


def birth_intervals(spells: pl.DataFrame, events: pl.DataFrame, curves: dict[str, Curve]) -> pl.DataFrame:
    """Closed intervals (DHS groups) beside the KM median that also counts open intervals."""
    iv = parity_intervals(spells).filter(pl.col("event"))
    closed = iv.with_columns(months=pl.col("duration_m"))
    groups = [("7-17", 7, 18), ("18-23", 18, 24), ("24-35", 24, 36), ("36-47", 36, 48), ("48+", 48, 10_000)]
    rows = []
    for k in range(1, MAX_PARITY + 1):
        part = closed.filter(pl.col("parity") == k)
        n = part.height
        row = {
            "from_parity": k,
            "closed_intervals": n,
            "closed_median_months": float(part["months"].median()) if n else None,
            "km_median_months": curves[f"parity_{k}"].median,
        }
        for name, lo, hi in groups:
            row[f"share_{name}"] = (
                part.filter(pl.col("months").is_between(lo, hi, closed="left")).height / n if n else None
            )
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None)


def first_birth_ages(cube: pl.DataFrame, events: pl.DataFrame, curves: dict[str, Curve]) -> pl.DataFrame:
    """HFD MAB1 per year, the crude mean age of first-time mothers, and the KM median age."""
    mab = rates.mean_age_first_birth(cube)
    firsts = events.filter((pl.col("kind") == "birth") & (pl.col("birth_order") == 1)).with_columns(
        year=pl.col("date").dt.year().cast(pl.Int32), age=(pl.col("date") - pl.col("birth_date")).dt.total_days() / YEAR
    )
    crude = firsts.group_by("year").agg(mean_age_mothers=pl.col("age").mean(), sd=pl.col("age").std())
    out = mab.join(crude, on="year", how="left").sort("year")
    median = curves["parity_0"].median
    return out.with_columns(km_median_age_first_birth=pl.lit(None if median is None else 15 + median / 12))


def smam_table(export: Path, first: date, last: date) -> pl.DataFrame:
    rows = []
    for on in year_ends(first, last):
        st = stock(export, on, ["marital"]).filter(pl.col("age").is_between(15, 54))
        for sex in ("M", "F"):
            part = st.filter(pl.col("sex") == sex).with_columns(g=(pl.col("age") - 15) // 5)
            single, total = [], []
            for g in range(8):
                grp = part.filter(pl.col("g") == g)
                total.append(grp.height)
                single.append(grp.filter(pl.col("marital") == "never_married").height)
            rows.append(
                {
                    "date": on,
                    "sex": sex,
                    "persons_15_54": sum(total),
                    **rates.smam(single, total),
                    **{
                        f"single_{15 + 5 * g}_{19 + 5 * g}": (single[g] / total[g] if total[g] else None)
                        for g in range(8)
                    },
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)


def first_marriage_ages(events: pl.DataFrame) -> pl.DataFrame:
    """Mean age at first marriage (direct, from the marriages of the range) by sex and year."""
    m = events.filter((pl.col("kind") == "marriage") & pl.col("first_marriage")).with_columns(
        year=pl.col("date").dt.year().cast(pl.Int32), age=(pl.col("date") - pl.col("birth_date")).dt.total_days() / YEAR
    )
    agg = [
        pl.len().alias("first_marriages"),
        pl.col("age").mean().alias("mean_age"),
        (pl.col("age").std() / pl.len().sqrt()).alias("se"),
    ]
    by_year = m.group_by(["sex", "year"]).agg(agg)
    total = m.group_by("sex").agg(agg).with_columns(year=pl.lit(None, pl.Int32))
    out = pl.concat([by_year, total.select(by_year.columns)]).sort(["sex", "year"], nulls_last=True)
    return out.with_columns(
        ci_low=pl.col("mean_age") - rates.Z * pl.col("se"), ci_high=pl.col("mean_age") + rates.Z * pl.col("se")
    )


def srb_tables(events: pl.DataFrame) -> dict[str, pl.DataFrame]:
    b = events.filter(pl.col("kind") == "birth")

    def table(frame: pl.DataFrame, key: str) -> pl.DataFrame:
        counts = (
            frame.group_by(key)
            .agg(male=(pl.col("child_sex") == "M").sum(), female=(pl.col("child_sex") == "F").sum())
            .sort(key)
        )
        schema = {
            key: counts.schema[key],
            "births": pl.Int64,
            "male": pl.Int64,
            "female": pl.Int64,
            "srb": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        }
        return pl.DataFrame(
            [{key: r[key], **rates.srb_row(r["male"], r["female"])} for r in counts.iter_rows(named=True)],
            schema=schema,
        )

    order = b.with_columns(
        order=pl.when(pl.col("birth_order") >= 4).then(pl.lit("4+")).otherwise(pl.col("birth_order").cast(pl.String))
    )
    comp = b.filter(pl.col("composition_known") & (pl.col("birth_order") >= 2)).with_columns(
        earlier=pl.when(pl.col("birth_order") == 2)
        .then(
            pl.when(pl.col("sons_before") == 1).then(pl.lit("2: after a son")).otherwise(pl.lit("2: after a daughter"))
        )
        .when(pl.col("birth_order") == 3)
        .then(pl.format("3: {} son(s) of 2", pl.col("sons_before")))
        .otherwise(
            pl.when(pl.col("sons_before") == 0).then(pl.lit("4+: no son yet")).otherwise(pl.lit("4+: a son already"))
        )
    )
    year = b.with_columns(year=pl.col("date").dt.year().cast(pl.Int32))
    total = table(b.with_columns(all=pl.lit("all births")), "all")
    return {
        "srb_by_order": pl.concat([table(order, "order"), total.rename({"all": "order"})]),
        "srb_by_earlier_children": table(comp, "earlier"),
        "srb_by_year": table(year, "year"),
    }


def fertility_tables(export: Path, first: date, last: date) -> tuple[dict[str, pl.DataFrame], dict[str, Curve]]:
    # Women only, summed over communes: the cube's cells by commune are not needed here.
    cube = (
        pl.scan_parquet(export / "exposure_cube.parquet")
        .filter(pl.col("sex") == "F")
        .group_by(["year", "age", "sex", "parity", "marital"])
        .agg(pl.col("person_years").sum(), pl.col("births").sum())
        .collect()
    )
    spells = (
        pl.scan_parquet(export / "spells.parquet")
        .filter(pl.col("spell_type").is_in(["parity", "contraception"]) & (pl.col("sex") == "F"))
        .collect()
    )
    events = pl.scan_parquet(export / "events.parquet").filter(pl.col("kind").is_in(["birth", "marriage"])).collect()
    curves: dict[str, Curve] = {}
    years = list(range(first.year, last.year + 1))
    tables = {
        "asfr": rates.asfr_table(cube),
        "tfr": rates.tfr_table(cube),
        "tfr_whole_range": rates.tfr_table(cube, by_year=False),
        "ppr_lifetable": ppr_lifetable(spells, curves),
        "ppr_period": ppr_period(spells, years),
        "ppr_cohort": ppr_cohort(export, last),
        "smam": smam_table(export, first, last),
        "first_marriage_age": first_marriage_ages(events),
        **srb_tables(events),
    }
    tables["birth_intervals"] = birth_intervals(spells, events, curves)
    tables["first_birth_age"] = first_birth_ages(cube, events, curves)
    tables.update(contraception_tables(spells, curves))
    return tables, curves
