"""Cited Vietnamese demographic schedules (DEMOGRAPHY.md §2) that drive the synthetic province.

Source tags ([V8], [V33], ...) are those of ../shared/DEMOGRAPHY.md §6. Confidence follows that
document: H sourced, M secondary or derived, L an estimate used only as a generator default.
Each schedule is an input; crude rates (CBR, CDR, CPR) are outputs checked in the truth file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

AGE_GROUPS = (15, 20, 25, 30, 35, 40, 45)  # five-year groups of the mother's age, 15-19 ... 45-49
MAX_AGE = 100  # open age group of the life table

# ASFR shapes, share of TFR in each group. National: DEMOGRAPHY §2.2 (L; peak 25-29, mean age
# at childbearing ~28). Mountain: peak at 20-24 as in Bắc Kạn 2009 (20-24 139.9‰, 25-29 106.6‰,
# 30-34 57.0‰) [V33] (M), the other groups filled in (L).
SHAPE_NATIONAL = (0.07, 0.29, 0.33, 0.21, 0.08, 0.018, 0.002)
SHAPE_MOUNTAIN = (0.117, 0.365, 0.279, 0.149, 0.065, 0.021, 0.004)

# Method mix among current users in 2020: IUD 45.3 % (H), pill 22.9 %, condom 17.5 % (M, derived
# from the PCFPS 2020 counts) [V18]; the remaining ~14 % split here by us (L).
METHODS = (
    "iud",
    "pill",
    "condom",
    "injectable",
    "implant",
    "female_sterilization",
    "male_sterilization",
    "traditional",
)
METHOD_MIX = (0.453, 0.229, 0.175, 0.040, 0.015, 0.040, 0.003, 0.045)
# Monthly discontinuation hazards. IUD: 12.1 % stopped by 12 months [V29] -> 1-(1-0.121)^(1/12).
# Short-acting methods stop faster (L, DEMOGRAPHY §2.2 "pill and condom episodes are shorter").
# Sterilisation is permanent.
METHOD_STOP = (0.0107, 0.025, 0.028, 0.030, 0.012, 0.0, 0.0, 0.025)
SWITCH_AFTER_STOP = 0.70  # 70 % of IUD removals switch to another method [V29] (M)

# Outcomes of a recognised pregnancy (L): abortions 200-250 k a year against ~1.4 M births [V32]
# gives ~0.11 of pregnancies; miscarriage and stillbirth from general knowledge.
OUTCOMES = ("live_birth", "miscarriage", "abortion", "stillbirth")
OUTCOME_P = (0.792, 0.090, 0.110, 0.008)
TWIN_RATE = 0.011  # share of live deliveries that are twins (L)


@dataclass(frozen=True)
class Preset:
    """A province profile: every schedule the simulation reads, with where it comes from."""

    name: str
    tfr: float
    asfr_shape: tuple[float, ...]
    srb_by_order: tuple[float, float, float]  # males per 100 females: 1st, 2nd, 3rd+ births
    e0: tuple[float, float]  # life expectancy at birth, M and F
    imr: float  # infant deaths per 1,000 live births (life-table 1q0)
    female_marriage_mean: float  # mean age at first marriage, women
    marriage_gap_mean: float  # husband's age minus wife's, mean (years)
    household_size: float  # target mean household size at baseline
    ethnic_mix: tuple[tuple[str, float], ...]
    cohort_tfr: tuple[tuple[int, float], ...]  # (mother's birth year, completed fertility)
    sources: dict[str, str] = field(default_factory=dict)

    def asfr(self) -> list[float]:
        """Births per woman-year by single year of age 0..MAX_AGE (a step within each group)."""
        out = [0.0] * (MAX_AGE + 1)
        for start, share in zip(AGE_GROUPS, self.asfr_shape, strict=True):
            for age in range(start, start + 5):
                out[age] = self.tfr * share / 5.0 / sum(self.asfr_shape)
        # Births below 15 are rare but real; they come out of the 15-19 group (DEMOGRAPHY §1.3 row 4).
        out[14], out[15] = out[15] * 0.08, out[15] * 0.92
        return out


SON_LA = Preset(
    name="Sơn La (northern mountain preset)",
    tfr=2.30,
    asfr_shape=SHAPE_MOUNTAIN,
    srb_by_order=(107.5, 110.5, 128.0),
    e0=(69.0, 75.0),
    imr=22.0,
    female_marriage_mean=22.9,
    marriage_gap_mean=4.0,
    household_size=4.66,
    # 2009 census shares for Sơn La, recalled (L): Thái 53.2, Kinh 17.6, Mông 14.6, Mường 7.9,
    # Xinh Mun 2.1, Dao 1.7, Khơ Mú 1.3; the small groups are folded into the closest ones.
    ethnic_mix=(
        ("Thái", 0.540),
        ("Kinh", 0.176),
        ("Mông", 0.150),
        ("Mường", 0.079),
        ("Xinh Mun", 0.021),
        ("Dao", 0.019),
        ("Khơ Mú", 0.015),
    ),
    cohort_tfr=((1940, 6.5), (1955, 5.8), (1965, 4.5), (1975, 3.2), (1985, 2.6), (1995, 2.3)),
    sources={
        "tfr": "Northern Midlands and Mountains about 2.3 in 2024, Hà Giang 2.69 [V16][V13] (H region; L for Sơn La)",
        "asfr_shape": "peak at 20-24 as in Bắc Kạn 2009 [V33] (M)",
        "srb": "SRB 111.5 (2019) and 111.4 (2024) [V8][V12] (H); higher at order 3+ [V38]; split by order L",
        "e0": "national 2024 e0 M 72.3 F 77.3 [V15]; lowered for a mountain province (L)",
        "imr": "national 12-14‰ [V25]; a northern mountain province 37.8‰ in 2017 [V27 NGTK2018 p66] (M); 22‰ chosen (L)",
        "female_marriage_mean": "SMAM Sơn La 22.9 (2023) [V21] (M)",
        "marriage_gap_mean": "SMAM gap M-F about 4 nationally [V7][V13] (H); husband older >72 %, same age 12 % [V22] (M)",
        "household_size": "Sơn La register 283,468 households / 1,320,046 persons = 4.66 [V36] (H)",
        "ethnic_mix": "2009 census shares for Sơn La, recalled (L)",
        "cohort_tfr": "older cohorts' completed fertility, PCFPS 2013 parity tables [V28] (M) raised for the mountains (L)",
    },
)

NATIONAL = Preset(
    name="Vietnam (national preset)",
    tfr=1.96,
    asfr_shape=SHAPE_NATIONAL,
    srb_by_order=(107.5, 110.5, 128.0),
    e0=(72.3, 77.3),
    imr=12.1,
    female_marriage_mean=25.2,
    marriage_gap_mean=4.2,
    household_size=3.6,
    # 2019 census shares, recalled (L): Kinh 85.3, Tày 1.9, Thái 1.9, Mường 1.5, Mông 1.5,
    # Nùng 1.1, Dao 0.9; the other groups are folded into Kinh here.
    ethnic_mix=(
        ("Kinh", 0.912),
        ("Tày", 0.019),
        ("Thái", 0.019),
        ("Mường", 0.015),
        ("Mông", 0.015),
        ("Nùng", 0.011),
        ("Dao", 0.009),
    ),
    cohort_tfr=((1940, 5.5), (1955, 4.5), (1965, 3.0), (1975, 2.3), (1985, 2.1), (1995, 2.0)),
    sources={
        "tfr": "TFR 1.96 (2023) [V17][V13] (H)",
        "asfr_shape": "DEMOGRAPHY §2.2 shape (L)",
        "srb": "SRB 111.5 (2019) and 111.4 (2024) [V8][V12] (H); by order L",
        "e0": "e0 2024 M 72.3, F 77.3 [V15] (H)",
        "imr": "IMR about 12.1‰ (2020) [V25] (M)",
        "female_marriage_mean": "SMAM women 25.2 (2024) [V13] (H)",
        "marriage_gap_mean": "SMAM 2024 M 29.4 - F 25.2 [V13] (H)",
        "household_size": "101.1 M / 28.15 M = 3.59 (2024) [V12] (M)",
        "ethnic_mix": "2019 census, recalled (L)",
        "cohort_tfr": "PCFPS 2013 parity tables [V28] (M); younger cohorts L",
    },
)

PRESETS = {"14": SON_LA}


def preset_for(province: str) -> Preset:
    return PRESETS.get(province, NATIONAL)


def cohort_tfr(preset: Preset, birth_year: int) -> float:
    """Completed fertility of women born in `birth_year`, linear between the preset's anchors."""
    pts = preset.cohort_tfr
    if birth_year <= pts[0][0]:
        return pts[0][1]
    for (y0, t0), (y1, t1) in zip(pts, pts[1:], strict=False):
        if birth_year <= y1:
            return t0 + (t1 - t0) * (birth_year - y0) / (y1 - y0)
    return pts[-1][1]


