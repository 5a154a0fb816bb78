"""Snapshots of the live counters into PostgreSQL (live_counters), so the API serves them without Kafka.

Only counters changed since the last snapshot are written (all of them once after a start or a
rebalance, when the table may have been restored). A snapshot is one transaction; it may trail
the table by up to one interval, never run ahead of it.
"""

from __future__ import annotations

import logging
from datetime import date

from psycopg_pool import AsyncConnectionPool

from infra.db import open_async_pool
from infra.settings import Settings
from processors.indicators.facts import parse_counter_key

log = logging.getLogger(__name__)

UPSERT_COUNTER = """
INSERT INTO live_counters (area, period, name, value, level, updated_at) VALUES (%s, %s, %s, %s, %s, now())
ON CONFLICT (area, period, name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
"""
UPSERT_POSITION = """
INSERT INTO live_counter_positions (topic, partition, next_offset, updated_at) VALUES (%s, %s, %s, now())
ON CONFLICT (topic, partition) DO UPDATE SET next_offset = greatest(live_counter_positions.next_offset,
    EXCLUDED.next_offset), updated_at = EXCLUDED.updated_at
"""
UPSERT_META = """
INSERT INTO live_counter_meta (app_id, live_from, events, updated_at) VALUES (%s, %s, %s, now())
ON CONFLICT (app_id) DO UPDATE SET live_from = EXCLUDED.live_from, events = EXCLUDED.events,
    updated_at = EXCLUDED.updated_at
"""


class Snapshotter:
    """Writes changed counters and positions; keeps its own small pool (opened on first use)."""

    def __init__(self, settings: Settings, app_id: str, events_topic: str):
        self.settings, self.app_id, self.events_topic = settings, app_id, events_topic
        self.positions: dict[int, int] = {}  # events partition -> next offset counted
        self.events = 0  # records counted from the serial topic (its next offset)
        self.full = True
        self._written: dict[int, int] = {}
        self._events_written: int | None = None
        self._pool: AsyncConnectionPool | None = None

    async def write(self, counters: dict[str, dict[str, int]], live_from: date) -> int:
        """Write one snapshot of what the table held when the caller took `counters` (the counts,
        positions and number of records are all read before the first await). Returns the number
        of counts written; a database that is away gets everything again at the next attempt."""
        events, positions = self.events, dict(self.positions)
        moved = {p: o for p, o in positions.items() if self._written.get(p) != o}
        if not counters and not moved and self._events_written == events:
            return 0
        rows = [
            (area, period, name, value, level)
            for (area, level, period), counts in ((parse_counter_key(k), v) for k, v in counters.items())
            for name, value in counts.items()
        ]
        try:
            if self._pool is None:
                self._pool = await open_async_pool(self.settings, min_size=1, max_size=1, name="popreg-live")
            async with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                if rows:
                    await cur.executemany(UPSERT_COUNTER, rows)
                if moved:
                    await cur.executemany(UPSERT_POSITION, [(self.events_topic, p, o) for p, o in moved.items()])
                await cur.execute(UPSERT_META, (self.app_id, live_from, events))
        except Exception as exc:  # noqa: BLE001 (PostgreSQL away: retried at the next interval)
            log.warning("indicators: snapshot failed (%s); retrying", exc)
            self.full = True
            return 0
        self._written.update(moved)
        self._events_written = events
        return len(rows)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
