"""The register processor as a faust app: one agent over the one submissions partition, one table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faust
import orjson
from faust.types import FutureMessage

from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from processors.register.checks import GazetteerLike
from processors.register.engine import Register
from processors.register.output import EVENTS as EVENTS_KIND

log = logging.getLogger(__name__)
APP_ID = "popreg-register-v1"  # a new version (new changelog) when the table's meaning changes


def app_id(settings: Settings) -> str:
    return settings.topic(APP_ID)


class TableStore:
    """The engine's store over the faust table: values written as orjson bytes.

    faust tables always use their JSON codec (faust picks it from the key/value type, not from a
    schema): bytes are stored as given, and the rocksdb store hands them back decoded to a dict;
    the memory store (unit tests) hands back the bytes.
    """

    def __init__(self, table: Any):
        self.table = table

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.table.get(key)
        return orjson.loads(raw) if isinstance(raw, bytes | str) else raw

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.table[key] = orjson.dumps(value)


class StateTable(faust.Table):
    """A faust Table whose changelog messages the agent publishes itself, in order, before outputs.

    faust puts changelog writes in a buffer drained by a background task, and its pre-commit
    flush gives up after 0.1 s without a message leaving the buffer; a commit could then run ahead
    of the changelog. Publishing them from the agent (straight into the Kafka producer, which
    the commit does flush) makes "offset committed" imply "state in the changelog".
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pending_changelog: list[FutureMessage] = []

    def send_changelog(self, partition: int | None, key: Any, value: Any,
                       key_serializer: Any = None, value_serializer: Any = None) -> FutureMessage:
        fut = self.changelog_topic.as_future_message(
            key=key, value=value, partition=partition,
            key_serializer=key_serializer or self.key_serializer,
            value_serializer=value_serializer or self.value_serializer,
            callback=self._on_changelog_sent,  # keeps faust's persisted offset for restarts
            eager_partitioning=True,
        )
        self.pending_changelog.append(fut)
        return fut

    async def publish_changelog(self) -> None:
        pending, self.pending_changelog = self.pending_changelog, []
        for fut in pending:
            await self.changelog_topic.publish_message(fut, wait=False)


def faust_options(settings: Settings) -> dict[str, Any]:
    """faust configuration, all of it from Settings (STYLE.md habit 12)."""
    return {
        "broker": [f"kafka://{host.strip()}" for host in settings.bootstrap.split(",")],
        "store": settings.faust_store,
        "datadir": str(settings.home_dir / "faust" / app_id(settings)),
        "web_enabled": False,  # the integrator supervises the process; no HTTP port to clash
        "topic_partitions": 1,  # the changelog matches the one submissions partition
        "producer_acks": -1,  # acks=all
        "consumer_auto_offset_reset": "earliest",
        "processing_guarantee": "at_least_once",  # exactly_once is unreliable (faust #177, #517)
        "broker_commit_every": 1000,  # well inside the engine's ring of redelivery records
        "broker_commit_interval": 1.0,
        "producer_linger_ms": 5,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }


def load_register_gazetteer(settings: Settings) -> GazetteerLike:
    """The gazetteer loaded in PostgreSQL (`popreg gazetteer load`), else the built-in one."""
    from infra.db import open_pool
    from infra.gazetteer_store import builtin_gazetteer, load_gazetteer

    try:
        pool = open_pool(settings, min_size=1, max_size=1, name="register-gazetteer")
        try:
            loaded = load_gazetteer(pool)
        finally:
            pool.close()
        if len(loaded):
            log.info("register: gazetteer from PostgreSQL, %d rows, version %s", len(loaded), loaded.version)
            return loaded
    except Exception as exc:  # noqa: BLE001 (no database: the built-in units serve)
        log.warning("register: no gazetteer from PostgreSQL (%s); using the built-in one", exc)
    return builtin_gazetteer()


def build_register_app(settings: Settings, gazetteer: GazetteerLike | None = None) -> faust.App:
    """The faust app: `register_submissions` reads submissions in total order (concurrency 1)."""
    options = faust_options(settings)
    Path(options["datadir"]).mkdir(parents=True, exist_ok=True)
    app = faust.App(app_id(settings), autodiscover=False, **options)
    raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
    submissions_topic = app.topic(settings.topic(SUBMISSIONS), **raw)
    events_topic = app.topic(settings.topic(EVENTS), **raw)
    review_topic = app.topic(settings.topic(REVIEW), **raw)
    # One table, one changelog partition: its writes keep the order they were made in.
    state_by_key = app.tables.add(StateTable(
        app, name="state_by_key", partitions=1, beacon=app.tables.beacon,
        help="p:/h: timelines, e: outcome markers, r: held submissions, w: ring",
    ))
    holder: dict[str, Register] = {}

    def register() -> Register:
        if "r" not in holder:
            holder["r"] = Register(TableStore(state_by_key), gazetteer or load_register_gazetteer(settings))
        return holder["r"]

    # concurrency=1: faust #606 commits offsets with gaps above 1, and the design needs total order.
    @app.agent(submissions_topic, concurrency=1)
    async def register_submissions(stream: faust.StreamT) -> None:
        engine = register()
        async for event in stream.events():
            message = event.message
            timestamp_ms = round(message.timestamp * 1000)
            outputs = engine.process(message.value, message.offset, timestamp_ms)
            await state_by_key.publish_changelog()  # the state first, then what it produced
            for kind, key, value in outputs:
                target = events_topic if kind == EVENTS_KIND else review_topic
                await target.send(key=key, value=value)

    @app.timer(interval=30.0)
    async def report_progress() -> None:
        if "r" in holder:
            log.info("register: %s", dict(holder["r"].stats))

    app.register_submissions = register_submissions  # type: ignore[attr-defined]
    app.state_by_key = state_by_key  # type: ignore[attr-defined]
    return app


def run_register_worker(settings: Settings, loglevel: str = "info") -> None:
    """Run the register worker in the foreground until SIGINT/SIGTERM (popreg run supervises it)."""
    from infra.kafka_admin import ensure_topics, wait_ready

    wait_ready(settings, timeout=60.0)
    ensure_topics(settings)  # never let faust auto-create them with the wrong partition count
    gazetteer = load_register_gazetteer(settings)
    app = build_register_app(settings, gazetteer)
    worker = faust.Worker(app, loglevel=loglevel)
    worker.execute_from_commandline()
