"""Bearer tokens: a role and an area scope each, stored as sha256 hashes in PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, get_args

import psycopg
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from infra.db import connect
from infra.settings import Settings

Role = Literal["collector", "clerk", "analyst", "operator"]
ROLES: tuple[str, ...] = get_args(Role)
# Who may send submissions at all, and who may apply a held one anyway (review.overridden).
SUBMIT_ROLES = frozenset({"collector", "clerk", "operator"})
OVERRIDE_ROLES = frozenset({"clerk", "operator"})
# Names and national ids: the people who keep the books, not analysts (they get pseudonymised
# exports and trajectories).
PERSONAL_DATA_ROLES = frozenset({"collector", "clerk", "operator"})
# Phones and commune desks (producers/frontline) hold these: a revoked device must be refused at
# its next request, so their checks skip the cache (one indexed lookup per batch is cheap).
UNCACHED_ROLES = frozenset({"collector", "clerk"})
TOKEN_PREFIX = "prt_"
DEV_TOKEN_FILE = "dev-token"

INSERT_TOKEN = """
INSERT INTO api_tokens (token_id, token_sha256, role, area, label, expires_at, replaces)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""
# Valid = not revoked and not expired; the check also notes when the token was last used
# (at most once a minute per token, so a busy phone does not write on every request).
SELECT_TOKEN = """
WITH found AS (
    SELECT token_id, role, area, expires_at, last_used_at FROM api_tokens
    WHERE token_sha256 = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
), touched AS (
    UPDATE api_tokens t SET last_used_at = now() FROM found
    WHERE t.token_id = found.token_id AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
)
SELECT token_id, role, area, expires_at FROM found
"""
REVOKE_TOKEN = "UPDATE api_tokens SET revoked_at = now() WHERE token_id = %s AND revoked_at IS NULL"
LIST_TOKENS = """
SELECT token_id, role, area, label, created_at, expires_at, revoked_at, last_used_at, replaces FROM api_tokens
WHERE (%(all)s OR (revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())))
  AND (%(area)s = 'VN' OR area = %(area)s)
ORDER BY created_at, token_id
"""
GET_TOKEN = "SELECT token_id, role, area, label, revoked_at FROM api_tokens WHERE token_id = %s"
EXPIRE_TOKEN = """
UPDATE api_tokens SET expires_at = least(coalesce(expires_at, %s), %s) WHERE token_id = %s AND revoked_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id (never the secret), its role and its area scope."""

    token_id: str
    role: Role
    area: str  # "VN", or a province (2 digits), district (3) or commune (5) code

    @property
    def may_submit(self) -> bool:
        return self.role in SUBMIT_ROLES

    @property
    def may_override(self) -> bool:
        return self.role in OVERRIDE_ROLES

    @property
    def may_read_personal_data(self) -> bool:
        return self.role in PERSONAL_DATA_ROLES


# The in-process caller of `popreg submit` / `import-a0`: it already holds the database itself.
LOCAL_OPERATOR = Principal(token_id="local-cli", role="operator", area="VN")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    principal: Principal


def hash_token(token: str) -> bytes:
    # Tokens are 256 random bits, so a fast hash is enough (no dictionary attack to slow down).
    return hashlib.sha256(token.encode()).digest()


def check_area(area: str) -> str:
    area = area.strip().upper()
    if area == "VN" or (area.isdigit() and area.isascii() and len(area) in (2, 3, 5)):
        return area
    raise ValueError(f"area {area!r}: use VN, or a province (2 digits), district (3) or commune (5) code")


def _new(role: str, area: str) -> tuple[str, str, bytes]:
    if role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, f"tok-{uuid.uuid4().hex[:12]}", hash_token(token)


