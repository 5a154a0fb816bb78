"""The orjson codec: bytes in, validated current-shape model out, and back. No I/O."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from events.envelope import SUBMISSION_ADAPTER, EnvelopeBase
from events.errors import FieldError, InvalidSubmission, friendly_errors
from events.register import RegisterEvent, ReviewItem
from events.upcast import upcast


def parse_json(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidSubmission([FieldError(loc="", msg=f"not valid JSON: {exc}")]) from None


def validate_submission(raw: Any) -> EnvelopeBase:
    """A parsed JSON value to a submission model, upcast first; InvalidSubmission on any error."""
    if not isinstance(raw, dict):
        raise InvalidSubmission([FieldError(loc="", msg="a submission must be a JSON object")])
    try:
        return SUBMISSION_ADAPTER.validate_python(upcast(raw))
    except ValidationError as exc:
        raise InvalidSubmission(friendly_errors(exc)) from None
    except (TypeError, ValueError, AttributeError) as exc:  # a malformed old shape in the upcaster
        raise InvalidSubmission([FieldError(loc="", msg=f"unreadable submission: {exc}")]) from None


def decode_submission(data: bytes | str) -> EnvelopeBase:
    return validate_submission(parse_json(data))


def encode(model: Any) -> bytes:
    """Any contract model to compact JSON bytes (dates ISO, text UTF-8)."""
    return orjson.dumps(model.model_dump(mode="json", exclude_none=True))


def to_dict(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def decode_register_event(data: bytes | str) -> RegisterEvent:
    raw = orjson.loads(data)
    raw["event"] = upcast(raw["event"])
    return RegisterEvent.model_validate(raw)


def decode_review_item(data: bytes | str) -> ReviewItem:
    return ReviewItem.model_validate(orjson.loads(data))
