"""Data checks on the register's stock: age heaping (Whipple's index), as a sign of ages guessed.

Whipple's index (UN Manual X; DEMOGRAPHY.md): the persons aged 25, 30, ..., 60 over one fifth of
those aged 23 to 62, × 100, at the end of the period's last day. 100 means no preference for ages
ending in 0 or 5; 500 means everyone reported such an age. The UN's ratings: under 105 highly
accurate, 105-110 fairly accurate, 110-125 approximate, 125-175 rough, 175 and over very rough.
A register whose birth dates came from old books where ages were estimated heaps; one whose
births were recorded as they happened does not. The counting is the pyramid's (the same persons
as the catalogue's pop_age_*), by single year of age.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from projections.http.dashboard.breakdowns import enter_live, period_params
from projections.periods import parse_period
from projections.read.indicator_sql import COVERS, IN_AREA, KNOWN

SINGLE_AGES = f"""
SELECT (%(dymd)s - r.birth_ymd) / 10000 AS age, count(*)::int AS n
FROM residence_episodes AS r
JOIN area_map AS m ON m.commune = r.commune AND {IN_AREA.format(m="m", d="%(d)s::date")}
WHERE {COVERS.format(t="r", d="%(d)s::date")} AND {KNOWN.format(t="r")}
  AND (%(dymd)s - r.birth_ymd) / 10000 BETWEEN 23 AND 62
GROUP BY 1
"""

RATINGS = ((105, "highly accurate"), (110, "fairly accurate"), (125, "approximate"), (175, "rough"))


def whipple(by_age: dict[int, int]) -> float | None:
    total = sum(n for age, n in by_age.items() if 23 <= age <= 62)
    if not total:
        return None
    heaped = sum(n for age, n in by_age.items() if 25 <= age <= 60 and age % 5 == 0)
    return round(100.0 * heaped / (total / 5), 2)


def rating(index: float | None) -> str | None:
    if index is None:
        return None
    return next((words for limit, words in RATINGS if index < limit), "very rough")


def age_heaping(conn: psycopg.Connection, area: str, period: str, known_on: date | None = None) -> dict[str, Any]:
    per = parse_period(period)
    params = period_params(area, period, known_on)
    with conn.transaction():
        enter_live(conn)
        by_age: dict[int, int] = {int(a): int(n) for a, n in conn.execute(SINGLE_AGES, params).fetchall()}
    index = whipple(by_age)
    return {
        "area": area,
        "period": per.code,
        "on": per.end.isoformat(),
        "known_on": known_on.isoformat() if known_on else None,
        "persons_23_62": sum(by_age.values()),
        "whipple": index,
        "rating": rating(index),
    }
