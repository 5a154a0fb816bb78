"""Moves: following people (INDICATORS.md). One move is one fact, whichever of its ends arrives first.

- move_in of a person the register knows in another commune: a migration from that commune,
  even with no move_out (confirmed). If an open departure (move_out) of theirs is at most
  six calendar months old (events.calendar.within_move_window), the move_in completes it: flag `completes_move:<move_out id>` tells readers
  the departure's unconfirmed Move is superseded by this one.
- a later move_out of that same move (same person, occurred on or before the move_in, leaving
  the move_in's origin, to the move_in's commune or unknown): accepted, `duplicate_of_move` names
  the move_in, no Move and no effect on residence.
- move_out with no arrival: a departure, to_commune as given (or None), unconfirmed.
- move_in of a person registered in the same batch (their only presence is that person.registered
  in the destination household): an arrival from outside, from `from_commune` as given.
"""

from __future__ import annotations

from typing import Any

from events.calendar import within_move_window
from processors.register.evaluation import Evaluation
from processors.register.state import PersonState
from processors.register.timeline import Entry, Timeline, active


def _move(person_id: str, origin: str | None, destination: str | None, confirmed: bool) -> dict[str, Any]:
    return {"person_id": person_id, "from_commune": origin, "to_commune": destination, "confirmed": confirmed}


def _matching_arrival(ev: Evaluation, timeline: Timeline, to_commune: str | None) -> str | None:
    """The move_in this late move_out belongs to, if any (a resent copy of it is a duplicate too)."""
    for entry in active(timeline):
        if entry["t"] != "move_in" or entry["o"] < ev.key[0] or entry["i"] == ev.id:
            continue
        origin = entry.get("d", {}).get("fr")
        if origin is None or not ev.checks.same_place(origin, ev.commune):
            continue
        if to_commune is None or to_commune == entry["c"] or ev.checks.same_place(to_commune, entry["c"]):
            return entry["i"]
    return None


def apply_move_out(ev: Evaluation) -> None:
    p = ev.sub.payload
    moves: list[dict[str, Any]] = []
    leaving: dict[str | None, list[str]] = {}
    subjects: list[str] = []
    for raw_id in dict.fromkeys(p.person_ids):
        person_id, timeline = ev.known_person(raw_id)
        subjects.append(person_id)
        arrival = _matching_arrival(ev, timeline, p.to_commune)
        entry = ev.entry({"to": p.to_commune, "dup": arrival})
        ev.check_entry(person_id, timeline, entry)
        state = ev.state(timeline)
        ev.insert("p:" + person_id, entry)
        ev.age(person_id, state)
        if arrival is not None:
            ev.ctx.setdefault("duplicate_of_move", arrival)
            continue
        moves.append(_move(person_id, state.commune, p.to_commune, False))
        leaving.setdefault(state.household_id, []).append(person_id)
        ev.ctx.setdefault("household_id", state.household_id)
    for household_id, members in leaving.items():
        ev.leave(household_id, members)
    ev.ctx["moves"] = moves
    ev.subjects(*subjects)


def _registered_arrival(ev: Evaluation, timeline: Timeline, household_id: str) -> bool:
    """The person's only presence is a person.registered into this household (same batch)."""
    entries = [e for e in active(timeline) if e["i"] != ev.id]
    presence = [e for e in entries if e["t"] in ("person.registered", "birth", "move_in")]
    return (
        len(presence) == 1
        and presence[0]["t"] == "person.registered"
        and presence[0].get("d", {}).get("h") == household_id
    )


def _arrival_of_known(
    ev: Evaluation, person_id: str, state: PersonState, household_id: str, declared: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Entry data and Move of a person the register already knows."""
    here = ev.commune
    if state.present:
        if ev.checks.same_place(state.commune, here):
            ev.require(
                state.household_id != household_id,
                "already_member",
                f"{person_id} already lives in household {household_id}",
            )
            ev.flags.append("same_commune")  # a change of household, not a migration
            return {"h": household_id}, None
        if declared is not None and declared != state.commune:
            ev.flags.append("from_commune_differs")
        return {"h": household_id, "fr": state.commune}, _move(person_id, state.commune, here, True)
    departed = state.departed_on
    if (
        departed is not None
        and within_move_window(departed, ev.day)
        and (state.departed_to is None or ev.checks.same_place(state.departed_to, here))
    ):
        ev.flags.append(f"completes_move:{state.departure_id}")
        data = {"h": household_id, "fr": state.commune, "cm": state.departure_id}
        return data, _move(person_id, state.commune, here, True)
    origin = declared if declared is not None else state.departed_to
    return {"h": household_id, "fr": origin}, _move(person_id, origin, here, True)


def apply_move_in(ev: Evaluation) -> None:
    p = ev.sub.payload
    resolved = [ev.known_person(raw_id) for raw_id in dict.fromkeys(p.person_ids)]
    moving = frozenset(person_id for person_id, _ in resolved)
    household = ev.household_here(p.household_id, moving)
    moves: list[dict[str, Any]] = []
    for person_id, timeline in resolved:
        state = ev.state(timeline)
        if _registered_arrival(ev, timeline, p.household_id):
            data: dict[str, Any] = {"h": p.household_id, "fr": p.from_commune}
            move: dict[str, Any] | None = _move(person_id, p.from_commune, ev.commune, True)
        else:
            ev.fail(ev.checks.exists(person_id, timeline, state, ev.id))
            data, move = _arrival_of_known(ev, person_id, state, p.household_id, p.from_commune)
            if state.present and state.household_id != p.household_id:
                ev.leave(state.household_id, [person_id])
        entry: Entry = ev.entry(data)
        ev.check_entry(person_id, timeline, entry)
        ev.insert("p:" + person_id, entry)
        ev.age(person_id, state)
        if move is not None:
            moves.append(move)
    relocates = not ev.checks.same_place(household.commune, ev.commune)
    # A household whose members all left its old commune moves with them (one household id).
    ev.join(p.household_id, sorted(moving), **({"moveto": ev.commune} if relocates else {}))
    ev.ctx.update(household_id=p.household_id, moves=moves)
    ev.subjects(*(person_id for person_id, _ in resolved))
