"""A person's trajectory through the CLI and HTTP, folded from their records in the real log."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from infra import db
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.tokens import create_token
from popreg.api import build_app
from projections import versions
from tests.support.projection import A, B, produce, scenario, sink_until_caught_up
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def fed(make_settings: Callable[..., Settings]) -> Any:
    settings = make_settings()
    pool = db.open_pool(settings, max_size=2)
    load_builtin(pool)
    f = EventFactory(builtin_gazetteer())
    await produce(settings, f, scenario(f))
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    await sink_until_caught_up(settings, live, pool)
    yield settings, pool
    pool.close()


@pytest.fixture(scope="module")
def client(fed: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings, pool = fed
    with pool.connection() as conn:
        token = create_token(conn, "analyst", "VN", label="trajectory test").token
    with TestClient(build_app(settings)) as http:
        yield http, {"Authorization": f"Bearer {token}"}


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POPREG_TOPIC_PREFIX": settings.topic_prefix, "POPREG_DATABASE_URL": settings.dsn}
    return subprocess.run([sys.executable, "-m", "popreg", *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_mover_has_two_residence_episodes_over_http(client: Any) -> None:
    http, auth = client
    got = http.get("/v1/persons/P5/trajectory", headers=auth).json()
    places = [(r["commune"], r["from"], r["to"]) for r in got["residence"]]
    # Registered in B at baseline, moved out on 1 May 2024, arrived in A on 3 May 2024.
    assert places[0][0] == B and places[0][2] in ("2024-05-01", "2024-05-03")
    assert places[-1] == (A, "2024-05-03", None)


def test_a_mother_gains_parity_at_her_birth_and_the_cli_draws_it(fed: Any, tmp_path: Any) -> None:
    settings, _ = fed
    picture = tmp_path / "p1.png"
    done = _cli(settings, "person", "P1", "--trajectory", "--picture", str(picture))
    assert done.returncode == 0, done.stderr
    got = orjson.loads(done.stdout)
    parities = [(p["parity"], p["from"]) for p in got["parity"]]
    assert (1, "2024-01-20") in parities  # her first child, C1
    assert picture.stat().st_size > 1000 and picture.read_bytes()[:4] == b"\x89PNG"


def test_a_merged_id_answers_with_the_survivors_life(client: Any) -> None:
    http, auth = client
    got = http.get("/v1/persons/P11/trajectory", headers=auth).json()
    assert got["resolved_id"] == "P10" and got["found"] is True
    assert http.get("/v1/persons/nobody/trajectory", headers=auth).status_code == 404


def test_every_read_of_a_person_is_in_the_append_only_audit(fed: Any) -> None:
    settings, pool = fed
    with pool.connection() as conn:
        clerk = create_token(conn, "clerk", "VN", label="Chị Lan, cán bộ xã").token
        analyst = create_token(conn, "analyst", "VN", label="analyst").token
    with TestClient(build_app(settings)) as http:
        for path in ("/v1/persons/P5", "/v1/persons/P5/history", "/v1/persons/P5/trajectory"):
            r = http.get(path, headers={"Authorization": f"Bearer {clerk}", "X-Request-ID": f"audit{len(path)}"})
            assert r.status_code == 200, r.text
        denied = http.get("/v1/persons/P5", headers={"Authorization": f"Bearer {analyst}"})
        assert denied.status_code == 403  # no personal data read: nothing to audit
    assert _cli(settings, "person", "P5").returncode == 0
    out = _cli(settings, "audit", "--person", "P5", "--json")
    assert out.returncode == 0, out.stderr
    rows = [orjson.loads(line) for line in out.stdout.splitlines()]
    rows = [r for r in rows if r["role"] != "analyst"]  # the trajectory tests above read P5 too
    assert [(r["channel"], r["action"]) for r in rows] == [
        ("api", "person"),
        ("api", "person_history"),
        ("api", "person_trajectory"),
        ("cli", "person_history"),
    ]
    assert {r["who"] for r in rows[:3]} == {"Chị Lan, cán bộ xã"} and rows[0]["role"] == "clerk"
    assert rows[0]["request_id"] == "audit14" and rows[0]["client"]
    by_user = _cli(settings, "audit", "--user", "Chị Lan, cán bộ xã", "--json")
    assert len(by_user.stdout.splitlines()) == 3
    with pool.connection() as conn:  # no role edits the trail
        for statement in ("UPDATE access_log SET who = 'x'", "DELETE FROM access_log", "TRUNCATE access_log"):
            with pytest.raises(Exception, match="append-only"), conn.transaction():
                conn.execute(statement)
