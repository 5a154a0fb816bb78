"""Wiring of the ingest path for one process: PostgreSQL pool, gazetteer, Kafka publisher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from events.gazetteer import Gazetteer
from infra.db import connect, open_async_pool
from infra.gazetteer_store import builtin_gazetteer, load_gazetteer
from infra.kafka_admin import ensure_topics_async
from infra.settings import Settings
from infra.topics import SUBMISSIONS
from producers.ingest import IngestService
from producers.publisher import Publisher


def current_gazetteer(settings: Settings) -> Gazetteer:
    """The gazetteer loaded into PostgreSQL (`popreg gazetteer load`), else the built-in one."""
    with connect(settings) as conn:
        loaded = load_gazetteer(conn)
    return loaded if len(loaded) else builtin_gazetteer()


@contextlib.asynccontextmanager
async def open_ingest(settings: Settings, *, pool_size: int | None = None) -> AsyncIterator[IngestService]:
    """An IngestService with its own pool and publisher, closed on exit.

    Raises DatabaseUnavailable or a Kafka error at once when either is unreachable.
    """
    gazetteer = await asyncio.to_thread(current_gazetteer, settings)
    # Create missing topics with their real configs (infinite retention) before the first
    # send, rather than letting a broker's auto-create make them with its defaults.
    await ensure_topics_async(settings)
    pool = await open_async_pool(settings, max_size=pool_size, name="popreg-ingest")
    try:
        async with Publisher(settings) as publisher:
            yield IngestService(pool, publisher, gazetteer, settings.topic(SUBMISSIONS))
    finally:
        await pool.close()

