"""Wiring of the ingest path for one process: PostgreSQL pool, gazetteer, Kafka publisher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from events.gazetteer import Gazetteer
from infra.db import connect, open_async_pool
from infra.gazetteer_store import LATEST_LOAD, gazetteer_in_force
from infra.kafka_admin import ensure_topics_async
from infra.settings import Settings
from infra.topics import SUBMISSIONS
from producers.ingest import IngestService
from producers.publisher import Publisher

log = logging.getLogger(__name__)


def current_gazetteer(settings: Settings) -> Gazetteer:
    """The gazetteer loaded into PostgreSQL (`popreg gazetteer load`), else the built-in one."""
    with connect(settings) as conn:
        return gazetteer_in_force(conn)


async def _latest_load(pool: AsyncConnectionPool) -> int:
    async with pool.connection() as conn:
        cur = await conn.execute(LATEST_LOAD)
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _follow_gazetteer(service: IngestService, settings: Settings, seen: int, every: float) -> None:
    # A `popreg gazetteer load` while the gateway runs (new units, a reform) takes effect
    # within `every` seconds, without a restart; one cheap query per round.
    while True:
        await asyncio.sleep(every)
        try:
            latest = await _latest_load(service.pool)
            if latest != seen:
                service.gazetteer = await asyncio.to_thread(current_gazetteer, settings)
                seen = latest
                log.info("gazetteer reloaded (load %s, version %s)", latest, service.gazetteer.version)
        except (psycopg.Error, PoolTimeout, OSError) as exc:
            log.warning("gazetteer refresh skipped: %r", exc)


@contextlib.asynccontextmanager
async def open_ingest(
    settings: Settings, *, pool_size: int | None = None, gazetteer_refresh: float = 30.0
) -> AsyncIterator[IngestService]:
    """An IngestService with its own pool and publisher, closed on exit.

    Raises DatabaseUnavailable or a Kafka error at once when either is unreachable.
    """
    pool = await open_async_pool(settings, max_size=pool_size, name="popreg-ingest")
    try:
        seen = await _latest_load(pool)
        gazetteer = await asyncio.to_thread(current_gazetteer, settings)
        # Create missing topics with their real configs (infinite retention) before the first
        # send, rather than letting a broker's auto-create make them with its defaults.
        await ensure_topics_async(settings)
        async with Publisher(settings) as publisher:
            service = IngestService(pool, publisher, gazetteer, settings.topic(SUBMISSIONS))
            follower = asyncio.create_task(_follow_gazetteer(service, settings, seen, gazetteer_refresh))
            try:
                yield service
            finally:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
    finally:
        await pool.close()
