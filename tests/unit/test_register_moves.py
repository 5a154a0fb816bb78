"""Moves follow people: one move is one fact, whichever end of it the register hears first."""

from __future__ import annotations

import pytest

from tests.support.register_kit import (
    A,
    B,
    D,
    Harness,
    contraception,
    family,
    household,
    move_in,
    move_out,
    person,
)

pytestmark = pytest.mark.unit


def _moves(result):
    return [m.model_dump() for m in result.event.context.moves]


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.all([*family("h1"), household("h2", "2020-01-01", B), household("h3", "2020-01-01", D)])
    return harness


def test_move_in_without_move_out_is_a_migration_from_the_last_known_commune(h):
    r = h.send(move_in(["h1-c"], "h2", "2021-03-01", B, frm="ABROAD"))
    assert _moves(r) == [{"person_id": "h1-c", "from_commune": A, "to_commune": B, "confirmed": True}]
    assert "from_commune_differs" in r.event.context.flags
    # now resident in B, no longer in A
    assert h.send(contraception("h1-c", "pill", "2021-04-01", A)).reason == "not_resident"
    assert h.send(contraception("h1-c", "pill", "2021-04-01", B)).events


def test_late_move_out_of_the_same_move_is_a_duplicate(h):
    arrival = h.send(move_in(["h1-c"], "h2", "2021-03-01", B))
    r = h.send(move_out(["h1-c"], "2021-02-25", A, to=B))
    assert r.event.context.duplicate_of_move == arrival.event.event.event_id
    assert r.event.context.moves == []
    # the person still lives in B: the duplicate changed nothing
    assert h.send(contraception("h1-c", "pill", "2021-04-01", B)).events
    # another late move_out of the same move (a resend under a new id) is a duplicate too
    again = h.send(move_out(["h1-c"], "2021-02-26", A))
    assert again.event.context.duplicate_of_move == arrival.event.event.event_id
    # but a move_out from B after the arrival is a real departure
    assert h.send(move_out(["h1-c"], "2021-05-01", B)).event.context.moves[0].from_commune == B


def test_late_move_out_to_another_commune_is_not_that_move(h):
    h.send(move_in(["h1-c"], "h2", "2021-03-01", B))
    r = h.send(move_out(["h1-c"], "2021-02-25", A, to=D))
    # not the same move: it is checked as a departure, and she lived in A then
    assert r.event.context.duplicate_of_move is None
    assert _moves(r) == [{"person_id": "h1-c", "from_commune": A, "to_commune": D, "confirmed": False}]
    assert r.event.context.rechecks  # the later arrival was re-checked


def test_move_out_without_arrival_stays_a_departure(h):
    r = h.send(move_out(["h1-c", "h1-m"], "2021-02-01", A))
    assert _moves(r) == [
        {"person_id": "h1-c", "from_commune": A, "to_commune": None, "confirmed": False},
        {"person_id": "h1-m", "from_commune": A, "to_commune": None, "confirmed": False},
    ]
    assert r.event.context.household_id == "h1"
    assert h.send(contraception("h1-m", "pill", "2021-04-01", A)).reason == "not_resident"


def test_arrival_within_six_months_completes_the_departure(h):
    out = h.send(move_out(["h1-c"], "2021-02-01", A))
    r = h.send(move_in(["h1-c"], "h2", "2021-06-01", B))
    assert _moves(r) == [{"person_id": "h1-c", "from_commune": A, "to_commune": B, "confirmed": True}]
    assert f"completes_move:{out.event.event.event_id}" in r.event.context.flags


def test_arrival_after_six_months_is_a_new_arrival(h):
    h.send(move_out(["h1-c"], "2021-02-01", A))
    r = h.send(move_in(["h1-c"], "h2", "2021-12-01", B, frm=D))
    assert _moves(r) == [{"person_id": "h1-c", "from_commune": D, "to_commune": B, "confirmed": True}]
    assert not [f for f in r.event.context.flags if f.startswith("completes_move")]


def test_arrival_from_outside_is_registered_in_the_same_batch(h):
    h.all([person("n1", "h2", "F", "1995-01-01", "2021-05-01", B)])
    r = h.send(move_in(["n1"], "h2", "2021-05-01", B, frm="ABROAD"))
    assert _moves(r) == [{"person_id": "n1", "from_commune": "ABROAD", "to_commune": B, "confirmed": True}]
    assert h.send(move_in(["n9"], "h2", "2021-05-01", B)).reason == "unknown_person"


def test_whole_household_move_relocates_the_household(h):
    h.all([move_out(["h1-f", "h1-m", "h1-c"], "2021-02-01", A, to=D)])
    r = h.send(move_in(["h1-f", "h1-m", "h1-c"], "h1", "2021-02-03", D, frm=A))
    assert [m.to_commune for m in r.event.context.moves] == [D, D, D]
    assert all(m.from_commune == A for m in r.event.context.moves)
    # the household is now in D: a newborn there joins it
    assert h.send(person("x", "h1", "M", "2000-01-01", "2021-03-01", D)).events


def test_move_in_into_a_household_that_still_lives_elsewhere_is_held(h):
    # h1 keeps members in A; moving only the child into h1 while recorded in B is wrong
    h.all([household("h4", "2020-01-01", B), person("y", "h4", "M", "1990-01-01", "2020-01-01", B)])
    assert h.send(move_in(["y"], "h1", "2021-02-03", B)).reason == "household_elsewhere"


def test_move_inside_the_commune_is_not_a_migration(h):
    h.all([household("h5", "2020-06-01", A)])
    r = h.send(move_in(["h1-c"], "h5", "2021-02-03", A))
    assert r.event.context.moves == [] and "same_commune" in r.event.context.flags
    assert h.send(move_in(["h1-c"], "h5", "2021-02-04", A)).reason == "already_member"


def test_move_in_of_a_dead_person_is_held(h):
    from tests.support.register_kit import death

    h.all([death("h1-f", "2021-01-01")])
    assert h.send(move_in(["h1-f"], "h2", "2021-02-03", B)).reason == "person_dead"
