"""Splitting a batch (HTTP body or file) into items: a JSON array, or NDJSON one object per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from events import FieldError, InvalidSubmission

NDJSON_TYPES = frozenset(
    {
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    }
)


class BadBody(ValueError):
    """The batch as a whole cannot be split into items (e.g. a broken JSON array)."""


def _first_byte(data: bytes) -> int | None:
    for b in data[:4096]:
        if b not in b" \t\r\n\xef\xbb\xbf":  # whitespace, and a UTF-8 BOM some editors add
            return b
    stripped = data.lstrip()
    return stripped[0] if stripped else None


def is_array(data: bytes, content_type: str | None = None) -> bool:
    """An explicit NDJSON content type wins; otherwise a body starting with '[' is an array."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in NDJSON_TYPES:
        return False
    return _first_byte(data) == ord("[")


def parse_line(line: bytes) -> Any:
    """One NDJSON line to a value, or InvalidSubmission (as a value, so the batch goes on)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return InvalidSubmission([FieldError("", f"not valid JSON: {exc}")])


def iter_lines(lines: Iterable[bytes], start: int = 1) -> Iterator[tuple[int, Any]]:
    """(line number, value or InvalidSubmission) for each non-blank line."""
    for number, line in enumerate(lines, start):
        if line.strip():
            yield number, parse_line(line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line)


def parse_array(data: bytes) -> list[Any]:
    try:
        value = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise BadBody(f"the body starts with '[' but is not a valid JSON array: {exc}") from None
    if not isinstance(value, list):
        raise BadBody("expected a JSON array of submissions")
    return value


def parse_body(data: bytes, content_type: str | None = None) -> list[Any]:
    """Items of an HTTP body: a JSON array, or NDJSON (blank lines are not items)."""
    if is_array(data, content_type):
        return parse_array(data)
    return [value for _, value in iter_lines(data.split(b"\n"))]
