"""Every rule of EVENTS.md through the real broker and the real worker process: where each lands, why."""

from __future__ import annotations

import time

import orjson
import pytest

from tests.support.register_kit import (
    A,
    B,
    C,
    D,
    birth,
    contraception,
    corrected,
    death,
    divorce,
    family,
    household,
    marriage,
    member_moved,
    merged,
    move_in,
    move_out,
    overridden,
    person,
    pregnancy,
    voided,
)
from tests.support.register_worker import LogReader, RegisterWorker, produce, reference

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OK = "accepted"


def script() -> list[tuple[dict | bytes, str | None]]:
    """(submission, expected outcome): OK, a reason code, or None (a duplicate: no new record)."""
    s: list[tuple[dict | bytes, str | None]] = [(x, OK) for x in [*family("h1"), *family("h2", B)]]
    s += [
        (x, OK)
        for x in [
            household("h3", "2020-01-01", C),
            household("h4", "2020-01-01", D),
            person("y1", "h1", "M", "2001-06-01", "2020-01-01"),
            person("y2", "h1", "F", "2003-06-01", "2020-01-01"),
        ]
    ]
    first_birth = birth("k1", "h1-m", "h1", "F", "2021-04-10")
    held_birth = birth("k2", "h1-m", "h1", "M", "2021-06-01")
    moved_in = move_in(["h2-c"], "h3", "2021-03-01", C)
    late_death = death("h2-f", "2020-12-01", B)
    s += [
        (household("h1", "2020-02-01"), "household_exists"),
        (household("h9", "2020-02-01", "99999"), "unknown_commune"),
        (person("h1-f", "h1", "M", "1990-01-01", "2020-02-01"), "person_exists"),
        (person("x1", "nowhere", "M", "1990-01-01", "2020-02-01"), "household_unknown"),
        (person("x1", "h1", "M", "1990-01-01", "2020-02-01", B), "household_elsewhere"),
        (first_birth, OK),
        (held_birth, "birth_spacing"),
        (birth("h1-c", "h1-m", "h1", "M", "2021-09-10"), "child_exists"),
        (birth("k3", "h1-f", "h1", "M", "2021-09-10"), "mother_not_female"),
        (birth("k3", "h1-c", "h1", "M", "2021-09-10"), "mother_age_out_of_range"),
        (birth("k3", "ghost", "h1", "M", "2021-09-10"), "unknown_person"),
        (birth("k3", "h2-m", "h2", "M", "2021-09-10", A), "not_resident"),
        (contraception("h1-m", "iud", "2019-01-01"), "not_yet_registered"),
        (marriage("y1", "y2", "2021-02-01"), OK),  # under age: accepted, flagged
        (marriage("h1-f", "y2", "2021-03-01"), "already_married"),
        (divorce("h1-f", "y2", "2021-03-01"), "not_married_to_each_other"),
        (divorce("h1-f", "h1-m", "2021-03-01"), OK),
        (moved_in, OK),  # no move_out: a migration from B
        (move_out(["h2-c"], "2021-02-20", B, to=C), OK),  # late: duplicate of that move
        (move_out(["h1-c"], "2021-05-01", A), OK),  # a departure, destination unknown
        (member_moved("h2-c", "h3", "2021-04-01", C), "already_member"),
        (pregnancy("h2-m", "2021-05-01", B), OK),
        (contraception("h2-m", "pill", "2021-06-01", B), OK),
        (contraception("h2-f", "condom", "2021-01-15", B), OK),
        (late_death, OK),  # late: he died before that visit, which is reported as a conflict
        (contraception("h2-f", "condom", "2021-07-01", B), "person_dead"),
        (corrected("k1", {"full_name": "Lò Thị Mai"}, "2021-06-01"), OK),
        (person("k1dup", "h1", "F", "2021-04-10", "2021-06-02"), OK),
        (merged("k1", "k1dup", "2021-06-03"), OK),
        (contraception("k1dup", "pill", "2021-07-01", B), "not_resident"),  # resolves to k1, lives in A
        (overridden(held_birth["event_id"], "2021-07-01"), OK),
        (voided(first_birth["event_id"], "2021-08-01"), OK),
        (first_birth, None),  # a resubmitted duplicate: acknowledged and ignored
        (b'{"event_id": "broken-1", "type": "birth"', "invalid_submission"),
    ]
    return s


def _ids(records, kind):
    out: dict[str, list[dict]] = {}
    for k, _key, value in records:
        if k == kind:
            doc = orjson.loads(value)
            out.setdefault(doc["event"]["event_id"] if kind == "events" else doc["event_id"], []).append(doc)
    return out


