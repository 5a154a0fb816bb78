"""The report forms (INDICATORS.md, DOMAIN-MIS.md 4): commune monthly, district quarterly, province yearly.

A report brings together, for an area and period: the stocks at the period's end and the flows
over it (projections.read.indicators.compute_indicators: never counted again here), births by order
and the data-quality counts (the dashboard's breakdowns, so page and form agree), as a JSON
document; `to_csv` and projections.reports.html.to_html write the same document as CSV and as a
printable A4 page. Any period is accepted; the form is named by the area's level, and a period
of another kind than the form's usual one is marked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import psycopg

from infra.spreadsheets import with_bom, xlsx_bytes
from projections.definitions import AGE_GROUPS, FERTILE, METHODS
from projections.http.dashboard.breakdowns import births_by_order, quality
from projections.periods import VIETNAM, Period, parse_day, parse_period
from projections.read.indicators import compute_indicators, normalise_area
from projections.reports.labels import FORMS, KINDS, SECTIONS, format_value, label

REFORM_2025 = date(2025, 7, 1)  # districts abolished (two-level local government)
COLLECTORS = 500  # every collector of a province-year, far more than one form shows per page

# The unit's names on the period's last day (or its latest version before), from the gazetteer.
UNIT = """
SELECT commune_name, district_code, district_name, province_code, province_name
FROM public.gazetteer_current
WHERE CASE %(level)s WHEN 'commune' THEN commune_code WHEN 'district' THEN district_code
                     ELSE province_code END = %(code)s
