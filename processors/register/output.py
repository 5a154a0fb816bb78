"""The records the register writes: accepted events (register.events.v1) and review items.

Every field comes from the submission, its Kafka offset and timestamp, and the state, never the
wall clock, so processing the same message again produces the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from events import Enrichment, EnvelopeBase, RegisterEvent, ReviewItem, encode, kafka_key
from processors.register.reasons import Violation

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EVENTS = "events"
REVIEW = "review"
Output = tuple[str, bytes, bytes]  # (EVENTS | REVIEW, key, value)


def moment(timestamp_ms: int) -> datetime:
    """A Kafka timestamp (ms) as an aware datetime, exactly (no float rounding)."""
    return EPOCH + timedelta(milliseconds=timestamp_ms)


def accepted(sub: EnvelopeBase, ctx: dict[str, Any], flags: list[str], at: datetime, offset: int) -> Output:
    context = {k: v for k, v in ctx.items() if v is not None}
    context.update(accepted_at=at, submission_offset=offset)
    if flags:
        context["flags"] = list(dict.fromkeys(flags))
    # the submission is already validated: construct, do not validate it a second time
    record = RegisterEvent.model_construct(event=sub, context=Enrichment.model_validate(context))
    return EVENTS, kafka_key(sub), encode(record)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return found if found is not None and found.tzinfo is not None else None


def review(
    raw: dict[str, Any],
    violation: Violation,
    at: datetime,
    key: bytes,
    event_id: str | None = None,
    about: dict[str, Any] | None = None,
) -> Output:
    """A review item; `raw` is the submission as received. `about` names another event it concerns."""
    head = about or raw
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    commune = head.get("commune")
    item = ReviewItem(
        event_id=event_id or str(head.get("event_id")),
        type=str(head.get("type") or ""),
        commune=commune if isinstance(commune, str) else None,
        occurred_on=_date(head.get("occurred_on")),
        recorded_at=_datetime(head.get("recorded_at")),
        collector_id=source.get("collector_id") if isinstance(source.get("collector_id"), str) else None,
        reason=violation.reason,
        rule=violation.rule,
        detail=violation.detail,
        held_at=at,
        submission=raw,
    )
    return REVIEW, key, encode(item)
