"""The whole path on the real log: generated submissions -> the register worker process -> the
events topic -> `popreg replay` / `popreg export` / `popreg analyses` from Kafka."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import orjson
import polars as pl
import pytest
from typer.testing import CliRunner

from infra import kafka_admin
from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings, get_settings
from infra.topics import SUBMISSIONS
from popreg.cli import app
from processors.register.app import app_id
from producers.generator import GeneratorConfig, generate
from tests.support.register_worker import RegisterWorker, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]
YEARS = (2018, 2019, 2020)
PROVINCE = "14"


def wait_for(check: Callable[[], bool], timeout: float, what: str, proc: RegisterWorker) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline or not proc.alive():
            pytest.fail(f"timed out waiting for {what}\n{proc.tail()}")
        time.sleep(1)


@pytest.fixture(scope="module")
def logged(make_settings: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A small generated province, processed by the real register worker into the events topic."""
    settings, tmp = make_settings(), tmp_path_factory.mktemp("register-log")
    cfg = GeneratorConfig(start=date(YEARS[0], 1, 1), seed=5, households=300, years=len(YEARS))
    with open(tmp / "subs.jsonl", "wb") as fh:
        generate(cfg, fh, builtin_gazetteer())
    items = (tmp / "subs.jsonl").read_bytes().splitlines()
    asyncio.run(produce(settings, items))
    worker = RegisterWorker(settings, tmp / "worker", tmp / "worker.log").start()
    try:
        topic = settings.topic(SUBMISSIONS)
        wait_for(
            lambda: kafka_admin.committed_offsets(settings, app_id(settings), topic).get(0, 0) >= len(items),
            300,
            "the register worker",
            worker,
        )
    finally:
        worker.stop()
    yield settings, tmp, worker.env()


@pytest.fixture
def runner(logged: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    for key, value in logged[2].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("POPREG_HOME", str(tmp_path / "cli"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_analyses_from_kafka_count_every_birth_of_the_log(logged: tuple, runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "fert"
    r = runner.invoke(
        app, ["analyses", "fertility", "--area", PROVINCE, "--to", f"{YEARS[-1]}-12-31", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["kind"] == "kafka" and manifest["gazetteer"]["version"]
    r = runner.invoke(
        app,
        ["analyses", "migration", "--area", PROVINCE, "--input", str(out / "export"), "--out", str(tmp_path / "mig")],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["replay", "--out", str(tmp_path / "log.jsonl")])
    assert r.exit_code == 0, r.output
    docs = [orjson.loads(x) for x in (tmp_path / "log.jsonl").read_bytes().splitlines()]
    voided = {d["event"]["payload"]["voided_event_id"] for d in docs if d["event"]["type"] == "event.voided"}
    births = [d for d in docs if d["event"]["type"] == "birth" and d["event"]["event_id"] not in voided]
    cube = pl.read_parquet(out / "export" / "exposure_cube.parquet")
    assert len(births) > 30 and cube["births"].sum() == len(births)
    boys = sum(d["event"]["payload"]["sex"] == "M" for d in births)
    assert cube["births_male"].sum() == boys
