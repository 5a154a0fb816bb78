"""Timeline entries: the compact, ordered record of every fact applied to a person or household.

A timeline is a JSON dict ``{"entries": [...], "mi": survivor_id?}`` stored under ``p:<person_id>``
or ``h:<household_id>``. Each entry is a dict with short keys to keep the state small:

``i`` event_id · ``t`` type · ``o`` occurred_on (ISO date) · ``r`` recorded_at (UTC ISO, so string
order is time order) · ``c`` commune where recorded · ``d`` type-specific data · optional ``v``
voided_at and ``vi`` voiding event id · ``m`` joined from merged person · ``x`` superseded by the
survivor's own registration · ``ov`` rule codes skipped by an override · ``cf`` conflicts already
reported (reason -> the late event that caused it).
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime
from typing import Any

from events.order import day_rank

Entry = dict[str, Any]
Timeline = dict[str, Any]
SortKey = tuple[str, int, str, str]

# Types that place a person somewhere (they open a presence in the population).
PRESENCE_TYPES = frozenset({"person.registered", "birth", "move_in"})


def utc_iso(moment: datetime) -> str:
    """recorded_at as a UTC string whose lexical order is time order (offsets differ in input)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def sort_key(entry: Entry) -> SortKey:
    # Occurrence first (the real-world clock), then the order of one day's facts (events.order:
    # the same for every reader of the log), then when it became known, then a stable tie-break.
    return (entry["o"], day_rank(entry["t"]), entry["r"], entry["i"])


def entry_date(entry: Entry) -> date:
    return date.fromisoformat(entry["o"])


def new_timeline() -> Timeline:
    return {"entries": []}


def has_event(timeline: Timeline | None, event_id: str) -> bool:
    return timeline is not None and any(e["i"] == event_id for e in timeline["entries"])


def find(timeline: Timeline | None, event_id: str) -> Entry | None:
    if timeline is None:
        return None
    for entry in timeline["entries"]:
        if entry["i"] == event_id:
            return entry
    return None


def insert(timeline: Timeline, entry: Entry) -> bool:
    """Insert in occurrence order; a no-op (False) when the event is already there (idempotence)."""
    entries = timeline["entries"]
    if any(e["i"] == entry["i"] for e in entries):
        return False
    keys = [sort_key(e) for e in entries]
    if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
        # a timeline stored before the day order of events/order.py: put it in that order once
        entries.sort(key=sort_key)
        keys.sort()
    entries.insert(bisect_left(keys, sort_key(entry)), entry)
    return True


def is_active(entry: Entry, known_on: str | None = None) -> bool:
    """Not voided (or, as known on a moment, not yet voided then and already recorded then)."""
    if known_on is not None:
        if entry["r"] > known_on:
            return False
        return "v" not in entry or entry["v"] > known_on
    return "v" not in entry


def active(timeline: Timeline | None, known_on: str | None = None) -> list[Entry]:
    if timeline is None:
        return []
    return [e for e in timeline["entries"] if is_active(e, known_on)]


def before(timeline: Timeline | None, key: SortKey, exclude: str | None = None) -> list[Entry]:
    """Active entries that sort before `key`, leaving out the entry of event `exclude`.

    Leaving out the event being evaluated makes a re-evaluation after a crash see exactly the
    state the first evaluation saw, even if part of its own writes already reached the store.
    """
    return [e for e in active(timeline) if sort_key(e) < key and e["i"] != exclude]


def after(timeline: Timeline | None, key: SortKey, exclude: str | None = None) -> list[Entry]:
    return [e for e in active(timeline) if sort_key(e) > key and e["i"] != exclude]
