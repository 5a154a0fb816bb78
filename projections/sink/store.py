"""Recomputing units in PostgreSQL: which persons and households an event touches, their events, their rows.

A unit's rows are a function of its events only, so recomputing a unit is: load every event
about it from the archive, fold (projections.fold.bitemporal), delete its old rows, write the new
ones. Run inside the sink's batch transaction, with search_path set to the version's schema.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from projections.fold.model import (
    ATTRIBUTE_TYPES,
    BITEMPORAL,
    OWNER,
    PERSON_ROLES,
    PERSON_TABLES,
    TABLES,
    Ev,
    roles,
)
from projections.fold.person import Row
from projections.fold.units import EventIndex, components, rows_of
from projections.read.stock_cache import ALL_SPLIT, record_changes
from projections.rules import Rules
from projections.sink.stock_changes import RETURNING, STOCK_TABLES, changed_communes
from projections.versions import use_schema

EVENT_SUBJECTS = "SELECT event_id, subject_id, role, type FROM event_subjects WHERE event_id = ANY(%b)"
SUBJECT_EVENTS = "SELECT DISTINCT event_id FROM event_subjects WHERE subject_id = ANY(%b)"
MERGE_LINKS = """
SELECT s.subject_id, o.subject_id FROM event_subjects AS s
JOIN event_subjects AS o ON o.event_id = s.event_id AND o.role IN ('surviving', 'merged')
                          AND o.subject_id <> s.subject_id
WHERE s.subject_id = ANY(%b) AND s.role IN ('surviving', 'merged')
"""
# Whose rows read this person's sex, birth date or death: their mother (births, mother's age)
# and their spouses (child marriage, widowhood).
DEPENDENTS = """
SELECT DISTINCT o.subject_id FROM event_subjects AS s JOIN event_subjects AS o ON o.event_id = s.event_id
WHERE s.subject_id = ANY(%b)
  AND ((s.role = 'child' AND o.role = 'mother')
       OR (s.role IN ('spouse1', 'spouse2') AND o.role IN ('spouse1', 'spouse2') AND o.subject_id <> s.subject_id))
"""
# Whose sex, birth date or death this person's rows read: their children and spouses.
RELATED = """
SELECT DISTINCT o.subject_id FROM event_subjects AS s JOIN event_subjects AS o ON o.event_id = s.event_id
WHERE s.subject_id = ANY(%b)
  AND ((s.role = 'mother' AND o.role = 'child')
       OR (s.role IN ('spouse1', 'spouse2') AND o.role IN ('spouse1', 'spouse2') AND o.subject_id <> s.subject_id))
