"""Gazetteer loads into a real PostgreSQL: versions are added, never rewritten; reloads add nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from events.gazetteer_csv import REQUIRED, parse_csv
from infra import db
from infra.gazetteer_store import (
    builtin_gazetteer,
    export_csv,
    load_builtin,
    load_csv,
    load_gazetteer,
)
from infra.settings import Settings

pytestmark = pytest.mark.integration

HEADER = ",".join(REQUIRED)
# A later file: Xã Vân Hồ is split again on 1 January 2026 (invented, to show a new version).
LATER = (
    "\n".join(
        [
            HEADER,
            "04048,Xã Vân Hồ,,,14,Tỉnh Sơn La,2025-07-01,2025-12-31",
            "04048,Xã Vân Hồ,,,14,Tỉnh Sơn La,2026-01-01,",
            "99001,Xã Vân Hồ Mới,,,14,Tỉnh Sơn La,2026-01-01,",
            "9901,Xã Sai Mã,,,14,Tỉnh Sơn La,2026-01-01,",
        ]
    )
    + "\n"
)
COUNT = "SELECT count(*) FROM gazetteer_units"


@pytest.fixture(scope="module")
def fresh(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()  # its own database: other tests may load gazetteers into `settings`


def _count(conn: db.psycopg.Connection) -> int:
    row = conn.execute(COUNT).fetchone()
    assert row is not None
    return int(row[0])


def test_builtin_load_then_reload_adds_nothing(fresh: Settings, tmp_path: Path) -> None:
    builtin = builtin_gazetteer()
    with db.connect(fresh) as conn:
        first = load_builtin(conn)
        assert (first.rows_added, first.rows_unchanged, first.errors) == (len(builtin), 0, [])
        assert first.load_id is not None
        again = load_builtin(conn)
        assert (again.load_id, again.rows_added, again.rows_unchanged) == (None, 0, len(builtin))
        assert _count(conn) == len(builtin)
        stored = load_gazetteer(conn)
    assert stored.version == builtin.version
    pool = db.open_pool(fresh, min_size=1, max_size=2)
    try:
        assert load_gazetteer(pool).version == builtin.version  # a pool works as well as a connection
        assert load_builtin(pool).rows_added == 0
    finally:
        pool.close()
    out = tmp_path / "export.csv"
    assert export_csv(out, stored) == len(builtin)
    assert parse_csv(out.read_text(encoding="utf-8")).rows == list(builtin.rows)


def test_a_later_file_adds_versions_and_keeps_the_old_ones(fresh: Settings, tmp_path: Path) -> None:
    later = tmp_path / "later.csv"
    later.write_text(LATER, encoding="utf-8")
    with db.connect(fresh) as conn:
        load_builtin(conn)  # no-op if the previous test ran first
        before = _count(conn)
        report = load_csv(conn, later)
        assert (report.rows_read, report.rows_added, report.rows_unchanged) == (3, 3, 0)
        assert [(e.line, e.column) for e in report.errors] == [(5, "commune_code")]
        assert _count(conn) == before + 3
        assert load_csv(conn, later).rows_added == 0  # the same file again adds nothing
        g = load_gazetteer(conn)
        old = conn.execute(
            "SELECT valid_to FROM gazetteer_units WHERE commune_code = %s AND valid_from = %s ORDER BY load_id",
            ("04048", date(2025, 7, 1)),
        ).fetchall()
    assert old == [(None,), (date(2025, 12, 31),)]  # the first load's row is still there
    assert g.resolve("04048", date(2025, 6, 30)).district == "128"  # type: ignore[union-attr]
    assert g.unit("04048", date(2025, 12, 31)).valid_to == date(2025, 12, 31)  # type: ignore[union-attr]
    assert g.unit("04048", date(2026, 1, 1)).valid_from == date(2026, 1, 1)  # type: ignore[union-attr]
    assert g.exists("99001", date(2026, 1, 1)) and not g.exists("99001", date(2025, 12, 31))
    assert g.successor("04039") == "04048"  # the 2025 remap survives later loads


def test_the_cli_loads_reports_bad_rows_and_exports(fresh: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "\n77001,Xã Thử,,,14,Tỉnh Sơn La,2027-13-01,\n77002,Xã Thử Hai,,,14,Tỉnh Sơn La,2027-01-01,\n",
        encoding="utf-8",
    )
    env = {**os.environ, "POPREG_DATABASE_URL": fresh.dsn}
    cli = [sys.executable, "-m", "popreg"]
    builtin = subprocess.run(
        [*cli, "gazetteer", "load", "--builtin"], env=env, capture_output=True, text=True, timeout=120
    )
    assert builtin.returncode == 0 and "13356 rows read" in builtin.stdout, builtin.stderr
    run = subprocess.run([*cli, "gazetteer", "load", str(bad)], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "bad.csv: line 2, column valid_from: valid_from expected a date YYYY-MM-DD, got '2027-13-01'" in run.stderr
    assert "1 added" in run.stdout and "1 invalid" in run.stdout
    strict = subprocess.run(
        [*cli, "gazetteer", "load", "--strict", str(bad)], env=env, capture_output=True, text=True, timeout=120
    )
    assert strict.returncode == 1 and "nothing was loaded" in strict.stderr
    out = tmp_path / "out.csv"
    exported = subprocess.run(
        [*cli, "gazetteer", "export", "--out", str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert exported.returncode == 0, exported.stderr
    codes = {r.commune_code for r in parse_csv(out.read_text(encoding="utf-8")).rows}
    assert "77002" in codes and "77001" not in codes and "04048" in codes