def create_token(
    db: ConnectionPool | psycopg.Connection,
    role: str,
    area: str,
    label: str | None = None,
    *,
    expires_in: timedelta | None = None,
    replaces: str | None = None,
) -> IssuedToken:
    """Store a new token's hash and return the token itself (the only time it is visible);
    with `expires_in`, it stops working after that long."""
    if isinstance(db, ConnectionPool):
        with db.connection() as conn:
            return create_token_in(conn, role, area, label, expires_in=expires_in, replaces=replaces)
    issued = create_token_in(db, role, area, label, expires_in=expires_in, replaces=replaces)
    db.commit()
    return issued


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as operators see it (never its secret or hash)."""

    token_id: str
    role: str
    area: str
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    replaces: str | None

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= datetime.now(UTC):
            return "expired"
        return "valid"


def list_tokens(conn: psycopg.Connection, *, area: str = "VN", include_inactive: bool = False) -> list[TokenInfo]:
    """Tokens whose scope is `area` (every token for VN); valid ones only, unless include_inactive."""
    rows = conn.execute(LIST_TOKENS, {"all": include_inactive, "area": check_area(area)}).fetchall()
    return [TokenInfo(*row) for row in rows]


def rotate_token(
    conn: psycopg.Connection, token_id: str, *, expires_in: timedelta | None = None, grace: timedelta = timedelta(0)
) -> IssuedToken | None:
    """A new token with the old one's role, area and label; the old one stops working after
    `grace` (at once by default). None when there is no such valid token. One transaction."""
    with conn.transaction():
        row = conn.execute(GET_TOKEN, (token_id,)).fetchone()
        if row is None or row[4] is not None:
            return None
        _, role, area, label, _ = row
        issued = create_token_in(conn, role, area, label, expires_in=expires_in, replaces=token_id)
        if grace > timedelta(0):
            until = datetime.now(UTC) + grace
            conn.execute(EXPIRE_TOKEN, (until, until, token_id))
        else:
            conn.execute(REVOKE_TOKEN, (token_id,))
    return issued


def create_token_in(
    conn: psycopg.Connection,
    role: str,
    area: str,
    label: str | None,
    *,
    expires_in: timedelta | None = None,
    replaces: str | None = None,
) -> IssuedToken:
    """create_token inside the caller's transaction (no commit here)."""
    area = check_area(area)
    token, token_id, digest = _new(role, area)
    expires = datetime.now(UTC) + expires_in if expires_in is not None else None
    conn.execute(INSERT_TOKEN, (token_id, digest, role, area, label, expires, replaces))
    return IssuedToken(token, Principal(token_id, role, area))  # type: ignore[arg-type]


def authenticate(db: ConnectionPool | psycopg.Connection, token: str) -> Principal | None:
    """The principal of a valid, unrevoked token; None otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    if isinstance(db, ConnectionPool):
        with db.connection() as conn:
            row = conn.execute(SELECT_TOKEN, (hash_token(token),)).fetchone()
    else:
        row = db.execute(SELECT_TOKEN, (hash_token(token),)).fetchone()
    return Principal(*row[:3]) if row else None


def revoke_token(db: ConnectionPool | psycopg.Connection, token_id: str) -> bool:
    """Revoke at once (readers holding it in their short cache stop within its ttl)."""
    if isinstance(db, ConnectionPool):
        with db.connection() as conn:
            return conn.execute(REVOKE_TOKEN, (token_id,)).rowcount == 1
    done = db.execute(REVOKE_TOKEN, (token_id,)).rowcount == 1
    db.commit()
    return done


class TokenStore:
    """Async token checks for the HTTP layer, with a short cache so a busy collector's phone
    does not cost one PostgreSQL round trip per request (a revocation takes effect within `ttl`)."""

    def __init__(self, pool: AsyncConnectionPool, ttl: float = 30.0, max_cached: int = 10_000):
        self._pool = pool
        self._ttl = ttl
        self._max = max_cached
        self._cache: dict[bytes, tuple[float, Principal]] = {}

    async def authenticate(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = hash_token(token)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self._pool.connection() as conn:
            cur = await conn.execute(SELECT_TOKEN, (digest,))
            row = await cur.fetchone()
        if row is None:
            self._cache.pop(digest, None)
            return None
        if len(self._cache) >= self._max:
            self._cache.clear()
        principal = Principal(*row[:3])
        until = now + self._ttl
        if row[3] is not None:  # never cached past its expiry
            until = min(until, now + (row[3] - datetime.now(UTC)).total_seconds())
        if principal.role not in UNCACHED_ROLES:
            self._cache[digest] = (until, principal)
        return principal


def bearer_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


# Declares the HTTP bearer scheme in OpenAPI (Swagger UI's Authorize); the token is read below.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="prt_…",
    description="a popreg token: `popreg token create --role … --area …`, or .popreg/dev-token locally",
)


async def require_principal(
    request: Request, _declared: HTTPAuthorizationCredentials | None = Depends(BEARER)
) -> Principal:
    """FastAPI dependency: the caller's principal, or 401. Needs `app.state.tokens` (TokenStore)."""
    token = bearer_token(request)
    store: TokenStore = request.app.state.tokens
    principal = await store.authenticate(token) if token else None
    request.state.principal = principal  # for the access audit (infra.audit)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid bearer token is required (Authorization: Bearer prt_…)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def ensure_dev_token(settings: Settings) -> Path:
    """The whole-country operator token for local use, in home_dir/dev-token (mode 600).

    Reuses the token already in the file while the database still knows it, so restarting
    `popreg run` does not invalidate scripts that read it.
    """
    if settings.env == "production":
        raise RuntimeError("no development token in production: use `popreg token create`")
    path = settings.home_dir / DEV_TOKEN_FILE
    with connect(settings) as conn:
        if path.exists():
            current = path.read_text(encoding="utf-8").strip()
            if authenticate(conn, current) is not None:
                os.chmod(path, 0o600)
                return path
        issued = create_token(conn, "operator", "VN", label="development token (popreg run)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(issued.token + "\n")
    os.chmod(path, 0o600)  # also when the file existed with wider permissions
    return path
