"""Property tests: every model round-trips through the codec and validates against its JSON Schema;
random and malformed input never raises anything but InvalidSubmission."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from events import (
    EVENT_TYPES,
    EnvelopeBase,
    InvalidSubmission,
    decode_register_event,
    decode_submission,
    encode,
    kafka_key,
    subject_ids,
    to_dict,
    validate_submission,
)
from events.codec import decode_review_item
from events.register import RegisterEvent, ReviewItem
from events.types import MODERN_METHODS
from schemas.generate import schemas

pytestmark = pytest.mark.unit
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PER_TYPE = settings(PROPS, max_examples=100)  # x 17 types

_SCHEMAS = schemas()
_CHECK = Draft202012Validator.FORMAT_CHECKER
VALIDATORS = {name: Draft202012Validator(s, format_checker=_CHECK) for name, s in _SCHEMAS.items()}

# ---- strategies of well-formed raw submissions (JSON-like dicts) ---------------------------

_letters = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"))


def _clean(s: str) -> str:
    return unicodedata.normalize("NFC", s).strip()


ids = st.text(_letters, min_size=1, max_size=64).map(_clean).filter(lambda s: 0 < len(s) <= 64)
texts = st.text(_letters, max_size=40)  # raw: may be decomposed or padded; the model cleans it
names = texts.filter(lambda s: 0 < len(_clean(s)) <= 500)
communes = st.text("0123456789", min_size=5, max_size=5)
places = communes | st.just("ABROAD")
sexes = st.sampled_from(["M", "F"])
days = st.dates(date(1950, 1, 1), date(2030, 12, 31))
methods = st.sampled_from(sorted(MODERN_METHODS | {"traditional"}))


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _payload(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    # Optional fields (None) are left out, as a producer would.
    return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not None})


def _pair() -> st.SearchStrategy[list[str]]:
    return st.lists(ids, min_size=2, max_size=2, unique=True)


iso = st.builds(lambda d: d.isoformat(), days)
PAYLOADS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "household.registered": _payload(household_id=ids, address=names, head_person_id=_opt(ids)),
    "person.registered": _payload(
        person_id=ids,
        household_id=ids,
        full_name=names,
        sex=sexes,
        birth_date=iso,
        relation_to_head=st.sampled_from(["head", "spouse", "child", "parent", "grandchild", "sibling", "other"]),
        marital_status=st.sampled_from(["never_married", "married", "divorced", "separated", "widowed"]),
        mother_id=_opt(ids),
        children_ever_born=_opt(st.integers(0, 30)),
        national_id=_opt(st.text("0123456789", min_size=12, max_size=12)),
        ethnicity=_opt(texts),
        education=_opt(texts),
    ),
    "birth": _payload(
        child_id=ids,
        household_id=ids,
        mother_id=ids,
        father_id=_opt(ids),
        full_name=_opt(texts),
        sex=sexes,
        birth_weight_g=_opt(st.integers(200, 8000)),
        plurality=_opt(st.integers(1, 8)),
    ),
    "death": _payload(person_id=ids, cause=_opt(texts)),
    "marriage": st.builds(lambda p: {"person_ids": p}, _pair()),
    "divorce": st.builds(lambda p: {"person_ids": p}, _pair()),
    "move_out": _payload(person_ids=st.lists(ids, min_size=1, max_size=5), to_commune=_opt(places)),
    "move_in": _payload(person_ids=st.lists(ids, min_size=1, max_size=5), household_id=ids, from_commune=_opt(places)),
    "household.member_moved": _payload(person_id=ids, household_id=ids),
    "contraception.started": _payload(person_id=ids, method=methods),
    "contraception.stopped": _payload(
        person_id=ids, method=methods, reason=_opt(st.sampled_from(["wants_child", "side_effects", "other"]))
    ),
    "pregnancy.recorded": _payload(person_id=ids, expected_on=_opt(iso)),
    "pregnancy.ended": _payload(
        person_id=ids, outcome=st.sampled_from(["live_birth", "stillbirth", "miscarriage", "abortion"])
    ),
    "person.corrected": _payload(
        person_id=ids,
        changes=_payload(
            full_name=_opt(names),
            birth_date=_opt(iso),
            sex=_opt(sexes),
            national_id=_opt(st.text("0123456789", min_size=12, max_size=12)),
            ethnicity=_opt(texts),
            education=_opt(texts),
        ).filter(bool),
    ),
    "event.voided": _payload(voided_event_id=ids, reason=names),
    "persons.merged": _pair().map(lambda p: {"surviving_id": p[0], "merged_id": p[1]}),
    "review.overridden": _payload(held_event_id=ids, reason=texts),
}
assert set(PAYLOADS) == set(EVENT_TYPES)

zones = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def submissions(draw: st.DrawFn, event_type: str | None = None) -> dict[str, Any]:
    kind = event_type or draw(st.sampled_from(EVENT_TYPES))
    today = datetime.now(UTC).date()
    occurred = draw(st.dates(date(1990, 1, 1), today - timedelta(days=2)))
    delay = draw(st.integers(0, min(800 * 86400, (today - occurred).days * 86400)))
    zone = draw(zones)
    recorded = datetime.combine(occurred, datetime.min.time(), tzinfo=UTC) + timedelta(seconds=delay)
    source = {"channel": draw(st.sampled_from(["mobile", "web", "import", "generator"]))}
    for key in ("device_id", "collector_id"):
        value = draw(_opt(texts))
        if value is not None:
            source[key] = value
    return {
        "event_id": draw(ids),
        "type": kind,
        "schema_version": 1,
        "occurred_on": occurred.isoformat(),
        "recorded_at": recorded.astimezone(zone).isoformat(),
        "commune": draw(communes),
        "source": source,
        "payload": draw(PAYLOADS[kind]),
    }


# ---- round trips and schemas ---------------------------------------------------------------


def _valid_or_skip(raw: dict[str, Any]) -> EnvelopeBase:
    try:
        return validate_submission(raw)
    except InvalidSubmission as exc:
        # Only text that cleans to nothing may fail (e.g. a name of spaces); anything else is a bug.
        assert all(e.msg == "must not be empty" for e in exc.errors), exc.errors
        assume(False)
        raise


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@PER_TYPE
@given(data=st.data())
def test_every_type_round_trips_and_matches_its_schema(event_type: str, data: st.DataObject) -> None:
    model = _valid_or_skip(data.draw(submissions(event_type)))
    wire = encode(model)
    assert decode_submission(wire) == model
    assert decode_submission(wire.decode()) == model  # str in works too
    assert validate_submission(orjson.loads(wire)) == model
    assert to_dict(model) == orjson.loads(wire)
    as_json = orjson.loads(wire)
    VALIDATORS[f"types/{event_type}.json"].validate(as_json)
    VALIDATORS["submission.json"].validate(as_json)
    VALIDATORS["envelope.json"].validate(as_json)
    assert kafka_key(model) == subject_ids(model)[0].encode()
    assert unicodedata.is_normalized("NFC", wire.decode())


contexts = st.fixed_dictionaries(
    {
        "accepted_at": st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
        "submission_offset": _opt(st.integers(0, 2**62)),
        "area": st.fixed_dictionaries(
            {
                "commune": communes,
                "district": _opt(st.text("0123456789", min_size=3, max_size=3)),
                "province": st.text("0123456789", min_size=2, max_size=2),
            }
        ),
        "household_id": _opt(ids),
        "subjects": st.lists(ids, max_size=3),
        "birth_order": _opt(st.integers(1, 20)),
        "mother_age": _opt(st.integers(10, 60)),
        "mother_birth_date": _opt(iso),
        "child_marriage": _opt(st.booleans()),
        "ages": st.dictionaries(ids, st.integers(0, 120), max_size=3),
        "moves": st.lists(
            st.fixed_dictionaries(
                {"person_id": ids, "from_commune": _opt(places), "to_commune": _opt(places), "confirmed": st.booleans()}
            ),
            max_size=2,
        ),
        "duplicate_of_move": _opt(ids),
        "flags": st.lists(ids, max_size=2),
        "rechecks": st.lists(ids, max_size=2),
    }
)


@PROPS
@given(event=submissions(), context=contexts)
def test_register_events_round_trip_and_match_their_schema(event: dict[str, Any], context: dict[str, Any]) -> None:
    model = _valid_or_skip(event)
    record = RegisterEvent.model_validate({"event": to_dict(model), "context": context})
    wire = encode(record)
    assert decode_register_event(wire) == record
    VALIDATORS["register_event.json"].validate(orjson.loads(wire))


@PROPS
@given(event=submissions(), reason=ids, detail=texts, held=st.datetimes(timezones=st.just(UTC)))
def test_review_items_round_trip_and_match_their_schema(
    event: dict[str, Any], reason: str, detail: str, held: datetime
) -> None:
    item = ReviewItem(
        event_id=event["event_id"],
        type=event["type"],
        commune=event["commune"],
        occurred_on=date.fromisoformat(event["occurred_on"]),
        recorded_at=None,
        reason=reason,
        rule="a rule in words",
        detail=detail,
        held_at=held,
        submission=event,
    )
    wire = encode(item)
    assert decode_review_item(wire) == item
    VALIDATORS["review_item.json"].validate(orjson.loads(wire))


# ---- malformed input never raises anything but InvalidSubmission ----------------------------

# JSON numbers within 64 bits: beyond that orjson reads a float where Python keeps an int.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "event_id",
        "type",
        "schema_version",
        "occurred_on",
        "recorded_at",
        "commune",
        "source",
        "payload",
        "commune_code",
        "channel",
        "person_id",
        "person_ids",
        "changes",
        "x",
    ]
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()  # stdlib: also integers beyond 64 bits


def _outcome(decode: Any) -> Any:
    try:
        return decode()
    except InvalidSubmission as exc:
        return exc.errors


def _decodes_or_refuses(data: bytes | str) -> None:
    try:
        event = decode_submission(data)
    except InvalidSubmission as exc:
        assert exc.errors and all(isinstance(e.loc, str) and e.msg for e in exc.errors)
    else:
        assert isinstance(event, EnvelopeBase)


@PROPS
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_random_bytes_and_text(data: bytes | str) -> None:
    _decodes_or_refuses(data)


@PROPS
@given(json_values)
def test_random_json_values(value: Any) -> None:
    _decodes_or_refuses(_dumps(value))


@PROPS
@given(
    raw=submissions(),
    edits=st.lists(st.tuples(st.booleans(), keys, json_values), min_size=1, max_size=4),
    version=st.none() | st.integers(-3, 3) | json_values,
)
def test_mutated_submissions_of_any_version(
    raw: dict[str, Any], edits: list[tuple[bool, str, Any]], version: Any
) -> None:
    for in_payload, key, value in edits:
        target = raw["payload"] if in_payload and isinstance(raw.get("payload"), dict) else raw
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    if version is not None:
        raw["schema_version"] = version
    _decodes_or_refuses(_dumps(raw))
    # The bytes path (pydantic-core JSON) and the dict path (gateway) agree on every input.
    assert _outcome(lambda: decode_submission(_dumps(raw))) == _outcome(lambda: validate_submission(raw))


@PROPS
@given(st.dictionaries(keys, json_values, max_size=8))
def test_random_flat_v0_records(record: dict[str, Any]) -> None:
    _decodes_or_refuses(_dumps({**record, "schema_version": 0}))


@PROPS
@given(json_values | st.binary(max_size=50))
def test_register_and_review_decoders_refuse_garbage_the_same_way(value: Any) -> None:
    data = value if isinstance(value, bytes) else _dumps(value)
    for decode in (decode_register_event, decode_review_item):
        try:
            decode(data)
        except InvalidSubmission as exc:
            assert exc.errors
