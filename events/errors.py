"""Field-level validation errors in words an entry app can show to a collaborator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from events.base import FieldRule


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: str  # dotted path, e.g. "payload.mother_id" or "payload.person_ids.1"; "" = whole submission
    msg: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


class InvalidSubmission(ValueError):
    """A submission that does not follow the wire contract; `errors` says where and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.loc or '(submission)'}: {e.msg}" for e in errors))


_DATE = "expected a date YYYY-MM-DD"
_TIME = "expected a time with its UTC offset, like 2024-03-20T09:12:00+07:00"
_MESSAGES = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field (check the spelling; the contract has no such field)",
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "timezone_aware": "the time must carry its UTC offset, e.g. 2024-03-20T09:12:00+07:00",
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "datetime_type": _TIME,
    "datetime_object_invalid": _TIME,
    "string_type": "expected text",
    "string_unicode": "expected text (valid Unicode)",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "int_parsing_size": "this number is too large",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
    "union_tag_not_found": "the field 'type' is required",
    "json_invalid": "not valid JSON",
    "json_type": "not valid JSON",
    "recursion_loop": "the submission is nested too deeply",
}


def _message(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    match kind:
        case "literal_error":
            return f"must be {ctx.get('expected')}"
        case "string_pattern_mismatch":
            return _pattern_message(err["loc"])
        case "string_too_short":
            n = ctx.get("min_length", 1)
            return "must not be empty" if n == 1 else f"must be at least {n} characters"
        case "string_too_long":
            return f"must be at most {ctx.get('max_length')} characters"
        case "too_short":
            n = ctx.get("min_length")
            return f"needs at least {n} {'entry' if n == 1 else 'entries'}"
        case "too_long":
            return f"can have at most {ctx.get('max_length')} entries"
        case "greater_than_equal":
            return f"must be at least {ctx.get('ge')}"
        case "less_than_equal":
            return f"must be at most {ctx.get('le')}"
        case "union_tag_invalid":
            return f"unknown event type {ctx.get('tag')!r} (known types: {ctx.get('expected_tags')})"
        case "value_error" | "assertion_error":
            return str(ctx.get("error", err["msg"]))
        case "json_invalid":
            return f"not valid JSON: {ctx.get('error', '')}".rstrip(": ")
    return _MESSAGES.get(kind, err["msg"])


def _pattern_message(loc: tuple[int | str, ...]) -> str:
    last = str(loc[-1]) if loc else ""
    if last == "commune":
        return "a commune code is 5 digits (GSO code)"
    if last in {"to_commune", "from_commune"}:
        return 'a 5-digit commune code or "ABROAD"'
    if last == "national_id":
        return "a national id (CCCD) is 12 digits"
    return "wrong format"


# Steps of pydantic's own schema that show in `loc` but not in the JSON ("function-after[...]").
_SCHEMA_STEP = re.compile(r"^[a-z][a-z-]*\[.*\]$")
_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def _loc(parts: tuple[int | str, ...], extra: str | None, keep_last: bool) -> str:
    kept: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, str) and not (last and keep_last):
            # The union branch tag ("birth") at the top or under "event" is not in the JSON.
            if part in _TYPE_TAGS and (i == 0 or parts[i - 1] == "event"):
                continue
            if _SCHEMA_STEP.match(part):
                continue
        kept.append(str(part))
    if extra:
        kept.append(extra)
    return ".".join(kept)


def friendly_errors(exc: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        error: Any = (err.get("ctx") or {}).get("error")
        if err["type"] in _TAG_ERRORS:
            extra: str | None = "type"  # reported on the discriminator itself
        else:
            extra = error.field if isinstance(error, FieldRule) else None
        # An unknown key is the producer's own text: show it as given, whatever it looks like.
        loc = _loc(err["loc"], extra, keep_last=err["type"] == "extra_forbidden")
        out.append(FieldError(loc=loc, msg=_message(err)))
    return out


from events.envelope import EVENT_TYPES as _ALL_TYPES  # noqa: E402  (after the classes exist)

_TYPE_TAGS = frozenset(_ALL_TYPES)