"""
ATTRIBUTE_EVENTS = """
SELECT DISTINCT event_id FROM event_subjects
WHERE subject_id = ANY(%b) AND role IN ('person', 'child') AND type = ANY(%b)
"""
HOUSEHOLD_EVENTS = """
SELECT DISTINCT event_id FROM event_subjects
WHERE subject_id = ANY(%b) AND role = 'household' AND type = 'household.registered'
"""
VOIDS = "SELECT event_id FROM event_subjects WHERE role = 'voids' AND subject_id = ANY(%b)"
# jsonb as text, parsed by orjson: several times faster than the driver's json module here.
EVENTS = """
SELECT event_id, type, occurred_on, recorded_at, commune, payload::text, context::text
FROM event_archive WHERE event_id = ANY(%b)
"""


def _copy_sql(table: str) -> sql.Composed:
    cols = TABLES[table] + (() if table == "persons" else ("known_from", "known_to"))
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, cols))
    )


COPY_ROWS = {t: _copy_sql(t) for t in TABLES}
DELETE_ROWS = {
    t: sql.SQL("DELETE FROM {} WHERE {} = ANY(%b)").format(sql.Identifier(t), sql.Identifier(OWNER[t])) for t in TABLES
}
# The stock tables' old rows come back, to find what the recompute changed (projections.sink.stock_changes).
for _t in STOCK_TABLES:
    DELETE_ROWS[_t] = sql.SQL("{} RETURNING {}").format(DELETE_ROWS[_t], sql.SQL(RETURNING[_t]))


def copy_rows(conn: psycopg.Connection, table: str, rows: Iterable[Row]) -> None:
    with conn.cursor().copy(COPY_ROWS[table]) as copy:
        for row in rows:
            copy.write_row(row)


def _classify(subject: str, role: str, etype: str, persons: set[str], households: set[str], targets: set[str]) -> None:
    if role in PERSON_ROLES:
        persons.add(subject)
    elif role == "household" and etype == "household.registered":
        households.add(subject)
    elif role == "voids":
        targets.add(subject)


def affected(conn: psycopg.Connection, new: list[Ev]) -> tuple[set[str], set[str]]:
    """(person ids, household ids) whose rows the newly archived events change."""
    persons: set[str] = set()
    households: set[str] = set()
    targets: set[str] = set()
    for ev in new:
        for subject, role in roles(ev):
            _classify(subject, role, ev.type, persons, households, targets)
    seen: set[str] = set()
    while targets - seen:  # a void changes what its target was about (a void of a void too)
        todo = targets - seen
        seen |= todo
        for _event_id, subject, role, etype in conn.execute(EVENT_SUBJECTS, (list(todo),)).fetchall():
            _classify(subject, role, etype, persons, households, targets)
    return persons, households


def clusters(conn: psycopg.Connection, person_ids: set[str]) -> list[frozenset[str]]:
    """The affected persons, their dependents, and every id a merge links them to, as clusters."""
    links: set[tuple[str, str]] = set()

    def closure(ids: set[str]) -> set[str]:
        known, frontier = set(ids), set(ids)
        while frontier:
            found = conn.execute(MERGE_LINKS, (list(frontier),)).fetchall()
            links.update(found)
            frontier = {b for _, b in found} - known
            known |= frontier
        return known

    first = closure(person_ids)
    dependents = {r[0] for r in conn.execute(DEPENDENTS, (list(first),)).fetchall()}
    return components(closure(first | dependents), links)


def _ids(conn: psycopg.Connection, query: str, *params: object) -> set[str]:
    return {r[0] for r in conn.execute(query, params).fetchall()}


def load_events(conn: psycopg.Connection, event_ids: set[str]) -> dict[str, Ev]:
    """Archived events by id, with every void of them (and of those voids) added."""
    ids, frontier = set(event_ids), set(event_ids)
    while frontier:
        frontier = _ids(conn, VOIDS, list(frontier)) - ids
        ids |= frontier
    rows = conn.execute(EVENTS, (list(ids),)).fetchall()
    return {r[0]: Ev(*r[:5], orjson.loads(r[5]), orjson.loads(r[6])) for r in rows}


def write_units(
    conn: psycopg.Connection,
    groups: list[frozenset[str]],
    household_ids: set[str],
    rules: Rules,
    *,
    replace: bool = True,
) -> None:
    """Fold these person clusters and households from the archive and write their rows
    (deleting their old rows first when `replace`)."""
    all_ids = set().union(*groups) if groups else set()
    own_ids = _ids(conn, SUBJECT_EVENTS, list(all_ids)) if all_ids else set()
    related = _ids(conn, RELATED, list(all_ids)) - all_ids if all_ids else set()
    attr_ids = _ids(conn, ATTRIBUTE_EVENTS, list(related), list(ATTRIBUTE_TYPES)) if related else set()
    hh_ids = _ids(conn, HOUSEHOLD_EVENTS, list(household_ids)) if household_ids else set()
    events = load_events(conn, own_ids | attr_ids | hh_ids)
    out = rows_of(EventIndex(events.values()), groups, household_ids, rules)
    old: dict[str, list[Row]] = {}
    if replace and all_ids:
        owners = sorted(all_ids)
        for table in PERSON_TABLES:
            cur = conn.execute(DELETE_ROWS[table], (owners,))
            if table in STOCK_TABLES:
                old[table] = cur.fetchall()
    if replace and household_ids:
        conn.execute(DELETE_ROWS["households"], (sorted(household_ids),))
    for table in (*BITEMPORAL, "persons"):
        if out.get(table):
            copy_rows(conn, table, out[table])
    if replace:  # the stock snapshots these rows make stale (projections.read.stock_cache)
        record_changes(conn, changed_communes(old, out), all_ids)


def recompute(conn: psycopg.Connection, person_ids: set[str], household_ids: set[str], rules: Rules) -> int:
    """Rewrite the rows of these persons (with their merge clusters and dependents) and households.

    Returns the number of units recomputed.
    """
    groups = clusters(conn, person_ids) if person_ids else []
    write_units(conn, groups, household_ids, rules)
    return len(groups) + len(household_ids)


ALL_PERSONS = "SELECT DISTINCT subject_id FROM event_subjects WHERE role = ANY(%b)"
ALL_MERGES = """
SELECT s.subject_id, o.subject_id FROM event_subjects AS s
JOIN event_subjects AS o ON o.event_id = s.event_id AND o.role = 'merged'
WHERE s.role = 'surviving'
"""
ALL_HOUSEHOLDS = (
    "SELECT DISTINCT subject_id FROM event_subjects WHERE role = 'household' AND type = 'household.registered'"
)
CLEAR_ROWS = sql.SQL("TRUNCATE {}").format(
    sql.SQL(", ").join(
        map(sql.Identifier, (*TABLES, "stock_cache", "exposure_cache", "stock_changes", "split_households"))
    )
)


def fold_all(pool: ConnectionPool, schema: str, rules: Rules, chunk: int = 4000) -> int:
    """Write every unit's rows from the archive, replacing all rows (a version being built, which
    no reader uses: the second phase of a rebuild). One transaction per chunk; returns units."""
    with pool.connection() as conn, conn.transaction():
        use_schema(conn, schema)
        conn.execute(CLEAR_ROWS)
        persons = [r[0] for r in conn.execute(ALL_PERSONS, (sorted(PERSON_ROLES),)).fetchall()]
        merges = conn.execute(ALL_MERGES).fetchall()
        households = sorted(r[0] for r in conn.execute(ALL_HOUSEHOLDS).fetchall())
    groups = components(persons, merges)
    done = 0
    while groups or households:
        batch, size = [], 0
        while groups and size < chunk:
            batch.append(groups.pop())
            size += len(batch[-1])
        homes, households = set(households[:chunk]), households[chunk:]
        with pool.connection() as conn, conn.transaction():
            use_schema(conn, schema)
            write_units(conn, batch, homes, rules, replace=False)
        done += len(batch) + len(homes)
    # no stock snapshot of a version being built is used (projections.read.indicators), so none is
    # made stale; only the households living in two communes are noted, all at once
    with pool.connection() as conn, conn.transaction():
        use_schema(conn, schema)
        conn.execute(ALL_SPLIT)
    return done
