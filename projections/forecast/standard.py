"""The standard mortality schedule that areas with few deaths borrow their shape from.

Vietnam's national level: life expectancy at birth 2024, males 72.3 and females 77.3 years, and
an infant mortality rate of about 12.1 per 1,000 (DEMOGRAPHY.md §2.1, [V15] H, [V25] M). The shape
is a Siler-type curve (Siler 1979: a falling childhood term, a constant, and a Gompertz senescent
term with a slope of 0.09-0.095 a year, the usual range of adult human mortality); only the
senescent level is fitted, by bisection, so that the single-year life table gives the e0 above.
The register's own deaths set the level of each age band (projections.forecast.estimate): the
standard matters only where the area has few deaths.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from projections.forecast.lifetable import AGES, single_year

E0 = {"M": 72.3, "F": 77.3}
IMR_PER_1000 = 12.1
SLOPE = {"M": 0.090, "F": 0.095}
BACKGROUND = {"M": 0.0006, "F": 0.0003}


def _rates(sex: str, senescent: float) -> np.ndarray:
    x = np.arange(AGES, dtype=float)
    q0 = IMR_PER_1000 / 1000.0
    m = BACKGROUND[sex] + senescent * np.exp(SLOPE[sex] * (x - 30.0)) + 0.15 * q0 * np.exp(-0.8 * x)
    m[0] = q0 / (1.0 - 0.85 * q0)
    return m


@cache
def standard_rates(sex: str) -> np.ndarray:
    """Death rates m_x by single year 0..100+ for sex "M" or "F" (a read-only array)."""
    lo, hi = 1e-7, 0.05
    for _ in range(80):
        mid = (lo + hi) / 2
        if single_year(_rates(sex, mid), sex == "M").e0 > E0[sex]:
            lo = mid
        else:
            hi = mid
    out = _rates(sex, (lo + hi) / 2)
    out.flags.writeable = False
    return out
