"""Running the real register worker (a `popreg worker register` process) against the real broker.

Shared by the register integration tests: start/kill the worker, produce submissions with fixed
timestamps, read everything on the events and review topics, and the pure reference run (the
same messages at the same offsets and timestamps through the engine over a dict store).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from events import InvalidSubmission, kafka_key, validate_submission
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from processors.register import DictStore, Register
from processors.register.app import load_register_gazetteer

BASE_TS = 1_700_000_000_000  # submission timestamps: BASE_TS + offset * 1000 (deterministic)
Record = tuple[str, bytes, bytes]  # ("events" | "review", key, value)


class RegisterWorker:
    """A `popreg worker register` child process with its own data directory."""

    def __init__(self, settings: Settings, home: Path, log: Path):
        self.settings, self.home, self.log = settings, home, log
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
        env.update(
            POPREG_ENV="test",
            POPREG_TOPIC_PREFIX=self.settings.topic_prefix,
            POPREG_KAFKA_BOOTSTRAP=self.settings.bootstrap,
            POPREG_DATABASE_URL=self.settings.dsn,
            POPREG_HOME=str(self.home),
            POPREG_FAUST_STORE="rocksdb://",
        )
        return env

    def start(self) -> RegisterWorker:
        self.home.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "popreg", "worker", "register", "-l", "info"],
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        return self

    def kill(self) -> None:
        """kill -9: no flush, no commit, no goodbye."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""


def message_bytes(item: dict[str, Any] | bytes) -> bytes:
    return item if isinstance(item, bytes) else orjson.dumps(item)


def message_key(item: dict[str, Any] | bytes) -> bytes | None:
    if isinstance(item, bytes):
        return None
    try:
        return kafka_key(validate_submission(item))
    except InvalidSubmission:
        return None


async def produce(settings: Settings, items: list[dict[str, Any] | bytes], first_offset: int = 0) -> None:
    """Append to the (fresh) submissions topic; message i gets offset first_offset+i and a fixed timestamp."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = []
        for i, item in enumerate(items):
            futures.append(
                await producer.send(
                    settings.topic(SUBMISSIONS),
                    message_bytes(item),
                    key=message_key(item),
                    timestamp_ms=BASE_TS + (first_offset + i) * 1000,
                )
            )
        for i, fut in enumerate(futures):
            meta = await fut
            assert meta.offset == first_offset + i, "the submissions topic was not fresh"
    finally:
        await producer.stop()


def reference(settings: Settings, items: list[dict[str, Any] | bytes]) -> list[Record]:
    """What the register must write for these messages: the engine alone, same offsets and times."""
    register = Register(DictStore(), load_register_gazetteer(settings))
    out: list[Record] = []
    for offset, item in enumerate(items):
        out.extend(register.process(message_bytes(item), offset, BASE_TS + offset * 1000))
    return out


@dataclass
class LogReader:
    """Reads register.events.v1 and register.review.v1 from the beginning, incrementally."""

    settings: Settings
    records: list[Record] = field(default_factory=list)
    consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> LogReader:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.bootstrap, enable_auto_commit=False)
        await self.consumer.start()
        tps = []
        for name in (EVENTS, REVIEW):
            topic = self.settings.topic(name)
            parts = self.consumer.partitions_for_topic(topic) or set()
            if not parts:
                await self.consumer._client.force_metadata_update()  # noqa: SLF001
                parts = self.consumer.partitions_for_topic(topic) or {0}
            tps += [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.consumer is not None
        await self.consumer.stop()

    async def poll(self, seconds: float = 0.5) -> int:
        assert self.consumer is not None
        got = await self.consumer.getmany(timeout_ms=int(seconds * 1000), max_records=5000)
        n = 0
        for tp, messages in got.items():
            kind = "events" if tp.topic == self.settings.topic(EVENTS) else "review"
            for m in messages:
                self.records.append((kind, m.key, m.value))
                n += 1
        return n

    async def until(
        self, done: Callable[[list[Record]], bool], timeout: float, worker: RegisterWorker | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.records):
            if time.monotonic() > deadline:
                tail = worker.tail() if worker else ""
                pytest.fail(f"timed out with {len(self.records)} records on the register topics\n{tail}")
            if worker is not None and not worker.alive() and worker.proc is not None:
                pytest.fail(f"the worker exited with {worker.proc.returncode}\n{worker.tail()}")
            await self.poll()


def outcome_ids(records: list[Record]) -> set[str]:
    """Event ids whose own outcome is on the log (conflict items name another event: left out)."""
    ids = set()
    for kind, _key, value in records:
        doc = orjson.loads(value)
        if kind == "events":
            ids.add(doc["event"]["event_id"])
        elif doc["reason"] != "conflict_after_late_event":
            ids.add(doc["event_id"])
    return ids


def has_all(want: set[str]) -> Callable[[list[Record]], bool]:
    return lambda records: want <= outcome_ids(records)
