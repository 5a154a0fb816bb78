"""The codec of every Kafka value: bytes in, validated current-shape model out, and back. No I/O.

Decoding takes a fast path first: pydantic-core parses and validates the bytes in one pass
(`validate_json`, no intermediate Python dict). Only when that fails is the record parsed with
orjson, so that an old `schema_version` can be upcast and a real error reported field by field.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from events.envelope import SCHEMA_VERSION, SUBMISSION_ADAPTER, EnvelopeBase
from events.errors import FieldError, InvalidSubmission, friendly_errors
from events.register import RegisterEvent, ReviewItem
from events.upcast import upcast

_REGISTER_EVENT: TypeAdapter[RegisterEvent] = TypeAdapter(RegisterEvent)
_REVIEW_ITEM: TypeAdapter[ReviewItem] = TypeAdapter(ReviewItem)


def parse_json(data: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(data)
    except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
        raise InvalidSubmission([FieldError(loc="", msg=f"not valid JSON: {exc}")]) from None


def _needs_upcast(raw: dict[str, Any]) -> bool:
    version = raw.get("schema_version", SCHEMA_VERSION)
    return isinstance(version, int) and not isinstance(version, bool) and version < SCHEMA_VERSION


def validate_submission(raw: Any) -> EnvelopeBase:
    """A parsed JSON value to a submission model, upcast first; InvalidSubmission on any error."""
    if not isinstance(raw, dict):
        raise InvalidSubmission([FieldError(loc="", msg="a submission must be a JSON object")])
    try:
        return SUBMISSION_ADAPTER.validate_python(upcast(raw) if _needs_upcast(raw) else raw)
    except ValidationError as exc:
        raise InvalidSubmission(friendly_errors(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a malformed old shape
        raise InvalidSubmission([FieldError(loc="", msg=f"unreadable submission: {exc}")]) from None


def decode_submission(data: bytes | bytearray | memoryview | str) -> EnvelopeBase:
    """JSON bytes of one submission (any schema_version) to its current-shape model."""
    if isinstance(data, memoryview):
        data = bytes(data)
    try:
        return SUBMISSION_ADAPTER.validate_json(data)
    except ValidationError:
        pass  # an old version, or an error to report in the contract's words: the slow path
    except (TypeError, ValueError) as exc:
        raise InvalidSubmission([FieldError(loc="", msg=f"unreadable submission: {exc}")]) from None
    return validate_submission(parse_json(data))


def _exclude_none(model: Any) -> bool:
    # Submissions leave out optional fields they do not have (the wire contract's shape);
    # register records keep explicit nulls (area.district after 2025 is null, not absent).
    return isinstance(model, EnvelopeBase)


def encode(model: Any) -> bytes:
    """Any contract model to compact UTF-8 JSON bytes (dates ISO, text as given, NFC)."""
    return model.__pydantic_serializer__.to_json(model, exclude_none=_exclude_none(model))


def to_dict(model: Any) -> dict[str, Any]:
    """Any contract model to the JSON-compatible dict that `encode` writes."""
    return model.model_dump(mode="json", exclude_none=_exclude_none(model))


def _decode(adapter: TypeAdapter[Any], data: bytes | str, what: str, prepare: Any) -> Any:
    try:
        return adapter.validate_json(data)
    except ValidationError:
        pass
    raw = parse_json(data)
    if not isinstance(raw, dict):
        raise InvalidSubmission([FieldError(loc="", msg=f"a {what} must be a JSON object")])
    try:
        return adapter.validate_python(prepare(raw))
    except ValidationError as exc:
        raise InvalidSubmission(friendly_errors(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise InvalidSubmission([FieldError(loc="", msg=f"unreadable {what}: {exc}")]) from None


def _upcast_event(raw: dict[str, Any]) -> dict[str, Any]:
    event = raw.get("event")
    if isinstance(event, dict) and _needs_upcast(event):
        return {**raw, "event": upcast(event)}
    return raw


def decode_register_event(data: bytes | str) -> RegisterEvent:
    """A record of register.events.v1; its event is upcast like a submission."""
    return _decode(_REGISTER_EVENT, data, "register event", _upcast_event)


def decode_review_item(data: bytes | str) -> ReviewItem:
    """A record of register.review.v1."""
    return _decode(_REVIEW_ITEM, data, "review item", lambda raw: raw)
