"""The exactly-once sink against the real broker and PostgreSQL (invariant 2), and the behaviour
of the projection written once and run on both backends: the pure fold and PostgreSQL (STYLE 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings
from infra.topics import EVENTS, REVIEW
from projections import versions
from projections.fold.model import TABLES
from projections.fold.records import Record, read_event
from projections.fold.units import project
from projections.rules import Rules
from projections.sink.apply import stored_offsets
from tests.support.projection import (
    A,
    B,
    C,
    D,
    cli_env,
    dump,
    opened,
    produce,
    scenario,
    sink_until_caught_up,
)
from tests.support.synthetic import EventFactory, at

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings(), max_size=4) as found:
        yield found


def _live(pool: Any) -> versions.Version:
    with pool.connection() as conn:
        return versions.ensure_live(conn)


def _current(rows: list[tuple]) -> set[tuple]:
    return {r[:-2] for r in rows if r[-1] is None}


# ---- the behaviour, written once ---------------------------------------------------------------
def check_scenario_rows(tables: dict[str, list[tuple]]) -> None:
    """What the scenario's rows must say, whichever backend made them."""
    births = {r[2]: r for r in _current(tables["births"])}
    assert births["C1"][3:6] == (date(2024, 1, 20), "F", 1) and births["C1"][9] == A
    assert births["C2"][3:6] == (date(2024, 4, 2), "M", 3) and births["C2"][7] == 33
    assert not _current(tables["deaths"])  # P4's death was voided
    moves = {r[0]: (r[3], r[4], r[5], r[6]) for r in _current(tables["moves"])}
    assert moves == {
        "P5": (B, A, date(2024, 5, 1), date(2024, 5, 3)),
        "P7": (C, A, date(2024, 6, 10), date(2024, 6, 12)),
        "P8": (D, B, date(2024, 8, 1), date(2024, 8, 5)),
        "P9": (B, D, date(2024, 9, 15), date(2024, 9, 15)),
        "P10": (C, A, date(2024, 10, 1), date(2024, 10, 1)),
    }
    (marriage,) = _current(tables["marriages"])
    assert marriage[2:] == ("P6", "P7", date(2024, 7, 15), C, True)
    persons = {r[0]: r for r in tables["persons"]}
    assert persons["P11"][1:3] == ("merged", "P10")
    assert {p: persons[p][7] for p in ("P1", "P5", "P7", "P8", "P9", "P10")} == {
        "P1": A,
        "P5": A,
        "P7": A,
        "P8": B,
        "P9": D,
        "P10": A,
    }
    assert persons["P4"][1] == "alive"
    assert len({r[0] for r in _current(tables["households"])}) == 7


def _pure_backend(f: EventFactory, records: list[dict[str, Any]], env: Any) -> dict[str, list[tuple]]:
    evs = [read_event(Record("t", 0, i, f.encode(r)))[0] for i, r in enumerate(records)]
    return {t: sorted(rows, key=repr) for t, rows in project(evs, Rules()).items()}


async def _postgres_backend(f: EventFactory, records: list[dict[str, Any]], env: Any) -> dict[str, list[tuple]]:
    settings, pool, _ = env
    await produce(settings, f, records)
    version = _live(pool)
    await sink_until_caught_up(settings, version, pool, max_records=7)  # many small batches
    return dump(pool, version.schema, tuple(TABLES))


@pytest.fixture(scope="module")
async def both(env: Any) -> dict[str, dict[str, list[tuple]]]:
    f = env[2]
    records = scenario(f)
    return {"fold": _pure_backend(f, records, env), "postgres": await _postgres_backend(f, records, env)}


@pytest.mark.parametrize("backend", ["fold", "postgres"])
def test_scenario_rows_on_each_backend(both: dict[str, Any], backend: str) -> None:
    check_scenario_rows(both[backend])


def test_postgres_rows_equal_the_pure_fold(both: dict[str, Any]) -> None:
    assert both["postgres"] == both["fold"]


# ---- exactly once -----------------------------------------------------------------------------
async def test_redelivery_and_copies_change_nothing(env: Any, both: dict[str, Any]) -> None:
    settings, pool, f = env
    version = _live(pool)
    before = dump(pool, version.schema)
    records = scenario(f)
    await produce(settings, f, records[:20])  # the same event_ids again, at new offsets
    await sink_until_caught_up(settings, version, pool)
    after_copies = dump(pool, version.schema)
    assert after_copies == before
    # redelivery: the stored position goes back to 0 and the whole log is read again
    with pool.connection() as conn:
        conn.execute("UPDATE projection_offsets SET next_offset = 0 WHERE version = %s", (version.version,))
    stats = await sink_until_caught_up(settings, version, pool)
    assert stats.records > len(records) and stats.archived == 0
    assert dump(pool, version.schema) == before


