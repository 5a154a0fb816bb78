"""The dashboard's figures: every number comes from compute_indicators or the SQL in sql.py.

Change from the previous period, trend series, per-unit values for the map and the migration
figure that summing communes would give are all made of compute_indicators calls, so each
number equals what GET /v1/indicators answers for that area and period. Results are cached
per projection position (a new batch stored by the sink, or a new gazetteer load, clears them).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

import psycopg

from projections.http.dashboard import sql
from projections.periods import Period, parse_period
from projections.read.indicators import compute_indicators
from projections.versions import POSITION, PROJECTION, ensure_live

MIGRATION = ("in_migrants", "out_migrants", "net_migration")


def shift(period: Period, steps: int) -> Period:
    """The period `steps` periods later (negative: earlier), of the same kind."""
    if period.kind == "year":
        return parse_period(str(period.start.year + steps))
    if period.kind == "quarter":
        index = period.start.year * 4 + (period.start.month - 1) // 3 + steps
        return parse_period(f"{index // 4}-Q{index % 4 + 1}")
    index = period.start.year * 12 + period.start.month - 1 + steps
    return parse_period(f"{index // 12}-{index % 12 + 1:02d}")


def change(now: Any, before: Any) -> dict[str, Any]:
    """Difference and relative change of one figure (None where either side is missing)."""
    if not isinstance(now, int | float) or not isinstance(before, int | float):
        return {"diff": None, "pct": None}
    diff = now - before
    diff = round(diff, 6) if isinstance(diff, float) else diff
    return {"diff": diff, "pct": round(100.0 * diff / before, 2) if before else None}


class FigureCache:
    """A small LRU of computed figures, valid for one projection position and gazetteer load."""

    def __init__(self, size: int = 4096):
        self._size = size
        self._stamp: tuple[int, ...] | None = None
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def stamp(conn: psycopg.Connection) -> tuple[int, ...]:
        with conn.transaction():
            version = ensure_live(conn)
            (position,) = conn.execute(POSITION, (PROJECTION, version.version)).fetchone()  # type: ignore[misc]
            (load,) = conn.execute(sql.GAZETTEER_LOAD).fetchone()  # type: ignore[misc]
        return (version.version, int(position), int(load))

    def get(self, conn: psycopg.Connection, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        stamp = self.stamp(conn)
        with self._lock:
            if stamp != self._stamp:
                self._data.clear()
                self._stamp = stamp
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            if self._stamp == stamp:
                self._data[key] = value
                while len(self._data) > self._size:
                    self._data.popitem(last=False)
        return value


class Figures:
    """compute_indicators over one connection, with a cache shared by every request."""

    def __init__(self, cache: FigureCache):
        self.cache = cache

    def values(
        self, conn: psycopg.Connection, area: str, period: str, known_on: date | None, names: tuple[str, ...]
    ) -> dict[str, Any]:
        key = ("values", area, period, known_on, names)
        return self.cache.get(
            conn, key, lambda: compute_indicators(conn, area, period, known_on, list(names))["values"]
        )

    def compare(
        self, conn: psycopg.Connection, area: str, period: str, known_on: date | None, names: tuple[str, ...]
    ) -> dict[str, Any]:
        """This period's figures, the previous period's, and the change between them."""
        per = parse_period(period)
        prev = shift(per, -1)
        now = self.values(conn, area, per.code, known_on, names)
        before = self.values(conn, area, prev.code, known_on, names)
        return {
            "area": area,
            "period": per.code,
            "previous": prev.code,
            "known_on": known_on.isoformat() if known_on else None,
            "values": now,
            "previous_values": before,
            "change": {n: change(now.get(n), before.get(n)) for n in names},
        }

    def trend(
        self,
        conn: psycopg.Connection,
        area: str,
        period: str,
        known_on: date | None,
        names: tuple[str, ...],
        count: int,
    ) -> dict[str, Any]:
        """The figures of the `count` periods ending with `period`, oldest first."""
        per = parse_period(period)
        periods = [shift(per, -i) for i in range(count - 1, -1, -1)]
        series = [
            {"period": p.code, "end": p.end.isoformat(), "values": self.values(conn, area, p.code, known_on, names)}
            for p in periods
        ]
        return {
            "area": area,
            "period": per.code,
            "known_on": known_on.isoformat() if known_on else None,
            "names": list(names),
            "series": series,
        }

    def per_unit(
        self, conn: psycopg.Connection, codes: list[str], period: str, known_on: date | None, name: str
    ) -> dict[str, Any]:
        """One figure for each unit (the map), each computed for that unit alone."""
        return {code: self.values(conn, code, period, known_on, (name,)).get(name) for code in codes}

    def migration(
        self, conn: psycopg.Connection, area: str, communes: list[str], period: str, known_on: date | None
    ) -> dict[str, Any]:
        """The true in/out/net figures beside what adding up the communes' own figures gives."""
        true = self.values(conn, area, period, known_on, MIGRATION)
        summed = {n: 0 for n in MIGRATION}
        for code in communes:
            got = self.values(conn, code, period, known_on, MIGRATION)
            for n in MIGRATION:
                summed[n] += got.get(n) or 0
        differs = any(summed[n] != true.get(n) for n in MIGRATION)
        return {
            "area": area,
            "period": parse_period(period).code,
            "known_on": known_on.isoformat() if known_on else None,
            "true": true,
            "sum_of_communes": summed,
            "communes": len(communes),
            "differs": differs,
        }
