"""Live counters through the real broker and a real `popreg worker indicators` process: after the
events (copies, a void, late events, moves at every level, a corrected birth date, and a kill -9
of the worker between two batches, restarted on a fresh disk), every flow counter equals the SQL path for the same area
and period, and GET /v1/live serves them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from fastapi.testclient import TestClient

from infra import db, kafka_admin
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from infra.tokens import create_token
from infra.topics import EVENTS
from processors.indicators.app import app_id
from processors.indicators.facts import FLOW_NAMES
from projections import versions
from projections.http import reports as reports_api
from projections.http.api import build_read_app
from projections.read.indicators import compute_indicators
from projections.read.live import live_figures
from tests.support.projection import sink_until_caught_up
from tests.support.synthetic import EventFactory, at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

A, B, C, D = "03646", "03649", "03682", "00001"  # A, B: district 116; C: 118 (all Sơn La, 14); D: 001, Hà Nội 01
AREAS = (A, B, C, D, "116", "118", "001", "14", "01", "VN")
PERIODS = (*(f"2024-{m:02d}" for m in range(1, 13)), "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024")
ROOT = Path(__file__).resolve().parents[2]


def reg(
    f: EventFactory,
    pid: str,
    hh: str,
    commune: str,
    sex: str,
    born: str,
    marital: str = "married",
    ceb: int | None = None,
    on: str = "2020-01-01",
) -> dict[str, Any]:
    payload = {
        "person_id": pid,
        "household_id": hh,
        "full_name": f"Người {pid}",
        "sex": sex,
        "birth_date": born,
        "relation_to_head": "head",
        "marital_status": marital,
    }
    if ceb is not None:
        payload["children_ever_born"] = ceb
    return f.record("person.registered", on, commune, payload, recorded_at=on, event_id=f"reg-{pid}")


def mv(person: str, origin: str | None, to: str | None, confirmed: bool) -> list[dict[str, Any]]:
    return [{"person_id": person, "from_commune": origin, "to_commune": to, "confirmed": confirmed}]


def batches(f: EventFactory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two batches of RegisterEvent records, with the context the register would give them."""
    base = [
        f.record(
            "household.registered",
            "2020-01-01",
            c,
            {"household_id": h, "address": h},
            recorded_at="2020-01-05",
            event_id=f"hh-{h}",
        )
        for h, c in (("H1", A), ("H2", A), ("H3", B), ("H4", C), ("H5", D))
    ]
    base += [
        reg(f, "P1", "H1", A, "F", "1999-07-01", ceb=0),
        reg(f, "P2", "H1", A, "M", "1995-03-10"),
        reg(f, "P3", "H2", A, "F", "1990-05-20", ceb=2),
        reg(f, "P4", "H2", A, "M", "1940-01-01", "widowed"),
        reg(f, "P5", "H3", B, "M", "1985-02-02", "never_married"),
        reg(f, "P9", "H3", B, "M", "1970-01-01"),
        reg(f, "P6", "H4", C, "F", "2008-04-04", "never_married"),
        reg(f, "P7", "H4", C, "M", "2002-09-09", "never_married"),
        reg(f, "P8", "H5", D, "M", "1980-12-12"),
    ]
    first = base + [
        f.record(
            "birth",
            "2024-03-30",
            A,
            {"child_id": "K2", "household_id": "H2", "mother_id": "P3", "sex": "M"},
            event_id="b-k2",
            birth_order=3,
            mother_age=33,
        ),
        f.record("death", "2024-02-10", A, {"person_id": "P4"}, recorded_at="2024-02-12", event_id="d-p4"),
        f.record("contraception.started", "2024-03-01", A, {"person_id": "P1", "method": "pill"}),
        f.record("contraception.started", "2024-03-02", B, {"person_id": "P9", "method": "condom"}),  # a man
        f.record(
            "move_out",
            "2024-05-01",
            B,
            {"person_ids": ["P5"], "to_commune": A},
            event_id="o-p5",
            moves=mv("P5", B, A, False),
        ),
        f.record(
            "move_in",
            "2024-05-03",
            A,
            {"person_ids": ["P5"], "household_id": "H1", "from_commune": B},
            moves=mv("P5", B, A, True),
            flags=["completes_move:o-p5"],
        ),
        f.record(
            "move_out",
            "2024-06-10",
            C,
            {"person_ids": ["P7"], "to_commune": A},
            event_id="o-p7",
            moves=mv("P7", C, A, False),
        ),
        f.record("marriage", "2024-07-15", C, {"person_ids": ["P6", "P8"]}, child_marriage=True),
    ]
    second = [
        # late: a birth of January recorded in May, after later months were counted
        f.record(
            "birth",
            "2024-01-20",
            A,
            {"child_id": "K1", "household_id": "H1", "mother_id": "P1", "sex": "F"},
            recorded_at=at("2024-05-10"),
            event_id="b-k1",
            birth_order=1,
            mother_age=24,
        ),
        f.record(
            "move_in",
            "2024-06-12",
            A,
            {"person_ids": ["P7"], "household_id": "H2", "from_commune": C},
            moves=mv("P7", C, A, True),
            flags=["completes_move:o-p7"],
        ),
        f.record("move_out", "2024-08-01", D, {"person_ids": ["P8"]}, event_id="o-p8", moves=mv("P8", D, None, False)),
        f.record(
            "move_in",
            "2024-08-05",
            B,
            {"person_ids": ["P8"], "household_id": "H3", "from_commune": D},
            moves=mv("P8", D, B, True),
            flags=["completes_move:o-p8"],
        ),
        # known in B, arrives in D without a move_out: out of B at every level, into D at every level
        f.record("move_in", "2024-09-15", D, {"person_ids": ["P9"], "household_id": "H5"}, moves=mv("P9", B, D, True)),
        f.record("event.voided", "2024-04-05", A, {"voided_event_id": "d-p4", "reason": "wrong person"}),
        f.record("person.corrected", "2024-04-20", A, {"person_id": "K2", "changes": {"birth_date": "2024-04-02"}}),
        f.record("divorce", "2024-10-10", A, {"person_ids": ["P1", "P2"]}),
        f.record("household.registered", "2024-11-01", A, {"household_id": "H7", "address": "H7"}, event_id="hh-H7"),
        reg(f, "N1", "H7", A, "F", "1996-06-06", on="2024-11-01"),  # a newcomer: registered, then her move_in
        f.record(
            "move_in",
            "2024-11-01",
            A,
            {"person_ids": ["N1"], "household_id": "H7", "from_commune": "ABROAD"},
            moves=mv("N1", "ABROAD", A, True),
        ),
        f.record("contraception.started", "2024-11-20", A, {"person_id": "N1", "method": "iud"}),
    ]
    copies = [first[len(base)], second[0], second[5]]  # a birth, the late birth and the void, sent twice
    return first, second + copies


