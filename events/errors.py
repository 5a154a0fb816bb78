"""Field-level validation errors in words an entry app can show to a collaborator."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: str  # dotted path, e.g. "payload.mother_id"; "" for the whole submission
    msg: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


class InvalidSubmission(ValueError):
    """A submission that does not follow the wire contract; `errors` says where and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.loc or '(submission)'}: {e.msg}" for e in errors))


_MESSAGES = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field (check the spelling; the contract has no such field)",
    "date_from_datetime_parsing": "expected a date YYYY-MM-DD",
    "date_parsing": "expected a date YYYY-MM-DD",
    "date_type": "expected a date YYYY-MM-DD",
    "timezone_aware": "the time must carry its UTC offset, e.g. 2024-03-20T09:12:00+07:00",
    "datetime_parsing": "expected a time like 2024-03-20T09:12:00+07:00",
    "datetime_from_date_parsing": "expected a time like 2024-03-20T09:12:00+07:00",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "list_type": "expected a list",
    "model_type": "expected an object",
    "dict_type": "expected an object",
    "union_tag_not_found": "the field 'type' is required",
}


def _loc(parts: tuple[int | str, ...]) -> str:
    # Drop pydantic's union tags ("birth", "function-after[...]") so the path reads like the JSON.
    kept = [str(p) for p in parts if not (isinstance(p, str) and ("[" in p or p.endswith("]")))]
    if len(kept) > 1 and kept[0] not in {"payload", "source"} and "." in kept[0]:
        kept = kept[1:]
    return ".".join(kept)


def friendly_errors(exc: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = err["loc"]
        if kind == "union_tag_invalid":
            msg = f"unknown event type {err.get('input', {}).get('type')!r}" if isinstance(err.get("input"), dict) else "unknown event type"
            out.append(FieldError(loc="type", msg=msg))
            continue
        if loc and isinstance(loc[0], str) and "." in loc[0] or (loc and loc[0] in _TYPE_TAGS):
            loc = loc[1:]  # the discriminator tag of the union branch
        if kind == "literal_error":
            msg = f"must be one of {err['ctx'].get('expected')}"
        elif kind == "string_pattern_mismatch":
            msg = _pattern_message(loc)
        elif kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
            msg = err["msg"].lower()
        elif kind == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            msg = _MESSAGES.get(kind, err["msg"])
        out.append(FieldError(loc=_loc(tuple(loc)), msg=msg))
    return out


def _pattern_message(loc: tuple[int | str, ...]) -> str:
    last = str(loc[-1]) if loc else ""
    if last == "commune":
        return "a commune code is 5 digits (GSO code)"
    if last in {"to_commune", "from_commune"}:
        return 'a 5-digit commune code or "ABROAD"'
    if last == "national_id":
        return "a national id (CCCD) is 12 digits"
    return "wrong format"


from events.envelope import EVENT_TYPES as _ALL_TYPES  # noqa: E402  (after the classes exist)

_TYPE_TAGS = frozenset(_ALL_TYPES)
