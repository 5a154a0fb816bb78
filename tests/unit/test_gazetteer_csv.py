"""The gazetteer CSV: bad rows get line, column and reason; every good row is kept."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.gazetteer import GazetteerRow
from events.gazetteer_csv import REQUIRED, RowError, format_csv, parse_csv

pytestmark = pytest.mark.unit

HEADER = ",".join(REQUIRED)


def _errors(text: str) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in parse_csv(text).errors]


def test_a_contract_file_parses() -> None:
    text = (
        HEADER + "\n04048,Xã Vân Hồ,128,Huyện Vân Hồ,14,Tỉnh Sơn La,2000-01-01,2025-06-30\n"
        "04048,Xã Vân Hồ,,,14,Tỉnh Sơn La,2025-07-01,\n"
    )
    parsed = parse_csv(text)
    assert parsed.errors == []
    assert parsed.lines == [2, 3]
    assert parsed.rows[0] == GazetteerRow(
        "04048", "Xã Vân Hồ", "128", "Huyện Vân Hồ", "14", "Tỉnh Sơn La", date(2000, 1, 1), date(2025, 6, 30)
    )
    assert parsed.rows[1].district_code is None and parsed.rows[1].valid_to is None


def test_each_bad_cell_is_named_and_the_good_rows_are_kept() -> None:
    text = "\n".join(
        [
            HEADER,
            "04048,Xã Vân Hồ,,,14,Tỉnh Sơn La,2025-07-01,",  # good
            "4048,Xã A,,,14,Tỉnh Sơn La,2025-07-01,",  # 4 digits
            "04050,Xã B,,,14,Tỉnh Sơn La,01/07/2025,",  # not ISO
            "04051,,12,,144,Tỉnh Sơn La,2025-07-01,2025-01-01",  # several at once
            "04052,Xã C,,,14,Tỉnh Sơn La,2025-07-01",  # a field missing
            "04053,Xã D,,,14,Tỉnh Sơn La,,",  # valid_from required
            "04054,Xã E,,,14,Tỉnh Sơn La,2025-07-01,",  # good
        ]
    )
    parsed = parse_csv(text)
    assert [r.commune_code for r in parsed.rows] == ["04048", "04054"]
    assert _errors(text) == [
        (3, "commune_code"),
        (4, "valid_from"),
        (5, "district_code"),
        (5, "province_code"),
        (5, "commune_name"),
        (5, "district_name"),
        (5, "valid_to"),
        (6, ""),
        (7, "valid_from"),
    ]
    msgs = {str(e) for e in parsed.errors}
    assert "line 3, column commune_code: commune_code must be 5 digits (GSO code), got '4048'" in msgs
    assert "line 4, column valid_from: valid_from expected a date YYYY-MM-DD, got '01/07/2025'" in msgs
    assert "line 6: expected 8 fields, found 7" in msgs
    assert "line 7, column valid_from: valid_from is required" in msgs


def test_a_code_means_one_unit_on_any_day() -> None:
    text = "\n".join(
        [
            HEADER,
            "04048,Xã Vân Hồ,,,14,Tỉnh Sơn La,2025-07-01,",
            "04048,Xã Khác,,,14,Tỉnh Sơn La,2026-01-01,",  # overlaps line 2
            "04049,Xã F,,,14,Tinh Son La,2025-07-01,",  # province 14 named differently
            "04050,Xã G,128,Huyện Vân Hồ,14,Tỉnh Sơn La,2000-01-01,2025-06-30",
            "04051,Xã H,128,Huyện Khác,14,Tỉnh Sơn La,2000-01-01,2025-06-30",  # district 128 renamed
        ]
    )
    parsed = parse_csv(text)
    assert [str(e) for e in parsed.errors] == [
        "line 3, column valid_from: commune 04048 is already in force on these dates (line 2)",
        "line 4, column province_name: province 14 is 'Tỉnh Sơn La' on overlapping dates (line 2); one code, one unit",
        "line 6, column district_name: district 128 is 'Huyện Vân Hồ' in province 14 on overlapping dates (line 5); one code, one unit",
    ]
    assert [r.commune_code for r in parsed.rows] == ["04048", "04050"]


def test_header_problems_stop_the_file() -> None:
    assert _errors("") == [(1, "")]
    assert _errors("commune_code,commune_name\n1,2\n")[0] == (1, "district_code")
    errs = parse_csv(HEADER + ",populaton\n").errors
    assert errs == [RowError(1, "populaton", errs[0].msg)] and "unknown column" in errs[0].msg


def test_optional_columns_and_a_bom() -> None:
    text = (
        "\ufeff" + HEADER + ",lat,lon,successors\n"
        "04039,Xã Chiềng Yên,128,Huyện Vân Hồ,14,Tỉnh Sơn La,2000-01-01,2025-06-30,20.8,104.7,04048;04040\n"
        "04040,Xã X,,,14,Tỉnh Sơn La,2025-07-01,,91,0,\n"
        "04041,Xã Y,,,14,Tỉnh Sơn La,2025-07-01,,,,04048\n"
    )
    parsed = parse_csv(text)
    assert parsed.rows[0].successors == ("04048", "04040") and parsed.rows[0].lat == 20.8
    assert [str(e) for e in parsed.errors] == [
        "line 3, column lat: lat must be between -90 and 90, got 91",
        "line 4, column successors: successors only a unit that ended (valid_to given) has successors",
    ]


def test_names_are_nfc_and_one_line() -> None:
    decomposed = unicodedata.normalize("NFD", "Xã Vân Hồ")
    text = HEADER + f'\n04048,{decomposed},,,14,Tỉnh Sơn La,2025-07-01,\n04049,"Xã\nHai",,,14,Tỉnh Sơn La,2025-07-01,\n'
    parsed = parse_csv(text)
    assert parsed.rows[0].commune_name == "Xã Vân Hồ" != decomposed
    assert [(e.line, e.column) for e in parsed.errors] == [(3, "commune_name")]


codes = st.text("0123456789", min_size=5, max_size=5)
names = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20)
    .map(lambda s: unicodedata.normalize("NFC", s).strip())
    .filter(bool)
)
rows = st.builds(
    GazetteerRow,
    codes,
    names,
    st.none() | st.text("0123456789", min_size=3, max_size=3),
    st.none(),
    st.just("14"),
    st.just("Tỉnh Sơn La"),
    st.dates(date(1990, 1, 1), date(2030, 1, 1)),
    st.none(),
    st.none() | st.floats(-90, 90).map(lambda x: round(x, 6)),
    st.none() | st.floats(-180, 180).map(lambda x: round(x, 6)),
).map(
    lambda r: GazetteerRow(
        r.commune_code,
        r.commune_name,
        r.district_code,
        f"Huyện {r.district_code}" if r.district_code else None,
        r.province_code,
        r.province_name,
        r.valid_from,
        None,
        r.lat,
        r.lon,
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, max_size=8, unique_by=lambda r: r.commune_code))
def test_format_then_parse_gives_the_rows_back(generated: list[GazetteerRow]) -> None:
    parsed = parse_csv(format_csv(generated))
    assert parsed.errors == []
    assert parsed.rows == generated


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_rows_or_errors_never_an_exception(text: str) -> None:
    parsed = parse_csv(text)
    assert all(isinstance(e, RowError) and e.line >= 1 for e in parsed.errors)
    assert len(parsed.rows) == len(parsed.lines)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=8, max_size=8))
def test_any_cells_under_a_good_header_never_raise(cells: list[str]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(REQUIRED), cells])
    parsed = parse_csv(buffer.getvalue())
    if any(c.strip() for c in cells):
        assert (len(parsed.rows) == 1) != bool(parsed.errors)  # kept, or refused with reasons
        assert all(e.line == 2 for e in parsed.errors)
    else:
        assert parsed.rows == [] and parsed.errors == []  # a blank line
