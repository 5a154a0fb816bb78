"""`popreg replay`, `popreg export` and `popreg analyses` against the real broker: the log read
from several partitions with duplicate copies, pinned to its offsets, and the same data sets
whether read from Kafka or from the replay file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import orjson
import polars as pl
import pytest
from aiokafka import AIOKafkaProducer
from typer.testing import CliRunner

from analyses.handlog import HandLog
from infra import kafka_admin
from infra.settings import Settings, get_settings
from infra.topics import EVENTS
from popreg.cli import app

pytestmark = pytest.mark.integration


def use(settings: Settings, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the CLI (which reads the environment) at the test's topics and database."""
    monkeypatch.setenv("POPREG_TOPIC_PREFIX", settings.topic_prefix)
    monkeypatch.setenv("POPREG_KAFKA_BOOTSTRAP", settings.bootstrap)
    monkeypatch.setenv("POPREG_DATABASE_URL", settings.dsn)
    monkeypatch.setenv("POPREG_HOME", str(home))
    get_settings.cache_clear()


async def produce(settings: Settings, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for value in values:
            doc = orjson.loads(value)
            key = (doc["context"].get("subjects") or [doc["event"]["event_id"]])[0].encode()
            await producer.send_and_wait(settings.topic(EVENTS), value, key=key)
    finally:
        await producer.stop()


def family_log() -> HandLog:
    log = HandLog()
    log.household("h1", "10101", "2016-01-01")
    log.household("h2", "10201", "2016-01-01")
    for i in range(6):
        log.person(
            f"w{i}",
            "h1" if i % 2 else "h2",
            "F",
            f"{1985 + i}-03-0{i + 1}",
            "2016-01-01",
            marital="married",
            ceb=i % 3,
            relation="head",
        )
    for i in range(6):
        log.birth(f"c{i}", f"w{i}", "MF"[i % 2], f"{2017 + i % 3}-0{i + 1}-15")
    log.move_in(["w1"], "h2", "2019-05-05")
    log.contraception("w2", "iud", "2018-01-01")
    log.death("w5", "2020-02-02")
    return log


@pytest.fixture
def cli(make_settings: Callable[..., Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = make_settings()
    use(settings, tmp_path / "home", monkeypatch)
    yield settings, CliRunner()
    get_settings.cache_clear()


def test_replay_then_export_from_kafka_and_from_file_agree(cli, tmp_path: Path) -> None:
    settings, runner = cli
    lines = family_log().lines()
    asyncio.run(produce(settings, lines + [lines[3], lines[7]]))  # two copies (same event_id)
    ends = kafka_admin.end_offsets(settings, settings.topic(EVENTS))
    assert len(ends) == settings.events_partitions and sum(ends.values()) == len(lines) + 2

    replay = tmp_path / "log.jsonl"
    r = runner.invoke(app, ["replay", "--out", str(replay)])
    assert r.exit_code == 0, r.output
    got = replay.read_bytes().splitlines()
    assert sorted(got) == sorted(lines)  # every record once, byte for byte
    side = json.loads((tmp_path / "log.jsonl.manifest.json").read_text())
    assert side["source"]["offsets"] == {str(p): {"from": 0, "to": e} for p, e in ends.items()}
    assert side["duplicates_dropped"] == 2 and side["events"] == len(lines)

    r = runner.invoke(app, ["replay", "--from", "2017-01-01", "--to", "2018-12-31"])
    assert r.exit_code == 0, r.output
    # CliRunner hands bytes written to sys.stdout.buffer back in `output` (with the stderr note).
    days = [orjson.loads(x)["event"]["occurred_on"] for x in r.output.splitlines() if x.startswith("{")]
    assert days and all("2017-01-01" <= d <= "2018-12-31" for d in days)

    from_kafka, from_file = tmp_path / "k", tmp_path / "f"
    for out, extra in ((from_kafka, []), (from_file, ["--input", str(replay)])):
        r = runner.invoke(app, ["export", "--area", "10", "--to", "2021-12-31", "--out", str(out), *extra])
        assert r.exit_code == 0, r.output
    mk = json.loads((from_kafka / "manifest.json").read_text())
    assert mk["source"]["kind"] == "kafka" and mk["source"]["topic"] == settings.topic(EVENTS)
    assert mk["source"]["offsets"] == side["source"]["offsets"]
    assert mk["read"]["duplicates_dropped"] == 2
    mf = json.loads((from_file / "manifest.json").read_text())
    assert mf["source"]["replay_manifest"]["source"]["offsets"] == side["source"]["offsets"]
    for name in ("persons", "spells", "exposure_cube", "moves", "counting_process"):
        a, b = pl.read_parquet(from_kafka / f"{name}.parquet"), pl.read_parquet(from_file / f"{name}.parquet")
        assert a.sort(a.columns).equals(b.sort(b.columns)), name
    assert pl.read_parquet(from_kafka / "exposure_cube.parquet")["births"].sum() == 6

    out = tmp_path / "fert"
    r = runner.invoke(app, ["analyses", "fertility", "--area", "10", "--to", "2021-12-31", "--out", str(out)])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    assert m["source"]["offsets"] == side["source"]["offsets"] and (out / "index.html").exists()


def test_unreachable_kafka_is_a_clear_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _, runner = cli
    monkeypatch.setenv("POPREG_KAFKA_BOOTSTRAP", "127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    r = runner.invoke(app, ["replay"])
    assert r.exit_code == 3 and "unavailable" in r.output and "--input" in r.output
