"""Operators' surfaces on the composed app: /metrics, /v1/ready, request ids, JSON log lines."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from infra import db
from infra.gazetteer_store import load_builtin
from infra.observability import REQUEST_ID, JsonFormatter
from infra.settings import Settings
from infra.tokens import create_token
from popreg.api import build_app

pytestmark = pytest.mark.integration


def death() -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "death",
        "schema_version": 1,
        "occurred_on": "2024-03-05",
        "recorded_at": "2024-03-05T09:12:00+07:00",
        "commune": "03646",
        "source": {"channel": "web"},
        "payload": {"person_id": f"p-{uuid.uuid4()}"},
    }


def metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{{{re.escape(want)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    found = re.search(pattern, text, re.M)
    return float(found.group(1)) if found else 0.0


def wait_for(get: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = get()
        if ok(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


def test_metrics_readiness_and_request_ids(make_settings: Callable[..., Settings]) -> None:
    # No register worker runs here: what is submitted stays unprocessed, so readiness with a
    # lag bound of 0 must turn to 503 once something was submitted.
    settings = make_settings(monitor_seconds=0.3, ready_max_lag=0)
    with db.open_pool(settings, max_size=2) as pool:
        load_builtin(pool)
        token = create_token(pool, "operator", "VN").token
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(build_app(settings)) as http:
        ready = wait_for(lambda: http.get("/v1/ready"), lambda r: r.status_code == 200)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["kafka"] == "ok" and ready.json()["checks"]["postgres"] == "ok"

        before = http.get("/metrics").text
        body = [death(), death(), {**death(), "commune": "1"}]
        r = http.post("/v1/submissions", json=body, headers={**auth, "X-Request-ID": "req-42"})
        assert r.status_code == 200 and r.headers["x-request-id"] == "req-42"
        assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted", "invalid"]
        assert len(http.get("/v1/health").headers["x-request-id"]) == 16  # made when not given

        after = wait_for(
            lambda: http.get("/metrics").text, lambda t: metric(t, "popreg_pipeline_records", stage="submitted") >= 2
        )
        assert (
            metric(after, "popreg_submissions_total", status="accepted")
            - metric(before, "popreg_submissions_total", status="accepted")
            == 2
        )
        assert (
            metric(after, "popreg_submissions_total", status="invalid")
            - metric(before, "popreg_submissions_total", status="invalid")
            == 1
        )
        assert (
            metric(
                after,
                "popreg_http_request_duration_seconds_count",
                method="POST",
                route="/v1/submissions",
                status="200",
            )
            >= 1
        )
        assert metric(after, "popreg_dependency_up", dependency="kafka") == 1
        assert metric(after, "popreg_pipeline_lag_records", stage="register") >= 2

        not_ready = wait_for(lambda: http.get("/v1/ready"), lambda r: r.status_code == 503)
        assert not_ready.status_code == 503 and not_ready.headers["retry-after"]
        assert not_ready.json()["checks"]["register_lag"] >= 2

        pipeline = http.get("/v1/dashboard/pipeline", headers=auth).json()  # the monitor's cached view
        assert pipeline["submitted"] >= 2 and "held_by_reason" not in pipeline


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord("popreg.test", logging.WARNING, __file__, 1, "held %s", ("x",), None)
    token = REQUEST_ID.set("req-7")
    try:
        line = orjson.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert (line["level"], line["logger"], line["msg"], line["request_id"]) == (
        "warning",
        "popreg.test",
        "held x",
        "req-7",
    )
