"""`popreg quality compare --totals FILE.csv`: the register against outside totals (docs/quality.md).

Exit 0 when the file was read (refused lines are listed with their field, the others compared);
2 when it cannot be used at all (missing, not UTF-8, wrong header, bad option); 1 when PostgreSQL
does not answer.
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from popreg.commands import read_errors

err = Console(stderr=True, highlight=False, soft_wrap=True)
FORMATS = ("table", "csv", "json")
CSV_COLUMNS = ["line", "area", "level", "name", "date", "known_on"] + [
    f"{c}_{k}"
    for c in ("population", "population_male", "population_female")
    for k in ("outside", "register", "difference", "error_pct")
]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f} %"


def compare_cmd(
    totals: Path = typer.Option(..., "--totals", help="CSV: area,date,population[,population_male,population_female]"),
    known_on: str | None = typer.Option(None, "--known-on", help="the register as known on this day (YYYY-MM-DD)"),
    fmt: str = typer.Option("table", "--format", help="table, csv or json"),
    out: Path | None = typer.Option(None, "--out", help="write csv/json here (a CSV file gets a BOM, for Excel)"),
) -> None:
    """Each area's population (and by sex) from an outside source beside the register's on that date."""
    from infra.db import DatabaseUnavailable, connect
    from infra.gazetteer_store import gazetteer_in_force
    from infra.spreadsheets import with_bom
    from popreg.bootstrap import cli_settings
    from projections.quality.totals import TotalsFileError, compare, read_totals, summary

    if fmt not in FORMATS:
        err.print(f"[bold red]error:[/] --format {fmt!r}: use table, csv or json")
        raise typer.Exit(2)
    day = None
    if known_on:
        try:
            day = date.fromisoformat(known_on)
        except ValueError:
            err.print(f"[bold red]error:[/] --known-on {known_on!r}: use YYYY-MM-DD")
            raise typer.Exit(2) from None
    try:
        data = totals.read_bytes()
    except OSError as exc:
        err.print(f"[bold red]error:[/] --totals {totals}: {exc.strerror or exc}")
        raise typer.Exit(2) from None
    try:
        with connect(cli_settings(), autocommit=True) as conn:
            try:
                lines, errors = read_totals(data, gazetteer_in_force(conn))
            except TotalsFileError as exc:
                err.print(f"[bold red]{totals}:[/] {exc}")
                raise typer.Exit(2) from None
            results = compare(conn, lines, day)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]PostgreSQL unavailable:[/] {exc}")
        raise typer.Exit(1) from None
    for e in errors:
        err.print(f"[yellow]refused[/] {totals}: {e}")
    levels = summary(results)
    if fmt == "json":
        text = (
            orjson.dumps(
                {"results": results, "summary": levels, "refused": [e.__dict__ for e in errors]},
                option=orjson.OPT_INDENT_2,
            ).decode()
            + "\n"
        )
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in results:
            writer.writerow(
                [r["line"], r["area"], r["level"], r["name"], r["date"], r["known_on"] or ""]
                + [
                    "" if r[c][k] is None else r[c][k]
                    for c in ("population", "population_male", "population_female")
                    for k in ("outside", "register", "difference", "error_pct")
                ]
            )
        text = with_bom(buf.getvalue()) if out else buf.getvalue()
    else:
        table = Table(title="The register against outside totals (error = (register − outside) / outside)")
        for col in ("area", "name", "date", "outside", "register", "error", "males err.", "females err."):
            table.add_column(col, justify="right" if col not in ("area", "name") else "left")
        for r in results:
            p = r["population"]
            table.add_row(
                r["area"],
                r["name"],
                r["date"],
                f"{p['outside']:,}",
                f"{p['register']:,}",
                _pct(p["error_pct"]),
                _pct(r["population_male"]["error_pct"]),
                _pct(r["population_female"]["error_pct"]),
            )
        console = Console(width=max(Console().width, 120))
        console.print(table)
        for lv in levels:
            console.print(
                f"{lv['level']}: {lv['areas']} areas, outside {lv['outside']:,}, register "
                f"{lv['register']:,} ({_pct(lv['error_pct'])}); mean absolute error "
                f"{_pct(lv['mean_abs_error_pct']).lstrip('+')}"
            )
        text = ""
    if text:
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            err.print(f"{len(results)} areas compared: {out}")
    err.print(f"{len(results)} lines compared, {len({e.line for e in errors})} refused")


def timeliness_cmd(
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn or YYYY"),
    known_on: str | None = typer.Option(None, "--known-on", help="as the register knew it on this day (YYYY-MM-DD)"),
    silent_weeks: int = typer.Option(
        8, "--silent-weeks", min=1, max=520, help="a collector silent this long is listed"
    ),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """How late events were recorded, per collector and commune, and which collectors fell silent."""
    from infra.db import connect
    from popreg.bootstrap import cli_settings
    from projections.quality.timeliness import timeliness
    from projections.read.indicators import normalise_area

    if fmt not in ("table", "json"):
        err.print(f"[bold red]error:[/] --format {fmt!r}: use table or json")
        raise typer.Exit(2)
    with read_errors():
        day = date.fromisoformat(known_on) if known_on else None
        code, _ = normalise_area(area)
        with connect(cli_settings(), autocommit=True) as conn:
            found = timeliness(conn, code, period, day, silent_weeks)
    if fmt == "json":
        sys.stdout.write(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    console = Console(width=max(Console().width, 120))
    o = found["overall"]
    console.print(
        f"[bold]{code} {found['period']}[/]: {o['accepted']:,} events, {o['late']:,} recorded more than "
        f"{found['late_after_days']} days late ({_share(o['late_share'])}); delay median {o['p50_days']}, "
        f"90 % {o['p90_days']}, 95 % {o['p95_days']} days"
    )
    for key, title in (("by_collector", "collector"), ("by_commune", "commune")):
        table = Table(title=f"by {title} (worst first)")
        for col in (title, "events", "late", "late %", "median", "p90", "p95"):
            table.add_column(col, justify="left" if col == title else "right")
        for r in found[key][:30]:
            table.add_row(
                str(r[title if title == "commune" else "collector"] or "(none)"),
                f"{r['accepted']:,}",
                f"{r['late']:,}",
                _share(r["late_share"]),
                str(r["p50_days"]),
                str(r["p90_days"]),
                str(r["p95_days"]),
            )
        console.print(table)
    for s in found["silent"]:
        console.print(
            f"silent: {s['collector']}: nothing recorded since {s['last_recorded']} ({s['weeks_silent']} weeks)"
        )


def checks_cmd(
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn or YYYY: the stock at its end"),
    known_on: str | None = typer.Option(None, "--known-on", help="as the register knew it on this day (YYYY-MM-DD)"),
) -> None:
    """Age heaping (Whipple's index) of the area's population at the end of the period, as JSON."""
    from infra.db import connect
    from popreg.bootstrap import cli_settings
    from projections.quality.checks import age_heaping
    from projections.read.indicators import normalise_area

    with read_errors():
        day = date.fromisoformat(known_on) if known_on else None
        code, _ = normalise_area(area)
        with connect(cli_settings(), autocommit=True) as conn:
            found = age_heaping(conn, code, period, day)
    sys.stdout.write(orjson.dumps({"age_heaping": found}, option=orjson.OPT_INDENT_2).decode() + "\n")


def _share(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Data quality of the register (docs/quality.md).", no_args_is_help=True)
    group.command("compare")(compare_cmd)
    group.command("timeliness")(timeliness_cmd)
    group.command("checks")(checks_cmd)
    app.add_typer(group, name="quality")
