"""Filling the stock snapshots (projections.read.stock_cache) ahead of readers, for the days asked first.

The days: the last and the middle day of each of the recent months, quarters and years (the
period end gives the stocks, the middle day the mid-period population). The units: every
commune of a province where anyone lives, grouped by the province it counts in on the day, one
(province, day) per transaction in the live version; and the woman-days
(projections.read.exposure_cache) of every month from the first of those days to the last, a province
and up to 12 months at a time. A round counts only missing or stale rows (what the sink changed
since), so in a steady state it costs a few index lookups. `popreg warm` runs one round; the
read API runs one every settings.stock_warm_seconds in a background thread, which also stores
the days readers asked for when too few of them were stored (`want`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg_pool import ConnectionPool

from infra.settings import Settings
from projections.periods import parse_period
from projections.read import exposure_cache
from projections.read.exposure_cache import month_window
from projections.read.stock_cache import Pending, refresh, store
from projections.versions import POSITION, PROJECTION, ensure_live, use_schema

log = logging.getLogger(__name__)

# Every commune of a province where anyone lives (an empty commune's row is an empty one, and
# without it a province would have to be counted from the episodes).
PROVINCE_SPANS = """
SELECT commune, valid_from, valid_until, province FROM area_map
WHERE province IN (SELECT DISTINCT m.province FROM (SELECT DISTINCT commune FROM residence_episodes) AS r
                   JOIN area_map AS m ON m.commune = r.commune)
"""
LAST_EVENT = "SELECT max(occurred_on) FROM event_archive"
BACKLOG = 5_000  # records applied between two looks that mean a bulk load is going on
REPEATABLE = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"
QUARTERS, YEARS = 8, 6  # as many as the dashboard's trend shows (static/app.js TREND_COUNT)


def recent_days(through: date, months: int) -> list[date]:
    """End and middle days of the `months` months up to `through`'s, of the 8 quarters and 6
    years up to it (the dashboard's trend windows); newest first (the page opens on the latest
    month)."""
    codes: set[str] = set()
    index = through.year * 12 + through.month - 1
    for i in range(months):
        year, month = divmod(index - i, 12)
        codes.add(f"{year}-{month + 1:02d}")
    for i in range(QUARTERS):
        year, quarter = divmod(index // 3 - i, 4)
        codes.add(f"{year}-Q{quarter + 1}")
    codes |= {str(through.year - i) for i in range(YEARS)}
    days = {d for code in codes for d in (parse_period(code).end, parse_period(code).mid)}
    return sorted((d for d in days if d <= max(through, date.today())), reverse=True)


@dataclass
class Round:
    days: int = 0
    units: int = 0  # (province, day or months) items looked at
    counted: int = 0  # commune rows counted again
    seconds: float = 0.0


_WANTED: set[date] = set()
_WANTED_LOCK = threading.Lock()
WANTED_MAX = 1000


def want(*days: date) -> None:
    """Days a reader asked for and counted from the episodes, for the next background round to
    store (they and the months between them and the recent ones)."""
    with _WANTED_LOCK:
        if len(_WANTED) < WANTED_MAX:
            _WANTED.update(days)


def take_wanted() -> set[date]:
    with _WANTED_LOCK:
        found = set(_WANTED)
        _WANTED.clear()
    return found


def last_event_day(pool: ConnectionPool) -> tuple[date | None, int]:
    """The last day with an event in the live version, and the sink's position there (records)."""
    with pool.connection() as conn, conn.transaction():
        live = ensure_live(conn)
        use_schema(conn, live.schema)
        (last,) = conn.execute(LAST_EVENT).fetchone()  # type: ignore[misc]
        (position,) = conn.execute(POSITION, (PROJECTION, live.version)).fetchone()  # type: ignore[misc]
    return last, int(position)


def _plan(spans: list[tuple], days: list[date]) -> list[tuple[Any, list[str]]]:
    """(a day, or a run of up to 12 months for woman-days; the communes of one province) items."""
    plan: list[tuple[Any, list[str]]] = []
    for day in days:
        groups: dict[str, list[str]] = defaultdict(list)
        for commune, start, until, province in spans:
            if start <= day and (until is None or day < until):
                groups[province].append(commune)
        plan += [(day, sorted(groups[p])) for p in sorted(groups)]
    latest = {commune: province for commune, _, _, province in sorted(spans, key=lambda s: s[1])}
    by_province: dict[str, list[str]] = defaultdict(list)
    for commune, province in latest.items():
        by_province[province].append(commune)
    window = month_window(days)
    for i in range(len(window), 0, -12):  # newest months first
        plan += [(window[max(0, i - 12) : i], sorted(by_province[p])) for p in sorted(by_province)]
    return plan


def warm(
    pool: ConnectionPool,
    days: list[date],
    *,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Round:
    """Count every missing or stale snapshot row of these days (stocks) and of the months from
    the first to the last of them (woman-days); stops early when `stop` is set."""
    started = time.perf_counter()
    with pool.connection() as conn, conn.transaction():
        use_schema(conn, ensure_live(conn).schema)
        spans = conn.execute(PROVINCE_SPANS).fetchall()
    plan = _plan(spans, days)
    out = Round(days=len(days))
    for what, group in plan:
        if stop is not None and stop.is_set():
            break
        pending: Pending = []
        with pool.connection() as conn, conn.transaction():
            conn.execute(REPEATABLE)
            use_schema(conn, ensure_live(conn).schema)
            if isinstance(what, date):
                refresh(conn, group, what, pending)
            else:
                exposure_cache.refresh(conn, group, what, pending)
            store(conn, pending)
        out.units += 1
        out.counted += sum(len(rows) for _, _, rows in pending)
        if progress:
            progress(out.units, len(plan))
    out.seconds = time.perf_counter() - started
    return out


def background(pool: ConnectionPool, settings: Settings, stop: threading.Event) -> None:
    """Rounds over the recent days every settings.stock_warm_seconds until `stop` (a thread of
    the read API); a failed round is logged and tried again at the next. While the sink works
    through a backlog (more than BACKLOG records since the last look) rounds wait: every row
    they counted would be stale at once."""
    seen: int | None = None
    while not stop.is_set():
        try:
            last, position = last_event_day(pool)
            busy = seen is not None and position - seen > BACKLOG
            seen = position
            if last is not None and not busy:
                days = sorted(set(recent_days(last, settings.stock_warm_months)) | take_wanted(), reverse=True)
                done = warm(pool, days, stop=stop)
                if done.counted:
                    log.info(
                        "stock snapshots: %d commune rows counted for %d days in %.1f s",
                        done.counted,
                        done.days,
                        done.seconds,
                    )
        except Exception:  # the database away for a moment must not end the API
            log.exception("stock snapshots: a warming round failed; trying again later")
        stop.wait(settings.stock_warm_seconds)
