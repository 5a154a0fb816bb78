"""The bitemporal driver: rows of a unit for every state of knowledge, with known_from/known_to. Pure.

Knowledge time is an event's `recorded_at` (INDICATORS.md: "only events recorded, and voids
known, by then"). For each instant at which something about the unit became known, the unit is
folded from the events known by then, with the voids and merges known by then applied; a row
that appears gets `known_from` = that instant, a row that disappears gets `known_to` = it.
Every row is therefore a function of the set of events alone, never of arrival order or the
wall clock: a rebuild writes the same rows as the live path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby

from projections.fold.model import ATTRIBUTE_TYPES, BITEMPORAL, PERSON_ROLES, Ev, roles
from projections.fold.person import PersonFold, Related, Row, related_attrs
from projections.fold.rows import merged_record, person_record, person_rows
from projections.rules import Rules

_META = frozenset({"event.voided", "persons.merged", "review.overridden"})


class Versions:
    """Turns a sequence of (instant, row set) into rows with known_from/known_to, merging repeats."""

    def __init__(self, tables: Iterable[str]):
        self.open: dict[str, dict[Row, datetime]] = {t: {} for t in tables}
        self.rows: dict[str, list[Row]] = {t: [] for t in self.open}

    def step(self, at: datetime, current: dict[str, list[Row]]) -> None:
        for table, opened in self.open.items():
            now = set(current.get(table, ()))
            for row in [r for r in opened if r not in now]:
                self.rows[table].append((*row, opened.pop(row), at))
            for row in now:
                if row not in opened:
                    opened[row] = at

    def close(self) -> dict[str, list[Row]]:
        for table, opened in self.open.items():
            self.rows[table].extend((*row, since, None) for row, since in opened.items())
            opened.clear()
        return self.rows


def _voided(voids_of: dict[str, list[Ev]]) -> set[str]:
    """Ids of events voided by an effective void (a void is effective unless itself voided)."""
    memo: dict[str, bool] = {}

    def is_voided(event_id: str) -> bool:
        if event_id not in memo:
            memo[event_id] = False  # a (malformed) cycle of voids stops here
            memo[event_id] = any(not is_voided(v.event_id) for v in voids_of.get(event_id, ()))
        return memo[event_id]

    return {t for t in voids_of if is_voided(t)}


def _groups(cluster: frozenset[str], merges: list[Ev]) -> dict[str, frozenset[str]]:
    """rep -> ids: the persons the effective merges make of the cluster's ids (survivor is the rep)."""
    parent = {pid: pid for pid in cluster}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for ev in sorted(merges, key=lambda e: e.order):
        survivor, merged = find(ev.payload["surviving_id"]), find(ev.payload["merged_id"])
        if survivor != merged:
            parent[merged] = survivor
    out: dict[str, set[str]] = defaultdict(set)
    for pid in cluster:
        out[find(pid)].add(pid)
    return {rep: frozenset(ids) for rep, ids in out.items()}


def _related_ids(fold: PersonFold) -> set[str]:
    ids = {ev.payload["child_id"] for ev in fold.births}
    ids.update(partner for _, partner, _, _ in fold.marital if partner)
    return ids


