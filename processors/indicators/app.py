"""The indicator processor as a faust app: live flow counters from register.events.v1, snapshots to PostgreSQL.

Two agents in one app (id settings.topic("popreg-indicators-v1")):
- `forward` reads the events topic (every partition) and copies each record, unchanged, onto the
  app's own one-partition topic `<app id>-serial`, with its source partition and offset as headers;
- `count` reads that topic in order (concurrency 1) and applies each record to one table
  (`live_state`, one changelog partition) through processors.indicators.engine.

Why the hop: a void is keyed by the voided event's id, a move_in by its first mover, a birth by
the child, so the records an event's counting needs are spread over the partitions; one ordered
partition puts them all in one table, whose changelog keeps every write in order (a table fed
from three partitions would write one key into three changelog partitions). The forward is
at-least-once (a copy on the serial topic is a copy of an event_id: the engine ignores it).

Each events partition is counted in offset order with no gap: `pos|<p>` is the next offset to count.
faust's consumer can lose a record on the way: when partitions are assigned (at every start and
rebalance) it resumes fetching before it seeks to the committed offsets, and a record fetched in
that window may be neither delivered nor fetched again while later ones of its partition are
(seen: a November move_in missing after a restart, its partition's next record counted). So a
copy beyond `pos|<p>` is not counted: the forward is told to read partition p again from
`pos|<p>` and the records come again, in order (the copies in between are ignored as above). This
relies on the events topic having no holes in its offsets (written without transactions, never
compacted).

A timer writes the counters changed since the last snapshot to PostgreSQL every 2 s
(live_counters), with how far the events topic has been read (live_counter_positions).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import faust
from faust.types import TP

from infra.settings import Settings
from infra.topics import EVENTS, TopicSpec, durable
from processors.faust_setup import RAW, build_app, run_worker
from processors.indicators.engine import LiveCounters
from processors.indicators.facts import Places
from processors.indicators.snapshot import Snapshotter
from processors.indicators.table import StateTable, TableStore
from processors.register.app import load_register_gazetteer

log = logging.getLogger(__name__)
APP_ID = "popreg-indicators-v1"  # a new version (new changelog, new serial topic) when counting changes
SNAPSHOT_EVERY_S = 2.0
META_FROM = "meta|from"


def app_id(settings: Settings) -> str:
    return settings.topic(APP_ID)


def serial_topic(settings: Settings) -> TopicSpec:
    """The app's own ordered copy of the events (kept like the log: it is what the counts replay)."""
    return TopicSpec(settings.topic(f"{APP_ID}-serial"), 1, durable(settings), settings.replication_factor)


def default_live_from(today: date | None = None) -> date:
    """Periods are kept live from 1 January of last year: the current month, quarter and year, and
    the late events' periods of the year before. Fixed at the first record a table counts."""
    day = today or date.today()
    return date(day.year - 1, 1, 1)


def _header(headers: Any, name: str) -> int | None:
    pairs = headers.items() if isinstance(headers, dict) else (headers or ())
    for key, value in pairs:
        if key == name and value is not None:
            return int(value.decode() if isinstance(value, bytes) else value)
    return None


