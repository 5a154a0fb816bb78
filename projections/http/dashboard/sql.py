"""SQL of the dashboard's breakdowns, as named constants over one projection version's read models.

They use the same area, validity and knowledge conditions as projections.read.indicator_sql, so
their totals equal the catalogue's figures (tests/integration/test_dashboard_api.py checks:
pyramid rows add up to pop_age_*, births by order to births and births_order_3_plus).
Parameters: area, d (stock date), dymd (d as YYYYMMDD), k (knowledge instant), ps/pe (period
first/last day), tz.
"""

from __future__ import annotations

from infra.gazetteer_store import LATEST_LOAD
from projections.read.indicator_sql import COVERS, IN_AREA, KNOWN

# Five-year groups as the catalogue's pop_age_* (80+ open), by sex.
PYRAMID = f"""
WITH pop AS (
    SELECT r.sex, (%(dymd)s - r.birth_ymd) / 10000 AS age  -- completed years, as the catalogue counts them
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
    WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}
)
SELECT least(age / 5, 16) * 5 AS lower, sex, count(*) AS n
FROM pop WHERE age IS NOT NULL AND age >= 0
GROUP BY 1, 2 ORDER BY 1, 2
"""

# Births by order (1, 2, 3, 4+) and sex, as the catalogue's `births` counts them.
BIRTHS_BY_ORDER = f"""
SELECT least(b.birth_order, 4) AS ord, b.sex, count(*) AS n
FROM births AS b
JOIN area_map AS m ON m.commune = b.commune AND {IN_AREA.format(m="m", d="b.occurred_on")}
WHERE b.occurred_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="b")}
GROUP BY 1, 2 ORDER BY 1, 2
"""

# Accepted events that occurred in the period in the area, as known at k; "late" is recorded
# more than 30 days after occurred_on (INDICATORS.md report forms), by Vietnam's calendar.
ACCEPTED = f"""
accepted AS MATERIALIZED (
    SELECT e.event_id, e.type, e.source ->> 'collector_id' AS collector,
           ((e.recorded_at AT TIME ZONE %(tz)s)::date - e.occurred_on) AS delay
    FROM event_archive AS e
    WHERE e.occurred_on BETWEEN %(ps)s AND %(pe)s AND e.recorded_at < %(k)s::timestamptz
      AND (%(area)s = 'VN' OR EXISTS (
            SELECT 1 FROM area_map AS m WHERE m.commune = e.commune
              AND {IN_AREA.format(m="m", d="e.occurred_on")}))
)"""

# Submissions held in review that occurred in the period in the area and are still held: not
# applied since, nor overridden (the same rule as GET /v1/review, projections.read.queries).
_HELD = f"""
held AS MATERIALIZED (
    SELECT r.event_id, r.reason, r.collector_id AS collector
    FROM review_items AS r
    WHERE coalesce(r.occurred_on, (r.held_at AT TIME ZONE %(tz)s)::date) BETWEEN %(ps)s AND %(pe)s
      AND r.held_at < %(k)s::timestamptz
      AND (%(area)s = 'VN' OR EXISTS (
            SELECT 1 FROM area_map AS m WHERE m.commune = r.commune
              AND {IN_AREA.format(m="m", d="coalesce(r.occurred_on, %(pe)s::date)")}))
      AND NOT EXISTS (SELECT 1 FROM event_archive AS a WHERE a.event_id = r.event_id)
      AND NOT EXISTS (SELECT 1 FROM event_subjects AS o WHERE o.subject_id = r.event_id AND o.role = 'overrides')
)"""

QUALITY_TOTALS = f"""
WITH {ACCEPTED}, {_HELD}
SELECT jsonb_build_object(
    'accepted', (SELECT count(*) FROM accepted),
    'late', (SELECT count(*) FROM accepted WHERE delay > 30),
    'median_delay_days', (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY delay) FROM accepted),
    'held', (SELECT count(DISTINCT event_id) FROM held),
    'late_by_type', (SELECT coalesce(jsonb_object_agg(type, n), '{{}}'::jsonb) FROM (
        SELECT type, count(*) AS n FROM accepted WHERE delay > 30 GROUP BY type) AS t),
    'held_by_reason', (SELECT coalesce(jsonb_object_agg(reason, n), '{{}}'::jsonb) FROM (
        SELECT reason, count(DISTINCT event_id) AS n FROM held GROUP BY reason) AS h))
"""

# Per collector (cộng tác viên: a pseudonymous id, never a name): accepted, late, held.
QUALITY_BY_COLLECTOR = f"""
WITH {ACCEPTED}, {_HELD},
per AS (
    SELECT collector, count(*) AS accepted, count(*) FILTER (WHERE delay > 30) AS late, 0 AS held
    FROM accepted GROUP BY collector
    UNION ALL
    SELECT collector, 0, 0, count(DISTINCT event_id) FROM held GROUP BY collector
)
SELECT collector, sum(accepted)::int AS accepted, sum(late)::int AS late, sum(held)::int AS held
FROM per GROUP BY collector
ORDER BY sum(late) + sum(held) DESC, sum(accepted) DESC, collector NULLS LAST
LIMIT %(limit)s
"""

# Communes (and the units they count in) that any move of the period touches: every other
# commune has no in- or out-migrant then, so summing communes needs only these.
MOVED_COMMUNES = f"""
SELECT DISTINCT c FROM (
    SELECT v.from_commune AS a, v.to_commune AS b FROM moves AS v
    WHERE (v.out_on BETWEEN %(ps)s AND %(pe)s OR v.in_on BETWEEN %(ps)s AND %(pe)s) AND {KNOWN.format(t="v")}
) AS mv
JOIN area_map AS m ON m.commune IN (mv.a, mv.b)
CROSS JOIN LATERAL unnest(ARRAY[m.commune, m.unit_commune]) AS c
"""

# What the register knows at all: the first and last day with accepted events (default period).
DATA_SPAN = "SELECT min(occurred_on), max(occurred_on), count(*) FROM event_archive"
LAST_ACCEPTED = "SELECT max(accepted_at), max(recorded_at) FROM event_archive"
SINK_REJECTS = "SELECT count(*) FROM sink_rejects"
GAZETTEER_LOAD = LATEST_LOAD  # infra.gazetteer_store: the last gazetteer load (0: none)
