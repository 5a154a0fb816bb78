"""Rates with their numerators, exposures and intervals: ASFR, TFR, GFR, MAB, SMAM, SRB.

Intervals: exact Poisson (Garwood) for a rate; normal with Var(TFR) = 25 Σ B_a / E_a² for the
TFR (DEMOGRAPHY.md, small-area precision); Wilson for a proportion (SRB goes through the share
of boys p, SRB = 100 p / (1 - p)); the delta method for SMAM with binomial proportions single.
"""

from __future__ import annotations

import math

import polars as pl
from scipy.stats import chi2, norm

Z = float(norm.ppf(0.975))
GROUPS = [(a, a + 4) for a in range(15, 50, 5)]
SMAM_GROUPS = [(a, a + 4) for a in range(15, 55, 5)]  # 15-19 ... 50-54


def poisson_ci(events: float, exposure: float, per: float = 1000.0) -> tuple[float | None, float | None]:
    if not exposure:
        return None, None
    lo = chi2.ppf(0.025, 2 * events) / 2 if events > 0 else 0.0
    hi = chi2.ppf(0.975, 2 * events + 2) / 2
    return per * lo / exposure, per * hi / exposure


def wilson(k: float, n: float) -> tuple[float | None, float | None]:
    if not n:
        return None, None
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def srb_row(male: int, female: int) -> dict[str, float | int | None]:
    n = male + female
    lo, hi = wilson(male, n)

    def ratio(p: float | None) -> float | None:
        return None if p is None or p >= 1 else 100 * p / (1 - p)

    return {
        "births": n,
        "male": male,
        "female": female,
        "srb": 100 * male / female if female else None,
        "ci_low": ratio(lo),
        "ci_high": ratio(hi),
    }