class _PersonUnit:
    """The folds of one cluster of person ids as knowledge grows."""

    def __init__(self, cluster: frozenset[str], events: list[Ev], rules: Rules):
        self.cluster, self.rules = cluster, rules
        self.own: dict[str, list[Ev]] = defaultdict(list)  # person id -> their events
        self.attr_events: dict[str, list[Ev]] = defaultdict(list)  # person id -> attribute events
        for ev in events:
            for subject, role in roles(ev):
                if role in PERSON_ROLES and ev.type not in _META:
                    if subject in cluster:
                        self.own[subject].append(ev)
                    if ev.type in ATTRIBUTE_TYPES:
                        self.attr_events[subject].append(ev)
        self.known: set[str] = set()
        self.voids_of: dict[str, list[Ev]] = defaultdict(list)
        self.merges: list[Ev] = []
        self.voided: set[str] = set()
        self.groups: dict[str, frozenset[str]] = {}
        self.folds: dict[str, PersonFold] = {}
        self.last_related: dict[str, Related] = {}

    def effective(self, ev: Ev) -> bool:
        return ev.event_id in self.known and ev.event_id not in self.voided

    def _refold(self, rep: str, ids: frozenset[str]) -> None:
        fold = PersonFold(rep, ids, self.rules)
        seen: set[str] = set()
        for ev in sorted((e for pid in ids for e in self.own.get(pid, ()) if self.effective(e)), key=lambda e: e.order):
            if ev.event_id not in seen:
                seen.add(ev.event_id)
                fold.apply(ev)
        self.folds[rep] = fold

    def learn(self, batch: list[Ev]) -> None:
        """Events recorded at one instant become known."""
        structural = False
        for ev in batch:
            self.known.add(ev.event_id)
            if ev.type == "event.voided":
                self.voids_of[ev.payload["voided_event_id"]].append(ev)
                structural = True
            elif ev.type == "persons.merged":
                self.merges.append(ev)
                structural = True
        if structural or not self.folds:
            self.voided = _voided(self.voids_of)
            live = [m for m in self.merges if m.event_id not in self.voided]
            self.groups = _groups(self.cluster, live)
            self.folds = {}
            for rep, ids in self.groups.items():
                self._refold(rep, ids)
            return
        rep_of = {pid: rep for rep, ids in self.groups.items() for pid in ids}
        dirty: set[str] = set()
        for ev in sorted(batch, key=lambda e: e.order):
            if ev.type in _META or ev.event_id in self.voided:
                continue
            for rep in {rep_of[s] for s, r in roles(ev) if r in PERSON_ROLES and s in rep_of}:
                last = self.folds[rep].last_order
                if rep in dirty or (last is not None and ev.order < last):
                    dirty.add(rep)  # a late event: refold this person from the start
                else:
                    self.folds[rep].apply(ev)
        for rep in dirty:
            self._refold(rep, self.groups[rep])

    def related(self) -> dict[str, Related]:
        wanted = set().union(*(_related_ids(f) for f in self.folds.values())) if self.folds else set()
        out = {}
        for pid in wanted:
            evs = sorted((e for e in self.attr_events.get(pid, ()) if self.effective(e)), key=lambda e: e.order)
            out[pid] = related_attrs(pid, evs)
        return out

    def rows(self) -> dict[str, list[Row]]:
        related = self.last_related = self.related()
        out: dict[str, list[Row]] = defaultdict(list)
        for fold in self.folds.values():
            for table, rows in person_rows(fold, related).items():
                out[table].extend(rows)
        return out

    def records(self) -> list[Row]:
        """The `persons` rows after the last learn/rows (current knowledge)."""
        related = self.last_related
        out = []
        for rep, ids in sorted(self.groups.items()):
            record = person_record(self.folds[rep], related)
            if record is not None:
                out.append(record)
            out.extend(merged_record(pid, rep) for pid in sorted(ids - {rep}) if self.own.get(pid))
        return out


def _instants(events: Iterable[Ev]) -> list[tuple[datetime, list[Ev]]]:
    unique = {ev.event_id: ev for ev in events}
    ordered = sorted(unique.values(), key=lambda e: (e.recorded_at, e.event_id))
    return [(at, list(group)) for at, group in groupby(ordered, key=lambda e: e.recorded_at)]


def person_unit_rows(
    cluster: Iterable[str], events: Iterable[Ev], rules: Rules
) -> tuple[dict[str, list[Row]], list[Row]]:
    """All rows of a cluster of person ids (ids linked by merges): bitemporal tables and `persons`.

    `events` holds every event about the cluster's ids, the attribute events of their children
    and spouses, and every void of any of these (projections.sink.store loads exactly that).
    """
    instants = _instants(events)
    unit = _PersonUnit(frozenset(cluster), [ev for _, batch in instants for ev in batch], rules)
    versions = Versions(t for t in BITEMPORAL if t != "households")
    for at, batch in instants:
        unit.learn(batch)
        versions.step(at, unit.rows())
    return versions.close(), unit.records()


def household_rows(household_id: str, events: Iterable[Ev]) -> list[Row]:
    """The `households` rows of one household: its (first effective) registration as known over time."""
    versions = Versions(["households"])
    known: dict[str, Ev] = {}
    voids_of: dict[str, list[Ev]] = defaultdict(list)
    for at, batch in _instants(events):
        for ev in batch:
            if ev.type == "event.voided":
                voids_of[ev.payload["voided_event_id"]].append(ev)
            elif ev.type == "household.registered" and ev.payload["household_id"] == household_id:
                known[ev.event_id] = ev
        voided = _voided(voids_of)
        live = sorted((e for e in known.values() if e.event_id not in voided), key=lambda e: e.order)
        rows = []
        if live:
            ev = live[0]
            rows.append(
                (
                    household_id,
                    ev.event_id,
                    ev.commune,
                    ev.payload["address"],
                    ev.payload.get("head_person_id"),
                    ev.occurred_on,
                )
            )
        versions.step(at, {"households": rows})
    return versions.close()["households"]
