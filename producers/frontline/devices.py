"""Device enrolment: one-time codes issued by the commune, exchanged for a device credential.

A device's credential is an ordinary bearer token (infra.tokens) of role collector (a
collaborator, cộng tác viên) or clerk (the commune officer), scoped to the code's area, so the
gateway checks a phone like any other producer. Revoking a device revokes its token: the
gateway refuses it (401) at the next request (collector and clerk tokens are not cached).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from infra.tokens import REVOKE_TOKEN, check_area, create_token_in

DEVICE_ROLES = ("collector", "clerk")
# No 0/O, 1/I/L: read aloud on the phone or copied from paper by someone with little IT training.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_TTL = timedelta(hours=24)

INSERT_CODE = """
INSERT INTO frontline_codes (code_sha256, collector_id, role, area, issued_by, expires_at)
VALUES (%s, %s, %s, %s, %s, now() + %s)
"""
# Taking the code and marking it used is one statement: two phones racing for a code get one.
TAKE_CODE = """
UPDATE frontline_codes SET used_at = now(), device_id = %s
WHERE code_sha256 = %s AND used_at IS NULL AND expires_at > now()
RETURNING collector_id, role, area
"""
INSERT_DEVICE = """
INSERT INTO frontline_devices (device_id, token_id, collector_id, role, area) VALUES (%s, %s, %s, %s, %s)
"""
DEVICE_OF_TOKEN = """
SELECT device_id, collector_id, role, area FROM frontline_devices WHERE token_id = %s AND revoked_at IS NULL
"""
LIST_DEVICES = """
SELECT device_id, collector_id, role, area, enrolled_at, last_seen_at, conflicts, revoked_at
FROM frontline_devices WHERE (%(area)s::text IS NULL OR area LIKE %(area)s || '%%')
ORDER BY area, collector_id, enrolled_at
"""
REVOKE_DEVICE = """
UPDATE frontline_devices SET revoked_at = now() WHERE device_id = %s AND revoked_at IS NULL
RETURNING token_id, area
"""
SEEN = "UPDATE frontline_devices SET last_seen_at = now(), conflicts = coalesce(%s, conflicts) WHERE device_id = %s"


class EnrolError(ValueError):
    """The code is unknown, used or expired (one message: a guesser learns nothing)."""


@dataclass(frozen=True, slots=True)
class Device:
    """An enrolled device: who holds it and where she works."""

    device_id: str
    collector_id: str
    role: str
    area: str


def normalise_code(code: str) -> str:
    """What the person typed, as issued: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _digest(code: str) -> bytes:
    return hashlib.sha256(normalise_code(code).encode()).digest()


def issue_code(
    conn: psycopg.Connection, collector_id: str, area: str, role: str = "collector", issued_by: str | None = None
) -> str:
    """A new one-time code (shown once, as XXXX-XXXX); valid for CODE_TTL."""
    if role not in DEVICE_ROLES:
        raise ValueError(f"role {role!r}: use collector or clerk")
    collector_id = collector_id.strip()
    if not collector_id:
        raise ValueError("the collector id is empty")
    area = check_area(area)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    conn.execute(INSERT_CODE, (_digest(code), collector_id, role, area, issued_by, CODE_TTL))
    return f"{code[:4]}-{code[4:]}"


def enrol(conn: psycopg.Connection, code: str) -> tuple[str, Device]:
    """Exchange a code for (bearer token, device) in one transaction; EnrolError if not valid."""
    device_id = f"dev-{uuid.uuid4().hex[:12]}"
    with conn.transaction():
        row = conn.execute(TAKE_CODE, (device_id, _digest(code))).fetchone()
        if row is None:
            raise EnrolError("mã không đúng, đã dùng hoặc đã hết hạn")
        collector_id, role, area = row
        issued = create_token_in(conn, role, area, f"device {device_id} of {collector_id}")
        conn.execute(INSERT_DEVICE, (device_id, issued.principal.token_id, collector_id, role, area))
    return issued.token, Device(device_id, collector_id, role, area)


def device_of(conn: psycopg.Connection, token_id: str) -> Device | None:
    row = conn.execute(DEVICE_OF_TOKEN, (token_id,)).fetchone()
    return Device(*row) if row else None


def list_devices(conn: psycopg.Connection, area: str | None = None) -> list[dict[str, Any]]:
    return conn.cursor(row_factory=dict_row).execute(LIST_DEVICES, {"area": area}).fetchall()


def revoke(conn: psycopg.Connection, device_id: str, within: str | None = None) -> bool:
    """Revoke a device and its token at once; `within`: only a device of this area (the desk)."""
    with conn.transaction():
        row = conn.execute(REVOKE_DEVICE, (device_id,)).fetchone()
        if row is None:
            return False
        token_id, area = row
        if within is not None and within != "VN" and not area.startswith(within):
            raise PermissionError(f"device {device_id} is outside area {within}")
        conn.execute(REVOKE_TOKEN, (token_id,))
    return True


def seen(conn: psycopg.Connection, device_id: str, conflicts: int | None = None) -> None:
    conn.execute(SEEN, (conflicts, device_id))
