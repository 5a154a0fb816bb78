"""The counts a forecast is estimated from, read from a version's read model (call inside a
transaction whose search_path is the version's schema; projections.versions.use_schema).

The scope is the province the area belongs to on the base date (VN is refused upstream): all its
communes are projected together. Every record counts in the unit its commune code maps to on the
base date (`area_map`, the version's boundary rule), so a history recorded under older codes is
counted in the units of the base date. Knowledge filter as in projections.read.indicator_sql:
what was known on `known_on` (now when None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import psycopg

from projections.forecast.estimate import Counts
from projections.forecast.lifetable import AGES, OPEN_AGE
from projections.periods import knowledge_instant, ymd
from projections.read.indicator_sql import KNOWN

SEX = {"M": 0, "F": 1}

# Recorded commune codes -> the unit, district and province they count in on the base date.
UNITS_ON = """
SELECT commune, unit_commune, district, province FROM area_map
WHERE valid_from <= %(b)s AND (valid_until IS NULL OR %(b)s < valid_until)
  AND (%(scope)s = 'VN' OR province = %(scope)s)
"""
# The scope an area belongs to on the base date.
SCOPE_OF = """
SELECT DISTINCT province FROM area_map
WHERE %(area)s IN (unit_commune, district, province, 'VN')
  AND valid_from <= %(b)s AND (valid_until IS NULL OR %(b)s < valid_until)
"""
HISTORY = f"""
SELECT min(r.valid_from), max(r.valid_from) FROM residence_episodes AS r
WHERE r.commune = ANY(%(codes)s::text[]) AND {KNOWN.format(t="r")}
"""
STOCK = f"""
SELECT r.commune, r.sex, least((%(dymd)s - r.birth_ymd) / 10000, {OPEN_AGE}) AS age, count(*)
FROM residence_episodes AS r
WHERE r.commune = ANY(%(codes)s::text[]) AND r.valid_from <= %(d)s AND (r.valid_to IS NULL OR r.valid_to > %(d)s)
  AND {KNOWN.format(t="r")}
GROUP BY 1, 2, 3
"""
# Person-days lived at each completed age in [ps, b): every episode cut at the period's ends and
# at the birthdays inside it (a 29 February birthday on 1 March in common years, as elsewhere).
_YMD = "(date_part('year', {d}) * 10000 + date_part('month', {d}) * 100 + date_part('day', {d}))::integer"
_BIRTHDAY = "(make_date(e.birth_ymd / 10000 + {a}, e.birth_ymd / 100 %% 100, 1) + (e.birth_ymd %% 100 - 1))"
EXPOSURE = f"""
SELECT e.commune, e.sex, least(a, {OPEN_AGE}),
       sum(least(e.hi, {_BIRTHDAY.format(a="a + 1")}) - greatest(e.lo, {_BIRTHDAY.format(a="a")}))
FROM (
    SELECT r.commune, r.sex, r.birth_ymd, greatest(r.valid_from, %(ps)s::date) AS lo,
           least(coalesce(r.valid_to, 'infinity'::date), %(b)s::date) AS hi
    FROM residence_episodes AS r
    WHERE r.commune = ANY(%(codes)s::text[]) AND r.valid_from < %(b)s
      AND (r.valid_to IS NULL OR r.valid_to > %(ps)s) AND r.birth_ymd IS NOT NULL AND {KNOWN.format(t="r")}
) AS e
CROSS JOIN LATERAL generate_series(({_YMD.format(d="e.lo")} - e.birth_ymd) / 10000,
                                   ({_YMD.format(d="e.hi - 1")} - e.birth_ymd) / 10000) AS a
WHERE e.hi > e.lo AND a >= 0
GROUP BY 1, 2, 3
"""
BIRTHS = f"""
SELECT b.commune, least(b.mother_age, {OPEN_AGE}), b.sex, count(*) FROM births AS b
WHERE b.commune = ANY(%(codes)s::text[]) AND b.occurred_on >= %(ps)s AND b.occurred_on < %(b)s
  AND b.mother_age IS NOT NULL AND {KNOWN.format(t="b")}
