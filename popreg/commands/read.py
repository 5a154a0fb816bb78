"""`popreg indicators|person|review|wait|rebuild|sink|warm`: the read side and its projections."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from infra.audit import record_cli_read
from infra.db import DatabaseUnavailable, connect, open_pool
from infra.migrate import apply_migrations
from infra.observability import configure_logging
from infra.settings import Settings
from popreg.bootstrap import cli_settings
from projections import versions
from projections.periods import parse_period
from projections.read import queries, stock_warm
from projections.read.indicators import compute_indicators
from projections.read.progress import wait_async
from projections.rules import Rules
from projections.sink.rebuild import drop_retired, rebuild
from projections.sink.runner import run_sinks

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _settings() -> Settings:
    settings = cli_settings()
    try:
        apply_migrations(settings.dsn)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]PostgreSQL unavailable:[/] {exc}")
        raise typer.Exit(1) from None
    return settings


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n")


def indicators(
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    period: str = typer.Option(..., "--period", help="YYYY-MM, YYYY-Qn or YYYY"),
    known_on: str | None = typer.Option(None, "--known-on", help="as the register knew it on this date (YYYY-MM-DD)"),
    names: str | None = typer.Option(None, "--names", help="comma-separated indicator names (default: all)"),
    fmt: str = typer.Option("json", "--format", help="json, csv or table"),
) -> None:
    """Indicator figures for an area and period (INDICATORS.md), as JSON (CONTRACT.md shape), CSV or a table."""
    if fmt not in ("json", "csv", "table"):
        err.print(f"--format {fmt!r}: use json, csv or table")
        raise typer.Exit(2)
    settings = _settings()
    try:
        with connect(settings, autocommit=True) as conn:
            result = compute_indicators(conn, area, period, known_on, names.split(",") if names else None)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    if fmt == "json":
        _print_json(result)
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["area", "level", "period", "known_on", "indicator", "value"])
        for name, value in result["values"].items():
            writer.writerow(
                [
                    result["area"],
                    result["level"],
                    result["period"],
                    result["known_on"] or "",
                    name,
                    "" if value is None else value,
                ]
            )
        sys.stdout.write(out.getvalue())
    else:
        known = f", as known on {result['known_on']}" if result["known_on"] else ""
        table = Table(title=f"{result['area']} ({result['level']}) {result['period']}{known}")
        table.add_column("indicator")
        table.add_column("value", justify="right")
        for name, value in result["values"].items():
            table.add_row(name, "—" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:.4f}")
        console.print(table)


def person(
    person_id: str = typer.Argument(..., help="the person id"),
    known_on: str | None = typer.Option(None, "--known-on", help="the history as known on this date"),
    trajectory: bool = typer.Option(False, "--trajectory", help="the life-course timeline instead (JSON)"),
    picture: Path | None = typer.Option(None, "--picture", help="with --trajectory: also draw it to this PNG"),
) -> None:
    """A person's current record and full history (JSON), or their trajectory."""
    settings = _settings()
    on = date.fromisoformat(known_on) if known_on else None
    with connect(settings, autocommit=True) as conn:
        record = queries.person(conn, person_id)
        if record is None:
            err.print(f"no person {person_id!r}")
            raise typer.Exit(1)
        record_cli_read(conn, "person_trajectory" if trajectory else "person_history", person_id)
        if trajectory:
            from analyses.trajectory import render_png
            from projections.read.trajectory import person_trajectory

            found = person_trajectory(conn, person_id, on)
            if picture is not None:
                render_png(found, picture)
                err.print(f"picture: {picture}")
            _print_json(found)
            return
        history = queries.person_history(conn, person_id, on)
    _print_json({"person": record, "history": history})


def review(commune: str | None = typer.Option(None, "--commune", help="only this commune")) -> None:
    """Submissions held in review and not yet resolved, with reason codes (JSON)."""
    settings = _settings()
    with connect(settings, autocommit=True) as conn:
        items = queries.review(conn, commune)
    _print_json({"count": len(items), "items": items})