def _hazards(imr: float, senescent: float, male: bool) -> list[float]:
    """Annual force of mortality by single age: infant, child decline, background, accident hump, Gompertz.

    A Siler-type curve (L): only the level `senescent` is fitted, to e0 (DEMOGRAPHY §2.2 asks for
    a relational or parametric model fitted to e0 and IMR).
    """
    q0 = imr / 1000.0
    out = [-math.log(1.0 - q0)]
    slope = 0.095 if male else 0.100
    for age in range(1, MAX_AGE + 1):
        child = q0 * 0.12 * math.exp(-0.9 * (age - 1))
        background = 0.0006 if male else 0.0003
        hump = 0.0009 if male and 17 <= age <= 40 else 0.0
        out.append(child + background + hump + senescent * math.exp(slope * (age - 30)))
    return out


def life_expectancy(mu: list[float]) -> float:
    """e0 from single-age hazards (a0 = 0.1 for the first year, mid-year elsewhere, open age 1/mu)."""
    alive, total = 1.0, 0.0
    for age, m in enumerate(mu):
        if age == len(mu) - 1:
            total += alive / m
            break
        nxt = alive * math.exp(-m)
        total += nxt + (0.1 if age == 0 else 0.5) * (alive - nxt)
        alive = nxt
    return total


