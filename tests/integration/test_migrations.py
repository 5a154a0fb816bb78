"""Migrations are applied once, in order, and recorded in schema_migrations."""

from __future__ import annotations

import pytest

from infra import migrate
from infra.settings import Settings

pytestmark = pytest.mark.integration

RECORDED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"


def test_every_migration_is_recorded_once(settings: Settings, pool) -> None:
    files = migrate.discover()
    with pool.connection() as conn:
        rows = conn.execute(RECORDED).fetchall()
    assert [(m.version, m.name, m.checksum) for m in files] == rows
    assert rows[0][:2] == (1, "base")


def test_running_again_applies_nothing(settings: Settings, pool) -> None:
    with pool.connection() as conn:
        before = conn.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
    assert migrate.apply_migrations(settings.dsn) == []
    with pool.connection() as conn:
        after = conn.execute("SELECT version, applied_at FROM schema_migrations ORDER BY version").fetchall()
        meta = conn.execute("SELECT value FROM app_meta WHERE key = 'schema'").fetchone()
    assert after == before
    assert meta == ("popreg",)


def test_a_failing_migration_leaves_nothing_behind(make_settings, tmp_path) -> None:
    s = make_settings()
    (tmp_path / "9001_ok.sql").write_text("CREATE TABLE ok_table (id int);")
    (tmp_path / "9002_broken.sql").write_text("CREATE TABLE half (id int); SELECT no_such_column FROM ok_table;")
    with pytest.raises(Exception, match="no_such_column"):
        migrate.apply_migrations(s.dsn, tmp_path)
    from infra import db

    with db.connect(s) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    # 9001 went in with its record; 9002 failed as a whole (its first statement too).
    assert "ok_table" in tables
    assert "half" not in tables
    assert versions == [m.version for m in migrate.discover()] + [9001]
