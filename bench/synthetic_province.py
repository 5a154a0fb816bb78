"""A synthetic province's RegisterEvents, household by household, for the projection benchmarks. Pure.

Rough Vietnamese rates (DEMOGRAPHY.md section 2): ~3.6 persons a household, births ~15 per
1,000 a year, deaths ~6.5, a move between communes ~1.5 % of people a year (a third of them
leaving the province), contraception starts among married women, a few late recordings.
Chunks of households are independent (no moves or marriages between chunks), so a caller can
generate, fold and load a province of millions in bounded memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from tests.support.synthetic import EventFactory, at

METHODS = ("iud", "pill", "condom", "injectable", "implant", "traditional")


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def _recorded(rng: random.Random, on: date) -> Any:
    late = rng.random() < 0.03  # a few recorded months later
    return at(on + timedelta(days=rng.randrange(60, 200) if late else rng.randrange(0, 30)))


def households(
    f: EventFactory, communes: list[str], first: int, count: int, *, start: date, years: int, seed: int = 1
) -> Iterator[dict[str, Any]]:
    """Records of households first .. first+count-1: baseline on `start`, then `years` of changes."""
    rng = random.Random(seed * 1_000_003 + first)
    end = date(start.year + years, start.month, 1)
    for h in range(first, first + count):
        commune, hid = communes[h % len(communes)], f"h{h}"
        members: list[tuple[str, str, date]] = []
        yield f.record(
            "household.registered",
            start,
            commune,
            {"household_id": hid, "address": f"thôn {h % 97}"},
            recorded_at=at(start),
        )
        size = min(8, max(1, int(rng.gauss(3.6, 1.3))))
        head_born = _day(rng, date(1950, 1, 1), date(1995, 1, 1))
        for k in range(size):
            sex = "M" if (k == 0) == (rng.random() < 0.8) else "F"
            born = (
                head_born
                if k == 0
                else (
                    head_born + timedelta(days=rng.randrange(-1500, 1500))
                    if k == 1
                    else _day(rng, head_born + timedelta(days=18 * 365), start)
                )
            )
            pid = f"{hid}-{k}"
            married = k <= 1 and size > 1
            yield f.record(
                "person.registered",
                start,
                commune,
                {
                    "person_id": pid,
                    "household_id": hid,
                    "full_name": f"Người {pid}",
                    "sex": sex,
                    "birth_date": born.isoformat(),
                    "relation_to_head": "head" if k == 0 else "spouse" if k == 1 else "child",
                    "marital_status": "married" if married else "never_married",
                    **({"children_ever_born": max(0, size - 2)} if sex == "F" and married else {}),
                },
                recorded_at=at(start),
            )
            members.append((pid, sex, born))
        yield from _history(f, rng, commune, hid, members, communes, start, end)


def _history(
    f: EventFactory,
    rng: random.Random,
    commune: str,
    hid: str,
    members: list[tuple[str, str, date]],
    communes: list[str],
    start: date,
    end: date,
) -> Iterator[dict[str, Any]]:
    women = [(pid, born) for pid, sex, born in members if sex == "F" and 15 <= (start - born).days // 365 < 45]
    years = (end - start).days / 365.25
    last_birth: dict[str, date] = {}
    children = 0
    for pid, _born in women:
        if rng.random() < 0.6:
            on = _day(rng, start, end)
            yield f.record(
                "contraception.started",
                on,
                commune,
                {"person_id": pid, "method": rng.choice(METHODS)},
                recorded_at=_recorded(rng, on),
            )
        for _ in range(int(rng.random() < 0.07 * years) + int(rng.random() < 0.02 * years)):
            on = _day(rng, start, end)
            if pid in last_birth and abs((on - last_birth[pid]).days) < 400:
                continue
            last_birth[pid] = on
            children += 1
            yield f.record(
                "birth",
                on,
                commune,
                {
                    "child_id": f"{hid}-b{children}",
                    "household_id": hid,
                    "mother_id": pid,
                    "sex": "M" if rng.random() < 0.527 else "F",
                },
                recorded_at=_recorded(rng, on),
            )
    gone: set[str] = set()
    for pid, _sex, born in members:
        if rng.random() < 0.0065 * years * (4 if (start - born).days > 60 * 365 else 0.5):
            on = _day(rng, start, end)
            gone.add(pid)
            yield f.record("death", on, commune, {"person_id": pid}, recorded_at=_recorded(rng, on))
    movers = [pid for pid, _, _ in members if pid not in gone and rng.random() < 0.015 * years]
    if movers:
        on = _day(rng, start, end - timedelta(days=30))
        far = rng.random() < 0.33
        to = "ABROAD" if far and rng.random() < 0.2 else None if far else rng.choice(communes)
        yield f.record(
            "move_out",
            on,
            commune,
            {"person_ids": movers, **({"to_commune": to} if to else {})},
            recorded_at=_recorded(rng, on),
        )
        if to and to != "ABROAD" and to != commune:
            arrive = on + timedelta(days=rng.randrange(1, 20))
            new_hh = f"{hid}-m"
            yield f.record(
                "household.registered",
                arrive,
                to,
                {"household_id": new_hh, "address": "mới"},
                recorded_at=_recorded(rng, arrive),
            )
            yield f.record(
                "move_in",
                arrive,
                to,
                {"person_ids": movers, "household_id": new_hh, "from_commune": commune},
                recorded_at=_recorded(rng, arrive),
            )
