"""Report forms without a database: Vietnamese number formats, the printable page (escaping, A4,
labels), CSV rows, the form of each level and the period-kind warning."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from projections.periods import parse_period
from projections.reports.forms import (
    AGE_ROWS,
    FLOW_ROWS,
    FP_ROWS,
    STOCK_ROWS,
    _section,
    to_csv,
    warnings,
)
from projections.reports.html import period_words, to_html
from projections.reports.labels import FORMS, format_value, vi_number

pytestmark = pytest.mark.unit


def sample(level: str = "province", period: str = "2024", name: str = "Sơn La") -> dict[str, Any]:
    """A report document as build_report makes it, with figures chosen by hand."""
    values: dict[str, Any] = {n: 0 for n, _ in STOCK_ROWS + AGE_ROWS + FLOW_ROWS + FP_ROWS}
    values.update(
        population=1320046,
        households=302115,
        srb=112.43,
        cpr_modern=0.7125,
        tfr=2.104,
        cbr=14.25,
        net_migration=-1250,
        births=5120,
        share_order_3_plus=None,
    )
    checks = {
        "received": 12,
        "accepted": 10,
        "held": 2,
        "late": 3,
        "late_share": 0.3,
        "median_delay_days": 4,
        "held_by_reason.mother_too_young": 2,
    }
    per = parse_period(period)
    form = FORMS[level]
    return {
        "form": {
            "code": form.code,
            "level": level,
            "usual_period": form.usual,
            "title_vi": form.title_vi,
            "title_en": form.title_en,
        },
        "area": {
            "code": "14",
            "level": level,
            "name": name,
            "path": [{"level": "province", "code": "14", "name": name}],
        },
        "period": {"code": per.code, "kind": per.kind, "start": per.start.isoformat(), "end": per.end.isoformat()},
        "period_matches_form": per.kind == form.usual,
        "known_on": None,
        "generated_at": "2026-11-25T09:30:00+07:00",
        "warnings": warnings(level, per),
        "values": values,
        "quality": {**checks, "by_collector": [{"collector": "<ctv&1>", "accepted": 1500, "late": 3, "held": 2}]},
        "sections": [
            _section("stocks", STOCK_ROWS, values),
            _section("ages", AGE_ROWS, values),
            _section("flows", FLOW_ROWS, values),
            _section("fp", FP_ROWS, values),
            _section("quality", [(k, k.startswith("held_by")) for k in checks], checks),
        ],
    }


def test_numbers_are_written_the_vietnamese_way() -> None:
    assert vi_number(1320046) == "1.320.046"
    assert vi_number(-1250) == "-1.250"
    assert format_value("srb", 112.43) == "112,4"
    assert format_value("cpr_modern", 0.7125) == "71,3 %"
    assert format_value("tfr", 2.104) == "2,10"
    assert format_value("births", 0) == "0"
    assert format_value("srb", None) == "–"


def test_the_printable_page_is_an_a4_form_in_vietnamese_with_english_in_small_print() -> None:
    page = to_html(sample())
    assert '<html lang="vi">' in page and "size: A4 portrait" in page and "@page" in page
    assert "1.320.046" in page and "112,4" in page and "71,3 %" in page and "-1.250" in page
    assert "Tổng tỷ suất sinh" in page and '<span class="en">Total fertility rate' in page
    assert "BÁO CÁO" not in page  # titles are styled upper-case, written as words
    assert "Năm 2024" in page and "01/01/2024 – 31/12/2024" in page
    assert "Người lập biểu" in page and "Thủ trưởng đơn vị" in page


def test_names_from_data_are_escaped() -> None:
    page = to_html(sample(name='<script>alert("x")</script>'))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;ctv&amp;1&gt;" in page and "<ctv&1>" not in page


def test_each_level_names_its_form_and_a_period_of_another_kind_is_marked() -> None:
    assert [FORMS[level].usual for level in ("commune", "district", "province")] == ["month", "quarter", "year"]
    assert FORMS["district"].code == "01-DSH"
    assert warnings("commune", parse_period("2024-03")) == []
    found = warnings("commune", parse_period("2024-Q1"))
    assert [w["code"] for w in found] == ["period_kind"] and "quý" in found[0]["vi"]
    assert [w["code"] for w in warnings("district", parse_period("2025-Q3"))] == ["district_abolished"]
    page = to_html(sample("commune", "2024"))
    assert 'data-code="period_kind"' in page and "Biểu số: <b>01-DSX</b>" in page
    assert period_words({"code": "2024-03", "kind": "month"}) == ("Tháng 03 năm 2024", "March 2024")
    assert period_words({"code": "2024-Q2", "kind": "quarter"})[0] == "Quý 2 năm 2024"


def test_csv_has_one_row_per_figure_with_plain_numbers() -> None:
    table = list(csv.DictReader(io.StringIO(to_csv(sample()))))
    by_name = {r["name"]: r for r in table if r["section"] != "quality_by_collector"}
    assert by_name["population"]["value"] == "1320046" and by_name["population"]["no"] == "2"
    assert by_name["srb"]["value"] == "112.43" and by_name["share_order_3_plus"]["value"] == ""
    assert by_name["population_male"]["no"] == ""  # a sub-row ("trong đó")
    assert by_name["held_by_reason.mother_too_young"]["section"] == "quality"
    collectors = [r for r in table if r["section"] == "quality_by_collector"]
    assert [(r["name"], r["value"]) for r in collectors] == [
        ("<ctv&1>.accepted", "1500"),
        ("<ctv&1>.late", "3"),
        ("<ctv&1>.held", "2"),
    ]


def test_excel_files_keep_the_diacritics_and_the_numbers() -> None:
    """A CSV for Excel starts with a BOM (and still parses); the .xlsx holds the same rows, numbers as numbers."""
    from python_calamine import CalamineWorkbook

    from projections.reports.forms import CSV_COLUMNS, to_xlsx

    plain, excel = to_csv(sample()), to_csv(sample(), bom=True)
    assert not plain.startswith("\ufeff") and excel == "\ufeff" + plain
    assert excel.encode("utf-8")[:3] == b"\xef\xbb\xbf"
    assert list(csv.DictReader(io.StringIO(excel.encode().decode("utf-8-sig")))) == list(
        csv.DictReader(io.StringIO(plain))
    )
    rows = CalamineWorkbook.from_filelike(io.BytesIO(to_xlsx(sample()))).get_sheet_by_name("Báo cáo").to_python()
    assert rows[0] == list(CSV_COLUMNS)
    table = list(csv.reader(io.StringIO(plain)))
    assert len(rows) == len(table)
    by_name = {r[7]: r for r in rows[1:]}
    assert by_name["population"][10] == 1320046 and isinstance(by_name["srb"][10], float)
    assert by_name["share_order_3_plus"][10] == ""  # no figure: an empty cell
    assert any("Dân số" in (r[8] or "") for r in rows[1:])  # Vietnamese labels intact
