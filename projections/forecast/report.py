"""A forecast as files: the page (fan chart, pyramids, the Strategy's targets), the population by
single age in the layout demographers expect (CSV with a BOM for Excel, and Parquet)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import orjson

EXPORT_COLUMNS = ["area", "year", "sex", "age", "population", "median", "lower_80", "upper_80", "lower_95", "upper_95"]


def export_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """One row per year, sex and single age (100 = 100+): the expected population and its band."""
    rows = []
    for year, sexes in doc["pyramid"].items():
        for sex, stats in sexes.items():
            for age, value in enumerate(stats["expected"]):
                rows.append(
                    [doc["area"], int(year), sex, age, value]
                    + [stats[s][age] if s in stats else None for s in EXPORT_COLUMNS[5:]]
                )
    return rows


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def fan_chart(doc: dict[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = [y["year"] for y in doc["years"]]
    pop = [y["population"] for y in doc["years"]]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if "lower_95" in pop[0]:
        ax.fill_between(
            years, [p["lower_95"] for p in pop], [p["upper_95"] for p in pop], color="#9ecae1", label="95 %"
        )
        ax.fill_between(
            years, [p["lower_80"] for p in pop], [p["upper_80"] for p in pop], color="#4292c6", label="80 %"
        )
        ax.plot(years, [p["median"] for p in pop], color="#08306b", label="trung vị / median")
    ax.plot(years, [p["expected"] for p in pop], color="#d94801", ls="--", lw=1, label="kỳ vọng / expected")
    ax.set_title(f"{doc['name']} ({doc['area']}): dân số / population, {doc['scenario']}")
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return fig


def pyramid_chart(doc: dict[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    first, last = list(doc["pyramid"])[0], list(doc["pyramid"])[-1]
    fig, ax = plt.subplots(figsize=(6, 5))
    ages = np.arange(101)
    for year, face, edge in ((first, "#bdbdbd", "none"), (last, "none", "#08306b")):
        m = np.array(doc["pyramid"][year]["M"]["expected"])
        f = np.array(doc["pyramid"][year]["F"]["expected"])
        ax.barh(ages, -m, height=1.0, label=f"{year}", color=face, edgecolor=edge)
        ax.barh(ages, f, height=1.0, color=face, edgecolor=edge)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("← nam / males   ·   nữ / females →")
    ax.set_ylabel("tuổi / age")
    ax.legend()
    ax.set_title("Tháp dân số / population pyramid")
    return fig


# The figures of a year's row, with their decimals and their column heads (Vietnamese, English),
# for the page and the command's table alike.
YEAR_FIGURES = (
    ("population", 0, "dân số", "population"),
    ("births", 0, "sinh", "births"),
    ("deaths", 0, "chết", "deaths"),
    ("in_migrants", 0, "nhập cư", "in"),
    ("out_migrants", 0, "xuất cư", "out"),
    ("tfr", 2, "TFR", "TFR"),
    ("share_0_14", 1, "% 0-14", "% 0-14"),
    ("share_65_plus", 1, "% 65+", "% 65+"),
    ("dependency_ratio", 1, "tỷ số phụ thuộc", "dependency"),
)


def year_row(year: dict[str, Any], brackets: str = "()") -> list[str]:
    """A year's row: the year, then each of YEAR_FIGURES as its median and 80 % band."""
    return [str(year["year"])] + [band_text(year.get(name), digits, brackets) for name, digits, _, _ in YEAR_FIGURES]


def band_text(stats: dict[str, Any] | None, digits: int = 0, brackets: str = "()") -> str:
    """A figure as its median (the expected value without trajectories) and its 80 % band."""
    if not stats or stats.get("expected") is None:
        return ""
    centre = stats.get("median", stats["expected"])
    text = f"{centre:,.{digits}f}"
    if stats.get("lower_80") is not None:
        text += f" {brackets[0]}{stats['lower_80']:,.{digits}f}–{stats['upper_80']:,.{digits}f}{brackets[1]}"
    return text


def html_page(doc: dict[str, Any]) -> str:
    import matplotlib.pyplot as plt

    fan, pyr = fan_chart(doc), pyramid_chart(doc)
    fan_png, pyr_png = _png(fan), _png(pyr)
    plt.close(fan)
    plt.close(pyr)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in year_row(y)) + "</tr>" for y in doc["years"])
    heads = "".join(f"<th>{html.escape(vi)}</th>" for _, _, vi, _ in YEAR_FIGURES)
    targets = "".join(
        f"<tr><td>{html.escape(t['indicator'])}</td><td>{html.escape(t['target'])}</td>"
        f"<td>{'' if t['value_2030'] is None else round(t['value_2030'], 2)}</td>"
        f"<td>{t['first_year_met'] or 'chưa đạt / not met'}</td></tr>"
        for t in doc["strategy"]
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in doc["warnings"])
    bp = doc["base_period"]
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Dự báo dân số {html.escape(doc["name"])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}th{{background:#eee}}</style></head><body>
<h1>Dự báo dân số / Population forecast: {html.escape(doc["name"])} ({html.escape(doc["area"])})</h1>
<p>Gốc / base {doc["base"]}, {doc["horizon"]} năm / years, kịch bản / scenario <b>{html.escape(doc["scenario_label"]["vi"])}</b>
({html.escape(doc["scenario_label"]["en"])}); {doc["sims"]} quỹ đạo / trajectories; tỷ suất từ / rates from
{bp["from"]} – {bp["to"]} ({bp["years"]} năm / years); phiên bản / version {doc["version"]}.
Khoảng 80 % trong ngoặc / 80 % band in brackets.</p>
{f"<ul class='warnings'>{warnings}</ul>" if warnings else ""}
<img alt="fan chart" src="data:image/png;base64,{fan_png}"> <img alt="pyramid" src="data:image/png;base64,{pyr_png}">
<h2>Theo năm / by year</h2><table><tr><th>năm</th>{heads}</tr>{rows}</table>
<h2>Mục tiêu Chiến lược Dân số đến 2030 / Strategy targets (QĐ 1679/QĐ-TTg)</h2>
<table><tr><th>chỉ tiêu</th><th>mục tiêu</th><th>2030</th><th>đạt từ năm / first met</th></tr>{targets}</table>
</body></html>"""


def write_files(doc: dict[str, Any], out: Path) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from infra.spreadsheets import with_bom

    out.mkdir(parents=True, exist_ok=True)
    rows = export_rows(doc)
    paths = [
        out / "forecast.json",
        out / "population_by_age.csv",
        out / "population_by_age.parquet",
        out / "forecast.html",
    ]
    paths[0].write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    buf = io.StringIO()
    import csv

    w = csv.writer(buf, lineterminator="\n")
    w.writerow(EXPORT_COLUMNS)
    w.writerows(rows)
    paths[1].write_text(with_bom(buf.getvalue()), encoding="utf-8")
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(EXPORT_COLUMNS)})
    pq.write_table(table, paths[2])
    paths[3].write_text(html_page(doc), encoding="utf-8")
    return paths
