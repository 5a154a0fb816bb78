"""Schema migrations: plain SQL files infra/migrations/NNNN_name.sql, applied once each, in order."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from infra.db import connect

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any constant works; it only has to be the same for every process migrating this database.
LOCK_KEY = 0x706F70726567  # "popreg"

log = logging.getLogger(__name__)

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
LOCK = "SELECT pg_advisory_lock(%s)"
UNLOCK = "SELECT pg_advisory_unlock(%s)"
APPLIED = "SELECT version, checksum FROM schema_migrations"
RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            raise ValueError(f"migration file {path.name}: name it NNNN_lower_case_name.sql")
        version = int(m.group(1))
        if version in found:
            raise ValueError(f"two migrations numbered {version:04d}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, m.group(2), path)
    return [found[v] for v in sorted(found)]


def apply_migrations(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the files not yet recorded in schema_migrations; returns the file names applied.

    Each file runs in its own transaction together with its record, so a failing file leaves
    nothing half-applied; an advisory lock serialises concurrent callers (several test
    sessions, `stack up` and `popreg run` may migrate at the same moment).
    """
    migrations = discover(directory)
    applied_now: list[str] = []
    with connect(dsn, autocommit=True) as conn:
        conn.execute(LOCK, (LOCK_KEY,))
        try:
            conn.execute(CREATE_TABLE)
            done = {v: c for v, c in conn.execute(APPLIED).fetchall()}
            for mig in migrations:
                if mig.version in done:
                    if done[mig.version] != mig.checksum:
                        # Never re-run: the file changed after it was applied here. A new
                        # numbered file is the way to change a schema that already exists.
                        log.warning("migration %s changed after it was applied (checksum differs)", mig.path.name)
                    continue
                with conn.transaction():
                    conn.execute(mig.sql)
                    conn.execute(RECORD, (mig.version, mig.name, mig.checksum))
                applied_now.append(mig.path.name)
        finally:
            conn.execute(UNLOCK, (LOCK_KEY,))
    return applied_now
