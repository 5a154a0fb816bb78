"""Validation errors name the field and say what is wrong in words; text is NFC-normalised."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import orjson
import pytest

from events import InvalidSubmission, decode_submission, validate_submission

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"


def _valid(event_type: str) -> dict[str, Any]:
    return json.loads((GOLDEN / "v1" / f"{event_type}.json").read_text(encoding="utf-8"))


def _errors(raw: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidSubmission) as caught:
        decode_submission(orjson.dumps(raw) if not isinstance(raw, bytes) else raw)
    return [(e.loc, e.msg) for e in caught.value.errors]


def test_several_bad_fields_each_get_their_own_error() -> None:
    raw = _valid("birth")
    raw.update(commune="4048", recorded_at="2024-03-20 09:12", source={"channel": "sms"})
    raw["payload"] = {**raw["payload"], "sex": "female", "mothr_id": "p-1", "birth_weight_g": 90}
    del raw["payload"]["mother_id"]
    assert _errors(raw) == [
        ("recorded_at", "the time must carry its UTC offset, e.g. 2024-03-20T09:12:00+07:00"),
        ("commune", "a commune code is 5 digits (GSO code)"),
        ("source.channel", "must be 'mobile', 'web', 'import' or 'generator'"),
        ("payload.mother_id", "this field is required"),
        ("payload.sex", "must be 'M' or 'F'"),
        ("payload.birth_weight_g", "must be at least 200"),
        ("payload.mothr_id", "unknown field (check the spelling; the contract has no such field)"),
    ]


@pytest.mark.parametrize(
    ("event_type", "change", "expected"),
    [
        ("marriage", {"person_ids": ["p-1"]}, ("payload.person_ids", "needs at least 2 entries")),
        (
            "marriage",
            {"person_ids": ["p-1", "p-1"]},
            ("payload.person_ids", "the two persons must be different people"),
        ),
        (
            "persons.merged",
            {"merged_id": "p-04048-0101-2"},
            ("payload.merged_id", "a person cannot be merged into themselves"),
        ),
        ("person.corrected", {"changes": {}}, ("payload.changes", "name at least one field to correct")),
        (
            "person.corrected",
            {"changes": {"national_id": "12345"}},
            ("payload.changes.national_id", "a national id (CCCD) is 12 digits"),
        ),
        ("move_out", {"to_commune": "Hà Nội"}, ("payload.to_commune", 'a 5-digit commune code or "ABROAD"')),
        ("move_out", {"person_ids": ["p-1", ""]}, ("payload.person_ids.1", "must not be empty")),
        ("death", {"person_id": "x" * 65}, ("payload.person_id", "must be at most 64 characters")),
        ("person.registered", {"birth_date": "12/05/1996"}, ("payload.birth_date", "expected a date YYYY-MM-DD")),
        ("person.registered", {"children_ever_born": "two"}, ("payload.children_ever_born", "expected a whole number")),
        (
            "contraception.started",
            {"method": "herbs"},
            (
                "payload.method",
                "must be 'iud', 'implant', 'injectable', 'pill', 'condom', 'female_sterilization', 'male_sterilization' or 'traditional'",
            ),
        ),
    ],
)
def test_payload_rules_are_reported_on_their_field(
    event_type: str, change: dict[str, Any], expected: tuple[str, str]
) -> None:
    raw = _valid(event_type)
    raw["payload"] = {**raw["payload"], **change}
    assert _errors(raw) == [expected]


def test_clock_rules_are_reported_on_the_date_fields() -> None:
    raw = _valid("death")
    assert _errors({**raw, "occurred_on": "2999-01-01", "recorded_at": "2999-01-02T00:00:00+07:00"})[0] == (
        "occurred_on",
        "is in the future: a fact is recorded after it happens",
    )
    assert _errors({**raw, "occurred_on": "2024-03-05", "recorded_at": "2024-01-01T00:00:00+07:00"}) == [
        ("recorded_at", "is before occurred_on: a fact cannot be written down before it happens")
    ]


def test_whole_submission_problems_have_an_empty_loc() -> None:
    assert _errors(b"{not json")[0][0] == ""
    assert _errors(b"{not json")[0][1].startswith("not valid JSON")
    assert _errors([1, 2]) == [("", "a submission must be a JSON object")]
    assert _errors({"event_id": "e"}) == [("type", "the field 'type' is required")]
    loc, msg = _errors({**_valid("death"), "type": "born"})[0]
    assert loc == "type" and msg.startswith("unknown event type 'born' (known types: 'household.registered'")


def test_every_message_is_words_not_pydantic_jargon() -> None:
    raw = _valid("person.registered")
    raw["payload"] = {k: 12345 for k in raw["payload"]}
    raw["source"] = "mobile"
    with pytest.raises(InvalidSubmission) as caught:
        decode_submission(orjson.dumps(raw))
    for error in caught.value.errors:
        assert error.msg and "Input should" not in error.msg and "pydantic" not in error.msg, error
        assert "function-" not in error.loc and "[" not in error.loc, error
    assert str(caught.value).startswith("source: expected an object; payload.person_id: expected text")


def test_vietnamese_text_is_nfc_normalised_everywhere() -> None:
    decomposed = unicodedata.normalize("NFD", "Lò Thị Ngọc Ánh")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    raw = _valid("person.registered")
    raw["payload"] = {**raw["payload"], "full_name": decomposed, "ethnicity": unicodedata.normalize("NFD", "Thái")}
    raw["source"] = {**raw["source"], "collector_id": unicodedata.normalize("NFD", "ctv-Đồng")}
    event = decode_submission(orjson.dumps(raw))
    assert event.payload.full_name == "Lò Thị Ngọc Ánh"  # type: ignore[union-attr]
    assert unicodedata.is_normalized("NFC", event.payload.ethnicity)  # type: ignore[union-attr]
    assert event.source.collector_id == "ctv-Đồng"
    assert validate_submission(raw) == event  # the dict path normalises the same way


def test_surrounding_spaces_are_trimmed_and_nulls_in_corrections_mean_not_given() -> None:
    raw = _valid("person.corrected")
    raw["payload"] = {"person_id": "  p-1  ", "changes": {"full_name": " An ", "national_id": None}}
    event = decode_submission(orjson.dumps(raw))
    assert event.payload.person_id == "p-1"  # type: ignore[union-attr]
    assert event.payload.changes.model_fields_set == {"full_name"}  # type: ignore[union-attr]
    assert event.payload.changes.full_name == "An"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("hours_ahead", "offset", "future"),
    [
        (-48, "+07:00", False),
        (12, "+14:00", False),
        (23, "-12:00", False),
        (26, "-12:00", True),
        (26, "+14:00", True),
        (72, "+07:00", True),
    ],
)
def test_recorded_at_in_the_future_is_judged_on_the_instant_not_the_local_day(
    hours_ahead: int, offset: str, future: bool
) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    sign = 1 if offset[0] == "+" else -1
    zone = timezone(sign * timedelta(hours=int(offset[1:3])))
    recorded = (datetime.now(UTC) + timedelta(hours=hours_ahead)).astimezone(zone)
    raw = {
        **_valid("death"),
        "occurred_on": (datetime.now(UTC) - timedelta(days=3)).date().isoformat(),
        "recorded_at": recorded.isoformat(),
    }
    if future:
        assert _errors(raw) == [("recorded_at", "is in the future (check the device clock)")]
    else:
        assert decode_submission(orjson.dumps(raw)).recorded_at == recorded
