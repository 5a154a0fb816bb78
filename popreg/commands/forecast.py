"""`popreg forecast`: population forecasts for any area from the register's history
(docs/forecasts.md); `popreg forecast-backtest`: how such forecasts fared against what followed.

Exit 0 with the forecast; 2 for an option or area the forecast cannot use (the field named, in
Vietnamese and English); 1 when PostgreSQL does not answer.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from popreg.commands import read_errors

err = Console(stderr=True, highlight=False, soft_wrap=True)
FORMATS = ("table", "json", "csv", "html")
FIELD_VI = {
    "area": "địa bàn",
    "base": "ngày gốc",
    "horizon": "số năm dự báo",
    "scenario": "kịch bản",
    "sims": "số quỹ đạo",
    "years": "số năm của thời kỳ gốc",
    "known_on": "ngày biết",
    "constrain": "tổng số từ nguồn ngoài",
}


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[bold red]error:[/] {option} {value!r}: dùng YYYY-MM-DD / use YYYY-MM-DD")
        raise typer.Exit(2) from None


@contextmanager
def _years_bar(horizon: int) -> Iterator[Any]:
    """A progress bar over the projected years on the terminal (stderr), if one is attached."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("projecting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("years", total=horizon + 1)
        yield lambda k, _total: bar.update(task, completed=k + 1)


def _field_message(exc: ValueError) -> str:
    """A forecast's unusable input named by its field, in Vietnamese and English."""
    field = getattr(exc, "field", None)
    return f"{FIELD_VI.get(field, field)} / --{field.replace('_', '-')}: {exc}" if field else str(exc)


def print_table(doc: dict[str, Any]) -> None:
    from projections.forecast.report import YEAR_FIGURES, year_row

    console = Console(width=max(Console().width, 140))
    bp = doc["base_period"]
    table = Table(
        title=f"{doc['name']} ({doc['area']}): {doc['scenario_label']['en']}; base {doc['base']}, rates from "
        f"{bp['from']} to {bp['to']}; median [80 % band] of {doc['sims']} trajectories"
    )
    for col in ("year", *(en for _, _, _, en in YEAR_FIGURES)):
        table.add_column(col, justify="right")
    for y in doc["years"]:
        table.add_row(*year_row(y, "[]"))
    console.print(table)
    strat = Table(title="Population Strategy to 2030 (QĐ 1679/QĐ-TTg)")
    for col in ("indicator", "target", "2030", "first met"):
        strat.add_column(col)
    for t in doc["strategy"]:
        v = t["value_2030"]
        strat.add_row(
            t["indicator"], t["target"], "" if v is None else f"{v:.2f}", str(t["first_year_met"] or "not met")
        )
    console.print(strat)
    for w in doc["warnings"]:
        console.print(f"[yellow]warning:[/] {w}")


def forecast_cmd(
    area: str = typer.Option(..., "--area", help="commune, district, province code or VN"),
    base: str = typer.Option(..., "--base", help="the base date YYYY-MM-DD (inside the register's history)"),
    horizon: int = typer.Option(25, "--horizon", help="years to project (1-30)"),
    scenario: str = typer.Option("constant", "--scenario", help="constant, strategy or zero_migration"),
    sims: int = typer.Option(1000, "--sims", help="stochastic trajectories for the intervals (0: expected only)"),
    years: int = typer.Option(3, "--years", help="length of the base period the rates come from"),
    seed: int = typer.Option(0, "--seed", help="random seed of the trajectories"),
    known_on: str | None = typer.Option(None, "--known-on", help="the register as known on this day"),
    fmt: str = typer.Option("table", "--format", help="table, json, csv (population by age) or html"),
    out: Path | None = typer.Option(
        None, "--out", help="write forecast.json, population_by_age.csv/.parquet, forecast.html here"
    ),
    refresh: bool = typer.Option(False, "--refresh", help="compute again even if a stored forecast is current"),
    constrain: Path | None = typer.Option(
        None, "--constrain", help="CSV area,year,population: scale the province to an outside projection (e.g. GSO's)"
    ),
) -> None:
    """A cohort-component forecast of the area (and its sub-areas) with 80 % and 95 % intervals."""
    from infra.db import connect
    from popreg.bootstrap import cli_settings
    from projections.forecast.report import EXPORT_COLUMNS, export_rows, html_page, write_files
    from projections.forecast.service import get_forecast

    if fmt not in FORMATS:
        err.print(f"[bold red]error:[/] --format {fmt!r}: use {', '.join(FORMATS)}")
        raise typer.Exit(2)
    base_day = _day(base, "--base")
    known = _day(known_on, "--known-on") if known_on else None
    with read_errors(_field_message):
        totals = None
        if constrain is not None:
            from projections.forecast.service import read_totals

            try:
                totals = read_totals(constrain.read_bytes())
            except OSError as exc:
                err.print(f"[bold red]error:[/] --constrain {constrain}: {exc.strerror or exc}")
                raise typer.Exit(2) from None
        with connect(cli_settings(), autocommit=True) as conn, _years_bar(horizon) as on_year:
            doc = get_forecast(
                conn,
                area,
                base_day,
                horizon,
                scenario,
                sims=sims,
                seed=seed,
                years=years,
                known_on=known,
                refresh=refresh,
                progress=lambda m: err.print(f"[dim]{m}[/]"),
                on_year=on_year,
                constrain=totals,
            )
    if out is not None:
        for p in write_files(doc, out):
            err.print(f"wrote {p}")
    if fmt == "json":
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(EXPORT_COLUMNS)
        w.writerows(export_rows(doc))
        sys.stdout.write(buf.getvalue())
    elif fmt == "html":
        sys.stdout.write(html_page(doc))
    else:
        print_table(doc)


