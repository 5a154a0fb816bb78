"""The SQL that counts indicator facts for one area and period, as named constants.

Every query joins each row's commune to `area_map` on the date that matters for it (a stock on
the period's last day, a birth on its date, a death on the day before) and asks whether the
area code is one of the areas the commune counted in then: one query shape for a commune, a
district, a province or VN, and never a sum of communes. Knowledge filter on every table:
known_from < k <= known_to (k = 'infinity' for what is known now).

Parameters: area, d (stock date), k (knowledge instant), ps/pe (period first/last day),
pe1 (the day after the period), dymd (the stock date as the integer YYYYMMDD).
"""

from __future__ import annotations

from projections.definitions import FERTILE

KNOWN = "{t}.known_from < %(k)s::timestamptz AND ({t}.known_to IS NULL OR {t}.known_to >= %(k)s::timestamptz)"
COVERS = "{t}.valid_from <= {d} AND ({t}.valid_to IS NULL OR {t}.valid_to > {d})"
# Written as equalities on the map's columns (not `= ANY(areas)`) so that the planner estimates
# how many communes an area has, and picks hash joins for a province, index loops for a commune.
AREA = "%(area)s IN ({m}.unit_commune, {m}.district, {m}.province, 'VN')"
IN_AREA = AREA + " AND {m}.valid_from <= {d} AND ({m}.valid_until IS NULL OR {d} < {m}.valid_until)"


_POP = f"""
pop AS MATERIALIZED (
    SELECT r.person_id, r.household_id, r.sex, (%(dymd)s - r.birth_ymd) / 10000 AS age
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
    WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}
)"""

POPULATION = f"""
SELECT jsonb_build_object('mid_population', count(*))
FROM residence_episodes AS r
JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}
"""

# Small histograms, made into the catalogue's facts in Python (projections.indicators): persons
# by (sex, completed years); women 15-49 by (married, method in use). At most one marital and one
# contraception episode covers a day in any state of knowledge, so the LEFT JOINs add no rows.
# The women are selected from the table again (ages 15-49 as a birth_ymd range) rather than from
# `pop`, so the planner sees their number: index lookups for a commune, hash joins for a province.
STOCKS = f"""
WITH {_POP},
women AS (
    SELECT e.person_id IS NOT NULL AS married, c.method
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
    LEFT JOIN marital_episodes AS e ON e.person_id = r.person_id AND e.status = 'married'
         AND {COVERS.format(t="e", d="%(d)s::date")} AND {KNOWN.format(t="e")}
    LEFT JOIN contraception_episodes AS c ON c.person_id = r.person_id
         AND {COVERS.format(t="c", d="%(d)s::date")} AND {KNOWN.format(t="c")}
    WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")} AND r.sex = 'F'
      AND r.birth_ymd > %(dymd)s - 500000 AND r.birth_ymd <= %(dymd)s - 150000
)
SELECT jsonb_build_object(
    'ages', (SELECT coalesce(jsonb_agg(jsonb_build_array(sex, age, n)), '[]'::jsonb)
             FROM (SELECT sex, age, count(*) AS n FROM pop GROUP BY sex, age) AS a),
    'households', (SELECT count(*) FROM (SELECT DISTINCT household_id FROM pop) AS h),
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

# Woman-years lived in each five-year age group inside the area during the period: every
# residence episode is cut at the period's ends and at the commune's dates in the area; a period
# is shorter than five years, so a piece crosses at most one group boundary, her birthday `next`
# (a day counts when she is in the population at its end, at her age on that day).
EXPOSURE = f"""
WITH ep AS (
    SELECT r.birth_date AS born, r.birth_ymd,
           greatest(r.valid_from, m.valid_from, %(ps)s::date) AS lo,
           least(coalesce(r.valid_to, 'infinity'::date), coalesce(m.valid_until, 'infinity'::date),
                 %(pe1)s::date) AS hi
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND {AREA.format(m="m")}
         AND m.valid_from < %(pe1)s AND (m.valid_until IS NULL OR m.valid_until > %(ps)s)
    WHERE r.sex = 'F' AND r.valid_from < %(pe1)s AND (r.valid_to IS NULL OR r.valid_to > %(ps)s)
      AND r.birth_date > %(ps)s::date - interval '51 years' AND r.birth_date <= %(pe1)s::date - interval '14 years'
      AND {KNOWN.format(t="r")}
), cut AS (
    SELECT lo, hi, g, birthday(born, g + 5) AS next
    FROM (SELECT lo, hi, born,
                 ((extract(year FROM lo) * 10000 + extract(month FROM lo) * 100 + extract(day FROM lo))::integer
                  - birth_ymd) / 50000 * 5 AS g
          FROM ep WHERE hi > lo) AS aged
), pieces AS (
    SELECT g, least(hi, next) - lo AS days FROM cut
    UNION ALL
    SELECT g + 5, hi - next FROM cut WHERE hi > next
)
SELECT jsonb_build_object('woman_years', coalesce(jsonb_object_agg(g::text, years), '{{}}'::jsonb))
FROM (SELECT g, sum(days) / 365.25 AS years FROM pieces WHERE g BETWEEN 15 AND 45 GROUP BY g) AS y
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
