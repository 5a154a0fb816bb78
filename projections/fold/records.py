"""Kafka records of the events and review topics, read into archive rows and fold events. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from events.logrecord import UnreadableRecord, read_log_record, unreadable
from projections.fold.model import Ev


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed Kafka record."""

    topic: str
    partition: int
    offset: int
    value: bytes | None


class Unreadable(ValueError):
    """A record that is not a RegisterEvent / ReviewItem; kept in sink_rejects with this message."""


def _text(value: Any) -> str:
    return orjson.dumps(value).decode()


def read_event(rec: Record) -> tuple[Ev, tuple[Any, ...]]:
    """A RegisterEvent record as (fold event, event_archive row).

    The register already validated and enriched it, so this reads the JSON without running the
    submission validators again (the sink's hot path); old envelope versions are upcast here,
    like every reader of the log does.
    """
    try:
        r = read_log_record(rec.value)
        event, context = r.event, r.context
        ev = Ev(
            r.event_id,
            r.type,
            r.occurred_on,
            datetime.fromisoformat(event["recorded_at"]),
            r.commune,
            r.payload,
            context,
        )
        if ev.recorded_at.tzinfo is None:
            raise ValueError("recorded_at has no UTC offset")
        accepted = context.get("accepted_at")
        row = (
            ev.event_id,
            ev.type,
            int(event.get("schema_version", 1)),
            ev.occurred_on,
            ev.recorded_at,
            ev.commune,
            _text(event["source"]),
            _text(ev.payload),
            _text(ev.context),
            datetime.fromisoformat(accepted) if accepted else None,
            rec.topic,
            rec.partition,
            rec.offset,
        )
    except UnreadableRecord as exc:
        raise Unreadable(str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable(str(unreadable(exc))) from None
    return ev, row


ARCHIVE_COLUMNS = (
    "event_id",
    "type",
    "schema_version",
    "occurred_on",
    "recorded_at",
    "commune",
    "source",
    "payload",
    "context",
    "accepted_at",
    "kafka_topic",
    "kafka_partition",
    "kafka_offset",
)
REVIEW_COLUMNS = (
    "event_id",
    "reason",
    "type",
    "commune",
    "occurred_on",
    "recorded_at",
    "collector_id",
    "rule",
    "detail",
    "held_at",
    "submission",
    "kafka_partition",
    "kafka_offset",
)


def read_review(rec: Record) -> tuple[Any, ...]:
    """A ReviewItem record as a review_items row."""
    try:
        r = orjson.loads(rec.value or b"")
        occurred, recorded = r.get("occurred_on"), r.get("recorded_at")
        return (
            str(r["event_id"]),
            str(r["reason"]),
            str(r["type"]),
            r.get("commune"),
            date.fromisoformat(occurred) if occurred else None,
            datetime.fromisoformat(recorded) if recorded else None,
            r.get("collector_id"),
            str(r["rule"]),
            str(r.get("detail", "")),
            datetime.fromisoformat(r["held_at"]),
            _text(r["submission"]),
            rec.partition,
            rec.offset,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Unreadable(f"not a ReviewItem: {type(exc).__name__}: {exc}") from None
