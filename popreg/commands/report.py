"""`popreg report`: the report form of an area's level for a period, as JSON, CSV or a printable HTML page."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console

from popreg.commands import read_errors

err = Console(stderr=True, highlight=False, soft_wrap=True)
FORMATS = ("json", "csv", "html", "xlsx")


def report(
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    period: str = typer.Option(
        ...,
        "--period",
        help="YYYY-MM, YYYY-Qn or YYYY (commune: month, district: "
        "quarter, province: year are the forms' usual periods)",
    ),
    fmt: str = typer.Option(
        "json",
        "--format",
        help="json, csv, html (a printable A4 page) or xlsx (needs --out); "
        "a CSV written with --out starts with a BOM for Excel",
    ),
    known_on: str | None = typer.Option(None, "--known-on", help="as the register knew it on this date (YYYY-MM-DD)"),
    out: Path | None = typer.Option(None, "--out", help="write to this file instead of standard output"),
) -> None:
    """The report form for the area's level and the period: stocks at its end, flows over it, data quality."""
    from infra.db import connect
    from infra.migrate import apply_migrations
    from popreg.bootstrap import cli_settings
    from projections.reports.forms import build_report, to_csv, to_xlsx
    from projections.reports.html import to_html

    if fmt not in FORMATS:
        err.print(f"[bold red]error:[/] --format {fmt!r}: use json, csv, html or xlsx")
        raise typer.Exit(2)
    if fmt == "xlsx" and out is None and sys.stdout.isatty():
        err.print("[bold red]error:[/] --format xlsx writes a workbook: give --out FILE.xlsx")
        raise typer.Exit(2)
    settings = cli_settings()
    with read_errors():
        apply_migrations(settings.dsn)
        with connect(settings, autocommit=True) as conn:
            found = build_report(conn, area, period, known_on)
    for w in found["warnings"]:
        err.print(f"[yellow]note:[/] {w['en']}")
    if fmt == "xlsx":
        data = to_xlsx(found)
    elif fmt == "json":
        data = (orjson.dumps(found, option=orjson.OPT_INDENT_2).decode() + "\n").encode()
    else:  # a CSV saved to a file is for opening in Excel: BOM; one piped to a program: none
        data = (to_csv(found, bom=out is not None) if fmt == "csv" else to_html(found)).encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)
        err.print(f"{found['form']['title_en']} for {found['area']['code']} {found['period']['code']}: {out}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
