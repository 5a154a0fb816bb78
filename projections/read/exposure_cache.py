"""Per-commune, per-month woman-years (the fertility rates' denominators) of what is known now.

Woman-days lived in each five-year age group add up over communes (a woman lives in one commune
on a day) and over months (every day counts in the group of her age that day), so a period's
exposure in an area is the sum of its months' rows for the communes that counted in the area
for the whole month. That holds when the area's communes change only at the start of a month
(the 1 July 2025 reform does); otherwise the caller counts the period from the episodes. Rows
are kept in `exposure_cache` under the month's last day and are used and replaced exactly as
the stock snapshots are (projections.read.stock_cache: a change of the commune on or before that day
that the row's snapshot and the reader's disagree on makes it counted again).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import psycopg

from projections.periods import Period, parse_period, ymd
from projections.read.indicator_sql import PIECE_YMD
from projections.read.stock_cache import Pending, mostly_missing, queue, snapshot, valid

TABLE = "exposure_cache"

# The EXPOSURE query of projections.read.indicator_sql with the pieces cut at month ends instead of at
# the area's dates, grouped by commune and month: rows (commune, month's first day, g, days in g,
# days in g + 5).
COUNT = f"""
SELECT commune, ps, g, sum(least(hi, next) - lo), sum(greatest(0, hi - next))
FROM (
    SELECT commune, ps, lo, hi, g,
           make_date(birth_ymd / 10000 + g + 5, birth_ymd / 100 %% 100, 1) + (birth_ymd %% 100 - 1) AS next
    FROM (
        SELECT r.commune, m.ps, r.birth_ymd, greatest(r.valid_from, m.ps) AS lo,
               least(coalesce(r.valid_to, 'infinity'::date), m.pe1) AS hi,
               (CASE WHEN r.valid_from <= m.ps THEN m.psymd
                     ELSE {PIECE_YMD.format(d="r.valid_from")} END - r.birth_ymd) / 50000 * 5 AS g
        FROM residence_episodes AS r
        JOIN unnest(%(starts)s::date[], %(afters)s::date[], %(starts_ymd)s::integer[]) AS m (ps, pe1, psymd)
             ON r.valid_from < m.pe1 AND (r.valid_to IS NULL OR r.valid_to > m.ps)
        WHERE r.commune = ANY(%(communes)s::text[]) AND r.sex = 'F' AND r.known_to IS NULL
          AND r.valid_from < %(last)s AND (r.valid_to IS NULL OR r.valid_to > %(first)s)
          AND r.birth_date > %(first)s::date - interval '51 years' AND r.birth_date <= %(last)s::date - interval '14 years'
    ) AS aged
    WHERE hi > lo AND g BETWEEN 10 AND 45
) AS piece
GROUP BY 1, 2, 3
"""


def months(period: Period) -> list[Period]:
    """The months of a period, in order."""
    out, day = [], period.start
    while day <= period.end:
        month = parse_period(f"{day.year}-{day.month:02d}")
        out.append(month)
        day = month.after
    return out


def count(conn: psycopg.Connection, communes: list[str], spans: list[Period]) -> dict[tuple[str, date], Any]:
    """{(commune, month's last day): [[g, days in g, days in g + 5]]} from the episodes, for every
    commune and month asked (empty lists where no woman lived)."""
    out: dict[tuple[str, date], Any] = {(c, m.end): [] for c in communes for m in spans}
    ends = {m.start: m.end for m in spans}
    params = {
        "communes": communes,
        "starts": [m.start for m in spans],
        "afters": [m.after for m in spans],
        "starts_ymd": [ymd(m.start) for m in spans],
        "first": spans[0].start,
        "last": spans[-1].after,
    }
    conn.execute("SET LOCAL jit = off")
    for commune, start, g, d_in, d_next in conn.execute(COUNT, params, prepare=False).fetchall():
        out[(commune, ends[start])].append([g, int(d_in), int(d_next)])
    return out


def refresh(
    conn: psycopg.Connection, communes: list[str], spans: list[Period], pending: Pending, *, or_none: bool = False
) -> dict[tuple[str, date], Any] | None:
    """Every (commune, month) row: the valid stored ones, the others counted (and queued); with
    `or_none`, None instead when most are missing."""
    rows = valid(conn, TABLE, communes, [m.end for m in spans])
    missing = [(c, m) for c in communes for m in spans if (c, m.end) not in rows]
    if or_none and mostly_missing(len(missing), len(communes) * len(spans)):
        return None
    if missing:
        snap = snapshot(conn)
        again = sorted({c for c, _ in missing})
        counted = count(conn, again, [m for m in spans if any(m is n for _, n in missing)])
        queue(pending, TABLE, snap, counted)
        rows.update(counted)
    return rows


def exposure_rows(
    conn: psycopg.Connection, spans: Iterable[tuple[str, date, date]], period: Period, pending: Pending
) -> list[list[Any]] | None:
    """The area's (g, days in g, days in g + 5) rows for the period from the monthly rows, given
    its communes' spans (commune, first day, day after) within the period; None when a span
    starts or ends inside a month, or when most rows are missing."""
    spans = list(spans)
    if any(start.day != 1 or until.day != 1 for _, start, until in spans):
        return None
    per_month = months(period)
    communes = sorted({c for c, _, _ in spans})
    rows = refresh(conn, communes, per_month, pending, or_none=True)
    if rows is None:
        return None
    out: list[list[Any]] = []
    for commune, start, until in spans:
        for m in per_month:
            if start <= m.start and m.after <= until:
                out.extend(rows[(commune, m.end)])
    return out


def month_window(days: Iterable[date]) -> list[Period]:
    """The months from the first of `days` to the last, oldest first."""
    days = sorted(days)
    if not days:
        return []
    return months(
        Period(
            "window",
            "window",
            days[0].replace(day=1),
            (days[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1),
        )
    )
