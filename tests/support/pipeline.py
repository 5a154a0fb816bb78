"""Fixtures of the pipeline e2e suite: an isolated popreg driven only through its CLI and HTTP API.

- `pipeline_env`: a fresh topic prefix and database created by `popreg stack up` on the running
  stack, free ports, its own POPREG_HOME (faust state, dev token), the gazetteer CSV exported by
  `popreg gazetteer export`, and a clean generated province (`popreg generate --no-noise`).
  `popreg run` and every later command point at the stack as an existing Kafka/PostgreSQL
  (POPREG_KAFKA_BOOTSTRAP, POPREG_DATABASE_URL): the shared home's dev-token stays untouched.
- `pipeline_run`: `popreg run` as a subprocess (its one log stream in a file), healthy.
- `clean_stage`: the clean file submitted, part through POST /v1/submissions and part through
  `popreg submit`, with the register worker killed (-9) in between; then `popreg wait`.

Names differ from the dashboard's fixtures (tests/support/dashboard.py). The database and
the prefixed topics are dropped at the end (housekeeping through infra/, as tests/support/stack.py
does; the tests themselves only use the CLI and HTTP).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from infra import db, kafka_admin
from infra.settings import Settings
from tests.e2e.expected import History, Places, read_jsonl

POPREG = Path(sys.executable).with_name("popreg")  # the installed entry point (CONTRACT.md)
SEED, HOUSEHOLDS, YEARS, START = 11, 400, 3, "2022-01"  # ends 2024-12: before the 2025 reform
YEARS_CHECKED = ("2022", "2023", "2024")
CLI_TIMEOUT = 240.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Env:
    """One isolated popreg: the environment every command and `popreg run` get, and its data."""

    vars: dict[str, str]
    url: str
    workdir: Path
    prefix: str
    database: str
    clean_file: Path
    _pending: dict[str, subprocess.Popen[str]] = field(default_factory=dict)  # generate, export
    _loaded: dict[str, Any] = field(default_factory=dict)

    def _ready(self) -> None:
        """The generated province and the gazetteer CSV, once their commands (started early) end."""
        for proc in self._pending.values():
            self.finish(proc)
        self._pending.clear()
        if not self._loaded:
            self._loaded = {"places": Places(self.workdir / "gazetteer.csv"), "clean": read_jsonl(self.clean_file)}

    @property
    def places(self) -> Places:
        self._ready()
        return self._loaded["places"]

    @property
    def clean(self) -> list[dict[str, Any]]:
        """The clean history's envelopes, in file order."""
        self._ready()
        return self._loaded["clean"]

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(POPREG), *args], env=self.vars, cwd=self.workdir, capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert done.returncode == 0, f"popreg {' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(POPREG), *args],
            env=self.vars,
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def finish(proc: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
        stdout, stderr = proc.communicate(timeout=CLI_TIMEOUT)
        assert proc.returncode == 0, f"{' '.join(proc.args)} -> {proc.returncode}\n{stdout}\n{stderr}"  # type: ignore[arg-type]
        return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)

    def cli_many(self, *commands: Sequence[str]) -> list[subprocess.CompletedProcess[str]]:
        """Several commands at once (each pays the interpreter's start-up; this machine is slow)."""
        return [self.finish(p) for p in [self.start(*c) for c in commands]]

    def cli_json(self, *args: str) -> Any:
        return orjson.loads(self.cli(*args).stdout)


