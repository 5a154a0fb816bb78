"""The SQL that counts indicator facts for one area and period, as named constants.

Every query asks whether a row's commune counted in the area on the date that matters for it
(a stock on the period's last day, a birth on its date, a death on the day before): one query
shape for a commune, a district, a province or VN, and never a sum of communes. Flows join
`area_map` on their date. The big stock and exposure scans take the area's communes resolved
first (AREA_COMMUNES) as arrays, so the planner knows how many rows are coming: index lookups
for a commune, hash joins for a province. Knowledge filter on every table:
known_from < k <= known_to (k = 'infinity' for what is known now).

Parameters: area, d (stock date), dymd (d as the integer YYYYMMDD), communes (the area's
communes on d), k (knowledge instant), ps/pe (period first/last day), psymd (ps as the integer
YYYYMMDD), pe1 (the day after it),
spans_commune/spans_from/spans_until (the area's communes and their dates within the period).
"""

from __future__ import annotations

from projections.definitions import FERTILE

KNOWN = "{t}.known_from < %(k)s::timestamptz AND ({t}.known_to IS NULL OR {t}.known_to >= %(k)s::timestamptz)"
COVERS = "{t}.valid_from <= {d} AND ({t}.valid_to IS NULL OR {t}.valid_to > {d})"
# Written as equalities on the map's columns (not `= ANY(areas)`) so that the planner estimates
# how many communes an area has, and picks hash joins for a province, index loops for a commune.
AREA = "%(area)s IN ({m}.unit_commune, {m}.district, {m}.province, 'VN')"
IN_AREA = AREA + " AND {m}.valid_from <= {d} AND ({m}.valid_until IS NULL OR {d} < {m}.valid_until)"


# The area's communes and the part of the period each counted in it.
AREA_COMMUNES = f"""
SELECT commune, greatest(valid_from, %(ps)s::date), least(coalesce(valid_until, 'infinity'::date), %(pe1)s::date)
FROM area_map
WHERE {AREA.format(m="area_map")} AND valid_from < %(pe1)s AND (valid_until IS NULL OR valid_until > %(ps)s)
ORDER BY commune, valid_from
"""

_RESIDENT = (
    f"""r.commune = ANY(%(communes)s::text[]) AND {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}"""
)


# A resident woman's marital and contraception episodes on day d, under a knowledge condition
# on table {t} (at most one of each covers a day in any state of knowledge: no rows added).
def women_joins(known: str) -> str:
    return f"""
    LEFT JOIN marital_episodes AS e ON e.person_id = r.person_id AND e.status = 'married'
         AND {COVERS.format(t="e", d="%(d)s::date")} AND {known.format(t="e")}
    LEFT JOIN contraception_episodes AS c ON c.person_id = r.person_id
         AND {COVERS.format(t="c", d="%(d)s::date")} AND {known.format(t="c")}"""


WOMEN_15_49 = "r.sex = 'F' AND r.birth_ymd > %(dymd)s - 500000 AND r.birth_ymd <= %(dymd)s - 150000"

POPULATION = f"SELECT jsonb_build_object('mid_population', count(*)) FROM residence_episodes AS r WHERE {_RESIDENT}"

# Small histograms, made into the catalogue's facts in Python (projections.read.indicators): persons
# by (sex, completed years); women 15-49 by (married, method in use). At most one marital and one
# contraception episode covers a day in any state of knowledge, so the LEFT JOINs add no rows.
# The women are selected from the table again (ages 15-49 as a birth_ymd range) rather than from
# `pop`, so that the planner sees how many there are.
STOCKS = f"""
WITH women AS (
    SELECT e.person_id IS NOT NULL AS married, c.method
    FROM residence_episodes AS r {women_joins(KNOWN)}
    WHERE {_RESIDENT} AND {WOMEN_15_49}
)
SELECT (
    -- one scan, two hash aggregates: persons by (sex, age) and the distinct households
    SELECT jsonb_build_object(
        'ages', coalesce(jsonb_agg(jsonb_build_array(sex, age, n)) FILTER (WHERE by_age), '[]'::jsonb),
        'households', count(*) FILTER (WHERE NOT by_age))
    FROM (SELECT r.sex, (%(dymd)s - r.birth_ymd) / 10000 AS age, count(*) AS n,
                 GROUPING(r.household_id) = 1 AS by_age
          FROM residence_episodes AS r WHERE {_RESIDENT}
          GROUP BY GROUPING SETS ((r.sex, 2), (r.household_id))) AS g
) || jsonb_build_object(
    'women', (SELECT coalesce(jsonb_agg(jsonb_build_array(married, method, n)), '[]'::jsonb)
              FROM (SELECT married, method, count(*) AS n FROM women GROUP BY married, method) AS w))
"""

_MOTHER_AGES = ", ".join(f"'{lo}', count(*) FILTER (WHERE b.mother_age BETWEEN {lo} AND {lo + 4})" for lo in FERTILE)

BIRTHS = f"""
SELECT jsonb_build_object(
    'births', count(*),
    'births_male', count(*) FILTER (WHERE b.sex = 'M'),
    'births_female', count(*) FILTER (WHERE b.sex = 'F'),
    'births_order_3_plus', count(*) FILTER (WHERE b.birth_order >= 3),
    'births_by_mother_age', jsonb_build_object({_MOTHER_AGES}))
FROM births AS b
JOIN area_map AS m ON m.commune = b.commune AND {IN_AREA.format(m="m", d="b.occurred_on")}
WHERE b.occurred_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="b")}
"""

