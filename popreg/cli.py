"""The `popreg` command line (CONTRACT.md): each group of commands lives in popreg/commands/."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="popreg",
    help="popreg: an event-sourced population register (DS-KHHGĐ) on Kafka and PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"popreg {version('popreg')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("popreg (not installed: pip install -e .)")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", help="print the version and exit", callback=_version, is_eager=True
    ),
) -> None:
    """popreg: an event-sourced population register (DS-KHHGĐ) on Kafka and PostgreSQL."""


# One module per concern; each exposes register(app). Add a line here for a new group.
COMMAND_MODULES = [
    "popreg.commands.stack",
    "popreg.commands.gazetteer",
    "popreg.commands.generate",
    "popreg.commands.schemas",
    "popreg.commands.submit",
    "popreg.commands.import_a0",
    "popreg.commands.token",
    "popreg.commands.device",
    "popreg.commands.read",
    "popreg.commands.register",
    "popreg.commands.indicators_worker",
    "popreg.commands.report",
    "popreg.commands.analyses",
    "popreg.commands.run",
    "popreg.commands.audit",
    "popreg.commands.quality",
    "popreg.commands.forecast",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
