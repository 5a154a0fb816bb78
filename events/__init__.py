"""The wire contract (EVENTS.md) as frozen pydantic models: envelope, types, codec, upcasters. No I/O."""

from events.codec import (
    decode_register_event,
    decode_submission,
    encode,
    to_dict,
    validate_submission,
)
from events.envelope import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    SUBMISSION_ADAPTER,
    EnvelopeBase,
    Submission,
    kafka_key,
    subject_ids,
)
from events.errors import FieldError, InvalidSubmission
from events.register import AreaPath, Enrichment, Move, RegisterEvent, ReviewItem

__all__ = [
    "EVENT_TYPES",
    "SCHEMA_VERSION",
    "SUBMISSION_ADAPTER",
    "AreaPath",
    "Enrichment",
    "EnvelopeBase",
    "FieldError",
    "InvalidSubmission",
    "Move",
    "RegisterEvent",
    "ReviewItem",
    "Submission",
    "decode_register_event",
    "decode_submission",
    "encode",
    "kafka_key",
    "subject_ids",
    "to_dict",
    "validate_submission",
]
