"""The report form as a printable page (A4 portrait): Vietnamese labels, English in small print. Pure.

Built with string.Template and html.escape on every text that comes from data (unit names,
collector ids, reasons), so a name can never become markup.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from string import Template
from typing import Any

from projections.reports.labels import KINDS, LEVELS, label, vi_number

PAGE = Template("""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>
@page { size: A4 portrait; margin: 14mm 14mm 16mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 11pt; color: #000;
       max-width: 182mm; margin: 0 auto; }
.en { display: block; font-size: 7pt; color: #444; font-style: italic; line-height: 1.1; }
.head { display: flex; justify-content: space-between; gap: 8mm; }
.head div { width: 50%; }
.head .right { text-align: right; }
h1 { font-size: 13pt; text-align: center; margin: 5mm 0 1mm; text-transform: uppercase; }
.period { text-align: center; margin: 0 0 3mm; }
.warn { border: 1px solid #000; padding: 2mm 3mm; margin: 2mm 0; font-size: 10pt; }
caption { font-weight: bold; text-align: left; padding: 4mm 0 1mm; }
table { width: 100%; border-collapse: collapse; }
table.keep, .close { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 0.6pt solid #000; padding: 0.5mm 1.5mm; vertical-align: top; line-height: 1.15; }
th { font-weight: bold; text-align: center; }
td.no { width: 10mm; text-align: center; }
td.num { width: 34mm; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.sub td.item { padding-left: 7mm; }
.made { text-align: right; font-style: italic; margin-top: 6mm; }
.signs { display: flex; justify-content: space-between; text-align: center; margin-top: 2mm; }
.signs div { width: 45%; min-height: 28mm; }
.source { font-size: 8pt; color: #444; margin-top: 4mm; }
@media print { .warn { break-inside: avoid; } a { color: #000; text-decoration: none; } }
</style>
</head>
<body>
<div class="head">
  <div>$units</div>
  <div class="right">$form_no</div>
</div>
<h1>$title_vi<span class="en">$title_en</span></h1>
<p class="period">$period_line$known_line</p>
$warnings
$sections
$collectors
<div class="close">
<p class="made">$made</p>
<div class="signs">
  <div><b>Người lập biểu</b><span class="en">Prepared by</span><i>(Ký, ghi rõ họ tên)</i></div>
  <div><b>Thủ trưởng đơn vị</b><span class="en">Head of unit</span><i>(Ký, đóng dấu, ghi rõ họ tên)</i></div>
</div>
</div>
<p class="source">Nguồn: sổ đăng ký dân số điện tử (popreg); số liệu theo dõi từng người, không cộng dồn các xã.
Lập lúc $generated.<span class="en">Source: electronic population register (popreg); figures follow each person,
never sums of communes. Generated at $generated.</span></p>
</body>
</html>
""")


def _two(vi: str, en: str) -> str:
    return f'{escape(vi)}<span class="en">{escape(en)}</span>'


def period_words(period: dict[str, Any]) -> tuple[str, str]:
    """'Tháng 03 năm 2024' / 'March 2024'; 'Quý 1 năm 2024' / 'Quarter 1 2024'; 'Năm 2024' / 'Year 2024'."""
    code, kind = period["code"], period["kind"]
    year = code[:4]
    if kind == "month":
        month = datetime(int(year), int(code[5:7]), 1)
        return f"Tháng {code[5:7]} năm {year}", month.strftime("%B %Y")
    if kind == "quarter":
        return f"Quý {code[-1]} năm {year}", f"Quarter {code[-1]} {year}"
    return f"Năm {year}", f"Year {year}"


def _units(area: dict[str, Any]) -> str:
    lines = []
    for unit in area["path"]:
        vi, en = LEVELS[unit["level"]]
        lines.append(
            f'{escape(vi)}: <b>{escape(unit["name"])}</b> ({escape(unit["code"])})<span class="en">{escape(en)}</span>'
        )
    return "<br>".join(lines) or '<b>Việt Nam</b><span class="en">Viet Nam</span>'


_HEAD = (
    '<thead><tr><th>STT<span class="en">No.</span></th><th>Chỉ tiêu<span class="en">Item</span></th>'
    '<th>Số liệu<span class="en">Figure</span></th></tr></thead>'
)


def _table(caption: str, rows: list[dict[str, Any]]) -> str:
    body = []
    for row in rows:
        cls = ' class="sub"' if row["sub"] else ""
        body.append(
            f'<tr{cls} data-name="{escape(row["name"])}"><td class="no">{row["no"] or ""}</td>'
            f'<td class="item">{_two(row["label_vi"], row["label_en"])}</td>'
            f'<td class="num">{escape(row["text"])}</td></tr>'
        )
    # Each table fits on a page: kept whole (a longer one would still break), title as its caption.
    return f'<table class="keep"><caption>{caption}</caption>{_HEAD}<tbody>{"".join(body)}</tbody></table>'


def _ages(caption: str, rows: list[dict[str, Any]]) -> str:
    """The age groups in two columns (0-4 ... 40-44 beside 45-49 ... 80+): half a page less."""
    half = (len(rows) + 1) // 2
    cells = []
    for i in range(half):
        pair = [rows[i], *rows[half + i : half + i + 1]]
        tds = "".join(
            f'<td class="item" data-name="{escape(r["name"])}">{_two(r["label_vi"], r["label_en"])}</td>'
            f'<td class="num">{escape(r["text"])}</td>'
            for r in pair
        )
        cells.append(f"<tr>{tds}</tr>")
    head = '<th>Nhóm tuổi<span class="en">Age group</span></th><th>Số người<span class="en">Persons</span></th>'
    return (
        f'<table class="keep"><caption>{caption}</caption><thead><tr>{head * 2}</tr></thead>'
        f"<tbody>{''.join(cells)}</tbody></table>"
    )


def _collectors(report: dict[str, Any]) -> str:
    found = report["quality"]["by_collector"]
    if not found:
        return ""
    rows = "".join(
        f'<tr><td>{escape(c["collector"] or "không rõ / unknown")}</td><td class="num">{vi_number(c["accepted"])}</td>'
        f'<td class="num">{vi_number(c["late"])}</td><td class="num">{vi_number(c["held"])}</td></tr>'
        for c in found
    )
    heads = "".join(f"<th>{_two(*label(m))}</th>" for m in ("accepted", "late", "held"))
    return (
        f'<table class="keep"><caption>{_two("Chất lượng số liệu theo cộng tác viên", "Data quality by collector")}'
        f"</caption><thead><tr><th>{_two('Cộng tác viên', 'Collector')}</th>{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def to_html(report: dict[str, Any]) -> str:
    form, period = report["form"], report["period"]
    period_vi, period_en = period_words(period)
    kind_vi, kind_en = KINDS[period["kind"]]
    form_no = (
        f'Biểu số: <b>{escape(form["code"])}</b><span class="en">Form {escape(form["code"])}</span>'
        if form["code"]
        else ""
    )
    form_no += _two("Theo Thông tư 01/2022/TT-BYT", "Circular 01/2022/TT-BYT")
    known = report["known_on"]
    known_line = (
        f"<br>{_two(f'Số liệu như đã biết vào ngày {_vi_date(known)}', f'As known on {known}')}" if known else ""
    )
    warnings = "".join(
        f'<p class="warn" data-code="{escape(w["code"])}">{_two(w["vi"], w["en"])}</p>' for w in report["warnings"]
    )
    sections = "".join(
        (_ages if s["id"] == "ages" else _table)(_two(s["title_vi"], s["title_en"]), s["rows"])
        for s in report["sections"]
        if s["rows"]
    )
    made_on = datetime.fromisoformat(report["generated_at"])
    place = report["area"]["name"]
    return PAGE.substitute(
        title=escape(f"{form['title_vi']} – {report['area']['name']} – {period['code']}"),
        units=_units(report["area"]),
        form_no=form_no,
        title_vi=escape(form["title_vi"]),
        title_en=escape(form["title_en"]),
        period_line=_two(
            f"Kỳ báo cáo ({kind_vi}): {period_vi} ({_vi_date(period['start'])} – {_vi_date(period['end'])})",
            f"Reporting period ({kind_en}): {period_en}",
        ),
        known_line=known_line,
        warnings=warnings,
        sections=sections,
        collectors=_collectors(report),
        made=escape(f"{place}, ngày {made_on.day:02d} tháng {made_on.month:02d} năm {made_on.year}"),
        generated=escape(report["generated_at"]),
    )


def _vi_date(iso: str) -> str:
    """'2024-03-31' -> '31/03/2024' (dates as the forms write them)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"
