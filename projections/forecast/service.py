"""Forecasts as users get them: computed for a whole scope, stored per projection version, served
per area, and computed again when the data behind them changed (docs/forecasts.md).

A stored forecast keeps the PostgreSQL snapshot its counts were read in. It is stale when the sink
has since changed a commune of its scope from a day before its base date (`stock_changes`, the
same exact test as the stock snapshots, projections.read.stock_cache): a late record inside the
base period, a correction, a void. Facts after the base date do not touch it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import orjson
import psycopg

from events.gazetteer import level as area_level
from infra.gazetteer_store import gazetteer_in_force
from projections.forecast.inputs import ForecastInputError, load_counts, load_scope, scope_of
from projections.forecast.run import STATS, Forecast, run_forecast, strategy_check
from projections.forecast.scenarios import SCENARIOS, UnknownScenario, check
from projections.read.areas import refresh_area_map
from projections.versions import ensure_live, use_schema

MAX_HORIZON = 30
DDL = """
CREATE TABLE IF NOT EXISTS forecast_docs (
    key        text NOT NULL,   -- scope|base|horizon|scenario|sims|seed|years|known_on
    area       text NOT NULL,
    snap       pg_snapshot NOT NULL,
    scope_codes text[] NOT NULL,
    base       date NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    doc        jsonb NOT NULL,
    PRIMARY KEY (key, area)
)
"""
STALE = """
SELECT EXISTS (
    SELECT 1 FROM stock_changes AS x
    WHERE x.commune = ANY(%(codes)s::text[]) AND x.from_day < %(b)s
      AND x.xid >= pg_snapshot_xmin(%(snap)s::pg_snapshot)
      AND NOT pg_visible_in_snapshot(x.xid, %(snap)s::pg_snapshot))