def backtest_cmd(
    area: str = typer.Option(..., "--area", help="commune, district, province code or VN"),
    bases: str | None = typer.Option(
        None, "--bases", help="base dates YYYY-MM-DD,... (default: every year end with history before and after)"
    ),
    horizon: int = typer.Option(5, "--horizon", help="years ahead to compare (as far as the history goes)"),
    sims: int = typer.Option(500, "--sims", help="trajectories for the bands"),
    years: int = typer.Option(3, "--years", help="length of each base period"),
    seed: int = typer.Option(0, "--seed"),
    known_then: bool = typer.Option(False, "--known-then", help="estimate from the data as known on each base date"),
    fmt: str = typer.Option("table", "--format", help="table, json or csv (one row per base, area, year and figure)"),
) -> None:
    """Forecasts from base dates inside the history against what the register recorded afterwards:
    MAPE by level and horizon, and how often the 80 % and 95 % bands held the recorded figure."""
    from infra.db import connect
    from popreg.bootstrap import cli_settings
    from projections.forecast.backtest import backtest
    from projections.forecast.service import validate

    if fmt not in ("table", "json", "csv"):
        err.print(f"[bold red]error:[/] --format {fmt!r}: use table, json or csv")
        raise typer.Exit(2)
    days = [_day(b.strip(), "--bases") for b in bases.split(",")] if bases else None
    with read_errors(_field_message):
        for day in days or []:
            validate(area, day, horizon, "constant", sims, years)
        with connect(cli_settings(), autocommit=True) as conn:
            result = backtest(
                conn, area, days, horizon, sims, years, seed, known_then, progress=lambda m: err.print(f"[dim]{m}[/]")
            )
    if not result["rows"]:
        err.print("[yellow]no base date has history after it to compare with[/]")
    if fmt == "json":
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    if fmt == "csv":
        buf = io.StringIO()
        cols = [
            "base",
            "horizon",
            "area",
            "level",
            "figure",
            "recorded",
            "expected",
            "median",
            "lower_80",
            "upper_80",
            "lower_95",
            "upper_95",
        ]
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        w.writerows([[r.get(c) for c in cols] for r in result["rows"]])
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=f"Back-test of {result['area']}: bases {', '.join(result['bases'])}; {sims} trajectories")
    for col in ("figure", "level", "years ahead", "areas", "MAPE %", "in 80 % band", "in 95 % band"):
        table.add_column(col, justify="right")
    for s in result["summary"]:
        table.add_row(
            s["figure"], s["level"], str(s["horizon"]), str(s["areas"]), "" if s["mape"] is None else f"{s['mape']:.2f}",
            "" if s["coverage_80"] is None else f"{100 * s['coverage_80']:.0f} %",
            "" if s["coverage_95"] is None else f"{100 * s['coverage_95']:.0f} %",
        )  # fmt: skip
    Console(width=max(Console().width, 120)).print(table)


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast_cmd)
    app.command("forecast-backtest")(backtest_cmd)
