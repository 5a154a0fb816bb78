"""`popreg audit --person ID | --user NAME`: who read whose personal record, when and from where."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra import audit
from infra.db import DatabaseUnavailable, connect
from popreg.bootstrap import cli_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)


def audit_cmd(
    person: str = typer.Option(None, "--person", help="reads of this person's record"),
    user: str = typer.Option(None, "--user", help="reads by this token id, token label or CLI user"),
    since: str = typer.Option(None, "--since", metavar="YYYY-MM-DD", help="from this day on"),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
) -> None:
    """The access audit (append-only): every read of a person's record, history or trajectory."""
    if person is None and user is None:
        err.print("say whose reads: --person ID or --user NAME")
        raise typer.Exit(2)
    try:
        start = datetime.combine(date.fromisoformat(since), datetime.min.time(), UTC) if since else None
    except ValueError:
        err.print(f"--since {escape(since)!r}: a date YYYY-MM-DD")
        raise typer.Exit(2) from None
    try:
        with connect(cli_settings()) as conn:
            rows = audit.query(conn, person=person, user=user, since=start)
    except DatabaseUnavailable as exc:
        err.print(f"[bold red]no audit:[/] {escape(str(exc))}")
        raise typer.Exit(3) from None
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str, ensure_ascii=False))
        return
    table = Table("at (UTC)", "who", "token", "role", "area", "channel", "action", "person", "household", "from")
    for r in rows:
        table.add_row(
            r["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            escape(r["who"] or ""),
            r["token_id"],
            r["role"],
            r["area"],
            r["channel"],
            r["action"],
            r["person_id"] or "",
            r["household_id"] or "",
            r["client"] or "",
        )
    Console().print(table)
    err.print(f"{len(rows)} read(s)")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_cmd)
