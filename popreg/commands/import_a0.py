"""`popreg import-a0 FILE.csv|FILE.xlsx`: household books into baseline events (docs/a0-import.md).

Exit 0 when the file was read (bad rows are listed with line and column, the rest imported);
2 when it cannot be imported at all (unreadable, wrong header); 3 when Kafka or PostgreSQL
did not answer (run it again: what was taken answers `duplicate`).
"""

from __future__ import annotations

import asyncio
import codecs
import sys
from datetime import date
from pathlib import Path

import typer
from aiokafka.errors import KafkaError
from rich.markup import escape

from infra.db import DatabaseUnavailable
from popreg.bootstrap import cli_settings
from popreg.commands.submit import (
    EXIT_UNAVAILABLE,
    EXIT_UNREADABLE,
    counts_text,
    err,
    progress_bar,
    quiet_kafka_logs,
)
from producers.a0 import A0FileError, import_a0
from producers.a0_format import Problem
from producers.ingest import Unavailable
from producers.runtime import open_ingest


async def _import(path: Path, registered_on: date | None, sheet: str | None = None, encoding: str = "utf-8") -> int:
    out = sys.stdout

    def problem(p: Problem) -> None:
        out.write(f"bad row {path}: {p}\n")

    async with open_ingest(cli_settings()) as service:
        with progress_bar(err) as progress:
            size = path.stat().st_size if path.is_file() else None
            task = progress.add_task(escape(path.name), total=size, counts="")
            try:
                report = await import_a0(
                    service,
                    path,
                    registered_on=registered_on,
                    on_bytes=lambda n: progress.advance(task, n),
                    on_problem=problem,
                    sheet=sheet,
                    encoding=encoding,
                )
            except A0FileError as exc:
                out.write(f"error {exc}\n")
                return EXIT_UNREADABLE
    out.write(
        f"{path}: {report.rows} rows, {report.households} households, {report.bad_rows} bad rows; "
        f"events: {counts_text(report.events)}\n"
    )
    return 0


def import_a0_command(
    file: Path = typer.Argument(
        ..., help="A0 book, one row per person: CSV, or a workbook .xlsx/.xls/.ods (docs/a0-import.md)"
    ),
    registered_on: str = typer.Option(
        None, "--registered-on", help="the book's date (YYYY-MM-DD) for rows without a registered_on value"
    ),
    sheet: str | None = typer.Option(
        None, "--sheet", help="a workbook: the sheet to read (default: the first whose header names A0 columns)"
    ),
    encoding: str = typer.Option(
        "utf-8",
        "--encoding",
        help="a CSV: its text encoding, e.g. cp1258 (Windows Vietnamese) for old exports; default UTF-8",
    ),
) -> None:
    """Import household books (sổ A0) as household.registered / person.registered / contraception.started."""
    quiet_kafka_logs()
    day = None
    if registered_on:
        try:
            day = date.fromisoformat(registered_on)
        except ValueError:
            err.print(f"--registered-on {escape(registered_on)!r}: expected YYYY-MM-DD")
            raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        encoding = codecs.lookup(encoding).name
    except LookupError:
        err.print(f"--encoding {escape(encoding)!r}: not a known text encoding (utf-8, cp1258, ...)")
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        code = asyncio.run(_import(file, day, sheet, encoding))
    except (Unavailable, DatabaseUnavailable, KafkaError, OSError) as exc:
        err.print(f"[bold red]import stopped:[/] {escape(str(exc) or repr(exc))}")
        err.print(
            "Kafka or PostgreSQL is not reachable: `popreg stack up`, then run the import again "
            "(rows already taken answer `duplicate`)."
        )
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("import-a0")(import_a0_command)
