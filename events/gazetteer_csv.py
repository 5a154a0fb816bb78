"""The gazetteer CSV of CONTRACT.md: parse text into rows with per-cell errors, and format back. Pure.

Columns: the eight of CONTRACT.md, then optional `lat`, `lon` (centroid) and `successors`
(the communes a unit became when it ended, `;`-separated, the main one first). A bad row is
reported with its line, column and reason and left out; every good row is kept.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from events.gazetteer import GazetteerRow

REQUIRED = (
    "commune_code",
    "commune_name",
    "district_code",
    "district_name",
    "province_code",
    "province_name",
    "valid_from",
    "valid_to",
)
OPTIONAL = ("lat", "lon", "successors")
COLUMNS = REQUIRED + OPTIONAL
_DIGITS = {"commune_code": 5, "district_code": 3, "province_code": 2}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one cell (or the whole line, column "") of the CSV was refused."""

    line: int
    column: str
    msg: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.msg}"


@dataclass(frozen=True, slots=True)
class ParsedCsv:
    rows: list[GazetteerRow]
    lines: list[int]  # the line each kept row came from
    errors: list[RowError]


def _text(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


_control = re.compile(r"[\x00-\x1f\x7f]").search  # a line break inside a quoted name, a NUL


def _code(column: str, value: str, errors: list[tuple[str, str]]) -> str | None:
    value = value.strip()
    if not value:
        return None
    n = _DIGITS[column]
    if len(value) != n or not value.isdigit() or not value.isascii():
        errors.append((column, f"must be {n} digits (GSO code), got {value!r}"))
    return value


def _date(column: str, value: str, errors: list[tuple[str, str]]) -> date | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # only YYYY-MM-DD, not 20240305
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append((column, f"expected a date YYYY-MM-DD, got {value!r}"))
    return None


def _coord(column: str, value: str, bound: float, errors: list[tuple[str, str]]) -> float | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append((column, f"expected a number, got {value!r}"))
        return None
    if not math.isfinite(number) or abs(number) > bound:
        errors.append((column, f"must be between -{bound:g} and {bound:g}, got {value}"))
        return None
    return number


def _row(cells: dict[str, str], line: int, out: list[RowError]) -> GazetteerRow | None:
    bad: list[tuple[str, str]] = []
    commune = _code("commune_code", cells["commune_code"], bad)
    district = _code("district_code", cells["district_code"], bad)
    province = _code("province_code", cells["province_code"], bad)
    commune_name = _text(cells["commune_name"])
    district_name = _text(cells["district_name"]) or None
    province_name = _text(cells["province_name"])
    for column, value in (
        ("commune_code", commune),
        ("commune_name", commune_name),
        ("province_code", province),
        ("province_name", province_name),
    ):
        if not value:
            bad.append((column, "is required"))
    for column, text in (
        ("commune_name", commune_name),
        ("district_name", district_name or ""),
        ("province_name", province_name),
    ):
        if _control(text):
            bad.append((column, "must be one line of text (no line breaks or control characters)"))
    if district is None and district_name:
        bad.append(("district_code", "is empty but district_name is given"))
    if district is not None and not district_name:
        bad.append(("district_name", "is required when district_code is given"))
    valid_from = _date("valid_from", cells["valid_from"], bad)
    valid_to = _date("valid_to", cells["valid_to"], bad)
    if valid_from is None and not cells["valid_from"].strip():
        bad.append(("valid_from", "is required"))
    if valid_from and valid_to and valid_to < valid_from:
        bad.append(("valid_to", f"{valid_to} is before valid_from {valid_from}"))
    lat = _coord("lat", cells.get("lat", ""), 90, bad)
    lon = _coord("lon", cells.get("lon", ""), 180, bad)
    successors = tuple(s.strip() for s in cells.get("successors", "").split(";") if s.strip())
    for code in successors:
        if len(code) != 5 or not code.isdigit() or not code.isascii():
            bad.append(("successors", f"{code!r} is not a 5-digit commune code"))
    if successors and valid_to is None:
        bad.append(("successors", "only a unit that ended (valid_to given) has successors"))
    if bad:
        out.extend(RowError(line, column, f"{column} {msg}") for column, msg in bad)
        return None
    assert commune and province and valid_from  # guaranteed by the checks above
    return GazetteerRow(
        commune,
        commune_name,
        district,
        district_name,
        province,
        province_name,
        valid_from,
        valid_to,
        lat,
        lon,
        successors,
    )


def _header(header: list[str]) -> list[RowError]:
    names = [h.strip() for h in header]
    errors = [RowError(1, c, f"missing column {c!r}") for c in REQUIRED if c not in names]
    errors += [
        RowError(1, n, f"unknown column {n!r} (expected {', '.join(COLUMNS)})") for n in names if n not in COLUMNS
    ]
    errors += [RowError(1, n, f"column {n!r} appears twice") for n in set(names) if names.count(n) > 1]
    return errors


def _consistent(parsed: list[tuple[int, GazetteerRow]], errors: list[RowError]) -> list[tuple[int, GazetteerRow]]:
    """Refuse rows that contradict earlier lines: a code means one unit, one name, on any day."""
    kept: list[tuple[int, GazetteerRow]] = []
    versions: dict[str, list[tuple[int, GazetteerRow]]] = {}
    # (column, code) -> (name, parent) -> distinct (from, to) spans -> first line
    named: dict[tuple[str, str], dict[tuple[str, str | None], dict[tuple[date, date | None], int]]] = {}
    for line, row in parsed:
        clash = next((ln for ln, other in versions.get(row.commune_code, ()) if _overlap(row, other)), None)
        if clash is not None:
            errors.append(
                RowError(
                    line, "valid_from", f"commune {row.commune_code} is already in force on these dates (line {clash})"
                )
            )
            continue
        problem = _name_clash(named, row, line)
        if problem is not None:
            errors.append(problem)
            continue
        versions.setdefault(row.commune_code, []).append((line, row))
        kept.append((line, row))
    return kept


def _name_clash(named: dict, row: GazetteerRow, line: int) -> RowError | None:
    span = (row.valid_from, row.valid_to)
    checks = [("province_name", row.province_code, (row.province_name, None))]
    if row.district_code is not None:
        checks.append(("district_name", row.district_code, (row.district_name or "", row.province_code)))
    for column, code, key in checks:
        for other, spans in named.get((column, code), {}).items():
            if other == key:
                continue
            first = next((ln for (a, b), ln in spans.items() if _spans_overlap(span, (a, b))), None)
            if first is not None:
                what = "province" if column == "province_name" else "district"
                return RowError(
                    line,
                    column,
                    f"{what} {code} is {other[0]!r}"
                    + (f" in province {other[1]}" if other[1] else "")
                    + f" on overlapping dates (line {first}); one code, one unit",
                )
    for column, code, key in checks:
        named.setdefault((column, code), {}).setdefault(key, {}).setdefault(span, line)
    return None


def _spans_overlap(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return a[0] <= (b[1] or date.max) and b[0] <= (a[1] or date.max)


def _overlap(a: GazetteerRow, b: GazetteerRow) -> bool:
    return _spans_overlap((a.valid_from, a.valid_to), (b.valid_from, b.valid_to))


def parse_csv(text: str) -> ParsedCsv:
    """Every good row of a gazetteer CSV, and an error per bad cell; never raises on content."""
    # newline=None: universal newlines, so a lone CR (old Mac / Excel) ends a line too.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=None))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return ParsedCsv([], [], [RowError(1, "", f"unreadable CSV header: {exc}")])
    if header is None:
        return ParsedCsv([], [], [RowError(1, "", "the file is empty (expected a header line)")])
    errors = _header(header)
    if errors:
        return ParsedCsv([], [], errors)
    names = [h.strip() for h in header]
    parsed: list[tuple[int, GazetteerRow]] = []
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, "", f"unreadable CSV: {exc}"))
            continue
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(names):
            errors.append(RowError(line, "", f"expected {len(names)} fields, found {len(cells)}"))
            continue
        row = _row(dict(zip(names, cells, strict=True)), line, errors)
        if row is not None:
            parsed.append((line, row))
    kept = _consistent(parsed, errors)
    return ParsedCsv([r for _, r in kept], [ln for ln, _ in kept], sorted(errors, key=lambda e: e.line))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}".rstrip("0").rstrip(".")


def format_csv(rows: Iterable[GazetteerRow], extras: bool = True) -> str:
    """Rows as CSV text (LF line ends); `extras=False` writes only the eight CONTRACT.md columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS if extras else REQUIRED)
    for r in rows:
        cells = [
            r.commune_code,
            r.commune_name,
            r.district_code or "",
            r.district_name or "",
            r.province_code,
            r.province_name,
            r.valid_from.isoformat(),
            r.valid_to.isoformat() if r.valid_to else "",
        ]
        if extras:
            cells += [_number(r.lat), _number(r.lon), ";".join(r.successors)]
        writer.writerow(cells)
    return buffer.getvalue()
