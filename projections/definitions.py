"""The indicator catalogue (INDICATORS.md) as versioned definitions over counted facts. Pure.

SQL (projections.read.indicator_sql) counts facts for an area and period; each indicator is a small
formula over them, under a definition version. A projection version's rules pin which version
of each definition it serves (projections.rules): changing a definition is a new projection
version and a rebuild, and the old one answers under the old definition until the swap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from events.types import MODERN_METHODS

Facts = dict[str, Any]
Value = int | float | None

AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = tuple(
    (f"pop_age_{a}_{a + 4}", a, a + 4) for a in range(0, 80, 5)
) + (("pop_age_80_plus", 80, None),)
BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("children_0_5", 0, 5),
    ("youth_10_24", 10, 24),
    ("working_age_15_64", 15, 64),
    ("elderly_60_plus", 60, None),
)
FERTILE = tuple(range(15, 50, 5))  # lower bounds of the ASFR age groups 15-19 .. 45-49
METHODS = (
    "iud",
    "implant",
    "injectable",
    "pill",
    "condom",
    "female_sterilization",
    "male_sterilization",
    "traditional",
)
MODERN = sorted(MODERN_METHODS)


def ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if not den else round(num * scale / den, 6)


@dataclass(frozen=True)
class Definition:
    name: str
    version: int
    needs: frozenset[str]  # fact groups: stock, mid, births, deaths, unions, moves, contraception, exposure
    formula: Callable[[Facts], Value]
    text: str


REGISTRY: dict[str, dict[int, Definition]] = {}


def define(
    name: str, needs: str, text: str, version: int = 1
) -> Callable[[Callable[[Facts], Value]], Callable[[Facts], Value]]:
    def register(formula: Callable[[Facts], Value]) -> Callable[[Facts], Value]:
        REGISTRY.setdefault(name, {})[version] = Definition(name, version, frozenset(needs.split()), formula, text)
        return formula

    return register


def count(name: str, needs: str, fact: str, text: str) -> None:
    define(name, needs, text)(lambda f: int(f.get(fact, 0)))


# Stocks at the end of the period's last day.
count("population", "stock", "population", "persons in the population")
count("population_male", "stock", "population_male", "males in the population")
count("population_female", "stock", "population_female", "females in the population")
count("households", "stock", "households", "households with at least one member in the population")
for _name, _lo, _hi in AGE_GROUPS + BANDS:
    count(_name, "stock", _name, f"persons aged {_lo}-{_hi if _hi is not None else ''}")
count("women_15_49", "stock", "women_15_49", "women aged 15-49")
count("married_women_15_49", "stock", "married_women_15_49", "women 15-49 whose marital status is married")
define("cpr_modern", "stock", "married women 15-49 using a modern method / married women 15-49")(
    lambda f: ratio(f["married_modern"], f["married_women_15_49"])
)
# v2, an example rule change: the all-women mCPR of FP2030 (users among all women 15-49).
define("cpr_modern", "stock", "women 15-49 using a modern method / women 15-49 (all women)", version=2)(
    lambda f: ratio(f["women_modern"], f["women_15_49"])
)


def _users_of(method: str) -> Callable[[Facts], Value]:
    return lambda f: int(f["married_users"].get(method, 0))


for _m in METHODS:
    define(f"contraceptive_users_by_method.{_m}", "stock", f"married women 15-49 using {_m}")(_users_of(_m))
define("sex_ratio_population", "stock", "males per 100 females")(
    lambda f: ratio(f["population_male"], f["population_female"], 100)
)

# Flows over the period, by occurred_on.
for _name in ("births", "births_male", "births_female", "births_order_3_plus"):
    count(_name, "births", _name, f"{_name.replace('_', ' ')} whose child's household is in the area")
define("share_order_3_plus", "births", "births of order 3+ / births")(
    lambda f: ratio(f["births_order_3_plus"], f["births"])
)
define("srb", "births", "male births per 100 female births")(lambda f: ratio(f["births_male"], f["births_female"], 100))
count("deaths", "deaths", "deaths", "deaths of persons in the population of the area the day before")
count("marriages", "unions", "marriages", "marriages, in the area of the first listed person")
count("divorces", "unions", "divorces", "divorces, in the area of the first listed person")
count("child_marriages", "unions", "child_marriages", "marriages where a party is under the legal age")
count("in_migrants", "moves", "in_migrants", "person-moves crossing into the area at its level")
count("out_migrants", "moves", "out_migrants", "person-moves crossing out of the area at its level")
define("net_migration", "moves", "in_migrants - out_migrants")(lambda f: int(f["in_migrants"] - f["out_migrants"]))
count(
    "contraception_new_users",
    "contraception",
    "contraception_new_users",
    "contraception.started events of women living in the area",
)
define("cbr", "births mid", "births per 1,000 mid-period population")(
    lambda f: ratio(f["births"], f["mid_population"], 1000)
)
define("cdr", "deaths mid", "deaths per 1,000 mid-period population")(
    lambda f: ratio(f["deaths"], f["mid_population"], 1000)
)
define("gfr", "births exposure", "births per 1,000 woman-years lived at 15-49 in the area")(
    lambda f: ratio(f["births"], sum(f["woman_years"].values()), 1000)
)


def _asfr_of(lo: int) -> Callable[[Facts], Value]:
    return lambda f: ratio(f["births_by_mother_age"].get(str(lo), 0), f["woman_years"].get(str(lo), 0), 1000)


for _lo in FERTILE:
    define(
        f"asfr_{_lo}_{_lo + 4}",
        "births exposure",
        f"births to mothers aged {_lo}-{_lo + 4} per 1,000 woman-years lived at that age in the area",
    )(_asfr_of(_lo))


@define("tfr", "births exposure", "5 x sum of ASFR / 1,000; an age group without exposure adds 0")
def _tfr(f: Facts) -> Value:
    if not sum(f["woman_years"].values()):
        return None
    rates = (
        ratio(f["births_by_mother_age"].get(str(lo), 0), f["woman_years"].get(str(lo), 0), 1000) or 0.0
        for lo in FERTILE
    )
    return round(5 * sum(rates) / 1000, 6)


NAMES: tuple[str, ...] = tuple(REGISTRY)


class UnknownIndicator(ValueError):
    """An indicator name (or definition version) not in the catalogue."""


def check_definitions(versions: dict[str, int]) -> None:
    for name, version in versions.items():
        if name not in REGISTRY:
            raise UnknownIndicator(f"no indicator {name!r}")
        if version not in REGISTRY[name]:
            raise UnknownIndicator(
                f"indicator {name!r} has definition versions {sorted(REGISTRY[name])}, not {version}"
            )


def select(names: Iterable[str] | None, versions: dict[str, int]) -> list[Definition]:
    """The definitions to compute, in catalogue order, under the given definition versions."""
    wanted = NAMES if names is None else tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    unknown = [n for n in wanted if n not in REGISTRY]
    if unknown:
        raise UnknownIndicator(f"unknown indicator(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return [REGISTRY[n][versions.get(n, 1)] for n in wanted]