"""
FIND = "SELECT doc::text, snap::text, scope_codes FROM forecast_docs WHERE key = %s AND area = %s"
CLEAR = "DELETE FROM forecast_docs WHERE key = %s"
STORE = """
INSERT INTO forecast_docs (key, area, snap, scope_codes, base, doc)
SELECT %(key)s, a, %(snap)s::pg_snapshot, %(codes)s::text[], %(b)s, d::jsonb FROM unnest(%(areas)s::text[], %(docs)s::text[]) AS t (a, d)
ON CONFLICT (key, area) DO UPDATE SET snap = EXCLUDED.snap, doc = EXCLUDED.doc, computed_at = now()
"""


def _key(
    scope: str,
    base: date,
    horizon: int,
    scenario: str,
    sims: int,
    seed: int,
    years: int,
    known_on: date | None,
    totals: dict[int, float] | None = None,
) -> str:
    parts: list[object] = [scope, base.isoformat(), horizon, scenario, sims, seed, years, known_on or "now"]
    if totals:
        parts.append("constrained:" + ",".join(f"{y}={v:g}" for y, v in sorted(totals.items())))
    return "|".join(map(str, parts))


def read_totals(data: bytes) -> dict[str, dict[int, float]]:
    """An outside projection as CSV `area,year,population` (a header line; UTF-8, a BOM allowed):
    {area: {year: population}}. Raises ForecastInputError naming the line and column."""
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ForecastInputError("constrain", "the totals file is not UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]][:3] != ["area", "year", "population"]:
        raise ForecastInputError("constrain", "the totals file needs the header area,year,population")
    out: dict[str, dict[int, float]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        try:
            area, year, pop = row[0].strip().upper(), int(row[1]), float(row[2])
        except (IndexError, ValueError):
            raise ForecastInputError(
                "constrain", f"line {n}: year must be a whole number and population a number"
            ) from None
        if pop <= 0 or not 1900 <= year <= 2200:
            raise ForecastInputError("constrain", f"line {n}: population must be positive and the year plausible")
        out.setdefault(area, {})[year] = pop
    return out


def validate(area: str, base: date, horizon: int, scenario: str, sims: int, years: int) -> str:
    code = area.strip().upper()
    try:
        area_level(code)
    except ValueError as exc:
        raise ForecastInputError("area", str(exc)) from None
    if code == "VN":
        raise ForecastInputError(
            "area",
            "the country is not forecast as one scope yet: forecast its provinces (a province, district or commune)",
        )
    if not 1 <= horizon <= MAX_HORIZON:
        raise ForecastInputError("horizon", f"horizon {horizon}: from 1 to {MAX_HORIZON} years")
    try:
        check(scenario)
    except UnknownScenario as exc:
        raise ForecastInputError("scenario", str(exc)) from None
    if not 0 <= sims <= 5000:
        raise ForecastInputError("sims", f"sims {sims}: from 0 (expected values only) to 5000")
    if not 1 <= years <= 10:
        raise ForecastInputError("years", f"years {years}: a base period of 1 to 10 years")
    if base > datetime.now(UTC).date():
        raise ForecastInputError("base", f"base date {base.isoformat()} is in the future", True)
    return code


def get_forecast(
    conn: psycopg.Connection,
    area: str,
    base: date,
    horizon: int = 25,
    scenario: str = "constant",
    *,
    sims: int = 1000,
    seed: int = 0,
    years: int = 3,
    known_on: date | None = None,
    refresh: bool = False,
    progress: Any = None,
    on_year: Any = None,
    constrain: dict[str, dict[int, float]] | None = None,
) -> dict[str, Any]:
    """The forecast document of one area (stored, or computed and stored with its whole scope).
    `constrain`: outside totals by area and year (read_totals); only the scope's are used."""
    code = validate(area, base, horizon, scenario, sims, years)
    with conn.transaction():
        live = ensure_live(conn)
        use_schema(conn, live.schema)
        refresh_area_map(conn, live.rules)
        conn.execute(DDL)
        scope = scope_of(conn, code, base)
        totals = None
        if constrain:
            if set(constrain) - {scope}:
                others = ", ".join(sorted(set(constrain) - {scope}))
                raise ForecastInputError(
                    "constrain", f"only the scope's own totals ({scope}) can constrain this forecast, not {others}"
                )
            totals = constrain.get(scope)
        key = _key(scope, base, horizon, scenario, sims, seed, years, known_on, totals)
        row = conn.execute(FIND, (key, code)).fetchone()
        if row is not None and not refresh:
            doc_text, snap, codes = row
            (stale,) = conn.execute(STALE, {"codes": codes, "b": base, "snap": snap}).fetchone()  # type: ignore[misc]
            if not stale:
                doc = orjson.loads(doc_text)
                doc["stored"] = True
                return doc
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        use_schema(conn, live.schema)
        (snap,) = conn.execute("SELECT pg_current_snapshot()::text").fetchone()  # type: ignore[misc]
        sc = load_scope(conn, scope, base)
        counts, period = load_counts(conn, sc, base, years, known_on)
        names = gazetteer_in_force(conn)
    # the projection itself outside any transaction (it takes a while for a large province); the
    # snapshot the counts were read in decides later whether the stored result is still current
    if progress:
        progress(f"counts read: {len(sc.units)} communes, {counts.pop.sum():,.0f} persons on {base.isoformat()}")
    fc = run_forecast(counts, sc.provinces, base, horizon, scenario, sims, seed, totals, on_year)
    if progress:
        progress(f"{sims} trajectories × {horizon} years projected")
    docs = {
        a.code: orjson.dumps(
            document(fc, i, names, period, known_on, live.version, years), option=orjson.OPT_SERIALIZE_NUMPY
        ).decode()
        for i, a in enumerate(fc.areas)
    }
    with conn.transaction():
        use_schema(conn, live.schema)
        conn.execute(CLEAR, (key,))
        conn.execute(
            STORE,
            {
                "key": key,
                "snap": snap,
                "codes": list(sc.code_unit),
                "b": base,
                "areas": list(docs),
                "docs": list(docs.values()),
            },
        )
    if code not in docs:
        raise ForecastInputError(
            "area", f"area {code!r} has no population in scope {scope} on {base.isoformat()}", True
        )
    out = orjson.loads(docs[code])
    out["stored"] = False
    return out


def _name(names: Any, code: str, on: date) -> str:
    try:
        return str(names.name(code, on))
    except Exception:  # a unit the gazetteer does not name on that day
        return code