async def produce(settings: Settings, f: EventFactory, records: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Onto the events topic as the register writes it: keyed, idempotent, acks=all, no transactions.
    Returns where each record landed (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        placed = []
        for rec in records:
            meta = await producer.send_and_wait(settings.topic(EVENTS), f.encode(rec), key=f.key(rec))
            placed.append((meta.partition, meta.offset))
        return placed
    finally:
        await producer.stop()


class Worker:
    def __init__(self, settings: Settings, home: Path):
        self.settings, self.home, self.log = settings, home, home / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
        env.update(
            POPREG_ENV="test",
            POPREG_TOPIC_PREFIX=self.settings.topic_prefix,
            POPREG_KAFKA_BOOTSTRAP=self.settings.bootstrap,
            POPREG_DATABASE_URL=self.settings.dsn,
            POPREG_HOME=str(self.home),
            POPREG_FAUST_STORE="rocksdb://",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "popreg", "worker", "indicators", "-l", "warn", "--live-from", "2024-01-01"],
            env=env,
            cwd=str(ROOT),
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:]) if self.log.exists() else ""


def wait_caught_up(settings: Settings, pool: Any, worker: Worker, timeout: float = 180) -> None:
    """Until the snapshot's positions reach the end of every events partition."""
    ends = kafka_admin.end_offsets(settings, settings.topic(EVENTS))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.proc is not None and worker.proc.poll() is None, worker.tail()
        with pool.connection() as conn:
            done = dict(conn.execute("SELECT partition, next_offset FROM live_counter_positions").fetchall())
        if all(done.get(p, 0) >= end for p, end in ends.items()):
            # exact: a snapshot writes the positions and the counters of the same moment in one
            # transaction, and a position only moves past a record once it is counted
            return
        time.sleep(0.5)
    raise AssertionError(f"live counters did not catch up with {ends}\n{worker.tail()}")


def compare(pool: Any) -> dict[tuple[str, str, str], int]:
    differences, seen = {}, {}
    with pool.connection() as conn:
        for area in AREAS:
            for period in PERIODS:
                sql = compute_indicators(conn, area, period, names=list(FLOW_NAMES))["values"]
                live = live_figures(conn, area, period)["values"]
                for name in FLOW_NAMES:
                    seen[(area, period, name)] = live[name]
                    if live[name] != sql[name]:
                        differences[(area, period, name)] = (live[name], sql[name])
    assert differences == {}
    return seen


