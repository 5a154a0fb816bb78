"""Back-tests: forecasts from base dates inside the history against what the register recorded
afterwards, at every level (docs/forecasts.md). For each base, the whole scope is projected with the
data as known now (or as known on the base date, `known_then`), and each area's population on every
anniversary (and the year's births and deaths) is compared with the register's: the absolute
percentage error of the median, and whether the recorded figure lies inside the 80 % and 95 % bands.
The errors are summarised by level and horizon: MAPE, and the bands' coverage (calibrated bands
cover about 80 % and 95 %)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import psycopg

from projections.forecast.inputs import HISTORY, load_counts, load_scope, scope_of, stock
from projections.forecast.run import QUANTILES, add_years, membership, run_forecast
from projections.forecast.service import validate
from projections.periods import knowledge_instant
from projections.read.areas import refresh_area_map
from projections.read.indicator_sql import KNOWN
from projections.versions import ensure_live, use_schema

RECORDED_FLOWS = f"""
SELECT b.commune, 'births', count(*) FROM births AS b
WHERE b.commune = ANY(%(codes)s::text[]) AND b.occurred_on > %(y0)s AND b.occurred_on <= %(y1)s AND {KNOWN.format(t="b")}
GROUP BY 1
UNION ALL
SELECT x.commune, 'deaths', count(*) FROM deaths AS x
WHERE x.commune = ANY(%(codes)s::text[]) AND x.occurred_on > %(y0)s AND x.occurred_on <= %(y1)s AND {KNOWN.format(t="x")}
GROUP BY 1
"""
FIGURES = ("population", "births", "deaths")
# The first boundary change after the base in the scope's provinces: beyond it the base date's
# communes and districts no longer exist as such (1 July 2025), so comparisons stop there.
NEXT_CHANGE = """
SELECT min(valid_from) FROM area_map WHERE valid_from > %(b)s AND province = ANY(%(provinces)s::text[])
"""


def default_bases(first: date, last: date, years: int) -> list[date]:
    """Year ends with `years` of history before them and at least one whole year after."""
    out = []
    y = first.year + years - (0 if (first.month, first.day) == (1, 1) else -1) - 1
    while date(y + 1, 12, 31) <= last:
        if date(y, 12, 31) > first:
            out.append(date(y, 12, 31))
        y += 1
    return out


def backtest(
    conn: psycopg.Connection,
    area: str,
    bases: list[date] | None,
    horizon: int = 5,
    sims: int = 500,
    years: int = 3,
    seed: int = 0,
    known_then: bool = False,
    progress: Any = None,
) -> dict[str, Any]:
    code = validate(area, date.today(), horizon, "constant", sims, years)  # the same checks as a forecast
    rows: list[dict[str, Any]] = []
    stopped: list[dict[str, str]] = []
    with conn.transaction():
        live = ensure_live(conn)
        use_schema(conn, live.schema)
        refresh_area_map(conn, live.rules)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        use_schema(conn, live.schema)
        if bases is None:
            first_base = date.today()
            scope = load_scope(conn, scope_of(conn, code, first_base), first_base)
            first, last = conn.execute(
                HISTORY, {"codes": list(scope.code_unit), "k": knowledge_instant(None)}
            ).fetchone()  # type: ignore[misc]
            bases = default_bases(first, last, years) if first else []
        for base in bases:
            scope = load_scope(conn, scope_of(conn, code, base), base)
            counts, period = load_counts(conn, scope, base, years, base if known_then else None)
            last_day: date = period["last_record"]  # type: ignore[assignment]
            (change,) = conn.execute(NEXT_CHANGE, {"b": base, "provinces": sorted(set(scope.provinces))}).fetchone()  # type: ignore[misc]
            steps = [
                k
                for k in range(1, horizon + 1)
                if add_years(base, k) <= last_day and (change is None or add_years(base, k) < change)
            ]
            if change is not None and len(steps) < horizon:
                stopped.append({"base": base.isoformat(), "boundary_change": change.isoformat()})
            if not steps:
                continue
            fc = run_forecast(counts, scope.provinces, base, max(steps), "constant", sims, seed)
            wanted = [
                i for i, a in enumerate(fc.areas) if code in (a.code, a.parent) or code == fc.scope or code == "VN"
            ]
            codes = list(scope.code_unit)
            U = len(scope.units)
            member = membership(fc.areas, U)
            k_now = knowledge_instant(None)
            for k in steps:
                day = add_years(base, k)
                recorded_units = {name: np.zeros(U) for name in FIGURES}
                recorded_units["population"] = stock(conn, scope, day, None).sum(axis=(1, 2))
                for c, what, n in conn.execute(
                    RECORDED_FLOWS, {"codes": codes, "k": k_now, "y0": add_years(base, k - 1), "y1": day}, prepare=False
                ):
                    recorded_units[what][scope.code_unit[c]] += n
                recorded = {name: v @ member for name, v in recorded_units.items()}
                for i in wanted:
                    a = fc.areas[i]
                    for name in FIGURES:
                        st = fc.totals[i][k][name]
                        rows.append(
                            {
                                "base": base.isoformat(),
                                "horizon": k,
                                "area": a.code,
                                "level": a.level,
                                "figure": name,
                                "recorded": float(recorded[name][i]),
                                **{s: st.get(s) for s in ("expected", *QUANTILES)},
                            }
                        )
            if progress:
                progress(f"base {base.isoformat()}: {len(fc.areas)} areas × {len(steps)} years compared")
    return {
        "area": code,
        "bases": [b.isoformat() for b in bases],
        "sims": sims,
        "years": years,
        "known_then": known_then,
        "stopped_at_boundary_change": stopped,
        "summary": summarise(rows),
        "rows": rows,
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["figure"], r["level"], r["horizon"]), []).append(r)
    out = []
    for (figure, level, k), rs in sorted(groups.items()):
        ape = [
            abs(r["median"] - r["recorded"]) / r["recorded"] * 100
            for r in rs
            if r["recorded"] > 0 and r.get("median") is not None
        ]
        banded = [r for r in rs if r.get("lower_80") is not None]
        out.append(
            {
                "figure": figure,
                "level": level,
                "horizon": k,
                "areas": len(rs),
                "mape": round(float(np.mean(ape)), 2) if ape else None,
                "coverage_80": round(
                    sum(r["lower_80"] <= r["recorded"] <= r["upper_80"] for r in banded) / len(banded), 3
                )
                if banded
                else None,
                "coverage_95": round(
                    sum(r["lower_95"] <= r["recorded"] <= r["upper_95"] for r in banded) / len(banded), 3
                )
                if banded
                else None,
            }
        )
    return out
