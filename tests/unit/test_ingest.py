"""Per-item checks of the ingest path and batch splitting, without Kafka or PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import orjson
import pytest

from events import encode, validate_submission
from events.gazetteer import Gazetteer, GazetteerRow
from infra.tokens import LOCAL_OPERATOR, Principal
from producers.bodies import BadBody, iter_lines, parse_body
from producers.ingest import IngestService, ItemResult, _value

pytestmark = pytest.mark.unit

ROWS = [
    GazetteerRow(
        "03646",
        "Phường Chiềng Lề",
        "116",
        "Thành phố Sơn La",
        "14",
        "Tỉnh Sơn La",
        date(2000, 1, 1),
        date(2025, 6, 30),
        successors=("03646",),
    ),
    GazetteerRow("03646", "Phường Tô Hiệu", None, None, "14", "Tỉnh Sơn La", date(2025, 7, 1)),
    GazetteerRow(
        "03658",
        "Xã Chiềng Cọ",
        "116",
        "Thành phố Sơn La",
        "14",
        "Tỉnh Sơn La",
        date(2000, 1, 1),
        date(2025, 6, 30),
        successors=("03646",),
    ),
    GazetteerRow("00001", "Phường Phúc Xá", "001", "Quận Ba Đình", "01", "Thành phố Hà Nội", date(2000, 1, 1)),
]
SERVICE = IngestService(pool=None, publisher=None, gazetteer=Gazetteer(ROWS), topic="t")  # type: ignore[arg-type]
PROVINCE_01 = Principal("tok-hn", "collector", "01")
ANALYST = Principal("tok-an", "analyst", "VN")


def death(event_id: str = "e-1", commune: str = "03646", on: str = "2024-03-05", **extra: object) -> dict:
    return {
        "event_id": event_id,
        "type": "death",
        "schema_version": 1,
        "occurred_on": on,
        "recorded_at": f"{on}T09:00:00+07:00",
        "commune": commune,
        "source": {"channel": "mobile"},
        "payload": {"person_id": "p-1"},
        **extra,
    }


def errors(result: object) -> list[tuple[str, str]]:
    assert isinstance(result, ItemResult), result
    assert result.status == "invalid"
    return [(e.loc, e.msg) for e in result.errors]


def test_a_valid_item_passes_every_check() -> None:
    event = SERVICE.check(death(), LOCAL_OPERATOR)
    assert not isinstance(event, ItemResult)
    assert event.event_id == "e-1" and event.commune == "03646"


def test_wrong_type_and_unknown_field_are_field_errors() -> None:
    bad = death()
    bad["payload"] = {"person_id": 7, "colour": "red"}
    found = dict(errors(SERVICE.check(bad, LOCAL_OPERATOR)))
    assert found["payload.person_id"] == "expected text"
    assert "unknown field" in found["payload.colour"]
    assert SERVICE.check(bad, LOCAL_OPERATOR).event_id == "e-1"  # still named in the answer


def test_future_date_is_refused() -> None:
    tomorrow2 = (date.today() + timedelta(days=3)).isoformat()
    item = death(on=tomorrow2)
    item["recorded_at"] = "2024-01-01T00:00:00+07:00"
    assert any("future" in msg for _, msg in errors(SERVICE.check(item, LOCAL_OPERATOR)))


def test_unknown_commune_and_unknown_move_destination() -> None:
    assert errors(SERVICE.check(death(commune="99999"), LOCAL_OPERATOR)) == [
        ("commune", "no commune 99999 in the gazetteer on 2024-03-05")
    ]
    move = death()
    move.update(type="move_out", payload={"person_ids": ["p-1"], "to_commune": "88888"})
    assert errors(SERVICE.check(move, LOCAL_OPERATOR))[0][0] == "payload.to_commune"
    move["payload"]["to_commune"] = "ABROAD"
    assert not isinstance(SERVICE.check(move, LOCAL_OPERATOR), ItemResult)


def test_a_commune_merged_in_2025_names_its_successor() -> None:
    ((loc, msg),) = errors(SERVICE.check(death(commune="03658", on="2025-08-01"), LOCAL_OPERATOR))
    assert loc == "commune" and "part of commune 03646" in msg


def test_scope_outside_the_token_area_is_forbidden_per_item() -> None:
    result = SERVICE.check(death(), PROVINCE_01)
    assert isinstance(result, ItemResult) and result.forbidden
    ((loc, msg),) = errors(result)
    assert loc == "commune" and msg.startswith("forbidden:") and "Thành phố Hà Nội" in msg
    inside = SERVICE.check(death(commune="00001"), PROVINCE_01)
    assert not isinstance(inside, ItemResult)


def test_review_override_needs_a_clerk_or_operator() -> None:
    item = death()
    item.update(type="review.overridden", payload={"held_event_id": "e-0", "reason": "verified at home visit"})
    collector = Principal("tok-c", "collector", "VN")
    ((loc, msg),) = errors(SERVICE.check(item, collector))
    assert loc == "type" and "clerk or operator" in msg
    assert not isinstance(SERVICE.check(item, Principal("tok-k", "clerk", "14")), ItemResult)
    assert not ANALYST.may_submit and LOCAL_OPERATOR.may_override


def test_unparsable_line_and_non_object_items() -> None:
    items = parse_body(b'{"event_id": "a"\n[1, 2]\n\n"text"\n', "application/x-ndjson")
    assert len(items) == 3  # the blank line is not an item
    first, second, third = (SERVICE.check(i, LOCAL_OPERATOR) for i in items)
    assert errors(first)[0][1].startswith("not valid JSON")
    assert errors(second) == [("", "a submission must be a JSON object")]
    assert errors(third) == [("", "a submission must be a JSON object")]


def test_body_shapes() -> None:
    one, two = death("a"), death("b")
    array = orjson.dumps([one, two])
    ndjson = orjson.dumps(one) + b"\n" + orjson.dumps(two) + b"\n"
    assert parse_body(array, "application/json") == [one, two]
    assert parse_body(b"\xef\xbb\xbf  " + array, None) == [one, two]
    assert parse_body(ndjson, "application/json") == [one, two]  # detected: not an array
    assert parse_body(ndjson, None) == [one, two]
    with pytest.raises(BadBody):
        parse_body(b'[{"event_id": "a"},', "application/json")
    assert [n for n, _ in iter_lines([b"{}\n", b"\n", b"{}\n"])] == [1, 3]


def test_kafka_value_is_the_codec_encoding() -> None:
    event = validate_submission(death())
    assert _value(event) == encode(event)
    birth = death()
    birth.update(
        type="birth",
        payload={"child_id": "c", "household_id": "h", "mother_id": "m", "sex": "F", "full_name": "Lò Thị Mai"},
    )
    event = validate_submission(birth)
    assert _value(event) == encode(event)


def test_result_shape_is_the_contract() -> None:
    result = errors(SERVICE.check(death(commune="99999"), LOCAL_OPERATOR))
    assert result
    as_dict = SERVICE.check(death(commune="99999"), LOCAL_OPERATOR).as_dict()  # type: ignore[union-attr]
    assert set(as_dict) == {"event_id", "status", "errors"}
    assert as_dict["errors"][0] == {"loc": "commune", "msg": "no commune 99999 in the gazetteer on 2024-03-05"}
