"""`popreg token create --role R --area CODE`: a bearer token for the HTTP API (printed once)."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.markup import escape

from infra.db import DatabaseUnavailable, connect
from infra.gazetteer_store import gazetteer_in_force
from infra.tokens import ROLES, check_area, create_token
from popreg.bootstrap import cli_settings

token_app = typer.Typer(help="Bearer tokens of the HTTP API (role + area scope).", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@token_app.command("create")
def create(
    role: str = typer.Option(..., "--role", help=f"one of {', '.join(ROLES)}"),
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    label: str = typer.Option(None, "--label", help="a note on who holds it"),
) -> None:
    """Create a token and print it on stdout (only its sha256 hash is stored)."""
    if role not in ROLES:
        err.print(f"--role {escape(role)!r}: use one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    try:
        area = check_area(area)
    except ValueError as exc:
        err.print(f"--area: {escape(str(exc))}")
        raise typer.Exit(2) from None
    try:
        with connect(cli_settings()) as conn:
            gazetteer = gazetteer_in_force(conn)
            # Any date on which the unit existed will do: scopes of units that ended still
            # cover the events recorded while they existed.
            known = area == "VN" or any(
                gazetteer.unit(area, day) is not None
                for day in (date.today(), date(2025, 6, 30), date(2020, 1, 1))
            )
            if not known:
                err.print(f"--area {area}: no such province, district or commune in the gazetteer")
                raise typer.Exit(2)
            issued = create_token(conn, role, area, label)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]no token:[/] {escape(str(exc))}")
        raise typer.Exit(3) from None
    err.print(f"token {issued.principal.token_id}: role {role}, area {area} (shown once, keep it safe)")
    print(issued.token)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