GROUP BY 1, 2, 3
"""
DEATHS = f"""
SELECT x.commune, x.sex, least(x.age, {OPEN_AGE}), count(*) FROM deaths AS x
WHERE x.commune = ANY(%(codes)s::text[]) AND x.occurred_on >= %(ps)s AND x.occurred_on < %(b)s
  AND x.age IS NOT NULL AND {KNOWN.format(t="x")}
GROUP BY 1, 2, 3
"""
# Person-moves leaving a commune of the scope, or arriving in one, in the period; sex and birth
# date from the person.
MOVES = f"""
SELECT v.from_commune, v.to_commune, v.out_on, v.in_on, p.sex, p.birth_date, v.out_event_id, v.in_event_id
FROM moves AS v JOIN persons AS p ON p.person_id = v.person_id
WHERE {KNOWN.format(t="v")} AND p.birth_date IS NOT NULL
  AND ((v.from_commune = ANY(%(codes)s::text[]) AND v.out_on >= %(ps)s AND v.out_on < %(b)s)
    OR (v.to_commune = ANY(%(codes)s::text[]) AND v.in_on >= %(ps)s AND v.in_on < %(b)s))
"""


class ForecastInputError(ValueError):
    """A base date, area or option the forecast cannot use; `field` names the parameter.
    `missing`: well-formed, but the register has no history there (HTTP 404, not 422)."""

    def __init__(self, field: str, message: str, missing: bool = False):
        super().__init__(message)
        self.field = field
        self.missing = missing


@dataclass
class Scope:
    code: str
    units: list[str]
    districts: list[str | None]
    provinces: list[str]
    code_unit: dict[str, int]  # recorded commune code -> unit index


def scope_of(conn: psycopg.Connection, area: str, base: date) -> str:
    rows = [r[0] for r in conn.execute(SCOPE_OF, {"area": area, "b": base}).fetchall()]
    if not rows:
        raise ForecastInputError("area", f"area {area!r} is not a unit of the gazetteer on {base.isoformat()}", True)
    return "VN" if area == "VN" or len(rows) > 1 else rows[0]


def load_scope(conn: psycopg.Connection, scope: str, base: date) -> Scope:
    rows = conn.execute(UNITS_ON, {"b": base, "scope": scope}).fetchall()
    info: dict[str, tuple[str | None, str]] = {}
    for _, unit, district, province in rows:
        info[unit] = (district, province)
    units = sorted(info)
    index = {u: i for i, u in enumerate(units)}
    return Scope(
        code=scope,
        units=units,
        districts=[info[u][0] if scope != "VN" else info[u][1] for u in units],
        provinces=[info[u][1] for u in units],
        code_unit={code: index[unit] for code, unit, _, _ in rows},
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age(born: date, on: date) -> int:
    return min((ymd(on) - ymd(born)) // 10000, OPEN_AGE)


def _dispersion(groups: dict[str, int]) -> float:
    """Σg² / Σg over the persons per recorded move: how much more a count of movers varies than a
    Poisson count of independent people (a compound Poisson's variance-to-mean ratio)."""
    sizes = np.array(list(groups.values()), dtype=float)
    return float((sizes**2).sum() / sizes.sum()) if sizes.sum() > 0 else 1.0


def stock(conn: psycopg.Connection, scope: Scope, day: date, known_on: date | None) -> np.ndarray:
    """[U, 2, AGES] persons living in each unit of the scope on `day`, by sex and completed years."""
    out = np.zeros((len(scope.units), 2, AGES))
    params = {"codes": list(scope.code_unit), "k": knowledge_instant(known_on), "d": day, "dymd": ymd(day)}
    for code, sex, age, n in conn.execute(STOCK, params, prepare=False):
        if sex in SEX and age is not None and age >= 0:
            out[scope.code_unit[code], SEX[sex], age] += n
    return out


def load_counts(
    conn: psycopg.Connection, scope: Scope, base: date, years: int, known_on: date | None
) -> tuple[Counts, dict[str, object]]:
    """The scope's counts for the base period [base − years, base), and what was read."""
    codes = list(scope.code_unit)
    k = knowledge_instant(known_on)
    first, last = conn.execute(HISTORY, {"codes": codes, "k": k}).fetchone() or (None, None)
    if first is None:
        raise ForecastInputError(
            "area",
            f"nobody has lived in {scope.code} as known {'now' if known_on is None else 'on ' + known_on.isoformat()}",
            True,
        )
    if base <= first:
        raise ForecastInputError(
            "base",
            f"base date {base.isoformat()} is not after the register's first record here ({first.isoformat()})",
            True,
        )
    if known_on is not None and base > known_on:
        raise ForecastInputError(
            "base", f"base date {base.isoformat()} is after the day of knowledge {known_on.isoformat()}", True
        )
    ps = max(_years_before(base, years), first)
    U = len(scope.units)
    params = {"codes": codes, "k": k, "ps": ps, "b": base}

    pop = stock(conn, scope, base, known_on)
    exposure = np.zeros((U, 2, AGES))
    for code, sex, age, days in conn.execute(EXPOSURE, params, prepare=False):
        if sex in SEX:
            exposure[scope.code_unit[code], SEX[sex], age] += days / 365.25
    births = np.zeros((U, AGES, 2))
    for code, age, sex, n in conn.execute(BIRTHS, params, prepare=False):
        if sex in SEX and age >= 0:
            births[scope.code_unit[code], age, SEX[sex]] += n
    deaths = np.zeros((U, 2, AGES))
    for code, sex, age, n in conn.execute(DEATHS, params, prepare=False):
        if code in scope.code_unit and sex in SEX and age >= 0:
            deaths[scope.code_unit[code], SEX[sex], age] += n
    out_moves = np.zeros((U, 2, AGES))
    in_moves = np.zeros((U, 2, AGES))
    od = np.zeros((U, U))
    out_groups: dict[str, int] = {}  # persons per recorded move (a family moves together)
    in_groups: dict[str, int] = {}
    for origin, dest, out_on, in_on, sex, born, out_event, in_event in conn.execute(MOVES, params, prepare=False):
        if sex not in SEX:
            continue
        u = scope.code_unit.get(origin) if out_on is not None and ps <= out_on < base else None
        v = scope.code_unit.get(dest)
        if u is not None:
            if v == u:
                continue  # a move inside one unit is no migration at this level
            out_moves[u, SEX[sex], _age(born, out_on)] += 1
            out_groups[out_event or f"_{len(out_groups)}"] = out_groups.get(out_event or f"_{len(out_groups)}", 0) + 1
            if v is not None:
                od[u, v] += 1
        elif (
            v is not None
            and in_on is not None
            and ps <= in_on < base
            and (out_on is None or scope.code_unit.get(origin) is None)
        ):
            in_moves[v, SEX[sex], _age(born, in_on)] += 1
            in_groups[in_event or f"_{len(in_groups)}"] = in_groups.get(in_event or f"_{len(in_groups)}", 0) + 1
    counts = Counts(
        units=scope.units,
        districts=scope.districts,
        scope=scope.code,
        years=(base - ps).days / 365.25,
        pop=pop,
        exposure=exposure,
        births=births,
        deaths=deaths,
        out_moves=out_moves,
        od=od,
        in_moves=in_moves,
        dispersion={"out": _dispersion(out_groups), "in": _dispersion(in_groups)},
    )
    return counts, {"period_from": ps, "period_to": base, "history_from": first, "last_record": last}