def build_indicator_app(settings: Settings, gazetteer: Any = None, live_from: date | None = None) -> faust.App:
    """The faust app; `live_from` (default: 1 January of last year) applies to a new table only."""
    app = build_app(settings, app_id(settings))
    events_name = settings.topic(EVENTS)
    events_topic = app.topic(events_name, **RAW)
    serial = app.topic(serial_topic(settings).name, partitions=1, **RAW)
    state = app.tables.add(
        StateTable(
            app,
            name="live_state",
            partitions=1,
            beacon=app.tables.beacon,
            key_type=bytes,
            value_type=bytes,
            help="n| counters, e| per-event journals and contributions, w| persons, pos| positions",
        )
    )
    store = TableStore(state)
    holder: dict[str, LiveCounters] = {}
    snapshots = Snapshotter(settings, app_id(settings), events_name)

    def engine() -> LiveCounters:
        if "e" not in holder:
            found = store.get(META_FROM)
            start = date.fromisoformat(found[1]) if found else (live_from or default_live_from())
            start = date(start.year, 1, 1)  # whole years, so every quarter and month kept is complete
            if found is None:
                store.put(META_FROM, [-1, start.isoformat()])  # inside the agent: a table write
            holder["e"] = LiveCounters(store, Places(gazetteer or load_register_gazetteer(settings)), start)
            snapshots.full = True
        return holder["e"]

    rewinds: dict[int, int] = {}  # events partition -> offset to read again from (copies the count never got)
    first_offsets: dict[int, int] = {}

    @app.agent(events_topic, concurrency=1)
    async def forward(stream: faust.StreamT) -> None:
        async for event in stream.events():
            m = event.message
            again = rewinds.get(m.partition)
            if again is not None:
                if m.offset > again:
                    # read before the seek took effect (or the seek was lost): seek again, so the last
                    # seek comes after the last such record and the partition is read from `again`
                    await app.consumer.seek(m.tp, again)
                    continue
                if m.offset < again:
                    continue  # counted already
                del rewinds[m.partition]
            await serial.send(
                key=m.key,
                value=m.value,
                headers=[("src-p", str(m.partition).encode()), ("src-o", str(m.offset).encode())],
            )

    async def first_offset(partition: int) -> int:
        """Where a partition the table has not counted yet begins (the first record to count)."""
        if partition not in first_offsets:
            tp = TP(events_name, partition)
            first_offsets[partition] = (await app.consumer.earliest_offsets(tp))[tp]
        return first_offsets[partition]

    # concurrency=1: faust #606 commits offsets with gaps above 1, and the engine needs order.
    @app.agent(serial, concurrency=1)
    async def count(stream: faust.StreamT) -> None:
        async for event in stream.events():
            m = event.message
            counters = engine()  # first record: a table write needs the current event
            partition, offset = _header(m.headers, "src-p"), _header(m.headers, "src-o")
            key, found, expected = f"pos|{partition}", None, None
            if partition is not None and offset is not None:
                found = store.get(key)
                expected = found[1] if found is not None else await first_offset(partition)
            if partition is not None and offset is not None and expected is not None and offset > expected:
                counters.stats["gap"] += 1  # not counted: it comes again, after the records before it
                if rewinds.get(partition) != expected:
                    rewinds[partition] = expected
                    log.warning(
                        "indicators: events %d:%d..%d never reached the counters; reading them again",
                        partition,
                        expected,
                        offset - 1,
                    )
                    tp = TP(events_name, partition)
                    if tp in app.consumer.assignment():  # one worker reads every partition (popreg run)
                        await app.consumer.seek(tp, expected)  # the forward reads them again
            else:
                counters.process(m.value, m.offset)
                if partition is not None and offset is not None and (found is None or found[1] < offset + 1):
                    store.put(key, [m.offset, offset + 1])
                    snapshots.positions[partition] = offset + 1
                    if rewinds.get(partition, offset + 1) <= offset:
                        del rewinds[partition]  # it came (an earlier copy): nothing to read again
            snapshots.events = m.offset + 1  # records taken from the serial topic, restarts included
            await state.publish_changelog(m.partition)  # the changelog keeps each write, in order

    @app.on_rebalance_complete.connect
    async def after_recovery(sender: Any, **_: Any) -> None:
        snapshots.full = True  # the table may have been restored: write every counter once
        rewinds.clear()  # the new assignment reads from the committed offsets; a gap still there asks again

    @app.timer(interval=SNAPSHOT_EVERY_S)
    async def snapshot() -> None:
        if "e" not in holder or not app.tables.recovery.completed.is_set():
            return
        counters = holder["e"]
        if snapshots.full:
            for key in state.string_keys():
                if key.startswith("n|"):
                    counters.dirty.add(key)
                elif key.startswith("pos|"):
                    snapshots.positions[int(key[4:])] = int(store.get(key)[1])
            snapshots.full = False
        await snapshots.write(counters.take_dirty(), counters.live_from)

    suspects: dict[int, tuple[int, int]] = {}

    @app.timer(interval=SNAPSHOT_EVERY_S)
    async def audit() -> None:
        """A lost record with no later one in its partition shows no gap to the count: compare what
        is counted with where the consumer reads, once the count has taken every copy written, and
        read a partition again when they stay apart for two intervals (a false alarm costs copies)."""
        if "e" not in holder or not app.tables.recovery.completed.is_set():
            return
        serial_end = app.consumer.highwater(TP(serial.get_topic_name(), 0))
        if serial_end is None or snapshots.events < serial_end:
            suspects.clear()  # copies still on their way to the count
            return
        for tp in [tp for tp in app.consumer.assignment() if tp.topic == events_name]:
            found = store.get(f"pos|{tp.partition}")
            try:
                counted = found[1] if found is not None else await first_offset(tp.partition)
                read_to = await app.consumer.position(tp)
            except Exception as exc:  # noqa: BLE001 (a rebalance under way: the next interval looks again)
                log.info("indicators: audit of %s skipped: %r", tp, exc)
                return
            seen = (counted, read_to) if read_to is not None else None
            if seen is None or seen[0] >= seen[1] or tp.partition in rewinds:
                suspects.pop(tp.partition, None)
            elif suspects.get(tp.partition) != seen:
                suspects[tp.partition] = seen
            else:
                del suspects[tp.partition]
                rewinds[tp.partition] = seen[0]
                log.warning(
                    "indicators: events %d:%d..%d read but never counted; reading them again",
                    tp.partition,
                    seen[0],
                    seen[1] - 1,
                )
                await app.consumer.seek(tp, seen[0])

    @app.on_before_shutdown.connect
    async def last_snapshot(sender: Any, **_: Any) -> None:
        # a stop (SIGTERM) leaves nothing unwritten; a crash is covered by the full snapshot at start
        if "e" in holder:
            await snapshots.write(holder["e"].take_dirty(), holder["e"].live_from)
        await snapshots.close()

    @app.timer(interval=30.0)
    async def report_progress() -> None:
        if "e" in holder:
            log.info("indicators: %s", dict(holder["e"].stats))

    app.forward = forward  # type: ignore[attr-defined]
    app.count = count  # type: ignore[attr-defined]
    app.live_state = state  # type: ignore[attr-defined]
    app.snapshots = snapshots  # type: ignore[attr-defined]
    return app


def run_indicator_worker(settings: Settings, loglevel: str = "info", live_from: date | None = None) -> None:
    """Run the indicator worker in the foreground until SIGINT/SIGTERM (popreg run supervises it)."""
    from infra.kafka_admin import ensure_topics, wait_ready
    from infra.migrate import apply_migrations

    wait_ready(settings, timeout=60.0)
    ensure_topics(settings)  # never let faust auto-create the log with the wrong partition count
    ensure_topics(settings, [serial_topic(settings)])
    apply_migrations(settings.dsn)  # live_counters (0005)
    app = build_indicator_app(settings, load_register_gazetteer(settings), live_from)
    run_worker(app, loglevel)
