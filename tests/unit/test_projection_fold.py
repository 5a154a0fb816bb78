"""The pure folds: a person's events become episodes and flows, versioned over knowledge time."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from events.calendar import add_months
from events.calendar import completed_age as age
from projections.fold.bitemporal import Versions
from projections.fold.records import Record, read_event
from projections.fold.units import project
from projections.rules import Rules
from tests.support.synthetic import EventFactory, at

pytestmark = pytest.mark.unit

A, B, D = "03646", "03649", "00001"


class Log:
    """A small log built by hand: records in, rows of every table out (pure)."""

    def __init__(self) -> None:
        self.f = EventFactory(prefix="u")
        self.records: list[dict[str, Any]] = []

    def add(self, type_: str, on: str, commune: str, payload: dict[str, Any], recorded: Any = None, **ctx: Any) -> str:
        rec = self.f.record(type_, on, commune, payload, recorded_at=recorded, **ctx)
        self.records.append(rec)
        return rec["event"]["event_id"]

    def person(
        self,
        pid: str,
        hh: str,
        sex: str,
        born: str,
        commune: str = A,
        marital: str = "married",
        on: str = "2020-01-01",
        **extra: Any,
    ) -> str:
        return self.add(
            "person.registered",
            on,
            commune,
            {
                "person_id": pid,
                "household_id": hh,
                "full_name": pid,
                "sex": sex,
                "birth_date": born,
                "relation_to_head": "head",
                "marital_status": marital,
                **extra,
            },
        )

    def events(self) -> list:
        return [read_event(Record("t", 0, i, self.f.encode(r)))[0] for i, r in enumerate(self.records)]

    def rows(self, rules: Rules | None = None) -> dict[str, list[tuple]]:
        return project(self.events(), rules or Rules())


def current(rows: list[tuple]) -> list[tuple]:
    """Rows as known now (known_to is NULL), without the two knowledge columns."""
    return [r[:-2] for r in rows if r[-1] is None]


def test_age_and_months() -> None:
    assert age(date(1999, 7, 1), date(2024, 6, 30)) == 24
    assert age(date(1999, 7, 1), date(2024, 7, 1)) == 25
    # 29 February: the birthday is 1 March in common years (as PostgreSQL's age() counts)
    assert age(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age(date(2000, 2, 29), date(2025, 3, 1)) == 25
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)


def test_versions_merge_repeats_and_close_disappearing_rows() -> None:
    v = Versions(["t"])
    t1, t2, t3 = at("2024-01-01"), at("2024-02-01"), at("2024-03-01")
    v.step(t1, {"t": [("a",), ("b",)]})
    v.step(t2, {"t": [("a",), ("c",)]})
    v.step(t3, {"t": [("a",), ("c",)]})
    assert sorted(v.close()["t"]) == [("a", t1, None), ("b", t1, t2), ("c", t2, None)]


def test_late_birth_is_known_from_its_recording_and_ordered_on_the_mother() -> None:
    log = Log()
    log.person("M", "H", "F", "1990-01-01", children_ever_born=2)
    late = log.add(
        "birth",
        "2024-01-20",
        A,
        {"child_id": "K1", "household_id": "H", "mother_id": "M", "sex": "F"},
        at("2024-03-10"),
    )
    rows = log.rows()
    (birth,) = rows["births"]
    assert birth[0] == late and birth[3] == date(2024, 1, 20)
    assert birth[5] == 3  # two children ever born at registration, then this one
    assert birth[6:8] == (date(1990, 1, 1), 34)
    assert birth[-2:] == (at("2024-03-10"), None)
    child = [r for r in rows["residence_episodes"] if r[0] == "K1"]
    assert [r[4:8] for r in child] == [(date(2024, 1, 20), None, "birth", None)]


def test_a_void_is_known_from_the_void_and_the_person_is_back() -> None:
    log = Log()
    log.person("P", "H", "M", "1940-01-01")
    death = log.add("death", "2024-02-10", A, {"person_id": "P"}, at("2024-02-12"))
    log.add("event.voided", "2024-04-05", A, {"voided_event_id": death, "reason": "wrong person"})
    rows = log.rows()
    assert [r[-2:] for r in rows["deaths"]] == [(at("2024-02-12"), at("2024-04-05"))]
    assert rows["deaths"][0][3] == A  # where he lived the day before
    residence = sorted(((r[5], r[-2], r[-1]) for r in rows["residence_episodes"]), key=lambda r: r[1])
    assert residence == [
        (None, at("2020-01-01"), at("2024-02-12")),
        (date(2024, 2, 10), at("2024-02-12"), at("2024-04-05")),  # as known between death and void
        (None, at("2024-04-05"), None),
    ]
    (person,) = [r for r in rows["persons"] if r[0] == "P"]
    assert person[1] == "alive"


def test_a_corrected_birth_date_moves_the_birth() -> None:
    log = Log()
    log.person("M", "H", "F", "1990-05-20")
    log.add(
        "birth", "2024-03-30", A, {"child_id": "K", "household_id": "H", "mother_id": "M", "sex": "M"}, at("2024-04-02")
    )
    log.add("person.corrected", "2024-04-20", A, {"person_id": "K", "changes": {"birth_date": "2024-04-02"}})
    births = sorted(log.rows()["births"], key=lambda r: r[-2])
    assert [(r[3], r[-2], r[-1]) for r in births] == [
        (date(2024, 3, 30), at("2024-04-02"), at("2024-04-20")),
        (date(2024, 4, 2), at("2024-04-20"), None),
    ]
    history = [r for r in log.rows()["person_attribute_history"] if r[0] == "K" and r[1] == "birth_date"]
    assert {r[2] for r in history} == {"2024-03-30", "2024-04-02"}


def test_moves_are_matched_within_six_months_and_a_late_move_out_is_not_a_second_move() -> None:
    log = Log()
    log.person("X", "H5", "M", "1980-12-12", commune=D)
    log.add("move_out", "2024-08-01", D, {"person_ids": ["X"], "to_commune": B})
    log.add("move_in", "2024-08-05", B, {"person_ids": ["X"], "household_id": "H3"})
    log.person("Y", "H3", "M", "1970-01-01", commune=B)
    log.add("move_in", "2024-09-15", D, {"person_ids": ["Y"], "household_id": "H5"})
    # the origin's collaborator writes Y's departure down later: the same move, not another
    log.add("move_out", "2024-09-20", B, {"person_ids": ["Y"], "to_commune": D}, at("2024-10-01"))
    rows = log.rows()
    moves = sorted(current(rows["moves"]))
    assert [(m[0], m[3], m[4], m[5], m[6]) for m in moves] == [
        ("X", D, B, date(2024, 8, 1), date(2024, 8, 5)),
        ("Y", B, D, date(2024, 9, 15), date(2024, 9, 15)),
    ]
    # between the move_out and the move_in the register knew a departure towards B
    earlier = [m for m in rows["moves"] if m[0] == "X" and m[-1] is not None]
    assert [(m[6], m[-2], m[-1]) for m in earlier] == [(None, at("2024-08-01"), at("2024-08-05"))]


def test_a_move_out_unmatched_for_six_months_stays_a_departure() -> None:
    log = Log()
    log.person("X", "H", "M", "1980-12-12")
    log.add("move_out", "2024-01-10", A, {"person_ids": ["X"]})
    log.add("move_in", "2024-08-05", B, {"person_ids": ["X"], "household_id": "H3", "from_commune": "ABROAD"})
    moves = sorted((m[3], m[4], m[5], m[6]) for m in current(log.rows()["moves"]))
    assert moves == [
        (A, None, date(2024, 1, 10), None),
        ("ABROAD", B, None, date(2024, 8, 5)),
    ]


def test_merged_records_become_one_person_who_moved() -> None:
    log = Log()
    log.person("P10", "H4", "F", "1992-11-11", commune="03682")
    newcomer = at("2024-10-02")
    log.add("move_in", "2024-10-01", A, {"person_ids": ["P11"], "household_id": "H7"}, newcomer)
    log.person("P11", "H7", "F", "1992-11-11", on="2024-10-01")
    log.records[-1]["event"]["recorded_at"] = newcomer.isoformat()
    log.add("persons.merged", "2024-11-20", A, {"surviving_id": "P10", "merged_id": "P11"})
    rows = log.rows()
    merge = at("2024-11-20")
    assert sorted((m[0], m[3], m[4], m[-2], m[-1]) for m in rows["moves"]) == [
        ("P10", "03682", A, merge, None),  # known since the merge: a move with no move_out
        ("P11", None, A, newcomer, merge),  # before: an arrival from somewhere unknown
    ]
    persons = {r[0]: r for r in rows["persons"]}
    assert persons["P11"][1:3] == ("merged", "P10")
    assert persons["P10"][1] == "alive" and persons["P10"][7] == A
    assert all(r[-1] == merge for r in rows["residence_episodes"] if r[0] == "P11")


def test_child_marriage_widowhood_and_the_first_persons_area() -> None:
    log = Log()
    log.person("G", "H1", "F", "2008-04-04", commune="03682", marital="never_married")
    log.person("B", "H2", "M", "2002-09-09", marital="never_married")
    log.add("marriage", "2024-07-15", "03682", {"person_ids": ["G", "B"]})
    log.add("death", "2025-01-10", A, {"person_id": "B"})
    rows = log.rows()
    (marriage,) = current(rows["marriages"])
    assert marriage[1:] == ("marriage", "G", "B", date(2024, 7, 15), "03682", True)
    girl = sorted(r[1:5] for r in current(rows["marital_episodes"]) if r[0] == "G")
    assert girl == [
        ("married", "B", date(2024, 7, 15), date(2025, 1, 10)),
        ("never_married", None, date(2020, 1, 1), date(2024, 7, 15)),
        ("widowed", "B", date(2025, 1, 10), None),
    ]


def test_contraception_switch_on_one_day_and_stop_of_another_method_ignored() -> None:
    log = Log()
    log.person("W", "H", "F", "1990-01-01")
    log.add("contraception.started", "2024-01-01", A, {"person_id": "W", "method": "pill"})
    log.add("contraception.started", "2024-05-01", A, {"person_id": "W", "method": "iud"})
    log.add("contraception.stopped", "2024-05-01", A, {"person_id": "W", "method": "pill", "reason": "side_effects"})
    log.add("contraception.stopped", "2024-06-01", A, {"person_id": "W", "method": "pill"})
    eps = sorted(r[2:7] for r in current(log.rows()["contraception_episodes"]))
    assert eps == [
        ("iud", True, date(2024, 5, 1), None, None),
        ("pill", True, date(2024, 1, 1), date(2024, 5, 1), "side_effects"),
    ]


def test_rows_are_a_function_of_the_set_of_events_not_their_order() -> None:
    log = Log()
    log.person("M", "H", "F", "1990-01-01", children_ever_born=1)
    log.add("birth", "2024-01-20", A, {"child_id": "K1", "household_id": "H", "mother_id": "M", "sex": "F"})
    log.add(
        "birth",
        "2022-06-01",
        A,
        {"child_id": "K0", "household_id": "H", "mother_id": "M", "sex": "M"},
        at("2024-05-01"),
    )  # an earlier child reported late: K1 becomes order 3
    log.add("move_out", "2024-06-01", A, {"person_ids": ["M", "K1"]})
    log.add("move_in", "2024-06-03", B, {"person_ids": ["M", "K1"], "household_id": "H9"})
    events = log.events()
    expected = project(events, Rules())
    for seed in range(5):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        got = project(shuffled, Rules())
        assert {t: sorted(r, key=repr) for t, r in got.items()} == {t: sorted(r, key=repr) for t, r in expected.items()}
    orders = {r[2]: r[5] for r in current(expected["births"])}
    assert orders == {"K0": 2, "K1": 3}


def test_rules_change_the_fold() -> None:
    log = Log()
    log.person("G", "H1", "F", "2006-04-04", marital="never_married")
    log.person("B", "H2", "M", "2000-01-01", marital="never_married")
    log.add("marriage", "2024-07-15", A, {"person_ids": ["G", "B"]})
    assert current(log.rows()["marriages"])[0][-1] is False  # 18 on the day: of age
    strict = Rules(legal_age_female=20)
    assert current(log.rows(strict)["marriages"])[0][-1] is True


def test_unknown_definition_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="cpr_modern"):
        Rules(definitions={"cpr_modern": 9})


def test_a_newcomer_arrives_from_elsewhere_and_keeps_the_relation_registered_with_them() -> None:
    log = Log()
    log.add("move_in", "2024-10-01", A, {"person_ids": ["N"], "household_id": "H7", "from_commune": D})
    log.person("N", "H7", "F", "1992-11-11", on="2024-10-01")
    rows = log.rows()
    (person,) = rows["persons"]
    assert (person[1], person[6], person[7], person[8]) == ("alive", "H7", A, "head")
    (move,) = current(rows["moves"])
    assert move[3:] == (D, A, None, date(2024, 10, 1))  # an in-move only: D never had her
