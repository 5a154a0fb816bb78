"""`popreg token create --role R --area CODE`: a bearer token for the HTTP API (printed once)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.db import DatabaseUnavailable, connect
from infra.gazetteer_store import gazetteer_in_force
from infra.tokens import (
    ROLES,
    TokenInfo,
    check_area,
    create_token,
    list_tokens,
    revoke_token,
    rotate_token,
)
from popreg.bootstrap import cli_settings

token_app = typer.Typer(help="Bearer tokens of the HTTP API (role + area scope).", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@token_app.command("create")
def create(
    role: str = typer.Option(..., "--role", help=f"one of {', '.join(ROLES)}"),
    area: str = typer.Option(..., "--area", help="VN, or a province (2 digits), district (3) or commune (5) code"),
    label: str = typer.Option(None, "--label", help="a note on who holds it"),
    expires_in: float = typer.Option(
        None, "--expires-in", min=0.0, metavar="DAYS", help="the token stops working after this many days"
    ),
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
                gazetteer.unit(area, day) is not None for day in (date.today(), date(2025, 6, 30), date(2020, 1, 1))
            )
            if not known:
                err.print(f"--area {area}: no such province, district or commune in the gazetteer")
                raise typer.Exit(2)
            issued = create_token(conn, role, area, label, expires_in=_days(expires_in))
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]no token:[/] {escape(str(exc))}")
        raise typer.Exit(3) from None
    err.print(f"token {issued.principal.token_id}: role {role}, area {area} (shown once, keep it safe)")
    print(issued.token)


def _days(days: float | None) -> timedelta | None:
    return timedelta(days=days) if days is not None else None


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if t is not None else "-"


@token_app.command("list")
def list_(
    area: str = typer.Option("VN", "--area", help="only tokens whose scope is this area (VN: all)"),
    all_: bool = typer.Option(False, "--all", help="also revoked and expired tokens"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
) -> None:
    """Tokens (never their secrets): id, role, area, label, created, expires, last used, state."""
    try:
        with connect(cli_settings()) as conn:
            found = list_tokens(conn, area=area, include_inactive=all_)
    except ValueError as exc:
        err.print(f"--area: {escape(str(exc))}")
        raise typer.Exit(2) from None
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]no list:[/] {escape(str(exc))}")
        raise typer.Exit(3) from None
    if as_json:
        for t in found:
            print(
                json.dumps(
                    {**{k: getattr(t, k) for k in TokenInfo.__dataclass_fields__}, "state": t.state}, default=str
                )
            )
        return
    table = Table("token", "role", "area", "label", "created", "expires", "last used", "state")
    for t in found:
        table.add_row(
            t.token_id,
            t.role,
            t.area,
            escape(t.label or ""),
            _when(t.created_at),
            _when(t.expires_at),
            _when(t.last_used_at),
            t.state,
        )
    Console().print(table)


@token_app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="the token's id (from `popreg token list`)")) -> None:
    """Revoke a token: refused at once by new checks (phones and desks at their next request)."""
    with connect(cli_settings()) as conn:
        if not revoke_token(conn, token_id):
            err.print(f"no valid token {escape(token_id)} (unknown, or already revoked)")
            raise typer.Exit(1)
    err.print(f"token {token_id} revoked")


@token_app.command("rotate")
def rotate(
    token_id: str = typer.Argument(..., help="the token to replace"),
    expires_in: float = typer.Option(None, "--expires-in", min=0.0, metavar="DAYS", help="the new token's lifetime"),
    grace_hours: float = typer.Option(
        0.0, "--grace", min=0.0, metavar="HOURS", help="keep the old token working this long (default: revoked at once)"
    ),
) -> None:
    """A new token with the same role, area and label, printed on stdout; the old one ends."""
    with connect(cli_settings()) as conn:
        issued = rotate_token(conn, token_id, expires_in=_days(expires_in), grace=timedelta(hours=grace_hours))
    if issued is None:
        err.print(f"no valid token {escape(token_id)} (unknown, or already revoked)")
        raise typer.Exit(1)
    ends = f"ends in {grace_hours:g} h" if grace_hours else "revoked"
    err.print(f"token {issued.principal.token_id} replaces {token_id} ({ends}); shown once, keep it safe")
    print(issued.token)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
