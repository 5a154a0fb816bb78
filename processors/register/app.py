"""The register processor as a faust app: one agent over the one submissions partition, one table."""

from __future__ import annotations

import asyncio
import logging

import faust

from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from processors.faust_setup import RAW, build_app, kafka_producer, run_worker
from processors.register.checks import GazetteerLike
from processors.register.engine import Register
from processors.register.output import EVENTS as EVENTS_KIND
from processors.register.output import REVIEW as REVIEW_KIND
from processors.register.places import GazetteerFollower
from processors.register.table import StateTable, TableStore

log = logging.getLogger(__name__)
APP_ID = "popreg-register-v1"  # a new version (new changelog) when the table's meaning changes


def app_id(settings: Settings) -> str:
    return settings.topic(APP_ID)


def load_register_gazetteer(settings: Settings) -> GazetteerLike:
    """The gazetteer loaded in PostgreSQL (`popreg gazetteer load`), else the built-in one."""
    return GazetteerFollower(settings).load()


def build_register_app(settings: Settings, gazetteer: GazetteerLike | None = None) -> faust.App:
    """The faust app: `register_submissions` reads submissions in total order (concurrency 1)."""
    app = build_app(settings, app_id(settings))
    submissions_topic = app.topic(settings.topic(SUBMISSIONS), **RAW)
    # One table, one changelog partition: its writes keep the order they were made in.
    state_by_key = app.tables.add(
        StateTable(
            app,
            name="state_by_key",
            partitions=1,
            beacon=app.tables.beacon,
            help="p:/h: timelines, e: outcome markers, r: held submissions, w: ring",
        )
    )
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
    run_worker(build_register_app(settings), loglevel)
