"""The pure fold: a person's status on any date from their timeline, no Kafka, no store."""

from __future__ import annotations

from datetime import date

import pytest

from processors.register import PersonState, age_on, fold, state_at
from processors.register.state import HouseholdState, fold_household, household_at, state_before
from processors.register.timeline import insert, new_timeline, sort_key

pytestmark = pytest.mark.unit


def entry(i, t, o, d=None, r=None, c="00001", **extra):
    e = {"i": i, "t": t, "o": o, "r": r or f"{o}T02:00:00.000000Z", "c": c, **extra}
    if d:
        e["d"] = d
    return e


def timeline(*entries):
    tl = new_timeline()
    for e in entries:
        insert(tl, e)
    return tl


REG = entry(
    "e1", "person.registered", "2020-01-01", {"s": "F", "b": "1990-05-01", "h": "h1", "ms": "never_married", "ceb": 2}
)


def test_fold_is_pure_and_records_the_event():
    s0 = PersonState()
    s1 = fold(s0, REG)
    assert s0 == PersonState() and s1.exists and s1.present and s1.events == ["e1"]
    assert (s1.sex, s1.birth_date, s1.household_id, s1.commune, s1.live_births) == (
        "F",
        date(1990, 5, 1),
        "h1",
        "00001",
        2,
    )


def test_state_at_every_status():
    tl = timeline(
        REG,
        entry("e2", "marriage", "2020-06-01", {"sp": "p9"}),
        entry("e3", "contraception.started", "2020-07-01", {"m": "iud"}),
        entry("e4", "contraception.stopped", "2021-01-01", {"m": "iud"}),
        entry("e5", "birth", "2021-11-01", {"role": "mother", "ch": "k1"}),
        entry("e6", "move_out", "2022-03-01", {"to": "00004"}),
        entry("e7", "move_in", "2022-03-05", {"h": "h7", "fr": "00001"}, c="00004"),
        entry("e8", "divorce", "2023-01-01", {"sp": "p9"}, c="00004"),
        entry("e9", "death", "2024-01-01", c="00004"),
    )
    before = state_at(tl, date(2019, 12, 31))
    assert not before.exists
    s = state_at(tl, date(2020, 8, 1))
    assert (s.marital_status, s.spouse, s.contraception) == ("married", "p9", "iud")
    s = state_at(tl, date(2021, 11, 1))
    assert (s.contraception, s.live_births, s.last_birth_on) == (None, 3, date(2021, 11, 1))
    s = state_at(tl, date(2022, 3, 2))
    assert (s.present, s.commune, s.departed_to, s.departure_id) == (False, "00001", "00004", "e6")
    s = state_at(tl, date(2022, 3, 5))
    assert (s.present, s.commune, s.household_id, s.departed_on) == (True, "00004", "h7", None)
    s = state_at(tl, date(2023, 6, 1))
    assert (s.marital_status, s.spouse, s.alive) == ("divorced", None, True)
    s = state_at(tl, date(2024, 1, 1))
    assert (s.alive, s.present, s.died_on, s.commune) == (False, False, date(2024, 1, 1), "00004")


def test_same_day_ties_go_by_recorded_at_then_event_id():
    late_recorded = entry("a", "contraception.started", "2021-01-01", {"m": "pill"}, r="2021-03-01T00:00:00.000000Z")
    early_recorded = entry("b", "contraception.started", "2021-01-01", {"m": "iud"}, r="2021-01-02T00:00:00.000000Z")
    tl = timeline(REG, late_recorded, early_recorded)
    assert [e["i"] for e in tl["entries"]] == ["e1", "b", "a"]
    assert state_at(tl, date(2021, 1, 1)).contraception == "pill"
    assert state_before(tl, sort_key(late_recorded)).contraception == "iud"


def test_corrections_apply_to_every_date_and_keep_history():
    tl = timeline(
        REG,
        entry(
            "c1",
            "person.corrected",
            "2022-01-01",
            {"ch": {"birth_date": "1991-05-01"}},
            r="2022-01-03T00:00:00.000000Z",
        ),
    )
    assert state_at(tl, date(2020, 1, 1)).birth_date == date(1991, 5, 1)
    known_then = state_at(tl, date(2020, 1, 1), known_on="2021-12-31T00:00:00.000000Z")
    assert known_then.birth_date == date(1990, 5, 1)
    assert tl["entries"][0]["d"]["b"] == "1990-05-01"  # the earlier value is kept


def test_voided_entries_leave_the_timeline_from_when_the_void_is_known():
    tl = timeline(REG, entry("d1", "death", "2021-01-01", v="2021-06-01T00:00:00.000000Z", vi="v1"))
    assert state_at(tl, date(2022, 1, 1)).alive
    assert not state_at(tl, date(2022, 1, 1), known_on="2021-03-01T00:00:00.000000Z").alive
    # not yet recorded as known on an earlier moment
    assert state_at(tl, date(2022, 1, 1), known_on="2020-12-01T00:00:00.000000Z").alive


def test_widowhood_on_the_spouse_death():
    tl = timeline(
        REG,
        entry("m1", "marriage", "2020-06-01", {"sp": "p9"}),
        entry("x1", "death", "2022-01-01", {"role": "spouse", "of": "p9"}),
    )
    s = state_at(tl, date(2022, 1, 1))
    assert (s.marital_status, s.spouse, s.alive) == ("widowed", None, True)


def test_merged_duplicate_registration_does_not_count_twice():
    dup = {**REG, "i": "e0", "o": "2019-06-01", "m": "p2", "x": 1}
    tl = timeline(REG, dup)
    s = state_at(tl, date(2020, 2, 1))
    assert s.live_births == 2 and s.registered_on == date(2020, 1, 1)


def test_age_in_completed_years():
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert age_on(None, date(2018, 3, 1)) is None


def test_household_commune_and_members_over_time():
    tl = timeline(
        entry("h", "household.registered", "2020-01-01", {"c": "00001"}),
        entry("p1", "person.registered", "2020-01-01", {"join": ["a"]}),
        entry("p2", "birth", "2021-01-01", {"join": ["b"]}),
        entry("o1", "move_out", "2022-01-01", {"leave": ["a", "b"]}),
        entry("i1", "move_in", "2022-01-05", {"join": ["a", "b"], "moveto": "00004"}, c="00004"),
    )
    assert household_at(tl, date(2021, 6, 1)) == HouseholdState(True, "00001", frozenset({"a", "b"}))
    assert household_at(tl, date(2022, 1, 2)).members == frozenset()
    assert household_at(tl, date(2022, 1, 5)).commune == "00004"
    assert fold_household(HouseholdState(), tl["entries"][0]).exists


def test_a_timeline_stored_in_the_old_day_order_is_put_in_the_one_order_on_its_next_write():
    # recorded order (the old key): the death was written down before the birth of the same day
    death = {"i": "d", "t": "death", "o": "2024-07-01", "r": "2024-07-01T04:00:00.000000Z"}
    born = {"i": "b", "t": "birth", "o": "2024-07-01", "r": "2024-07-01T05:00:00.000000Z"}
    later = {"i": "c", "t": "contraception.started", "o": "2024-08-01", "r": "2024-08-02T05:00:00.000000Z"}
    timeline = {"entries": [death, born]}
    assert insert(timeline, later)
    assert [e["i"] for e in timeline["entries"]] == ["b", "d", "c"]
    assert [sort_key(e) for e in timeline["entries"]] == sorted(sort_key(e) for e in timeline["entries"])