async def test_unreadable_records_and_review_items_are_kept(env: Any, both: dict[str, Any]) -> None:
    settings, pool, f = env
    version = _live(pool)
    held = {
        "event_id": "held-1",
        "type": "birth",
        "commune": A,
        "occurred_on": "2024-05-05",
        "recorded_at": at("2024-05-06").isoformat(),
        "reason": "mother_too_young",
        "rule": "the mother is a woman aged 10-60 on the date",
        "detail": "aged 9",
        "held_at": at("2024-05-06").isoformat(),
        "submission": {"event_id": "held-1"},
    }
    await produce(settings, f, [held, held], topic=REVIEW)
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
    await producer.start()
    await producer.send_and_wait(settings.topic(EVENTS), key=b"x", value=b'{"event": 1}', partition=0)
    await producer.stop()
    await sink_until_caught_up(settings, version, pool)
    tables = dump(pool, version.schema, ("review_items", "sink_rejects"))
    assert [(r[0], r[1]) for r in tables["review_items"]] == [("held-1", "mother_too_young")]
    (reject,) = tables["sink_rejects"]
    assert reject[0] == settings.topic(EVENTS) and "not a RegisterEvent" in reject[3]


def _sink_process(settings: Settings) -> subprocess.Popen[bytes]:
    code = (
        "import asyncio, logging, sys\n"
        "from infra.db import open_pool\nfrom infra.settings import Settings\n"
        "from projections.versions import ensure_live\nfrom projections.sink.sink import Sink\n"
        "s = Settings(); pool = open_pool(s)\n"
        "with pool.connection() as c: v = ensure_live(c)\n"
        "asyncio.run(Sink(s, v, pool, max_records=int(sys.argv[1])).run())\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, "40"], env=cli_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _bulk(f: EventFactory, households: int) -> list[dict[str, Any]]:
    out = []
    for h in range(households):
        hid, commune = f"K{h}", (A, B, C)[h % 3]
        out.append(f.record("household.registered", "2021-01-01", commune, {"household_id": hid, "address": "x"}))
        for k, (sex, born) in enumerate((("F", "1991-02-03"), ("M", "1989-04-05"))):
            out.append(
                f.record(
                    "person.registered",
                    "2021-01-01",
                    commune,
                    {
                        "person_id": f"{hid}-{k}",
                        "household_id": hid,
                        "full_name": "x",
                        "sex": sex,
                        "birth_date": born,
                        "relation_to_head": "head",
                        "marital_status": "married",
                    },
                )
            )
        out.append(
            f.record(
                "birth",
                "2023-03-03",
                commune,
                {"child_id": f"{hid}-c", "household_id": hid, "mother_id": f"{hid}-0", "sex": "F"},
            )
        )
        if h % 4 == 0:
            out.append(f.record("move_out", "2024-02-02", commune, {"person_ids": [f"{hid}-1"]}))
    return out


async def test_killed_mid_batch_and_restarted_ends_like_a_clean_run(make_settings: Callable[..., Settings]) -> None:
    with opened(make_settings()) as (settings, pool, _):
        f = EventFactory(builtin_gazetteer(), validate=False, prefix="k")
        await produce(settings, f, _bulk(f, 600), per_transaction=200)
        live = _live(pool)
        proc = _sink_process(settings)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill -9 after a few committed batches, mid-way
            with pool.connection() as conn:
                done = sum(stored_offsets(conn, live.version).values())
            if done > 300:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        with pool.connection() as conn:
            at_kill = sum(stored_offsets(conn, live.version).values())
        assert 0 < at_kill < 2600  # stopped part way
        proc = _sink_process(settings)  # restarted: resumes from the stored offsets
        try:
            await sink_until_caught_up_wait(pool, settings, live)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        with pool.connection() as conn:
            clean = versions.create_version(conn, Rules(), "clean run")
        await sink_until_caught_up(settings, clean, pool, max_records=5000)
        assert dump(pool, live.schema) == dump(pool, clean.schema)


async def sink_until_caught_up_wait(pool: Any, settings: Settings, version: versions.Version) -> None:
    """Wait until the restarted sink process has stored offsets up to the log's end."""
    from infra import kafka_admin

    ends = {}
    for topic in (settings.topic(EVENTS), settings.topic(REVIEW)):
        for p, o in (await kafka_admin.end_offsets_async(settings, topic, "read_committed")).items():
            ends[(topic, p)] = o
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with pool.connection() as conn:
            stored = stored_offsets(conn, version.version)
        if all(stored.get(k, 0) >= v for k, v in ends.items()):
            return
        time.sleep(0.2)
    raise AssertionError(f"the restarted sink did not catch up: {stored} < {ends}")
