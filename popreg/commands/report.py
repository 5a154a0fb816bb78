"""`popreg report`: the report form of an area's level for a period, as JSON, CSV or a printable HTML page."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
FORMATS = ("json", "csv", "html")


def report(
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn or YYYY (commune: month, district: "
                                                     "quarter, province: year are the forms' usual periods)"),
    fmt: str = typer.Option("json", "--format", help="json, csv or html (a printable A4 page)"),
    known_on: str | None = typer.Option(None, "--known-on", help="as the register knew it on this date (YYYY-MM-DD)"),
    out: Path | None = typer.Option(None, "--out", help="write to this file instead of standard output"),
) -> None:
    """The report form for the area's level and the period: stocks at its end, flows over it, data quality."""
    from infra.db import DatabaseUnavailable, connect
    from infra.migrate import apply_migrations
    from popreg.bootstrap import cli_settings
    from projections.reports.forms import build_report, to_csv
    from projections.reports.html import to_html

    if fmt not in FORMATS:
        err.print(f"[bold red]error:[/] --format {fmt!r}: use json, csv or html")
        raise typer.Exit(2)
    settings = cli_settings()
    try:
        apply_migrations(settings.dsn)
        with connect(settings, autocommit=True) as conn:
            found = build_report(conn, area, period, known_on)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]PostgreSQL unavailable:[/] {exc}")
        raise typer.Exit(1) from None
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if fmt == "json":
        text = orjson.dumps(found, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = to_csv(found) if fmt == "csv" else to_html(found)
    for w in found["warnings"]:
        err.print(f"[yellow]note:[/] {w['en']}")
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"{found['form']['title_en']} for {found['area']['code']} {found['period']['code']}: {out}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
