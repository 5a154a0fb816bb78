"""`popreg gazetteer load|export|show|build`: administrative units (CONTRACT.md gazetteer CSV)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from events.gazetteer import Gazetteer
from infra import gazetteer_store as store
from infra.db import DatabaseUnavailable, connect
from infra.migrate import apply_migrations
from popreg.bootstrap import cli_settings

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _db_gazetteer() -> Gazetteer:
    settings = cli_settings()
    apply_migrations(settings.dsn)
    with connect(settings) as conn:
        return store.load_gazetteer(conn)


def load(
    file: Path | None = typer.Argument(None, help="a gazetteer CSV (CONTRACT.md columns)", exists=True, dir_okay=False),
    builtin: bool = typer.Option(False, "--builtin", help="load the built-in Vietnamese gazetteer instead of a file"),
    strict: bool = typer.Option(False, "--strict", help="load nothing if any row is invalid (exit 1)"),
) -> None:
    """Add the units of a CSV as new versions (never rewriting old ones); a reload adds nothing.

    Invalid rows are printed with line, column and reason, and left out; the others load.
    """
    if (file is None) == (not builtin):  # exactly one of the two
        err.print("give either FILE.csv or --builtin")
        raise typer.Exit(2)
    settings = cli_settings()
    try:
        apply_migrations(settings.dsn)  # the table may be new on a server `stack up` never saw
        with connect(settings) as conn:
            report = store.load_builtin(conn) if builtin else store.load_csv(conn, file, strict=strict)  # type: ignore[arg-type]
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]gazetteer load failed:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    for e in report.errors:
        err.print(f"{report.source}: {e}", markup=False)
    loaded = f"load {report.load_id}" if report.load_id else "nothing new"
    console.print(
        f"{report.source}: {report.rows_read} rows read, {report.rows_added} added ({loaded}), "
        f"{report.rows_unchanged} already known, {len(report.errors)} invalid",
        markup=False,
    )
    if strict and report.errors:
        err.print("--strict: nothing was loaded")
        raise typer.Exit(1)


def export(
    out: Path = typer.Option(..., "--out", help="where to write the CSV", dir_okay=False),
    builtin: bool = typer.Option(False, "--builtin", help="export the built-in gazetteer, not the database's"),
    contract_only: bool = typer.Option(
        False, "--contract-only", help="only the eight CONTRACT.md columns (no lat, lon, successors)"
    ),
) -> None:
    """Write the gazetteer (every version, from the database unless --builtin) as CSV."""
    try:
        source = store.builtin_gazetteer() if builtin else _db_gazetteer()
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]gazetteer export failed:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    if not len(source):
        err.print("the database has no gazetteer yet: run `popreg gazetteer load --builtin` (or use --builtin)")
        raise typer.Exit(1)
    n = store.export_csv(out, source, extras=not contract_only)
    console.print(f"{n} rows written to {out} (gazetteer version {source.version})", markup=False)


def show(
    code: str = typer.Argument(..., help="a commune (5 digits), district (3), province (2) or VN"),
    on: str | None = typer.Option(None, "--on", help="the date, YYYY-MM-DD (default today)"),
    builtin: bool = typer.Option(False, "--builtin", help="ask the built-in gazetteer, not the database's"),
) -> None:
    """A unit as it stood on a date, with its area path and (for old communes) successors, as JSON."""
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        err.print(f"--on: expected a date YYYY-MM-DD, got {on!r}")
        raise typer.Exit(2) from None
    try:
        g = store.builtin_gazetteer() if builtin else _db_gazetteer()
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]gazetteer show failed:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    unit = g.unit(code, day)
    if unit is None:
        err.print(f"no unit {code!r} on {day} in gazetteer {g.version}")
        raise typer.Exit(1)
    out = {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "on": day.isoformat(),
        "valid_from": unit.valid_from.isoformat(),
        "valid_to": unit.valid_to and unit.valid_to.isoformat(),
        "district": unit.district,
        "province": unit.province,
        "lat": unit.lat,
        "lon": unit.lon,
    }
    if unit.level == "commune":
        path = g.resolve(code, day)
        out["area"] = path.model_dump() if path else None
        out["successors"] = g.successors(code)
        out["predecessors_2025"] = g.predecessors(code)
    console.print_json(json.dumps(out, ensure_ascii=False))


def build(
    out: Path = typer.Option(store.BUILTIN_CSV, "--out", help="where to write (default: the checked-in file)"),
) -> None:
    """Regenerate the built-in CSV from the vietnamadminunits package (for maintainers)."""
    n = store.build_builtin_csv(out)
    console.print(f"{n} rows written to {out}", markup=False)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="administrative units of Vietnam, as dated versions", no_args_is_help=True)
    group.command("load")(load)
    group.command("export")(export)
    group.command("show")(show)
    group.command("build")(build)
    app.add_typer(group, name="gazetteer")
