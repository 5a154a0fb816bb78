"""Which communes' stock snapshots a recompute makes stale, and from which day (projections.sink.stock_changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from projections.read.stock_cache import add_up
from projections.sink.stock_changes import changed_communes, first_change

D = date.fromisoformat
KNOWN = datetime(2024, 1, 1, tzinfo=UTC)
CLOSED = datetime(2024, 6, 1, tzinfo=UTC)


def res(
    pid: str,
    commune: str,
    start: str,
    end: str | None = None,
    *,
    hh: str = "H1",
    sex: str = "F",
    born: str = "1990-05-20",
    known_to: datetime | None = None,
) -> tuple:
    # residence_episodes columns (projections.fold.model.TABLES) + known_from, known_to
    return (
        pid,
        hh,
        commune,
        "head",
        D(start),
        D(end) if end else None,
        "registered",
        None,
        sex,
        D(born),
        KNOWN,
        known_to,
    )


def marital(pid: str, status: str, start: str, end: str | None = None) -> tuple:
    return (pid, status, None, D(start), D(end) if end else None, KNOWN, None)


def method(pid: str, name: str, start: str, end: str | None = None) -> tuple:
    return (pid, "e1", name, True, D(start), D(end) if end else None, None, "03646", "F", KNOWN, None)


def test_an_episode_cut_in_two_changes_no_day() -> None:
    whole = [(D("2020-01-01"), None, ("r", "A"))]
    cut = [(D("2020-01-01"), D("2024-05-01"), ("r", "A")), (D("2024-05-01"), None, ("r", "A"))]
    assert first_change(whole, cut) is None
    assert first_change(whole, whole) is None


def test_a_move_changes_from_its_day() -> None:
    before = [(D("2020-01-01"), None, ("r", "A"))]
    after = [(D("2020-01-01"), D("2024-05-03"), ("r", "A")), (D("2024-05-03"), None, ("r", "B"))]
    assert first_change(before, after) == D("2024-05-03")
    assert first_change([], after) == D("2020-01-01")
    assert first_change(after, []) == D("2020-01-01")


def test_communes_of_a_move_and_only_from_the_change() -> None:
    old = {"residence_episodes": [res("P5", "B", "2020-01-01")]}
    new = {"residence_episodes": [res("P5", "B", "2020-01-01", "2024-05-01"), res("P5", "A", "2024-05-03")]}
    assert changed_communes(old, new) == {"B": D("2024-05-01"), "A": D("2024-05-03")}


def test_a_marriage_or_a_method_stales_the_commune_she_lives_in() -> None:
    base = [res("P1", "A", "2020-01-01", "2024-03-01"), res("P1", "C", "2024-03-01")]
    old = {"residence_episodes": base, "marital_episodes": [marital("P1", "never_married", "1990-05-20")]}
    new = {
        "residence_episodes": base,
        "marital_episodes": [
            marital("P1", "never_married", "1990-05-20", "2024-07-15"),
            marital("P1", "married", "2024-07-15"),
        ],
    }
    assert changed_communes(old, new) == {"C": D("2024-07-15")}
    with_pill = {**old, "contraception_episodes": [method("P1", "pill", "2023-02-01")]}
    assert changed_communes(old, with_pill) == {"A": D("2023-02-01"), "C": D("2024-03-01")}


def test_rows_no_longer_known_now_and_unread_columns_change_nothing() -> None:
    old = {"residence_episodes": [res("P1", "A", "2020-01-01")]}
    history = res("P1", "B", "2020-01-01", known_to=CLOSED)  # what was believed before a correction
    relation = (*res("P1", "A", "2020-01-01")[:3], "spouse", *res("P1", "A", "2020-01-01")[4:])
    assert changed_communes(old, {"residence_episodes": [history, relation]}) == {}


def test_a_corrected_birth_date_stales_every_day_she_lived_there() -> None:
    old = {"residence_episodes": [res("C2", "A", "2024-03-30", born="2024-03-30")]}
    new = {"residence_episodes": [res("C2", "A", "2024-04-02", born="2024-04-02")]}
    assert changed_communes(old, new) == {"A": D("2024-03-30")}


def test_adding_up_communes_takes_off_split_households() -> None:
    a = {"ages": [["F", 30, 2], ["M", 31, 1]], "households": 2, "women": [[True, "pill", 1], [False, None, 1]]}
    b = {"ages": [["F", 30, 1]], "households": 1, "women": [[True, "pill", 1]]}
    total = add_up([a, b], split=1)
    assert total["population"] == 4 and total["households"] == 2
    assert sorted(map(tuple, total["ages"])) == [("F", 30, 3), ("M", 31, 1)]
    assert sorted(map(tuple, total["women"]), key=str) == [(False, None, 1), (True, "pill", 2)]
