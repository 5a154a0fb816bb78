"""The indicator processor's faust table (processors.faust_setup): raw bytes, changelog in write order.

Keys are UTF-8 and values orjson bytes (the table is declared raw/raw, so faust's own recovery
puts back exactly these bytes); a birth writes about 15 keys, which faust's per-key codec,
callbacks and futures would cost far more CPU for than the counting.
"""

from __future__ import annotations

from typing import Any

import orjson

from processors.faust_setup import OrderedChangelogTable, TableStore

__all__ = ["StateTable", "TableStore"]


class StateTable(OrderedChangelogTable):
    """`live_state` (processors.indicators.engine): counters, per-event journals, persons, positions."""

    def read(self, key: str) -> Any:
        raw = self.data._get(key.encode()) if self._raw_store() else self.data.data.get(key.encode())  # type: ignore[attr-defined]  # noqa: SLF001 (rocksdict store)
        return None if raw is None else orjson.loads(raw)

    def write(self, key: str, value: Any) -> None:
        """Inside the agent only (RocksDB picks the partition of the record being processed)."""
        encoded_key, encoded = key.encode(), orjson.dumps(value)
        if self._raw_store():
            self.data._set(encoded_key, encoded)  # type: ignore[attr-defined]  # noqa: SLF001 (rocksdict store)
        else:
            self.data.data[encoded_key] = encoded
        self._stage(encoded_key, encoded)

    def string_keys(self) -> list[str]:
        return [k.decode() if isinstance(k, bytes) else str(k) for k in self.keys()]
