"""The cohort-component projection, for every unit of a scope at once. Pure numpy.

One year, from the population P on the base date's anniversary (by unit, sex, completed years):
1. deaths: those aged x at the start survive with s_x = L_{x+1} / L_x of the unit's life table
   (projections.forecast.lifetable), the open group with T_100 / T_99;
2. out-migration among the survivors, at the unit's rate for their age at the start: a share π_u
   to other units of the scope (by the destination shares), the rest beyond it;
3. everyone a year older; the movers between units arrive at their destination;
4. arrivals from beyond the scope, at the unit's yearly count, by the scope's age-sex profile;
5. births: Σ_x ASFR_x · ½ (women aged x at the start + women aged x at the end), boys by the unit's
   share, the newborns alive at the end by L_0 / l_0: they are the new age 0.
Deaths are those of step 1 and the newborns who did not survive, so for every unit and year
P(t+1) = P(t) + births − deaths + arrivals − departures (+ the adjustment of a constraint to an
outside total, when one is given) exactly (moves between two units of the
scope are a departure of one and an arrival of the other: the scope's total never sees them).

Trajectories (`sims` > 0) add two kinds of uncertainty (docs/forecasts.md): rate uncertainty, a
level multiplier per unit and component drawn once per trajectory from its Poisson-gamma
posterior (projections.forecast.estimate) and, for the scope's schedules, the posterior of their
level; and demographic noise, Poisson counts of deaths and out-movers per unit, sex and age band (six
bands each)
(shared out over the band's single ages in proportion to the expected events), of arrivals per
unit and sex (movers as compound Poisson counts: people move in families, so the variance of a
count of movers is the register's Σg²/Σg over the persons per recorded move times its mean), and of
births per unit (boys binomial, newborn survival binomial). Without `sims`,
the expected values with the point rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from projections.forecast.estimate import MIGRATION_GROUPS, MORTALITY_BANDS, Rates
from projections.forecast.lifetable import AGES, OPEN_AGE
from projections.forecast.scenarios import Year

FLOWS = ("births", "deaths", "in_internal", "out_internal", "in_external", "out_external", "adjustment")


def _index(groups: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    idx = np.empty(AGES, dtype=np.intp)
    for i, (lo, hi) in enumerate(groups):
        idx[lo:hi] = i
    return idx, np.array([lo for lo, _ in groups], dtype=np.intp)


MORT_IDX, MORT_STARTS = _index(MORTALITY_BANDS)
MIG_IDX, MIG_STARTS = _index(MIGRATION_GROUPS)
# The demographic noise of movers is drawn per these broader bands (each band's count Poisson, its
# ages sharing it as expected): the draws are most of a trajectory's cost.
MOVER_BANDS = ((0, 15), (15, 25), (25, 35), (35, 50), (50, 65), (65, AGES))
MOVER_IDX, MOVER_STARTS = _index(MOVER_BANDS)
FERTILE = slice(10, 50)  # ages with births
# Above this many communes in a scope the destination shares are taken as estimated (a draw per
# trajectory of every origin's shares is trajectories × communes² numbers).
MAX_DRAWN_DESTINATIONS = 400


@dataclass
class YearResult:
    k: int  # years after the base
    pop: np.ndarray  # [S, U, 2, AGES] at the end of the year
    flows: dict[str, np.ndarray]  # each [S, U, 2]; births by the child's sex


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _noisy_in_place(
    x: np.ndarray,
    idx: np.ndarray,
    starts: np.ndarray,
    rng: np.random.Generator | None,
    scratch: np.ndarray,
    phi: float = 1.0,
) -> np.ndarray:
    """Poisson counts per age group written over x (the expected events), shared out over each
    group's ages like the expected events; with phi > 1, groups of phi people (a compound Poisson
    with variance phi times the mean). Without rng, x as it is. `scratch`: x's shape, overwritten."""
    if rng is None:
        return x
    total = np.add.reduceat(x, starts, axis=-1, dtype=np.float64)
    drawn = rng.poisson(total / phi) if phi != 1.0 else rng.poisson(total)
    ratio = _ratio(phi * drawn if phi != 1.0 else drawn, total).astype(x.dtype)
    np.take(ratio, idx, axis=-1, out=scratch)
    x *= scratch
    return x


def _shift(x: np.ndarray) -> np.ndarray:
    """Everyone a year older; 99 and 100+ join in 100+; age 0 left empty."""
    out = np.empty_like(x)
    out[..., 0] = 0
    out[..., 1:OPEN_AGE] = x[..., : OPEN_AGE - 1]
    out[..., OPEN_AGE] = x[..., OPEN_AGE - 1] + x[..., OPEN_AGE]
    return out


