"""PostgreSQL connections (the one owner of pools): pools that fail fast, admin helpers."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from infra.settings import Settings

CONNECT_TIMEOUT = 10
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

DATABASE_EXISTS = "SELECT 1 FROM pg_database WHERE datname = %s"
SERVER_VERSION = "SHOW server_version"


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; the message says where and what to do."""


def _unavailable(dsn: str, exc: BaseException) -> DatabaseUnavailable:
    safe = make_conninfo(dsn, password="***") if "password" in conninfo_to_dict(dsn) else dsn
    return DatabaseUnavailable(
        f"PostgreSQL at {safe} is not reachable ({exc}). Fix: start the local stack with "
        "`popreg stack up`, or point POPREG_DATABASE_URL at a running server."
    )


def connect(settings_or_dsn: Settings | str, *, autocommit: bool = False) -> psycopg.Connection:
    """One connection (for CLI commands, migrations, admin); pools serve long-running parts."""
    dsn = settings_or_dsn if isinstance(settings_or_dsn, str) else settings_or_dsn.dsn
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        raise _unavailable(dsn, exc) from exc


def _pool_options(settings: Settings, min_size: int | None, max_size: int | None, name: str) -> dict[str, Any]:
    """What both pools are built with: sizes from settings unless given, a connect timeout."""
    return {
        "min_size": settings.pg_pool_min if min_size is None else min_size,
        "max_size": settings.pg_pool_max if max_size is None else max_size,
        "kwargs": {"connect_timeout": CONNECT_TIMEOUT},
        "name": name,
        "open": False,
    }


def open_pool(
    settings: Settings, *, min_size: int | None = None, max_size: int | None = None, name: str = "popreg"
) -> ConnectionPool:
    """An open ConnectionPool on settings.dsn; raises DatabaseUnavailable at once if unreachable."""
    pool = ConnectionPool(settings.dsn, **_pool_options(settings, min_size, max_size, name))
    pool.open()
    try:
        pool.wait(timeout=CONNECT_TIMEOUT)  # fail fast instead of on the first query
    except Exception as exc:
        pool.close()
        raise _unavailable(settings.dsn, exc) from exc
    return pool


async def open_async_pool(
    settings: Settings, *, min_size: int | None = None, max_size: int | None = None, name: str = "popreg-async"
) -> AsyncConnectionPool:
    """An open AsyncConnectionPool (await it); raises DatabaseUnavailable if unreachable."""
    pool = AsyncConnectionPool(settings.dsn, **_pool_options(settings, min_size, max_size, name))
    await pool.open()
    try:
        await pool.wait(timeout=CONNECT_TIMEOUT)
    except Exception as exc:
        await pool.close()
        raise _unavailable(settings.dsn, exc) from exc
    return pool


def with_database(dsn: str, dbname: str) -> str:
    """The same server and credentials, another database."""
    return make_conninfo(dsn, dbname=dbname)


def database_name(dsn: str) -> str:
    return conninfo_to_dict(dsn).get("dbname") or conninfo_to_dict(dsn).get("user") or "postgres"


def server_version(dsn: str) -> str:
    with connect(dsn) as conn:
        row = conn.execute(SERVER_VERSION).fetchone()
        return str(row[0]) if row else "?"


def create_database(dsn: str, dbname: str) -> bool:
    """CREATE DATABASE dbname on dsn's server if missing (connects to `postgres`); True if created."""
    if not _DB_NAME.match(dbname):
        raise ValueError(f"database name {dbname!r}: use lower-case letters, digits and _")
    with connect(with_database(dsn, "postgres"), autocommit=True) as conn:
        if conn.execute(DATABASE_EXISTS, (dbname,)).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return True


def drop_database(dsn: str, dbname: str) -> None:
    """DROP DATABASE dbname (WITH FORCE: closes sessions that tests left open)."""
    if not _DB_NAME.match(dbname):
        raise ValueError(f"database name {dbname!r}: use lower-case letters, digits and _")
    with connect(with_database(dsn, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