async def test_live_counters_agree_with_the_sql_path(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings()
    pool = db.open_pool(settings, max_size=3)
    worker: Worker | None = None
    try:
        load_builtin(pool)
        f = EventFactory(builtin_gazetteer())
        first, second = batches(f)
        with pool.connection() as conn:
            version = versions.ensure_live(conn)
        worker = Worker(settings, tmp_path / "home").start()
        await produce(settings, f, first)
        await asyncio.to_thread(wait_caught_up, settings, pool, worker)
        worker.kill()  # kill -9, and the next worker on a fresh disk: the table comes back from its changelog
        await produce(settings, f, second)
        worker = Worker(settings, tmp_path / "fresh-disk").start()
        await sink_until_caught_up(settings, version, pool)
        await asyncio.to_thread(wait_caught_up, settings, pool, worker)
        seen = await asyncio.to_thread(compare, pool)
        # worked by hand, so that agreement is not agreement on nothing
        assert seen[(A, "2024-01", "births")] == 1 and seen[(A, "2024-Q2", "births_order_3_plus")] == 1
        assert seen[(A, "2024-Q1", "births")] == 1  # K2 moved to April by its corrected birth date
        assert seen[("VN", "2024", "deaths")] == 0  # voided
        assert seen[("116", "2024-05", "in_migrants")] == 0 and seen[(A, "2024-05", "in_migrants")] == 1
        assert seen[("14", "2024-08", "in_migrants")] == 1 and seen[("VN", "2024-08", "in_migrants")] == 0
        assert seen[("14", "2024-09", "out_migrants")] == 1 and seen[("VN", "2024-11", "in_migrants")] == 1
        assert seen[("14", "2024", "child_marriages")] == 1 and seen[(A, "2024-10", "divorces")] == 1
        assert seen[("VN", "2024", "contraception_new_users")] == 2  # P1 and N1, not the man
        assert seen[("VN", "2024", "births")] == 2  # copies counted once

        tokens = {"VN": create_token(pool, "analyst", "VN").token, "118": create_token(pool, "clerk", "118").token}
        app = build_read_app(settings)
        app.include_router(reports_api.router)
        with TestClient(app) as client:

            def get(token: str, **params: Any) -> Any:
                return client.get("/v1/live", params=params, headers={"Authorization": f"Bearer {tokens[token]}"})

            r = get("VN", area="14", period="2024")
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["values"]["child_marriages"] == 1 and body["values"]["net_migration"] == 1
            assert (body["live_from"], body["behind"]) == ("2024-01-01", 0)
            assert get("VN", area="14", period="2023").status_code == 404  # before live_from: the SQL path
            assert get("118", area=A, period="2024").status_code == 403
            assert get("VN", area="14", period="2024-13").status_code == 422
        assert worker.stop() == 0, worker.tail()
    finally:
        if worker is not None and worker.proc is not None and worker.proc.poll() is None:
            worker.kill()  # a failed assertion must not leave the worker running
        pool.close()


async def commit_forward_offset(settings: Settings, partition: int, offset: int) -> None:
    """Move the worker group's committed offset of one events partition (the group must be empty)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=app_id(settings), enable_auto_commit=False
    )
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic(EVENTS), partition)
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()


async def test_records_that_never_reached_the_counters_are_read_again_in_order(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """faust can lose a record between the events topic and the counters (when partitions are
    assigned it resumes fetching before it seeks to the committed offsets; the group then reads on
    after the record). Made exact here: the group's committed offsets are moved past records never
    copied: in one events partition all but its last record (the count sees a gap), in another all
    of them (no later record shows a gap: the audit sees the consumer read past what is counted).
    Both are read again, counted in order, and the counters agree with the SQL path."""
    settings = make_settings()
    pool = db.open_pool(settings, max_size=3)
    worker: Worker | None = None
    try:
        load_builtin(pool)
        f = EventFactory(builtin_gazetteer())
        first, second = batches(f)
        with pool.connection() as conn:
            version = versions.ensure_live(conn)
        worker = Worker(settings, tmp_path / "home").start()
        await produce(settings, f, first)
        await asyncio.to_thread(wait_caught_up, settings, pool, worker)
        assert worker.stop() == 0, worker.tail()  # leaves the group, so its offsets can be moved
        by_partition: dict[int, list[int]] = {}
        for partition, offset in await produce(settings, f, second):
            by_partition.setdefault(partition, []).append(offset)
        (gap, offsets), (tail, tail_offsets), *_ = sorted(by_partition.items(), key=lambda kv: -len(kv[1]))
        assert len(offsets) >= 3 and tail_offsets
        await commit_forward_offset(settings, gap, max(offsets))  # all but its last never copied
        await commit_forward_offset(settings, tail, max(tail_offsets) + 1)  # none of them copied
        worker = Worker(settings, tmp_path / "home").start()
        await sink_until_caught_up(settings, version, pool)
        await asyncio.to_thread(wait_caught_up, settings, pool, worker)
        seen = await asyncio.to_thread(compare, pool)
        assert seen[("VN", "2024-11", "in_migrants")] == 1 and seen[("VN", "2024", "births")] == 2
        told = worker.log.read_text(errors="replace")
        assert f"events {gap}:" in told and "never reached the counters; reading them again" in told
        assert f"events {tail}:" in told and "read but never counted; reading them again" in told
        assert worker.stop() == 0, worker.tail()
    finally:
        if worker is not None and worker.proc is not None and worker.proc.poll() is None:
            worker.kill()
        pool.close()
