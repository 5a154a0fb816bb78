"""Operators' HTTP surface: GET /metrics (Prometheus) and GET /v1/ready (readiness), both read
from one cached view of the pipeline that a background task refreshes every POPREG_MONITOR_SECONDS
(so a scrape, a readiness probe or the dashboard's pipeline panel never opens Kafka clients).

/v1/health stays liveness: it answers while the process runs. /v1/ready answers 503 until Kafka
and PostgreSQL answer and what was submitted is in the projections within POPREG_READY_MAX_LAG records (register lag +
projection lag).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

from infra.settings import Settings
from projections.http.dashboard.pipeline import pipeline_status
from projections.versions import live_version, use_schema

log = logging.getLogger(__name__)
router = APIRouter(tags=["operators"])

HELD_BY_REASON = "SELECT reason, count(*) FROM review_items GROUP BY reason"


class PipelineMonitor:
    """The latest pipeline status (offsets, lags, freshness, held items by reason) and when."""

    def __init__(self, settings: Settings, pool: ConnectionPool):
        self.settings, self.pool = settings, pool
        self.status: dict[str, Any] | None = None
        self.at: float | None = None  # monotonic time of the last good refresh
        self.error: str | None = None
        self.postgres_ok = self.kafka_ok = False
        self.behind_since: dict[str, float] = {}

    def _held(self) -> dict[str, int]:
        with self.pool.connection() as conn, conn.transaction():
            live = live_version(conn)
            if live is None:
                return {}
            use_schema(conn, live.schema)
            return {r: int(n) for r, n in conn.execute(HELD_BY_REASON).fetchall()}

    async def refresh(self) -> None:
        try:
            held = await asyncio.to_thread(self._held)
            self.postgres_ok = True
        except Exception as exc:  # noqa: BLE001 (reported, not raised: this is the watcher)
            self.postgres_ok, self.error = False, f"postgres: {exc}"
            return
        try:
            status = await pipeline_status(self.settings, self.pool)
            self.kafka_ok = True
        except Exception as exc:  # noqa: BLE001
            self.kafka_ok, self.error = False, f"kafka: {exc}"
            return
        now = time.monotonic()
        for stage in ("register", "projection"):
            if status[f"{stage}_lag"] > 0:
                self.behind_since.setdefault(stage, now)
            else:
                self.behind_since.pop(stage, None)
        self.status, self.at, self.error = {**status, "held_by_reason": held}, now, None

    def fresh(self) -> dict[str, Any] | None:
        """The status if refreshed within three intervals, else None."""
        if self.status is None or self.at is None:
            return None
        return self.status if time.monotonic() - self.at < 3 * self.settings.monitor_seconds else None

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self.settings.monitor_seconds)


class PipelineCollector(Collector):
    """Gauges read from the monitor at scrape time (the register and sink run in other processes)."""

    def __init__(self, monitor: PipelineMonitor):
        self.monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        m = self.monitor
        up = GaugeMetricFamily(
            "popreg_dependency_up", "Kafka and PostgreSQL answered the last refresh", labels=["dependency"]
        )
        up.add_metric(["kafka"], 1.0 if m.kafka_ok else 0.0)
        up.add_metric(["postgres"], 1.0 if m.postgres_ok else 0.0)
        yield up
        age = GaugeMetricFamily("popreg_monitor_age_seconds", "Seconds since the pipeline view was refreshed")
        age.add_metric([], time.monotonic() - m.at if m.at is not None else float("nan"))
        yield age
        s = m.status
        if s is None:
            return
        records = GaugeMetricFamily("popreg_pipeline_records", "Records at each stage (offsets)", labels=["stage"])
        for stage in ("submitted", "processed", "log_end", "projected"):
            records.add_metric([stage], float(s[stage]))
        yield records
        lag = GaugeMetricFamily(
            "popreg_pipeline_lag_records", "Records a stage trails the one before", labels=["stage"]
        )
        lag_s = GaugeMetricFamily(
            "popreg_pipeline_lag_seconds", "Seconds a stage has been behind (0: caught up)", labels=["stage"]
        )
        now = time.monotonic()
        for stage in ("register", "projection"):
            lag.add_metric([stage], float(s[f"{stage}_lag"]))
            since = m.behind_since.get(stage)
            lag_s.add_metric([stage], now - since if since is not None else 0.0)
        yield lag
        yield lag_s
        held = GaugeMetricFamily("popreg_review_held", "Submissions held in review, by reason", labels=["reason"])
        for reason, n in sorted(s["held_by_reason"].items()):
            held.add_metric([reason], float(n))
        yield held
        rejects = GaugeMetricFamily("popreg_sink_rejects", "Log records the sink could not read (kept)")
        rejects.add_metric([], float(s.get("sink_rejects") or 0))
        yield rejects


@contextlib.asynccontextmanager
async def monitoring(app: FastAPI, settings: Settings, pool: ConnectionPool) -> AsyncIterator[PipelineMonitor]:
    """Start the monitor (first refresh before serving) and register its gauges; undo both."""
    monitor = app.state.monitor = PipelineMonitor(settings, pool)
    # The app's own registry: two apps in one process (tests) must not clash on gauge names.
    app.state.pipeline_registry = CollectorRegistry(auto_describe=True)
    app.state.pipeline_registry.register(PipelineCollector(monitor))
    task = asyncio.create_task(monitor.run(), name="popreg-pipeline-monitor")
    try:
        yield monitor
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format: this process's counters and histograms, and the pipeline gauges."""
    body = generate_latest(REGISTRY)
    if (own := getattr(request.app.state, "pipeline_registry", None)) is not None:
        body += generate_latest(own)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/ready", summary="Readiness: 200 when Kafka and PostgreSQL answer and the projections keep up")
def ready(request: Request) -> JSONResponse:
    monitor: PipelineMonitor | None = getattr(request.app.state, "monitor", None)
    settings: Settings = request.app.state.settings
    status = monitor.fresh() if monitor is not None else None
    checks: dict[str, Any] = {
        "kafka": "ok" if monitor is not None and monitor.kafka_ok else "no answer",
        "postgres": "ok" if monitor is not None and monitor.postgres_ok else "no answer",
    }
    if status is not None:
        checks["projection_lag"] = status["projection_lag"]
        checks["register_lag"] = status["register_lag"]
        checks["max_lag"] = settings.ready_max_lag
    ok = (
        status is not None
        and checks["kafka"] == "ok"
        and checks["postgres"] == "ok"
        and status["register_lag"] + status["projection_lag"] <= settings.ready_max_lag
    )
    if monitor is not None and monitor.error:
        checks["error"] = monitor.error
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": str(int(settings.monitor_seconds))},
    )