def _group(age: pl.Expr) -> pl.Expr:
    start = (age // 5) * 5
    return pl.format("{}-{}", start, start + 4)


def women(cube: pl.DataFrame) -> pl.DataFrame:
    return cube.filter(pl.col("sex") == "F")


def asfr_table(cube: pl.DataFrame) -> pl.DataFrame:
    """Per year and five-year group 15-19 ... 45-49: births, woman-years, ASFR per 1,000, CI."""
    w = women(cube).filter(pl.col("age").is_between(15, 49))
    t = (
        w.group_by(["year", _group(pl.col("age")).alias("age_group")])
        .agg(births=pl.col("births").sum(), person_years=pl.col("person_years").sum())
        .sort(["year", "age_group"])
    )
    rows = []
    for r in t.iter_rows(named=True):
        lo, hi = poisson_ci(r["births"], r["person_years"])
        rate = 1000 * r["births"] / r["person_years"] if r["person_years"] else None
        rows.append({**r, "asfr": rate, "ci_low": lo, "ci_high": hi})
    return pl.DataFrame(
        rows,
        schema={
            "year": pl.Int32,
            "age_group": pl.String,
            "births": pl.Int64,
            "person_years": pl.Float64,
            "asfr": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
        },
    )


def tfr_table(cube: pl.DataFrame, by_year: bool = True) -> pl.DataFrame:
    """TFR (5 Σ ASFR, INDICATORS.md: no folding of the tails) and GFR with their intervals.

    `tfr_tails_folded` adds births under 15 to 15-19 and 50+ to 45-49 (DEMOGRAPHY.md row 4)."""
    w = women(cube)
    if not by_year:
        return pl.DataFrame([_tfr_row(w)], schema=TFR_SCHEMA)
    rows = [{"year": year, **_tfr_row(part)} for (year,), part in w.group_by(["year"])]
    return pl.DataFrame(rows, schema={"year": pl.Int32, **TFR_SCHEMA}).sort("year")


# The columns of a TFR row, typed, so that a year or an area without women still has them all.
TFR_SCHEMA = {
    "births_15_49": pl.Int64,
    "woman_years_15_49": pl.Float64,
    "tfr": pl.Float64,
    "tfr_se": pl.Float64,
    "tfr_ci_low": pl.Float64,
    "tfr_ci_high": pl.Float64,
    "tfr_tails_folded": pl.Float64,
    "births_under_15": pl.Int64,
    "births_50_plus": pl.Int64,
    "gfr": pl.Float64,
    "gfr_ci_low": pl.Float64,
    "gfr_ci_high": pl.Float64,
}


def _tfr_row(part: pl.DataFrame) -> dict[str, float | int | None]:
    t = (
        part.filter(pl.col("age").is_between(15, 49))
        .group_by(_group(pl.col("age")).alias("g"))
        .agg(b=pl.col("births").sum(), e=pl.col("person_years").sum())
    )
    b = dict(zip(t["g"], t["b"], strict=True))
    e = dict(zip(t["g"], t["e"], strict=True))
    groups = [f"{lo}-{hi}" for lo, hi in GROUPS]
    complete = all(e.get(g) for g in groups)
    tfr = 5 * sum(b.get(g, 0) / e[g] for g in groups) if complete else None
    var = 25 * sum(b.get(g, 0) / e[g] ** 2 for g in groups) if complete else None
    under = int(part.filter(pl.col("age") < 15)["births"].sum())
    over = int(part.filter(pl.col("age") >= 50)["births"].sum())
    folded = None
    if complete:
        bf = dict(b)
        bf["15-19"] = bf.get("15-19", 0) + under
        bf["45-49"] = bf.get("45-49", 0) + over
        folded = 5 * sum(bf.get(g, 0) / e[g] for g in groups)
    births = sum(b.values())
    py = sum(e.values())
    glo, ghi = poisson_ci(births, py)
    se = math.sqrt(var) if var is not None else None
    return {
        "births_15_49": births,
        "woman_years_15_49": py,
        "tfr": tfr,
        "tfr_se": se,
        "tfr_ci_low": tfr - Z * se if tfr is not None else None,
        "tfr_ci_high": tfr + Z * se if tfr is not None else None,
        "tfr_tails_folded": folded,
        "births_under_15": under,
        "births_50_plus": over,
        "gfr": 1000 * births / py if py else None,
        "gfr_ci_low": glo,
        "gfr_ci_high": ghi,
    }


def mean_age_first_birth(cube: pl.DataFrame) -> pl.DataFrame:
    """HFD MAB1 = Σ (x + 0.5) f(x,1) / Σ f(x,1), f(x,1) = first births / all woman-years at age x."""
    w = women(cube)
    per_age = (
        w.group_by(["year", "age"])
        .agg(b1=pl.col("births").filter(pl.col("parity") == 0).sum(), e=pl.col("person_years").sum())
        .filter(pl.col("e") > 0)
        .with_columns(f=pl.col("b1") / pl.col("e"))
    )
    return (
        per_age.group_by("year")
        .agg(
            first_births=pl.col("b1").sum(),
            mab1=((pl.col("age") + 0.5) * pl.col("f")).sum() / pl.col("f").sum(),
            tfr1=pl.col("f").sum(),
        )
        .sort("year")
    )


def smam(single: list[int], total: list[int]) -> dict[str, float | None]:
    """Hajnal's SMAM from numbers single and in total for 15-19 ... 50-54 (UN WMD steps), with
    a delta-method standard error (binomial proportions single)."""
    if len(single) != 8 or any(n == 0 for n in total):
        return {"smam": None, "se": None, "ci_low": None, "ci_high": None}
    s = [k / n for k, n in zip(single, total, strict=True)]
    a = 15 + 5 * sum(s[:7])  # years lived single by 50, 15 assumed single before 15
    b = (s[6] + s[7]) / 2  # proportion never marrying
    if b >= 1:
        return {"smam": None, "se": None, "ci_low": None, "ci_high": None}
    value = (a - 50 * b) / (1 - b)
    grads = [5 / (1 - b)] * 6
    # S45-49 enters A (x5) and B (x1/2); S50-54 enters B only.
    grads.append((5 - 25) / (1 - b) + 0.5 * (a - 50 * b) / (1 - b) ** 2)
    grads.append(-25 / (1 - b) + 0.5 * (a - 50 * b) / (1 - b) ** 2)
    var = sum(g * g * p * (1 - p) / n for g, p, n in zip(grads, s, total, strict=True))
    se = math.sqrt(var)
    return {"smam": value, "se": se, "ci_low": value - Z * se, "ci_high": value + Z * se}
