"""Test support for the front line (/ctv): a generated province in its own database and topics, fed
through `popreg submit`, and `popreg run` (register, sink, indicators, HTTP) serving the app, so the
browser's entries go through the real pipeline end to end. The CLI enrols devices.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson

from infra.settings import Settings
from tests.support.dashboard import ARTIFACTS, _env, free_port, generate_province

POPREG = Path(sys.executable).with_name("popreg")
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 30_000
# A device reads its own copy of IndexedDB with this (the tests pick people the app shows).
READ_KV = """async (key) => await new Promise((resolve, reject) => {
  const r = indexedDB.open("popreg-ctv", 1);
  r.onsuccess = () => { const g = r.result.transaction("kv").objectStore("kv").get(key);
                        g.onsuccess = () => { r.result.close(); resolve(g.result); }; g.onerror = () => reject(g.error); };
  r.onerror = () => reject(r.error);
})"""
# Its outbox, every entry (the connection is closed again: an open one would block a sign-out's wipe).
READ_OUTBOX = """async () => await new Promise((resolve) => {
  const r = indexedDB.open("popreg-ctv", 1);
  r.onsuccess = () => { const g = r.result.transaction("outbox").objectStore("outbox").getAll();
                        g.onsuccess = () => { r.result.close(); resolve(g.result); }; };
})"""


@dataclass
class Running:
    """`popreg run` on an isolated database and topic prefix, with the province in it."""

    settings: Settings
    env: dict[str, str]
    url: str
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [str(POPREG), *args], env=self.env, cwd=self.workdir, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"popreg {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    @property
    def token(self) -> str:
        return (Path(self.env["POPREG_HOME"]) / "dev-token").read_text().strip()

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        reply = httpx.get(
            self.url + path, params=params, timeout=60, headers={"Authorization": f"Bearer {token or self.token}"}
        )
        assert reply.status_code == 200, (path, reply.status_code, reply.text)
        return reply.json()

    def submit(self, envelopes: list[dict[str, Any]], token: str | None = None) -> httpx.Response:
        return httpx.post(
            self.url + "/v1/submissions",
            content=orjson.dumps(envelopes),
            timeout=60,
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )

    def get_status(self, ids: list[str], token: str) -> dict[str, Any]:
        reply = httpx.post(
            self.url + "/ctv/api/status",
            json={"event_ids": ids},
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["statuses"]

    def code(self, collector: str, area: str, role: str = "collector") -> str:
        return self.cli("device", "code", "--collector", collector, "--area", area, "--role", role).strip()

    def start(self) -> None:
        log = (self.workdir / "popreg-run.log").open("ab")
        self.proc = subprocess.Popen(
            [str(POPREG), "run"],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.workdir / "popreg-run.log").read_text()[-3000:]
            try:
                if httpx.get(self.url + "/v1/health", timeout=3).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("popreg run did not become healthy")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def wait_until(self, check: Callable[[], Any], timeout: float = 120, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = check()
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached in {timeout:.0f}s: {what}")
            time.sleep(1.0)


def start_province(make_settings: Callable[..., Settings], workdir: Path, households: int = 300) -> Running:
    """A fresh database and topics, the province submitted and projected, `popreg run` serving."""
    settings = make_settings()
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    port = free_port()
    env = {
        **_env(settings),
        "POPREG_HOME": str(home),
        "POPREG_KAFKA_BOOTSTRAP": settings.bootstrap,
        "POPREG_DATABASE_URL": settings.dsn,
        "POPREG_API_PORT": str(port),
        "POPREG_FAUST_WEB_PORT": str(free_port()),
        "POPREG_STOCK_WARM_SECONDS": "0",
        "COLUMNS": "200",
    }
    run = Running(settings, env, f"http://127.0.0.1:{port}", workdir)
    source = generate_province(workdir / "province.jsonl", households=households)
    run.start()
    run.cli("submit", str(source))
    run.cli("wait", "--timeout", "400", timeout=420)
    return run


def busiest_commune(run: Running) -> str:
    """The commune (still in force today) where most households of the province live now."""
    from infra.db import connect

    with connect(run.settings) as conn:
        row = conn.execute("""
            SELECT r.commune FROM proj_v1.residence_episodes r
            JOIN public.gazetteer_current g ON g.commune_code = r.commune AND g.valid_to IS NULL
            WHERE r.valid_to IS NULL AND r.known_to IS NULL
            GROUP BY 1 ORDER BY count(DISTINCT r.household_id) DESC LIMIT 1""").fetchone()
    assert row, "no commune with residents today"
    return row[0]


def this_month() -> str:
    return date.today().isoformat()[:7]


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"frontline-{name}.png"), full_page=True)
