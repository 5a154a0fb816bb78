"""`popreg stack up|down|status`: the local real stack (Kafka + PostgreSQL) under POPREG_HOME."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra import stack
from popreg.bootstrap import cli_settings

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _echo(msg: str) -> None:
    console.print(msg, markup=False)


def up(
    brokers: int = typer.Option(
        None,
        "--brokers",
        min=1,
        max=5,
        help="local Kafka nodes (3: RF 3 / min ISR 2); default POPREG_KAFKA_BROKERS or 1",
    ),
) -> None:
    """Start Kafka (KRaft) and PostgreSQL, create the topics, apply migrations. Idempotent."""
    settings = cli_settings()
    if brokers is not None and brokers != settings.kafka_brokers:
        settings = settings.model_copy(update={"kafka_brokers": brokers})
    try:
        report = stack.up(settings, _echo)
    except stack.StackError as exc:
        err.print(f"[bold red]stack up failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    if report.started:
        console.print(
            f"[green]stack up[/] in {report.seconds:.1f}s: Kafka {settings.bootstrap}, PostgreSQL {settings.dsn}"
        )
    else:
        console.print(f"[green]stack is already running[/]: Kafka {settings.bootstrap}, PostgreSQL {settings.dsn}")
    console.print(
        f"data and logs under {settings.home_dir}; `popreg stack status` shows more, `popreg stack down` stops it"
    )


def down() -> None:
    """Stop the Kafka broker and PostgreSQL server that `up` started from this home."""
    try:
        stack.down(cli_settings(), _echo)
    except stack.StackError as exc:
        err.print(f"[bold red]stack down failed:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None


def status(as_json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """What runs where: pids, ports, versions, data directories, logs. Exit 1 if not all up."""
    settings = cli_settings()
    report = stack.status(settings)
    running = all(report[c].get("running") is not False for c in ("kafka", "postgres"))
    if as_json:
        console.print_json(json.dumps(report, default=str))
    else:
        for comp in ("kafka", "postgres", "home"):
            table = Table(title=comp, show_header=False, title_justify="left")
            for k, v in report[comp].items():
                table.add_row(k, "-" if v is None else str(v))
            console.print(table)
    if not running:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="the local real stack: Apache Kafka (KRaft) + PostgreSQL", no_args_is_help=True)
    group.command("up")(up)
    group.command("down")(down)
    group.command("status")(status)
    app.add_typer(group, name="stack")
