"""`popreg demo` names a province the loaded gazetteer lacks, and what to do (issue 15: it ended
in an httpx.HTTPStatusError traceback after every line had been refused)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import pytest

from infra import db
from infra.gazetteer_store import load_rows, package_rows
from infra.settings import Settings
from tests.support.pipeline import CLI_TIMEOUT, POPREG

pytestmark = pytest.mark.integration


def test_demo_names_the_missing_province(make_settings: Callable[..., Settings], tmp_path) -> None:
    settings = make_settings()
    with db.connect(settings) as conn:  # a gazetteer of Hà Nội only (province 01)
        load_rows(conn, [r for r in package_rows() if r.province_code == "01"], "hanoi-only.csv")
        conn.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        {
            "POPREG_HOME": str(settings.home_dir),
            "POPREG_KAFKA_PORT": str(settings.kafka_port),
            "POPREG_PG_PORT": str(settings.pg_port),
            "POPREG_PG_USER": settings.pg_user,
            "POPREG_PG_DATABASE": db.database_name(settings.dsn),
            "POPREG_TOPIC_PREFIX": settings.topic_prefix,
            "COLUMNS": "300",
        }
    )
    done = subprocess.run(
        [str(POPREG), "demo", "--province", "14", "--households", "50", "--years", "1", "--no-serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    out = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, out
    assert "Traceback" not in out
    assert "province 14 (Tỉnh Sơn La) is not in the gazetteer loaded in PostgreSQL" in out
    assert "popreg gazetteer load --builtin" in out
    assert not list((settings.home_dir / "demo").glob("p14-h50-y1-*")), "nothing generated for a refused demo"
    bad = subprocess.run(
        [str(POPREG), "demo", "--province", "99", "--households", "50", "--years", "1", "--no-serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    out = " ".join((bad.stdout + bad.stderr).split())
    assert bad.returncode == 2 and "--province 99: not a province code" in out and "14 Tỉnh Sơn La" in out, out
