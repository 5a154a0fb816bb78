"""The register processor as a faust app: one agent over the one submissions partition, one table."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import faust

from infra.kafka_client import faust_broker_credentials
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from processors.register.checks import GazetteerLike
from processors.register.engine import Register
from processors.register.output import EVENTS as EVENTS_KIND
from processors.register.output import REVIEW as REVIEW_KIND
from processors.register.places import GazetteerFollower
from processors.register.table import StateTable, TableStore, kafka_producer

log = logging.getLogger(__name__)
APP_ID = "popreg-register-v1"  # a new version (new changelog) when the table's meaning changes


def app_id(settings: Settings) -> str:
    return settings.topic(APP_ID)


def faust_options(settings: Settings) -> dict[str, Any]:
    """faust configuration, all of it from Settings (STYLE.md habit 12)."""
    return {
        "broker": [f"kafka://{host.strip()}" for host in settings.bootstrap.split(",")],
        "broker_credentials": faust_broker_credentials(settings),
        "topic_replication_factor": settings.replication_factor,  # changelogs too
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
        # 16 KB batches (the default) wait on one acks=all round trip per 16 KB of changelog:
        # that, not CPU, bounded the worker (about 250 submissions/s); a batch stays < 1 MB.
        "producer_max_batch_size": 900_000,
        # a worker killed without leaving the group (kill -9) holds the partition this long
        # before its restarted successor may take it over (faust's default is 60 s)
        "broker_session_timeout": 15.0,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }


def load_register_gazetteer(settings: Settings) -> GazetteerLike:
    """The gazetteer loaded in PostgreSQL (`popreg gazetteer load`), else the built-in one."""
    return GazetteerFollower(settings).load()


def build_register_app(settings: Settings, gazetteer: GazetteerLike | None = None) -> faust.App:
    """The faust app: `register_submissions` reads submissions in total order (concurrency 1)."""
    options = faust_options(settings)
    Path(options["datadir"]).mkdir(parents=True, exist_ok=True)
    app = faust.App(app_id(settings), autodiscover=False, **options)
    raw = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}
    submissions_topic = app.topic(settings.topic(SUBMISSIONS), **raw)
    # One table, one changelog partition: its writes keep the order they were made in.
    state_by_key = app.tables.add(StateTable(
        app, name="state_by_key", partitions=1, beacon=app.tables.beacon,
        help="p:/h: timelines, e: outcome markers, r: held submissions, w: ring",
    ))
    holder: dict[str, Register] = {}
    follower = GazetteerFollower(settings)

    def register() -> Register:
        if "r" not in holder:
            first = gazetteer or follower.load()
            holder["r"] = Register(TableStore(state_by_key), first, None if gazetteer else follower.newer)
        return holder["r"]

    # concurrency=1: faust #606 commits offsets with gaps above 1, and the design needs total order.
    @app.agent(submissions_topic, concurrency=1)
    async def register_submissions(stream: faust.StreamT) -> None:
        engine = register()
        producer = kafka_producer(app)
        targets = {EVENTS_KIND: settings.topic(EVENTS), REVIEW_KIND: settings.topic(REVIEW)}
        async for event in stream.events():
            message = event.message
            timestamp_ms = round(message.timestamp * 1000)
            outputs = engine.process(message.value, message.offset, timestamp_ms)
            await state_by_key.publish_changelog(message.partition)  # the state first,
            for kind, key, value in outputs:  # then what it produced; a commit flushes both
                await producer.send(targets[kind], value, key=key)

    @app.timer(interval=30.0)
    async def follow_gazetteer_and_report() -> None:
        if "r" not in holder:
            return
        if gazetteer is None:  # a `popreg gazetteer load` since start-up takes effect here
            newer = await asyncio.to_thread(follower.newer)
            if newer is not None:
                holder["r"].use_gazetteer(newer)
        log.info("register: %s", dict(holder["r"].stats))

    app.register_submissions = register_submissions  # type: ignore[attr-defined]
    app.state_by_key = state_by_key  # type: ignore[attr-defined]
    return app


def run_register_worker(settings: Settings, loglevel: str = "info") -> None:
    """Run the register worker in the foreground until SIGINT/SIGTERM (popreg run supervises it)."""
    from infra.kafka_admin import ensure_topics, wait_ready

    wait_ready(settings, timeout=60.0)
    ensure_topics(settings)  # never let faust auto-create them with the wrong partition count
    app = build_register_app(settings)
    worker = faust.Worker(app, loglevel=loglevel)
    # faust's terminal spinner turns the root logger to DEBUG (at -l warn and above), which makes
    # every debug call of faust and aiokafka build a log record: 10-20 % of the worker's CPU.
    worker.spinner = None
    worker.execute_from_commandline()
