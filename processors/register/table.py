"""The register's one faust table (processors.faust_setup): orjson, changelog in write order.

Keys and values use faust's JSON encoding, so faust's own recovery (RocksDB: raw bytes; memory:
decoded) rebuilds the same table.
"""

from __future__ import annotations

from typing import Any

import orjson

from processors.faust_setup import OrderedChangelogTable, TableStore, kafka_producer

__all__ = ["StateTable", "TableStore", "kafka_producer"]


class StateTable(OrderedChangelogTable):
    """`state_by_key`: timelines, outcome markers, held submissions, the redelivery ring."""

    # -- called inside the agent, where faust knows the current partition --
    def read(self, key: str) -> dict[str, Any] | None:
        store = self.data
        raw = store._get(orjson.dumps(key)) if self._raw_store() else store.data.get(key)  # type: ignore[attr-defined]  # noqa: SLF001 (rocksdict store)
        if raw is None:
            return None
        # a fresh copy each time: the engine mutates what it reads before it writes it back
        return orjson.loads(raw) if isinstance(raw, bytes | str) else orjson.loads(orjson.dumps(raw))

    def write(self, key: str, value: dict[str, Any]) -> None:
        encoded_key, encoded = orjson.dumps(key), orjson.dumps(value)
        if self._raw_store():
            self.data._set(encoded_key, encoded)  # type: ignore[attr-defined]  # noqa: SLF001 (rocksdict store)
        else:
            self.data.data[key] = encoded
        self._stage(encoded_key, encoded)
