"""The access audit: who read whose personal record, when and from where (append-only table).

The HTTP side is a middleware (AccessAudit) on the person and household routes: the row is
written when the answer starts, before any byte of the record leaves; if it cannot be written the
caller gets 503 instead of the record. The CLI writes its row before printing.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from infra.observability import REQUEST_ID

INSERT = """
INSERT INTO access_log (token_id, who, role, area, channel, action, person_id, household_id, client, request_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
LABEL = "SELECT label FROM api_tokens WHERE token_id = %s"
QUERY = """
SELECT at, token_id, who, role, area, channel, action, person_id, household_id, client, request_id FROM access_log
WHERE (%(person)s::text IS NULL OR person_id = %(person)s)
  AND (%(user)s::text IS NULL OR token_id = %(user)s OR who = %(user)s)
  AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)
ORDER BY at, id
"""
# Routes whose answer holds a person's personal data, and the action each one records.
AUDITED = [
    (re.compile(r"^/v1/persons/([^/]+)/history$"), "person_history", "person"),
    (re.compile(r"^/v1/persons/([^/]+)/trajectory$"), "person_trajectory", "person"),
    (re.compile(r"^/v1/persons/([^/]+)$"), "person", "person"),
    (re.compile(r"^/v1/households/([^/]+)$"), "household", "household"),
]


@dataclass(frozen=True, slots=True)
class Access:
    token_id: str
    role: str
    area: str
    channel: str
    action: str
    person_id: str | None = None
    household_id: str | None = None
    client: str | None = None
    who: str | None = None
    request_id: str | None = None


def record(conn: psycopg.Connection, access: Access) -> None:
    who = access.who
    if who is None:
        row = conn.execute(LABEL, (access.token_id,)).fetchone()
        who = row[0] if row else None
    conn.execute(
        INSERT,
        (
            access.token_id,
            who,
            access.role,
            access.area,
            access.channel,
            access.action,
            access.person_id,
            access.household_id,
            access.client,
            access.request_id,
        ),
    )


def record_cli_read(conn: psycopg.Connection, action: str, person_id: str) -> None:
    """A CLI read by the local operator: the operating-system user and host are the `who`."""
    record(
        conn,
        Access(
            "local-cli",
            "operator",
            "VN",
            "cli",
            action,
            person_id=person_id,
            who=getpass.getuser(),
            client=socket.gethostname(),
        ),
    )
    if not conn.autocommit:
        conn.commit()


def query(
    conn: psycopg.Connection, *, person: str | None = None, user: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    cur = conn.execute(QUERY, {"person": person, "user": user, "since": since})
    cols = [c.name for c in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


class AccessAudit:
    """ASGI middleware: a 200 answer of an audited route is sent only once its access row is
    stored (the principal is the one require_principal put on request.state)."""

    def __init__(self, app: Callable[..., Awaitable[None]], pool_of: Callable[[Any], ConnectionPool | None]):
        self.app, self.pool_of = app, pool_of

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        match = next(((m, action, kind) for rx, action, kind in AUDITED if (m := rx.match(path))), None)
        if scope["type"] != "http" or scope.get("method") != "GET" or match is None:
            await self.app(scope, receive, send)
            return
        m, action, kind = match
        refused = {"yes": False}

        async def audited_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                principal = (scope.get("state") or {}).get("principal")
                pool = self.pool_of(scope["app"])
                try:
                    if principal is None or pool is None:
                        raise RuntimeError("no principal or pool to audit the read")
                    client = scope.get("client")
                    access = Access(
                        principal.token_id,
                        principal.role,
                        principal.area,
                        "page" if _from_page(scope) else "api",
                        action,
                        person_id=m.group(1) if kind == "person" else None,
                        household_id=m.group(1) if kind == "household" else None,
                        client=client[0] if client else None,
                        request_id=REQUEST_ID.get(),
                    )
                    await asyncio.to_thread(_store, pool, access)
                except Exception:  # noqa: BLE001 (no trail, no record: the read is refused)
                    refused["yes"] = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 503,
                            "headers": [(b"content-type", b"application/json"), (b"retry-after", b"5")],
                        }
                    )
                    await send(
                        {
                            "type": "http.response.body",
                            "body": b'{"detail":"the access could not be audited; try again"}',
                        }
                    )
                    return
            if refused["yes"]:
                return
            await send(message)

        await self.app(scope, receive, audited_send)


def _from_page(scope: dict[str, Any]) -> bool:
    referer = dict(scope.get("headers") or []).get(b"referer", b"")
    return b"/ctv" in referer or b"/dashboard" in referer


def _store(pool: ConnectionPool, access: Access) -> None:
    with pool.connection() as conn:
        record(conn, access)
