"""The exactly-once sink: register.events.v1 and register.review.v1 into one projection version.

No consumer group: the sink assigns every partition to itself and seeks to the offsets stored
in PostgreSQL (the Kafka group offsets would be a second, non-transactional copy of the
position). One sink per version at a time, by a PostgreSQL advisory lock; the offsets read
FOR UPDATE in each batch fence off a second sink anyway (projections.sink.apply).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from psycopg_pool import ConnectionPool

from infra import kafka_admin
from infra.db import connect
from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW
from projections.fold.records import Record
from projections.sink.apply import BatchResult, apply_batch, stored_offsets
from projections.versions import Version

log = logging.getLogger(__name__)

SINK_LOCK = 0x73696E6B  # "sink"; the second key is the version
TRY_LOCK = "SELECT pg_try_advisory_lock(%s, %s)"


@dataclass
class SinkStats:
    batches: int = 0
    records: int = 0
    archived: int = 0
    duplicates: int = 0
    review: int = 0
    rejected: int = 0
    units: int = 0
    started: float = field(default_factory=time.monotonic)

    def add(self, r: BatchResult) -> None:
        self.batches += 1
        for name in ("records", "archived", "duplicates", "review", "rejected", "units"):
            setattr(self, name, getattr(self, name) + getattr(r, name))


class Sink:
    """Feeds one projection version; `run` until stopped, or until caught up with the log."""

    def __init__(
        self,
        settings: Settings,
        version: Version,
        pool: ConnectionPool,
        *,
        max_records: int = 5000,
        poll_ms: int = 300,
        fold: bool = True,
        on_batch: Callable[[BatchResult, SinkStats], None] | None = None,
    ):
        self.settings, self.version, self.pool, self.fold = settings, version, pool, fold
        self.max_records, self.poll_ms, self.on_batch = max_records, poll_ms, on_batch
        self.events_topic = settings.topic(EVENTS)
        self.topics = (self.events_topic, settings.topic(REVIEW))
        self.stats = SinkStats()

    async def _lock(self, stop: asyncio.Event) -> psycopg.Connection | None:
        conn = await asyncio.to_thread(connect, self.settings, autocommit=True)
        waited = False
        while not stop.is_set():
            (got,) = conn.execute(TRY_LOCK, (SINK_LOCK, self.version.version)).fetchone()  # type: ignore[misc]
            if got:
                return conn
            if not waited:
                log.info("projection v%d: another sink holds it; waiting", self.version.version)
                waited = True
            await asyncio.sleep(1.0)
        conn.close()
        return None

    async def _partitions(self, stop: asyncio.Event) -> list[TopicPartition]:
        while not stop.is_set():
            found = await kafka_admin.describe_topics_async(self.settings, list(self.topics))
            if all(t in found for t in self.topics):
                return [TopicPartition(t, p) for t in self.topics for p in range(found[t]["partitions"])]
            log.warning("projection sink: topics %s not there yet; waiting", self.topics)
            await asyncio.sleep(1.0)
        return []

    def _apply(self, records: list[Record], positions: dict[tuple[str, int], int]) -> BatchResult:
        with self.pool.connection() as conn:
            return apply_batch(conn, self.version, records, positions, self.events_topic, fold=self.fold)

    async def run(self, stop: asyncio.Event | None = None, *, until_caught_up: bool = False) -> SinkStats:
        """Consume and apply; returns when `stop` is set or, with until_caught_up, at the log's end."""
        stop = stop or asyncio.Event()
        lock_conn = await self._lock(stop)
        if lock_conn is None:
            return self.stats
        consumer = AIOKafkaConsumer(
            **client_kwargs(self.settings),
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await consumer.start()
        try:
            tps = await self._partitions(stop)
            consumer.assign(tps)
            stored = await asyncio.to_thread(self._stored)
            for tp in tps:
                consumer.seek(tp, stored.get((tp.topic, tp.partition), 0))
            while not stop.is_set():
                data = await consumer.getmany(timeout_ms=self.poll_ms, max_records=self.max_records)
                records = [Record(tp.topic, tp.partition, m.offset, m.value) for tp, msgs in data.items() for m in msgs]
                positions = {(tp.topic, tp.partition): await consumer.position(tp) for tp in tps}
                if records or any(positions[k] > stored.get(k, 0) for k in positions):
                    result = await asyncio.to_thread(self._apply, records, positions)
                    stored.update(positions)
                    self.stats.add(result)
                    if self.on_batch is not None:
                        self.on_batch(result, self.stats)
                if until_caught_up and not records:
                    ends = await consumer.end_offsets(tps)
                    if all(positions[(tp.topic, tp.partition)] >= ends[tp] for tp in tps):
                        break
        finally:
            await consumer.stop()
            lock_conn.close()
        return self.stats

    def _stored(self) -> dict[tuple[str, int], int]:
        with self.pool.connection() as conn:
            return stored_offsets(conn, self.version.version)
