"""Rates for the projection from the register's counts over a base period. Pure numpy.

Every rate is an occurrence/exposure ratio: events in the base period over the person-years lived
in it by the people at risk (DEMOGRAPHY.md §1.3), by sex and age group, for the scope (the
province) first; then each district and each commune gets a level multiplier θ on the scope's
schedule, estimated by indirect standardisation (observed events O over the events E expected
from the scope's schedule and the unit's own exposure) and shrunk with a Poisson-gamma model:
θ ~ Gamma(mean μ, variance A) a priori, with μ and A estimated from all units by Marshall's
(1991) moment method (A = s² − μ / Ē, floored at a 5 % coefficient of variation), so the posterior
is Gamma(O + μ²/A, E + μ/A). A commune of 2,000 people with 10 deaths in three years thereby
keeps most of its district's level (Clayton & Kaldor 1987; Marshall 1991). Districts are shrunk
towards the province, communes towards their district.

- Fertility: ASFR by five-year group of the mother's age (10-14 ... 45-49) at the scope;
  TFR = 5 · Σ ASFR (DEMOGRAPHY.md row 5). Sex at birth: the share of boys, scope's with a prior of
  100 births at the national SRB 111.4 [V15], each unit's with a prior of 200 births at the scope's.
- Mortality: the standard schedule (projections.forecast.standard) scaled in six age bands
  (0, 1-14, 15-44, 45-64, 65-84, 85+) by θ_band = (D + 5) / (E_std + 5): the register's deaths
  set the level where it has them, the standard's shape fills the ages where it has few.
- Out-migration: rates by sex and five-year group (0-4 ... 80+) of moves out of a unit (to
  another unit of the scope or beyond it) per person-year lived in it; where they go: the share
  staying in the scope π_u and the destination shares among the scope's units, both with small
  priors towards the scope's pattern.
- In-migration from outside the scope: each unit's arrivals a year, spread over sex and age by the
  scope's profile of arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from projections.forecast.lifetable import AGES, single_year, survival_ratios
from projections.forecast.standard import standard_rates

SEXES = ("M", "F")
NATIONAL_BOY_SHARE = 111.4 / 211.4
FERTILE_GROUPS = tuple(range(10, 50, 5))
MORTALITY_BANDS = ((0, 1), (1, 15), (15, 45), (45, 65), (65, 85), (85, AGES))
MIGRATION_GROUPS = tuple((lo, lo + 5) for lo in range(0, 80, 5)) + ((80, AGES),)
MIN_CV = 0.05


@dataclass
class Counts:
    """What the register recorded, by unit (the scope's communes on the base date)."""

    units: list[str]
    districts: list[str | None]
    scope: str
    years: float  # the base period's length in years
    pop: np.ndarray  # [U, 2, AGES] persons on the base date, by completed years
    exposure: np.ndarray  # [U, 2, AGES] person-years lived in the base period
    births: np.ndarray  # [U, AGES, 2] births by the mother's age and the child's sex
    deaths: np.ndarray  # [U, 2, AGES]
    out_moves: np.ndarray  # [U, 2, AGES] moves out of the unit (age on the day they left)
    od: np.ndarray  # [U, U] moves between units of the scope, from row to column
    in_moves: np.ndarray  # [U, 2, AGES] arrivals from outside the scope (age on arrival)
    # variance-to-mean ratio of mover counts ("out", "in"): people move in families
    dispersion: dict[str, float] = field(default_factory=lambda: {"out": 1.0, "in": 1.0})


@dataclass
class Level:
    """A unit's level multiplier on a schedule: its point value and its posterior for draws,
    multiplier = base · Gamma(shape, rate) with mean base · shape / rate = value."""

    value: np.ndarray
    base: np.ndarray
    shape: np.ndarray
    rate: np.ndarray

    def draw(self, rng: np.random.Generator, sims: int) -> np.ndarray:
        return self.base * rng.gamma(self.shape, 1.0 / self.rate, size=(sims, len(self.value)))


@dataclass
class Rates:
    units: list[str]
    asfr: np.ndarray  # [U, AGES]
    boy_share: np.ndarray  # [U]
    mx: np.ndarray  # [U, 2, AGES]
    out_rate: np.ndarray  # [U, 2, AGES]
    internal_share: np.ndarray  # [U]
    dest: np.ndarray  # [U, U], rows sum to 1 where the unit sends anyone
    in_count: np.ndarray  # [U, 2, AGES] arrivals a year
    levels: dict[str, Level] = field(default_factory=dict)
    scope_draws: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    dispersion: dict[str, float] = field(default_factory=lambda: {"out": 1.0, "in": 1.0})
    dest_alpha: np.ndarray | None = None  # [U, U] Dirichlet parameters of dest's rows (None: fixed)

    @cached_property
    def survival(self) -> tuple[np.ndarray, np.ndarray]:
        """([U, 2, AGES] survival ratios, [U, 2] newborns alive at the year's end) of each unit's
        life table (projections.forecast.lifetable.survival_ratios), computed once per rates."""
        U = len(self.units)
        surv, surv_birth = np.empty((U, 2, AGES)), np.empty((U, 2))
        for u in range(U):
            for s in range(2):
                surv[u, s], surv_birth[u, s] = survival_ratios(self.mx[u, s].copy(), s == 0)
        return surv, surv_birth

    def tfr(self) -> np.ndarray:
        return self.asfr.sum(axis=1)

    def e0(self) -> np.ndarray:
        """[U, 2] life expectancy at birth."""
        return np.array(
            [[single_year(self.mx[u, s].copy(), s == 0).e0 for s in range(2)] for u in range(len(self.units))]
        )


def shrink(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(θ, shape, rate): each unit's level O/E shrunk by the Poisson-gamma model (Marshall 1991)."""
    obs = np.asarray(observed, dtype=float)
    exp = np.asarray(expected, dtype=float)
    some = exp > 0
    if not some.any() or obs.sum() <= 0:
        big = np.full(len(obs), 1e6)
        return np.ones(len(obs)), big, big
    mu = obs[some].sum() / exp[some].sum()
    mean_E = exp[some].sum() / some.sum()
    s2 = (exp[some] * (obs[some] / exp[some] - mu) ** 2).sum() / exp[some].sum()
    A = max(s2 - mu / mean_E, (MIN_CV * mu) ** 2)
    shape = obs + mu * mu / A
    rate = exp + mu / A
    return shape / rate, shape, rate


def hierarchical(observed: np.ndarray, expected: np.ndarray, districts: list[str | None]) -> Level:
    """Districts shrunk towards the scope, then communes towards their district."""
    U = len(observed)
    base = np.ones(U)
    names = sorted({d for d in districts if d is not None})
    if len(names) > 1:
        idx = np.array([names.index(d) if d is not None else -1 for d in districts])
        O_d = np.array([observed[idx == i].sum() for i in range(len(names))])
        E_d = np.array([expected[idx == i].sum() for i in range(len(names))])
        theta_d, _, _ = shrink(O_d, E_d)
        base = np.where(idx >= 0, theta_d[np.maximum(idx, 0)], 1.0)
    theta, shape, rate = shrink(observed, expected * base)
    return Level(base * theta, base, shape, rate)


def _grouped(x: np.ndarray, groups: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Sum the last (age) axis into groups."""
    return np.stack([x[..., lo:hi].sum(axis=-1) for lo, hi in groups], axis=-1)


def _spread(g: np.ndarray, groups: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Group values back onto single ages (the same value at every age of a group)."""
    out = np.zeros((*g.shape[:-1], AGES))
    for i, (lo, hi) in enumerate(groups):
        out[..., lo:hi] = g[..., i : i + 1]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def estimate(c: Counts) -> Rates:
    U = len(c.units)
    warnings: list[str] = []
    scope_draws: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    person_years = float(c.exposure.sum())
    if c.years < 1.0:
        warnings.append(f"only {c.years:.1f} years of history before the base date: rates are rough")
    if person_years < 5000:
        warnings.append(
            f"only {person_years:,.0f} person-years lived in the base period: the intervals are wide "
            "and the rates lean on the standard schedule"
        )

    # fertility
    fgroups = tuple((lo, lo + 5) for lo in FERTILE_GROUPS)
    women = _grouped(c.exposure[:, 1, :], fgroups)  # [U, G]
    births_by_age = c.births.sum(axis=2)  # [U, AGES]
    b = _grouped(births_by_age, fgroups)
    scope_asfr = _ratio(b.sum(axis=0), women.sum(axis=0))
    total_births = float(b.sum())
    if total_births < 100:
        warnings.append(f"only {total_births:.0f} births in the base period: fertility is uncertain")
    fert = hierarchical(b.sum(axis=1), (women * scope_asfr).sum(axis=1), c.districts)
    asfr = _spread(scope_asfr[None, :] * fert.value[:, None], fgroups)
    scope_draws["fertility"] = (np.array([total_births + 1.0]), np.array([total_births + 1.0]))

    boys = c.births[:, :, 0].sum(axis=1)
    all_births = c.births.sum(axis=(1, 2))
    scope_share = (boys.sum() + 100 * NATIONAL_BOY_SHARE) / (all_births.sum() + 100)
    boy_share = (boys + 200 * scope_share) / (all_births + 200)

    # mortality: the standard scaled by band, then each unit's level
    std = np.stack([standard_rates(s) for s in SEXES])  # [2, AGES]
    expected_std = c.exposure.sum(axis=0) * std  # [2, AGES]
    D = c.deaths.sum(axis=0)
    theta_band = np.ones((2, len(MORTALITY_BANDS)))
    band_shape = np.ones((2, len(MORTALITY_BANDS)))
    band_rate = np.ones((2, len(MORTALITY_BANDS)))
    for s in range(2):
        for i, (lo, hi) in enumerate(MORTALITY_BANDS):
            d, e = float(D[s, lo:hi].sum()), float(expected_std[s, lo:hi].sum())
            band_shape[s, i], band_rate[s, i] = d + 5.0, e + 5.0
            theta_band[s, i] = (d + 5.0) / (e + 5.0)
    scope_mx = std * _spread(theta_band, MORTALITY_BANDS)
    if float(D.sum()) < 50:
        warnings.append(f"only {D.sum():.0f} deaths in the base period: mortality leans on the national standard")
    mort = hierarchical(c.deaths.sum(axis=(1, 2)), (c.exposure * scope_mx[None]).sum(axis=(1, 2)), c.districts)
    mx = scope_mx[None] * mort.value[:, None, None]
    scope_draws["mortality"] = (band_shape, band_rate)

    # out-migration
    mo = _grouped(c.out_moves.sum(axis=0), MIGRATION_GROUPS)
    me = _grouped(c.exposure.sum(axis=0), MIGRATION_GROUPS)
    scope_out = _spread(_ratio(mo, me), MIGRATION_GROUPS)  # [2, AGES]
    out_level = hierarchical(c.out_moves.sum(axis=(1, 2)), (c.exposure * scope_out[None]).sum(axis=(1, 2)), c.districts)
    out_rate = scope_out[None] * out_level.value[:, None, None]
    total_out = float(c.out_moves.sum())
    scope_draws["out"] = (np.array([total_out + 1.0]), np.array([total_out + 1.0]))

    internal = c.od.sum(axis=1).astype(float)
    out_total = c.out_moves.sum(axis=(1, 2)).astype(float)
    pi = internal.sum() / out_total.sum() if out_total.sum() > 0 else 0.0
    internal_share = np.clip((internal + 10 * pi) / (out_total + 10), 0.0, 1.0)
    into = c.od.sum(axis=0).astype(float)
    dest = np.zeros((U, U))
    dest_alpha = np.zeros((U, U))  # Dirichlet parameters of each row: the moves seen plus the prior
    for u in range(U):
        g = into.copy()
        g[u] = 0.0
        g = g / g.sum() if g.sum() > 0 else np.where(np.arange(U) == u, 0.0, 1.0 / max(U - 1, 1))
        row = c.od[u].astype(float).copy()
        row[u] = 0.0
        dest_alpha[u] = row + 2.0 * g
        dest[u] = dest_alpha[u] / (row.sum() + 2.0)
    if U == 1:
        internal_share[:] = 0.0
        dest[:] = 0.0
        dest_alpha[:] = 0.0

    # in-migration from outside the scope
    arrivals = c.in_moves.sum(axis=0).astype(float)  # [2, AGES]
    profile_g = _grouped(arrivals, MIGRATION_GROUPS)
    width = np.array([hi - lo for lo, hi in MIGRATION_GROUPS], dtype=float)
    profile = _spread(profile_g / width, MIGRATION_GROUPS)
    profile = profile / profile.sum() if profile.sum() > 0 else profile
    per_year = c.in_moves.sum(axis=(1, 2)) / max(c.years, 1e-9)
    in_count = per_year[:, None, None] * profile[None]
    arrived = c.in_moves.sum(axis=(1, 2)).astype(float)
    in_level = Level(np.ones(U), np.ones(U), arrived + 0.5, arrived + 0.5)

    return Rates(
        units=list(c.units),
        asfr=asfr,
        boy_share=boy_share,
        mx=mx,
        out_rate=out_rate,
        internal_share=internal_share,
        dest=dest,
        dest_alpha=dest_alpha,
        in_count=in_count,
        levels={"fertility": fert, "mortality": mort, "out": out_level, "in": in_level},
        scope_draws=scope_draws,
        warnings=warnings,
        dispersion=dict(c.dispersion),
    )
