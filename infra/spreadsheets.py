"""Files people open in Excel: CSV with a UTF-8 byte-order mark, and .xlsx workbooks.

The rule (docs/files.md): a CSV written for a person to open (a report saved with `--out`, a
download asked with `bom=true`) starts with a UTF-8 BOM, so Excel reads the Vietnamese names right;
a CSV streamed to a program (standard output, the API's default, the export data sets for R,
Stata or pandas) has none. Every table people open also comes as .xlsx (XlsxWriter), one sheet
per table, header row bold and frozen, numbers as numbers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import xlsxwriter

BOM = "\ufeff"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's limit, header included
_SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def with_bom(text: str) -> str:
    """The CSV text as Excel wants it: UTF-8 with a byte-order mark (readers that strip it still parse it)."""
    return text if text.startswith(BOM) else BOM + text


class TooManyRows(ValueError):
    """A table longer than an Excel sheet can hold."""


def sheet_name(name: str) -> str:
    return name.translate(_BAD_SHEET_CHARS)[:_SHEET_NAME_MAX] or "sheet"


def xlsx_bytes(
    sheets: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]],
    widths: Mapping[str, Sequence[int]] | None = None,
) -> bytes:
    """A workbook with one sheet per (columns, rows); None cells stay empty."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf,
        {"in_memory": True, "strings_to_numbers": False, "strings_to_urls": False, "default_date_format": "yyyy-mm-dd"},
    )
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
    used: set[str] = set()
    for name, (columns, rows) in sheets.items():
        title = sheet_name(name)
        n = 1
        while title.lower() in used:  # sheet names are unique regardless of case
            n += 1
            title = f"{sheet_name(name)[: _SHEET_NAME_MAX - 3]}~{n}"
        used.add(title.lower())
        ws = book.add_worksheet(title)
        ws.write_row(0, 0, list(columns), bold)
        ws.freeze_panes(1, 0)
        count = 0
        for r, row in enumerate(rows, start=1):
            if r >= MAX_ROWS:
                raise TooManyRows(
                    f"table {name!r} has more than {MAX_ROWS - 1:,} rows, the most a sheet holds; use CSV"
                )
            for c, value in enumerate(row):
                if value is None or (isinstance(value, float) and not math.isfinite(value)):
                    continue  # no figure (NaN: a rate without exposure): an empty cell, as in the CSV
                ws.write(r, c, value)
            count = r
        for c, width in enumerate((widths or {}).get(name) or [max(10, min(40, len(str(h)) + 2)) for h in columns]):
            ws.set_column(c, c, width)
        if count:
            ws.autofilter(0, 0, count, max(len(columns) - 1, 0))
    book.close()
    return buf.getvalue()
