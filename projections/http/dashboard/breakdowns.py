"""Breakdowns the catalogue has no single name for: the pyramid by sex, births by order, data quality."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.definitions import ratio
from projections.http.dashboard import sql
from projections.periods import VIETNAM, knowledge_instant, parse_period
from projections.read.areas import refresh_area_map
from projections.read.indicator_sql import AREA_COMMUNES
from projections.read.stock_cache import Pending, stock_on, store
from projections.read.stock_warm import want
from projections.versions import ensure_live, use_schema

TZ = "Asia/Ho_Chi_Minh"  # the same calendar as projections.periods.VIETNAM (UTC+7, no DST)
ORDERS = ("1", "2", "3", "4+")
REPEATABLE = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


def period_params(area: str, period: str, known_on: date | None) -> dict[str, Any]:
    per = parse_period(period)
    end = per.end
    return {
        "area": area,
        "d": end,
        "dymd": end.year * 10000 + end.month * 100 + end.day,
        "ps": per.start,
        "pe": end,
        "k": knowledge_instant(known_on),
        "tz": TZ,
    }


def enter_live(conn: psycopg.Connection) -> None:
    """Read the live version's schema, with an area_map as fresh as the gazetteer (as the API does)."""
    version = ensure_live(conn)
    use_schema(conn, version.schema)
    refresh_area_map(conn, version.rules)


def pyramid(conn: psycopg.Connection, area: str, period: str, known_on: date | None) -> dict[str, Any]:
    """Persons by five-year age group and sex at the end of the period (the pop_age_* groups)."""
    params = period_params(area, period, known_on)
    pending: Pending = []
    found: dict[str, Any] | None = None
    with conn.transaction():
        enter_live(conn)  # may refresh area_map: not in the read-only snapshot below
    with conn.transaction():
        conn.execute(REPEATABLE)
        use_schema(conn, ensure_live(conn).schema)
        if known_on is None:  # from the stock snapshots, as GET /v1/indicators counts pop_age_*
            day = params["d"]
            per = parse_period(period)
            spans = conn.execute(AREA_COMMUNES, {**params, "pe1": per.after}, prepare=False).fetchall()
            found = stock_on(conn, [c for c, f, u in spans if f <= day < u], day, pending)
            if found is None:
                want(day)
        if known_on is None and found is not None:
            rows = [(min(age // 5, 16) * 5, sex, n) for sex, age, n in found["ages"] if age is not None and age >= 0]
        else:
            rows = conn.execute(sql.PYRAMID, params).fetchall()
    if pending:
        with conn.transaction():
            use_schema(conn, ensure_live(conn).schema)
            store(conn, pending)
    groups = {lower: {"male": 0, "female": 0} for lower in range(0, 85, 5)}
    for lower, sex, n in rows:
        key = {"M": "male", "F": "female"}.get(sex)
        if key is not None:
            groups[lower][key] += n
    out = [
        {
            "group": f"{lo}_{lo + 4}" if lo < 80 else "80_plus",
            "indicator": f"pop_age_{lo}_{lo + 4}" if lo < 80 else "pop_age_80_plus",
            **counts,
        }
        for lo, counts in groups.items()
    ]
    return {"area": area, "period": parse_period(period).code, "on": params["d"].isoformat(), "groups": out}


def births_by_order(conn: psycopg.Connection, area: str, period: str, known_on: date | None) -> dict[str, Any]:
    """Births of the period by birth order and sex, with the sex ratio at birth of each order."""
    with conn.transaction():
        enter_live(conn)
        rows = conn.execute(sql.BIRTHS_BY_ORDER, period_params(area, period, known_on)).fetchall()
    table = {o: {"male": 0, "female": 0, "total": 0} for o in ORDERS}
    for order, sex, n in rows:
        cell = table[ORDERS[max(1, min(order, 4)) - 1]]
        cell["total"] += n
        if sex in ("M", "F"):
            cell["male" if sex == "M" else "female"] += n
    for cell in table.values():
        cell["srb"] = ratio(cell["male"], cell["female"], 100)
    return {
        "area": area,
        "period": parse_period(period).code,
        "orders": table,
        "total": sum(c["total"] for c in table.values()),
    }


def moved_communes(conn: psycopg.Connection, period: str, known_on: date | None) -> set[str]:
    """Commune codes that some move of the period starts or ends in (with their units)."""
    with conn.transaction():
        enter_live(conn)
        return {c for (c,) in conn.execute(sql.MOVED_COMMUNES, period_params("VN", period, known_on)).fetchall()}


def quality(
    conn: psycopg.Connection, area: str, period: str, known_on: date | None, collectors: int = 15
) -> dict[str, Any]:
    """Submissions of the period in the area: accepted, late, still held in review (by reason),
    and the same per collector, worst first."""
    params = {**period_params(area, period, known_on), "limit": collectors}
    with conn.transaction():
        enter_live(conn)
        (totals,) = conn.execute(sql.QUALITY_TOTALS, params).fetchone()  # type: ignore[misc]
        by_collector = conn.cursor(row_factory=dict_row).execute(sql.QUALITY_BY_COLLECTOR, params).fetchall()
    totals["received"] = totals["accepted"] + totals["held"]
    totals["late_share"] = ratio(totals["late"], totals["accepted"])
    return {
        "area": area,
        "period": parse_period(period).code,
        "late_after_days": 30,
        **totals,
        "by_collector": by_collector,
    }


def data_span(conn: psycopg.Connection) -> dict[str, Any]:
    """The first and last occurrence day the register holds (the page opens on the last month)."""
    with conn.transaction():
        enter_live(conn)
        first, last, events = conn.execute(sql.DATA_SPAN).fetchone()  # type: ignore[misc]
    return {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None, "events": events}


def freshness(conn: psycopg.Connection) -> dict[str, Any]:
    """When the newest event the projections hold was accepted; rejected records on the log."""
    with conn.transaction():
        enter_live(conn)
        accepted_at, recorded_at = conn.execute(sql.LAST_ACCEPTED).fetchone()  # type: ignore[misc]
        (rejects,) = conn.execute(sql.SINK_REJECTS).fetchone()  # type: ignore[misc]

    def iso(t: Any) -> str | None:
        return t.astimezone(VIETNAM).isoformat() if t is not None else None

    return {"last_accepted_at": iso(accepted_at), "last_recorded_at": iso(recorded_at), "sink_rejects": rejects}
