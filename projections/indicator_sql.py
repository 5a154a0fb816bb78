"""The SQL that counts indicator facts for one area and period, as named constants.

Every query joins each row's commune to `area_map` on the date that matters for it (a stock on
the period's last day, a birth on its date, a death on the day before) and asks whether the
area code is one of the areas the commune counted in then: one query shape for a commune, a
district, a province or VN, and never a sum of communes. Knowledge filter on every table:
known_from < k <= known_to (k = 'infinity' for what is known now).

Parameters: area, d (stock date), k (knowledge instant), ps/pe (period first/last day),
pe1 (the day after the period), modern (modern method names).
"""

from __future__ import annotations

from projections.definitions import AGE_GROUPS, BANDS, FERTILE

KNOWN = "{t}.known_from < %(k)s::timestamptz AND ({t}.known_to IS NULL OR {t}.known_to >= %(k)s::timestamptz)"
COVERS = "{t}.valid_from <= {d} AND ({t}.valid_to IS NULL OR {t}.valid_to > {d})"
IN_AREA = "%(area)s = ANY({m}.areas) AND {m}.valid_from <= {d} AND ({m}.valid_until IS NULL OR {d} < {m}.valid_until)"


def _band(lo: int, hi: int | None) -> str:
    return f"age >= {lo}" if hi is None else f"age BETWEEN {lo} AND {hi}"


_AGE_COUNTS = ",\n".join(f"'{n}', count(*) FILTER (WHERE {_band(lo, hi)})" for n, lo, hi in AGE_GROUPS + BANDS)

_POP = f"""
pop AS MATERIALIZED (
    SELECT r.person_id, r.household_id, r.sex, extract(year FROM age(%(d)s::date, r.birth_date))::int AS age
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
    WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}
)"""

POPULATION = f"WITH {_POP} SELECT jsonb_build_object('mid_population', count(*)) FROM pop"

STOCKS = f"""
WITH {_POP},
women AS MATERIALIZED (
    SELECT p.person_id,
           EXISTS (SELECT 1 FROM marital_episodes AS e
                   WHERE e.person_id = p.person_id AND e.status = 'married'
                     AND {COVERS.format(t="e", d="%(d)s::date")} AND {KNOWN.format(t="e")}) AS married,
           (SELECT c.method FROM contraception_episodes AS c
            WHERE c.person_id = p.person_id AND {COVERS.format(t="c", d="%(d)s::date")} AND {KNOWN.format(t="c")}
            ORDER BY c.valid_from DESC, c.event_id LIMIT 1) AS method
    FROM pop AS p WHERE p.sex = 'F' AND p.age BETWEEN 15 AND 49
)
SELECT (SELECT jsonb_build_object(
            'population', count(*),
            'population_male', count(*) FILTER (WHERE sex = 'M'),
            'population_female', count(*) FILTER (WHERE sex = 'F'),
            'households', count(DISTINCT household_id),
            {_AGE_COUNTS}) FROM pop)
    || (SELECT jsonb_build_object(
            'women_15_49', count(*),
            'married_women_15_49', count(*) FILTER (WHERE married),
            'married_modern', count(*) FILTER (WHERE married AND method = ANY(%(modern)s)),
            'women_modern', count(*) FILTER (WHERE method = ANY(%(modern)s)),
            'married_users', (SELECT coalesce(jsonb_object_agg(method, n), '{{}}'::jsonb)
                              FROM (SELECT method, count(*) AS n FROM women
                                    WHERE married AND method IS NOT NULL GROUP BY method) AS u))
        FROM women)
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
# residence episode is cut at the period's ends, at the commune's dates in the area, and at
# the woman's birthdays (a day counts when she is in the population at its end).
EXPOSURE = f"""
WITH ep AS (
    SELECT r.birth_date AS born,
           greatest(r.valid_from, m.valid_from, %(ps)s::date) AS lo,
           least(coalesce(r.valid_to, 'infinity'::date), coalesce(m.valid_until, 'infinity'::date),
                 %(pe1)s::date) AS hi
    FROM residence_episodes AS r
    JOIN area_map AS m ON m.commune = r.commune AND %(area)s = ANY(m.areas)
         AND m.valid_from < %(pe1)s AND (m.valid_until IS NULL OR m.valid_until > %(ps)s)
    WHERE r.sex = 'F' AND r.valid_from < %(pe1)s AND (r.valid_to IS NULL OR r.valid_to > %(ps)s)
      AND r.birth_date > %(ps)s::date - interval '51 years' AND r.birth_date <= %(pe1)s::date - interval '14 years'
      AND {KNOWN.format(t="r")}
)
SELECT jsonb_build_object('woman_years', coalesce(jsonb_object_agg(g.lower::text, g.years), '{{}}'::jsonb))
FROM (
    SELECT a.lower, sum(greatest(0, least(ep.hi, birthday(ep.born, a.lower + 5))
                                  - greatest(ep.lo, birthday(ep.born, a.lower)))) / 365.25 AS years
    FROM ep CROSS JOIN generate_series(15, 45, 5) AS a (lower)
    GROUP BY a.lower
) AS g
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
