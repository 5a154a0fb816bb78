"""`popreg submit FILE…`: files of submissions through the gateway's ingest path (exit codes below).

Exit 0 when every file was read (even with invalid lines, which are listed); 2 when a file
could not be read; 3 when Kafka or PostgreSQL did not answer (resending is safe: what was
taken answers `duplicate`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from infra.db import DatabaseUnavailable
from popreg.bootstrap import cli_settings
from producers.ingest import Counts, Unavailable
from producers.runtime import open_ingest
from producers.submit import InvalidItem, NotTaken, Retry, UnreadableFile, submit_file

EXIT_UNREADABLE = 2
EXIT_UNAVAILABLE = 3

err = Console(stderr=True, highlight=False, soft_wrap=True)


def quiet_kafka_logs() -> None:
    # aiokafka logs each failed connection attempt; the command prints one clear message instead.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[counts]}"),
        console=console,
        transient=False,
    )


def counts_text(c: Counts) -> str:
    return f"{c.accepted} accepted, {c.duplicate} duplicate, {c.invalid} invalid"


async def _submit(files: list[Path], retry_for: float = 120.0) -> int:
    settings = cli_settings()
    total = Counts()
    code = 0
    out = sys.stdout
    async with open_ingest(settings) as service:
        with progress_bar(err) as progress:
            for path in files:
                size = path.stat().st_size if path.is_file() else 0
                task = progress.add_task(escape(path.name), total=size or None, counts="")

                def invalid(item: InvalidItem) -> None:
                    out.write(f"invalid {item}\n")

                def retrying(attempt: int, wait: float, cause: BaseException, t=task) -> None:
                    progress.update(
                        t,
                        counts=f"Kafka or PostgreSQL away ({escape(str(cause) or repr(cause))[:80]}); "
                        f"retry {attempt} in {wait:.1f}s",
                    )

                try:
                    report = await submit_file(
                        service,
                        path,
                        on_bytes=lambda n, t=task: progress.advance(t, n),
                        on_invalid=invalid,
                        on_counts=lambda c, t=task: progress.update(t, counts=counts_text(c)),
                        retry=Retry(give_up_after=retry_for, on_retry=retrying),
                    )
                except UnreadableFile as exc:
                    out.write(f"error {exc}\n")
                    code = EXIT_UNREADABLE
                    continue
                progress.update(task, completed=size)
                out.write(f"{path}: {counts_text(report.counts)}\n")
                out.flush()
                for name in ("accepted", "duplicate", "invalid"):
                    setattr(total, name, getattr(total, name) + getattr(report.counts, name))
    out.write(f"total: {counts_text(total)}\n")
    return code


def submit(
    files: list[Path] = typer.Argument(..., help=".jsonl (one envelope per line) or .json (an array) files"),
    retry_for: float = typer.Option(
        120.0,
        "--retry-for",
        min=0.0,
        metavar="SECONDS",
        help="keep resending a chunk refused while Kafka or PostgreSQL is away "
        "this long (with backoff) before giving up",
    ),
) -> None:
    """Submit files of envelopes through the same path as POST /v1/submissions."""
    quiet_kafka_logs()
    try:
        code = asyncio.run(_submit(files, retry_for))
    except NotTaken as exc:
        sys.stdout.flush()
        err.print(f"[bold red]not submitted:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    except (Unavailable, DatabaseUnavailable, KafkaError, OSError) as exc:
        err.print(f"[bold red]not submitted:[/] {escape(str(exc) or repr(exc))}")
        err.print(
            "Kafka or PostgreSQL is not reachable: `popreg stack up`, then submit again "
            "(lines already taken answer `duplicate`)."
        )
        raise typer.Exit(EXIT_UNAVAILABLE) from None
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
