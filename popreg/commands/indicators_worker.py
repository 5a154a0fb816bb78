"""`popreg worker indicators`: the indicator processor (live counters, faust worker) in the foreground."""

from __future__ import annotations

from datetime import date

import typer

from popreg.commands.register import worker_group


def register(app: typer.Typer) -> None:
    workers = worker_group(app)

    @workers.command("indicators")
    def indicators_worker(
        loglevel: str = typer.Option("info", "--loglevel", "-l", help="faust log level: debug, info, warn, error"),
        live_from: str | None = typer.Option(
            None, "--live-from", help="first day counted live, for a new table only (default: 1 January of last year)"
        ),
    ) -> None:
        """Keep the flow indicators of the current periods counted live; snapshots in PostgreSQL."""
        from popreg.bootstrap import cli_settings
        from processors.indicators.app import run_indicator_worker

        try:
            start = date.fromisoformat(live_from) if live_from else None
        except ValueError:
            raise typer.BadParameter(f"{live_from!r}: use a date YYYY-MM-DD", param_hint="--live-from") from None
        run_indicator_worker(cli_settings(), loglevel, start)
