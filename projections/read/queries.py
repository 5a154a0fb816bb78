"""Read queries of records: a person and their history, a household, the review queue, area scopes."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from events.gazetteer import level as area_level
from projections.periods import knowledge_instant
from projections.read.areas import refresh_area_map
from projections.versions import ensure_live, use_schema

PERSON = "SELECT * FROM persons WHERE person_id = %s"
KNOWN = "known_from < %(k)s::timestamptz AND (known_to IS NULL OR known_to >= %(k)s::timestamptz)"
HISTORY: dict[str, str] = {
    "residence": f"SELECT * FROM residence_episodes WHERE person_id = %(p)s AND {KNOWN} ORDER BY valid_from, known_from",
    "marital": f"SELECT * FROM marital_episodes WHERE person_id = %(p)s AND {KNOWN} ORDER BY valid_from",
    "contraception": f"SELECT * FROM contraception_episodes WHERE person_id = %(p)s AND {KNOWN} ORDER BY valid_from",
    "pregnancies": f"SELECT * FROM pregnancies WHERE person_id = %(p)s AND {KNOWN} ORDER BY recorded_on NULLS LAST",
    "births": f"SELECT * FROM births WHERE mother_id = %(p)s AND {KNOWN} ORDER BY occurred_on, event_id",
    "deaths": f"SELECT * FROM deaths WHERE person_id = %(p)s AND {KNOWN}",
    "moves": f"SELECT * FROM moves WHERE person_id = %(p)s AND {KNOWN} ORDER BY coalesce(out_on, in_on)",
    "marriages": f"SELECT * FROM marriages WHERE (person_id = %(p)s OR partner_id = %(p)s) AND {KNOWN} ORDER BY occurred_on",
    # every value each attribute had, with when it was true and when the register knew it
    "attributes": "SELECT * FROM person_attribute_history WHERE person_id = %(p)s ORDER BY attribute, valid_from, known_from",
}
EVENTS = """
SELECT a.event_id, a.type, a.occurred_on, a.recorded_at, a.commune, a.payload
FROM event_subjects AS s JOIN event_archive AS a USING (event_id)
WHERE s.subject_id = ANY(%s) ORDER BY a.occurred_on, a.recorded_at, a.event_id
"""
MERGED_INTO = "SELECT person_id FROM persons WHERE merged_into = %s"
HOUSEHOLD = f"SELECT * FROM households WHERE household_id = %(h)s AND {KNOWN} ORDER BY registered_on LIMIT 1"
MEMBERS = f"""
SELECT person_id, relation, valid_from, valid_to, entry, exit, sex, birth_date, commune
FROM residence_episodes WHERE household_id = %(h)s AND {KNOWN} ORDER BY valid_from, person_id
"""
OPEN_REVIEW = """
SELECT r.event_id, r.reason, r.type, r.commune, r.occurred_on, r.recorded_at, r.collector_id, r.rule, r.detail,
       r.held_at, r.submission
FROM review_items AS r
WHERE (%(commune)s::text IS NULL OR r.commune = %(commune)s)
  AND (%(scope)s::text IS NULL OR EXISTS (
        SELECT 1 FROM area_map AS m WHERE m.commune = r.commune AND %(scope)s = ANY(m.areas)))
  -- resolved by a new submission: the held event itself applied, or an override of it
  AND NOT EXISTS (SELECT 1 FROM event_archive AS a WHERE a.event_id = r.event_id)
  AND NOT EXISTS (SELECT 1 FROM event_subjects AS o WHERE o.subject_id = r.event_id AND o.role = 'overrides')
ORDER BY r.held_at, r.event_id, r.reason
"""
# Scopes hold across boundary changes: a unit is inside a token's area if it ever was (a
# district clerk keeps seeing the communes of their district after the 2025 reform).
WITHIN = """
SELECT EXISTS (SELECT 1 FROM area_map WHERE %(inner)s = ANY(areas) AND %(outer)s = ANY(areas))
"""
COMMUNE_WITHIN = "SELECT EXISTS (SELECT 1 FROM area_map WHERE commune = %(commune)s AND %(outer)s = ANY(areas))"
_DEPTH = {"country": 0, "province": 1, "district": 2, "commune": 3}


def _live(conn: psycopg.Connection) -> None:
    version = ensure_live(conn)
    use_schema(conn, version.schema)
    refresh_area_map(conn, version.rules)


def person(conn: psycopg.Connection, person_id: str) -> dict[str, Any] | None:
    """The person's current record (a merged id shows merged_into), or None if unknown."""
    with conn.transaction():
        _live(conn)
        return conn.cursor(row_factory=dict_row).execute(PERSON, (person_id,)).fetchone()


def person_history(conn: psycopg.Connection, person_id: str, known_on: date | None = None) -> dict[str, Any] | None:
    """Every episode and flow of a person as known now (or on `known_on`), their attributes over
    both clocks, and the events about them. A merged id answers with its survivor's history."""
    with conn.transaction():
        _live(conn)
        cur = conn.cursor(row_factory=dict_row)
        record = cur.execute(PERSON, (person_id,)).fetchone()
        if record is None:
            return None
        rep = record["merged_into"] or person_id
        ids = [rep, *(r["person_id"] for r in cur.execute(MERGED_INTO, (rep,)).fetchall())]
        params = {"p": rep, "k": knowledge_instant(known_on)}
        out: dict[str, Any] = {
            "person_id": person_id,
            "survivor": rep,
            "merged_ids": ids[1:],
            "known_on": known_on.isoformat() if known_on else None,
        }
        for name, query in HISTORY.items():
            out[name] = cur.execute(query, params).fetchall()
        out["events"] = cur.execute(EVENTS, (ids,)).fetchall()
        return out


def household(conn: psycopg.Connection, household_id: str, known_on: date | None = None) -> dict[str, Any] | None:
    with conn.transaction():
        _live(conn)
        cur = conn.cursor(row_factory=dict_row)
        params = {"h": household_id, "k": knowledge_instant(known_on)}
        record = cur.execute(HOUSEHOLD, params).fetchone()
        members = cur.execute(MEMBERS, params).fetchall()
        if record is None and not members:
            return None
        current = [m for m in members if m["valid_to"] is None]
        return {"household_id": household_id, "registration": record, "members": current, "membership_history": members}


def review(conn: psycopg.Connection, commune: str | None = None, scope: str | None = None) -> list[dict[str, Any]]:
    """Submissions held in review and not yet resolved, optionally for a commune / inside an area."""
    with conn.transaction():
        _live(conn)
        params = {"commune": commune, "scope": None if scope in (None, "VN") else scope}
        return conn.cursor(row_factory=dict_row).execute(OPEN_REVIEW, params).fetchall()


def area_within(conn: psycopg.Connection, inner: str, outer: str) -> bool:
    """Whether area `inner` lies inside area `outer` (a token's scope), by the gazetteer."""
    if outer == "VN" or inner == outer:
        return True
    if _DEPTH[area_level(inner)] <= _DEPTH[area_level(outer)]:
        return False
    with conn.transaction():
        _live(conn)
        return bool(conn.execute(WITHIN, {"inner": inner, "outer": outer}).fetchone()[0])  # type: ignore[index]


def commune_within(conn: psycopg.Connection, commune: str | None, outer: str) -> bool:
    if outer == "VN":
        return True
    if commune is None:
        return False
    with conn.transaction():
        _live(conn)
        row = conn.execute(COMMUNE_WITHIN, {"commune": commune, "outer": outer}).fetchone()
        return bool(row and row[0])
