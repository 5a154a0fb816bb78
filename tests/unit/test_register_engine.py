"""The engine: two clocks, duplicates, redelivery and crashes at every write (pure, dict store)."""

from __future__ import annotations

import orjson
import pytest

from events.codec import decode_review_item
from processors.register import DictStore, Register
from processors.register.rules import RULES
from tests.support.register_kit import (
    A,
    B,
    Harness,
    birth,
    contraception,
    death,
    divorce,
    family,
    household,
    marriage,
    merged,
    move_in,
    move_out,
    overridden,
    person,
    small_gazetteer,
    voided,
)

pytestmark = pytest.mark.unit


def test_late_death_rechecks_later_facts_and_reports_the_conflict():
    h = Harness()
    h.all(family("h1"))
    b = h.send(birth("k1", "h1-m", "h1", "F", "2021-04-10"))
    late = h.send(death("h1-m", "2021-01-05"))  # recorded now, happened before the birth
    assert late.event.context.rechecks == [b.event.event.event_id]
    [item] = late.reviews
    assert item.reason == "conflict_after_late_event"
    assert item.event_id == b.event.event.event_id  # the later fact that no longer holds
    assert item.submission["event_id"] == late.event.event.event_id  # the late fact that caused it
    assert "person_dead" in item.detail
    # reported once: a second late event does not report the same conflict again
    again = h.send(contraception("h1-m", "pill", "2020-06-01"))
    assert again.reviews == [] and b.event.event.event_id in again.event.context.rechecks


def test_late_birth_is_inserted_in_order_and_later_births_are_rechecked():
    h = Harness()
    h.all(family("h1", ceb=0))
    later = h.send(birth("k2", "h1-m", "h1", "F", "2023-04-10"))
    assert later.event.context.birth_order == 1
    late = h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10"))
    assert late.event.context.birth_order == 1
    # the later birth's order moves to 2: readers revise it from `rechecks`
    assert late.event.context.rechecks == [later.event.event.event_id]
    assert late.reviews == []
    assert h.send(birth("k3", "h1-m", "h1", "M", "2024-04-10")).event.context.birth_order == 3


def test_duplicate_event_id_is_accepted_once_and_the_copy_ignored():
    h = Harness()
    h.all(family("h1"))
    first = birth("k1", "h1-m", "h1", "F", "2021-04-10")
    assert h.send(first).events
    before = dict(h.store.data)
    copy = dict(first, payload={**first["payload"], "sex": "M"})  # same event_id, other content
    assert h.send(copy).raw == []
    assert h.register.stats["duplicate"] == 1
    assert {k: v for k, v in h.store.data.items() if not k.startswith("w:")} == {
        k: v for k, v in before.items() if not k.startswith("w:")
    }


def test_redelivery_resends_the_same_bytes_and_changes_nothing():
    h = Harness()
    h.all(family("h1"))
    message = birth("k1", "h1-m", "h1", "F", "2021-04-10")
    first = h.send(message, offset=40)
    before = dict(h.store.data)
    again = h.send(message, offset=40)
    assert again.raw == first.raw
    assert h.store.data == before


def test_invalid_bytes_are_held_with_field_errors():
    h = Harness()
    r = h.send({"event_id": "bad-1", "type": "birth", "occurred_on": "2021-13-01"})
    assert r.reason == "invalid_submission" and r.reviews[0].event_id == "bad-1"
    raw = h.register.process(b"not json", 9, 1_700_000_000_000)
    item = decode_review_item(raw[0][2])
    assert item.reason == "invalid_submission" and item.event_id == "offset:9"


def test_a_bug_in_a_rule_holds_the_submission_and_an_override_can_apply_it(monkeypatch):
    h = Harness()
    h.all(family("h1"))

    def broken(ev):
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(RULES, "contraception.started", broken)
    held = h.send(contraception("h1-m", "pill", "2021-01-01"))
    assert held.reason == "processing_error" and "boom" in held.reviews[0].detail
    monkeypatch.undo()
    assert h.send(overridden(held.reviews[0].event_id, "2021-02-01")).events


