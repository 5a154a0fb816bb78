"""`popreg device code|list|revoke`: enrol collaborators' phones and commune desks (producers/frontline)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from infra.db import DatabaseUnavailable, connect
from infra.settings import get_settings
from producers.frontline import devices

device_app = typer.Typer(help="Devices of the front line (/ctv): one-time codes, list, revoke.", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: Exception, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code)


@device_app.command("code")
def code(
    collector: str = typer.Option(..., "--collector", help="the collaborator's id (e.g. ctv-14017-03)"),
    area: str = typer.Option(..., "--area", help="her commune (5 digits)"),
    role: str = typer.Option("collector", "--role", help="collector (a phone) or clerk (the commune's desk)"),
) -> None:
    """Issue a short one-time code (valid 24 h) that enrols one device at /ctv; printed on stdout."""
    try:
        with connect(get_settings()) as conn:
            issued = devices.issue_code(conn, collector, area, role, issued_by="cli")
            conn.commit()
    except ValueError as exc:
        raise _fail(exc, 2) from None
    except DatabaseUnavailable as exc:
        raise _fail(exc, 3) from None
    err.print(f"one-time code for {escape(collector)} ({role}, area {area}), valid 24 h:")
    print(issued)


@device_app.command("list")
def list_(area: str = typer.Option(None, "--area", help="only devices of this area")) -> None:
    """Enrolled devices: id, collaborator, role, area, enrolled, last seen, revoked."""
    try:
        with connect(get_settings()) as conn:
            rows = devices.list_devices(conn, area)
    except DatabaseUnavailable as exc:
        raise _fail(exc, 3) from None
    print("device_id\tcollector_id\trole\tarea\tenrolled_at\tlast_seen_at\trevoked_at")
    for r in rows:
        print(
            "\t".join(
                str(r[k] or "")
                for k in ("device_id", "collector_id", "role", "area", "enrolled_at", "last_seen_at", "revoked_at")
            )
        )


@device_app.command("revoke")
def revoke(device_id: str = typer.Argument(..., help="the device's id (popreg device list)")) -> None:
    """Revoke a device: its credential is refused by the gateway at once."""
    try:
        with connect(get_settings()) as conn:
            done = devices.revoke(conn, device_id)
            conn.commit()
    except DatabaseUnavailable as exc:
        raise _fail(exc, 3) from None
    if not done:
        err.print(f"no active device {escape(device_id)}")
        raise typer.Exit(1)
    err.print(f"device {escape(device_id)} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(device_app, name="device")
