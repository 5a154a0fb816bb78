"""Scenarios: how the rates move over the horizon. Pure.

- `constant`: the register's rates of the base period held for every year.
- `strategy`: the Population Strategy to 2030 (QĐ 1679/QĐ-TTg, 22 November 2019): fertility
  converging linearly to replacement (TFR 2.1) and the sex ratio at birth to below 109 (108 here)
  by 2030 (or within five years of a base after 2025), then held; mortality and migration as in
  `constant`.
- `zero_migration`: `constant` with nobody moving out of or into any unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCENARIOS = {
    "constant": ("Giữ nguyên các tỷ suất của thời kỳ gốc", "The base period's rates held"),
    "strategy": (
        "Chiến lược Dân số đến 2030: mức sinh thay thế (TFR 2,1), SRB dưới 109",
        "Population Strategy to 2030: replacement fertility (TFR 2.1), SRB below 109",
    ),
    "zero_migration": ("Không di cư", "Zero migration"),
}
TARGET_TFR = 2.1
TARGET_SRB = 108.0
TARGET_YEAR = 2030


class UnknownScenario(ValueError):
    pass


@dataclass(frozen=True)
class Year:
    """Adjustments for one projection year (k = 1 for the first year after the base)."""

    fertility: np.ndarray  # [U] multiplier of each unit's ASFR
    boy_share: np.ndarray  # [U]
    migration: float  # 1.0, or 0.0 for no migration
    total: float | None = None  # an outside total the scope's population is scaled to (a constraint)


def check(name: str) -> str:
    if name not in SCENARIOS:
        raise UnknownScenario(f"unknown scenario {name!r}; one of {', '.join(SCENARIOS)}")
    return name


def years_to_target(base_year: int) -> int:
    return max(TARGET_YEAR - base_year, 5) if base_year > 2025 else max(TARGET_YEAR - base_year, 1)


def schedule(name: str, tfr: np.ndarray, boy_share: np.ndarray, base_year: int, horizon: int) -> list[Year]:
    check(name)
    out: list[Year] = []
    span = years_to_target(base_year)
    srb = 100.0 * boy_share / (1.0 - boy_share)
    for k in range(1, horizon + 1):
        if name == "strategy":
            w = min(1.0, k / span)
            target = tfr + (TARGET_TFR - tfr) * w
            with np.errstate(divide="ignore", invalid="ignore"):
                fert = np.where(tfr > 0, target / np.where(tfr > 0, tfr, 1.0), 1.0)
            new_srb = np.where(srb > TARGET_SRB, srb + (TARGET_SRB - srb) * w, srb)
            out.append(Year(fert, new_srb / (100.0 + new_srb), 1.0))
        else:
            out.append(Year(np.ones_like(tfr), boy_share, 0.0 if name == "zero_migration" else 1.0))
    return out
