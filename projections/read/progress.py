"""How far the pipeline has got: submitted, processed by the register, stored by the projections; `wait`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra import kafka_admin
from infra.db import connect
from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW, SUBMISSIONS
from projections.sink.apply import stored_offsets
from projections.versions import ensure_live

REGISTER_GROUP = "popreg-register-v1"


@dataclass(frozen=True)
class Progress:
    submitted: int  # end offsets of the submissions topic
    processed: int  # the register's committed offsets on it
    projected: int  # offsets the live projection stored on the events and review topics
    log_end: int  # end offsets of the events and review topics
    register_caught_up: bool
    projections_caught_up: bool

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "submitted": self.submitted,
            "processed": self.processed,
            "projected": self.projected,
            "log_end": self.log_end,
            "register_caught_up": self.register_caught_up,
            "projections_caught_up": self.projections_caught_up,
        }


async def _no_records_between(settings: Settings, topic: str, starts: dict[int, int], ends: dict[int, int]) -> bool:
    """True when no committed record sits in [start, end) of any partition.

    Offsets count transaction markers too, and a consumer that commits offset+1 of its last record
    stays one below the end after a transactional write; reading the gap tells the two apart.
    """
    gaps = {p: (starts.get(p, 0), end) for p, end in ends.items() if starts.get(p, 0) < end}
    if not gaps:
        return True
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings), group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        tps = {TopicPartition(topic, p): gap for p, gap in gaps.items()}
        consumer.assign(list(tps))
        for tp, (start, _) in tps.items():
            consumer.seek(tp, start)
        left = dict(tps)
        deadline = time.monotonic() + 5.0
        while left and time.monotonic() < deadline:
            data = await consumer.getmany(*left, timeout_ms=200, max_records=1)
            for tp, msgs in data.items():
                if msgs and msgs[0].offset < left[tp][1]:
                    return False  # the first committed record after the start lies in the gap
                left.pop(tp, None)  # it lies past the gap: nothing committed in between
            if data:
                continue
            # The position is trusted only after an empty poll: while fetched records wait in the
            # consumer's buffer it runs ahead of what getmany has handed out.
            for tp in list(left):
                if await consumer.position(tp) >= left[tp][1]:
                    del left[tp]
        return not left
    finally:
        await consumer.stop()


async def progress_async(settings: Settings) -> Progress:
    submissions = settings.topic(SUBMISSIONS)
    sub_end = await kafka_admin.end_offsets_async(settings, submissions, "read_committed")
    committed = await kafka_admin.committed_offsets_async(settings, settings.topic(REGISTER_GROUP), submissions)
    log_ends = {
        (t, p): o
        for t in (settings.topic(EVENTS), settings.topic(REVIEW))
        for p, o in (await kafka_admin.end_offsets_async(settings, t, "read_committed")).items()
    }

    def stored() -> dict[tuple[str, int], int]:
        with connect(settings, autocommit=True) as conn:
            return stored_offsets(conn, ensure_live(conn).version)

    projected = await asyncio.to_thread(stored)
    register_ok = await _no_records_between(settings, submissions, committed, sub_end)
    return Progress(
        submitted=sum(sub_end.values()),
        processed=sum(committed.values()),
        projected=sum(projected.get(k, 0) for k in log_ends),
        log_end=sum(log_ends.values()),
        register_caught_up=register_ok,
        projections_caught_up=all(projected.get(k, 0) >= end for k, end in log_ends.items()),
    )


def progress(settings: Settings) -> Progress:
    return asyncio.run(progress_async(settings))


async def wait_async(settings: Settings, timeout: float, poll: float = 0.5) -> Progress:
    """Until every submission accepted so far reached the events or review topic AND the live
    projection stored everything on those topics; raises TimeoutError with the last progress."""
    deadline = time.monotonic() + timeout
    while True:
        # The log's ends are read after the register's offsets: whatever the register wrote for
        # the submissions it had committed is inside them, so one reading decides.
        now = await progress_async(settings)
        if now.register_caught_up and now.projections_caught_up:
            return now
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not caught up after {timeout:.0f}s: {now.as_dict()}")
        await asyncio.sleep(poll)


def wait(settings: Settings, timeout: float = 300.0) -> Progress:
    return asyncio.run(wait_async(settings, timeout))
