"""A0 rows to baseline events: aliases, problems per column, order and deterministic ids. No I/O."""

from __future__ import annotations

from datetime import date

import pytest

from events import validate_submission
from infra.tokens import check_area, hash_token
from producers.a0 import event_id, household_events
from producers.a0_format import check_header, column_of, parse_row

pytestmark = pytest.mark.unit

BOOK = date(2021, 1, 1)


def row(**values: str) -> dict[str, str]:
    base = {
        "commune": "03646",
        "household_id": "03646-105-002",
        "address": "Số 12, tổ 4",
        "person_id": "HC4140100000021",
        "full_name": "Nguyễn Văn Hùng",
        "sex": "Nam",
        "birth_date": "12/07/1958",
        "relation_to_head": "chủ hộ",
        "marital_status": "đang kết hôn",
    }
    base.update(values)
    return base


def test_vietnamese_words_and_book_dates_are_read() -> None:
    parsed, problems = parse_row(2, row(contraception_method="Que cấy", children_ever_born="3"), BOOK)
    assert problems == [] and parsed is not None
    assert parsed.person["sex"] == "M" and parsed.person["relation_to_head"] == "head"
    assert parsed.person["marital_status"] == "married"
    assert parsed.person["birth_date"] == date(1958, 7, 12)
    assert parsed.person["children_ever_born"] == 3
    assert parsed.method == "implant" and parsed.registered_on == BOOK


def test_every_bad_column_is_reported_with_its_line() -> None:
    parsed, problems = parse_row(7, row(sex="X", birth_date="31/02/1990", commune="3646", full_name=""), BOOK)
    assert parsed is None
    assert {(p.line, p.column) for p in problems} == {(7, "sex"), (7, "birth_date"), (7, "commune"), (7, "full_name")}
    assert "not one of F, M" in next(p.msg for p in problems if p.column == "sex")


def test_header_refuses_typos_and_missing_columns() -> None:
    names, problems = check_header(["\ufeffCommune", "household_id", "person_id", "full_nam"])
    assert names[0] == "commune"
    assert any("unknown column 'full_nam'" in p for p in problems)
    assert any("missing column 'sex'" in p for p in problems)


def test_a_household_page_becomes_ordered_valid_events() -> None:
    child = parse_row(
        3,
        row(
            person_id="c",
            full_name="Nguyễn Bảo Ngọc",
            sex="F",
            birth_date="2019-06-14",
            relation_to_head="cháu",
            marital_status="chưa kết hôn",
            mother_id="m",
            address="",
        ),
        BOOK,
    )[0]
    mother = parse_row(
        4,
        row(
            person_id="m",
            full_name="Phạm Thị Thu Hằng",
            sex="F",
            birth_date="1991-08-19",
            relation_to_head="con dâu",
            contraception_method="pill",
            contraception_since="2016-01-01",
            address="",
        ),
        BOOK,
    )[0]
    head = parse_row(5, row(), BOOK)[0]
    events, problems = household_events([child, mother, head], 3)  # type: ignore[list-item]
    assert problems == []
    kinds = [(e["type"], e["payload"].get("person_id")) for e, _ in events]
    assert kinds == [
        ("household.registered", None),
        ("person.registered", "HC4140100000021"),
        ("person.registered", "m"),
        ("person.registered", "c"),
        ("contraception.started", "m"),
    ]
    for event, _ in events:
        validate_submission(event)  # every generated event follows the contract
    household = events[0][0]
    assert household["payload"]["head_person_id"] == "HC4140100000021"
    # A start before the book is recorded as in use on the book's date.
    assert events[-1][0]["occurred_on"] == "2021-01-01"
    assert events[0][0]["event_id"] == event_id("household.registered", "03646-105-002")
    again, _ = household_events([child, mother, head], 3)  # type: ignore[list-item]
    assert [e["event_id"] for e, _ in again] == [e["event_id"] for e, _ in events]


def test_missing_address_is_a_problem_on_the_first_row() -> None:
    person = parse_row(9, row(address=""), BOOK)[0]
    events, problems = household_events([person], 9)  # type: ignore[list-item]
    assert [(p.line, p.column) for p in problems] == [(9, "address")]
    assert [e["type"] for e, _ in events] == ["person.registered"]


def test_contract_errors_map_back_to_csv_columns() -> None:
    assert column_of("person.registered", "payload.national_id") == "national_id"
    assert column_of("contraception.started", "") == "contraception_since"
    assert column_of("household.registered", "commune") == "commune"


def test_token_helpers() -> None:
    assert check_area(" vn ") == "VN" and check_area("14") == "14"
    with pytest.raises(ValueError):
        check_area("1401")
    assert len(hash_token("prt_x")) == 32 and hash_token("prt_x") != hash_token("prt_y")
