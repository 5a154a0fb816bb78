"""The shared transactional Kafka publisher: a batch is written atomically and acknowledged by Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from infra.kafka_client import client_kwargs
from infra.settings import Settings

log = logging.getLogger(__name__)

Header = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record to write: the key is the first subject id (EVENTS.md), the value the JSON."""

    key: bytes | None
    value: bytes
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where Kafka stored a run of a batch's records, once the transaction holding it committed:
    `count` consecutive offsets from `base_offset` (one entry per record batch, not per record)."""

    topic: str
    partition: int
    base_offset: int
    count: int


class PublishError(RuntimeError):
    """Kafka did not take the batch; nothing of it is visible to read_committed consumers."""


@dataclass
class _Pending:
    topic: str
    records: Sequence[Record]
    done: asyncio.Future[list[Delivered]]


class Publisher:
    """Idempotent (acks=all) transactional producer shared by the gateway, `submit` and `import-a0`.

    A transactional producer can only have one open transaction, so concurrent `publish` calls are
    group-committed: a single writer task takes every batch waiting in the queue, writes them in one
    transaction and answers each caller after the commit. Every batch therefore lands whole or not
    at all (a multi-subject fact, or a request's items, never half-written), callers keep their
    order, and throughput does not fall to one transaction round trip per HTTP request.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transactional_id: str | None = None,
        max_records_per_txn: int = 20_000,
        request_timeout_ms: int = 30_000,
        transaction_timeout_s: float | None = None,
    ) -> None:
        self._settings = settings
        # A fresh id per process: two gateways sharing one id would fence each other off. Zombie
        # fencing is not needed here because the event_id claim in PostgreSQL is the idempotency key.
        self.transactional_id = transactional_id or settings.topic(f"popreg-publisher-{uuid.uuid4()}")
        self._max_records = max_records_per_txn
        self._request_timeout_ms = request_timeout_ms
        # aiokafka retries a transaction's requests for as long as the broker is away; a caller
        # (the gateway's request, `popreg submit`) gets a prompt "not taken" (503) instead.
        self._txn_timeout = transaction_timeout_s or settings.kafka_publish_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        # The Java client's murmur2 partitioner: the same key always lands on the same partition.
        self._partitioner = DefaultPartitioner()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_kwargs(self._settings),
            client_id="popreg-publisher",
            enable_idempotence=True,
            acks="all",
            transactional_id=self.transactional_id,
            linger_ms=5,
            max_batch_size=512 * 1024,
            max_request_size=8 * 1024 * 1024,
            request_timeout_ms=self._request_timeout_ms,
        )

    async def start(self) -> None:
        await self._ensure_producer()
        self._writer = asyncio.create_task(self._write_loop(), name="popreg-publisher")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        while not self._queue.empty():
            pending = self._queue.get_nowait()
            if not pending.done.done():
                pending.done.set_exception(PublishError("publisher stopped before the batch was written"))
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> Publisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def publish(self, topic: str, records: Sequence[Record]) -> list[Delivered]:
        """Write the records in one transaction; return only after Kafka acknowledged the commit.

        Records keep their order within each partition; the answer says where they went.
        """
        if not records:
            return []
        if self._writer is None or self._writer.done():
            raise PublishError("publisher is not running")
        done: asyncio.Future[list[Delivered]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(topic, records, done))
        return await done

    async def _write_loop(self) -> None:
        while True:
            group = [await self._queue.get()]
            size = len(group[0].records)
            while not self._queue.empty() and size < self._max_records:
                nxt = self._queue.get_nowait()
                group.append(nxt)
                size += len(nxt.records)
            group = [p for p in group if not p.done.cancelled()]
            if group:
                await self._write_group(group)

    async def _write_group(self, group: list[_Pending]) -> None:
        try:
            # Not `producer.transaction()`: its abort on error waits on the broker too, with no
            # bound. A failed transaction is left open and the producer discarded; the next one,
            # with the same transactional id, fences it off and the broker aborts it.
            async with asyncio.timeout(self._txn_timeout):
                producer = await self._ensure_producer()
                await producer.begin_transaction()
                runs = await self._append_group(producer, group)
                await producer.commit_transaction()
            # The commit flushed every batch, so these futures are already resolved.
            for pending, mine in zip(group, runs, strict=True):
                delivered = [
                    Delivered(pending.topic, part, (await fut).offset + first, count)
                    for fut, part, first, count in mine
                ]
                if not pending.done.done():
                    pending.done.set_result(delivered)
        except (TimeoutError, KafkaError, OSError) as exc:
            log.warning("Kafka transaction failed, batch answered as not accepted: %r", exc)
            for pending in group:
                if not pending.done.done():
                    pending.done.set_exception(PublishError(f"Kafka did not take the batch: {exc!r}"))
            await self._discard_producer()

    async def _append_group(self, producer: AIOKafkaProducer, group: list[_Pending]) -> list[list[list[Any]]]:
        """Queue every caller's records as shared record batches, one open batch per partition.

        Not one future per record (per-message sends cost more Python time than the broker round
        trip), and not one batch per caller: aiokafka lets a partition's next batch in only when
        the previous one drained, so many small batches would cost a round trip each. Returns,
        per caller, its runs [batch future, partition, first relative offset, count].
        """
        builders: dict[tuple[str, int], Any] = {}
        waiting: dict[tuple[str, int], list[list[Any]]] = {}  # runs whose batch is not sent yet
        runs: list[list[list[Any]]] = []
        for pending in group:
            partitions = sorted(await producer.partitions_for(pending.topic))
            single = partitions[0] if len(partitions) == 1 else None
            mine: list[list[Any]] = []
            last: dict[int, list[Any]] = {}
            for rec in pending.records:
                part = single if single is not None else self._partitioner(rec.key, partitions, partitions)
                tp = (pending.topic, part)
                builder = builders.get(tp)
                meta = (
                    None
                    if builder is None
                    else builder.append(timestamp=None, key=rec.key, value=rec.value, headers=list(rec.headers))
                )
                if meta is None:  # no open batch, or it is full: send it and open another
                    if builder is not None:
                        await self._send(producer, builder, tp, waiting.pop(tp, []))
                    builder = builders[tp] = producer.create_batch()
                    meta = builder.append(timestamp=None, key=rec.key, value=rec.value, headers=list(rec.headers))
                    if meta is None:
                        raise PublishError(f"a record of {len(rec.value)} bytes is over the batch size")
                run = last.get(part)
                if run is not None and run[0] is builder:
                    run[3] += 1
                else:
                    run = last[part] = [builder, part, meta.offset, 1]
                    mine.append(run)
                    waiting.setdefault(tp, []).append(run)
            runs.append(mine)
        for tp, builder in builders.items():
            await self._send(producer, builder, tp, waiting.pop(tp, []))
        return runs

    @staticmethod
    async def _send(producer: AIOKafkaProducer, builder: Any, tp: tuple[str, int], runs: list[list[Any]]) -> None:
        future = await producer.send_batch(builder, tp[0], partition=tp[1])
        for run in runs:
            run[0] = future  # the run's batch is now known by its delivery future

    async def _ensure_producer(self) -> AIOKafkaProducer:
        # After a failure the next batch tries a new producer once: callers get a prompt error
        # while Kafka is down instead of hanging, and the gateway heals when it comes back.
        if self._producer is None:
            producer = self._new_producer()
            try:
                await producer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _discard_producer(self) -> None:
        # A failed commit can leave the transaction manager in a fatal state (fenced, timed out);
        # a new producer with the same transactional id aborts whatever the old one left open.
        old, self._producer = self._producer, None
        if old is not None:
            # Its sender first: left running, it would deliver the abandoned batches and their
            # commit once the broker came back, after the caller was told "not taken" and resent
            # them. (aiokafka has no public "close without flushing".) Then stop, bounded.
            sender = getattr(getattr(old, "_sender", None), "sender_task", None)
            if sender is not None and not sender.done():
                sender.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(old.stop(), 10.0)
