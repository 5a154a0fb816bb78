"""The indicator processor's faust table, read and written directly: raw bytes, changelog in write order.

Why not the plain Table API: faust puts changelog writes in a buffer drained by a background task,
and its pre-commit flush gives up after 0.1 s without a message leaving the buffer, so a commit
could run ahead of the changelog; and its per-key codec, callbacks and futures cost far more CPU
than the counting (a birth writes about 15 keys). Here keys are UTF-8 and values orjson bytes (the
table is declared raw/raw, so faust's own recovery puts back exactly these bytes), and the agent
hands each record's writes to faust's producer, in write order, after the record; faust's commit
flushes that producer first, so "offset committed" implies "the record's writes are in the
changelog".
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from faust.types import TP


class StateTable(faust.Table):
    """`live_state` (processors.indicators.engine): counters, per-event journals, persons, positions."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._pending: list[tuple[bytes, bytes]] = []

    def _rocksdb(self) -> bool:
        return hasattr(self.data, "_db_for_partition")

    def read(self, key: str) -> Any:
        raw = self.data._get(key.encode()) if self._rocksdb() else self.data.data.get(key.encode())  # noqa: SLF001
        return None if raw is None else orjson.loads(raw)

    def write(self, key: str, value: Any) -> None:
        """Inside the agent only (RocksDB picks the partition of the record being processed)."""
        encoded_key, encoded = key.encode(), orjson.dumps(value)
        if self._rocksdb():
            self.data._set(encoded_key, encoded)  # noqa: SLF001
        else:
            self.data.data[encoded_key] = encoded
        self._pending.append((encoded_key, encoded))

    def string_keys(self) -> list[str]:
        return [k.decode() if isinstance(k, bytes) else str(k) for k in self.keys()]

    async def publish_changelog(self, partition: int) -> None:
        """Hand this record's writes to the producer, in order (the next commit flushes it)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        topic = self.changelog_topic.get_topic_name()
        last = None
        for key, value in pending:
            last = await self.app.producer.send(topic, key, value, partition, None, None)
        tp = TP(topic, partition)
        # faust's persisted offset: a restart replays the changelog only after it
        last.add_done_callback(lambda fut: self._persisted(tp, fut))  # type: ignore[union-attr]

    def _persisted(self, tp: TP, fut: Any) -> None:
        if self._rocksdb() and not fut.cancelled() and fut.exception() is None:
            self.data.set_persisted_offset(tp, fut.result().offset)


class TableStore:
    """The engine's Store over the StateTable."""

    def __init__(self, table: StateTable):
        self.table = table

    def get(self, key: str) -> Any:
        return self.table.read(key)

    def put(self, key: str, value: Any) -> None:
        self.table.write(key, value)