class Multipliers:
    """Per-trajectory level multipliers (1 for the expected projection)."""

    def __init__(self, rates: Rates, sims: int, rng: np.random.Generator | None):
        U = len(rates.units)
        S = max(sims, 1)
        ones = np.ones((S, U))
        if rng is None or sims == 0:
            self.fert, self.mort, self.out, self.inn = ones, ones, ones, ones
            self.band = np.ones((S, 2, AGES))
            return
        lv = rates.levels
        self.fert = lv["fertility"].draw(rng, S) / lv["fertility"].value
        self.mort = lv["mortality"].draw(rng, S) / lv["mortality"].value
        self.out = lv["out"].draw(rng, S) / lv["out"].value
        self.inn = lv["in"].draw(rng, S) / lv["in"].value
        for name in ("fertility", "out"):
            shape, rate = rates.scope_draws[name]
            level = rng.gamma(shape[0], 1.0 / rate[0], size=(S, 1)) / (shape[0] / rate[0])
            if name == "fertility":
                self.fert = self.fert * level
            else:
                self.out = self.out * level
        shape, rate = rates.scope_draws["mortality"]  # [2, bands]
        band = rng.gamma(shape, 1.0 / rate, size=(S, *shape.shape)) / (shape / rate)
        self.band = band[..., MORT_IDX]  # [S, 2, AGES]


