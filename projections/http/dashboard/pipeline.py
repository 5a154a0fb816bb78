"""Pipeline health for the dashboard: submitted, processed, projected, the lags between, freshness."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from psycopg_pool import ConnectionPool

from infra import kafka_admin
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from projections.http.dashboard.breakdowns import freshness
from projections.read.progress import REGISTER_GROUP, progress_async
from projections.sink.apply import stored_offsets
from projections.versions import ensure_live

log = logging.getLogger(__name__)


async def _offsets(settings: Settings, pool: ConnectionPool) -> dict[str, Any]:
    """Offsets alone (no caught-up test): a transaction marker can show as a lag of 1 here."""
    subs = settings.topic(SUBMISSIONS)
    submitted = await kafka_admin.end_offsets_async(settings, subs, "read_committed")
    processed = await kafka_admin.committed_offsets_async(settings, settings.topic(REGISTER_GROUP), subs)
    ends = {
        (t, p): o
        for t in (settings.topic(EVENTS), settings.topic(REVIEW))
        for p, o in (await kafka_admin.end_offsets_async(settings, t, "read_committed")).items()
    }

    def stored() -> dict[tuple[str, int], int]:
        with pool.connection() as conn:
            return stored_offsets(conn, ensure_live(conn).version)

    projected = await asyncio.to_thread(stored)
    return {
        "submitted": sum(submitted.values()),
        "processed": sum(processed.values()),
        "projected": sum(projected.get(k, 0) for k in ends),
        "log_end": sum(ends.values()),
        "register_caught_up": None,
        "projections_caught_up": None,
    }


async def pipeline_status(settings: Settings, pool: ConnectionPool) -> dict[str, Any]:
    """GET /v1/progress's figures with the lags, when the newest event was accepted, sink rejects."""
    try:
        now = (await progress_async(settings)).as_dict()
    except Exception as exc:  # the panel still shows the offsets if the caught-up test fails
        log.warning("progress: %r; showing offsets only", exc)
        now = await _offsets(settings, pool)
    register_lag = 0 if now["register_caught_up"] else max(0, now["submitted"] - now["processed"])
    projection_lag = 0 if now["projections_caught_up"] else max(0, now["log_end"] - now["projected"])

    def fresh() -> dict[str, Any]:
        with pool.connection() as conn:
            return freshness(conn)

    return {**now, "register_lag": register_lag, "projection_lag": projection_lag, **await asyncio.to_thread(fresh)}
