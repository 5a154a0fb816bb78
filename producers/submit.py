"""`popreg submit`: .jsonl / .json files through the gateway's ingest path, in process, streaming."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from events import FieldError
from infra.tokens import LOCAL_OPERATOR, Principal
from producers.bodies import BadBody, is_array, iter_lines, parse_array
from producers.ingest import Counts, IngestService, Unavailable

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


class NotTaken(Unavailable):
    """Kafka or PostgreSQL stayed away longer than the retries allow: every item before `where`
    was taken, that item and all after it were not (resending the file is safe)."""

    def __init__(self, path: Path, where: str, waited: float, cause: BaseException):
        self.path, self.where, self.waited, self.cause = path, where, waited, cause
        super().__init__(
            f"{path}: from {where} to the end of the file NOT taken (Kafka or PostgreSQL away for "
            f"{waited:.0f}s: {cause}); everything before it was taken. Resend the file when the "
            "stack answers: lines already taken answer `duplicate`."
        )


@dataclass(frozen=True)
class Retry:
    """Bounded retries of a chunk refused because Kafka or PostgreSQL was away (the gateway's 503)."""

    give_up_after: float = 120.0  # seconds from the first refusal of a chunk
    first_wait: float = 0.5
    max_wait: float = 10.0
    on_retry: Callable[[int, float, BaseException], None] | None = None  # attempt, wait, cause
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


NO_RETRY = Retry(give_up_after=0.0)


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
        yield [(f"item {start + i + 1}", v) for i, v in enumerate(items[start : start + CHUNK_ITEMS])]


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
    retry: Retry = NO_RETRY,
) -> FileReport:
    """Submit one file chunk by chunk, in file order (the register reads one ordered partition).

    A chunk refused because Kafka or PostgreSQL is away is sent again with backoff (a chunk is
    taken whole or not at all, so a resend never half-duplicates it) until `retry.give_up_after`;
    then NotTaken says exactly from which line on nothing was taken. Raises UnreadableFile if the
    file cannot be read.
    """
    report = FileReport(path)
    try:
        for chunk in _chunks(path, on_bytes):
            results = await _ingest_with_retry(service, path, chunk, principal, retry)
            report.counts.add(results)
            if on_counts:
                on_counts(report.counts)
            for (where, _), res in zip(chunk, results, strict=True):
                if res.status == "invalid" and on_invalid:
                    on_invalid(InvalidItem(path, where, res.event_id, res.errors))
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    return report


async def _ingest_with_retry(
    service: IngestService,
    path: Path,
    chunk: list[tuple[str, Any]],
    principal: Principal,
    retry: Retry,
) -> list[Any]:
    started, attempt, wait = time.monotonic(), 0, retry.first_wait
    while True:
        try:
            return await service.ingest([v for _, v in chunk], principal)
        except Unavailable as exc:
            waited = time.monotonic() - started
            if waited + wait > retry.give_up_after:
                raise NotTaken(path, chunk[0][0], waited, exc) from exc
            attempt += 1
            if retry.on_retry:
                retry.on_retry(attempt, wait, exc)
            await retry.sleep(wait)
            wait = min(wait * 2, retry.max_wait)
