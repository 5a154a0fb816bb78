"""Test support for the dashboard: a small generated province through the real pipeline, and a
real uvicorn serving gateway + read API + dashboard on a free port.

The pipeline: the generator's submissions go through the gateway's ingest path onto the real
submissions topic; the register's faust worker (`popreg worker register`, a child process)
writes the events and review topics; the projection sink stores them in PostgreSQL. Nothing is
faked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from infra.db import connect, open_pool
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.tokens import create_token
from processors.register.app import app_id
from producers.generator import GeneratorConfig, generate
from producers.runtime import open_ingest
from producers.submit import submit_file
from projections.read.progress import progress_async
from projections.sink.sink import Sink
from projections.versions import ensure_live

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PROVINCE = "14"  # Sơn La: districts before 1 July 2025, communes straight under it after
START = date(2024, 7, 1)  # two years across the 2025 reform
# Debian's Chromium (infra/install_browser.sh), driven by Playwright through executable_path: its
# own browser download cannot work here. The flags keep it off the (closed) network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_province(path: Path, households: int = 300, years: int = 2, seed: int = 7) -> Path:
    config = GeneratorConfig(start=START, seed=seed, households=households, years=years, province=PROVINCE)
    with path.open("wb") as out:
        generate(config, out, builtin_gazetteer())
    return path


async def _submit(settings: Settings, path: Path) -> None:
    async with open_ingest(settings) as service:
        await submit_file(service, path)


def _env(settings: Settings) -> dict[str, str]:
    """POPREG_* variables that make a child process build these same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        value = value.get_secret_value() if isinstance(value, SecretStr) else value
        env[f"POPREG_{name.upper()}"] = str(value)
    return env


async def _wait_register(settings: Settings, worker: subprocess.Popen[bytes], timeout: float) -> None:
    """Until the register has processed every submission (projections.read.progress decides)."""
    deadline = time.monotonic() + timeout
    while True:
        if worker.poll() is not None:
            raise RuntimeError(f"the register worker exited with {worker.returncode}")
        now = await progress_async(settings)
        if now.register_caught_up and now.processed > 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"register not caught up after {timeout:.0f}s: {now.as_dict()}")
        await asyncio.sleep(1.0)


def run_register(settings: Settings, log: Path, timeout: float = 240.0) -> None:
    """`popreg worker register` (the faust app) until it has processed every submission."""
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "popreg", "worker", "register", "-l", "warn"],
            env=_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            asyncio.run(_wait_register(settings, worker, timeout))
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            # its table's local store (the changelog topic keeps the state; the topics go at session end)
            shutil.rmtree(settings.home_dir / "faust" / app_id(settings), ignore_errors=True)


def feed_province(settings: Settings, path: Path, workdir: Path) -> None:
    """Gazetteer load, submit, register, sink: the generated history ends up in the projections."""
    with connect(settings) as conn:
        load_builtin(conn)
        conn.commit()
    asyncio.run(_submit(settings, path))
    run_register(settings, workdir / "register-worker.log")
    pool = open_pool(settings, max_size=2, name="dashboard-sink")
    try:
        with pool.connection() as conn:
            version = ensure_live(conn)
        asyncio.run(Sink(settings, version, pool).run(until_caught_up=True))
    finally:
        pool.close()


def token(settings: Settings, role: str, area: str) -> str:
    with connect(settings) as conn:
        return create_token(conn, role, area, label="dashboard test").token


def compose_app(settings: Settings) -> FastAPI:
    """Gateway + read API + dashboard on one app, as `popreg run` serves them."""
    from popreg.api import build_app

    return build_app(settings)


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """A real uvicorn in a thread on a free port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        httpx.get(url + "/dashboard", timeout=10).raise_for_status()
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@dataclass
class Province:
    """A generated province in a fresh database and topics, served by a real uvicorn."""

    settings: Settings
    url: str
    tokens: dict[str, str]  # operator (VN), analyst14, clerk14, analyst01 (Hà Nội)
    source: Path  # the generated submissions

    def get(self, path: str, who: str = "operator", **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.get(self.url + path, params=params, headers=headers, timeout=120)

    def json(self, path: str, who: str = "operator", **params: Any) -> Any:
        response = self.get(path, who, **params)
        assert response.status_code == 200, (path, params, response.status_code, response.text)
        return response.json()


_SHARED: dict[str, Any] = {}


def shared_province(make_settings: Callable[..., Settings], workdir: Path) -> Province:
    """One province per test session, shared by the dashboard's API and browser tests."""
    if "province" not in _SHARED:
        settings = make_settings()
        source = generate_province(workdir / "province.jsonl")
        feed_province(settings, source, workdir)
        stack = contextlib.ExitStack()
        url = stack.enter_context(serve(compose_app(settings)))
        tokens = {
            "operator": token(settings, "operator", "VN"),
            "analyst14": token(settings, "analyst", PROVINCE),
            "clerk14": token(settings, "clerk", PROVINCE),
            "analyst01": token(settings, "analyst", "01"),
        }
        _SHARED.update(province=Province(settings, url, tokens, source), stack=stack)
    return _SHARED["province"]


def close_shared() -> None:
    stack = _SHARED.pop("stack", None)
    _SHARED.pop("province", None)
    if stack is not None:
        stack.close()
