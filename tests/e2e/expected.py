"""Expected figures worked out independently from the submissions themselves (end-to-end tests).

This is deliberately a second, small implementation of INDICATORS.md written from the text, not
from the product: it imports nothing from events/, processors/ or projections/, and reads only
the submitted envelopes (plain dicts) and a gazetteer CSV (CONTRACT.md columns). It covers the
figures the e2e suite checks: population (by sex), households, births (by sex, order 3+),
deaths, and in/out migrants counted by following people at each level.

What it models, from EVENTS.md: the first copy of an event_id counts; a void removes the voided
fact; a merge folds the merged id into the survivor (the duplicate's own registration is
dropped); late events apply at `occurred_on`; a move_in of a person known in another commune is
a move from there (a later move_out of the same move changes nothing); a move_out followed by
the person's move_in is one move. `known_on` keeps only what was recorded (voids and merges
included) by the end of that day in Vietnam.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

# A move_out followed by the person's move_in within this many days is one move (EVENTS.md).
MOVE_MATCH_MONTHS = 6  # EVENTS.md: "no move_in within 6 months" (calendar months, last day included)


def _window_end(day: date, months: int = MOVE_MATCH_MONTHS) -> date:
    """`day` + 6 calendar months; a day the month lacks is its last day (31 Aug -> 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    first_of_next = date(day.year + y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
    return min(date(day.year + y, m + 1, 1) + timedelta(days=day.day - 1), first_of_next - timedelta(days=1))


VIETNAM = timezone(timedelta(hours=7))  # a day of knowledge ends at midnight in Vietnam
STOCKS = ("population", "population_male", "population_female", "households")
FLOWS = ("births", "births_male", "births_female", "births_order_3_plus", "deaths", "in_migrants", "out_migrants")


# --- gazetteer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    valid_from: date
    valid_to: date | None
    district: str | None
    province: str


class Places:
    """Commune -> district/province on a day, from a gazetteer CSV (CONTRACT.md columns)."""

    def __init__(self, csv_path: Path):
        self._versions: dict[str, list[_Version]] = defaultdict(list)
        with csv_path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                self._versions[row["commune_code"]].append(
                    _Version(
                        date.fromisoformat(row["valid_from"]),
                        date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                        row["district_code"] or None,
                        row["province_code"],
                    )
                )

    def area(self, commune: str | None, level: str, day: date) -> str | None:
        """The code of the unit at `level` holding `commune` on `day` (None: unknown/abroad)."""
        if commune is None:
            return None
        if level == "commune":
            return commune
        for v in self._versions.get(commune, ()):
            if v.valid_from <= day and (v.valid_to is None or day <= v.valid_to):
                return {"district": v.district, "province": v.province, "country": "VN"}[level]
        return None

    def communes_of(self, area: str, day: date) -> list[str]:
        lv = level(area)
        return sorted(c for c in self._versions if self.area(c, lv, day) == area)


def level(area: str) -> str:
    return {2: "province", 3: "district", 5: "commune"}.get(len(area), "country")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of YYYY, YYYY-Qn or YYYY-MM."""
    if "-Q" in period:
        year, q = int(period[:4]), int(period[-1])
        first = date(year, 3 * q - 2, 1)
        months = 3
    elif len(period) == 7:
        first, months = date(int(period[:4]), int(period[5:]), 1), 1
    else:
        first, months = date(int(period), 1, 1), 12
    total = first.year * 12 + first.month - 1 + months
    return first, date(total // 12, total % 12 + 1, 1) - timedelta(days=1)


# --- the history -----------------------------------------------------------------------------


@dataclass
class Move:
    person: str
    day: date
    origin: str | None  # commune code; None when unknown or abroad
    dest: str | None


@dataclass
class Person:
    sex: str
    registered_on: date
    household: str
    commune: str
    present: bool = True
    births: int = 0  # live births so far (children_ever_born at registration, then births)
    # (day, commune or None, household): the state at the end of that day, in order
    timeline: list[tuple[date, str | None, str]] = field(default_factory=list)
    departure: Move | None = None  # an open move_out awaiting its move_in

    def at(self, day: date) -> tuple[str | None, str] | None:
        found = None
        for d, commune, household in self.timeline:
            if d > day:
                break
            found = (commune, household)
        return found

    def set(self, day: date, commune: str | None, household: str) -> None:
        self.timeline.append((day, commune, household))


def _vietnam_date(recorded_at: str) -> date:
    return datetime.fromisoformat(recorded_at).astimezone(VIETNAM).date()


def _instant(recorded_at: str) -> datetime:
    return datetime.fromisoformat(recorded_at)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The envelopes of a .jsonl file; a line that is not a JSON object is left out."""
    out = []
    for raw in path.read_bytes().splitlines():
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


class History:
    """The folded history of a set of envelopes (the valid ones), as known on `known_on`."""

    def __init__(self, envelopes: Iterable[dict[str, Any]], places: Places, known_on: date | None = None):
        self.places = places
        self.persons: dict[str, Person] = {}
        self.household_commune: dict[str, str] = {}
        self.births: list[tuple[date, str, str, int]] = []  # day, commune, sex, order
        self.deaths: list[tuple[date, str | None]] = []  # day, commune the day before
        self.moves: list[Move] = []
        events = self._known(envelopes, known_on)
        for ev in events:
            getattr(self, "_" + ev["type"].replace(".", "_"), self._ignore)(ev, date.fromisoformat(ev["occurred_on"]))

    # - which facts count, in which order

    def _known(self, envelopes: Iterable[dict[str, Any]], known_on: date | None) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for i, ev in enumerate(envelopes):
            if known_on is not None and _vietnam_date(ev["recorded_at"]) > known_on:
                continue
            seen.setdefault(ev["event_id"], {**ev, "_i": i})
        voided = {ev["payload"]["voided_event_id"] for ev in seen.values() if ev["type"] == "event.voided"}
        survivor = {
            ev["payload"]["merged_id"]: ev["payload"]["surviving_id"]
            for ev in seen.values()
            if ev["type"] == "persons.merged" and ev["event_id"] not in voided
        }
        kept = []
        for ev in seen.values():
            if ev["event_id"] in voided or ev["type"] in ("event.voided", "persons.merged"):
                continue
            if ev["type"] == "person.registered" and ev["payload"]["person_id"] in survivor:
                continue  # the duplicate's own registration: the survivor's stands
            kept.append(_renamed(ev, survivor) if survivor else ev)
        # Late facts apply at occurred_on; within a day, in the order they were written down.
        kept.sort(key=lambda e: (e["occurred_on"], _instant(e["recorded_at"]), e["_i"]))
        return kept

    # - folds, one per type that moves people in or out of areas

    def _ignore(self, ev: dict[str, Any], day: date) -> None:
        pass

    def _household_registered(self, ev: dict[str, Any], day: date) -> None:
        self.household_commune.setdefault(ev["payload"]["household_id"], ev["commune"])

    def _person_registered(self, ev: dict[str, Any], day: date) -> None:
        p = ev["payload"]
        if p["person_id"] in self.persons:
            return
        hh = p["household_id"]
        commune = self.household_commune.get(hh, ev["commune"])
        person = Person(p["sex"], day, hh, commune, births=int(p.get("children_ever_born") or 0))
        person.set(day, commune, hh)
        self.persons[p["person_id"]] = person

    def _birth(self, ev: dict[str, Any], day: date) -> None:
        p = ev["payload"]
        if p["child_id"] in self.persons:
            return
        mother = self.persons.get(p["mother_id"])
        order = 1
        if mother is not None:
            mother.births += 1
            order = mother.births
        hh = p["household_id"]
        commune = self.household_commune.get(hh, ev["commune"])
        child = Person(p["sex"], day, hh, commune)
        child.set(day, commune, hh)
        self.persons[p["child_id"]] = child
        self.births.append((day, commune, p["sex"], order))

    def _death(self, ev: dict[str, Any], day: date) -> None:
        person = self.persons.get(ev["payload"]["person_id"])
        if person is None or not person.present:
            return
        before = person.at(day - timedelta(days=1))
        self.deaths.append((day, before[0] if before else None))
        person.present = False
        person.set(day, None, person.household)

    def _move_out(self, ev: dict[str, Any], day: date) -> None:
        to = ev["payload"].get("to_commune")
        for pid in ev["payload"]["person_ids"]:
            person = self.persons.get(pid)
            if person is None or not person.present or person.commune != ev["commune"]:
                continue  # unknown, gone, or the move already applied by its move_in
            move = Move(pid, day, person.commune, None if to in (None, "ABROAD") else to)
            self.moves.append(move)
            person.present, person.departure = False, move
            person.set(day, None, person.household)

    def _move_in(self, ev: dict[str, Any], day: date) -> None:
        p = ev["payload"]
        hh = p["household_id"]
        dest = self.household_commune.get(hh, ev["commune"])
        origin = p.get("from_commune")
        origin = None if origin in (None, "ABROAD") else origin
        for pid in p["person_ids"]:
            person = self.persons.get(pid)
            if person is None:
                continue
            if person.departure is not None and not person.present:
                if day <= _window_end(person.departure.day):
                    person.departure.dest = dest  # the same move, its destination confirmed
                else:
                    self.moves.append(Move(pid, day, person.departure.origin, dest))
                person.departure = None
            elif person.present and person.commune != dest:
                self.moves.append(Move(pid, day, person.commune, dest))  # no move_out recorded
            elif person.present and person.registered_on == day:
                self.moves.append(Move(pid, day, origin, dest))  # arrives with its registration
            elif not person.present:
                continue  # dead
            person.present, person.commune, person.household = True, dest, hh
            person.set(day, dest, hh)

    def _household_member_moved(self, ev: dict[str, Any], day: date) -> None:
        person = self.persons.get(ev["payload"]["person_id"])
        if person is None or not person.present:
            return
        person.household = ev["payload"]["household_id"]
        person.set(day, person.commune, person.household)

    # - figures

    def stocks(self, area: str, day: date) -> dict[str, int]:
        lv = level(area)
        out = dict.fromkeys(STOCKS, 0)
        households = set()
        for person in self.persons.values():
            state = person.at(day)
            if state is None or state[0] is None or self.places.area(state[0], lv, day) != area:
                continue
            out["population"] += 1
            out["population_male" if person.sex == "M" else "population_female"] += 1
            households.add(state[1])
        out["households"] = len(households)
        return out

    def flows(self, area: str, first: date, last: date) -> dict[str, int]:
        lv = level(area)
        out = dict.fromkeys(FLOWS, 0)
        for day, commune, sex, order in self.births:
            if first <= day <= last and self.places.area(commune, lv, day) == area:
                out["births"] += 1
                out["births_male" if sex == "M" else "births_female"] += 1
                out["births_order_3_plus"] += order >= 3
        for day, commune in self.deaths:
            if first <= day <= last and self.places.area(commune, lv, day - timedelta(days=1)) == area:
                out["deaths"] += 1
        for move in self.moves:
            if not first <= move.day <= last:
                continue
            a = self.places.area(move.origin, lv, move.day)
            b = self.places.area(move.dest, lv, move.day)
            if a is not None and a == b:
                continue  # the same unit at this level: not a migration here
            out["in_migrants"] += b == area
            out["out_migrants"] += a == area
        return out

    def figures(self, area: str, period: str) -> dict[str, int]:
        first, last = period_bounds(period)
        return {**self.stocks(area, last), **self.flows(area, first, last)}

    def communes(self) -> list[str]:
        """The communes anyone of this history ever lived in."""
        return sorted({c for p in self.persons.values() for _, c, _ in p.timeline if c is not None})


def _renamed(ev: dict[str, Any], survivor: dict[str, str]) -> dict[str, Any]:
    """The event with merged ids replaced by their survivor's."""

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return survivor.get(value, value)
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    payload = {k: swap(v) if k.endswith(("_id", "_ids")) else v for k, v in ev["payload"].items()}
    return {**ev, "payload": payload}
