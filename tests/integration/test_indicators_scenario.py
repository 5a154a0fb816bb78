"""Figures of the hand-worked scenario (tests/support/projection.py), every expected number worked
out by hand from the story, not by the product: late birth, voided death, corrected birth date,
moves at every level, a move_in without move_out, a merge, a child marriage, a woman turning 25."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings
from projections import versions
from projections.definitions import NAMES
from projections.read.indicators import compute_indicators
from tests.support.projection import A, B, C, D, opened, produce, scenario, sink_until_caught_up
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pool(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with opened(make_settings()) as (settings, p, _):
        yield settings, p


@pytest.fixture(scope="module")
async def fed(pool: Any) -> Any:
    settings, p = pool
    f = EventFactory(builtin_gazetteer())
    await produce(settings, f, scenario(f))
    with p.connection() as conn:
        live = versions.ensure_live(conn)
    await sink_until_caught_up(settings, live, p, max_records=10)
    return p


def figures(p: Any, area: str, period: str, known_on: str | None = None, names: list[str] | None = None) -> dict:
    with p.connection() as conn:
        return compute_indicators(conn, area, period, known_on, names)


def test_shape_and_every_catalogue_name(fed: Any) -> None:
    out = figures(fed, "14", "2024")
    assert set(out) == {"area", "level", "period", "known_on", "values"}
    assert (out["area"], out["level"], out["period"], out["known_on"]) == ("14", "province", "2024", None)
    assert list(out["values"]) == list(NAMES)
    assert all(
        isinstance(v, int)
        for k, v in out["values"].items()
        if k.startswith(("pop", "births", "deaths", "marriages", "in_", "out_")) and "share" not in k
    )
    assert figures(fed, "vn", "2024-Q3", "2024-12-31", ["population"])["level"] == "country"


def test_commune_a_in_2024(fed: Any) -> None:
    v = figures(fed, A, "2024")["values"]
    # end of 2024: P1 P2 C1 (H1), P3 P4 C2 P7 (H2), P5 (H6), P10 (H7, merged with P11)
    assert (v["population"], v["population_male"], v["population_female"], v["households"]) == (9, 5, 4, 4)
    assert v["sex_ratio_population"] == 125.0
    # ages on 2024-12-31: C1 0, C2 0, P7 22, P1 25, P2 29, P3 34, P10 32, P5 39, P4 84
    assert (
        v["pop_age_0_4"],
        v["pop_age_20_24"],
        v["pop_age_25_29"],
        v["pop_age_30_34"],
        v["pop_age_35_39"],
        v["pop_age_80_plus"],
    ) == (2, 1, 2, 2, 1, 1)
    assert (v["children_0_5"], v["working_age_15_64"], v["elderly_60_plus"]) == (2, 6, 1)
    # women 15-49: P1, P3, P10, all married; pill (P1), IUD (P3), traditional (P10)
    assert (v["women_15_49"], v["married_women_15_49"]) == (3, 3)
    assert v["cpr_modern"] == pytest.approx(2 / 3, abs=1e-6)
    assert (
        v["contraceptive_users_by_method.pill"],
        v["contraceptive_users_by_method.iud"],
        v["contraceptive_users_by_method.traditional"],
        v["contraceptive_users_by_method.condom"],
    ) == (1, 1, 1, 0)
    # births: C1 (F, order 1, mother 24) and C2 (M, order 3, mother 33, on 04-02 after correction)
    assert (v["births"], v["births_male"], v["births_female"], v["births_order_3_plus"]) == (2, 1, 1, 1)
    assert (v["share_order_3_plus"], v["srb"]) == (0.5, 100.0)
    assert (v["deaths"], v["marriages"], v["child_marriages"]) == (0, 0, 0)
    # in: P5 from B, P7 from C, P10 from C (the merge); nobody left A
    assert (v["in_migrants"], v["out_migrants"], v["net_migration"]) == (3, 0, 3)
    assert v["contraception_new_users"] == 1  # P1's pill, 1 March
    # mid-year population (end of 1 July): P1 P2 C1 P3 P4 C2 P5 P7 = 8
    assert (v["cbr"], v["cdr"]) == (250.0, 0.0)


def test_exposure_is_split_at_birthdays_and_arrivals(fed: Any) -> None:
    v = figures(fed, A, "2024")["values"]
    # P1 (born 1999-07-01) lives in A all 2024: 182 days at 20-24 (1 Jan - 30 Jun), 184 at 25-29.
    # P3 (born 1990-05-20): 366 days at 30-34 (33, then 34 on 20 May).
    # P10 arrives 1 Oct: 92 days at 30-34 (31, then 32 on 11 Nov).
    # Births: C1 to P1 at 24 (20-24), C2 to P3 at 33 (30-34).
    assert v["asfr_20_24"] == pytest.approx(1000 * 365.25 / 182, abs=1e-4)
    assert v["asfr_25_29"] == 0.0
    assert v["asfr_30_34"] == pytest.approx(1000 * 365.25 / (366 + 92), abs=1e-4)
    assert v["asfr_15_19"] is None and v["asfr_45_49"] is None  # no woman-years: no rate
    assert v["gfr"] == pytest.approx(2 * 1000 * 365.25 / (182 + 184 + 366 + 92), abs=1e-4)
    assert v["tfr"] == pytest.approx(5 * (1000 * 365.25 / 182 + 1000 * 365.25 / 458) / 1000, abs=1e-5)
    # the same woman, stocks at quarter ends: 24 on 30 June, 25 on 30 September
    q2 = figures(fed, A, "2024-Q2", names=["pop_age_20_24", "pop_age_25_29"])["values"]
    q3 = figures(fed, A, "2024-Q3", names=["pop_age_20_24", "pop_age_25_29"])["values"]
    assert q2 == {"pop_age_20_24": 2, "pop_age_25_29": 1}  # P1 24, P7 21 | P2 29
    assert q3 == {"pop_age_20_24": 1, "pop_age_25_29": 2}  # P7 22 | P1 25, P2 29


@pytest.mark.parametrize(
    ("area", "expected"),
    [
        # commune level: every move between communes counts
        (B, (2, 1, 2)),  # P8, P12 | in P8 | out P5 (to A), P9 (to D)
        (C, (1, 0, 2)),  # P6 | out P7, P10
        (D, (1, 1, 1)),  # P9 | in P9 | out P8
        # district level: P5's move inside district 116 counts nowhere
        ("116", (11, 3, 1)),  # in P7, P10 (from 118), P8 (from 001) | out P9 (to 001)
        ("118", (1, 0, 2)),
        ("001", (1, 1, 1)),
        # province level: only P8 (01 -> 14) and P9 (14 -> 01) cross
        ("14", (12, 1, 1)),
        ("01", (1, 1, 1)),
        # country: nobody crossed it; never the sum of the provinces
        ("VN", (13, 0, 0)),
    ],
)
def test_migration_follows_people_at_each_level(fed: Any, area: str, expected: tuple[int, int, int]) -> None:
    v = figures(fed, area, "2024", names=["population", "in_migrants", "out_migrants", "net_migration"])["values"]
    assert (v["population"], v["in_migrants"], v["out_migrants"]) == expected
    assert v["net_migration"] == expected[1] - expected[2]


def test_marriage_under_legal_age_counts_where_the_first_person_lives(fed: Any) -> None:
    names = ["marriages", "child_marriages"]
    assert figures(fed, C, "2024", names=names)["values"] == {"marriages": 1, "child_marriages": 1}
    assert figures(fed, "118", "2024-Q3", names=names)["values"] == {"marriages": 1, "child_marriages": 1}
    assert figures(fed, A, "2024", names=names)["values"] == {"marriages": 0, "child_marriages": 0}
    assert figures(fed, "14", "2024-Q2", names=names)["values"] == {"marriages": 0, "child_marriages": 0}


def test_late_birth_in_a_reported_month(fed: Any) -> None:
    def january(known_on: str | None) -> int:
        return figures(fed, A, "2024-01", known_on, ["births"])["values"]["births"]

    assert january("2024-02-15") == 0  # what the January report knew
    assert january("2024-03-31") == 1  # C1, recorded 10 March
    assert january(None) == 1


def test_voided_death(fed: Any) -> None:
    names = ["deaths", "population"]
    then = figures(fed, A, "2024-Q1", "2024-03-01", names)["values"]
    now = figures(fed, A, "2024-Q1", None, names)["values"]
    assert then == {"deaths": 1, "population": 3}  # P4 dead; C1 not yet recorded
    assert now == {"deaths": 0, "population": 5}  # P1 P2 P3 P4 C1
    assert figures(fed, "VN", "2024-Q1", "2024-03-01", names)["values"] == {"deaths": 1, "population": 10}
    assert figures(fed, "01", "2024-Q1", "2024-03-01", ["deaths"])["values"] == {"deaths": 0}


def test_corrected_birth_date_moves_the_birth_to_another_quarter(fed: Any) -> None:
    def births(period: str, known_on: str | None) -> int:
        return figures(fed, A, period, known_on, ["births"])["values"]["births"]

    assert (births("2024-Q1", "2024-04-10"), births("2024-Q2", "2024-04-10")) == (2, 0)
    assert (births("2024-Q1", None), births("2024-Q2", None)) == (1, 1)


def test_merge_as_known_before_and_after(fed: Any) -> None:
    names = ["population", "in_migrants", "out_migrants"]
    # before the merge (20 Nov) P11 looked like a newcomer from nowhere known, P10 still in C
    assert figures(fed, "14", "2024", "2024-11-01", names)["values"] == {
        "population": 13,
        "in_migrants": 2,
        "out_migrants": 1,
    }
    assert figures(fed, "VN", "2024", "2024-11-01", names)["values"] == {
        "population": 14,
        "in_migrants": 1,
        "out_migrants": 0,
    }
    assert figures(fed, C, "2024", "2024-11-01", names)["values"] == {
        "population": 2,
        "in_migrants": 0,
        "out_migrants": 1,
    }
    # after it: one woman, who moved C -> A inside the province
    assert figures(fed, "14", "2024", None, names)["values"] == {"population": 12, "in_migrants": 1, "out_migrants": 1}
    assert figures(fed, C, "2024", None, names)["values"] == {"population": 1, "in_migrants": 0, "out_migrants": 2}


def test_province_rates_and_contraception(fed: Any) -> None:
    v = figures(fed, "14", "2024")["values"]
    # women 15-49 at year end: P1, P3, P10, P6 (married) and P12 (never married, condom)
    assert (v["women_15_49"], v["married_women_15_49"]) == (5, 4)
    assert v["cpr_modern"] == 0.75  # pill P1, IUD P3, pill P6 / 4 (P10 traditional)
    assert v["contraception_new_users"] == 2  # P1 (March, A), P6 (August, C)
    # mid-year: A 8, B 2 (P9, P12), C 2 (P6, P10) = 12
    assert v["cbr"] == pytest.approx(2 * 1000 / 12, abs=1e-5)


def test_bad_input_is_refused_with_the_field(fed: Any) -> None:
    with pytest.raises(ValueError, match="period"):
        figures(fed, A, "2024-13")
    with pytest.raises(ValueError, match="area"):
        figures(fed, "1", "2024")
    with pytest.raises(ValueError, match="known_on"):
        figures(fed, A, "2024", "yesterday")
    with pytest.raises(ValueError, match="unknown indicator"):
        figures(fed, A, "2024", None, ["population", "happiness"])
