"""The dashboard's pure parts: diacritics folding, search ranking, the area tree across the 2025
reform, scope tests, and period arithmetic for changes and trends."""

from __future__ import annotations

from datetime import date

import pytest

from infra.gazetteer_store import builtin_gazetteer
from projections.http.dashboard.areas import AreaIndex, fold
from projections.http.dashboard.figures import change, shift
from projections.periods import parse_period

pytestmark = pytest.mark.unit

BEFORE, AFTER = date(2025, 6, 30), date(2025, 12, 31)


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex(builtin_gazetteer())


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Sơn La", "son la"),
        ("  SƠN   LA ", "son la"),
        ("Đắk Lắk", "dak lak"),
        ("Phường Chiềng Lề", "phuong chieng le"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("son la", "son la"),
    ],
)
def test_fold_drops_diacritics_case_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_search_puts_the_unit_named_exactly_first(index):
    day = index.on(BEFORE)
    for query in ("son la", "Sơn La", "tinh son la"):
        assert day.search(query)[0].code == "14"
    hits = day.search("ha noi")
    assert hits[0].code == "01" and hits[0].level == "province"
    assert day.search("01")[0].name == "Thành phố Hà Nội"
    assert day.search("") == [] and day.search("zzzz") == []


def test_search_keeps_inside_the_scope(index):
    day = index.on(BEFORE)
    assert day.search("ha noi", scope="14") == []
    inside = day.search("muong", scope="14", limit=50)
    assert inside and all(a.province == "14" for a in inside)


def test_tree_before_and_after_the_reform(index):
    before, after = index.on(BEFORE), index.on(AFTER)
    assert len(before.children["VN"]) == 63 and len(after.children["VN"]) == 34
    assert {before.areas[c].level for c in before.children["14"]} == {"district"}
    assert {after.areas[c].level for c in after.children["14"]} == {"commune"}
    assert [a.code for a in before.path("03646")] == ["VN", "14", "116", "03646"]
    assert before.areas["14"].lat is not None  # a province's map point: its communes' centroid
    assert sum(len(before.communes_of[d]) for d in before.children["14"]) == len(before.communes_of["14"])


def test_within_follows_the_tree(index):
    day = index.on(BEFORE)
    assert day.within("03646", "14") and day.within("03646", "116") and day.within("116", "14")
    assert day.within("14", "VN") and day.within("14", "14")
    assert not day.within("14", "116") and not day.within("01", "14") and not day.within("VN", "14")


def test_days_are_kept_and_reused(index):
    assert index.on(BEFORE) is index.on(BEFORE)


@pytest.mark.parametrize(
    ("period", "steps", "expected"),
    [
        ("2025-01", -1, "2024-12"),
        ("2025-12", 1, "2026-01"),
        ("2025-Q1", -1, "2024-Q4"),
        ("2025-Q4", -7, "2024-Q1"),
        ("2025", -1, "2024"),
        ("2025-03", -12, "2024-03"),
    ],
)
def test_shift_moves_by_periods_of_the_same_kind(period, steps, expected):
    assert shift(parse_period(period), steps).code == expected


def test_change_is_difference_and_relative_change():
    assert change(110, 100) == {"diff": 10, "pct": 10.0}
    assert change(0.75, 0.5) == {"diff": 0.25, "pct": 50.0}
    assert change(5, 0) == {"diff": 5, "pct": None}
    assert change(None, 3) == {"diff": None, "pct": None}
