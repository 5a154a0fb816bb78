"""Timeliness and completeness of recording, per collector and commune (docs/quality.md).

For the events of a period in an area, as known at a date: how long after they happened they
were recorded (occurred_on → recorded_at, by Vietnam's calendar), as median, 90th and 95th
percentile and the share recorded more than 30 days late (the report forms' "late"), for the
whole area, each collector (cộng tác viên, a pseudonymous id) and each commune; and the
collectors who recorded something in the area before but nothing for `silent_weeks` weeks up to
the period's end ("silent": a book nobody keeps). The accepted events are those of the report
forms and the dashboard (projections.http.dashboard.sql.ACCEPTED): the three agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.http.dashboard.breakdowns import enter_live, period_params
from projections.http.dashboard.sql import ACCEPTED
from projections.periods import parse_period
from projections.read.indicator_sql import IN_AREA

LATE_DAYS = 30

_DELAYS = """
    count(*)::int AS accepted,
    count(*) FILTER (WHERE delay > 30)::int AS late,
    round(count(*) FILTER (WHERE delay > 30)::numeric / nullif(count(*), 0), 4)::float AS late_share,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY delay) AS p50_days,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY delay) AS p90_days,
    percentile_disc(0.95) WITHIN GROUP (ORDER BY delay) AS p95_days,
    max(delay) AS max_days"""

OVERALL = f"WITH {ACCEPTED} SELECT {_DELAYS} FROM accepted"

BY_COLLECTOR = f"""
WITH {ACCEPTED}
SELECT collector, {_DELAYS} FROM accepted GROUP BY collector
ORDER BY late_share DESC NULLS LAST, accepted DESC, collector NULLS LAST
"""

BY_COMMUNE = f"""
WITH {ACCEPTED.replace("e.source ->> 'collector_id' AS collector,", "e.source ->> 'collector_id' AS collector, e.commune,")}
SELECT commune, {_DELAYS} FROM accepted GROUP BY commune
ORDER BY late_share DESC NULLS LAST, accepted DESC, commune
"""

# Collectors who recorded events in the area (as known at k) but none since the cut-off.
SILENT = f"""
SELECT e.source ->> 'collector_id' AS collector,
       max((e.recorded_at AT TIME ZONE %(tz)s)::date) AS last_recorded,
       count(*)::int AS events
FROM event_archive AS e
WHERE e.recorded_at < %(k)s::timestamptz AND e.source ->> 'collector_id' IS NOT NULL
  AND (%(area)s = 'VN' OR EXISTS (
        SELECT 1 FROM area_map AS m WHERE m.commune = e.commune AND {IN_AREA.format(m="m", d="e.occurred_on")}))
GROUP BY 1
HAVING max((e.recorded_at AT TIME ZONE %(tz)s)::date) < %(cutoff)s::date
ORDER BY 2, 1
"""


def timeliness(
    conn: psycopg.Connection, area: str, period: str, known_on: date | None = None, silent_weeks: int = 8
) -> dict[str, Any]:
    """The figures above for one area and period (raises ValueError subclasses on bad input)."""
    per = parse_period(period)
    params = period_params(area, period, known_on)
    cutoff = per.end - timedelta(weeks=silent_weeks)
    params["cutoff"] = cutoff
    with conn.transaction():
        enter_live(conn)
        cur = conn.cursor(row_factory=dict_row)
        overall = cur.execute(OVERALL, params).fetchone() or {}
        by_collector = cur.execute(BY_COLLECTOR, params).fetchall()
        by_commune = cur.execute(BY_COMMUNE, params).fetchall()
        silent = cur.execute(SILENT, params).fetchall()
    for row in silent:
        row["last_recorded"] = row["last_recorded"].isoformat()
        row["weeks_silent"] = (per.end - date.fromisoformat(row["last_recorded"])).days // 7
    return {
        "area": area,
        "period": per.code,
        "known_on": known_on.isoformat() if known_on else None,
        "late_after_days": LATE_DAYS,
        "silent_weeks": silent_weeks,
        "overall": overall,
        "by_collector": by_collector,
        "by_commune": by_commune,
        "silent": silent,
    }
