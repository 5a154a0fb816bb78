"""`popreg import-a0` of books kept in Excel (issue 15): the same events as the CSV, problems by
sheet, row and column letter, the form's Vietnamese headers under a title block, and legacy
Windows-1258 CSV exports."""

from __future__ import annotations

import csv
import unicodedata
from datetime import date
from pathlib import Path

import pytest
import xlsxwriter

from infra.settings import Settings
from producers.a0 import event_id
from producers.a0_format import parse_date
from tests.support.gateway import popreg, read_submissions

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "a0-example.csv"
# The A0 form's headers (DOMAIN-MIS.md 2.3) for the example's columns.
VIETNAMESE = {
    "commune": "Mã xã",
    "household_id": "Mã hộ",
    "address": "Địa chỉ",
    "registered_on": "Ngày lập sổ",
    "person_id": "Mã đối tượng (Số thẻ BHYT)",
    "full_name": "Họ và tên",
    "sex": "Giới tính",
    "birth_date": "Ngày sinh",
    "relation_to_head": "Quan hệ với chủ hộ",
    "marital_status": "Tình trạng hôn nhân",
    "mother_id": "Mã mẹ",
    "children_ever_born": "Số con đã sinh",
    "national_id": "Số CCCD",
    "ethnicity": "Dân tộc",
    "education": "Trình độ học vấn",
    "contraception_method": "Biện pháp tránh thai",
    "contraception_since": "Ngày bắt đầu BPTT",
    "collector_id": "Mã CTV",
}


def _workbook(path: Path, header: list[str], rows: list[list[object]], title: bool = True) -> None:
    """Like a commune's book: a title block, the header, dates as Excel dates, codes as numbers."""
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Ghi chú").write(0, 0, "Sổ ghi chép ban đầu về dân số")  # a sheet before the book
    ws = book.add_worksheet("Sổ A0")
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    first = 0
    if title:
        ws.write(0, 1, "SỔ GHI CHÉP BAN ĐẦU VỀ DÂN SỐ (A0/CTV)")
        ws.write(1, 1, "Xã Chiềng Lề, tỉnh Sơn La")
        first = 3
    ws.write_row(first, 1, ["Số TT", *header])  # column A empty, as exports often leave it
    for i, row in enumerate(rows, start=first + 1):
        ws.write(i, 1, i - first)
        for j, value in enumerate(row, start=2):
            if isinstance(value, date):
                ws.write_datetime(i, j, value, day)
            elif isinstance(value, int | float):
                ws.write_number(i, j, value)
            elif value not in (None, ""):
                ws.write_string(i, j, str(value))
    book.close()


def _excel_values(record: dict[str, str]) -> list[object]:
    out: list[object] = []
    for column, text in record.items():
        if column.endswith(("_on", "_date", "_since")) and text:
            out.append(parse_date(text))
        elif column in ("commune", "national_id", "children_ever_born") and text:
            out.append(int(text))  # Excel keeps 03646 as the number 3646
        else:
            out.append(text)
    return out


async def test_an_excel_book_gives_the_same_events_as_its_csv(make_settings, tmp_path: Path) -> None:
    settings: Settings = make_settings()
    records = list(csv.DictReader(EXAMPLE.open(encoding="utf-8")))
    book = tmp_path / "so-a0.xlsx"
    _workbook(book, [VIETNAMESE[c] for c in records[0]], [_excel_values(r) for r in records])
    first = popreg(settings, "import-a0", str(book))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "18 rows, 4 households, 0 bad rows; events: 27 accepted, 0 duplicate, 0 invalid" in first.stdout
    # The CSV of the same book is the same events: every one answers duplicate.
    again = popreg(settings, "import-a0", str(EXAMPLE))
    assert "events: 0 accepted, 27 duplicate, 0 invalid" in again.stdout, again.stdout
    head = event_id("person.registered", "GD4140100000012")
    found = await read_submissions(settings, {head})
    import orjson

    person = orjson.loads(found[head][1])
    assert person["commune"] == "03646" and person["payload"]["national_id"] == "014186000222"
    assert person["payload"]["birth_date"] == "1986-09-03" and person["payload"]["full_name"] == "Cầm Thị Hoa"


