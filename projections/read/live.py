"""Live counters as the API serves them: the indicator processor's latest snapshot (live_counters).

Flows only (processors.indicators.facts.FLOW_NAMES, plus the ratios made of them); everything else,
and every period before the counters' `live_from`, is answered by the SQL path (/v1/indicators).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from processors.indicators.facts import FLOW_NAMES
from projections.definitions import REGISTRY
from projections.periods import VIETNAM, parse_period
from projections.read.indicators import normalise_area

META = "SELECT app_id, live_from, events, updated_at FROM live_counter_meta ORDER BY updated_at DESC LIMIT 1"
COUNTERS = "SELECT name, value, updated_at FROM live_counters WHERE area = %s AND period = %s"
POSITIONS = "SELECT topic, partition, next_offset FROM live_counter_positions ORDER BY topic, partition"
DERIVED = ("net_migration", "srb", "share_order_3_plus")


class NotLive(ValueError):
    """A period the live counters do not keep (before live_from), or none kept yet."""


def current_period(kind: str = "month", today: date | None = None) -> str:
    day = today or datetime.now(VIETNAM).date()
    return {
        "month": f"{day.year}-{day.month:02d}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "year": f"{day.year}",
    }[kind]


def live_figures(conn: psycopg.Connection, area: str, period: str | None = None) -> dict[str, Any]:
    """{"area", "level", "period", "values", "live_from", "updated_at", "positions"} for one area and
    period (default: the current month in Vietnam). Raises NotLive, or ValueError for bad input."""
    code, level = normalise_area(area)
    per = parse_period(period or current_period())
    with conn.transaction():
        meta = conn.execute(META).fetchone()
        if meta is None:
            raise NotLive(
                "no live counters yet: the indicator processor (`popreg worker indicators`) has not written a snapshot"
            )
        app_id, live_from, events, meta_at = meta
        if per.start < live_from:
            raise NotLive(
                f"period {per.code} is before the live counters start ({live_from.isoformat()}); "
                f"GET /v1/indicators answers any period"
            )
        rows = conn.execute(COUNTERS, (code, per.code)).fetchall()
        positions = conn.execute(POSITIONS).fetchall()
    values: dict[str, Any] = dict.fromkeys(FLOW_NAMES, 0)
    values.update({name: int(value) for name, value, _ in rows if name in values})
    for name in DERIVED:
        values[name] = REGISTRY[name][1].formula(values)
    return {
        "area": code,
        "level": level,
        "period": per.code,
        "values": values,
        "live_from": live_from.isoformat(),
        "updated_at": meta_at.isoformat(),
        "app_id": app_id,
        "events_counted": events,
        "positions": {f"{t}:{p}": n for t, p, n in positions},
    }
