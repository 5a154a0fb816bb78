"""`popreg submit`: .jsonl / .json files through the gateway's ingest path, in process, streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from events import FieldError
from infra.tokens import LOCAL_OPERATOR, Principal
from producers.bodies import BadBody, is_array, iter_lines, parse_array
from producers.ingest import Counts, IngestService

CHUNK_ITEMS = 5_000
CHUNK_BYTES = 8 * 1024 * 1024


class UnreadableFile(ValueError):
    """The file could not be read or split into items; nothing after the failure was submitted."""


@dataclass(frozen=True, slots=True)
class InvalidItem:
    """An invalid line (NDJSON) or item (JSON array) with its field errors."""

    path: Path
    where: str  # "line 12" or "item 3"
    event_id: str | None
    errors: tuple[FieldError, ...]

    def __str__(self) -> str:
        what = f" ({self.event_id})" if self.event_id else ""
        errs = "; ".join(f"{e.loc or '(submission)'}: {e.msg}" for e in self.errors)
        return f"{self.path}:{self.where}{what}: {errs}"


@dataclass
class FileReport:
    path: Path
    counts: Counts = field(default_factory=Counts)


def _ndjson_chunks(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[list[tuple[str, Any]]]:
    chunk: list[tuple[str, Any]] = []
    size = 0

    def lines() -> Iterator[bytes]:
        nonlocal size
        with path.open("rb") as fh:
            for raw in fh:
                size += len(raw)
                if on_bytes:
                    on_bytes(len(raw))
                yield raw

    for number, value in iter_lines(lines()):
        chunk.append((f"line {number}", value))
        if len(chunk) >= CHUNK_ITEMS or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _array_chunks(data: bytes, on_bytes: Callable[[int], None] | None) -> Iterator[list[tuple[str, Any]]]:
    try:
        items = parse_array(data)
    except BadBody as exc:
        raise UnreadableFile(str(exc)) from None
    if on_bytes:
        on_bytes(len(data))
    for start in range(0, len(items), CHUNK_ITEMS):
        yield [(f"item {start + i + 1}", v) for i, v in enumerate(items[start:start + CHUNK_ITEMS])]


def _chunks(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[list[tuple[str, Any]]]:
    """Items of a file: a JSON array (read whole), else one JSON object per line (streamed)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if is_array(head):
        yield from _array_chunks(path.read_bytes(), on_bytes)
    else:
        yield from _ndjson_chunks(path, on_bytes)


async def submit_file(
    service: IngestService,
    path: Path,
    *,
    principal: Principal = LOCAL_OPERATOR,
    on_bytes: Callable[[int], None] | None = None,
    on_invalid: Callable[[InvalidItem], None] | None = None,
    on_counts: Callable[[Counts], None] | None = None,
) -> FileReport:
    """Submit one file chunk by chunk, in file order (the register reads one ordered partition).

    Raises UnreadableFile if the file cannot be read, and producers.ingest.Unavailable if Kafka
    or PostgreSQL failed (every chunk before that one was accepted; resending is safe).
    """
    report = FileReport(path)
    try:
        for chunk in _chunks(path, on_bytes):
            results = await service.ingest([v for _, v in chunk], principal)
            report.counts.add(results)
            if on_counts:
                on_counts(report.counts)
            for (where, _), res in zip(chunk, results, strict=True):
                if res.status == "invalid" and on_invalid:
                    on_invalid(InvalidItem(path, where, res.event_id, res.errors))
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    return report
