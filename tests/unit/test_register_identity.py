"""Identity on the pure register: corrections keep history, merges resolve ids, voids and overrides."""

from __future__ import annotations

from datetime import date

import pytest

from processors.register import state_at
from tests.support.register_kit import (
    B,
    Harness,
    birth,
    contraception,
    corrected,
    death,
    divorce,
    family,
    marriage,
    merged,
    overridden,
    person,
    voided,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.all(family("h1"))
    return harness


def test_correction_keeps_every_earlier_value(h):
    h.all(
        [
            birth("k1", "h1-m", "h1", "M", "2021-04-10"),
            corrected("k1", {"full_name": "Lò Văn An"}, "2021-05-01"),
            corrected("k1", {"full_name": "Lò Văn Bình", "sex": "F"}, "2021-09-01"),
        ]
    )
    entries = h.timeline("k1")["entries"]
    assert [e["t"] for e in entries] == ["birth", "person.corrected", "person.corrected"]
    assert [e["d"]["ch"] for e in entries[1:]] == [{"full_name": "Lò Văn An"}, {"full_name": "Lò Văn Bình", "sex": "F"}]
    assert all(e["r"] for e in entries)  # when each value became known
    assert state_at(h.timeline("k1"), date(2021, 4, 10)).sex == "F"  # corrections act on every date
    assert state_at(h.timeline("k1"), date(2021, 4, 10), known_on="2021-06-01T00:00:00.000000Z").sex == "M"
    assert h.send(corrected("nobody", {"sex": "F"}, "2021-09-01")).reason == "unknown_person"


def test_correction_is_allowed_after_death(h):
    h.all([death("h1-c", "2021-01-01")])
    assert h.send(corrected("h1-c", {"full_name": "Nguyễn Thị Hoa"}, "2021-02-01")).events


def test_corrected_birth_date_rechecks_earlier_facts(h):
    h.all([birth("k1", "h1-m", "h1", "M", "2021-04-10")])
    r = h.send(corrected("h1-m", {"birth_date": "2012-01-01"}, "2021-06-01"))
    assert r.events and r.event.context.rechecks
    assert [x.reason for x in r.reviews] == ["conflict_after_late_event"]
    assert "mother_age_out_of_range" in r.reviews[0].detail
    assert r.reviews[0].event_id == h.timeline("h1-m")["entries"][-2]["i"]  # the birth


def test_merge_resolves_later_events_to_the_survivor(h):
    h.all([person("dup", "h1", "F", "1990-05-01", "2020-03-01", ceb=1)])
    r = h.send(merged("h1-m", "dup", "2020-06-01"))
    assert r.event.context.subjects == ["h1-m", "dup"]
    # a birth naming the merged id lands on the survivor, counted once with her history
    b = h.send(birth("k1", "dup", "h1", "F", "2021-04-10"))
    assert b.event.context.subjects == ["k1", "h1-m"]
    assert b.event.context.birth_order == 2  # the duplicate's registration is history, not a second ceb
    assert h.timeline("dup")["mi"] == "h1-m"
    assert h.send(merged("h1-m", "dup", "2020-07-01")).reason == "already_merged"
    assert h.send(merged("h1-f", "h1-f", "2020-07-01")).events == []  # refused by the contract


def test_merge_joins_histories(h):
    h.all(
        [
            person("dup", "h1", "F", "1990-05-01", "2020-03-01"),
            contraception("dup", "iud", "2020-04-01"),
            merged("h1-m", "dup", "2020-06-01"),
        ]
    )
    assert state_at(h.timeline("h1-m"), date(2020, 5, 1)).contraception == "iud"


def test_void_removes_the_fact_from_when_the_void_is_known(h):
    b = h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10"))
    v = h.send(voided(b.event.event.event_id, "2021-05-01"))
    assert sorted(v.event.context.subjects) == ["h1-m", "k1"]
    mother = h.timeline("h1-m")
    assert state_at(mother, date(2021, 6, 1)).live_births == 1
    assert state_at(mother, date(2021, 6, 1), known_on="2021-05-01T00:00:00.000000Z").live_births == 2
    # the birth is gone: a new one within 150 days is fine, and the child does not exist
    assert h.send(birth("k2", "h1-m", "h1", "F", "2021-06-01")).event.context.birth_order == 2
    assert h.send(contraception("k1", "pill", "2021-07-01")).reason == "unknown_person"
    assert h.send(voided(b.event.event.event_id, "2021-08-01")).reason == "already_voided"
    assert h.send(voided("never-sent", "2021-08-01")).reason == "unknown_event"
    assert h.send(voided(v.event.event.event_id, "2021-08-01")).reason == "not_voidable"


def test_voiding_a_fact_rechecks_what_came_after(h):
    m = h.send(divorce("h1-f", "h1-m", "2021-01-01"))
    h.all([marriage("h1-f", "h1-m", "2022-01-01")])
    r = h.send(voided(m.event.event.event_id, "2022-02-01"))
    # without the divorce, the remarriage finds them married already (one item per later fact)
    assert [x.reason for x in r.reviews] == ["conflict_after_late_event"]
    assert r.reviews[0].event_id == h.timeline("h1-f")["entries"][-1]["i"]
    assert "already_married" in r.reviews[0].detail


def test_override_applies_the_held_submission_skipping_the_failed_rule(h):
    h.all([birth("k1", "h1-m", "h1", "M", "2021-04-10")])
    held = h.send(birth("k2", "h1-m", "h1", "F", "2021-06-01"))
    assert held.reason == "birth_spacing"
    r = h.send(overridden(held.reviews[0].event_id, "2021-07-01"))
    assert [e.event.type for e in r.events] == ["birth", "review.overridden"]
    record = r.events[0]
    assert record.event.event_id == held.reviews[0].event_id
    assert record.context.birth_order == 3
    assert {"overridden", "skipped:birth_spacing"} <= set(record.context.flags)
    assert h.send(overridden(held.reviews[0].event_id, "2021-07-02")).reason == "already_resolved"
    assert h.send(overridden("never-held", "2021-07-02")).reason == "unknown_held_event"


def test_override_that_hits_another_rule_waits_and_can_be_overridden_again(h):
    h.all([birth("k1", "h1-m", "h1", "M", "2021-04-10")])
    held = h.send(birth("k2", "h1-m", "h1", "F", "2021-06-01", B))  # spacing and residence
    assert held.reason == "not_resident"
    first = h.send(overridden(held.reviews[0].event_id, "2021-07-01"))
    assert first.reason == "birth_spacing"
    second = h.send(overridden(held.reviews[0].event_id, "2021-07-02"))
    assert second.reason == "household_elsewhere"  # h1 is in A
    third = h.send(overridden(held.reviews[0].event_id, "2021-07-03"))
    flags = set(third.events[0].context.flags)
    assert {"skipped:not_resident", "skipped:household_elsewhere", "skipped:birth_spacing"} <= flags


def test_void_of_a_held_submission_dismisses_it(h):
    held = h.send(birth("k1", "h1-f", "h1", "M", "2021-04-10"))
    assert held.reason == "mother_not_female"
    r = h.send(voided(held.reviews[0].event_id, "2021-05-01"))
    assert "dismisses_review" in r.event.context.flags
    assert h.send(overridden(held.reviews[0].event_id, "2021-05-02")).reason == "already_resolved"
