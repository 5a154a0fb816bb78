"""Indicator figures (INDICATORS.md) for any area, period and state of knowledge, in the CONTRACT.md shape."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from events.gazetteer import level as area_level
from projections.definitions import AGE_GROUPS, BANDS, FERTILE, MODERN, select
from projections.periods import Period, knowledge_instant, parse_day, parse_period, ymd
from projections.read.areas import refresh_area_map
from projections.read.exposure_cache import exposure_rows
from projections.read.indicator_sql import AREA_COMMUNES, QUERIES
from projections.read.stock_cache import Pending, stock_on, store
from projections.read.stock_warm import want
from projections.versions import Version, ensure_live, get_version, use_schema

SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
# A province's distinct households and joins fit in memory instead of spilling to disk.
WORK_MEM = "SET LOCAL work_mem = '64MB'"
_ORDER = ("stock", "mid", "births", "deaths", "unions", "moves", "contraception", "exposure")


def normalise_area(area: str) -> tuple[str, str]:
    """(code, level) of an area code: VN, or a province (2 digits), district (3) or commune (5)."""
    code = area.strip().upper()
    return code, area_level(code)


def _resolve(conn: psycopg.Connection, version: int | None) -> Version:
    return get_version(conn, version) if version is not None else ensure_live(conn)


def stock_facts(ages: list[list[Any]], households: int, women: list[list[Any]]) -> dict[str, Any]:
    """The catalogue's stock facts from the two histograms of STOCKS: persons by (sex, completed
    years) and women 15-49 by (married, method in use)."""
    out: dict[str, Any] = {"population": 0, "population_male": 0, "population_female": 0, "households": households}
    for name, _, _ in AGE_GROUPS + BANDS:
        out[name] = 0
    for sex, age, n in ages:
        out["population"] += n
        if sex in ("M", "F"):
            out[f"population_{'male' if sex == 'M' else 'female'}"] += n
        if age is None:
            continue
        for name, lo, hi in AGE_GROUPS + BANDS:
            if age >= lo and (hi is None or age <= hi):
                out[name] += n
    users: dict[str, int] = {}
    out.update(women_15_49=0, married_women_15_49=0, married_modern=0, women_modern=0, married_users=users)
    for married, method, n in women:
        out["women_15_49"] += n
        modern = method in MODERN
        out["women_modern"] += n if modern else 0
        if married:
            out["married_women_15_49"] += n
            out["married_modern"] += n if modern else 0
            if method is not None:
                users[method] = users.get(method, 0) + n
    return out


def facts(
    conn: psycopg.Connection,
    area: str,
    period: Period,
    known_on: date | None,
    groups: set[str],
    pending: Pending | None = None,
) -> dict[str, Any]:
    """Counted facts of the given groups; call inside a transaction on a version's schema.

    With `pending` (a list), stocks and woman-years known now come from the per-commune snapshots
    (projections.read.stock_cache, exposure_cache) and what had to be counted afresh is appended to it
    for storing."""
    params = {
        "area": area,
        "k": knowledge_instant(known_on),
        "ps": period.start,
        "psymd": ymd(period.start),
        "pe": period.end,
        "pe1": period.after,
    }
    spans = conn.execute(AREA_COMMUNES, params, prepare=False).fetchall()
    params.update(
        spans_commune=[c for c, _, _ in spans],
        spans_from=[f for _, f, _ in spans],
        spans_until=[u for _, _, u in spans],
    )

    def on(day: date) -> dict[str, Any]:
        return {**params, "d": day, "dymd": ymd(day), "communes": [c for c, f, u in spans if f <= day < u]}

    at_end = on(period.end)
    out: dict[str, Any] = {}
    cached = pending is not None and known_on is None
    for group in _ORDER:
        if group not in groups:
            continue
        if cached and group in ("stock", "mid"):
            day = period.mid if group == "mid" else period.end
            stock = stock_on(conn, on(day)["communes"], day, pending)  # type: ignore[arg-type]
            if stock is not None:
                out.update(
                    stock_facts(stock["ages"], stock["households"], stock["women"])
                    if group == "stock"
                    else {"mid_population": stock["population"]}
                )
                continue
            want(period.end, period.mid)  # few stored rows: one scan now, stored in the background
        if cached and group == "exposure":
            rows = exposure_rows(conn, spans, period, pending)  # type: ignore[arg-type]
            if rows is not None:
                out["woman_years"] = woman_years(rows)
                continue
            want(period.start, period.end)  # or the area's communes change inside a month
        query_params = on(period.mid) if group == "mid" else at_end
        # never a prepared generic plan: a commune and a province want different plans
        (found,) = conn.execute(QUERIES[group], query_params, prepare=False).fetchone()  # type: ignore[misc]
        if group == "stock":
            found = stock_facts(found["ages"], found["households"], found["women"])
        elif group == "exposure":
            found = {"woman_years": woman_years(found["exposure_days"])}
        out.update(found)
    return out


def woman_years(rows: list[list[Any]]) -> dict[str, float]:
    """Woman-years by ASFR group lower bound (as text) from EXPOSURE's (group, days in it, days in
    the next group) rows."""
    days: dict[int, float] = {}
    for g, d_in, d_next in rows:
        days[g] = days.get(g, 0) + d_in
        days[g + 5] = days.get(g + 5, 0) + d_next
    return {str(g): days[g] / 365.25 for g in FERTILE if g in days}


def compute_indicators(
    conn: psycopg.Connection,
    area: str,
    period: str | Period,
    known_on: date | str | None = None,
    names: list[str] | None = None,
    *,
    version: int | None = None,
    snapshots: bool = True,
) -> dict[str, Any]:
    """The figures of `names` (all by default) as {"area", "level", "period", "known_on", "values"}.

    Stocks are taken at the end of the period's last day, flows over the period by occurred_on;
    `known_on` restricts to what was recorded (and voided) by the end of that day. Reads the
    live projection version (or `version`) in one consistent snapshot, under that version's
    rules (definition versions, boundary rule). Stocks and woman-years known now come from the
    per-commune snapshots (docs/stock-snapshots.md) unless `snapshots` is False (the same
    figures, counted from every episode).
    Raises ValueError subclasses on bad input.
    """
    code, level = normalise_area(area)
    per = period if isinstance(period, Period) else parse_period(period)  # a Period: e.g. one day
    day = parse_day(known_on)
    with conn.transaction():
        target = _resolve(conn, version)
        use_schema(conn, target.schema)
        refresh_area_map(conn, target.rules)  # a gazetteer load since the last query
    select(names, target.rules.definitions)  # unknown names fail before any counting
    with conn.transaction():
        conn.execute(SNAPSHOT)
        conn.execute(WORK_MEM)
        target = _resolve(conn, version)  # a swap in between: read the new live version whole
        use_schema(conn, target.schema)
        definitions = select(names, target.rules.definitions)
        # a version being built is written without recording what it makes stale
        pending: Pending | None = [] if snapshots and target.state != "building" else None
        found = facts(
            conn, code, per, day, set().union(*(d.needs for d in definitions)) if definitions else set(), pending
        )
    if pending:
        with conn.transaction():
            use_schema(conn, target.schema)
            store(conn, pending)
    values = {d.name: d.formula(found) for d in definitions}
    return {
        "area": code,
        "level": level,
        "period": per.code,
        "known_on": day.isoformat() if day else None,
        "values": values,
    }
