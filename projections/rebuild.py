"""Rebuild: a new projection version filled from offset 0 beside the live one, then (optionally) the swap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from psycopg_pool import ConnectionPool

from infra.settings import Settings
from projections import versions
from projections.apply import BatchResult
from projections.rules import Rules
from projections.sink import Sink, SinkStats

log = logging.getLogger(__name__)


async def rebuild(settings: Settings, pool: ConnectionPool, rules: Rules | None = None, *, swap: bool = False,
                  note: str | None = None, max_records: int = 20_000,
                  on_batch: Callable[[BatchResult, SinkStats], None] | None = None,
                  stop: asyncio.Event | None = None) -> tuple[versions.Version, SinkStats]:
    """Create version N+1 (the live version's rules unless `rules`), replay the whole log into it
    until caught up, mark it ready and, with `swap`, switch readers to it in one transaction.

    A running `popreg sink` / `popreg run` keeps feeding the new version afterwards (and meanwhile
    waits for it: one sink per version). Interrupted, the version stays `building`; a sink resumes
    it from its stored offsets.
    """
    with pool.connection() as conn:
        base = versions.ensure_live(conn)
        new = versions.create_version(conn, rules or base.rules, note or f"rebuild of v{base.version}")
    log.info("rebuilding into v%d (%s) from offset 0", new.version, new.schema)
    sink = Sink(settings, new, pool, max_records=max_records, on_batch=on_batch)
    stats = await sink.run(stop, until_caught_up=True)
    if stop is not None and stop.is_set():
        return new, stats
    with pool.connection() as conn:
        versions.mark_caught_up(conn, new.version)
        final = versions.swap(conn, new.version) if swap else versions.get_version(conn, new.version)
    return final, stats


def drop_retired(pool: ConnectionPool) -> list[int]:
    """Drop every version that is neither live nor being built (after a swap: the old ones)."""
    dropped = []
    with pool.connection() as conn:
        for v in versions.active_versions(conn):
            if v.state in ("retired", "ready"):
                versions.drop(conn, v.version)
                dropped.append(v.version)
    return dropped
