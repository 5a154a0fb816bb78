"""Reading the canonical log: JSONL replay files, duplicate copies dropped by event_id."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of register.events.v1: where it sits in the log and its JSON value."""

    partition: int | None  # None when read from a file
    offset: int  # Kafka offset, or the line number in a file
    value: bytes


@dataclass
class LineError:
    """A record that could not be read, with the field that was wrong."""

    partition: int | None
    offset: int
    loc: str
    msg: str

    def __str__(self) -> str:
        where = f"line {self.offset}" if self.partition is None else f"partition {self.partition} offset {self.offset}"
        return f"{where}: {self.loc or '<record>'}: {self.msg}"


@dataclass
class ReadStats:
    records: int = 0
    duplicates: int = 0
    errors: list[LineError] = field(default_factory=list)
    offsets: dict[int, list[int]] = field(default_factory=dict)  # partition -> [first, last]

    def saw(self, rec: LogRecord) -> None:
        self.records += 1
        if rec.partition is not None:
            span = self.offsets.setdefault(rec.partition, [rec.offset, rec.offset])
            span[0] = min(span[0], rec.offset)
            span[1] = max(span[1], rec.offset)


class SeenIds:
    """Exact set of 128-bit digests of event ids in ~16 bytes each (a sorted array + a buffer).

    A Python set of ten million ids would take about a gigabyte; this keeps the replay of a
    province's log in bounded, small memory.
    """

    def __init__(self, flush_at: int = 200_000):
        self._sorted = np.empty(0, dtype="S16")
        self._pending: set[bytes] = set()
        self._flush_at = flush_at

    def add(self, event_id: str) -> bool:
        """True if the id is new (and remembers it), False if it was seen before."""
        digest = hashlib.blake2b(event_id.encode(), digest_size=16).digest()
        if digest in self._pending:
            return False
        if self._sorted.size:
            i = int(np.searchsorted(self._sorted, digest))
            if i < self._sorted.size and self._sorted[i] == digest:
                return False
        self._pending.add(digest)
        if len(self._pending) >= self._flush_at:
            self._flush()
        return True

    def _flush(self) -> None:
        fresh = np.array(sorted(self._pending), dtype="S16")
        # Two sorted runs: a stable sort merges them in linear time.
        self._sorted = np.sort(np.concatenate([self._sorted, fresh]), kind="stable")
        self._pending.clear()


def file_records(path: Path | str) -> Iterator[LogRecord]:
    """Lines of a JSONL replay file ('-' for stdin); blank lines are skipped."""
    stream: IO[bytes]
    if str(path) == "-":
        stream = sys.stdin.buffer
        yield from _lines(stream)
        return
    with open(path, "rb") as stream:
        yield from _lines(stream)


def _lines(stream: IO[bytes]) -> Iterator[LogRecord]:
    for n, line in enumerate(stream, start=1):
        line = line.strip()
        if line:
            yield LogRecord(None, n, line)


def event_id_of(raw: Any) -> str:
    """The event_id of a parsed RegisterEvent, or ValueError naming the missing field."""
    if not isinstance(raw, dict):
        raise ValueError(("", "a register event must be a JSON object"))
    event = raw.get("event")
    if not isinstance(event, dict):
        raise ValueError(("event", "missing or not an object"))
    if not isinstance(raw.get("context"), dict):
        raise ValueError(("context", "missing or not an object"))
    eid = event.get("event_id")
    if not isinstance(eid, str) or not eid:
        raise ValueError(("event.event_id", "missing or not a string"))
    return eid


def unique_records(records: Iterable[LogRecord], stats: ReadStats) -> Iterator[tuple[LogRecord, dict]]:
    """Parsed records, first copy of each event_id only; unreadable ones go to stats.errors."""
    seen = SeenIds()
    for rec in records:
        stats.saw(rec)
        try:
            raw = orjson.loads(rec.value)
            eid = event_id_of(raw)
        except orjson.JSONDecodeError as exc:
            stats.errors.append(LineError(rec.partition, rec.offset, "", f"not valid JSON: {exc}"))
            continue
        except ValueError as exc:
            loc, msg = exc.args[0]
            stats.errors.append(LineError(rec.partition, rec.offset, loc, msg))
            continue
        if not seen.add(eid):
            stats.duplicates += 1
            continue
        yield rec, raw