def test_accepted_at_comes_from_the_message_timestamp():
    h = Harness()
    r = h.send(household("h1", "2020-01-01"), offset=5)
    assert r.event.context.accepted_at.isoformat() == "2023-11-14T22:13:25+00:00"
    assert r.event.context.submission_offset == 5


def scenario() -> list[dict]:
    """A little of everything, with late events, moves, merges, voids and an override."""
    subs = [*family("h1"), *family("h2", B), household("h3", "2020-01-01", B)]
    subs += [
        birth("k1", "h1-m", "h1", "F", "2021-04-10"),
        birth("k2", "h1-m", "h1", "M", "2021-06-10"),  # held: spacing
        person("dup", "h2", "F", "1990-05-01", "2020-02-01", B),
        merged("h2-m", "dup", "2020-06-01", B),
        birth("k3", "dup", "h2", "M", "2021-05-05", B),
        move_out(["h1-c"], "2021-07-01", A),
        move_in(["h1-c"], "h3", "2021-08-01", B),
        death("h2-f", "2021-03-01", B),
        marriage("h2-m", "h1-f", "2021-01-01", B),  # held: both married
        divorce("h1-f", "h1-m", "2021-09-01"),
        contraception("h1-m", "iud", "2021-10-01"),
        death("h1-m", "2021-02-01"),  # late: after it, the birth of k1 no longer holds
    ]
    subs.append(voided(subs[-5]["event_id"], "2021-11-01", B))  # void the death of h2-f
    subs.append(overridden(subs[8]["event_id"], "2021-11-02"))  # the held birth of k2
    subs.append(subs[5])  # a resubmitted duplicate
    return subs


def _run(store: DictStore, messages: list[bytes], start: int, stop_after_puts: int | None = None):
    """Process from `start`; with stop_after_puts, 'kill' the worker after that many store writes."""
    register = Register(store, small_gazetteer())
    puts = 0
    real_put = store.put

    class Killed(Exception):
        pass

    def put(key, value):
        nonlocal puts
        if stop_after_puts is not None and puts >= stop_after_puts:
            raise Killed
        puts += 1
        real_put(key, value)

    store.put = put  # type: ignore[method-assign]
    sent: list[tuple[int, tuple]] = []
    try:
        for offset in range(start, len(messages)):
            for out in register.process(messages[offset], offset, 1_700_000_000_000 + offset):
                sent.append((offset, out))
    except Killed:
        return sent, offset
    finally:
        store.put = real_put  # type: ignore[method-assign]
    return sent, None


@pytest.mark.parametrize("lag", [0, 3, 1000])
def test_a_crash_at_any_write_then_restart_ends_in_the_same_state_and_records(lag):
    messages = [orjson.dumps(s) for s in scenario()]
    reference_store = DictStore()
    reference, _ = _run(reference_store, messages, 0)
    ref_records = {out for _, out in reference}
    kills = 0
    for kill_at in range(10_000):
        store = DictStore()
        before, crashed_at = _run(store, messages, 0, kill_at)
        if crashed_at is None:
            break
        kills += 1
        # faust committed some earlier offset (`lag` behind); everything after is delivered again
        committed = max(0, crashed_at - lag)
        after, _ = _run(store, messages, committed)
        records = [out for _, out in before] + [out for _, out in after]
        assert set(records) == ref_records, f"kill after {kill_at} writes"
        by_id: dict[bytes, set[bytes]] = {}
        for kind, _key, value in records:
            event_id = orjson.loads(value)["event"]["event_id"] if kind == "events" else None
            if event_id:
                by_id.setdefault(event_id, set()).add(value)
        assert all(len(v) == 1 for v in by_id.values()), "a copy on the log differs from the original"
        # ring slots (w:) are the engine's scratch: a re-run after a partial write records only
        # the ops still missing then
        assert _state(store) == _state(reference_store), f"state differs after kill at {kill_at}"
    assert kills > 2 * len(messages)  # every write of every submission was a kill point


