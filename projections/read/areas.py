"""Which areas a commune code counts in on each day: a version's `area_map`, from the gazetteer.

Figures for a district, province or the country are never sums of commune figures: every
query joins each person's commune to this map on the date it asks about (INDICATORS.md,
"per the gazetteer in force on that day"). Two boundary rules (projections.rules):
- as_of_date: a commune counts in the units of its version in force that day; a commune that
  ended (1 July 2025) counts in its main successor afterwards, so people whose records still
  carry the old code stay in the population;
- current: every commune counts, on every day, in the units of its main successor today, which
  re-aggregates the history of old communes into the new provinces and communes.
"""

from __future__ import annotations

import psycopg

from projections.rules import Rules

_LOCK_KEY = 0x61726561  # "area"

GAZETTEER_LOAD = "SELECT coalesce(max(load_id), 0) FROM public.gazetteer_loads"
BUILT_FROM = "SELECT load_id FROM area_map_source"
LOCK = "SELECT pg_advisory_xact_lock(%s, hashtext(current_schemas(false)::text))"
# DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe for readers holding an older snapshot.
CLEAR = "DELETE FROM area_map; DELETE FROM area_map_source"
RECORD = "INSERT INTO area_map_source (load_id) VALUES (%s)"

# Rows of the gazetteer in force, valid_to made exclusive.
_UNITS = """
WITH g AS (
    SELECT commune_code, valid_from, valid_to + 1 AS valid_until, district_code, province_code, successors
    FROM public.gazetteer_current
)
"""

BUILD_AS_OF_DATE = (
    _UNITS
    + """
, own AS (
    SELECT commune_code AS commune, valid_from, valid_until, commune_code AS unit, district_code, province_code
    FROM g
), after_end AS (
    -- an ended commune whose code does not live on: its people count in its main successor
    SELECT o.commune_code AS commune, greatest(o.valid_until, s.valid_from) AS valid_from,
           s.valid_until, s.commune_code AS unit, s.district_code, s.province_code
    FROM g AS o
    JOIN g AS s ON s.commune_code = o.successors[1] AND (s.valid_until IS NULL OR s.valid_until > o.valid_until)
    WHERE o.valid_until IS NOT NULL AND cardinality(o.successors) > 0
      AND NOT EXISTS (SELECT 1 FROM g AS later WHERE later.commune_code = o.commune_code
                      AND later.valid_from >= o.valid_until)
)
INSERT INTO area_map (commune, valid_from, valid_until, unit_commune, district, province, areas)
SELECT commune, valid_from, valid_until, unit, district_code, province_code,
       ARRAY[unit, district_code, province_code, 'VN']
FROM (SELECT * FROM own UNION ALL SELECT * FROM after_end) AS m
"""
)

BUILD_CURRENT = (
    _UNITS
    + """
, today AS (
    SELECT DISTINCT ON (commune_code) commune_code, district_code, province_code
    FROM g WHERE valid_until IS NULL ORDER BY commune_code, valid_from DESC
), target AS (
    SELECT DISTINCT ON (g.commune_code) g.commune_code AS commune,
           CASE WHEN t.commune_code IS NOT NULL THEN g.commune_code ELSE g.successors[1] END AS unit
    FROM g LEFT JOIN today AS t ON t.commune_code = g.commune_code
    ORDER BY g.commune_code, g.valid_from DESC
)
INSERT INTO area_map (commune, valid_from, valid_until, unit_commune, district, province, areas)
SELECT target.commune, '-infinity'::date, NULL, t.commune_code, t.district_code, t.province_code,
       ARRAY[t.commune_code, t.district_code, t.province_code, 'VN']
FROM target JOIN today AS t ON t.commune_code = target.unit
"""
)


def refresh_area_map(conn: psycopg.Connection, rules: Rules) -> bool:
    """Rebuild the current schema's area_map if the gazetteer has a newer load; True if rebuilt.

    Call inside a transaction whose search_path is the version's schema.
    """
    (load_id,) = conn.execute(GAZETTEER_LOAD).fetchone()  # type: ignore[misc]
    built = conn.execute(BUILT_FROM).fetchone()
    if built is not None and built[0] == load_id:
        return False
    conn.execute(LOCK, (_LOCK_KEY,))
    built = conn.execute(BUILT_FROM).fetchone()
    if built is not None and built[0] == load_id:
        return False
    conn.execute(CLEAR)
    conn.execute(BUILD_CURRENT if rules.boundaries == "current" else BUILD_AS_OF_DATE)
    conn.execute(RECORD, (load_id,))
    return True