def project(
    pop0: np.ndarray,
    rates: Rates,
    years: list[Year],
    sims: int = 0,
    seed: int = 0,
) -> Iterator[YearResult]:
    """Yield each year's population and flows: the expected values (sims = 0) or `sims` trajectories."""
    rng = np.random.default_rng(seed) if sims > 0 else None
    U = len(rates.units)
    S = max(sims, 1)
    surv, surv_birth = rates.survival  # computed once, shared by the expected run and the threads
    log_surv = np.log(np.clip(surv, 1e-300, 1.0))
    log_surv_birth = np.log(np.clip(surv_birth, 1e-300, 1.0))
    mult = Multipliers(rates, sims, rng)
    # trajectories in float32 (half the memory traffic; counts stay exact far beyond a province),
    # the expected projection in float64
    dt: Any = np.float32 if sims > 0 else np.float64
    # 1 - s^θ and 1 - exp(-θ m), built in place in the trajectories' precision
    die = log_surv[None].astype(dt) * mult.mort[:, :, None, None].astype(dt)
    die *= mult.band[:, None, :, :].astype(dt)
    np.expm1(die, out=die)
    np.negative(die, out=die)
    sb_sim = np.exp(log_surv_birth[None] * mult.mort[:, :, None])  # [S, U, 2]
    p_out = rates.out_rate[None].astype(dt) * -mult.out[:, :, None, None].astype(dt)
    np.expm1(p_out, out=p_out)
    np.negative(p_out, out=p_out)
    arrivals = rates.in_count[None].astype(dt) * mult.inn[:, :, None, None].astype(dt)
    arrivals_total = arrivals.sum(axis=-1, dtype=np.float64)  # [S, U, 2]
    pi = rates.internal_share[None, :, None]  # [1, U, 1]
    # where movers go: per trajectory, each origin's destination shares drawn from their Dirichlet
    # posterior (the moves seen plus the prior), so a district's arrivals carry that uncertainty too
    if rng is not None and rates.dest_alpha is not None and rates.dest_alpha.any() and U <= MAX_DRAWN_DESTINATIONS:
        drawn = rng.standard_gamma(np.broadcast_to(rates.dest_alpha.astype(np.float32), (S, U, U)), dtype=np.float32)
        dest = drawn / np.maximum(drawn.sum(axis=-1, keepdims=True), np.finfo(dt).tiny)
        del drawn
    else:
        dest = rates.dest.astype(dt)
    asfr = rates.asfr.astype(dt)

    P = np.broadcast_to(pop0.astype(dt), (S, U, 2, AGES)).copy()
    pi_dt = pi[..., None].astype(dt)  # [1, U, 1, 1]
    # scratch arrays reused every year (fresh large arrays cost page faults on every step)
    deaths, alive, movers, scratch = (np.empty((S, U, 2, AGES), dtype=dt) for _ in range(4))
    for k, year in enumerate(years, start=1):
        np.multiply(P, die, out=deaths)
        _noisy_in_place(deaths, MORT_IDX, MORT_STARTS, rng, scratch)
        np.minimum(deaths, P, out=deaths)
        np.subtract(P, deaths, out=alive)
        np.multiply(alive, p_out, out=movers)
        if year.migration != 1.0:
            movers *= dt(year.migration)
        _noisy_in_place(movers, MOVER_IDX, MOVER_STARTS, rng, scratch, rates.dispersion["out"])
        np.minimum(movers, alive, out=movers)
        # a share pi_u of each unit's movers stays in the scope: by destination per age group, then
        # over the group's ages as the scope's movers of that sex were (per trajectory)
        g_moved = np.add.reduceat(movers, MIG_STARTS, axis=-1)  # [S, U, 2, G]
        # [S, 2, G, U] @ [S or 1, U, V] -> [S, V, 2, G]
        inflow_g = np.moveaxis(np.moveaxis(g_moved * pi_dt, 1, -1) @ (dest[:, None] if dest.ndim == 3 else dest), -1, 1)
        np.multiply(movers, pi_dt, out=scratch)
        scope_int = scratch.sum(axis=1)  # [S, 2, AGES]
        within = _ratio(scope_int, np.add.reduceat(scope_int, MIG_STARTS, axis=-1)[..., MIG_IDX]).astype(dt)
        alive -= movers
        np.take(inflow_g, MIG_IDX, axis=-1, out=scratch)
        scratch *= within[:, None]
        alive += scratch
        N = _shift(alive)
        moved = g_moved.sum(axis=-1, dtype=np.float64)  # [S, U, 2]
        if rng is not None:
            phi = rates.dispersion["in"]
            total_in = arrivals_total * year.migration
            came_total = phi * rng.poisson(total_in / phi)
            np.multiply(arrivals, _ratio(came_total, arrivals_total).astype(dt)[..., None], out=scratch)
            N += scratch
        else:
            came_total = arrivals_total * year.migration
            N += arrivals * dt(year.migration)
        women = 0.5 * (P[:, :, 1, FERTILE] + N[:, :, 1, FERTILE])
        expected_births = (women * asfr[None, :, FERTILE] * year.fertility[None, :, None].astype(dt)).sum(
            axis=-1, dtype=np.float64
        ) * mult.fert
        share = np.broadcast_to(year.boy_share[None, :], expected_births.shape)
        if rng is not None:
            births_total = rng.poisson(expected_births).astype(float)
            boys = rng.binomial(births_total.astype(np.int64), share).astype(float)
            born = np.stack([boys, births_total - boys], axis=-1)
            infants = rng.binomial(born.astype(np.int64), sb_sim).astype(float)
        else:
            born = np.stack([expected_births * share, expected_births * (1.0 - share)], axis=-1)
            infants = born * sb_sim
        N[..., 0] += infants.astype(dt)
        flows = {
            "births": born,
            "deaths": deaths.sum(axis=-1, dtype=np.float64) + (born - infants),
            "in_internal": inflow_g.sum(axis=-1, dtype=np.float64),
            "out_internal": moved * pi,
            "in_external": came_total,
            "out_external": moved * (1.0 - pi),
        }
        before = N.sum(axis=-1, dtype=np.float64)  # [S, U, 2]
        if year.total is not None:
            # constrained to an outside total: every unit, sex and age scaled alike (per trajectory);
            # the difference is booked as an adjustment, so the balance still holds
            scope_total = before.sum(axis=(1, 2))
            factor = np.where(scope_total > 0, year.total / np.where(scope_total > 0, scope_total, 1.0), 1.0)
            N *= factor.astype(dt)[:, None, None, None]
            flows["adjustment"] = N.sum(axis=-1, dtype=np.float64) - before
        else:
            flows["adjustment"] = np.zeros_like(before)
        yield YearResult(k, N, flows)
        P = N


def project_parallel(
    pop0: np.ndarray, rates: Rates, years: list[Year], sims: int, seed: int = 0, workers: int = 2
) -> Iterator[YearResult]:
    """`project` with the trajectories split between threads (numpy releases the GIL in its array
    work and random draws), joined year by year. The split is fixed, so a seed gives the same
    trajectories on any machine."""
    from concurrent.futures import ThreadPoolExecutor

    sizes = [n for n in (sims - sims // workers * (workers - 1), *([sims // workers] * (workers - 1))) if n > 0]
    runs = [project(pop0, rates, years, n, seed * 7919 + j) for j, n in enumerate(sizes)]
    with ThreadPoolExecutor(len(runs)) as pool:
        while True:
            parts = list(pool.map(lambda run: next(run, None), runs))
            if any(p is None for p in parts):
                return
            done = [p for p in parts if p is not None]
            yield YearResult(
                done[0].k,
                np.concatenate([p.pop for p in done]),
                {name: np.concatenate([p.flows[name] for p in done]) for name in FLOWS},
            )
