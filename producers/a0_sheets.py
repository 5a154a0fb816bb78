"""A0 books kept in a workbook (.xlsx, .xls, .ods): rows as the CSV reader gives them.

Communes keep their books in Excel, and the district software's export is a sheet with a title
block above the header. The workbook is read with python-calamine; the header is the first row
(of the first 20) that names at least three A0 columns, contract names or the form's Vietnamese
headers (producers.a0_format.HEADERS); the rows below it are the persons. Cells are turned into
the text the CSV would hold: Excel dates as YYYY-MM-DD, whole numbers without ".0", and codes
Excel stored as numbers padded back to their digits (a commune 3646 is 03646, a CCCD 14082000111
is 014082000111). Problems name the sheet, the row and the column's letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from producers.a0_format import column_name, known_columns

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN = 20
# Codes that are digit strings of a fixed width: Excel drops their leading zeros.
DIGITS = {"commune": 5, "national_id": 12}


class SheetError(ValueError):
    """The workbook cannot be read at all."""


def letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def cell_text(value: object, column: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        width = DIGITS.get(column)
        return text.zfill(width) if width and len(text) < width else text
    return str(value)


@dataclass
class Sheet:
    name: str
    header_row: int  # 1-based row of the header
    header: list[str]
    first_column: int  # 0-based index of the sheet's first used column
    rows: Iterator[tuple[int, list[str]]]  # (1-based row, cells as text), header width

    def letter_of(self, names: list[str]) -> dict[str, str]:
        return {n: letter(self.first_column + i) for i, n in enumerate(names) if n}


def open_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """The book's sheet: the one named, else the first whose header names A0 columns."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise SheetError(f"cannot read {path} as a workbook: {exc}") from None
    names = book.sheet_names
    if sheet is not None and sheet not in names:
        raise SheetError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(names)})")
    fallback: Sheet | None = None
    for name in [sheet] if sheet is not None else names:
        found = _sheet(book, name)
        if found is None:
            continue
        if known_columns(found.header) >= 3 or sheet is not None:
            return found
        fallback = fallback or found
    if fallback is None:
        raise SheetError(f"{path}: every sheet is empty")
    return fallback


def _sheet(book: CalamineWorkbook, name: str) -> Sheet | None:
    ws = book.get_sheet_by_name(name)
    if ws.start is None:  # an empty sheet
        return None
    rows = iter(ws.iter_rows())
    seen: list[tuple[int, list[Any]]] = []
    header_at = None
    scanned = 0
    for number, cells in enumerate(rows, start=1):
        scanned = number
        if any(str(c).strip() for c in cells):
            seen.append((number, cells))
            if known_columns([str(c) for c in cells]) >= 3:
                header_at = len(seen) - 1
                break
        if number >= HEADER_SCAN:
            break
    if not seen:
        return None
    if header_at is None:  # no row looks like a header: the first one is, and check_header says why not
        header_at = 0
    number, header_cells = seen[header_at]
    header = [str(c).strip() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    columns = [column_name(h) for h in header]
    rest = [(n, c) for n, c in seen[header_at + 1 :]]

    def body() -> Iterator[tuple[int, list[str]]]:
        for n, cells in rest:
            yield n, _texts(cells, columns)
        for n, cells in enumerate(rows, start=scanned + 1):
            yield n, _texts(cells, columns)

    return Sheet(name, number, header, ws.start[1], body())


def _texts(cells: list[Any], columns: list[str]) -> list[str]:
    width = len(columns)
    padded = list(cells[:width]) + [""] * (width - len(cells))
    return [cell_text(v, c) for v, c in zip(padded, columns, strict=True)]