def wait(timeout: float = typer.Option(300.0, "--timeout", help="seconds before giving up (exit 1)")) -> None:
    """Block until everything accepted so far reached the events or review topic and the projections."""
    settings = _settings()
    try:
        done = asyncio.run(wait_async(settings, timeout))
    except TimeoutError as exc:
        err.print(f"[bold red]timeout:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"caught up: {done.submitted} submitted, {done.processed} processed, {done.projected} projected")


def _stoppable() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _list_versions(settings: Settings) -> None:
    with connect(settings, autocommit=True) as conn:
        found = versions.active_versions(conn)
    table = Table(title="projection versions")
    for col in ("version", "schema", "state", "boundaries", "definitions"):
        table.add_column(col)
    for v in found:
        table.add_row(str(v.version), v.schema, v.state, v.rules.boundaries, str(v.rules.definitions or "default"))
    console.print(table)


def rebuild_cmd(
    swap: bool = typer.Option(False, "--swap", help="switch readers to the new version once it caught up"),
    definition: list[str] = typer.Option([], "--definition", help="NAME=VERSION: serve that indicator definition"),
    boundaries: str | None = typer.Option(
        None,
        "--boundaries",
        help="as_of_date (default) or current (re-aggregate "
        "history into today's units, e.g. after the 1 July 2025 reform)",
    ),
    list_: bool = typer.Option(False, "--list", help="list the projection versions and exit"),
    swap_to: int | None = typer.Option(None, "--swap-to", help="switch readers to this existing version and exit"),
    drop: int | None = typer.Option(None, "--drop", help="drop this (not live) version and exit"),
    drop_old: bool = typer.Option(False, "--drop-old", help="drop every retired or unused version and exit"),
    resume: int | None = typer.Option(None, "--resume", help="continue an interrupted rebuild of this version"),
) -> None:
    """Rebuild every projection from offset 0 into a new version beside the live one; --swap switches readers."""
    settings = _settings()
    try:
        if list_:
            return _list_versions(settings)
        if swap_to is not None or drop is not None or drop_old:
            with open_pool(settings, min_size=1, max_size=2) as pool:
                with pool.connection() as conn:
                    if swap_to is not None:
                        versions.swap(conn, swap_to)
                    if drop is not None:
                        versions.drop(conn, drop)
                if drop_old:
                    console.print(f"dropped versions {drop_retired(pool) or 'none'}")
            return _list_versions(settings)
        with connect(settings, autocommit=True) as conn:
            base = versions.ensure_live(conn).rules
        changes: dict[str, Any] = {}
        if definition:
            pairs = dict(d.split("=", 1) for d in definition)
            changes["definitions"] = {**base.definitions, **{k.strip(): int(v) for k, v in pairs.items()}}
        if boundaries:
            changes["boundaries"] = boundaries
        rules = Rules.model_validate({**base.model_dump(), **changes})
    except (ValueError, versions.VersionError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None

    def report(_result: Any, stats: Any) -> None:
        if stats.batches % 20 == 1:
            err.print(f"  {stats.records:,} records, {stats.archived:,} events archived, {stats.units:,} units")

    async def main() -> versions.Version:
        pool = open_pool(settings, min_size=1, max_size=4, name="popreg-rebuild")
        try:
            built, stats = await rebuild(
                settings, pool, rules, swap=swap, resume=resume, on_batch=report, stop=_stoppable()
            )
        finally:
            pool.close()
        console.print(
            f"v{built.version} ({built.schema}) {built.state}: {stats.records:,} records, "
            f"{stats.archived:,} events, {stats.review:,} review items, {stats.units:,} units folded"
        )
        return built

    asyncio.run(main())


def sink() -> None:
    """Run the projection sink alone (feeds every projection version) until Ctrl-C / SIGTERM."""
    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    configure_logging(settings.log_format)

    async def main() -> None:
        pool = open_pool(settings, min_size=1, max_size=6, name="popreg-sink")
        try:
            await run_sinks(settings, pool, _stoppable())
        finally:
            pool.close()

    asyncio.run(main())


def warm(
    months: int = typer.Option(13, "--months", min=1, max=240, help="how many recent months"),
    through: str | None = typer.Option(None, "--through", help="the last month YYYY-MM (default: of the last event)"),
) -> None:
    """Count the stock snapshots (population, ages, households, women by method) of the recent
    periods ahead of readers; only missing or stale ones. The API does this in the background."""
    from rich.progress import Progress

    settings = _settings()
    with open_pool(settings, min_size=1, max_size=2, name="popreg-warm") as pool:
        try:
            last = last_day_of(through) if through else stock_warm.last_event_day(pool)[0]
        except ValueError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(2) from None
        if last is None:
            console.print("no events projected yet: nothing to count")
            return
        days = stock_warm.recent_days(last, months)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task(f"{len(days)} days", total=None)
            done = stock_warm.warm(pool, days, progress=lambda n, total: bar.update(task, completed=n, total=total))
    console.print(
        f"{done.days} days up to {days[0].isoformat()}: {done.counted:,} commune rows counted "
        f"({done.units:,} province-days and -months looked at) in {done.seconds:.1f} s"
    )


def last_day_of(month: str) -> date:
    """The last day of a YYYY-MM month."""
    period = parse_period(month)
    if period.kind != "month":
        raise ValueError(f"--through {month!r}: use a month YYYY-MM")
    return period.end


def register(app: typer.Typer) -> None:
    app.command("indicators")(indicators)
    app.command("person")(person)
    app.command("review")(review)
    app.command("wait")(wait)
    app.command("rebuild")(rebuild_cmd)
    app.command("sink")(sink)
    app.command("warm")(warm)
