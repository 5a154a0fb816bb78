"""Versioned read models: one schema proj_v<N> per version, a pointer row readers resolve, swap, drop.

Blue/green (NOTES-KAFKA-FAUST.md): a rebuild fills version N+1 beside N from offset 0, the
swap is one UPDATE of `projection_live` (atomic for every reader, each resolving the schema
in its own transaction), and N stays, still fed by the sink, until it is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg
from psycopg import sql

from projections.rules import DEFAULT_RULES, Rules

PROJECTION = "projections"  # the name of the sink's position and of the live pointer
DDL = Path(__file__).with_name("ddl.sql")
_LOCK_KEY = 0x70726F6A  # "proj": serialises version creation and swaps

LOCK = "SELECT pg_advisory_xact_lock(%s)"
SET_PATH = "SELECT set_config('search_path', %s, true)"
LIVE = """
SELECT v.version, v.schema_name, v.rules, v.state
FROM projection_live l JOIN projection_versions v USING (version)
WHERE l.name = %s
"""
VERSION = "SELECT version, schema_name, rules, state FROM projection_versions WHERE version = %s"
ACTIVE = """
SELECT version, schema_name, rules, state FROM projection_versions
WHERE state <> 'dropped' ORDER BY version
"""
NEXT_VERSION = "SELECT coalesce(max(version), 0) + 1 FROM projection_versions"
INSERT_VERSION = """
INSERT INTO projection_versions (version, schema_name, rules, state, note) VALUES (%s, %s, %s, %s, %s)
"""
SET_LIVE = """
INSERT INTO projection_live (name, version) VALUES (%s, %s)
ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version
"""
# How far the sink has fed a version: the sum of its next offsets (grows with every batch).
POSITION = "SELECT coalesce(sum(next_offset), 0) FROM projection_offsets WHERE projection = %s AND version = %s"
SET_STATE = "UPDATE projection_versions SET state = %s WHERE version = %s"
MARK_CAUGHT_UP = """
UPDATE projection_versions SET state = 'ready', caught_up_at = now() WHERE version = %s AND state = 'building'
"""
MARK_SWAPPED = "UPDATE projection_versions SET state = 'live', swapped_at = now() WHERE version = %s"
MARK_RETIRED = "UPDATE projection_versions SET state = 'retired' WHERE version = %s"
MARK_DROPPED = "UPDATE projection_versions SET state = 'dropped', dropped_at = now() WHERE version = %s"
DROP_OFFSETS = "DELETE FROM projection_offsets WHERE projection = %s AND version = %s"
DROP_SCHEMA = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
CREATE_SCHEMA = sql.SQL("CREATE SCHEMA {}")


class VersionError(RuntimeError):
    """A version operation that cannot be done (unknown version, dropping the live one, ...)."""


@dataclass(frozen=True)
class Version:
    version: int
    schema: str
    rules: Rules
    state: str


def _version(row: tuple) -> Version:
    rules = row[2] if isinstance(row[2], dict) else orjson.loads(row[2])
    return Version(row[0], row[1], Rules.model_validate(rules), row[3])


def schema_name(version: int) -> str:
    return f"proj_v{int(version)}"


def use_schema(conn: psycopg.Connection, schema: str) -> None:
    """Point unqualified names at a version's schema for the rest of the current transaction."""
    conn.execute(SET_PATH, (f"{schema}, public",))


def _create(conn: psycopg.Connection, rules: Rules, note: str | None, live: bool) -> Version:
    conn.execute(LOCK, (_LOCK_KEY,))
    (number,) = conn.execute(NEXT_VERSION).fetchone()  # type: ignore[misc]
    schema = schema_name(number)
    conn.execute(CREATE_SCHEMA.format(sql.Identifier(schema)))
    use_schema(conn, schema)
    conn.execute(DDL.read_text(encoding="utf-8"))
    state = "live" if live else "building"
    conn.execute(INSERT_VERSION, (number, schema, orjson.dumps(rules.model_dump()).decode(), state, note))
    if live:
        conn.execute(SET_LIVE, (PROJECTION, number))
    return Version(number, schema, rules, state)


def create_version(conn: psycopg.Connection, rules: Rules = DEFAULT_RULES, note: str | None = None) -> Version:
    """A new, empty version in state `building`, beside the live one; committed on return."""
    with conn.transaction():
        return _create(conn, rules, note, live=False)


def live_version(conn: psycopg.Connection) -> Version | None:
    row = conn.execute(LIVE, (PROJECTION,)).fetchone()
    return _version(row) if row else None


def ensure_live(conn: psycopg.Connection) -> Version:
    """The live version, creating version 1 under the default rules on a fresh database."""
    with conn.transaction():
        found = live_version(conn)
        if found is None:
            conn.execute(LOCK, (_LOCK_KEY,))  # two first starters: one creates, one reads it
            found = live_version(conn) or _create(conn, DEFAULT_RULES, "first version", live=True)
    return found


def get_version(conn: psycopg.Connection, version: int) -> Version:
    row = conn.execute(VERSION, (version,)).fetchone()
    if row is None:
        raise VersionError(f"no projection version {version}")
    return _version(row)


def active_versions(conn: psycopg.Connection) -> list[Version]:
    """Every version not dropped (a retired one is still fed, ready for a swap back)."""
    return [_version(r) for r in conn.execute(ACTIVE).fetchall()]


def mark_caught_up(conn: psycopg.Connection, version: int) -> None:
    with conn.transaction():
        conn.execute(MARK_CAUGHT_UP, (version,))


def swap(conn: psycopg.Connection, version: int) -> Version:
    """Make `version` the one readers use, in one transaction; the previous one is retired."""
    with conn.transaction():
        conn.execute(LOCK, (_LOCK_KEY,))
        target = get_version(conn, version)
        if target.state == "dropped":
            raise VersionError(f"version {version} was dropped; rebuild instead")
        current = live_version(conn)
        if current is not None and current.version != version:
            conn.execute(MARK_RETIRED, (current.version,))
        conn.execute(SET_LIVE, (PROJECTION, version))
        conn.execute(MARK_SWAPPED, (version,))
    return get_version(conn, version)


def drop(conn: psycopg.Connection, version: int) -> None:
    """Drop a version that readers do not use: its schema and its sink position."""
    with conn.transaction():
        conn.execute(LOCK, (_LOCK_KEY,))
        target = get_version(conn, version)
        current = live_version(conn)
        if current is not None and current.version == version:
            raise VersionError(f"version {version} is live; swap to another version before dropping it")
        conn.execute(DROP_SCHEMA.format(sql.Identifier(target.schema)))
        conn.execute(DROP_OFFSETS, (PROJECTION, version))
        conn.execute(MARK_DROPPED, (version,))
