"""Per-commune stock snapshots of what is known now, so a province's population takes milliseconds.

A stock on a day (persons by sex and completed years, households, women 15-49 by marital status
and method) adds up over communes: a person lives in one commune on a day. Households add up too
except the rare one with members in two communes at once; `split_households` lists those and
their double count is taken off from the episodes. So an area's stock is the sum of its
communes' rows in `stock_cache`, and never a sum of communes' published figures (migration,
which does not add up, is always counted from the moves).

Freshness is exact, not timed: store.write_units records in `stock_changes` every commune whose
residents' state it changed, from the first changed day, with its transaction id. A cached row
keeps the snapshot it was counted in; a reader uses it only if that snapshot and its own agree
on every change of the commune on or before the row's day (pg_visible_in_snapshot), otherwise it
counts the commune again from the episodes and replaces the row after its read. So a figure
from the cache equals the scan's in any interleaving with the sink. projections.read.stock_warm fills
the recent days ahead of readers (`popreg warm`, and the read API in the background).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

import orjson
import psycopg

from infra.observability import STOCK_SNAPSHOTS
from projections.periods import ymd
from projections.read.indicator_sql import COVERS, WOMEN_15_49, women_joins

_NOW = "{t}.known_to IS NULL"
_MY_SNAPSHOT = "pg_current_snapshot()"

# Valid rows: no change of the commune on or before the row's day that one snapshot sees and the
# other does not (changes older than both snapshots' xmin are seen by both). `day` is a stock's
# day, or the last day of an exposure month (projections.read.exposure_cache).
_VALID = """
SELECT s.commune, s.day, s.facts::text FROM {table} AS s
WHERE s.commune = ANY(%(communes)s::text[]) AND s.day = ANY(%(days)s::date[])
  AND NOT EXISTS (
    SELECT 1 FROM stock_changes AS x
    WHERE x.commune = s.commune AND x.from_day <= s.day
      AND x.xid >= least(s.snap_xmin, pg_snapshot_xmin({me}))
      AND pg_visible_in_snapshot(x.xid, s.snap) <> pg_visible_in_snapshot(x.xid, {me}))
"""
_STORE = """
INSERT INTO {table} (commune, day, snap, snap_xmin, facts)
SELECT c, d, %(snap)s::pg_snapshot, pg_snapshot_xmin(%(snap)s::pg_snapshot), f::jsonb
FROM unnest(%(communes)s::text[], %(days)s::date[], %(facts)s::text[]) AS t (c, d, f)
ON CONFLICT (commune, day) DO UPDATE SET snap = EXCLUDED.snap, snap_xmin = EXCLUDED.snap_xmin, facts = EXCLUDED.facts
"""
TABLES = ("stock_cache", "exposure_cache")
FEW = 20  # missing rows a reader always counts itself (a commune's, a district's)
VALID = {t: _VALID.format(table=t, me=_MY_SNAPSHOT) for t in TABLES}
STORE = {t: _STORE.format(table=t) for t in TABLES}
SNAPSHOT = f"SELECT {_MY_SNAPSHOT}::text"

# Three small histograms per commune: persons by (sex, completed years) and the distinct
# households from one scan (two hash aggregates), women 15-49 by (married, method in use) from a
# second, narrower one (selected from the table again so that the planner sees how many).
_RESIDENT = (
    f"""r.commune = ANY(%(communes)s::text[]) AND {COVERS.format(t="r", d="%(d)s::date")} AND {_NOW.format(t="r")}"""
)
COUNT = f"""
WITH g AS (
    SELECT r.commune, r.sex, (%(dymd)s - r.birth_ymd) / 10000 AS age, count(*) AS n,
           GROUPING(r.household_id) = 1 AS by_age
    FROM residence_episodes AS r WHERE {_RESIDENT}
    GROUP BY GROUPING SETS ((r.commune, r.sex, 3), (r.commune, r.household_id))
)
SELECT commune, 'a', sex, age, NULL::boolean, NULL::text, n FROM g WHERE by_age
UNION ALL
SELECT commune, 'h', NULL, NULL, NULL, NULL, count(*) FROM g WHERE NOT by_age GROUP BY commune
UNION ALL
SELECT r.commune, 'w', NULL, NULL, e.person_id IS NOT NULL, c.method, count(*)
FROM residence_episodes AS r {women_joins(_NOW)}
WHERE {_RESIDENT} AND {WOMEN_15_49}
GROUP BY 1, 5, 6
"""
# Households with members in more than one of the area's communes on the day: counted once per
# commune in the rows, once in the area.
SPLIT = f"""
SELECT coalesce(sum(n - 1), 0) FROM (
    SELECT r.household_id, count(DISTINCT r.commune) AS n
    FROM split_households AS s JOIN residence_episodes AS r ON r.household_id = s.household_id
    WHERE r.commune = ANY(%(communes)s::text[]) AND {COVERS.format(t="r", d="%(d)s::date")} AND {_NOW.format(t="r")}
    GROUP BY r.household_id
) AS h
"""
RECORD_CHANGES = """
INSERT INTO stock_changes (commune, from_day, xid)
SELECT c, d, pg_current_xact_id() FROM unnest(%s::text[], %s::date[]) AS t (c, d)
"""
# Households (of these persons) with residents known now in two communes at overlapping times.
_SPLIT_OF = """
INSERT INTO split_households (household_id)
SELECT DISTINCT a.household_id FROM residence_episodes AS a
JOIN residence_episodes AS b ON b.household_id = a.household_id AND b.commune <> a.commune AND b.known_to IS NULL
     AND a.valid_from < coalesce(b.valid_to, 'infinity'::date) AND b.valid_from < coalesce(a.valid_to, 'infinity'::date)