def document(
    fc: Forecast, i: int, names: Any, period: dict[str, Any], known_on: date | None, version: int, years: int
) -> dict[str, Any]:
    a = fc.areas[i]
    r = fc.rates
    members = a.members
    c = fc.counts
    births = float(c.births[members].sum())
    deaths = float(c.deaths[members].sum())
    person_years = float(c.exposure[members].sum())
    observed = {
        "person_years": round(person_years, 1),
        "births": births,
        "deaths": deaths,
        # following people across the area's boundary (moves between its own communes do not count)
        "out_migrants_per_year": round(
            float(c.out_moves[members].sum() - c.od[np.ix_(members, members)].sum()) / c.years, 1
        ),
        "in_migrants_per_year": round(
            float(c.in_moves[members].sum() + c.od[:, members].sum() - c.od[np.ix_(members, members)].sum()) / c.years,
            1,
        ),
        "tfr": round(_observed_tfr(c, members), 3),
        "srb": round(100 * c.births[members, :, 0].sum() / c.births[members, :, 1].sum(), 1)
        if c.births[members, :, 1].sum()
        else None,
        "cbr_per_1000": round(1000 * births / person_years, 2) if person_years else None,
        "cdr_per_1000": round(1000 * deaths / person_years, 2) if person_years else None,
    }
    pop_base = float(c.pop[members].sum())
    warnings = list(r.warnings)
    if pop_base < 5000 and a.level != "province":
        warnings.append(
            f"{a.code}: {pop_base:,.0f} persons on the base date: a small area, read its intervals, not its median"
        )
    children = [j for j, b in enumerate(fc.areas) if b.parent == a.code and b.code != a.code]
    return {
        "area": a.code,
        "level": a.level,
        "name": _name(names, a.code, fc.base),
        "scope": fc.scope,
        "base": fc.base.isoformat(),
        "horizon": fc.horizon,
        "scenario": fc.scenario,
        "scenario_label": {"vi": SCENARIOS[fc.scenario][0], "en": SCENARIOS[fc.scenario][1]},
        "sims": fc.sims,
        "seed": fc.seed,
        "known_on": known_on.isoformat() if known_on else None,
        "constrained_to": {str(y): v for y, v in sorted(fc.totals_in.items())} if fc.totals_in else None,
        "version": version,
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_period": {
            "from": period["period_from"].isoformat(),
            "to": period["period_to"].isoformat(),
            "years": round(c.years, 2),
            "asked_years": years,
            "history_from": period["history_from"].isoformat(),
        },
        "rates": {
            "observed": observed,
            "model": {
                "tfr": round(_model_tfr(fc, members), 3),
                "e0": fc.e0[a.code],
                "srb": round(float(100 * np.mean(r.boy_share[members] / (1 - r.boy_share[members]))), 1),
                "schedules": _schedules(fc, members),
            },
        },
        "warnings": warnings,
        "years": [
            {"year": fc.years[k].year, "date": fc.years[k].isoformat(), **fc.totals[i][k]}
            for k in range(fc.horizon + 1)
        ],
        "strategy": strategy_check(fc, i),
        "pyramid": {
            str(fc.years[k].year): {
                sex: {s: [round(float(v), 2) for v in fc.ages[i][k][s][si]] for s in STATS if s in fc.ages[i][k]}
                for si, sex in enumerate(("M", "F"))
            }
            for k in range(fc.horizon + 1)
        },
        "children": [
            {
                "area": fc.areas[j].code,
                "level": fc.areas[j].level,
                "name": _name(names, fc.areas[j].code, fc.base),
                "population": [fc.totals[j][k]["population"] for k in range(fc.horizon + 1)],
            }
            for j in children
        ],
    }


def _weighted(rate: np.ndarray, weight: np.ndarray, lo: int, hi: int) -> float:
    """The area's rate over ages lo..hi-1: its units' rates weighted by their person-years."""
    w = weight[..., lo:hi].sum()
    return float((rate[..., lo:hi] * weight[..., lo:hi]).sum() / w) if w > 0 else 0.0


def _schedules(fc: Forecast, members: np.ndarray) -> dict[str, Any]:
    """The rates the projection used for the area (its units' weighted by their person-years), per
    1,000 person-years: ASFR by the mother's five-year group, death and out-migration rates by sex
    and age band; arrivals from beyond the province a year; the share of movers staying in it."""
    r, c = fc.rates, fc.counts
    women = c.exposure[members, 1, :]
    expo = c.exposure[members]
    bands = ((0, 1), (1, 15), (15, 45), (45, 65), (65, 85), (85, 101))
    return {
        "asfr_per_1000": {
            f"{lo}-{lo + 4}": round(1000 * _weighted(r.asfr[members], women, lo, lo + 5), 2) for lo in range(10, 50, 5)
        },
        "deaths_per_1000": {
            sex: {
                f"{lo}-{hi - 1}": round(1000 * _weighted(r.mx[members, si], expo[:, si], lo, hi), 2) for lo, hi in bands
            }
            for si, sex in enumerate(("M", "F"))
        },
        "out_migration_per_1000": {
            sex: {
                f"{lo}-{hi - 1}": round(1000 * _weighted(r.out_rate[members, si], expo[:, si], lo, hi), 2)
                for lo, hi in bands
            }
            for si, sex in enumerate(("M", "F"))
        },
        "arrivals_from_outside_per_year": round(float(r.in_count[members].sum()), 1),
        "movers_staying_in_province": round(
            _weighted(r.internal_share[members, None], expo.sum(axis=(1, 2))[:, None], 0, 1), 3
        ),
        "movers_per_move": {k: round(v, 2) for k, v in r.dispersion.items()},
    }


def _observed_tfr(c: Any, members: np.ndarray) -> float:
    out = 0.0
    for lo in range(10, 50, 5):
        b = c.births[members, lo : lo + 5].sum()
        e = c.exposure[members, 1, lo : lo + 5].sum()
        out += 5 * b / e if e > 0 else 0.0
    return float(out)


def _model_tfr(fc: Forecast, members: np.ndarray) -> float:
    w = fc.counts.exposure[members, 1, :] + 1e-12
    return float(((fc.rates.asfr[members] * w).sum(0) / w.sum(0)).sum())
