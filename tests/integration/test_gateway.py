"""POST /v1/submissions against the real broker and PostgreSQL (CONTRACT.md)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from events import decode_submission
from infra.settings import Settings
from infra.tokens import create_token, revoke_token
from tests.support.gateway import (
    HANOI_COMMUNE,
    auth,
    birth,
    death,
    gateway_client,
    read_submissions,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def operator(pool) -> str:
    return create_token(pool, "operator", "VN", "tests").token


@pytest.fixture(scope="module")
def son_la_collector(pool) -> str:
    return create_token(pool, "collector", "14", "tests: Sơn La").token


async def test_accepted_items_are_on_the_submissions_topic(settings: Settings, operator: str) -> None:
    items = [death(), birth(), death()]
    async with gateway_client(settings) as client:
        resp = await client.post("/v1/submissions", json=items, headers=auth(operator))
    assert resp.status_code == 200, resp.text
    assert [r["status"] for r in resp.json()["results"]] == ["accepted"] * 3
    assert [r["event_id"] for r in resp.json()["results"]] == [i["event_id"] for i in items]
    found = await read_submissions(settings, {i["event_id"] for i in items})
    assert set(found) == {i["event_id"] for i in items}
    key, value = found[items[1]["event_id"]]
    event = decode_submission(value)
    assert event.type == "birth" and key == event.payload.child_id.encode()  # first subject id
    assert event.payload.full_name == "Lò Thị Mai"


async def test_mixed_ndjson_batch_answers_each_item_in_order(settings: Settings, operator: str) -> None:
    good1, good2 = death(), birth()
    wrong_type = death()
    wrong_type["payload"]["person_id"] = 42
    unknown_field = death()
    unknown_field["payload"]["nickname"] = "Mai"
    unknown_commune = death(commune="99999")
    future = death(on="2999-01-01")
    lines = [
        orjson.dumps(good1),
        b'{"event_id": "broken", "type": ',
        orjson.dumps(wrong_type),
        orjson.dumps(unknown_field),
        orjson.dumps(unknown_commune),
        orjson.dumps(future),
        orjson.dumps(good2),
    ]
    async with gateway_client(settings) as client:
        resp = await client.post(
            "/v1/submissions",
            content=b"\n".join(lines) + b"\n",
            headers={**auth(operator), "Content-Type": "application/x-ndjson"},
        )
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "accepted",
    ]
    assert results[1]["event_id"] is None and results[1]["errors"][0]["msg"].startswith("not valid JSON")
    assert results[2]["errors"] == [{"loc": "payload.person_id", "msg": "expected text"}]
    assert results[3]["errors"][0]["loc"] == "payload.nickname"
    assert results[4]["errors"] == [{"loc": "commune", "msg": "no commune 99999 in the gazetteer on 2024-03-05"}]
    assert any("future" in e["msg"] for e in results[5]["errors"])
    assert results[6]["event_id"] == good2["event_id"]
    everything = {i["event_id"] for i in (good1, good2, wrong_type, unknown_field, unknown_commune, future)}
    found = await read_submissions(settings, everything)
    assert set(found) == {good1["event_id"], good2["event_id"]}  # nothing invalid reached Kafka


async def test_ndjson_detected_without_its_content_type(settings: Settings, operator: str) -> None:
    items = [death(), death()]
    body = b"\n".join(orjson.dumps(i) for i in items)
    async with gateway_client(settings) as client:
        resp = await client.post(
            "/v1/submissions", content=body, headers={**auth(operator), "Content-Type": "application/json"}
        )
    assert [r["status"] for r in resp.json()["results"]] == ["accepted", "accepted"]


async def test_resent_batch_is_duplicate_also_after_a_restart(settings: Settings, operator: str) -> None:
    items = [death(), death()]
    async with gateway_client(settings) as client:
        first = await client.post("/v1/submissions", json=items, headers=auth(operator))
        again = await client.post("/v1/submissions", json=[*items, items[0]], headers=auth(operator))
    assert [r["status"] for r in first.json()["results"]] == ["accepted", "accepted"]
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    fresh = death()
    async with gateway_client(settings) as restarted:  # a new app: new pool, new producer
        resp = await restarted.post("/v1/submissions", json=[items[1], fresh, fresh], headers=auth(operator))
    assert [r["status"] for r in resp.json()["results"]] == ["duplicate", "accepted", "duplicate"]
    found = await read_submissions(settings, {items[0]["event_id"], items[1]["event_id"], fresh["event_id"]})
    assert len(found) == 3  # read_submissions also asserts each is on the topic exactly once


async def test_concurrent_copies_of_one_event_are_accepted_once(settings: Settings, operator: str) -> None:
    item = death()
    async with gateway_client(settings) as client:
        answers = await asyncio.gather(
            *(client.post("/v1/submissions", json=[item, death()], headers=auth(operator)) for _ in range(8))
        )
    statuses = [a.json()["results"][0]["status"] for a in answers]
    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 7
    assert len(await read_submissions(settings, {item["event_id"]})) == 1


async def test_without_or_with_a_bad_token_is_401(settings: Settings, pool) -> None:
    item = death()
    revoked = create_token(pool, "collector", "VN")
    assert revoke_token(pool, revoked.principal.token_id)
    async with gateway_client(settings) as client:
        for headers in ({}, auth("prt_not-a-token"), {"Authorization": "Basic dXNlcjpwYXNz"}, auth(revoked.token)):
            resp = await client.post("/v1/submissions", json=[item], headers=headers)
            assert resp.status_code == 401, headers
            assert resp.headers["www-authenticate"] == "Bearer"
    assert await read_submissions(settings, {item["event_id"]}) == {}


async def test_scope_outside_the_province_token(settings: Settings, son_la_collector: str) -> None:
    inside, outside = death(), death(commune=HANOI_COMMUNE)
    async with gateway_client(settings) as client:
        mixed = await client.post("/v1/submissions", json=[outside, inside], headers=auth(son_la_collector))
        all_out = await client.post(
            "/v1/submissions", json=[death(commune=HANOI_COMMUNE)], headers=auth(son_la_collector)
        )
    assert mixed.status_code == 200
    first, second = mixed.json()["results"]
    assert first["status"] == "invalid" and first["errors"][0]["loc"] == "commune"
    assert first["errors"][0]["msg"].startswith(f"forbidden: commune {HANOI_COMMUNE}")
    assert second["status"] == "accepted"
    assert all_out.status_code == 403
    assert all_out.json()["results"][0]["errors"][0]["msg"].startswith("forbidden:")
    assert set(await read_submissions(settings, {inside["event_id"], outside["event_id"]})) == {inside["event_id"]}


async def test_an_analyst_may_not_submit(settings: Settings, pool) -> None:
    analyst = create_token(pool, "analyst", "VN").token
    async with gateway_client(settings) as client:
        resp = await client.post("/v1/submissions", json=[death()], headers=auth(analyst))
    assert resp.status_code == 403 and "may read but not submit" in resp.json()["detail"]


async def test_body_over_the_limit_is_413(settings: Settings, operator: str) -> None:
    small = settings.model_copy(update={"max_body_bytes": 4096})
    big = [death() for _ in range(40)]
    sent = 0

    async def stream():  # no Content-Length: chunked, refused while streaming
        nonlocal sent
        for item in big:
            sent += 1
            yield orjson.dumps(item) + b"\n"

    async with gateway_client(small) as client:
        declared = await client.post("/v1/submissions", json=big, headers=auth(operator))
        streamed = await client.post(
            "/v1/submissions", content=stream(), headers={**auth(operator), "Content-Type": "application/x-ndjson"}
        )
        ok = await client.post("/v1/submissions", json=big[:2], headers=auth(operator))
    assert declared.status_code == 413 and "limit of 4096 bytes" in declared.json()["detail"]
    assert streamed.status_code == 413
    assert ok.status_code == 200  # the gateway keeps serving
    assert set(await read_submissions(settings, {i["event_id"] for i in big})) == {
        big[0]["event_id"],
        big[1]["event_id"],
    }


async def test_a_broken_json_array_is_400(settings: Settings, operator: str) -> None:
    async with gateway_client(settings) as client:
        resp = await client.post(
            "/v1/submissions",
            content=b'[{"event_id": "x"},',
            headers={**auth(operator), "Content-Type": "application/json"},
        )
    assert resp.status_code == 400 and "not a valid JSON array" in resp.json()["detail"]
