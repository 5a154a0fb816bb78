"""Every HTTP error is RFC 9457 problem+json, and the OpenAPI document says so (issue 15).

Served by a real uvicorn over the real stack (`popreg serve`'s app): unknown paths, wrong
methods, missing and bad tokens, FastAPI's own validation, route errors, the gateway's 400/403/
413/422 (with the submissions' per-item `results` kept as an extension member), the front line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from infra.gazetteer_store import load_builtin
from infra.problems import MEDIA_TYPE
from infra.settings import Settings
from tests.support.dashboard import compose_app, serve, token

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(make_settings: Callable[..., Settings]) -> Iterator[tuple[str, dict[str, str]]]:
    settings = make_settings(max_body_bytes=4096)
    from infra.db import connect

    with connect(settings) as conn:
        load_builtin(conn)
        conn.commit()
    tokens = {
        "VN": token(settings, "operator", "VN"),
        "analyst": token(settings, "analyst", "14"),
        "collector01": token(settings, "collector", "01"),
    }
    with serve(compose_app(settings)) as url:
        yield url, tokens


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(MEDIA_TYPE), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith(("https://", "about:blank"))
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_every_error_class_is_a_problem(api: tuple[str, dict[str, str]]) -> None:
    url, tokens = api
    auth = {"Authorization": f"Bearer {tokens['VN']}"}
    with httpx.Client(base_url=url, timeout=30) as c:
        assert "/no/such/path" in _problem(c.get("/no/such/path"), 404)["detail"]
        assert _problem(c.delete("/v1/indicators", headers=auth), 405)["instance"] == "/v1/indicators"
        unauth = c.get("/v1/indicators", params={"area": "14", "period": "2024"})
        assert "bearer token" in _problem(unauth, 401)["detail"] and unauth.headers["www-authenticate"] == "Bearer"
        _problem(
            c.get(
                "/v1/indicators", params={"area": "14", "period": "2024"}, headers={"Authorization": "Bearer prt_wrong"}
            ),
            401,
        )
        missing = _problem(c.get("/v1/indicators", params={"area": "14"}, headers=auth), 422)
        assert {"loc": ["query", "period"], "msg": "Field required", "type": "missing"} in missing["errors"]
        assert "period" in missing["detail"]
        bad = _problem(c.get("/v1/reports", params={"area": "14", "period": "2024-13"}, headers=auth), 422)
        assert "period" in bad["detail"]
        scoped = {"Authorization": f"Bearer {tokens['analyst']}"}
        _problem(c.get("/v1/indicators", params={"area": "01", "period": "2024"}, headers=scoped), 403)
        _problem(c.get("/v1/persons/no-such-person", headers=auth), 404)


def test_the_gateway_keeps_its_fields_inside_the_problem(api: tuple[str, dict[str, str]]) -> None:
    url, tokens = api
    auth = {"Authorization": f"Bearer {tokens['VN']}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=30) as c:
        empty = _problem(c.post("/v1/submissions", content=b"", headers=auth), 422)
        assert empty["results"] == [] and empty["errors"][0]["loc"] == ["body"]
        assert (
            "not a valid JSON array" in _problem(c.post("/v1/submissions", content=b"[{", headers=auth), 400)["detail"]
        )
        big = _problem(c.post("/v1/submissions", content=b"[" + b" " * 5000 + b"]", headers=auth), 413)
        assert "limit of 4096 bytes" in big["detail"]
        reader = {"Authorization": f"Bearer {tokens['analyst']}", "Content-Type": "application/json"}
        assert (
            "may read but not submit"
            in _problem(c.post("/v1/submissions", content=b"[]", headers=reader), 403)["detail"]
        )
        outside = {"Authorization": f"Bearer {tokens['collector01']}", "Content-Type": "application/json"}
        item = {
            "event_id": "p-outside-1",
            "type": "death",
            "schema_version": 1,
            "occurred_on": "2024-01-02",
            "recorded_at": "2024-01-03T08:00:00+07:00",
            "commune": "03646",
            "source": {"channel": "web"},
            "payload": {"person_id": "x"},
        }
        forbidden = _problem(c.post("/v1/submissions", json=[item], headers=outside), 403)
        assert forbidden["results"][0]["event_id"] == "p-outside-1" and forbidden["results"][0]["errors"]


def test_the_openapi_document_is_exact(api: tuple[str, dict[str, str]]) -> None:
    url, _ = api
    spec = httpx.get(url + "/openapi.json", timeout=30).json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "prt_…",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    operations = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items() if isinstance(op, dict)]
    assert len(operations) > 20
    for path, method, op in operations:
        for code, resp in op["responses"].items():
            if int(code) >= 400:
                assert list(resp["content"]) == [MEDIA_TYPE], (path, method, code)
        if op.get("security"):
            assert {"401", "403"} <= set(op["responses"]), (path, method)
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], (path, method)
    post = spec["paths"]["/v1/submissions"]["post"]
    assert {"400", "401", "403", "413", "422", "503"} <= set(post["responses"])


def test_api_docs_load_offline_in_a_browser(api: tuple[str, dict[str, str]]) -> None:
    """Swagger UI (with its Authorize button) and ReDoc render with every request outside loopback refused."""
    from playwright.sync_api import sync_playwright

    from tests.support.dashboard import CHROMIUM, CHROMIUM_ARGS

    url, _ = api
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", only_loopback)
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=60_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/v1/submissions" in t for t in paths) and len(paths) > 20
            assert page.locator("button.authorize").count() == 1
            page.goto(url + "/redoc")
            page.get_by_text("/v1/indicators").first.wait_for(timeout=60_000)
            assert page.locator("h1").first.inner_text().startswith("popreg")
        finally:
            browser.close()
    assert outside == []


def test_schemathesis_finds_nothing_on_the_contract_surface(stack: Settings, tmp_path) -> None:
    """The API against its own OpenAPI document (infra/ci_schemathesis.sh: its own server, topics,
    database and token); .ci/run runs the same script again with more examples."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        {
            "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
            "POPREG_HOME": str(stack.home_dir),
            "POPREG_KAFKA_PORT": str(stack.kafka_port),
            "POPREG_PG_PORT": str(stack.pg_port),
            "POPREG_PG_USER": stack.pg_user,
            "POPREG_SCHEMATHESIS_EXAMPLES": "10",
        }
    )
    done = subprocess.run(
        ["bash", str(root / "infra" / "ci_schemathesis.sh")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = done.stdout[-6000:] + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "passed" in done.stdout and "failures" not in done.stdout.split("Seed:")[-1], report
