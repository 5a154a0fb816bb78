"""Indicator figures (INDICATORS.md) for any area, period and state of knowledge, in the CONTRACT.md shape."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from events.gazetteer import level as area_level
from projections.areas import refresh_area_map
from projections.definitions import MODERN, select
from projections.indicator_sql import QUERIES
from projections.periods import Period, knowledge_instant, parse_day, parse_period
from projections.versions import Version, ensure_live, get_version, use_schema

SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
_ORDER = ("stock", "mid", "births", "deaths", "unions", "moves", "contraception", "exposure")


def normalise_area(area: str) -> tuple[str, str]:
    """(code, level) of an area code: VN, or a province (2 digits), district (3) or commune (5)."""
    code = area.strip().upper()
    return code, area_level(code)


def _resolve(conn: psycopg.Connection, version: int | None) -> Version:
    return get_version(conn, version) if version is not None else ensure_live(conn)


def facts(conn: psycopg.Connection, area: str, period: Period, known_on: date | None, groups: set[str]) -> dict[str, Any]:
    """Counted facts of the given groups; call inside a transaction on a version's schema."""
    params = {"area": area, "d": period.end, "k": knowledge_instant(known_on), "ps": period.start,
              "pe": period.end, "pe1": period.after, "modern": MODERN}
    out: dict[str, Any] = {}
    for group in _ORDER:
        if group in groups:
            query_params = {**params, "d": period.mid} if group == "mid" else params
            (found,) = conn.execute(QUERIES[group], query_params).fetchone()  # type: ignore[misc]
            out.update(found)
    return out


def compute_indicators(conn: psycopg.Connection, area: str, period: str, known_on: date | str | None = None,
                       names: list[str] | None = None, *, version: int | None = None) -> dict[str, Any]:
    """The figures of `names` (all by default) as {"area", "level", "period", "known_on", "values"}.

    Stocks are taken at the end of the period's last day, flows over the period by occurred_on;
    `known_on` restricts to what was recorded (and voided) by the end of that day. Reads the
    live projection version (or `version`) in one consistent snapshot, under that version's
    rules (definition versions, boundary rule). Raises ValueError subclasses on bad input.
    """
    code, level = normalise_area(area)
    per = parse_period(period)
    day = parse_day(known_on)
    with conn.transaction():
        target = _resolve(conn, version)
        use_schema(conn, target.schema)
        refresh_area_map(conn, target.rules)  # a gazetteer load since the last query
    select(names, target.rules.definitions)  # unknown names fail before any counting
    with conn.transaction():
        conn.execute(SNAPSHOT)
        target = _resolve(conn, version)  # a swap in between: read the new live version whole
        use_schema(conn, target.schema)
        definitions = select(names, target.rules.definitions)
        found = facts(conn, code, per, day, set().union(*(d.needs for d in definitions)) if definitions else set())
    values = {d.name: d.formula(found) for d in definitions}
    return {"area": code, "level": level, "period": per.code, "known_on": day.isoformat() if day else None,
            "values": values}
