"""The pure fold: a person's or household's status on any date, computed from its timeline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from events.calendar import completed_age
from processors.register.timeline import (
    Entry,
    SortKey,
    Timeline,
    active,
    entry_date,
    is_active,
    sort_key,
)

IDENTITY_FIELDS = ("sex", "birth_date")


@dataclass(slots=True)
class PersonState:
    """What the register knows about a person at one point of their timeline.

    Mutable only inside this module (the fold works on its own copy); callers get a fresh one.
    """

    exists: bool = False  # a registration, birth or arrival is on the timeline so far
    present: bool = False  # in the population: arrived and not died or moved out
    alive: bool = True
    died_on: date | None = None
    sex: str | None = None
    birth_date: date | None = None
    household_id: str | None = None
    commune: str | None = None  # last known commune (kept after a move_out or death)
    departed_on: date | None = None
    departed_to: str | None = None
    departure_id: str | None = None  # the move_out event of an open departure
    marital_status: str = "never_married"
    spouse: str | None = None
    contraception: str | None = None
    pregnant: bool = False
    last_birth_on: date | None = None
    live_births: int = 0
    registered_on: date | None = None
    merged_into: str | None = None
    events: list[str] = field(default_factory=list)  # event ids folded, in order


@dataclass(frozen=True, slots=True)
class HouseholdState:
    exists: bool = False
    commune: str | None = None
    members: frozenset[str] = frozenset()


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# Each step changes the state in place; fold() hands the steps a copy, so fold stays pure.
def _place(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    s.exists = s.present = True
    s.household_id = data.get("h", s.household_id)
    s.commune = entry["c"]
    s.departed_on = s.departed_to = s.departure_id = None
    if s.registered_on is None:
        s.registered_on = entry_date(entry)


def _registered(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    if entry.get("x"):  # a merged duplicate's registration: the survivor's own one stands
        return
    _place(s, entry, data)
    s.sex = data.get("s", s.sex)
    s.birth_date = _d(data.get("b")) or s.birth_date
    s.marital_status = data.get("ms", s.marital_status)
    s.live_births += int(data.get("ceb") or 0)


def _birth(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    if data.get("role") == "mother":
        s.live_births += 1
        s.last_birth_on = entry_date(entry)
        s.pregnant = False
        return
    if entry.get("x"):
        return
    _place(s, entry, data)
    s.sex = data.get("s", s.sex)
    s.birth_date = entry_date(entry)


def _death(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    if data.get("role") == "spouse":  # the other party of a marriage ended by death
        # spouse None: a couple known from an A0 page (head and spouse), paired at the death
        if s.marital_status == "married" and s.spouse in (None, data.get("of")):
            s.marital_status, s.spouse = "widowed", None
        return
    s.alive = s.present = False
    s.died_on = entry_date(entry)


def _union(status: str):
    def fold_union(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
        s.marital_status = status
        s.spouse = data.get("sp") if status == "married" else None

    return fold_union


def _move_out(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    if data.get("dup"):  # the late move_out of an arrival already applied: same move, no effect
        return
    s.present = False
    s.departed_on = entry_date(entry)
    s.departed_to = data.get("to")
    s.departure_id = entry["i"]


def _member_moved(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    s.household_id = data["h"]


def _contraception(started: bool):
    def fold_contraception(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
        s.contraception = data["m"] if started else None

    return fold_contraception


def _pregnancy(recorded: bool):
    def fold_pregnancy(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
        s.pregnant = recorded

    return fold_pregnancy


def _unchanged(s: PersonState, entry: Entry, data: dict[str, Any]) -> None:
    return None


FOLDS = {
    "person.registered": _registered,
    "birth": _birth,
    "death": _death,
    "marriage": _union("married"),
    "divorce": _union("divorced"),
    "move_out": _move_out,
    "move_in": _place,
    "household.member_moved": _member_moved,
    "contraception.started": _contraception(True),
    "contraception.stopped": _contraception(False),
    "pregnancy.recorded": _pregnancy(True),
    "pregnancy.ended": _pregnancy(False),
    # identity facts: corrections act timelessly (below), merges join timelines in identity.py
    "person.corrected": _unchanged,
    "persons.merged": _unchanged,
}


def _step(state: PersonState, entry: Entry) -> None:
    FOLDS.get(entry["t"], _unchanged)(state, entry, entry.get("d", {}))
    state.events.append(entry["i"])


def fold(state: PersonState, entry: Entry) -> PersonState:
    """One fact applied to a person's state (a new state; `state` is left as it was).

    An unknown type only records that it was seen.
    """
    new = replace(state, events=list(state.events))
    _step(new, entry)
    return new


def _corrections(timeline: Timeline | None, known_on: str | None) -> list[dict[str, Any]]:
    # A corrected birth date was always the birth date: corrections apply to every date, in the
    # order they became known (recorded_at), so state_at(any day) uses the best knowledge.
    found = [e for e in active(timeline, known_on) if e["t"] == "person.corrected"]
    found.sort(key=lambda e: (e["r"], e["i"]))
    return [e["d"]["ch"] for e in found]


def fold_entries(entries: list[Entry], timeline: Timeline | None, known_on: str | None = None) -> PersonState:
    state = PersonState(merged_into=(timeline or {}).get("mi"))
    for entry in entries:
        _step(state, entry)
    for change in _corrections(timeline, known_on):
        if "sex" in change:
            state.sex = change["sex"]
        if "birth_date" in change:
            state.birth_date = _d(change["birth_date"])
    return state


def state_at(timeline: Timeline | None, on: date, known_on: str | None = None) -> PersonState:
    """The person on `on` (end of day): entries with occurred_on <= on, ties by recorded_at, id.

    `known_on` (a UTC ISO moment) gives the state as the register knew it then: only entries
    recorded by then, and voids known by then.
    """
    day = on.isoformat()
    entries = [e for e in active(timeline, known_on) if e["o"] <= day]
    return fold_entries(entries, timeline, known_on)


def state_before(timeline: Timeline | None, key: SortKey, exclude: str | None = None) -> PersonState:
    """The person just before a fact with this sort key (the state a rule checks against)."""
    entries = [e for e in active(timeline) if sort_key(e) < key and e["i"] != exclude]
    return fold_entries(entries, timeline)


def age_on(birth_date: date | None, on: date) -> int | None:
    """Completed years on a date (events.calendar), None for an unknown birth date."""
    return None if birth_date is None else completed_age(birth_date, on)


def fold_household(state: HouseholdState, entry: Entry) -> HouseholdState:
    data = entry.get("d", {})
    commune = data.get("c") or data.get("moveto") or state.commune
    members = set(state.members)
    members.difference_update(data.get("leave", ()))
    members.update(data.get("join", ()))
    return HouseholdState(exists=True, commune=commune, members=frozenset(members))


def household_before(timeline: Timeline | None, key: SortKey, exclude: str | None = None) -> HouseholdState:
    """A household just before a fact; its commune is the first known one if the fact is earlier."""
    state = HouseholdState()
    if timeline is None:
        return state
    for entry in timeline["entries"]:
        if not is_active(entry) or entry["i"] == exclude:
            continue
        if sort_key(entry) >= key:
            if not state.exists:  # a baseline page registered after the fact's date: same place
                state = HouseholdState(exists=True, commune=entry.get("d", {}).get("c"))
            break
        state = fold_household(state, entry)
    return state


def household_at(timeline: Timeline | None, on: date) -> HouseholdState:
    day = on.isoformat()
    state = HouseholdState()
    for entry in active(timeline):
        if entry["o"] <= day:
            state = fold_household(state, entry)
    return state
