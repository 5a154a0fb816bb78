"""The indicator processor's faust table: values as orjson bytes, changelog published by the agent, in order.

faust puts changelog writes in a buffer drained by a background task, and its pre-commit flush
gives up after 0.1 s without a message leaving the buffer, so a commit could run ahead of the
changelog. Here each write's changelog message is kept and the agent hands them to the producer
itself, in write order, after each record; faust's commit flushes that producer first, so
"offset committed" implies "the record's writes are in the changelog".
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from faust.types import FutureMessage


class StateTable(faust.Table):
    """`live_state`: counters, per-event journals, persons, positions (processors.indicators.engine)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.pending_changelog: list[FutureMessage] = []

    def send_changelog(self, partition: int | None, key: Any, value: Any,
                       key_serializer: Any = None, value_serializer: Any = None) -> FutureMessage:
        fut = self.changelog_topic.as_future_message(
            key=key, value=value, partition=partition,
            key_serializer=key_serializer or self.key_serializer,
            value_serializer=value_serializer or self.value_serializer,
            callback=self._on_changelog_sent,  # keeps faust's persisted offset for restarts
            eager_partitioning=True,
        )
        self.pending_changelog.append(fut)
        return fut

    async def publish_changelog(self) -> None:
        pending, self.pending_changelog = self.pending_changelog, []
        for fut in pending:
            await self.changelog_topic.publish_message(fut, wait=False)


class TableStore:
    """The engine's Store over the table. faust tables use their JSON codec whatever the value
    type: bytes are stored as given; the RocksDB store hands them back decoded, the memory store
    as the bytes."""

    def __init__(self, table: Any):
        self.table = table

    def get(self, key: str) -> Any:
        raw = self.table.get(key)
        return orjson.loads(raw) if isinstance(raw, bytes | str) else raw

    def put(self, key: str, value: Any) -> None:
        self.table[key] = orjson.dumps(value)
