"""The live counters' engine over a dict store: what each event adds, copies, voids, corrections,
moves followed at each level, and a crash after any write of a record (figures worked by hand)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from infra.gazetteer_store import builtin_gazetteer
from processors.indicators import DictStore, LiveCounters, Places
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.unit

A, B, C, D = "03646", "03649", "03682", "00001"  # A, B: district 116; C: 118 (all province 14); D: 001, 01
FROM = date(2024, 1, 1)


@pytest.fixture(scope="module")
def places() -> Places:
    return Places(builtin_gazetteer())


@pytest.fixture
def f() -> EventFactory:
    return EventFactory(builtin_gazetteer())


def run(places: Places, records: list[dict[str, Any]], store: DictStore | None = None) -> LiveCounters:
    counters = LiveCounters(store or DictStore(), places, FROM)
    for tag, record in enumerate(records):
        counters.process(orjson.dumps(record), tag)
    return counters


def values(counters: LiveCounters) -> dict[tuple[str, str, str], int]:
    out = {}
    for key, (_, counts) in counters.store.data.items():  # type: ignore[attr-defined]
        if key.startswith("n|"):
            _, area, period = key.split("|")
            out.update({(area, period, name): value for name, value in counts.items() if value})
    return out


def person(f: EventFactory, pid: str, commune: str, sex: str = "F", hh: str = "H1") -> dict[str, Any]:
    return f.record(
        "person.registered",
        "2020-01-01",
        commune,
        {
            "person_id": pid,
            "household_id": hh,
            "full_name": pid,
            "sex": sex,
            "birth_date": "1995-01-01",
            "relation_to_head": "head",
            "marital_status": "married",
        },
        event_id=f"reg-{pid}",
    )


def test_a_birth_counts_at_every_level_in_its_month_quarter_and_year(places, f) -> None:
    born = f.record(
        "birth", "2024-02-10", A, {"child_id": "K", "household_id": "H1", "mother_id": "M", "sex": "M"}, birth_order=3
    )
    got = values(run(places, [born]))
    for area in (A, "116", "14", "VN"):
        for period in ("2024-02", "2024-Q1", "2024"):
            for name in ("births", "births_male", "births_order_3_plus"):
                assert got.pop((area, period, name)) == 1
    assert got == {}


def test_a_copy_counts_once_and_a_void_takes_the_event_back(places, f) -> None:
    died = f.record("death", "2024-03-01", A, {"person_id": "P"}, event_id="d1")
    void = f.record("event.voided", "2024-04-01", A, {"voided_event_id": "d1", "reason": "wrong person"})
    counters = run(places, [died, died])
    assert values(counters)[(A, "2024-03", "deaths")] == 1
    assert counters.stats["duplicate"] == 1
    counters.process(orjson.dumps(void), 2)
    counters.process(orjson.dumps(void), 3)  # the void's copy takes nothing back twice
    assert values(counters) == {}


def test_a_void_that_arrives_before_its_event_keeps_it_from_counting(places, f) -> None:
    wed = f.record("marriage", "2024-05-05", C, {"person_ids": ["X", "Y"]}, event_id="m1", child_marriage=True)
    void = f.record("event.voided", "2024-05-06", C, {"voided_event_id": "m1", "reason": "x"})
    assert values(run(places, [void, wed])) == {}
    assert values(run(places, [wed]))[("14", "2024", "child_marriages")] == 1


def test_late_events_count_in_their_own_period_and_days_before_live_from_not_at_all(places, f) -> None:
    late = f.record("death", "2024-01-20", A, {"person_id": "P"}, recorded_at="2024-06-01")
    old = f.record("death", "2023-12-31", A, {"person_id": "Q"})
    got = values(run(places, [late, old]))
    assert got[(A, "2024-01", "deaths")] == 1
    assert not any(period.startswith("2023") for _, period, _ in got)


def test_moves_cross_only_the_levels_whose_areas_differ(places, f) -> None:
    recs = [
        person(f, "P5", B, "M"),
        person(f, "P8", D, "M"),
        f.record(
            "move_out",
            "2024-05-01",
            B,
            {"person_ids": ["P5"], "to_commune": A},
            event_id="o1",
            moves=[{"person_id": "P5", "from_commune": B, "to_commune": A, "confirmed": False}],
        ),
        f.record(
            "move_in",
            "2024-05-03",
            A,
            {"person_ids": ["P5"], "household_id": "H6", "from_commune": B},
            moves=[{"person_id": "P5", "from_commune": B, "to_commune": A, "confirmed": True}],
            flags=["completes_move:o1"],
        ),
        # between provinces, destination not said on the move_out: every level until the move_in
        f.record(
            "move_out",
            "2024-08-01",
            D,
            {"person_ids": ["P8"]},
            event_id="o2",
            moves=[{"person_id": "P8", "from_commune": D, "to_commune": None, "confirmed": False}],
        ),
    ]
    counters = run(places, recs)
    got = values(counters)
    assert got[(B, "2024-05", "out_migrants")] == 1 and got[(A, "2024-05", "in_migrants")] == 1
    assert ("116", "2024-05", "out_migrants") not in got and ("14", "2024", "in_migrants") not in got
    assert got[("VN", "2024-08", "out_migrants")] == 1  # unknown destination: crosses every level
    arrival = f.record(
        "move_in",
        "2024-08-05",
        B,
        {"person_ids": ["P8"], "household_id": "H3", "from_commune": D},
        moves=[{"person_id": "P8", "from_commune": D, "to_commune": B, "confirmed": True}],
        flags=["completes_move:o2"],
    )
    counters.process(orjson.dumps(arrival), 99)
    got = values(counters)
    assert ("VN", "2024-08", "out_migrants") not in got  # now known: inside the country
    assert got[("01", "2024-08", "out_migrants")] == 1 and got[("14", "2024-Q3", "in_migrants")] == 1


def test_a_move_in_without_move_out_counts_out_of_where_the_register_knew_them(places, f) -> None:
    known = f.record(
        "move_in",
        "2024-09-15",
        D,
        {"person_ids": ["P9"], "household_id": "H5"},
        moves=[{"person_id": "P9", "from_commune": B, "to_commune": D, "confirmed": True}],
    )
    got = values(run(places, [person(f, "P9", B, "M"), known]))
    assert got[("14", "2024-09", "out_migrants")] == 1 and got[("01", "2024-09", "in_migrants")] == 1
    # an arrival registered here first (a newcomer): an in-migrant only
    newcomer = [
        person(f, "N1", A),
        f.record(
            "move_in",
            "2024-10-01",
            A,
            {"person_ids": ["N1"], "household_id": "H1", "from_commune": "ABROAD"},
            moves=[{"person_id": "N1", "from_commune": "ABROAD", "to_commune": A, "confirmed": True}],
        ),
    ]
    got = values(run(places, newcomer))
    assert got[("VN", "2024-10", "in_migrants")] == 1 and not any(n == "out_migrants" for *_, n in got)


def test_contraception_new_users_are_women_and_a_corrected_birth_date_moves_the_birth(places, f) -> None:
    recs = [
        person(f, "W", A, "F"),
        person(f, "Mn", A, "M"),
        f.record("contraception.started", "2024-03-01", A, {"person_id": "W", "method": "pill"}),
        f.record("contraception.started", "2024-03-01", A, {"person_id": "Mn", "method": "condom"}),
        f.record("birth", "2024-03-30", A, {"child_id": "C2", "household_id": "H1", "mother_id": "W", "sex": "M"}),
        f.record("person.corrected", "2024-04-20", A, {"person_id": "C2", "changes": {"birth_date": "2024-04-02"}}),
    ]
    got = values(run(places, recs))
    assert got[(A, "2024-03", "contraception_new_users")] == 1
    assert (A, "2024-Q1", "births") not in got and got[(A, "2024-Q2", "births")] == 1


class Crash(Exception):
    pass


class CrashAfter(DictStore):
    """Puts go through until `left` reaches 0, then the process dies (what landed stays)."""

    def __init__(self, data: dict[str, Any], left: int):
        super().__init__()
        self.data, self.left = data, left

    def put(self, key: str, value: Any) -> None:
        if self.left == 0:
            raise Crash
        self.left -= 1
        super().put(key, value)


def test_a_crash_after_any_write_of_a_record_then_redelivery_gives_the_same_state(places, f) -> None:
    recs = [
        person(f, "P7", C, "M"),
        f.record(
            "move_out",
            "2024-06-10",
            C,
            {"person_ids": ["P7"], "to_commune": A},
            event_id="o7",
            moves=[{"person_id": "P7", "from_commune": C, "to_commune": A, "confirmed": False}],
        ),
        f.record(
            "move_in",
            "2024-06-12",
            A,
            {"person_ids": ["P7"], "household_id": "H2", "from_commune": C},
            moves=[{"person_id": "P7", "from_commune": C, "to_commune": A, "confirmed": True}],
            flags=["completes_move:o7"],
        ),
        f.record("event.voided", "2024-06-20", A, {"voided_event_id": "o7", "reason": "x"}),
    ]
    clean = run(places, recs).store.data  # type: ignore[attr-defined]
    for last in range(1, len(recs)):
        for writes in range(60):
            data: dict[str, Any] = {}
            base = run(places, recs[:last], DictStore())
            data.update(base.store.data)  # type: ignore[attr-defined]
            crashing = LiveCounters(CrashAfter(data, writes), places, FROM)
            try:
                crashing.process(orjson.dumps(recs[last]), last)
            except Crash:
                pass
            else:
                break  # the record has fewer writes than that: every cut was tried
            again = LiveCounters(CrashAfter(data, -1), places, FROM)
            for tag in range(last, len(recs)):  # at-least-once: redelivered from the crashed record on
                again.process(orjson.dumps(recs[tag]), tag)
            assert data == clean, (last, writes)
