"""One submission's reads and writes over the state store, flushed in a fixed order.

The store is any mapping-like object with `get(key) -> dict | None` and `put(key, dict)` (the faust
table wrapper in app.py, a dict in unit tests). Writes are buffered so each key is written once
per submission, timelines first and the outcome marker `e:<event_id>` last: a marker in the store
means every write of that submission reached it before (the changelog is one ordered partition).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson

from processors.register.timeline import Entry, Timeline, find, insert, new_timeline


class Store(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...
    def put(self, key: str, value: dict[str, Any]) -> None: ...


class DictStore:
    """The store as a dict of JSON bytes, like the faust table (unit tests, the pure benchmark)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.data.get(key)
        return None if raw is None else orjson.loads(raw)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.data[key] = orjson.dumps(value)


class Tx:
    """Buffered access to the store for one submission; nothing is written before flush()."""

    def __init__(self, store: Store):
        self.store = store
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._dirty: dict[str, None] = {}  # insertion-ordered set

    def get(self, key: str) -> dict[str, Any] | None:
        if key not in self._cache:
            self._cache[key] = self.store.get(key)
        return self._cache[key]

    def _mutable(self, key: str) -> dict[str, Any]:
        value = self.get(key)
        if value is None:
            value = self._cache[key] = new_timeline()
        self._dirty[key] = None
        return value

    # -- operations (each idempotent, so a stored list can be applied again after a crash) ------
    def apply(self, ops: list[list[Any]]) -> None:
        for op in ops:
            getattr(self, "op_" + op[0])(*op[1:])
            # Written even when the op changed nothing: after a crash the local store may hold
            # what the changelog never got, and this write is what puts it there.
            if self.get(op[1]) is not None:
                self._dirty[op[1]] = None

    def op_ins(self, key: str, entry: Entry) -> None:
        timeline = self.get(key)
        if timeline is not None and find(timeline, entry["i"]) is not None:
            return
        insert(self._mutable(key), dict(entry))

    def op_void(self, key: str, event_id: str, voided_at: str, void_id: str) -> None:
        timeline: Timeline | None = self.get(key)
        entry = find(timeline, event_id)
        if entry is None or "v" in entry:
            return
        entry = find(self._mutable(key), event_id)
        assert entry is not None
        entry["v"], entry["vi"] = voided_at, void_id

    def op_mi(self, key: str, survivor: str) -> None:
        timeline = self.get(key)
        if timeline is not None and timeline.get("mi") == survivor:
            return
        self._mutable(key)["mi"] = survivor

    def op_cf(self, key: str, event_id: str, reason: str, by: str) -> None:
        entry = find(self.get(key), event_id)
        if entry is None or reason in entry.get("cf", {}):
            return
        entry = find(self._mutable(key), event_id)
        assert entry is not None
        entry["cf"] = {**entry.get("cf", {}), reason: by}

    def op_put(self, key: str, value: dict[str, Any]) -> None:
        self._cache[key] = value
        self._dirty[key] = None

    def flush(self, last: Sequence[tuple[str, dict[str, Any]]] = ()) -> int:
        """Write the touched keys in first-touched order, then `last` in its order; returns count."""
        for key in self._dirty:
            value = self._cache[key]
            assert value is not None
            self.store.put(key, value)
        for key, value in last:
            self.store.put(key, value)
        return len(self._dirty) + len(last)
