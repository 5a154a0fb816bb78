"""The sink process: one Sink per active projection version, following versions as they come and go."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from psycopg_pool import ConnectionPool

from infra.settings import Settings
from projections import versions
from projections.sink.sink import Sink

log = logging.getLogger(__name__)

_RESTART_DELAY_S = 2.0


async def _feed(settings: Settings, pool: ConnectionPool, version: versions.Version, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await Sink(settings, version, pool).run(stop)
        except Exception:  # Kafka or PostgreSQL away: the stored offsets make a restart safe
            log.exception("projection v%d: sink failed; restarting in %.0fs", version.version, _RESTART_DELAY_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), _RESTART_DELAY_S)


async def run_sinks(settings: Settings, pool: ConnectionPool, stop: asyncio.Event, poll_s: float = 3.0) -> None:
    """Feed every version that is live, ready or retired until `stop` is set (a version still
    `building` belongs to its rebuild: projections.sink.rebuild)."""
    with pool.connection() as conn:
        versions.ensure_live(conn)
    running: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
    try:
        while not stop.is_set():
            with pool.connection() as conn:
                active = {v.version: v for v in versions.active_versions(conn) if v.state != "building"}
            for number, version in active.items():
                if number not in running:
                    own_stop = asyncio.Event()
                    task = asyncio.create_task(_feed(settings, pool, version, own_stop), name=f"sink-v{number}")
                    running[number] = (task, own_stop)
                    log.info("projection v%d (%s): sink started", number, version.state)
            for number in [n for n in running if n not in active]:
                task, own_stop = running.pop(number)
                own_stop.set()
                await task
                log.info("projection v%d dropped: sink stopped", number)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_s)
    finally:
        for _, own_stop in running.values():
            own_stop.set()
        await asyncio.gather(*(t for t, _ in running.values()), return_exceptions=True)
