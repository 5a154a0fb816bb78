"""The register against outside totals (a census, a survey frame): `popreg quality compare`.

A totals file (CSV, UTF-8, a BOM from Excel is fine; `,` `;` or tab) has one line per area and date:

    area,date,population,population_male,population_female
    14,2019-04-01,1248415,627733,620682

`population_male` and `population_female` are optional (both or neither), the Vietnamese headers
`mã đơn vị`, `ngày`, `dân số`, `nam`, `nữ` are read too. Each line is compared with the register's
population on that date (at the end of that day; as known now, or on `known_on`), counted by the
same function as every other figure (projections.read.indicators.compute_indicators), and the
register's error is given the way the seeds quote it: (register − outside) / outside, in per cent.
A bad line is refused with its field, in Vietnamese and English; the other lines are compared.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from events.gazetteer import Gazetteer
from events.gazetteer import level as area_level
from projections.periods import Period
from projections.read.indicators import compute_indicators

NAMES = ["population", "population_male", "population_female"]
COUNTS = ("population", "population_male", "population_female")
HEADERS = {
    "area": "area",
    "mã đơn vị": "area",
    "mã": "area",
    "địa bàn": "area",
    "date": "date",
    "ngày": "date",
    "thời điểm": "date",
    "population": "population",
    "dân số": "population",
    "tổng": "population",
    "population_male": "population_male",
    "nam": "population_male",
    "population_female": "population_female",
    "nữ": "population_female",
}
_GROUPED = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")  # 1.248.415 or 1,248,415 or 1 248 415


class TotalsFileError(ValueError):
    """The file cannot be compared at all (unreadable, wrong header)."""


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    vi: str
    en: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column or '(row)'}: {self.vi} / {self.en}"


@dataclass(frozen=True)
class Total:
    line: int
    area: str
    level: str
    name: str
    on: date
    population: int
    population_male: int | None
    population_female: int | None


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).strip().lower().lstrip("\ufeff").split())


def _date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _count(text: str) -> int:
    text = text.strip()
    if _GROUPED.match(text):
        text = re.sub(r"[.,\s]", "", text)
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def read_totals(data: bytes, gazetteer: Gazetteer, today: date | None = None) -> tuple[list[Total], list[LineError]]:
    """The lines of a totals file and, separately, what is wrong with each refused line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TotalsFileError("not UTF-8 text: save the file as UTF-8 (CSV UTF-8 in Excel)") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise TotalsFileError("empty: expected a header line area,date,population[,population_male,population_female]")
    delimiter = max((",", ";", "\t"), key=lines[0].count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [HEADERS.get(_key(h), _key(h)) for h in next(reader)]
    unknown = [h for h in header if h not in HEADERS.values()]
    missing = [c for c in ("area", "date", "population") if c not in header]
    if unknown or missing:
        raise TotalsFileError(
            "; ".join([*(f"unknown column {h!r}" for h in unknown), *(f"missing column {c!r}" for c in missing)])
            + " (columns: area, date, population, population_male, population_female)"
        )
    today = today or date.today()
    totals: list[Total] = []
    errors: list[LineError] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                LineError(
                    number,
                    "",
                    f"có {len(values)} giá trị cho {len(header)} cột",
                    f"{len(values)} values for {len(header)} columns",
                )
            )
            continue
        row = dict(zip(header, values, strict=True))
        problems: list[LineError] = []
        on: date | None = None
        try:
            on = _date(row["date"])
            if on > today:
                problems.append(LineError(number, "date", f"ngày {on} ở tương lai", f"{on} is in the future"))
                on = None
        except ValueError:
            problems.append(
                LineError(
                    number,
                    "date",
                    f"{row['date']!r} không phải ngày (YYYY-MM-DD hoặc DD/MM/YYYY)",
                    f"{row['date']!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
                )
            )
        code = row["area"].strip().upper()
        unit = None
        level: str
        try:
            level = area_level(code)
        except ValueError:
            level = ""
            problems.append(
                LineError(
                    number,
                    "area",
                    f"{row['area']!r} không phải mã đơn vị (VN, tỉnh 2 số, huyện 3 số, xã 5 số)",
                    f"{row['area']!r} is not an area code (VN, 2, 3 or 5 digits)",
                )
            )
        if level and on is not None:
            unit = gazetteer.unit(code, on)
            if unit is None:
                problems.append(
                    LineError(
                        number,
                        "area",
                        f"không có đơn vị {code} vào ngày {on}",
                        f"no unit {code} on {on} in the gazetteer",
                    )
                )
        counts: dict[str, int | None] = {}
        for column in COUNTS:
            raw = row.get(column, "").strip()
            if not raw:
                counts[column] = None
                if column == "population":
                    problems.append(LineError(number, column, "thiếu số dân", "the population is required"))
                continue
            try:
                counts[column] = _count(raw)
            except ValueError:
                problems.append(
                    LineError(
                        number,
                        column,
                        f"{raw!r} không phải số nguyên không âm",
                        f"{raw!r} is not a whole number of at least 0",
                    )
                )
        male, female, total = counts.get("population_male"), counts.get("population_female"), counts.get("population")
        if (male is None) != (female is None) and not any(p.column.startswith("population_") for p in problems):
            problems.append(
                LineError(
                    number,
                    "population_female" if female is None else "population_male",
                    "cần cả số nam và số nữ, hoặc không số nào",
                    "give both males and females, or neither",
                )
            )
        elif male is not None and female is not None and total is not None and male + female != total:
            problems.append(
                LineError(
                    number,
                    "population",
                    f"nam + nữ = {male + female}, khác tổng {total}",
                    f"males + females = {male + female}, not the total {total}",
                )
            )
        if problems:
            errors.extend(problems)
            continue
        assert on is not None and unit is not None and total is not None
        totals.append(Total(number, code, level, unit.name, on, total, male, female))
    return totals, errors


def _error(register: int | None, outside: int | None) -> float | None:
    if register is None or outside is None or outside == 0:
        return None
    return round(100.0 * (register - outside) / outside, 3)


def compare(conn: psycopg.Connection, totals: list[Total], known_on: date | None = None) -> list[dict[str, Any]]:
    """Each line with the register's figures on its date and the error in per cent."""
    out = []
    for t in totals:
        day = Period(t.on.isoformat(), "day", t.on, t.on)
        values = compute_indicators(conn, t.area, day, known_on, NAMES)["values"]
        row: dict[str, Any] = {
            "line": t.line,
            "area": t.area,
            "level": t.level,
            "name": t.name,
            "date": t.on.isoformat(),
            "known_on": known_on.isoformat() if known_on else None,
        }
        for column in COUNTS:
            outside = getattr(t, column)
            register = values[column]
            row[column] = {
                "outside": outside,
                "register": register,
                "difference": None if outside is None else register - outside,
                "error_pct": _error(register, outside),
            }
        out.append(row)
    return out


def summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per level: areas, the sums, the error of the sums and the mean absolute error of the areas (%)."""
    levels: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        levels.setdefault(r["level"], []).append(r)
    rows = []
    for level in ("country", "province", "district", "commune"):
        part = levels.get(level)
        if not part:
            continue
        outside = sum(r["population"]["outside"] for r in part)
        register = sum(r["population"]["register"] for r in part)
        errors = [abs(r["population"]["error_pct"]) for r in part if r["population"]["error_pct"] is not None]
        rows.append(
            {
                "level": level,
                "areas": len(part),
                "outside": outside,
                "register": register,
                "error_pct": _error(register, outside),
                "mean_abs_error_pct": round(sum(errors) / len(errors), 3) if errors else None,
            }
        )
    return rows
