"""Register processor throughput on this machine: the real faust worker beside raw aiokafka consume+decode.

Run (the local stack must be up: `popreg stack up`):
    python bench/bench_register.py [--households 20000] [--years 10] [--seed 1] [--file FILE.jsonl]

Generates a province history with `popreg generate`'s generator (baseline + years of changes),
puts it on a fresh prefixed submissions topic, then in the same run measures:
1. raw: aiokafka consume + decode_submission of the whole topic (one core);
2. engine: the register engine alone over a dict store (CPU time, no Kafka);
3. worker: `popreg worker register` (faust, RocksDB, changelog, acks=all) from its first commit
   to the last offset, by the consumer group's committed offsets;
and the RocksDB bytes per person. The topics are deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from events import InvalidSubmission, decode_submission, kafka_key, validate_submission
from infra import kafka_admin
from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings, get_settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from processors.register import DictStore, Register
from processors.register.app import app_id

ROOT = Path(__file__).resolve().parents[1]


def generate(households: int, years: int, seed: int, out: Path) -> None:
    from producers.generator import GeneratorConfig
    from producers.generator import generate as run_generator

    today = date.today()
    first = today.year * 12 + today.month - 1 - years * 12 - 1
    config = GeneratorConfig(start=date(first // 12, first % 12 + 1, 1), seed=seed, households=households, years=years)
    with out.open("wb") as fh:
        run_generator(config, fh, builtin_gazetteer())


def valid_lines(path: Path) -> list[tuple[bytes, bytes, str]]:
    """(key, value, type) of the lines the gateway would accept (the generator adds a few bad ones)."""
    out = []
    for line in path.read_bytes().splitlines():
        try:
            sub = validate_submission(orjson.loads(line))
        except (InvalidSubmission, orjson.JSONDecodeError):
            continue
        out.append((kafka_key(sub), line, sub.type))
    return out


async def produce(settings: Settings, lines: list[tuple[bytes, bytes, str]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap, enable_idempotence=True, acks="all", linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    started = time.perf_counter()
    try:
        topic = settings.topic(SUBMISSIONS)
        pending = [await producer.send(topic, value, key=key) for key, value, _ in lines]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_consume_decode(settings: Settings, n: int) -> float:
    """Seconds to consume the whole submissions topic and decode + validate every message."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic(SUBMISSIONS), 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        seen = 0
        started = time.perf_counter()
        while seen < n:
            batch = await consumer.getmany(tp, timeout_ms=1000, max_records=10_000)
            for message in batch.get(tp, []):
                decode_submission(message.value)
                seen += 1
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def engine_cpu_seconds(lines: list[tuple[bytes, bytes, str]]) -> tuple[float, DictStore]:
    store = DictStore()
    register = Register(store, builtin_gazetteer())
    started = time.process_time()
    for offset, (_key, value, _type) in enumerate(lines):
        register.process(value, offset, 1_700_000_000_000 + offset)
    return time.process_time() - started, store


def run_worker(settings: Settings, home: Path, n: int, log: Path) -> tuple[float, float, int, float]:
    """Seconds from first commit to the end, from start to first commit, first committed offset,
    and the worker's CPU seconds (user + system, whole life)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        POPREG_TOPIC_PREFIX=settings.topic_prefix,
        POPREG_KAFKA_BOOTSTRAP=settings.bootstrap,
        POPREG_DATABASE_URL=settings.dsn,
        POPREG_HOME=str(home),
        POPREG_FAUST_STORE="rocksdb://",
    )
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "popreg", "worker", "register", "-l", "info"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    group, topic = app_id(settings), settings.topic(SUBMISSIONS)
    first_at, first_offset = None, 0
    try:
        while True:
            time.sleep(0.5)
            if proc.poll() is not None:
                raise SystemExit(f"the worker exited with {proc.returncode}; see {log}")
            done = kafka_admin.committed_offsets(settings, group, topic).get(0, 0) or 0
            if first_at is None and done > 0:
                first_at, first_offset = time.perf_counter(), done
            if done >= n:
                finished = time.perf_counter()
                break
    finally:
        proc.send_signal(signal.SIGTERM)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    first_at = first_at or started
    return finished - first_at, first_at - started, first_offset, usage.ru_utime + usage.ru_stime


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def count_records(settings: Settings) -> tuple[int, int]:
    events = sum(kafka_admin.end_offsets(settings, settings.topic(EVENTS)).values())
    review = sum(kafka_admin.end_offsets(settings, settings.topic(REVIEW)).values())
    return events, review


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="an existing history (.jsonl) instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the topics and the worker's data")
    args = parser.parse_args()

    base = get_settings()
    settings = base.model_copy(update={"topic_prefix": f"bench{uuid.uuid4().hex[:8]}."})
    work = Path(tempfile.mkdtemp(prefix="bench-register-"))
    path = args.file
    if path is None:
        path = work / "history.jsonl"
        t = time.perf_counter()
        generate(args.households, args.years, args.seed, path)
        print(f"generated {args.households} households x {args.years} years in {time.perf_counter() - t:.1f}s")
    lines = valid_lines(path)
    n = len(lines)
    persons = sum(1 for *_, kind in lines if kind in ("person.registered", "birth"))
    kafka_admin.ensure_topics(settings)
    try:
        produce_s = asyncio.run(produce(settings, lines))
        raw_s = asyncio.run(raw_consume_decode(settings, n))
        engine_s, store = engine_cpu_seconds(lines)
        worker_s, startup_s, first, worker_cpu = run_worker(settings, work / "home", n, work / "worker.log")
        accepted, held = count_records(settings)
        table_dir = work / "home" / "faust" / app_id(settings)
        rocks = dir_bytes(table_dir)
        state_json = sum(len(v) for k, v in store.data.items() if not k.startswith("w:"))
        rate = (n - first) / worker_s
        accepted_rate = accepted * (n - first) / n / worker_s
        raw_rate = n / raw_s
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f}; Python {platform.python_version()}"
        )
        print(f"submissions: {n:,} ({persons:,} persons) from {path.name}; produced in {produce_s:.1f}s")
        print(f"raw aiokafka consume + decode_submission: {raw_rate:,.0f} msg/s")
        print(f"register engine alone (dict store, CPU time): {n / engine_s:,.0f} msg/s")
        print(
            f"register worker (faust, RocksDB, changelog, acks=all): {rate:,.0f} submissions/s, "
            f"{accepted_rate:,.0f} accepted events/s (startup {startup_s:.1f}s excluded)"
        )
        print(f"ratio worker / raw consume+decode: {rate / raw_rate:.3f}")
        print(
            f"worker CPU: {worker_cpu:.1f}s for {n:,} submissions incl. startup = "
            f"{n / worker_cpu:,.0f} submissions per CPU-second (what one free core would do)"
        )
        print(f"outcomes: {accepted:,} accepted, {held:,} held in review")
        print(
            f"state: RocksDB {rocks / 1e6:,.1f} MB = {rocks / max(persons, 1):,.0f} bytes/person "
            f"(timelines as JSON {state_json / max(persons, 1):,.0f} bytes/person, "
            f"plus the redelivery ring and outcome markers)"
        )
    finally:
        if not args.keep:
            names = [t for t in kafka_admin.list_topics(settings) if t.startswith(settings.topic_prefix)]
            kafka_admin.delete_topics(settings, names)
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: topics {settings.topic_prefix}*, data {work}")


if __name__ == "__main__":
    main()
