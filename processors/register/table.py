"""The register's one faust table, read and written the engine's way: orjson, changelog in order.

Why not the plain Table API: faust puts changelog writes in a buffer drained by a background task,
and its pre-commit flush gives up after 0.1 s without a message leaving that buffer, so a commit
could run ahead of the changelog; and its per-key JSON codec, sensors and futures cost more CPU
than the whole engine. Here the agent hands each submission's writes straight to the Kafka
producer, in write order, before its outputs; faust's commit flushes that producer first, so
"offset committed" implies "state in the changelog". Keys and values use faust's JSON encoding,
so faust's own recovery (RocksDB: raw bytes; memory: decoded) rebuilds the same table.
"""

from __future__ import annotations

from typing import Any

import faust
import orjson
from faust.types import TP


class StateTable(faust.Table):
    """`state_by_key`: timelines, outcome markers, held submissions, the redelivery ring."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._pending: list[tuple[bytes, bytes]] = []

    def _raw_store(self) -> bool:
        return hasattr(self.data, "_db_for_partition")  # RocksDB: bytes in, bytes out

    # -- called inside the agent, where faust knows the current partition --
    def read(self, key: str) -> dict[str, Any] | None:
        store = self.data
        raw = store._get(orjson.dumps(key)) if self._raw_store() else store.data.get(key)  # noqa: SLF001
        if raw is None:
            return None
        # a fresh copy each time: the engine mutates what it reads before it writes it back
        return orjson.loads(raw) if isinstance(raw, bytes | str) else orjson.loads(orjson.dumps(raw))

    def write(self, key: str, value: dict[str, Any]) -> None:
        encoded_key, encoded = orjson.dumps(key), orjson.dumps(value)
        if self._raw_store():
            self.data._set(encoded_key, encoded)  # noqa: SLF001
        else:
            self.data.data[key] = encoded
        self._pending.append((encoded_key, encoded))

    async def publish_changelog(self, partition: int) -> None:
        """Hand this submission's writes to the producer, in order (the commit flushes it)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        producer = kafka_producer(self.app)
        topic = self.changelog_topic.get_topic_name()
        last = None
        for key, value in pending:
            last = await producer.send(topic, value, key=key, partition=partition)
        tp = TP(topic, partition)
        # faust's persisted offset: on restart, recovery replays the changelog only after it
        last.add_done_callback(lambda fut: self._persisted(tp, fut))

    def _persisted(self, tp: TP, fut: Any) -> None:
        if self._raw_store() and not fut.cancelled() and fut.exception() is None:
            self.data.set_persisted_offset(tp, fut.result().offset)


def kafka_producer(app: faust.App) -> Any:
    """faust's aiokafka producer (acks=all): the one faust flushes before every offset commit."""
    return app.producer._ensure_producer()  # noqa: SLF001


class TableStore:
    """The engine's Store protocol over the StateTable."""

    def __init__(self, table: StateTable):
        self.table = table

    def get(self, key: str) -> dict[str, Any] | None:
        return self.table.read(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.table.write(key, value)
