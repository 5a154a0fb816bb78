"""Sink throughput (events/s) beside a raw COPY of the same rows, and a full rebuild beside DuckDB.

Runs on the real local stack (`popreg stack up`) in a database and topic prefix of its own,
dropped at the end. Steps, each timed in the same run:
  1. a synthetic province's RegisterEvents are written onto register.events.v1 (not timed);
  2. the sink projects them from offset 0 (archive + bitemporal recompute + offsets per batch);
  3. the same event_archive rows are COPYed into a bare copy of the table (the floor);
  4. `rebuild` replays the whole log into a new version;
  5. DuckDB counts births and deaths by year from a Parquet export of the same events;
  6. freshness under a steady load: a fact (household + person, one Kafka transaction, as the
     register writes it) committed on the events topic -> its rows visible to readers, p50/p99.

    python bench/bench_sink.py [--households 20000] [--years 6] [--rate 100] [--seconds 15]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root on the path for bench.* and tests.support.* fixtures.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import duckdb
import orjson
import polars as pl
from aiokafka import AIOKafkaProducer

from bench.synthetic_province import households
from infra import db, kafka_admin, migrate
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.topics import EVENTS
from projections import versions
from projections.fold.records import ARCHIVE_COLUMNS, Record, read_event
from projections.sink.rebuild import rebuild
from projections.sink.sink import Sink
from tests.support.synthetic import EventFactory

COPY_TARGET = "CREATE TABLE copy_floor (LIKE {schema}.event_archive INCLUDING ALL)"


async def _produce(settings: Settings, f: EventFactory, records: list[dict]) -> list[bytes]:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        enable_idempotence=True,
        acks="all",
        transactional_id=settings.topic("bench-producer"),
        linger_ms=5,
    )
    await producer.start()
    values = [orjson.dumps(r) for r in records]
    try:
        for i in range(0, len(records), 1000):
            async with producer.transaction():
                for rec, value in zip(records[i : i + 1000], values[i : i + 1000], strict=True):
                    await producer.send(settings.topic(EVENTS), key=f.key(rec), value=value)
    finally:
        await producer.stop()
    return values


def _copy_floor(pool: db.ConnectionPool, schema: str, values: list[bytes]) -> float:
    rows = [read_event(Record("t", 0, i, v))[1] for i, v in enumerate(values)]
    with pool.connection() as conn:
        conn.execute(COPY_TARGET.format(schema=schema))  # noqa: S608 (our schema name)
        conn.commit()
        t0 = time.perf_counter()
        with conn.transaction(), conn.cursor().copy(f"COPY copy_floor ({', '.join(ARCHIVE_COLUMNS)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return time.perf_counter() - t0


def _duckdb(values: list[bytes]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        frame = pl.DataFrame(
            [
                {"type": e["type"], "occurred_on": e["occurred_on"], "province": c["area"]["province"]}
                for e, c in ((r["event"], r["context"]) for r in map(orjson.loads, values))
            ]
        )
        frame.write_parquet(path)
        t0 = time.perf_counter()
        found = duckdb.sql(f"""
            SELECT province, substr(occurred_on, 1, 4) AS year, count(*) FILTER (WHERE type = 'birth'),
                   count(*) FILTER (WHERE type = 'death')
            FROM read_parquet('{path}') GROUP BY ALL""").fetchall()
        return time.perf_counter() - t0, len(found)


SEEN = "SELECT event_id FROM {schema}.event_archive WHERE event_id = ANY(%s)"


async def _freshness(
    settings: Settings, pool: db.ConnectionPool, f: EventFactory, live: versions.Version, rate: int, seconds: int
) -> list[float]:
    stop, produced = asyncio.Event(), asyncio.Event()
    sink = asyncio.create_task(Sink(settings, live, pool, poll_ms=100).run(stop))
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        enable_idempotence=True,
        acks="all",
        transactional_id=settings.topic("bench-fresh"),
    )
    await producer.start()
    acked: dict[str, float] = {}
    latencies: list[float] = []

    async def watch() -> None:
        while not produced.is_set() or acked:
            if sink.done():  # a sink that died must not look like a slow one
                raise RuntimeError(f"the sink stopped: {sink.exception()!r}")
            if acked:
                with pool.connection() as conn:
                    seen = conn.execute(SEEN.format(schema=live.schema), (list(acked),)).fetchall()  # noqa: S608
                now = time.perf_counter()
                latencies.extend(now - acked.pop(event_id) for (event_id,) in seen)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    try:
        start = time.perf_counter()
        for i in range(rate * seconds):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            hh, pid = f"fresh-h{i}", f"fresh-p{i}"
            fact = [
                f.record("household.registered", "2024-06-01", "03646", {"household_id": hh, "address": "x"}),
                f.record(
                    "person.registered",
                    "2024-06-01",
                    "03646",
                    {
                        "person_id": pid,
                        "household_id": hh,
                        "full_name": "x",
                        "sex": "F",
                        "birth_date": "1990-01-01",
                        "relation_to_head": "head",
                        "marital_status": "married",
                    },
                ),
            ]
            async with producer.transaction():
                for rec in fact:
                    await producer.send(settings.topic(EVENTS), key=f.key(rec), value=orjson.dumps(rec))
            acked[fact[-1]["event"]["event_id"]] = time.perf_counter()
    finally:
        await producer.stop()
        produced.set()
        try:
            await asyncio.wait_for(watcher, 60)  # every fact seen, then the sink stops
        finally:
            stop.set()
            await sink
    return sorted(latencies)


async def main(n_households: int, years: int, rate: int, seconds: int) -> None:
    base = Settings()
    tag = f"bench{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"topic_prefix": f"{tag}.", "pg_database": f"popreg_{tag}"})
    db.create_database(base.dsn, settings.pg_database)
    pool = None
    try:
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        pool = db.open_pool(settings, max_size=4)
        load_builtin(pool)
        g = builtin_gazetteer()
        f = EventFactory(g, validate=False)
        communes = [u.code for u in g.communes(province="14", on=date(2018, 1, 1))]
        records = list(households(f, communes, 0, n_households, start=date(2018, 1, 1), years=years))
        values = await _produce(settings, f, records)
        n = len(values)
        print(f"{n:,} events of {n_households:,} households over {years} years on the events topic")

        with pool.connection() as conn:
            live = versions.ensure_live(conn)
        t0 = time.perf_counter()
        stats = await Sink(settings, live, pool, max_records=5000).run(until_caught_up=True)
        sink_s = time.perf_counter() - t0
        copy_s = _copy_floor(pool, live.schema, values)
        t0 = time.perf_counter()
        built, _ = await rebuild(settings, pool)
        rebuild_s = time.perf_counter() - t0
        duck_s, groups = _duckdb(values)
        fresh = await _freshness(settings, pool, f, live, rate, seconds)

        print(
            f"sink:      {sink_s:8.2f} s  {n / sink_s:10,.0f} events/s  ({stats.batches} batches, "
            f"{stats.units:,} units recomputed)"
        )
        print(f"raw COPY:  {copy_s:8.2f} s  {n / copy_s:10,.0f} rows/s   (the same event_archive rows, one COPY)")
        print(f"ratio sink / raw COPY throughput: {copy_s / sink_s:.3f}  (COPY is {sink_s / copy_s:.1f}x faster)")
        print(f"rebuild:   {rebuild_s:8.2f} s  {n / rebuild_s:10,.0f} events/s  (v{built.version}, from offset 0)")
        print(
            f"duckdb:    {duck_s:8.3f} s  births/deaths by province-year from Parquet ({groups} groups; "
            f"no voids, corrections, merges or knowledge time)"
        )
        print(f"ratio rebuild / duckdb time: {rebuild_s / duck_s:,.0f}")
        p50, p99 = fresh[len(fresh) // 2], fresh[min(len(fresh) - 1, int(0.99 * len(fresh)))]
        print(
            f"freshness: committed on the events topic -> rows visible, {len(fresh)} facts at {rate}/s: "
            f"p50 {1000 * p50:.0f} ms, p99 {1000 * p99:.0f} ms"
        )
    finally:
        if pool is not None:
            pool.close()
        db.drop_database(base.dsn, settings.pg_database)
        kafka_admin.delete_topics(settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(tag)])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--rate", type=int, default=100, help="facts per second in the freshness run")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.households, args.years, args.rate, args.seconds))