@dataclass
class Api:
    """The HTTP API with the development token `popreg run` wrote."""

    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        reply = httpx.get(
            self.url + path, params={k: v for k, v in params.items() if v is not None}, headers=self.headers, timeout=60
        )
        assert reply.status_code == 200, (path, params, reply.status_code, reply.text)
        return reply.json()

    def indicators(
        self, area: str, period: str, names: Sequence[str] | None = None, known_on: str | None = None
    ) -> dict[str, Any]:
        return self.get(
            "/v1/indicators", area=area, period=period, known_on=known_on, names=",".join(names) if names else None
        )

    def submit(self, body: bytes, content_type: str = "application/x-ndjson") -> list[dict[str, Any]]:
        reply = httpx.post(
            self.url + "/v1/submissions",
            content=body,
            timeout=120,
            headers={**self.headers, "Content-Type": content_type},
        )
        assert reply.status_code == 200, (reply.status_code, reply.text)
        return reply.json()["results"]


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    log: Path
    api: Api
    children: dict[str, int] = field(default_factory=dict)  # name -> pid, as last looked up

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def child_pids(parent: int) -> dict[int, str]:
    """The direct children of `parent` (pid -> command line), read from /proc."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state, past "(comm)"
        if ppid == parent:
            out[int(entry.name)] = cmdline
    return out


def find_child(parent: int, *words: str) -> int | None:
    for pid, cmdline in child_pids(parent).items():
        if all(f" {w}" in f" {cmdline}" for w in words):
            return pid
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"popreg run exited with {proc.returncode}"
        try:
            if httpx.get(url + "/v1/health", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url}/v1/health did not answer in {timeout:.0f}s")


def stop_run(run: Running, timeout: float = 90.0) -> int:
    if run.proc.poll() is None:
        run.proc.send_signal(signal.SIGTERM)
        try:
            run.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()
    return run.proc.returncode


@pytest.fixture(scope="session")
def pipeline_env(stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tag = f"e2e{uuid.uuid4().hex[:8]}"
    workdir = tmp_path_factory.mktemp("pipeline")
    home = workdir / "home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    common = {"POPREG_TOPIC_PREFIX": f"{tag}.", "COLUMNS": "200"}
    database_url = db.with_database(stack.dsn, tag)
    external = {"POPREG_KAFKA_BOOTSTRAP": stack.bootstrap, "POPREG_DATABASE_URL": database_url}
    if stack.uses_local_postgres and stack.uses_local_kafka:
        # `popreg stack up` on the shared home: the stack is running, so it only makes the
        # topics, the database and its migrations for this prefix and database name.
        up_env = {
            **base,
            **common,
            "POPREG_HOME": str(stack.home_dir),
            "POPREG_KAFKA_PORT": str(stack.kafka_port),
            "POPREG_PG_PORT": str(stack.pg_port),
            "POPREG_PG_USER": stack.pg_user,
            "POPREG_PG_DATABASE": tag,
        }
    else:  # containers (POPREG_TEST_STACK): `stack up` checks them, makes topics and migrations
        db.create_database(stack.dsn, tag)
        up_env = {**base, **common, **external, "POPREG_HOME": str(home)}
    api_port = _free_port()
    run_env = {
        **base,
        **common,
        **external,
        "POPREG_HOME": str(home),
        "POPREG_API_PORT": str(api_port),
        "POPREG_FAUST_WEB_PORT": str(_free_port()),
    }
    env = Env(run_env, f"http://127.0.0.1:{api_port}", workdir, f"{tag}.", tag, workdir / "clean.jsonl")
    # The province and the gazetteer CSV are made while the stack is readied and `popreg run` starts.
    env._pending = {
        "generate": env.start(
            "generate",
            "--out",
            str(env.clean_file),
            "--seed",
            str(SEED),
            "--households",
            str(HOUSEHOLDS),
            "--years",
            str(YEARS),
            "--start",
            START,
            "--no-noise",
        ),
        "export": env.start(
            "gazetteer", "export", "--builtin", "--contract-only", "--out", str(workdir / "gazetteer.csv")
        ),
    }
    try:
        up = subprocess.run(
            [str(POPREG), "stack", "up"], env=up_env, cwd=workdir, capture_output=True, text=True, timeout=CLI_TIMEOUT
        )
        out = up.stdout + up.stderr
        assert up.returncode == 0, out
        assert f"{tag}.register.submissions.v1" in out and "applied migration" in out, out
        yield env
    finally:
        for proc in env._pending.values():
            proc.kill()
        _drop(stack, tag)


def _drop(stack: Settings, tag: str) -> None:
    settings = stack.model_copy(update={"topic_prefix": f"{tag}."})
    db.drop_database(stack.dsn, tag)
    topics = [t for t in kafka_admin.list_topics(settings) if t.startswith(f"{tag}.")]
    if topics:
        kafka_admin.delete_topics(settings, topics)


@pytest.fixture(scope="session")
def pipeline_run(pipeline_env: Env) -> Iterator[Running]:
    log = pipeline_env.workdir / "popreg-run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(POPREG), "run"],
            env=pipeline_env.vars,
            cwd=pipeline_env.workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    run = Running(proc, log, Api(pipeline_env.url, ""))
    try:
        wait_healthy(pipeline_env.url, proc)
        token_file = Path(pipeline_env.vars["POPREG_HOME"]) / "dev-token"
        assert str(token_file) in " ".join(run.log_text().split()), run.log_text()[-3000:]
        run.api.token = token_file.read_text().strip()
        yield run
    finally:
        stop_run(run)


@dataclass
class CleanStage:
    http_results: list[dict[str, Any]]
    cli_output: str
    killed_pid: int
    restarted_pid: int
    expected: History


@pytest.fixture(scope="session")
def clean_stage(pipeline_env: Env, pipeline_run: Running) -> CleanStage:
    """Half the clean history through HTTP, the register worker killed -9, the rest through the CLI."""
    expected = History(pipeline_env.clean, pipeline_env.places)  # (waits for `popreg generate`)
    raw = pipeline_env.clean_file.read_bytes().splitlines(keepends=True)
    half = len(raw) // 2
    second = pipeline_env.workdir / "clean-part2.jsonl"
    second.write_bytes(b"".join(raw[half:]))
    http_results = pipeline_run.api.submit(b"".join(raw[:half]))
    # `popreg submit` starts now: its ingest does not need the register, which is about to die.
    cli = pipeline_env.start("submit", str(second))
    worker = find_child(pipeline_run.proc.pid, "worker", "register")
    assert worker is not None, child_pids(pipeline_run.proc.pid)
    # Kill it while it works through the first half (or as soon as it has started on it).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and pipeline_run.api.get("/v1/progress")["processed"] == 0:
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    cli_out = pipeline_env.finish(cli).stdout
    # The restarted worker rejoins once the killed member's session expired (faust: 60 s).
    pipeline_env.cli("wait", "--timeout", "300")
    restarted = find_child(pipeline_run.proc.pid, "worker", "register")
    assert restarted is not None and restarted != worker
    return CleanStage(http_results, cli_out, worker, restarted, expected)


NAMES = (
    "population",
    "population_male",
    "population_female",
    "households",
    "births",
    "births_male",
    "births_female",
    "births_order_3_plus",
    "deaths",
    "in_migrants",
    "out_migrants",
)


def areas_of(history: History) -> list[str]:
    """The province, its districts that anyone lived in, and those communes (before the 2025 reform)."""
    communes = history.communes()
    on = date(2024, 12, 31)
    districts = sorted({history.places.area(c, "district", on) for c in communes} - {None})  # type: ignore[arg-type]
    provinces = sorted({history.places.area(c, "province", on) for c in communes} - {None})  # type: ignore[arg-type]
    return provinces + districts + communes


def mismatches(
    api: Api,
    expected: History,
    periods: Sequence[str] = YEARS_CHECKED,
    areas: Sequence[str] | None = None,
    known_on: str | None = None,
) -> list[str]:
    """Every (area, period, indicator) where GET /v1/indicators differs from the independent figure."""
    out = []
    for period in periods:
        for area in areas or areas_of(expected):
            got = api.indicators(area, period, NAMES, known_on)
            assert got["area"] == area and got["period"] == period and got["known_on"] == known_on, got
            want = expected.figures(area, period)
            out += [
                f"{area} {period} {name}: register {got['values'].get(name)!r}, expected {want[name]}"
                for name in NAMES
                if got["values"].get(name) != want[name]
            ]
    return out


@pytest.fixture(scope="session")
def figure_mismatches() -> Callable[..., list[str]]:
    return mismatches