ORDER BY (valid_from <= %(d)s) DESC, valid_from DESC
LIMIT 1
"""


class UnknownArea(ValueError):
    """An area code of the right shape that the gazetteer does not know."""


def _rows(names: list[str | tuple[str, bool]]) -> list[tuple[str, bool]]:
    return [(n, False) if isinstance(n, str) else n for n in names]


SUB = True
STOCK_ROWS = _rows(
    [
        "households",
        "population",
        ("population_male", SUB),
        ("population_female", SUB),
        "women_15_49",
        ("married_women_15_49", SUB),
        "children_0_5",
        "youth_10_24",
        "working_age_15_64",
        "elderly_60_plus",
        "sex_ratio_population",
    ]
)
AGE_ROWS = _rows([name for name, _, _ in AGE_GROUPS])
FLOW_ROWS = _rows(
    [
        "births",
        ("births_male", SUB),
        ("births_female", SUB),
        ("births_order_2", SUB),
        ("births_order_3_plus", SUB),
        "share_order_3_plus",
        "srb",
        "cbr",
        "gfr",
        "tfr",
        *((f"asfr_{lo}_{lo + 4}", SUB) for lo in FERTILE),
        "deaths",
        "cdr",
        "marriages",
        ("child_marriages", SUB),
        "divorces",
        "in_migrants",
        "out_migrants",
        "net_migration",
    ]
)
FP_ROWS = _rows(
    ["contraception_new_users", "cpr_modern", *((f"contraceptive_users_by_method.{m}", SUB) for m in METHODS)]
)


def unit(conn: psycopg.Connection, code: str, level: str, on: date) -> dict[str, Any]:
    """The area's code, level, name and the names of the units above it (for the form's head)."""
    if level == "country":
        return {"code": code, "level": level, "name": "Việt Nam", "path": []}
    with conn.transaction():
        row = conn.execute(UNIT, {"level": level, "code": code, "d": on}).fetchone()
    if row is None:
        raise UnknownArea(f"area {code!r}: no {level} with this code in the gazetteer")
    commune_name, district, district_name, province, province_name = row
    path = [{"level": "province", "code": province, "name": province_name}]
    if level in ("district", "commune") and district:
        path.append({"level": "district", "code": district, "name": district_name})
    if level == "commune":
        path.append({"level": "commune", "code": code, "name": commune_name})
    return {"code": code, "level": level, "name": path[-1]["name"], "path": path}


def warnings(level: str, per: Period) -> list[dict[str, str]]:
    out = []
    form = FORMS[level]
    if per.kind != form.usual:
        kind_vi, kind_en = KINDS[per.kind]
        usual_vi, usual_en = KINDS[form.usual]
        out.append(
            {
                "code": "period_kind",
                "vi": f"Kỳ báo cáo là {kind_vi}; biểu cấp này thường lập theo {usual_vi}.",
                "en": f"The period is a {kind_en}; this level's form is usually made per {usual_en}.",
            }
        )
    if level == "district" and per.end >= REFORM_2025:
        out.append(
            {
                "code": "district_abolished",
                "vi": "Từ 01/7/2025 không còn cấp huyện; số liệu tính theo các xã của huyện cũ.",
                "en": "Districts were abolished on 1 July 2025; figures follow the former district's communes.",
            }
        )
    return out


def _section(key: str, rows: list[tuple[str, bool]], values: dict[str, Any]) -> dict[str, Any]:
    out, no = [], 0
    for name, sub in rows:
        if name not in values:
            continue
        no += 0 if sub else 1
        vi, en = label(name)
        out.append(
            {
                "no": None if sub else no,
                "name": name,
                "label_vi": vi,
                "label_en": en,
                "sub": sub,
                "value": values[name],
                "text": format_value(name, values[name]),
            }
        )
    title_vi, title_en = SECTIONS[key]
    return {"id": key, "title_vi": title_vi, "title_en": title_en, "rows": out}


def build_report(
    conn: psycopg.Connection, area: str, period: str, known_on: date | str | None = None
) -> dict[str, Any]:
    """The report form of the area's level for a period, as a JSON-ready document.

    Raises ValueError subclasses (bad area, period or date; an area the gazetteer does not know).
    """
    code, level = normalise_area(area)
    per, day = parse_period(period), parse_day(known_on)
    head = unit(conn, code, level, per.end)
    figures = compute_indicators(conn, code, per.code, day)
    values: dict[str, Any] = dict(figures["values"])
    values["births_order_2"] = births_by_order(conn, code, per.code, day)["orders"]["2"]["total"]
    found = quality(conn, code, per.code, day, collectors=COLLECTORS)
    checks = {k: found[k] for k in ("received", "accepted", "held", "late", "late_share", "median_delay_days")}
    checks.update({f"held_by_reason.{r}": n for r, n in sorted(found["held_by_reason"].items())})
    quality_rows = [(name, name.startswith("held_by_reason.")) for name in checks]
    form = FORMS[level]
    notes = warnings(level, per)
    return {
        "form": {
            "code": form.code,
            "level": level,
            "usual_period": form.usual,
            "title_vi": form.title_vi,
            "title_en": form.title_en,
        },
        "area": head,
        "period": {"code": per.code, "kind": per.kind, "start": per.start.isoformat(), "end": per.end.isoformat()},
        "period_matches_form": per.kind == form.usual,
        "known_on": figures["known_on"],
        "generated_at": datetime.now(VIETNAM).isoformat(timespec="seconds"),
        "warnings": notes,
        "values": values,
        "quality": {**found, "late_after_days": 30},
        "sections": [
            _section("stocks", STOCK_ROWS, values),
            _section("ages", AGE_ROWS, values),
            _section("flows", FLOW_ROWS, values),
            _section("fp", FP_ROWS, values),
            _section("quality", quality_rows, checks),
        ],
    }


CSV_COLUMNS = ("area", "level", "period", "form", "known_on", "section", "no", "name", "label_vi", "label_en", "value")


def report_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    """The report as CSV_COLUMNS rows: warnings, one row per figure (None where there is none),
    then one per collector and measure. The CSV and the .xlsx are both written from these."""
    head = [
        report["area"]["code"],
        report["area"]["level"],
        report["period"]["code"],
        report["form"]["code"] or "",
        report["known_on"] or "",
    ]
    for w in report["warnings"]:
        yield [*head, "warning", "", w["code"], w["vi"], w["en"], None]
    for section in report["sections"]:
        for row in section["rows"]:
            yield [*head, section["id"], row["no"] or "", row["name"], row["label_vi"], row["label_en"], row["value"]]
    for c in report["quality"]["by_collector"]:
        who = c["collector"] or "unknown"
        for measure in ("accepted", "late", "held"):
            vi, en = label(measure)
            yield [*head, "quality_by_collector", "", f"{who}.{measure}", vi, en, c[measure]]


def to_csv(report: dict[str, Any], bom: bool = False) -> str:
    """One row per figure (plain numbers, empty where none); `bom` for a file meant for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return with_bom(out.getvalue()) if bom else out.getvalue()


def to_xlsx(report: dict[str, Any]) -> bytes:
    """The same rows as the CSV, as an Excel workbook (sheet "Báo cáo")."""
    widths = [8, 10, 10, 10, 12, 22, 6, 28, 48, 40, 14]
    return xlsx_bytes({"Báo cáo": (CSV_COLUMNS, report_rows(report))}, {"Báo cáo": widths})
