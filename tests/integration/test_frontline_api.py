"""The front line's endpoints (/ctv) on the real PostgreSQL and Kafka, without a register running:
enrolment by one-time code, a revoked device refused at once, entry statuses, scopes of the desk,
the app's files and their size."""

from __future__ import annotations

import gzip
import re
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from infra.db import connect
from infra.gazetteer_store import load_builtin
from infra.settings import Settings
from producers.frontline import devices
from producers.frontline.router import STATIC
from projections.versions import ensure_live

pytestmark = [pytest.mark.integration]
COMMUNE = "03754"  # Xã Chiềng La, Sơn La (the same code before and after the 2025 reform)


@pytest.fixture(scope="module")
def fl_settings(make_settings) -> Settings:
    settings = make_settings()
    with connect(settings) as conn:
        load_builtin(conn)
        ensure_live(conn)
        conn.commit()
    return settings


@pytest.fixture(scope="module")
def client(fl_settings: Settings) -> Iterator[TestClient]:
    from popreg.api import build_app

    with TestClient(build_app(fl_settings.model_copy(update={"stock_warm_seconds": 0}))) as c:
        yield c


def code(settings: Settings, collector: str, area: str = COMMUNE, role: str = "collector") -> str:
    with connect(settings) as conn:
        issued = devices.issue_code(conn, collector, area, role)
        conn.commit()
    return issued


def enrol(client: TestClient, settings: Settings, collector: str, role: str = "collector") -> dict:
    reply = client.post("/ctv/api/enrol", json={"code": code(settings, collector, role=role).lower()})
    assert reply.status_code == 200, reply.text
    return reply.json()


def auth(device: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {device['token']}"}


def death(commune: str = COMMUNE) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "death",
        "schema_version": 1,
        "occurred_on": date.today().isoformat(),
        "recorded_at": f"{date.today().isoformat()}T09:00:00+07:00",
        "commune": commune,
        "source": {"channel": "mobile", "collector_id": "ctv-x"},
        "payload": {"person_id": "p-nobody"},
    }


def test_a_code_enrols_one_device_once(client, fl_settings):
    issued = code(fl_settings, "ctv-a")
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", issued)
    first = client.post("/ctv/api/enrol", json={"code": issued})
    assert first.status_code == 200
    device = first.json()
    assert device["collector_id"] == "ctv-a" and device["area"] == COMMUNE and device["role"] == "collector"
    assert device["area_name"] == "Xã Chiềng La" and device["desk"] is False
    again = client.post("/ctv/api/enrol", json={"code": issued})
    assert again.status_code == 404 and "đã dùng" in again.json()["detail"]
    assert client.get("/ctv/api/me", headers=auth(device)).json()["device_id"] == device["device_id"]


def test_a_revoked_device_is_refused_at_its_next_request(client, fl_settings):
    device = enrol(client, fl_settings, "ctv-b")
    assert client.post("/v1/submissions", json=[death()], headers=auth(device)).status_code == 200
    with connect(fl_settings) as conn:
        assert devices.revoke(conn, device["device_id"])
        conn.commit()
    assert client.post("/v1/submissions", json=[death()], headers=auth(device)).status_code == 401
    assert client.get("/ctv/api/book", headers=auth(device)).status_code == 401


def test_statuses_say_received_before_the_register_and_unknown_for_what_never_arrived(client, fl_settings):
    device = enrol(client, fl_settings, "ctv-c")
    sent = death()
    assert (
        client.post("/v1/submissions", json=[sent], headers=auth(device)).json()["results"][0]["status"] == "accepted"
    )
    reply = client.post(
        "/ctv/api/status", json={"event_ids": [sent["event_id"], "never-sent"], "conflicts": 2}, headers=auth(device)
    )
    assert reply.json()["statuses"] == {sent["event_id"]: {"state": "received"}, "never-sent": {"state": "unknown"}}
    with connect(fl_settings) as conn:
        listed = [d for d in devices.list_devices(conn, COMMUNE) if d["device_id"] == device["device_id"]]
    assert listed[0]["conflicts"] == 2 and listed[0]["last_seen_at"] is not None


def test_the_desk_is_for_the_commune_officer_within_her_commune(client, fl_settings):
    collector = enrol(client, fl_settings, "ctv-d")
    assert client.get("/ctv/api/desk/review", headers=auth(collector)).status_code == 403
    officer = enrol(client, fl_settings, "can-bo", role="clerk")
    assert officer["desk"] is True
    assert client.get("/ctv/api/desk/review", headers=auth(officer)).json() == {"items": [], "count": 0}
    issued = client.post("/ctv/api/desk/code", json={"collector_id": "ctv-e"}, headers=auth(officer)).json()
    assert issued["area"] == COMMUNE and client.post("/ctv/api/enrol", json={"code": issued["code"]}).status_code == 200
    people = client.get("/ctv/api/desk/collaborators", headers=auth(officer)).json()["collaborators"]
    assert {"ctv-d", "ctv-e"} <= {p["collector_id"] for p in people}
    elsewhere = enrol_elsewhere(client, fl_settings)
    refused = client.post("/ctv/api/desk/revoke", json={"device_id": elsewhere["device_id"]}, headers=auth(officer))
    assert refused.status_code == 403
    assert client.get("/ctv/api/me", headers=auth(elsewhere)).status_code == 200  # still enrolled
    assert (
        client.post(
            "/ctv/api/desk/override", json={"event_id": "nothing-held", "reason": "vì sao"}, headers=auth(officer)
        ).status_code
        == 404
    )


def enrol_elsewhere(client: TestClient, settings: Settings) -> dict:
    with connect(settings) as conn:
        issued = devices.issue_code(conn, "ctv-far", "00001")  # Phường Phúc Xá, Hà Nội
        conn.commit()
    return client.post("/ctv/api/enrol", json={"code": issued}).json()


def test_every_book_sync_is_in_the_access_audit(client, fl_settings):
    device = enrol(client, fl_settings, "ctv-g")
    assert client.get("/ctv/api/book", headers=auth(device)).json()["area"] == COMMUNE
    with connect(fl_settings) as conn:
        rows = conn.execute(
            "SELECT action, who, area FROM access_log WHERE action = 'ctv_book' AND who = 'ctv-g'"
        ).fetchall()
    assert rows == [("ctv_book", "ctv-g", COMMUNE)]


def test_month_refuses_a_bad_period_in_words(client, fl_settings):
    device = enrol(client, fl_settings, "ctv-f")
    assert client.get("/ctv/api/month", params={"period": "12/2026"}, headers=auth(device)).status_code == 422
    values = client.get("/ctv/api/month", params={"period": "2026-11"}, headers=auth(device)).json()["values"]
    assert values["births"] == 0 and values["households_visited"] == 0


def test_the_app_is_served_on_the_same_origin_and_stays_small(client):
    page = client.get("/ctv/")
    assert page.status_code == 200 and '<html lang="vi">' in page.text and "manifest.webmanifest" in page.text
    worker = client.get("/ctv/sw.js").text
    assert "__VERSION__" not in worker
    shell = re.findall(r'"(/ctv/static/[^"]+|/ctv/)"', worker)
    assert len(shell) > 10
    for path in shell:
        assert client.get(path).status_code == 200, path
    assert client.get("/ctv/static/..%2Frouter.py").status_code == 404
    assert client.get("/ctv/schemas/birth.json").json()["title"] == "Birth"
    shipped = sum(len(gzip.compress(p.read_bytes(), 9)) for p in STATIC.iterdir())
    assert shipped < 300 * 1024, shipped
