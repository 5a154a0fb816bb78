"""Live counters: the engine alone (records/s), the real worker through the broker (records/s), and
freshness (a record acknowledged on register.events.v1 -> its counters readable in PostgreSQL).

Runs on the real local stack (`popreg stack up`) with a topic prefix and a database of its own,
dropped at the end. The engine figure is the ceiling; the worker figure adds faust, the serial
hop and one changelog message per counter written.

    python bench/bench_live_counters.py [--households 2000] [--years 2] [--probes 20]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root on the path for bench.* and tests.support.* fixtures.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from bench.synthetic_province import households
from infra import db, kafka_admin, migrate
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.topics import EVENTS
from processors.indicators import DictStore, LiveCounters, Places
from tests.support.synthetic import EventFactory

START = date(2025, 1, 1)
POSITIONS = "SELECT coalesce(sum(next_offset), 0) FROM live_counter_positions"


def engine_rate(records: list[bytes]) -> float:
    counters = LiveCounters(DictStore(), Places(builtin_gazetteer()), START)
    t = time.perf_counter()
    for tag, value in enumerate(records):
        counters.process(value, tag)
    return len(records) / (time.perf_counter() - t)


async def produce(settings: Settings, f: EventFactory, records: list[dict]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(settings.topic(EVENTS), f.encode(r), key=f.key(r)) for r in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def counted(pool: db.ConnectionPool) -> int:
    with pool.connection() as conn:
        return int(conn.execute(POSITIONS).fetchone()[0])


def wait_for(pool: db.ConnectionPool, n: int, timeout: float = 900) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if counted(pool) >= n:
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"the worker did not count {n} records")


async def main(n_households: int, years: int, probes: int) -> None:
    base = Settings()
    tag = f"b{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"topic_prefix": f"{tag}.", "pg_database": f"popreg_{tag}"})
    db.create_database(base.dsn, settings.pg_database)
    home = Path(tempfile.mkdtemp(prefix="bench-live-"))
    worker = None
    try:
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        pool = db.open_pool(settings, max_size=2)
        load_builtin(pool)
        gaz = builtin_gazetteer()
        f = EventFactory(gaz, validate=False)
        communes = [u.code for u in gaz.communes(province="14", on=START)][:40]
        records = list(households(f, communes, 0, n_households, start=START, years=years))
        print(f"{len(records):,} records of {n_households:,} households over {years} years")
        print(f"engine alone: {engine_rate([orjson.dumps(r) for r in records]):,.0f} records/s")

        env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
        env.update(
            POPREG_TOPIC_PREFIX=settings.topic_prefix,
            POPREG_PG_DATABASE=settings.pg_database,
            POPREG_PG_PORT=str(settings.pg_port),
            POPREG_KAFKA_BOOTSTRAP=settings.bootstrap,
            POPREG_HOME=str(home),
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "popreg", "worker", "indicators", "-l", "warn", "--live-from", START.isoformat()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        await produce(settings, f, records[:1])  # warm-up: the worker is up once it counted this one
        wait_for(pool, 1, timeout=180)
        t = time.monotonic()
        await produce(settings, f, records[1:])
        done = wait_for(pool, len(records))
        print(
            f"worker through the broker: {(len(records) - 1) / (done - t):,.0f} records/s "
            f"(includes up to one 2 s snapshot interval)"
        )
        delays = []
        rng = random.Random(7)
        for i in range(probes):
            await asyncio.sleep(rng.uniform(0, 2))  # arrive anywhere in the snapshot interval
            probe = f.record(
                "birth",
                date(2026, 1, 1 + i % 28),
                communes[0],
                {"child_id": f"probe{i}", "household_id": "h0", "mother_id": "m", "sex": "F"},
            )
            t = time.monotonic()
            await produce(settings, f, [probe])
            delays.append(wait_for(pool, len(records) + i + 1, timeout=60) - t)
        delays.sort()
        p99 = delays[min(len(delays) - 1, round(0.99 * len(delays)))]
        print(
            f"freshness over {probes} records: p50 {statistics.median(delays):.2f} s, p99 {p99:.2f} s "
            f"(snapshot every 2 s)"
        )
        pool.close()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        db.drop_database(base.dsn, settings.pg_database)
        kafka_admin.delete_topics(
            settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(settings.topic_prefix)]
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.households, args.years, args.probes))
