"""Counted facts of the live counters: areas at each level, periods of a day, items and counter keys. Pure.

An item is one counted fact in compact form, [sign, names, areas, day]: it adds `sign` to the
count of every name, in every area, in each period containing `day` (its month, quarter, year). Items are
what the processor stores per event, so that a void or a correction can take back exactly what
the event added, even if the gazetteer changed in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Protocol

from events.gazetteer import level as area_level

Item = list[Any]  # [sign: int, names: list[str], areas: list[str], day: "YYYY-MM-DD"]
COUNTRY = "VN"

# The flow indicators kept live (INDICATORS.md); every other figure comes from the SQL path.
FLOW_NAMES: tuple[str, ...] = (
    "births",
    "births_male",
    "births_female",
    "births_order_3_plus",
    "deaths",
    "marriages",
    "divorces",
    "child_marriages",
    "in_migrants",
    "out_migrants",
    "contraception_new_users",
)


class GazetteerLike(Protocol):
    def resolve(self, commune: str, on: date) -> Any: ...

    def successors(self, old_commune: str) -> list[str]: ...


class Places:
    """The areas a commune counts in on a day, as the projections' area_map (boundary rule
    as_of_date): its units then, or its main successor's after it ended (1 July 2025)."""

    def __init__(self, gazetteer: GazetteerLike):
        self.gazetteer = gazetteer
        self.path = lru_cache(maxsize=200_000)(self._path)

    def _path(self, commune: str | None, on: date) -> tuple[str, ...]:
        if commune is None or commune == "ABROAD":
            return ()  # unknown or abroad: in no area, so a move crosses every level
        found = self.gazetteer.resolve(commune, on)
        if found is None:
            for successor in self.gazetteer.successors(commune)[:1]:
                found = self.gazetteer.resolve(successor, on)
        if found is None:
            return ()
        return tuple(a for a in (found.commune, found.district, found.province, COUNTRY) if a)

    def crossing(self, inside: str | None, inside_on: date, other: str | None, other_on: date) -> list[str]:
        """Areas containing `inside` (on its day) that do not contain `other` (on its day): the
        levels a move between them crosses (INDICATORS.md, following people)."""
        outside = set(self.path(other, other_on))
        return [a for a in self.path(inside, inside_on) if a not in outside]


def periods_of(day: date) -> tuple[str, str, str]:
    """The month, quarter and year containing a day, as period codes."""
    return f"{day.year}-{day.month:02d}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", f"{day.year}"


def period_start(code: str) -> date:
    year, _, rest = code.partition("-")
    if not rest:
        return date(int(year), 1, 1)
    if rest.startswith("Q"):
        return date(int(year), 3 * int(rest[1:]) - 2, 1)
    return date(int(year), int(rest), 1)


def day_before(day: date) -> date:
    return day - timedelta(days=1)


def item(names: Iterable[str], areas: Iterable[str], day: date, sign: int = 1) -> Item:
    return [sign, list(names), list(areas), day.isoformat()]


def negate(items: Iterable[Item]) -> list[Item]:
    return [[-i[0], i[1], i[2], i[3]] for i in items]


def counter_key(area: str, period: str) -> str:
    """One table key per area and period, holding every name's count: a birth writes 12 keys
    (4 levels x 3 periods), not 36 (each key written is one changelog message)."""
    return f"n|{area}|{period}"


def parse_counter_key(key: str) -> tuple[str, str, str]:
    """(area, level, period) of a counter key."""
    _, area, period = key.split("|", 2)
    return area, area_level(area), period


def expand(items: Iterable[Item], live_from: date) -> dict[str, dict[str, int]]:
    """Counter deltas of items, {counter key: {name: delta}}: days before `live_from` are not
    counted live (the SQL path answers those periods), so every period kept is complete."""
    out: dict[str, dict[str, int]] = {}
    for sign, names, areas, day in items:
        on = date.fromisoformat(day)
        if on < live_from:
            continue
        for period in periods_of(on):
            for area in areas:
                deltas = out.setdefault(counter_key(area, period), {})
                for name in names:
                    deltas[name] = deltas.get(name, 0) + sign
    return {k: {n: d for n, d in v.items() if d} for k, v in out.items() if any(v.values())}