async def test_workbook_problems_name_the_sheet_row_and_column(settings: Settings, tmp_path: Path) -> None:
    header = [
        "Mã xã",
        "Địa bàn số",
        "Hộ số",
        "Địa chỉ",
        "Mã đối tượng",
        "Họ và tên",
        "Giới tính",
        "Ngày sinh",
        "Quan hệ với chủ hộ",
        "Tình trạng hôn nhân",
        "Tình trạng cư trú",
    ]
    rows: list[list[object]] = [
        [
            3658,
            105,
            7,
            "Bản Hài",
            "p-x-1",
            "Quàng Văn Páo",
            "Nam",
            date(1975, 1, 15),
            "Chủ hộ",
            "Đang kết hôn",
            "thường trú",
        ],
        [3658, 105, 7, "", "p-x-2", "Lường Thị Ên", "X", date(1979, 6, 10), "Vợ", "Đang kết hôn", ""],  # sex
        [3658, 105, 7, "", "p-x-3", "Quàng Thị Xuân", "Nữ", "31/13/2003", "Con", "Chưa kết hôn", ""],  # date
    ]
    book = tmp_path / "loi.xlsx"
    _workbook(book, header, rows)
    done = popreg(settings, "import-a0", str(book), "--registered-on", "2021-01-01")
    assert done.returncode == 0, done.stdout + done.stderr
    # Title rows 1-2, blank 3, header on row 4; column A empty, "Số TT" in B, so sex is in I.
    assert f"bad row {book}: sheet 'Sổ A0', row 6, column I (sex): 'X' is not one of F, M" in done.stdout
    assert f"bad row {book}: sheet 'Sổ A0', row 7, column J (birth_date): '31/13/2003' is not a date" in done.stdout
    assert "3 rows, 1 households, 2 bad rows" in done.stdout
    household = event_id("household.registered", "03658-105-7")  # named by the page: commune-area-number
    assert set(await read_submissions(settings, {household, event_id("person.registered", "p-x-1")})) == {
        household,
        event_id("person.registered", "p-x-1"),
    }
    wrong = popreg(settings, "import-a0", str(book), "--sheet", "Không có", "--registered-on", "2021-01-01")
    assert wrong.returncode == 2 and "no sheet 'Không có' (sheets: Ghi chú, Sổ A0)" in wrong.stdout


def _cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: precomposed vowels, tone marks as combining characters."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


async def test_a_windows_1258_export_with_its_encoding(settings: Settings, tmp_path: Path) -> None:
    text = (
        "Mã xã;Mã hộ;Địa chỉ;Mã đối tượng;Họ và tên;Giới tính;Ngày sinh;Quan hệ với chủ hộ;Tình trạng hôn nhân\n"
        "03658;h-cp-1;Bản Hài;p-cp-1;Lò Văn Sơn;Nam;02/03/1980;Chủ hộ;Đang kết hôn\n"
    )
    export = tmp_path / "mis.csv"
    export.write_bytes(_cp1258(text))
    refused = popreg(settings, "import-a0", str(export), "--registered-on", "2021-01-01")
    assert refused.returncode == 2 and "not UTF-8 text" in refused.stdout and "--encoding cp1258" in refused.stdout
    done = popreg(settings, "import-a0", str(export), "--registered-on", "2021-01-01", "--encoding", "cp1258")
    assert done.returncode == 0 and "1 rows, 1 households, 0 bad rows; events: 2 accepted" in done.stdout, done.stdout
    found = await read_submissions(settings, {event_id("person.registered", "p-cp-1")})
    assert "Lò Văn Sơn" in found[event_id("person.registered", "p-cp-1")][1].decode()