async def test_every_rule_lands_where_it_should(make_settings, tmp_path):
    settings = make_settings()
    plan = script()
    items = [item for item, _ in plan]
    expected_records = reference(settings, items)
    worker = RegisterWorker(settings, tmp_path / "home", tmp_path / "worker.log").start()
    try:
        await produce(settings, items)
        async with LogReader(settings) as log:
            await log.until(lambda r: len(r) >= len(expected_records), timeout=120, worker=worker)
            await log.poll(2.0)  # nothing more may come
            records = log.records
    finally:
        assert worker.stop() == 0, worker.tail()

    # byte for byte what the unit-tested engine writes for the same offsets and timestamps
    assert sorted(records) == sorted(expected_records)

    events, reviews = _ids(records, "events"), _ids(records, "review")
    for item, expected in plan:
        if not isinstance(item, dict) or expected is None:
            continue
        eid = item["event_id"]
        if expected == OK:
            assert eid in events, (item["type"], eid, [r["reason"] for r in reviews.get(eid, [])])
        else:
            assert [r["reason"] for r in reviews[eid] if r["reason"] != "conflict_after_late_event"][:1] == [
                expected
            ], item
    assert reviews["offset:" + str(len(items) - 1)][0]["reason"] == "invalid_submission"

    by_type = {
        doc["event"]["payload"].get("child_id"): doc
        for docs in events.values()
        for doc in docs
        if doc["event"]["type"] == "birth"
    }
    k1, k2 = by_type["k1"]["context"], by_type["k2"]["context"]
    assert (k1["birth_order"], k1["mother_age"], k1["area"]) == (
        2,
        30,
        {"commune": A, "district": "001", "province": "01", "country": "VN"},
    )
    assert k2["birth_order"] == 3 and "overridden" in k2["flags"]
    child_marriage = next(d for docs in events.values() for d in docs if d["event"]["type"] == "marriage")
    assert child_marriage["context"]["child_marriage"] is True
    moves = {
        d["event"]["event_id"]: d["context"]
        for docs in events.values()
        for d in docs
        if d["event"]["type"] in ("move_in", "move_out")
    }
    script_moves = [i for i in items if isinstance(i, dict) and i["type"] in ("move_in", "move_out")]
    arrival, late_out, departure = (moves[i["event_id"]] for i in script_moves)
    assert arrival["moves"] == [{"person_id": "h2-c", "from_commune": B, "to_commune": C, "confirmed": True}]
    assert late_out["duplicate_of_move"] == script_moves[0]["event_id"] and late_out["moves"] == []
    assert departure["moves"][0]["confirmed"] is False and departure["moves"][0]["to_commune"] is None
    late = [d for docs in events.values() for d in docs if d["event"]["type"] == "death"][0]
    assert late["context"]["rechecks"]
    conflicts = [r for docs in reviews.values() for r in docs if r["reason"] == "conflict_after_late_event"]
    assert [c["submission"]["event_id"] for c in conflicts] == [late["event"]["event_id"]]
    assert "person_dead" in conflicts[0]["detail"]
    # the duplicate resubmission produced nothing new: one record per event id
    assert all(len(docs) == 1 for docs in events.values())


async def test_a_gazetteer_load_while_the_worker_runs_is_followed(make_settings, tmp_path):
    from events.gazetteer import GazetteerRow
    from infra import db
    from infra.gazetteer_store import load_builtin, load_rows
    from tests.support.register_kit import START

    settings = make_settings()
    worker = RegisterWorker(settings, tmp_path / "home", tmp_path / "worker.log").start()
    try:
        before = household("hz0", "2020-01-01", "99001")
        await produce(settings, [before])
        async with LogReader(settings) as log:
            await log.until(lambda r: len(r) >= 1, timeout=120, worker=worker)
            assert orjson.loads(log.records[0][2])["reason"] == "unknown_commune"
            with db.connect(settings) as conn:  # `popreg gazetteer load` of a new unit
                load_builtin(conn)
                load_rows(conn, [GazetteerRow("99001", "Xã Thử", "999", "Huyện Thử", "99", "Tỉnh Thử", START)], "test")
                conn.commit()
            after = household("hz1", "2020-01-01", "99001")
            await produce(settings, [after], first_offset=1)
            await log.until(lambda r: len(r) >= 2, timeout=120, worker=worker)
            record = orjson.loads(log.records[1][2])
            assert log.records[1][0] == "events", record
            assert record["context"]["area"] == {
                "commune": "99001",
                "district": "999",
                "province": "99",
                "country": "VN",
            }
    finally:
        assert worker.stop() == 0, worker.tail()


def test_worker_command_starts_and_stops_cleanly(make_settings, tmp_path):
    settings = make_settings()
    worker = RegisterWorker(settings, tmp_path / "home", tmp_path / "worker.log").start()
    deadline = time.monotonic() + 120
    while "Ready" not in worker.log.read_text(errors="replace"):  # faust: "[^Worker]: Ready"
        assert worker.alive() and time.monotonic() < deadline, worker.tail()
        time.sleep(0.5)
    assert worker.stop() == 0, worker.tail()
    assert "state_by_key" in worker.log.read_text()
