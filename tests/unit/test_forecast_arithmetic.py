"""The forecast's arithmetic, worked by hand: a published life table, a closed female population
over two steps, the balancing identity, the shrinkage of small areas, rates recovered from counts."""

from __future__ import annotations

import numpy as np
import pytest

from projections.forecast.engine import project
from projections.forecast.estimate import Counts, Level, Rates, estimate, shrink
from projections.forecast.lifetable import AGES, a0_andreev_kingkade, life_table
from projections.forecast.scenarios import TARGET_TFR, Year, schedule
from projections.forecast.standard import standard_rates

# Preston, Heuveline & Guillot (2001), Demography, Box 3.1: Austria, males, 1992 (United Nations
# 1994): mid-year population, deaths, the a_x used, and the published l_x and nL_x (radix 100,000).
AUSTRIA_AGES = [0, 1, *range(5, 90, 5)]
AUSTRIA_POP = [47925, 189127, 234793, 238790, 254996, 326831, 355086, 324222, 269963, 261971, 238011,
               261612, 181385, 187962, 153832, 105169, 73694, 57512, 32248]  # fmt: skip
AUSTRIA_DEATHS = [419, 70, 36, 46, 249, 420, 403, 441, 508, 769, 1154, 1866, 2043, 3496, 4366, 4337, 5279, 6460, 6146]
AUSTRIA_AX = [0.068, 1.626, 2.5, 3.143, 2.724, 2.520, 2.481, 2.601, 2.701, 2.663, 2.698, 2.676, 2.645, 2.624,
              2.619, 2.593, 2.518, 2.423, 5.247]  # fmt: skip
AUSTRIA_LX = [100000, 99133, 98986, 98910, 98815, 98334, 97704, 97151, 96492, 95588, 94195, 91937, 88711, 83845,
              76377, 66225, 53803, 37441, 21134]  # fmt: skip
AUSTRIA_NLX = [99192, 396183, 494741, 494375, 492980, 490106, 487127, 484175, 480384, 474686, 465777, 452188,
               432096, 401480, 357713, 301224, 228404, 145182, 110889]  # fmt: skip


def test_life_table_matches_prestons_austria_1992():
    m = np.array(AUSTRIA_DEATHS) / np.array(AUSTRIA_POP)
    lt = life_table(np.array(AUSTRIA_AGES), m, np.array(AUSTRIA_AX), radix=100000)
    assert np.abs(lt.l - AUSTRIA_LX).max() <= 2.0
    assert np.abs(lt.L - AUSTRIA_NLX).max() <= 6.0
    assert lt.e0 == pytest.approx(sum(AUSTRIA_NLX) / 100000, abs=0.01)  # 72.9 years


def test_a0_rule_and_standard_schedule_hit_vietnams_life_expectancy():
    assert a0_andreev_kingkade(0.01, male=False) == pytest.approx(0.14903 - 0.0205527)
    assert a0_andreev_kingkade(0.05, male=True) == pytest.approx(0.02832 + 3.26201 * 0.05)
    from projections.forecast.lifetable import single_year

    assert single_year(standard_rates("M").copy(), True).e0 == pytest.approx(72.3, abs=0.01)
    assert single_year(standard_rates("F").copy(), False).e0 == pytest.approx(77.3, abs=0.01)


def _rates(U: int, m: float, asfr: dict[int, float], boy_share: float) -> Rates:
    a = np.zeros((U, AGES))
    for age, f in asfr.items():
        a[:, age] = f
    one = np.ones(U)
    return Rates(
        units=[f"u{i}" for i in range(U)],
        asfr=a,
        boy_share=np.full(U, boy_share),
        mx=np.full((U, 2, AGES), m),
        out_rate=np.zeros((U, 2, AGES)),
        internal_share=np.zeros(U),
        dest=np.zeros((U, U)),
        in_count=np.zeros((U, 2, AGES)),
        levels={n: Level(one, one, one * 1e6, one * 1e6) for n in ("fertility", "mortality", "out", "in")},
    )


def test_closed_female_population_two_steps_by_hand():
    """100 women aged 20 and 100 aged 21, m = 0.01 at every age, ASFR 0.1 at 20-24, all births girls."""
    rates = _rates(1, 0.01, {a: 0.1 for a in range(20, 25)}, boy_share=0.0)
    pop = np.zeros((1, 2, AGES))
    pop[0, 1, 20] = pop[0, 1, 21] = 100.0
    plan = [Year(np.ones(1), np.zeros(1), 1.0)] * 2
    y1, y2 = list(project(pop, rates, plan))
    # by hand: q = m / (1 + 0.5 m) and s = L_{x+1} / L_x = 1 - q for a constant rate
    s = 1 - 0.01 / 1.005
    # infants alive at the year's end: L_0 = 1 - q_0 (1 - a_0), a_0 = 0.14903 - 2.05527 m (females)
    a0 = 0.14903 - 2.05527 * 0.01
    q0 = 0.01 / (1 + (1 - a0) * 0.01)
    L0 = 1 - q0 * (1 - a0)
    assert y1.pop[0, 0, 1, 21] == pytest.approx(100 * s)
    assert y1.pop[0, 0, 1, 22] == pytest.approx(100 * s)
    births1 = 0.1 * (0.5 * (100 + 0) + 0.5 * (100 + 100 * s) + 0.5 * (0 + 100 * s))
    assert y1.flows["births"][0, 0, 1] == pytest.approx(births1)
    assert y1.pop[0, 0, 1, 0] == pytest.approx(births1 * L0)
    # the second year: the infants survive to age 1 with L_1 / L_0
    l1 = 1 - q0
    L1 = l1 * (1 - 0.5 * (0.01 / 1.005))
    assert y2.pop[0, 0, 1, 1] == pytest.approx(births1 * L0 * L1 / L0)
    assert y2.pop[0, 0, 1, 23] == pytest.approx(100 * s * s)
    births2 = 0.1 * (0.5 * (100 * s + 100 * s * s) + 0.5 * (100 * s + 100 * s * s) + 0.5 * (0 + 0))
    assert y2.flows["births"][0, 0, 1] == pytest.approx(births2)
    deaths1 = 200 - 200 * s + births1 * (1 - L0)
    assert y1.flows["deaths"][0, 0].sum() == pytest.approx(deaths1)


