"""What each event type adds to the live counters, as the SQL path counts it (INDICATORS.md). Pure.

A rule reads the state before its record (`Reader.get`) and fills a Decision: the items it counts
(projections.read.indicator_sql counts the same facts from the read models), absolute writes of
state, and extra fields of its own entry. State keys beside the counters:
  w|<person>  [sex, commune or None]: the person's sex and where they live now (None: gone)
  b|<child>   the birth event of a child (a corrected birth date or sex moves the birth)
  m|<move_out> {person: [to_commune, in_on]}: the arrival that completes a departure not yet seen
  q|<person>  {on, sex}: a correction of a birth not yet seen
  x|<event>   the void of an event not yet seen
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from processors.indicators.facts import Item, Places, day_before, item, negate


class Reader(Protocol):
    places: Places

    def get(self, key: str) -> Any: ...


class Event(Protocol):
    event_id: str
    type: str
    occurred_on: date
    commune: str
    payload: dict[str, Any]
    context: dict[str, Any]

    @property
    def flags(self) -> list[str]: ...


@dataclass
class Decision:
    items: list[Item] = field(default_factory=list)
    writes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def read(self, state: Reader, key: str) -> Any:
        """The state as this decision leaves it so far."""
        return self.writes[key] if key in self.writes else state.get(key)


def current_items(entry: dict[str, Any]) -> list[Item]:
    return entry.get("cur", entry["j"]["i"])


def _person(d: Decision, state: Reader, person_id: str) -> list[Any]:
    return list(d.read(state, "w|" + person_id) or [None, None])


def birth_items(places: Places, fact: list[Any]) -> list[Item]:
    """fact = [commune, day, sex, order 3+]: births of the child's household's area."""
    commune, day, sex, third = fact
    on = date.fromisoformat(day)
    names = [
        "births",
        *({"M": ["births_male"], "F": ["births_female"]}.get(sex, [])),
        *(["births_order_3_plus"] if third else []),
    ]
    return [item(names, places.path(commune, on), on)]


def birth(state: Reader, ev: Event, d: Decision) -> None:
    p = ev.payload
    child = p["child_id"]
    fact = [ev.commune, ev.occurred_on.isoformat(), p.get("sex"), (ev.context.get("birth_order") or 0) >= 3]
    early = d.read(state, "q|" + child)  # a correction that arrived first
    if early:
        fact[1], fact[2] = early.get("on", fact[1]), early.get("sex", fact[2])
    d.items += birth_items(state.places, fact)
    d.extra["bf"] = fact
    d.writes["b|" + child] = ev.event_id
    d.writes["w|" + child] = [fact[2], ev.commune]


def death(state: Reader, ev: Event, d: Decision) -> None:
    person_id = ev.payload["person_id"]
    # counted where the person lived the day before (the commune is that one: EVENTS.md rules)
    d.items.append(item(["deaths"], state.places.path(ev.commune, day_before(ev.occurred_on)), ev.occurred_on))
    person = _person(d, state, person_id)
    d.writes["w|" + person_id] = [person[0], None]


def _union(kind: str) -> Callable[[Reader, Event, Decision], None]:
    def rule(state: Reader, ev: Event, d: Decision) -> None:
        first = ev.payload["person_ids"][0]
        where = _person(d, state, first)[1] or ev.commune  # the first listed person's commune
        names = [kind] + (["child_marriages"] if kind == "marriages" and ev.context.get("child_marriage") else [])
        d.items.append(item(names, state.places.path(where, ev.occurred_on), ev.occurred_on))

    return rule


def contraception_started(state: Reader, ev: Event, d: Decision) -> None:
    sex, where = _person(d, state, ev.payload["person_id"])
    if sex == "F":  # contraception_new_users counts women (the register knows every subject's sex)
        d.items.append(
            item(["contraception_new_users"], state.places.path(where or ev.commune, ev.occurred_on), ev.occurred_on)
        )


def person_registered(state: Reader, ev: Event, d: Decision) -> None:
    person_id = ev.payload["person_id"]
    sex = ev.payload.get("sex") or _person(d, state, person_id)[0]
    d.writes["w|" + person_id] = [sex, ev.commune]


def person_corrected(state: Reader, ev: Event, d: Decision) -> None:
    person_id, changes = ev.payload["person_id"], ev.payload.get("changes") or {}
    person = d.read(state, "w|" + person_id)
    if "sex" in changes and person is not None:
        d.writes["w|" + person_id] = [changes["sex"], person[1]]
    if "birth_date" not in changes and "sex" not in changes:
        return
    born = d.read(state, "b|" + person_id)
    if born is None:  # the birth, if any, has not arrived yet: it applies this when it does
        early = d.read(state, "q|" + person_id) or {}
        d.writes["q|" + person_id] = {
            **early,
            **{("on" if k == "birth_date" else k): v for k, v in changes.items() if k in ("birth_date", "sex")},
        }
        return
    entry = d.read(state, "e|" + born)
    if entry is None or entry.get("vd") or "bf" not in entry:
        return
    old = entry["bf"]
    fact = [old[0], changes.get("birth_date", old[1]), changes.get("sex", old[2]), old[3]]
    if fact == old:
        return
    # a corrected birth date was always so: the birth moves to the period (and sex) now known
    new_items = birth_items(state.places, fact)
    d.items += negate(current_items(entry)) + new_items
    d.writes["e|" + born] = {**entry, "bf": fact, "cur": new_items}


def move_out(state: Reader, ev: Event, d: Decision) -> None:
    if ev.context.get("duplicate_of_move"):
        return  # the origin's late move_out of a move its move_in already counted
    on, places = ev.occurred_on, state.places
    arrivals = d.read(state, "m|" + ev.event_id) or {}
    moves: dict[str, list[Any]] = {}
    for m in ev.context.get("moves") or ():
        person_id = m["person_id"]
        origin = m.get("from_commune") or ev.commune
        arrival = arrivals.get(person_id)
        to, to_on = (arrival[0], date.fromisoformat(arrival[1])) if arrival else (m.get("to_commune"), on)
        d.items.append(item(["out_migrants"], places.crossing(origin, on, to, to_on), on))
        moves[person_id] = [origin, on.isoformat(), len(d.items) - 1, arrival is not None]
        d.writes["w|" + person_id] = [_person(d, state, person_id)[0], None]
    d.extra["mv"] = moves


def _complete(state: Reader, d: Decision, departure: str, person_id: str, to: str, on: date) -> bool:
    """The arrival of a departure already counted: its out-migrant now knows the destination."""
    entry = d.read(state, "e|" + departure)
    found = (entry or {}).get("mv", {}).get(person_id)
    if entry is None or found is None or found[3] or entry.get("vd"):
        return False
    origin, out_on, index = found[0], date.fromisoformat(found[1]), found[2]
    cur = list(current_items(entry))
    new = item(["out_migrants"], state.places.crossing(origin, out_on, to, on), out_on)
    d.items += [*negate([cur[index]]), new, item(["in_migrants"], state.places.crossing(to, on, origin, out_on), on)]
    cur[index] = new
    d.writes["e|" + departure] = {**entry, "cur": cur, "mv": {**entry["mv"], person_id: [*found[:3], True]}}
    return True


def move_in(state: Reader, ev: Event, d: Decision) -> None:
    on, places = ev.occurred_on, state.places
    departures = [f.split(":", 1)[1] for f in ev.flags if f.startswith("completes_move:")]
    for m in ev.context.get("moves") or ():
        person_id = m["person_id"]
        to = m.get("to_commune") or ev.commune
        sex, where = _person(d, state, person_id)
        unseen = [y for y in departures if d.read(state, "e|" + y) is None]
        if any(_complete(state, d, y, person_id, to, on) for y in departures):
            pass
        elif unseen:  # its departure is still on its way: it takes this destination when it comes
            for y in unseen:
                d.writes["m|" + y] = {**(d.read(state, "m|" + y) or {}), person_id: [to, on.isoformat()]}
            d.items.append(item(["in_migrants"], places.crossing(to, on, m.get("from_commune"), on), on))
        elif where is not None and where != to:
            # known elsewhere and no move_out: a migration out of where the register knew them
            origin = m.get("from_commune") or where
            d.items += [
                item(["out_migrants"], places.crossing(origin, on, to, on), on),
                item(["in_migrants"], places.crossing(to, on, origin, on), on),
            ]
        else:  # an arrival from outside the register (or after a long-closed departure)
            d.items.append(item(["in_migrants"], places.crossing(to, on, ev.payload.get("from_commune"), on), on))
        d.writes["w|" + person_id] = [sex, to]


def event_voided(state: Reader, ev: Event, d: Decision) -> None:
    target = ev.payload["voided_event_id"]
    entry = d.read(state, "e|" + target)
    if entry is None:  # not seen yet (another partition): it will not count when it comes
        d.writes["x|" + target] = ev.event_id
        return
    if entry.get("vd"):
        return
    d.items += negate(current_items(entry))
    d.writes["e|" + target] = {**entry, "vd": ev.event_id}


RULES: dict[str, Callable[[Reader, Event, Decision], None]] = {
    "birth": birth,
    "death": death,
    "marriage": _union("marriages"),
    "divorce": _union("divorces"),
    "contraception.started": contraception_started,
    "person.registered": person_registered,
    "person.corrected": person_corrected,
    "move_out": move_out,
    "move_in": move_in,
    "event.voided": event_voided,
}
