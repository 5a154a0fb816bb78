"""Where and from which day a recompute changed what the stock snapshots count (projections.read.stock_cache).

A person's stock state on a day is where they live (commune, household, sex, birth date), whether
they are married, and which methods they use, as known now (rows with known_to NULL). store.write_units
hands the rows it deleted and the rows it wrote; the first day on which a person's state differs
between the two is the day from which their communes' snapshots are stale. Splitting an episode
in two without changing anything (a later event closes it) changes no day at all. Pure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from projections.fold.model import TABLES

Row = tuple[Any, ...]
# The tables the stock counts read, and the columns of their state on a day.
STOCK_TABLES = ("residence_episodes", "marital_episodes", "contraception_episodes")
_COL = {t: {c: i for i, c in enumerate((*TABLES[t], "known_from", "known_to"))} for t in STOCK_TABLES}
RETURNING = {t: ", ".join((*TABLES[t], "known_from", "known_to")) for t in STOCK_TABLES}

Span = tuple[date, date | None, tuple[Any, ...]]


def _spans(table: str, row: Row) -> Span | None:
    """(valid_from, valid_to, state) of a row known now that the stock reads, else None."""
    c = _COL[table]
    if row[c["known_to"]] is not None:
        return None
    if table == "residence_episodes":
        key: tuple[Any, ...] = ("r", row[c["commune"]], row[c["household_id"]], row[c["sex"]], row[c["birth_date"]])
    elif table == "marital_episodes":
        if row[c["status"]] != "married":
            return None
        key = ("m",)
    else:
        key = ("c", row[c["method"]])
    return row[c["valid_from"]], row[c["valid_to"]], key


def _active(spans: list[Span], day: date) -> Counter[tuple[Any, ...]]:
    return Counter(k for lo, hi, k in spans if lo <= day and (hi is None or day < hi))


def first_change(old: list[Span], new: list[Span]) -> date | None:
    """The first day on which the state the spans describe differs, or None if it never does."""
    if Counter(old) == Counter(new):
        return None
    days = sorted({d for lo, hi, _ in (*old, *new) for d in (lo, hi) if d is not None})
    for day in days:
        if _active(old, day) != _active(new, day):
            return day
    return None


def _by_person(rows: dict[str, Iterable[Row]]) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = defaultdict(list)
    for table in STOCK_TABLES:
        for row in rows.get(table, ()):
            span = _spans(table, row)
            if span is not None:
                out[row[_COL[table]["person_id"]]].append(span)
    return out


def changed_communes(old: dict[str, Iterable[Row]], new: dict[str, Iterable[Row]]) -> dict[str, date]:
    """{commune: first stale day} for the persons whose rows went from `old` to `new`: every
    commune such a person lived in (before or after) on or after their first changed day."""
    before, after = _by_person(old), _by_person(new)
    out: dict[str, date] = {}
    for person in before.keys() | after.keys():
        spans_old, spans_new = before.get(person, []), after.get(person, [])
        day = first_change(spans_old, spans_new)
        if day is None:
            continue
        for lo, hi, key in (*spans_old, *spans_new):
            if key[0] == "r" and (hi is None or hi > day):
                commune, since = key[1], max(lo, day)
                out[commune] = min(out.get(commune, since), since)
    return out
