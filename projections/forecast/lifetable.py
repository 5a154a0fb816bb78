"""Life tables: single-year (0..99 and the open group 100+) and abridged, and the survival ratios
of the projection. Pure numpy.

Formulas (DEMOGRAPHY.md §1.3 row 23; Preston, Heuveline & Guillot 2001, ch. 3):
q_x = n·m_x / (1 + (n − a_x)·m_x); l_{x+n} = l_x·(1 − q_x); d_x = l_x·q_x;
L_x = n·l_{x+n} + a_x·d_x; open interval q = 1, L = l / m; T_x = Σ_{y≥x} L_y; e_x = T_x / l_x.
a_0 by Andreev & Kingkade (2015), as in the Human Mortality Database's protocol v6; a_x = n/2
elsewhere in a single-year table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OPEN_AGE = 100  # the open age group 100+
AGES = OPEN_AGE + 1


def a0_andreev_kingkade(m0: float, male: bool) -> float:
    """Average years lived in the first year by infants who die in it, from the infant death rate m0."""
    if male:
        if m0 < 0.02300:
            return 0.14929 - 1.99545 * m0
        if m0 < 0.08307:
            return 0.02832 + 3.26201 * m0
        return 0.29915
    if m0 < 0.01724:
        return 0.14903 - 2.05527 * m0
    if m0 < 0.06891:
        return 0.04667 + 3.88089 * m0
    return 0.31411


@dataclass(frozen=True)
class LifeTable:
    ages: np.ndarray  # start of each interval
    n: np.ndarray  # interval widths (the last, open one: inf)
    m: np.ndarray
    a: np.ndarray
    q: np.ndarray
    l: np.ndarray  # noqa: E741 (the life table's own name)
    d: np.ndarray
    L: np.ndarray
    T: np.ndarray
    e: np.ndarray

    @property
    def e0(self) -> float:
        return float(self.e[0])


def life_table(ages: np.ndarray, m: np.ndarray, a: np.ndarray, radix: float = 1.0) -> LifeTable:
    """A period life table from death rates m and a_x; the last interval is open."""
    ages = np.asarray(ages, dtype=float)
    m = np.asarray(m, dtype=float)
    a = np.asarray(a, dtype=float)
    n = np.append(np.diff(ages), np.inf)
    q = np.empty_like(m)
    q[:-1] = np.minimum(1.0, n[:-1] * m[:-1] / (1.0 + (n[:-1] - a[:-1]) * m[:-1]))
    q[-1] = 1.0
    l = np.empty_like(m)  # noqa: E741
    l[0] = radix
    for i in range(1, len(m)):
        l[i] = l[i - 1] * (1.0 - q[i - 1])
    d = l * q
    L = np.empty_like(m)
    L[:-1] = n[:-1] * l[1:] + a[:-1] * d[:-1]
    L[-1] = l[-1] / m[-1] if m[-1] > 0 else 0.0
    T = np.cumsum(L[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(l > 0, T / l, 0.0)
    a_open = a.copy()
    a_open[-1] = 1.0 / m[-1] if m[-1] > 0 else 0.0
    return LifeTable(ages, n, m, a_open, q, l, d, L, T, e)


def single_year(m: np.ndarray, male: bool) -> LifeTable:
    """A single-year table 0..99, 100+ from rates m[0..100] (the open group's rate last)."""
    m = np.maximum(np.asarray(m, dtype=float), 0.0)
    m[-1] = max(m[-1], 1e-3)  # the open group needs deaths to close the table
    a = np.full(AGES, 0.5)
    a[0] = a0_andreev_kingkade(float(m[0]), male)
    return life_table(np.arange(AGES), m, a)


def survival_ratios(m: np.ndarray, male: bool) -> tuple[np.ndarray, float]:
    """(s, s_birth): s[x] = L_{x+1} / L_x, the share of those aged x at the start of a year who are
    alive a year later (aged x + 1); those aged 99 and 100+ both go to 100+ with T_100 / T_99;
    s_birth = L_0 / l_0, the share of a year's births alive at its end (aged 0). Index 100 repeats
    the ratio of 99 so that the open group survives at the same rate."""
    lt = single_year(m, male)
    s = np.empty(AGES)
    with np.errstate(divide="ignore", invalid="ignore"):
        s[: OPEN_AGE - 1] = np.where(lt.L[:-2] > 0, lt.L[1:-1] / lt.L[:-2], 0.0)
        open_ratio = lt.T[OPEN_AGE] / lt.T[OPEN_AGE - 1] if lt.T[OPEN_AGE - 1] > 0 else 0.0
    s[OPEN_AGE - 1] = s[OPEN_AGE] = open_ratio
    return s, float(lt.L[0] / lt.l[0])
