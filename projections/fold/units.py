"""Units of recomputation (a cluster of merged person ids, a household) and the events each needs. Pure.

The sink (projections.sink.store) loads a batch's units from PostgreSQL into an EventIndex; `project`
folds a whole log in memory the same way: the reference the PostgreSQL path is tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from projections.fold.bitemporal import household_rows, person_unit_rows
from projections.fold.model import ATTRIBUTE_TYPES, PERSON_ROLES, Ev, roles
from projections.fold.person import Row
from projections.rules import Rules

KIN_ROLES = ("child", "spouse1", "spouse2")  # whose attributes a unit's rows read


class EventIndex:
    """Events by subject, and voids by the event they void."""

    def __init__(self, events: Iterable[Ev]):
        self.by_subject: dict[str, list[Ev]] = defaultdict(list)
        self.voids_of: dict[str, list[Ev]] = defaultdict(list)
        for ev in {e.event_id: e for e in events}.values():
            for subject, role in dict.fromkeys(roles(ev)):
                (self.voids_of if role == "voids" else self.by_subject)[subject].append(ev)

    def _with_voids(self, evs: dict[str, Ev]) -> list[Ev]:
        todo = list(evs)
        while todo:
            for v in self.voids_of.get(todo.pop(), ()):
                if v.event_id not in evs:
                    evs[v.event_id] = v
                    todo.append(v.event_id)
        return list(evs.values())

    def person_unit(self, cluster: frozenset[str]) -> list[Ev]:
        """The cluster's events, its children's and spouses' attribute events, and their voids."""
        mine = {ev.event_id: ev for pid in cluster for ev in self.by_subject.get(pid, ())}
        kin = {s for ev in mine.values() for s, r in roles(ev) if r in KIN_ROLES} - cluster
        for pid in kin:
            mine.update((ev.event_id, ev) for ev in self.by_subject.get(pid, ()) if ev.type in ATTRIBUTE_TYPES)
        return self._with_voids(mine)

    def household_unit(self, household_id: str) -> list[Ev]:
        mine = {ev.event_id: ev for ev in self.by_subject.get(household_id, ()) if ev.type == "household.registered"}
        return self._with_voids(mine)


def rows_of(
    index: EventIndex, clusters: Iterable[frozenset[str]], households: Iterable[str], rules: Rules
) -> dict[str, list[Row]]:
    """Rows of every table for these units (persons table included)."""
    out: dict[str, list[Row]] = defaultdict(list)
    for cluster in clusters:
        rows, records = person_unit_rows(cluster, index.person_unit(cluster), rules)
        for table, table_rows in rows.items():
            out[table].extend(table_rows)
        out["persons"].extend(records)
    for hid in sorted(households):
        out["households"].extend(household_rows(hid, index.household_unit(hid)))
    return out


def components(ids: Iterable[str], links: Iterable[tuple[str, str]]) -> list[frozenset[str]]:
    """Connected components of ids under links (merges, voided or not), in a stable order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pid in ids:
        find(pid)
    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = defaultdict(set)
    for pid in list(parent):
        groups[find(pid)].add(pid)
    return [frozenset(g) for _, g in sorted(groups.items())]


def person_clusters(events: Iterable[Ev]) -> list[frozenset[str]]:
    """Every person id of a log, grouped by the merges that link them (voided or not)."""
    evs = list(events)
    ids = {s for ev in evs for s, r in roles(ev) if r in PERSON_ROLES}
    links = [(ev.payload["surviving_id"], ev.payload["merged_id"]) for ev in evs if ev.type == "persons.merged"]
    return components(ids, links)


def project(events: Iterable[Ev], rules: Rules) -> dict[str, list[Row]]:
    """Every read-model row of a whole log, in memory (the pure reference of the sink's tables)."""
    evs = list({e.event_id: e for e in events}.values())
    households = {s for ev in evs if ev.type == "household.registered" for s, r in roles(ev) if r == "household"}
    return rows_of(EventIndex(evs), person_clusters(evs), households, rules)