def _counts(U: int = 6, seed: int = 3) -> Counts:
    rng = np.random.default_rng(seed)
    age = np.arange(AGES)
    shape = np.exp(-age / 35)
    shape /= shape.sum()
    pop = np.stack([np.stack([rng.poisson(3000 * shape) for _ in range(2)]) for _ in range(U)]).astype(float)
    expo = pop * 3.0
    mx = np.stack([standard_rates("M"), standard_rates("F")])
    births = np.zeros((U, AGES, 2))
    for a in range(18, 45):
        births[:, a, 0] = rng.poisson(expo[:, 1, a] * 0.09 * 0.53)
        births[:, a, 1] = rng.poisson(expo[:, 1, a] * 0.09 * 0.47)
    od = rng.poisson(np.full((U, U), 20.0))
    np.fill_diagonal(od, 0)
    out = rng.poisson(expo * 0.02)
    return Counts([f"c{i}" for i in range(U)], ["d1"] * (U // 2) + ["d2"] * (U - U // 2), "14", 3.0, pop, expo,
                  births, rng.poisson(expo * mx), out, od, rng.poisson(expo * 0.01))  # fmt: skip


@pytest.mark.parametrize("sims", [0, 50])
def test_population_balances_births_deaths_and_moves_every_unit_and_year(sims):
    counts = _counts()
    rates = estimate(counts)
    plan = schedule("constant", rates.tfr(), rates.boy_share, 2024, 5)
    prev = np.broadcast_to(counts.pop, (max(sims, 1), *counts.pop.shape))
    for year in project(counts.pop, rates, plan, sims, seed=1):
        f = {n: v.sum(axis=-1) for n, v in year.flows.items()}
        expected = (prev.sum(axis=(2, 3)) + f["births"] - f["deaths"] + f["in_internal"] + f["in_external"]
                    - f["out_internal"] - f["out_external"])  # fmt: skip
        assert np.allclose(year.pop.sum(axis=(2, 3)), expected, atol=1e-6)
        # a move between two communes of the scope leaves one and enters the other
        assert np.allclose(f["in_internal"].sum(axis=1), f["out_internal"].sum(axis=1))
        assert (year.pop >= -1e-9).all()
        prev = year.pop


def test_small_areas_borrow_strength_and_rates_are_recovered():
    theta, _, _ = shrink(np.array([0.0, 100.0, 100.0, 100.0]), np.array([1.0, 100.0, 100.0, 100.0]))
    assert theta[0] > 0.9  # no event in a tiny unit is not a rate of zero
    counts = _counts(U=4)
    rates = estimate(counts)
    # 0.09 a year at 18-44: 2.43 children; each commune's within its noise, their mean close
    assert rates.tfr() == pytest.approx(np.full(4, 0.09 * 27), rel=0.15)
    assert rates.tfr().mean() == pytest.approx(0.09 * 27, rel=0.05)
    e0 = rates.e0()
    assert e0[:, 0] == pytest.approx(np.full(4, 72.3), abs=2.0)
    assert e0[:, 1] == pytest.approx(np.full(4, 77.3), abs=2.0)


def test_strategy_scenario_reaches_replacement_fertility_by_2030():
    plan = schedule("strategy", np.array([2.6, 1.8]), np.array([0.54, 0.515]), 2024, 10)
    tfr_2030 = np.array([2.6, 1.8]) * plan[5].fertility  # the sixth year after a 2024 base is 2030
    assert tfr_2030 == pytest.approx([TARGET_TFR, TARGET_TFR])
    srb = 100 * plan[5].boy_share / (1 - plan[5].boy_share)
    assert srb[0] == pytest.approx(108.0)
    assert srb[1] == pytest.approx(100 * 0.515 / 0.485)  # already below: left alone
    zero = schedule("zero_migration", np.array([2.0]), np.array([0.5]), 2024, 2)
    assert zero[0].migration == 0.0


def test_a_constraint_to_an_outside_total_scales_every_unit_and_books_the_difference():
    counts = _counts()
    rates = estimate(counts)
    plan = schedule("constant", rates.tfr(), rates.boy_share, 2024, 2)
    target = float(counts.pop.sum()) * 1.10
    plan = [Year(y.fertility, y.boy_share, y.migration, target if k == 0 else None) for k, y in enumerate(plan)]
    prev = np.broadcast_to(counts.pop, (20, *counts.pop.shape))
    for year in project(counts.pop, rates, plan, 20, seed=2):
        f = {n: v.sum(axis=-1) for n, v in year.flows.items()}
        balance = prev.sum(axis=(2, 3)) + f["births"] - f["deaths"] + f["in_internal"] + f["in_external"]
        balance = balance - f["out_internal"] - f["out_external"] + f["adjustment"]
        assert np.allclose(year.pop.sum(axis=(2, 3)), balance, rtol=1e-5)
        if year.k == 1:
            assert np.allclose(year.pop.sum(axis=(1, 2, 3)), target, rtol=1e-5)  # every trajectory
        else:
            assert np.all(f["adjustment"] == 0)
        prev = year.pop
