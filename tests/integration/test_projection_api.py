"""The read API (CONTRACT.md) and the read commands, over the real stack: shapes, auth and scopes,
records and histories, review, progress and `popreg wait`."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from infra.tokens import create_token
from infra.topics import REVIEW
from projections import versions
from projections.http.api import build_read_app
from projections.read.indicators import compute_indicators
from projections.sink.sink import Sink
from tests.support.projection import A, C, opened, popreg, produce, scenario, sink_until_caught_up
from tests.support.synthetic import EventFactory, at

pytestmark = pytest.mark.integration

HELD = {
    "event_id": "held-9",
    "type": "birth",
    "commune": C,
    "occurred_on": "2024-05-05",
    "recorded_at": at("2024-05-06").isoformat(),
    "collector_id": "ctv-1",
    "reason": "mother_too_young",
    "rule": "the mother is a woman aged 10-60 on the date",
    "detail": "aged 9",
    "held_at": at("2024-05-06").isoformat(),
    "submission": {"event_id": "held-9"},
}


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings(), max_size=4) as found:
        yield found


@pytest.fixture(scope="module")
async def fed(env: Any) -> Any:
    settings, pool, f = env
    await produce(settings, f, scenario(f))
    await produce(settings, f, [HELD], topic=REVIEW)
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    await sink_until_caught_up(settings, live, pool)
    return env


@pytest.fixture(scope="module")
def client(fed: Any) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings, pool, _ = fed
    tokens = {
        "VN": create_token(pool, "operator", "VN").token,
        "118": create_token(pool, "clerk", "118").token,
        "analyst": create_token(pool, "analyst", "VN").token,
    }
    with TestClient(build_read_app(settings)) as c:
        yield c, tokens


def _get(client: Any, path: str, token: str | None, **params: Any) -> Any:
    c, tokens = client
    headers = {"Authorization": f"Bearer {tokens[token]}"} if token else {}
    return c.get(path, params=params, headers=headers)


def test_indicators_endpoint_shape_and_errors(client: Any) -> None:
    r = _get(client, "/v1/indicators", "VN", area="14", period="2024", names="population,births,cpr_modern")
    assert r.status_code == 200
    assert r.json() == {
        "area": "14",
        "level": "province",
        "period": "2024",
        "known_on": None,
        "values": {"population": 12, "births": 2, "cpr_modern": 0.75},
    }
    r = _get(client, "/v1/indicators", "VN", area=A, period="2024-01", known_on="2024-02-15", names="births")
    assert r.json()["values"] == {"births": 0} and r.json()["known_on"] == "2024-02-15"
    bad = _get(client, "/v1/indicators", "VN", area="14", period="2024-Q5")
    assert bad.status_code == 422 and "period" in bad.json()["detail"]
    assert _get(client, "/v1/indicators", None, area="14", period="2024").status_code == 401


def test_scoped_tokens_see_only_their_area(client: Any) -> None:
    # the clerk of district 118 (Quỳnh Nhai): its communes yes, its province or others no
    assert _get(client, "/v1/indicators", "118", area=C, period="2024", names="population").status_code == 200
    assert _get(client, "/v1/indicators", "118", area="118", period="2024", names="population").status_code == 200
    assert _get(client, "/v1/indicators", "118", area="14", period="2024").status_code == 403
    assert _get(client, "/v1/indicators", "118", area=A, period="2024").status_code == 403
    assert _get(client, "/v1/persons/P6", "118").status_code == 200  # lives in C
    assert _get(client, "/v1/persons/P1", "118").status_code == 403  # lives in A (district 116)
    assert _get(client, "/v1/review", "118", commune=A).status_code == 403
    assert _get(client, "/v1/review", "118").json()["count"] == 1  # the item held in C


def test_persons_histories_and_households(client: Any) -> None:
    # An analyst reads figures and trajectories, never names or national ids.
    for path in ("/v1/persons/P11", "/v1/persons/P11/history"):
        assert _get(client, path, "analyst").status_code == 403
    assert _get(client, "/v1/indicators", "analyst", area="14", period="2024").status_code == 200
    p = _get(client, "/v1/persons/P11", "VN").json()
    assert (p["status"], p["merged_into"]) == ("merged", "P10")
    h = _get(client, "/v1/persons/P11/history", "VN").json()
    assert (h["survivor"], h["merged_ids"]) == ("P10", ["P11"])
    assert [(m["from_commune"], m["to_commune"]) for m in h["moves"]] == [(C, A)]
    assert {e["type"] for e in h["events"]} >= {"person.registered", "move_in", "persons.merged"}
    then = _get(client, "/v1/persons/P10/history", "VN", known_on="2024-11-01").json()
    assert then["moves"] == []  # before the merge nobody knew she had moved
    c2 = _get(client, "/v1/persons/P3/history", "VN").json()
    assert [(b["child_id"], b["occurred_on"], b["birth_order"]) for b in c2["births"]] == [("C2", "2024-04-02", 3)]
    assert any(
        a["attribute"] == "birth_date" for a in _get(client, "/v1/persons/C2/history", "VN").json()["attributes"]
    )
    hh = _get(client, "/v1/households/H2", "VN").json()
    assert sorted(m["person_id"] for m in hh["members"]) == ["C2", "P3", "P4", "P7"]
    assert hh["registration"]["commune"] == A
    assert _get(client, "/v1/persons/nobody", "VN").status_code == 404
    assert _get(client, "/v1/households/none", "VN").status_code == 404


def test_review_progress_health_and_openapi(client: Any) -> None:
    items = _get(client, "/v1/review", "VN", commune=C).json()["items"]
    assert [(i["event_id"], i["reason"], i["collector_id"]) for i in items] == [("held-9", "mother_too_young", "ctv-1")]
    progress = _get(client, "/v1/progress", "VN").json()
    assert {"submitted", "processed", "projected"} <= set(progress)
    assert progress["projected"] == progress["log_end"] > 0 and progress["projections_caught_up"]
    health = _get(client, "/v1/health", None).json()
    assert (health["status"], health["postgres"], health["kafka"]) == ("ok", "ok", "ok")
    paths = client[0].get("/openapi.json").json()["paths"]
    assert {
        "/v1/indicators",
        "/v1/persons/{person_id}",
        "/v1/persons/{person_id}/history",
        "/v1/households/{household_id}",
        "/v1/review",
        "/v1/progress",
        "/v1/health",
    } <= set(paths)


def test_cli_indicators_in_three_formats(fed: Any) -> None:
    settings = fed[0]
    out = popreg(settings, "indicators", "--area", "14", "--period", "2024", "--names", "population,srb")
    assert out.returncode == 0, out.stderr
    assert orjson.loads(out.stdout) == {
        "area": "14",
        "level": "province",
        "period": "2024",
        "known_on": None,
        "values": {"population": 12, "srb": 100.0},
    }
    out = popreg(
        settings,
        "indicators",
        "--area",
        A,
        "--period",
        "2024-01",
        "--known-on",
        "2024-02-15",
        "--names",
        "births,asfr_15_19",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["indicator"], r["value"], r["known_on"]) for r in rows] == [
        ("births", "0", "2024-02-15"),
        ("asfr_15_19", "", "2024-02-15"),
    ]
    table = popreg(
        settings, "indicators", "--area", "VN", "--period", "2024", "--names", "population", "--format", "table"
    )
    assert table.returncode == 0 and "population" in table.stdout and "13" in table.stdout
    bad = popreg(settings, "indicators", "--area", "14", "--period", "24")
    assert bad.returncode == 2 and "period" in bad.stderr


def test_cli_person_and_review(fed: Any) -> None:
    settings = fed[0]
    out = popreg(settings, "person", "P7")
    assert out.returncode == 0, out.stderr
    body = orjson.loads(out.stdout)
    assert body["person"]["commune"] == A
    assert [m["kind"] for m in body["history"]["marriages"]] == ["marriage"]
    assert popreg(settings, "person", "nobody").returncode == 1
    review = orjson.loads(popreg(settings, "review", "--commune", C).stdout)
    assert review["count"] == 1 and review["items"][0]["reason"] == "mother_too_young"
    assert orjson.loads(popreg(settings, "review", "--commune", A).stdout)["count"] == 0


async def test_cli_wait_follows_the_sink(fed: Any) -> None:
    settings, pool, f = fed
    assert (await asyncio.to_thread(popreg, settings, "wait", "--timeout", "20")).returncode == 0
    extra = [f.record("death", "2024-12-01", C, {"person_id": "P6"})]
    await produce(settings, f, extra)
    behind = await asyncio.to_thread(popreg, settings, "wait", "--timeout", "3")
    assert behind.returncode == 1 and "timeout" in behind.stderr
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    stop = asyncio.Event()
    task = asyncio.create_task(Sink(settings, live, pool).run(stop))
    try:
        done = await asyncio.to_thread(popreg, settings, "wait", "--timeout", "60")
        assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        await task
    assert _get_population(pool, C) == 0


def _get_population(pool: Any, area: str) -> int:
    with pool.connection() as conn:
        return compute_indicators(conn, area, "2024", names=["population"])["values"]["population"]
