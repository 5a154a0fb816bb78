"""The gateway behind a real uvicorn on a loopback port; tokens from the CLI and the dev token."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
import uvicorn

from infra.settings import Settings
from infra.tokens import authenticate, ensure_dev_token
from producers.gateway import build_gateway_app
from tests.support.gateway import HANOI_COMMUNE, auth, death, popreg, read_submissions

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def small_limit(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_body_bytes": 64 * 1024})


@pytest.fixture(scope="module")
def server(small_limit: Settings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(build_gateway_app(small_limit), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def cli_token(settings: Settings) -> str:
    done = popreg(settings, "token", "create", "--role", "collector", "--area", "14", "--label", "CTV Sơn La")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert token.startswith("prt_") and "role collector, area 14" in done.stderr
    return token


async def test_a_token_from_the_cli_submits_over_http(server: str, cli_token: str, settings: Settings) -> None:
    items = [death(), death(commune=HANOI_COMMUNE)]
    async with httpx.AsyncClient(base_url=server) as client:
        resp = await client.post(
            "/v1/submissions",
            content=b"\n".join(orjson.dumps(i) for i in items),
            headers={**auth(cli_token), "Content-Type": "application/x-ndjson"},
        )
    assert resp.status_code == 200, resp.text
    assert [r["status"] for r in resp.json()["results"]] == ["accepted", "invalid"]
    assert set(await read_submissions(settings, {i["event_id"] for i in items})) == {items[0]["event_id"]}


def test_a_streamed_body_over_the_limit_is_refused_before_the_end(server: str, cli_token: str) -> None:
    pulled = 0
    line = orjson.dumps(death()) + b"\n"
    chunks = 20_000  # ~5 MB against a 64 KiB limit

    def body() -> Iterator[bytes]:
        nonlocal pulled
        for _ in range(chunks):
            pulled += 1
            yield line

    try:
        resp = httpx.post(
            f"{server}/v1/submissions",
            content=body(),
            timeout=30,
            headers={**auth(cli_token), "Content-Type": "application/x-ndjson"},
        )
        assert resp.status_code == 413
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        pass  # the server closed the connection on the refused upload: also a refusal
    assert pulled < chunks  # the server stopped reading long before the end
    ok = httpx.post(f"{server}/v1/submissions", json=[death()], headers=auth(cli_token), timeout=30)
    assert ok.status_code == 200  # and keeps serving


def test_token_create_refuses_bad_role_and_unknown_area(settings: Settings) -> None:
    assert popreg(settings, "token", "create", "--role", "boss", "--area", "VN").returncode == 2
    unknown = popreg(settings, "token", "create", "--role", "clerk", "--area", "99")
    assert unknown.returncode == 2 and "no such province" in unknown.stderr


def test_dev_token_is_private_and_stable(settings: Settings, pool, tmp_path) -> None:
    local = settings.model_copy(update={"home": tmp_path})
    path = ensure_dev_token(local)
    assert path == tmp_path / "dev-token"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    token = path.read_text().strip()
    principal = authenticate(pool, token)
    assert principal is not None and principal.role == "operator" and principal.area == "VN"
    os.chmod(path, 0o644)
    assert ensure_dev_token(local) == path and path.read_text().strip() == token  # reused
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(RuntimeError):
        ensure_dev_token(local.model_copy(update={"env": "production"}))