# Deaths count where the person lived the day before (INDICATORS.md).
DEATHS = f"""
SELECT jsonb_build_object('deaths', count(*))
FROM deaths AS x
JOIN area_map AS m ON m.commune = x.commune AND {IN_AREA.format(m="m", d="(x.occurred_on - 1)")}
WHERE x.occurred_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="x")}
"""

UNIONS = f"""
SELECT jsonb_build_object(
    'marriages', count(*) FILTER (WHERE u.kind = 'marriage'),
    'divorces', count(*) FILTER (WHERE u.kind = 'divorce'),
    'child_marriages', count(*) FILTER (WHERE u.kind = 'marriage' AND u.child_marriage))
FROM marriages AS u
JOIN area_map AS m ON m.commune = u.commune AND {IN_AREA.format(m="m", d="u.occurred_on")}
WHERE u.occurred_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="u")}
"""

CONTRACEPTION = f"""
SELECT jsonb_build_object('contraception_new_users', count(*))
FROM contraception_episodes AS c
JOIN area_map AS m ON m.commune = c.commune AND {IN_AREA.format(m="m", d="c.valid_from")}
WHERE c.valid_from BETWEEN %(ps)s AND %(pe)s AND c.sex = 'F' AND {KNOWN.format(t="c")}
"""

# Following people: out of the area when the origin is in it and the destination is not (on
# each end's own date); unknown or ABROAD ends are in no area, so they cross every level.
MOVES = f"""
SELECT jsonb_build_object(
  'out_migrants', (
    SELECT count(*) FROM moves AS v
    JOIN area_map AS o ON o.commune = v.from_commune AND {IN_AREA.format(m="o", d="v.out_on")}
    WHERE v.out_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="v")}
      AND NOT EXISTS (SELECT 1 FROM area_map AS t WHERE t.commune = v.to_commune
                      AND {IN_AREA.format(m="t", d="coalesce(v.in_on, v.out_on)")})),
  'in_migrants', (
    SELECT count(*) FROM moves AS v
    JOIN area_map AS t ON t.commune = v.to_commune AND {IN_AREA.format(m="t", d="v.in_on")}
    WHERE v.in_on BETWEEN %(ps)s AND %(pe)s AND {KNOWN.format(t="v")}
      AND NOT EXISTS (SELECT 1 FROM area_map AS o WHERE o.commune = v.from_commune
                      AND {IN_AREA.format(m="o", d="coalesce(v.out_on, v.in_on)")})))
"""

# Woman-days lived in five-year age groups inside the area during the period: every residence
# episode is cut at the period's ends and at the commune's dates in the area; a period is shorter
# than five years, so a piece crosses at most one group boundary, her birthday `next` (a day
# counts when she is in the population at its end, at her age that day). Rows: (group g of the
# piece's first day, days in g, days in g + 5); one flat aggregate, so it runs in parallel.
# Dates as YYYYMMDD integers: ages by integer division, and the birthday as the first of her
# birth month plus (day - 1) days, which puts a 29 February birthday on 1 March in common years.
PIECE_YMD = "(date_part('year', {d}) * 10000 + date_part('month', {d}) * 100 + date_part('day', {d}))::integer"
EXPOSURE = f"""
SELECT jsonb_build_object('exposure_days', coalesce(jsonb_agg(jsonb_build_array(g, d_in, d_next)), '[]'::jsonb))
FROM (
    SELECT g, sum(least(hi, next) - lo) AS d_in, sum(greatest(0, hi - next)) AS d_next
    FROM (
        SELECT lo, hi, g, make_date(birth_ymd / 10000 + g + 5, birth_ymd / 100 %% 100, 1) + (birth_ymd %% 100 - 1) AS next
        FROM (
            SELECT r.birth_ymd, greatest(r.valid_from, m.valid_from) AS lo,
                   least(coalesce(r.valid_to, 'infinity'::date), m.valid_until) AS hi,
                   (CASE WHEN greatest(r.valid_from, m.valid_from) = %(ps)s THEN %(psymd)s
                         ELSE {PIECE_YMD.format(d="greatest(r.valid_from, m.valid_from)")} END
                    - r.birth_ymd) / 50000 * 5 AS g
            FROM residence_episodes AS r
            JOIN unnest(%(spans_commune)s::text[], %(spans_from)s::date[], %(spans_until)s::date[])
                 AS m (commune, valid_from, valid_until) ON m.commune = r.commune
            WHERE r.commune = ANY(%(spans_commune)s::text[]) AND r.sex = 'F'
              AND r.valid_from < %(pe1)s AND (r.valid_to IS NULL OR r.valid_to > %(ps)s)
              AND r.birth_date > %(ps)s::date - interval '51 years' AND r.birth_date <= %(pe1)s::date - interval '14 years'
              AND {KNOWN.format(t="r")}
        ) AS aged
        WHERE hi > lo AND g BETWEEN 10 AND 45
    ) AS piece
    GROUP BY g
) AS per_group
"""

QUERIES: dict[str, str] = {
    "stock": STOCKS,
    "mid": POPULATION,
    "births": BIRTHS,
    "deaths": DEATHS,
    "unions": UNIONS,
    "moves": MOVES,
    "contraception": CONTRACEPTION,
    "exposure": EXPOSURE,
}
