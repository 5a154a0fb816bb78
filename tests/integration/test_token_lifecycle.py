"""Token lifecycle through the CLI and HTTP: expiry, list, revoke, rotate (with and without grace)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from infra import db
from infra.gazetteer_store import load_builtin
from infra.settings import Settings
from infra.tokens import create_token
from popreg.api import build_app

pytestmark = pytest.mark.integration


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        POPREG_ENV="test",
        POPREG_DATABASE_URL=settings.dsn,
        POPREG_TOPIC_PREFIX=settings.topic_prefix,
        POPREG_KAFKA_BOOTSTRAP=settings.bootstrap,
    )
    return subprocess.run(
        [sys.executable, "-m", "popreg", "token", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_tokens_expire_are_listed_revoked_and_rotated(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    with db.open_pool(settings, max_size=2) as pool:
        load_builtin(pool)
        admin = create_token(pool, "operator", "VN", "admin").token
        province = create_token(pool, "operator", "14", "provincial operator").token
    made = cli(settings, "create", "--role", "analyst", "--area", "14", "--label", "short", "--expires-in", "0.00015")
    assert made.returncode == 0, made.stderr
    short = made.stdout.strip()
    listed = cli(settings, "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["label"]: r["state"] for r in rows} == {
        "admin": "valid",
        "provincial operator": "valid",
        "short": "valid",
    }
    assert all("sha" not in json.dumps(r) and not json.dumps(r).count("prt_") for r in rows)  # never a secret

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    with TestClient(build_app(settings)) as http:
        assert (
            http.get("/v1/indicators", params={"area": "14", "period": "2024"}, headers=auth(short)).status_code == 200
        )
        # 0.00015 days = 13 s after its creation: then expired, and never served from a cache past it
        ends = datetime.fromisoformat(next(r for r in rows if r["label"] == "short")["expires_at"])
        time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds() + 0.5))
        assert (
            http.get("/v1/indicators", params={"area": "14", "period": "2024"}, headers=auth(short)).status_code == 401
        )
        assert http.get("/v1/tokens", headers=auth(province)).status_code == 403  # national operators only

        created = http.post("/v1/tokens", json={"role": "clerk", "area": "03646", "label": "desk"}, headers=auth(admin))
        assert created.status_code == 201, created.text
        clerk, clerk_id = created.json()["token"], created.json()["token_id"]
        bad = http.post("/v1/tokens", json={"role": "mayor", "area": "3"}, headers=auth(admin))
        assert bad.status_code == 422

        rotated = http.post(f"/v1/tokens/{clerk_id}/rotate", json={"grace_hours": 1}, headers=auth(admin)).json()
        for token in (clerk, rotated["token"]):  # both work during the grace period
            assert http.get("/v1/review", params={"commune": "03646"}, headers=auth(token)).status_code == 200
        assert http.post(f"/v1/tokens/{rotated['token_id']}/revoke", headers=auth(admin)).status_code == 204
        assert http.post(f"/v1/tokens/{rotated['token_id']}/revoke", headers=auth(admin)).status_code == 404

        everything = {
            t["label"] or t["token_id"]: t
            for t in http.get("/v1/tokens", params={"all": "true"}, headers=auth(admin)).json()
        }
        assert everything["short"]["state"] == "expired"
        assert [t["state"] for t in everything.values() if t["replaces"] == clerk_id] == ["revoked"]

    # rotation without grace ends the old token at once (a token never used is not cached)
    with db.open_pool(settings, max_size=1) as pool:
        old = create_token(pool, "analyst", "VN", "to rotate")
    out = cli(settings, "rotate", old.principal.token_id)
    assert out.returncode == 0, out.stderr
    with TestClient(build_app(settings)) as http:
        params = {"area": "VN", "period": "2024"}
        assert http.get("/v1/indicators", params=params, headers=auth(old.token)).status_code == 401
        assert http.get("/v1/indicators", params=params, headers=auth(out.stdout.strip())).status_code == 200
    assert cli(settings, "revoke", "no-such-token").returncode == 1