def _state(store: DictStore) -> dict[str, bytes]:
    return {k: v for k, v in store.data.items() if not k.startswith("w:")}


class ChangelogModel:
    """The faust table as it behaves across kill -9: a local RocksDB that keeps every write, and a
    changelog of which only a prefix reaches the broker; a commit flushes it first."""

    def __init__(self, rnd):
        self.rnd = rnd
        self.local = DictStore()
        self.log: list[tuple[str, bytes]] = []
        self.flushed = 0  # log length at the last commit (faust flushes before committing)
        self.budget: int | None = None

    def get(self, key):
        return self.local.get(key)

    def put(self, key, value):
        if self.budget is not None:
            if self.budget == 0:
                raise KeyboardInterrupt  # kill -9 between two writes
            self.budget -= 1
        self.local.put(key, value)
        self.log.append((key, self.local.data[key]))

    def crash_and_restart(self, fresh_disk: bool) -> None:
        durable = self.rnd.randint(self.flushed, len(self.log))
        persisted = self.rnd.randint(max(0, durable - 40), durable)  # acked before the kill
        self.log = self.log[:durable]
        if fresh_disk:  # another machine: the table is the changelog, nothing else
            self.local = DictStore()
            replay = self.log
        else:  # same disk: RocksDB kept everything; faust replays the changelog after `persisted`
            replay = self.log[persisted:]
        for key, value in replay:
            self.local.data[key] = value
        self.flushed = durable


@pytest.mark.parametrize("seed", range(40))
def test_kill_with_a_lagging_changelog_and_a_replay_that_reverts_keys(seed):
    import random

    rnd = random.Random(seed)
    messages = [orjson.dumps(s) for s in scenario()]
    reference_store = DictStore()
    reference, _ = _run(reference_store, messages, 0)
    model = ChangelogModel(rnd)
    committed, sent = 0, set()
    for _life in range(3):
        model.budget = rnd.randrange(5, 120)
        register = Register(model, small_gazetteer())
        offset = committed
        try:
            while offset < len(messages):
                sent.update(register.process(messages[offset], offset, 1_700_000_000_000 + offset))
                offset += 1
                if rnd.random() < 0.3:  # faust commits: flush first, then the offset
                    model.flushed, committed = len(model.log), offset
        except KeyboardInterrupt:
            model.crash_and_restart(fresh_disk=rnd.random() < 0.5)
            continue
        break
    model.budget = None
    register = Register(model, small_gazetteer())
    for offset in range(committed, len(messages)):
        sent.update(register.process(messages[offset], offset, 1_700_000_000_000 + offset))
    assert sent == {out for _, out in reference}
    assert _state(model.local) == _state(reference_store)
    from_changelog = DictStore()
    for key, value in model.log:
        from_changelog.data[key] = value
    assert _state(from_changelog) == _state(reference_store), "the changelog alone must rebuild the state"


def test_a_unit_loaded_while_running_is_used_before_holding_for_unknown_commune():
    from events.gazetteer import Gazetteer, GazetteerRow
    from tests.support.register_kit import START

    new_unit = GazetteerRow("99001", "Xã Mới", "999", "Huyện Mới", "99", "Tỉnh Mới", START)
    asked: list[int] = []

    def newer():
        asked.append(1)
        return Gazetteer([*small_gazetteer().rows, new_unit]) if len(asked) > 1 else None

    register = Register(DictStore(), small_gazetteer(), newer)
    first = register.process(orjson.dumps(household("hx", "2020-01-01", "99001")), 0, 1_700_000_000_000)
    assert decode_review_item(first[0][2]).reason == "unknown_commune"  # nothing newer yet
    second = register.process(orjson.dumps(household("hy", "2020-01-01", "99001")), 1, 1_700_000_001_000)
    assert second[0][0] == "events" and len(asked) == 2


def test_kit_baseline_is_accepted():
    h = Harness()
    results = h.all(family())
    assert [r.event.event.type for r in results] == ["household.registered"] + ["person.registered"] * 3
    assert results[1].event.context.area.province == "01"
