"""`popreg submit FILE…` as a user runs it (a subprocess), against the real broker and database."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from infra.settings import Settings
from tests.support.gateway import birth, death, popreg, read_submissions

pytestmark = pytest.mark.integration


def write_jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


async def test_submit_counts_and_lists_invalid_lines(make_settings, tmp_path: Path) -> None:
    # Its own topics: the test reads the whole submissions topic back.
    settings: Settings = make_settings()
    good = [death(), birth(), death()]
    bad = death()
    bad["payload"]["sex"] = "M"  # unknown field on a death
    path = write_jsonl(
        tmp_path / "batch.jsonl",
        [
            orjson.dumps(good[0]),
            b"",
            orjson.dumps(good[1]),
            b"{not json",
            orjson.dumps(bad),
            orjson.dumps(good[2]),
            orjson.dumps(good[0]),
        ],
    )
    done = popreg(settings, "submit", str(path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{path}: 3 accepted, 1 duplicate, 2 invalid" in out
    assert f"{path}:line 4: (submission): not valid JSON" in out
    assert f"{path}:line 5 ({bad['event_id']}): payload.sex: unknown field" in out
    assert "total: 3 accepted, 1 duplicate, 2 invalid" in out
    found = await read_submissions(settings, {g["event_id"] for g in good} | {bad["event_id"]})
    assert set(found) == {g["event_id"] for g in good}

    again = popreg(settings, "submit", str(path))
    assert again.returncode == 0
    assert f"{path}: 0 accepted, 4 duplicate, 2 invalid" in again.stdout


def test_submit_json_array_and_an_unreadable_file(settings: Settings, tmp_path: Path) -> None:
    array = tmp_path / "batch.json"
    array.write_bytes(orjson.dumps([death(), {"event_id": "x-1", "type": "death"}]))
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'[{"event_id": ')
    missing = tmp_path / "missing.jsonl"
    done = popreg(settings, "submit", str(array), str(missing), str(broken))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{array}: 1 accepted, 0 duplicate, 1 invalid" in done.stdout
    assert f"{array}:item 2 (x-1): occurred_on: this field is required" in done.stdout
    assert f"error cannot read {missing}" in done.stdout
    assert "not a valid JSON array" in done.stdout


def test_submit_without_kafka_or_postgres_exits_3(settings: Settings, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "one.jsonl", [orjson.dumps(death())])
    no_pg = popreg(settings, "submit", str(path), POPREG_DATABASE_URL="postgresql://popreg@127.0.0.1:1/popreg")
    assert no_pg.returncode == 3, no_pg.stdout + no_pg.stderr
    assert "not reachable" in no_pg.stderr
    no_kafka = popreg(settings, "submit", str(path), POPREG_KAFKA_BOOTSTRAP="127.0.0.1:1")
    assert no_kafka.returncode == 3, no_kafka.stdout + no_kafka.stderr
