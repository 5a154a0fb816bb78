"""One HTML page per run: the figures with their captions and the first rows of every table."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import polars as pl

CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
figure{margin:1.5em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 6px}
th{background:#f3f3f3}code{background:#f3f3f3;padding:0 3px}"""


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape("" if v is None else str(v))


def table_html(name: str, df: pl.DataFrame, rows: int = 25) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>" for r in df.head(rows).iter_rows())
    more = f"<p>{df.height - rows} more rows in the files.</p>" if df.height > rows else ""
    return (
        f"<h3 id='{html.escape(name)}'>{html.escape(name)}</h3><p>"
        f"<a href='tables/{name}.csv'>CSV</a> · <a href='tables/{name}.parquet'>Parquet</a></p>"
        f"<table><tr>{head}</tr>{body}</table>{more}"
    )


def write_page(
    out: Path,
    title: str,
    manifest: dict[str, Any],
    figures: list[tuple[str, str]],
    tables: dict[str, pl.DataFrame],
    notes: list[str],
) -> Path:
    src = manifest.get("source", {})
    pinned = (
        f"offsets {src.get('offsets')}"
        if src.get("kind") == "kafka"
        else f"input sha256 <code>{html.escape(str(src.get('sha256', '')))}</code>"
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<p>Area <b>{html.escape(str(manifest.get('area')))}</b> ({html.escape(str(manifest.get('level')))}), "
        f"{html.escape(str(manifest.get('from')))} to {html.escape(str(manifest.get('to')))}; known on: "
        f"{html.escape(str(manifest.get('known_on') or 'latest'))}; gazetteer {html.escape(str(manifest.get('gazetteer', {}).get('version')))}; "
        f"built from {pinned}. See <code>manifest.json</code>.</p>",
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>",
        "<h2>Figures</h2>",
    ]
    for name, caption in figures:
        parts.append(
            f"<figure><img src='plots/{html.escape(name)}' alt='{html.escape(caption)}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    parts.append("<h2>Tables</h2>")
    parts += [table_html(n, df) for n, df in tables.items()]
    parts.append("</body></html>")
    page = out / "index.html"
    page.write_text("\n".join(parts), encoding="utf-8")
    return page