def mortality(preset: Preset) -> tuple[list[float], list[float]]:
    """Annual hazards by age for M and F, each fitted by bisection to the preset's e0."""
    out = []
    for male, e0 in ((True, preset.e0[0]), (False, preset.e0[1])):
        lo, hi = 1e-6, 0.05
        for _ in range(60):
            mid = (lo + hi) / 2
            if life_expectancy(_hazards(preset.imr, mid, male)) > e0:
                lo = mid
            else:
                hi = mid
        out.append(_hazards(preset.imr, (lo + hi) / 2, male))
    return out[0], out[1]


def first_marriage_hazard(mean_age: float, ever_marry: float = 0.97) -> list[float]:
    """Annual hazard of first marriage for never-married women by age (L).

    Age at first marriage = 15 + Gamma(k, theta) with the preset's mean and sd 4.2 years; the
    gamma left tail gives the under-18 marriages the register must flag as child marriage
    (9.1 % of women 20-24 married before 18 nationally, 21.5 % in the northern mountains [V7]).
    """
    sd = 4.2
    k = ((mean_age - 15.0) / sd) ** 2
    theta = sd * sd / (mean_age - 15.0)
    dens = []
    for age in range(MAX_AGE + 1):
        x = age + 0.5 - 15.0
        dens.append(0.0 if x <= 0 else x ** (k - 1) * math.exp(-x / theta))
    total = sum(dens)
    haz, surviving = [], 1.0
    for d in dens:
        f = ever_marry * d / total
        haz.append(min(0.9, f / surviving) if surviving > 1e-9 else 0.0)
        surviving = max(surviving - f, 1e-12)
    return haz


@dataclass(frozen=True)
class Hazards:
    """Annual event rates that are not age schedules (all L unless noted)."""

    divorce: float = 0.006  # per identifiable married couple; so ~2 % of 15+ are divorced [V23]
    remarriage_young: float = 0.06  # divorced or widowed women under 45
    remarriage_old: float = 0.01  # 45-59
    # Moves, per person-year, individuals not currently married (DEMOGRAPHY §2.2: ~1.5 %/yr
    # between communes; 2019 census 5-year transitions intra-district 2.7 %, inter-district
    # 1.4 %, inter-provincial 3.2 % [V6]; the northern mountains send migrants out [V20]).
    move_household: float = 0.006  # to another household of the same commune
    move_commune: float = 0.005  # another commune of the same district (after 2025: any)
    move_district: float = 0.003
    move_province: float = 0.008  # to another province
    move_abroad: float = 0.0008
    family_move: float = 0.008  # per married couple (with its young children), any destination
    household_move: float = 0.003  # whole households
    in_province: float = 0.0025  # arrivals from other provinces, per resident (net out-migration)
    in_abroad: float = 0.0002
    # Contraception starts per month among married non-users who are able (L), calibrated so that
    # CPR reaches about 73-75 % of married women 15-49 [V18].
    start_parity0: float = 0.012
    start_parity1: float = 0.07
    start_parity2: float = 0.12
    wants_child_stop: float = 0.02  # monthly extra stop of users with fewer than two children
    unmarried_fertility: float = 0.03  # relative to a married woman of the same age (L)


def individual_move_age_factor(age: int) -> float:
    """Relative intensity of moves by age: the peak at 18-29 (DEMOGRAPHY §2.2 after [V6])."""
    if age < 15:
        return 0.0
    if age < 18:
        return 0.6
    if age < 30:
        return 2.2
    if age < 40:
        return 1.0
    if age < 60:
        return 0.4
    return 0.15
