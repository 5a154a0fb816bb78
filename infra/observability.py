"""What operators see: Prometheus metrics of this process, request ids, and JSON logs on request.

Each process (the HTTP app, a worker) keeps its own registry (prometheus_client's default); the
HTTP app serves it at /metrics together with gauges read at scrape time from the pipeline's
shared state (projections.http.ops), so one scrape shows every stage.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from prometheus_client import Counter, Histogram

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("popreg_request_id", default=None)

SUBMISSIONS = Counter("popreg_submissions", "Submissions answered by the gateway, by status", ["status"])
HTTP_LATENCY = Histogram(
    "popreg_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STOCK_SNAPSHOTS = Counter(
    "popreg_stock_snapshot_reads", "Commune-days of stocks read, from snapshots or counted", ["source"]
)


def count_submissions(statuses: list[str]) -> None:
    for status in ("accepted", "duplicate", "invalid"):
        if n := statuses.count(status):
            SUBMISSIONS.labels(status).inc(n)


class RequestMetrics:
    """ASGI middleware: a request id (X-Request-ID, taken from the caller or made), kept in a
    context variable for the logs, and the latency of each route template (never raw paths:
    a person id in a path would make a metric per person)."""

    def __init__(self, app: Callable[..., Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")[:64]
        rid = given or uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(rid)
        status = {"code": 500}
        t0 = time.perf_counter()

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            HTTP_LATENCY.labels(scope.get("method", ""), template, str(status["code"])).observe(
                time.perf_counter() - t0
            )
            REQUEST_ID.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (rid := REQUEST_ID.get()) is not None:
            out["request_id"] = rid
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """POPREG_LOG_FORMAT=json: every handler of the root and uvicorn loggers writes JSON lines."""
    if log_format != "json":
        return
    formatter = JsonFormatter()
    formatter.converter = time.gmtime
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level)
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "faust", "mode"):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)


def uvicorn_log_config(log_format: str) -> dict[str, Any] | None:
    """uvicorn's logging as a dictConfig with JSON lines (None: uvicorn's own text format)."""
    if log_format != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "infra.observability.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            name: {"handlers": ["default"], "level": "INFO", "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
