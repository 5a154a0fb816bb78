"""Every rule of EVENTS.md on the pure register: accepted with the right enrichment, or held with its reason."""

from __future__ import annotations

import pytest

from tests.support.register_kit import (
    A,
    B,
    C,
    D,
    Harness,
    birth,
    contraception,
    death,
    divorce,
    family,
    household,
    marriage,
    member_moved,
    person,
    pregnancy,
    sub,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    harness.all(family("h1"))
    return harness


def test_household_registered_twice_is_held(h):
    assert h.send(household("h1", "2020-02-01")).reason == "household_exists"


def test_unknown_commune_is_held(h):
    assert h.send(household("h9", "2020-02-01", "99999")).reason == "unknown_commune"
    # a commune code that only exists after the 2025 reform, used before it
    assert h.send(household("h9", "2024-02-01", "00097")).reason == "unknown_commune"


def test_person_registered_rules(h):
    assert h.send(person("h1-f", "h1", "M", "1990-01-01", "2020-02-01")).reason == "person_exists"
    assert h.send(person("x1", "nowhere", "M", "1990-01-01", "2020-02-01")).reason == "household_unknown"
    assert h.send(person("x1", "h1", "M", "1990-01-01", "2020-02-01", B)).reason == "household_elsewhere"
    ok = h.send(person("x1", "h1", "M", "1990-01-01", "2020-02-01"))
    assert ok.event.context.household_id == "h1"
    assert ok.event.context.ages == {"x1": 30}
    assert ok.event.context.area.model_dump() == {"commune": A, "district": "001", "province": "01", "country": "VN"}


def test_birth_enrichment_counts_children_ever_born(h):
    r = h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10"))
    ctx = r.event.context
    assert ctx.birth_order == 2  # one child ever born at registration, this is the second
    assert ctx.mother_age == 30
    assert ctx.mother_birth_date.isoformat() == "1990-05-01"
    assert ctx.household_id == "h1"
    assert ctx.subjects == ["k1", "h1-m"]
    assert ctx.ages == {"h1-m": 30, "k1": 0}
    assert h.send(birth("k2", "h1-m", "h1", "F", "2023-01-10")).event.context.birth_order == 3


def test_birth_rules(h):
    assert h.send(birth("h1-c", "h1-m", "h1", "M", "2021-04-10")).reason == "child_exists"
    assert h.send(birth("k1", "nobody", "h1", "M", "2021-04-10")).reason == "unknown_person"
    assert h.send(birth("k1", "h1-f", "h1", "M", "2021-04-10")).reason == "mother_not_female"
    assert h.send(birth("k1", "h1-c", "h1", "M", "2021-04-10")).reason == "mother_age_out_of_range"
    assert h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10", B)).reason == "not_resident"
    assert h.send(birth("k1", "h1-m", "h9", "M", "2021-04-10")).reason == "household_unknown"
    assert h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10")).events
    assert h.send(birth("k2", "h1-m", "h1", "M", "2021-08-01")).reason == "birth_spacing"
    assert h.send(birth("k2", "h1-m", "h1", "M", "2021-09-07")).events  # 150 days later


def test_mother_over_sixty_is_held():
    h = Harness()
    h.all(family("h2", on="2014-01-01", mother_born="1955-01-01"))
    r = h.send(birth("k1", "h2-m", "h2", "F", "2016-01-02"))
    assert r.reason == "mother_age_out_of_range"
    assert "aged 61" in r.reviews[0].detail


def test_twins_share_a_date_only_when_plurality_says_so(h):
    assert h.send(birth("t1", "h1-m", "h1", "F", "2021-04-10", plurality=2)).events
    r = h.send(birth("t2", "h1-m", "h1", "M", "2021-04-10", plurality=2))
    assert r.event.context.birth_order == 3
    assert h.send(birth("t3", "h1-m", "h1", "M", "2021-04-10")).reason == "birth_spacing"


def test_death_rules(h):
    assert h.send(death("nobody", "2021-01-01")).reason == "unknown_person"
    assert h.send(death("h1-f", "2021-01-01", B)).reason == "not_resident"
    r = h.send(death("h1-f", "2021-01-01"))
    assert r.event.context.ages == {"h1-f": 32}
    assert h.send(death("h1-f", "2021-02-01")).reason == "person_dead"
    assert h.send(contraception("h1-f", "condom", "2021-03-01")).reason == "person_dead"
    # the widow: no longer married, may marry again
    h.all([person("x1", "h1", "M", "1985-01-01", "2021-01-05")])
    assert h.send(marriage("h1-m", "x1", "2021-06-01")).events


def test_same_day_as_death_is_still_alive(h):
    h.all([death("h1-m", "2021-04-10")])
    assert h.send(birth("k1", "h1-m", "h1", "M", "2021-04-10")).events


def test_marriage_rules(h):
    h.all(
        [
            person("s1", "h1", "M", "1999-01-01", "2020-01-01"),
            person("s2", "h1", "F", "2003-06-01", "2020-01-01"),
            household("h2", "2020-01-01", B),
            person("s3", "h2", "F", "1998-01-01", "2020-01-01", B),
        ]
    )
    assert h.send(marriage("h1-f", "s3", "2021-01-01")).reason == "already_married"
    assert h.send(marriage("s1", "nobody", "2021-01-01")).reason == "unknown_person"
    assert h.send(marriage("s3", "s1", "2021-01-01")).reason == "not_resident"  # s3 lives in B
    cross = h.send(marriage("s1", "s3", "2021-01-01"))
    assert cross.event.context.child_marriage is False
    assert "cross_commune" in cross.event.context.flags
    assert cross.event.context.household_id == "h1"


def test_under_age_marriage_is_accepted_and_flagged(h):
    h.all([person("s1", "h1", "M", "2001-06-01", "2020-01-01"), person("s2", "h1", "F", "2003-06-01", "2020-01-01")])
    r = h.send(marriage("s1", "s2", "2020-07-01"))  # he is 19, she is 17
    assert r.event.context.child_marriage is True
    assert "child_marriage" in r.event.context.flags
    assert r.event.context.ages == {"s1": 19, "s2": 17}


def test_divorce_rules(h):
    h.all([person("s1", "h1", "M", "1990-01-01", "2020-01-01"), person("s2", "h1", "F", "1990-01-01", "2020-01-01")])
    assert h.send(divorce("s1", "s2", "2021-01-01")).reason == "not_married_to_each_other"
    assert h.send(divorce("h1-f", "s2", "2021-01-01")).reason == "not_married_to_each_other"
    # the head and spouse of an A0 page are married to each other without a marriage fact
    assert h.send(divorce("h1-f", "h1-m", "2021-01-01")).events
    assert h.send(divorce("h1-f", "h1-m", "2021-02-01")).reason == "not_married_to_each_other"
    h.all([marriage("s1", "s2", "2021-03-01")])
    assert h.send(divorce("s2", "s1", "2022-03-01")).events


def test_personal_facts_need_a_living_resident(h):
    for make in (lambda c: contraception("h1-m", "iud", "2021-01-01", c), lambda c: pregnancy("h1-m", "2021-01-01", c)):
        assert make(A) and h.send(make(B)).reason == "not_resident"
    assert h.send(contraception("h1-m", "iud", "2021-01-01")).events
    assert h.send(contraception("h1-m", "iud", "2021-06-01", stopped=True)).events
    assert h.send(pregnancy("h1-m", "2021-07-01")).events
    assert h.send(pregnancy("h1-m", "2021-08-01", outcome="miscarriage")).events
    assert h.send(pregnancy("ghost", "2021-08-01", outcome="miscarriage")).reason == "unknown_person"


def test_member_moved_rules(h):
    h.all([household("h2", "2020-01-01"), household("h3", "2020-01-01", B)])
    assert h.send(member_moved("h1-c", "h1", "2021-01-01")).reason == "already_member"
    assert h.send(member_moved("h1-c", "h3", "2021-01-01")).reason == "household_elsewhere"
    r = h.send(member_moved("h1-c", "h2", "2021-01-01"))
    assert r.event.context.household_id == "h2" and r.event.context.moves == []


def test_not_yet_registered(h):
    # a fact dated before the person's registration
    assert h.send(contraception("h1-m", "pill", "2019-06-01")).reason == "not_yet_registered"


def test_after_the_2025_reform_the_successor_commune_is_the_same_place(h):
    r = h.send(contraception("h1-m", "pill", "2025-08-01", "00097"))
    assert r.event.context.area.district is None and r.event.context.area.commune == "00097"
    assert h.send(contraception("h1-m", "pill", "2025-08-02", C)).reason == "unknown_commune"


def test_every_reason_has_a_rule_text():
    from processors.register.reasons import REASONS

    h = Harness()
    r = h.send(sub("death", {"person_id": "nobody"}, "2021-01-01", D))
    assert r.reviews[0].rule == REASONS["unknown_person"]
    assert all(text and text[0].islower() for text in REASONS.values())