WHERE a.known_to IS NULL {persons}
ON CONFLICT DO NOTHING
"""
NOTE_SPLIT = _SPLIT_OF.format(persons="AND a.person_id = ANY(%s::text[])")
ALL_SPLIT = _SPLIT_OF.format(persons="")

# Rows counted in a read, to store after it: (table, snapshot, [(commune, day, facts json)]).
Pending = list[tuple[str, str, list[tuple[str, date, str]]]]


def count(conn: psycopg.Connection, communes: list[str], day: date) -> dict[str, dict[str, Any]]:
    """Each commune's stock facts on `day` from the episodes (every commune gets a row, an empty
    one without residents). Call in the snapshot whose view the rows should carry."""
    out = {c: {"ages": [], "households": 0, "women": []} for c in communes}
    conn.execute("SET LOCAL jit = off")  # compiling costs more than it saves on these scans
    rows = conn.execute(COUNT, {"communes": communes, "d": day, "dymd": ymd(day)}, prepare=False).fetchall()
    for commune, kind, sex, age, married, method, n in rows:
        facts = out[commune]
        if kind == "a":
            facts["ages"].append([sex, age, n])
        elif kind == "h":
            facts["households"] = n
        else:
            facts["women"].append([married, method, n])
    return out


def valid(conn: psycopg.Connection, table: str, communes: list[str], days: list[date]) -> dict[tuple[str, date], Any]:
    """{(commune, day): facts} of the stored rows this snapshot may use."""
    found = conn.execute(VALID[table], {"communes": communes, "days": days}, prepare=False).fetchall()
    return {(c, d): orjson.loads(f) for c, d, f in found}


def snapshot(conn: psycopg.Connection) -> str:
    """The reader's snapshot, taken before it counts: under READ COMMITTED the count may see more
    than it, never less, and a row that might hold a change its snapshot does not is merely
    counted again."""
    (snap,) = conn.execute(SNAPSHOT).fetchone()  # type: ignore[misc]
    return str(snap)


def queue(pending: Pending, table: str, snap: str, counted: dict[tuple[str, date], Any]) -> None:
    pending.append((table, snap, [(c, d, orjson.dumps(f).decode()) for (c, d), f in counted.items()]))


def mostly_missing(missing: int, total: int) -> bool:
    """Too few stored rows to be worth it: counting the rest one by one would cost a reader more
    than the area's single scan (a period nobody asked for; the warmer stores it afterwards)."""
    return missing > FEW and missing > total / 2


def refresh(
    conn: psycopg.Connection, communes: list[str], day: date, pending: Pending, *, or_none: bool = False
) -> dict[str, dict[str, Any]] | None:
    """Each commune's stock facts on `day`: valid stored rows, the others counted (and queued);
    with `or_none`, None instead when most are missing."""
    cached = {c: f for (c, _), f in valid(conn, "stock_cache", communes, [day]).items()}
    missing = [c for c in communes if c not in cached]
    if or_none and mostly_missing(len(missing), len(communes)):
        STOCK_SNAPSHOTS.labels("area_counted").inc(len(communes))
        return None
    STOCK_SNAPSHOTS.labels("snapshot").inc(len(cached))
    if missing:
        STOCK_SNAPSHOTS.labels("commune_counted").inc(len(missing))
        snap = snapshot(conn)
        counted = count(conn, missing, day)
        queue(pending, "stock_cache", snap, {(c, day): f for c, f in counted.items()})
        cached.update(counted)
    return cached


def stock_on(conn: psycopg.Connection, communes: list[str], day: date, pending: Pending) -> dict[str, Any] | None:
    """The area's stock facts on `day` as known now ({"ages", "households", "women",
    "population"}), from valid cached rows and a count of the other communes; what was counted
    is appended to `pending` for `store` (the caller's transaction may be read-only). None when
    most rows are missing: the caller counts the area from the episodes."""
    rows = refresh(conn, communes, day, pending, or_none=True)
    if rows is None:
        return None
    (split,) = conn.execute(SPLIT, {"communes": communes, "d": day}, prepare=False).fetchone()  # type: ignore[misc]
    return add_up(rows.values(), int(split))


def add_up(rows: Iterable[dict[str, Any]], split: int) -> dict[str, Any]:
    ages: dict[tuple[Any, Any], int] = defaultdict(int)
    women: dict[tuple[Any, Any], int] = defaultdict(int)
    households = 0
    for facts in rows:
        households += facts["households"]
        for sex, age, n in facts["ages"]:
            ages[sex, age] += n
        for married, method, n in facts["women"]:
            women[married, method] += n
    return {
        "ages": [[s, a, n] for (s, a), n in ages.items()],
        "households": households - split,
        "women": [[m, x, n] for (m, x), n in women.items()],
        "population": sum(ages.values()),
    }


def store(conn: psycopg.Connection, pending: Pending) -> None:
    """Write counted rows (in the version's schema); a later writer's rows replace them."""
    for table, snap, rows in pending:
        conn.execute(
            STORE[table],
            {
                "snap": snap,
                "communes": [r[0] for r in rows],
                "days": [r[1] for r in rows],
                "facts": [r[2] for r in rows],
            },
        )


def record_changes(conn: psycopg.Connection, changes: dict[str, date], persons: Iterable[str]) -> None:
    """In a writer's transaction: the communes whose snapshots its rows make stale from a day,
    and any household of these persons now living in two communes at once."""
    if changes:
        communes = sorted(changes)
        conn.execute(RECORD_CHANGES, (communes, [changes[c] for c in communes]))
    ids = sorted(persons)
    if ids:
        conn.execute(NOTE_SPLIT, (ids,))
