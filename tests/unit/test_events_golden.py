"""Golden fixtures: every type in every schema_version decodes to the expected current shape."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from events import EVENT_TYPES, decode_register_event, decode_submission, encode, to_dict
from events.codec import decode_review_item
from events.upcast import upcast, upcast_v0_to_v1

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
VERSIONS = ("v0", "v1")  # v0: the flat record of the MIS2018H district warehouse export


def _read(*parts: str) -> bytes:
    return (GOLDEN.joinpath(*parts)).read_bytes()


def test_there_is_a_fixture_of_every_type_in_every_version() -> None:
    for folder in (*VERSIONS, "expected"):
        assert sorted(p.stem for p in (GOLDEN / folder).glob("*.json")) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_each_version_decodes_to_the_current_shape(version: str, event_type: str) -> None:
    data = _read(version, f"{event_type}.json")
    raw = json.loads(data)
    assert raw["schema_version"] == int(version[1:])
    model = decode_submission(data)
    expected = json.loads(_read("expected", f"{event_type}.json"))
    assert to_dict(model) == expected
    assert orjson.loads(encode(model)) == expected
    assert model.schema_version == 1 and model.type == event_type
    assert decode_submission(encode(model)) == model  # and the current shape stays put


def test_the_v0_upcaster_moves_flat_fields_into_source_and_payload() -> None:
    v0 = json.loads(_read("v0", "move_out.json"))
    v1 = upcast_v0_to_v1(v0)
    assert v1["commune"] == v0["commune_code"] == "04048"
    assert v1["source"] == {"channel": "import", "device_id": "mis-kho-huyen-128", "collector_id": "ctv-04048-03"}
    assert v1["payload"] == {"person_ids": ["p-04048-0150-3", "p-04048-0150-4"], "to_commune": "00004"}
    assert upcast(v1) is v1  # the current version passes through untouched
    assert v0["schema_version"] == 0 and "payload" not in v0  # the stored record is never changed


def test_an_unknown_future_version_is_refused_by_field() -> None:
    raw = json.loads(_read("v1", "death.json"))
    from events import InvalidSubmission

    with pytest.raises(InvalidSubmission) as caught:
        decode_submission(orjson.dumps({**raw, "schema_version": 7}))
    assert [(e.loc, e.msg) for e in caught.value.errors] == [("schema_version", "must be 1")]


def test_register_event_golden_keeps_explicit_nulls_after_the_2025_reform() -> None:
    # Nulls are explicit in the register's context, absent in the submission (its wire shape).
    data = _read("register_event.json")
    record = decode_register_event(data)
    assert record.context.area.district is None and record.context.area.province == "14"
    assert orjson.loads(encode(record)) == {
        **json.loads(data),
        "context": {**json.loads(data)["context"], "accepted_at": "2025-08-20T02:00:05.123456Z"},
    }
    assert decode_register_event(encode(record)) == record


def test_a_register_event_holding_a_v0_event_is_upcast() -> None:
    data = json.loads(_read("register_event.json"))
    data["event"] = json.loads(_read("v0", "birth.json"))
    record = decode_register_event(orjson.dumps(data))
    assert to_dict(record.event) == json.loads(_read("expected", "birth.json"))


def test_review_item_golden_round_trips() -> None:
    data = _read("review_item.json")
    item = decode_review_item(data)
    assert item.reason == "mother_too_young"
    assert decode_review_item(encode(item)) == item
