"""A record of the canonical log (register.events.v1) read fast: the event upcast to the current
envelope and its context, as plain JSON values, without running the submission validators again
(the register validated it). One reading for the projection sink and the live counters. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from events.upcast import upcast


class UnreadableRecord(ValueError):
    """A record that is not a RegisterEvent (its readers log it or keep it aside, and go on)."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    event: dict[str, Any]  # the envelope, upcast to the current schema_version
    context: dict[str, Any]
    event_id: str
    type: str
    occurred_on: date
    commune: str
    payload: dict[str, Any]


_ERRORS = (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError)


def unreadable(exc: Exception) -> UnreadableRecord:
    return UnreadableRecord(f"not a RegisterEvent: {type(exc).__name__}: {exc}")


def read_log_record(value: bytes | None) -> LogRecord:
    """The record's event and context; UnreadableRecord when it is not a RegisterEvent."""
    try:
        raw = orjson.loads(value or b"")
        event = upcast(raw["event"])
        return LogRecord(
            event,
            dict(raw["context"]),
            str(event["event_id"]),
            str(event["type"]),
            date.fromisoformat(event["occurred_on"]),
            str(event["commune"]),
            dict(event["payload"]),
        )
    except _ERRORS as exc:
        raise unreadable(exc) from None
