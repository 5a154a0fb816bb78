"""`popreg worker register`: the register processor (faust worker) in the foreground."""

from __future__ import annotations

import typer

WORKER_GROUP = "worker"


def worker_group(app: typer.Typer) -> typer.Typer:
    """The shared `popreg worker …` group; other processors add their command to the same one."""
    for group in app.registered_groups:
        if group.name == WORKER_GROUP and group.typer_instance is not None:
            return group.typer_instance
    created = typer.Typer(
        help="Run one processor worker in the foreground (Ctrl-C / SIGTERM stops it).", no_args_is_help=True
    )
    app.add_typer(created, name=WORKER_GROUP)
    return created


def register(app: typer.Typer) -> None:
    workers = worker_group(app)

    @workers.command("register")
    def register_worker(
        loglevel: str = typer.Option("info", "--loglevel", "-l", help="faust log level: debug, info, warn, error"),
    ) -> None:
        """Validate, order and enrich submissions into register.events.v1 / register.review.v1."""
        from popreg.bootstrap import cli_settings
        from processors.register.app import run_register_worker

        run_register_worker(cli_settings(), loglevel)
