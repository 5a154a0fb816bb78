"""The docker-compose migrate job records migrations exactly as infra/migrate.py does.

The compose file itself needs a Docker engine (absent here); its migration script only needs
psql, so it runs here against a fresh database of the real cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from infra import db, migrate
from infra.settings import Settings

pytestmark = pytest.mark.integration

SCRIPT = Path(migrate.__file__).parent / "stack" / "compose-migrate.sh"
RECORDED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"


def test_compose_script_and_migrate_py_agree(stack: Settings, make_settings) -> None:
    psql = shutil.which("psql")
    assert psql is not None, "psql (PostgreSQL client) is needed for this test"
    target = make_settings()
    fresh = f"{db.database_name(target.dsn)}_compose"
    db.create_database(stack.dsn, fresh)
    try:
        dsn = db.with_database(stack.dsn, fresh)
        parts = conninfo_to_dict(dsn)
        env = {
            **os.environ,
            "MIGRATIONS_DIR": str(migrate.MIGRATIONS_DIR),
            "PGHOST": str(parts.get("host", "127.0.0.1")),
            "PGPORT": str(parts.get("port", 5432)),
            "PGUSER": str(parts["user"]),
            "PGDATABASE": fresh,
        }
        if "password" in parts:
            env["PGPASSWORD"] = str(parts["password"])
        out = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.count("applied ") == len(migrate.discover())
        # Same records, so migrate.py finds nothing to do; a second script run applies nothing.
        assert migrate.apply_migrations(dsn) == []
        again = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and again.stdout == ""
        with db.connect(dsn) as a, db.connect(target) as b:
            assert a.execute(RECORDED).fetchall() == b.execute(RECORDED).fetchall()
    finally:
        db.drop_database(stack.dsn, fresh)
