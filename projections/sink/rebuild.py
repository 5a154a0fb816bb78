"""Rebuild: a new projection version filled from offset 0 beside the live one, then (optionally) the swap.

Three phases, so a replay of tens of millions of events folds each person once instead of once
per batch they appear in: (1) replay the log into the new version's archive only, (2) fold every
unit from the archive (store.fold_all), (3) apply what arrived meanwhile the normal way, then
mark the version ready and, with `swap`, switch readers. The rows equal the live path's because
every row is a function of the set of events. The sink process (`popreg sink`, `popreg run`)
leaves versions in state `building` alone; an interrupted rebuild is continued with `resume`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from psycopg_pool import ConnectionPool

from infra.settings import Settings
from projections import versions
from projections.rules import Rules
from projections.sink.apply import BatchResult
from projections.sink.sink import Sink, SinkStats
from projections.sink.store import fold_all

log = logging.getLogger(__name__)


async def rebuild(
    settings: Settings,
    pool: ConnectionPool,
    rules: Rules | None = None,
    *,
    swap: bool = False,
    note: str | None = None,
    resume: int | None = None,
    max_records: int = 20_000,
    on_batch: Callable[[BatchResult, SinkStats], None] | None = None,
    stop: asyncio.Event | None = None,
) -> tuple[versions.Version, SinkStats]:
    """Build version N+1 (the live version's rules unless `rules`; or continue version `resume`)
    from the whole log, mark it ready and, with `swap`, switch readers to it in one transaction."""
    stop = stop or asyncio.Event()
    with pool.connection() as conn:
        if resume is not None:
            new = versions.get_version(conn, resume)
            if new.state != "building":
                raise versions.VersionError(f"version {resume} is {new.state}, not being built")
        else:
            base = versions.ensure_live(conn)
            new = versions.create_version(conn, rules or base.rules, note or f"rebuild of v{base.version}")
    log.info("rebuilding v%d (%s): replaying the log into its archive", new.version, new.schema)
    stats = await Sink(settings, new, pool, max_records=max_records, fold=False, on_batch=on_batch).run(
        stop, until_caught_up=True
    )
    if stop.is_set():
        return new, stats
    log.info("rebuilding v%d: folding every person and household", new.version)
    stats.units = await asyncio.to_thread(fold_all, pool, new.schema, new.rules)
    tail = await Sink(settings, new, pool, max_records=max_records, on_batch=on_batch).run(stop, until_caught_up=True)
    for name in ("batches", "records", "archived", "duplicates", "review", "rejected"):
        setattr(stats, name, getattr(stats, name) + getattr(tail, name))
    if stop.is_set():
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
