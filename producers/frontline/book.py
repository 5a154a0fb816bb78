"""What a device reads: her area's household book, what became of her entries, her inbox and month.

Every query runs on the live projection version (projections/versions.py) and stays inside the
device's area: names and national ids never leave the collaborator's scope.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from processors.register.checks import BIRTH_SPACING_DAYS, LEGAL_AGE, MOTHER_AGE
from producers.frontline.reasons_vi import reason_words
from projections.read.areas import refresh_area_map
from projections.versions import ensure_live, use_schema

# The commune codes whose people live in `area` today: an old commune merged in the 2025 reform
# keeps its code on people's records and counts in its successor (projections/read/areas.py).
COMMUNES_OF = """
SELECT DISTINCT commune FROM area_map
WHERE %(area)s = ANY(areas) AND valid_from <= %(day)s AND (valid_until IS NULL OR valid_until > %(day)s)
"""
MEMBERS = """
SELECT r.household_id, r.person_id, p.full_name, r.sex, r.birth_date, r.relation, p.marital_status,
       p.mother_id, p.national_id, r.valid_from
FROM residence_episodes AS r JOIN persons AS p USING (person_id)
WHERE r.commune = ANY(%(communes)s) AND r.valid_to IS NULL AND r.known_to IS NULL AND p.status = 'alive'
ORDER BY r.household_id, r.valid_from, r.person_id
"""
ADDRESSES = """
SELECT DISTINCT ON (household_id) household_id, address, head_person_id FROM households
WHERE household_id = ANY(%(households)s) AND known_to IS NULL ORDER BY household_id, registered_on
"""
BIRTHS_OF = """
SELECT mother_id, occurred_on, plurality FROM births
WHERE mother_id = ANY(%(persons)s) AND known_to IS NULL ORDER BY occurred_on
"""
SPOUSES = """
SELECT person_id, partner_id FROM marital_episodes
WHERE person_id = ANY(%(persons)s) AND status = 'married' AND valid_to IS NULL AND known_to IS NULL
"""
# Only entries recorded in her area: a device learns nothing of other communes' entries.
ACCEPTED = "SELECT event_id FROM event_archive WHERE event_id = ANY(%(ids)s) AND commune = ANY(%(communes)s)"
RECEIVED = """
SELECT event_id FROM public.accepted_submissions WHERE event_id = ANY(%(ids)s) AND commune = ANY(%(communes)s)
"""
# Held and not resolved (as projections.read.queries.OPEN_REVIEW decides), within the communes.
HELD = """
SELECT r.event_id, r.reason, r.detail, r.type, r.occurred_on, r.collector_id, r.submission, r.held_at,
       s.note AS sent_back
FROM review_items AS r LEFT JOIN public.frontline_sendbacks AS s USING (event_id)
WHERE (%(ids)s::text[] IS NULL OR r.event_id = ANY(%(ids)s))
  AND (%(collector)s::text IS NULL OR r.collector_id = %(collector)s)
  AND r.commune = ANY(%(communes)s)
  AND NOT EXISTS (SELECT 1 FROM event_archive AS a WHERE a.event_id = r.event_id)
  AND NOT EXISTS (SELECT 1 FROM event_subjects AS o WHERE o.subject_id = r.event_id AND o.role = 'overrides')
ORDER BY r.held_at, r.event_id, r.reason
"""
NAMES = "SELECT person_id, full_name FROM persons WHERE person_id = ANY(%(persons)s)"
# The month of a collaborator, as the paper collection form counts it (A0 monthly totals).
MONTH = """
SELECT type, count(*) AS n
FROM event_archive AS e
WHERE e.source->>'collector_id' = %(collector)s AND e.occurred_on >= %(start)s AND e.occurred_on < %(end)s
GROUP BY type
"""
VISITED = """
SELECT count(DISTINCT r.household_id) FROM event_archive AS e
JOIN event_subjects AS s USING (event_id)
JOIN residence_episodes AS r ON r.person_id = s.subject_id AND r.known_to IS NULL
     AND r.valid_from <= e.occurred_on AND (r.valid_to IS NULL OR r.valid_to >= e.occurred_on)
WHERE e.source->>'collector_id' = %(collector)s AND e.occurred_on >= %(start)s AND e.occurred_on < %(end)s
"""


def rules() -> dict[str, Any]:
    """The register's rules a device can check before sending (one definition: the register's)."""
    return {"mother_age": list(MOTHER_AGE), "birth_spacing_days": BIRTH_SPACING_DAYS, "legal_age": LEGAL_AGE}


def live(conn: psycopg.Connection) -> None:
    """Inside a transaction: the live version's schema, with an up-to-date area map."""
    version = ensure_live(conn)
    use_schema(conn, version.schema)
    refresh_area_map(conn, version.rules)


def communes_of(conn: psycopg.Connection, area: str, day: date) -> list[str]:
    return [r[0] for r in conn.execute(COMMUNES_OF, {"area": area, "day": day}).fetchall()]


def household_book(conn: psycopg.Connection, area: str, day: date) -> list[dict[str, Any]]:
    """The households living in `area` on `day` (today), each with its members as the device needs them."""
    with conn.transaction():
        live(conn)
        cur = conn.cursor(row_factory=dict_row)
        rows = cur.execute(MEMBERS, {"communes": communes_of(conn, area, day)}).fetchall()
        persons = [r["person_id"] for r in rows]
        households = sorted({r["household_id"] for r in rows})
        where = {r["household_id"]: r for r in cur.execute(ADDRESSES, {"households": households}).fetchall()}
        births: dict[str, list[list[Any]]] = defaultdict(list)
        for b in cur.execute(BIRTHS_OF, {"persons": persons}).fetchall():
            births[b["mother_id"]].append([b["occurred_on"].isoformat(), b["plurality"]])
        spouse = {r["person_id"]: r["partner_id"] for r in cur.execute(SPOUSES, {"persons": persons}).fetchall()}
    book: dict[str, dict[str, Any]] = {}
    for r in rows:
        hid = r["household_id"]
        if hid not in book:
            found = where.get(hid) or {}
            book[hid] = {
                "id": hid,
                "address": found.get("address") or "",
                "head": found.get("head_person_id"),
                "members": [],
            }
        member = {
            "id": r["person_id"],
            "name": r["full_name"] or "",
            "sex": r["sex"],
            "born": r["birth_date"].isoformat() if r["birth_date"] else None,
            "rel": r["relation"],
            "marital": r["marital_status"],
            "mother": r["mother_id"],
            "spouse": spouse.get(r["person_id"]),
            "nid": r["national_id"],
        }
        if r["person_id"] in births:
            member["births"] = births[r["person_id"]]
        book[hid]["members"].append(member)
    return list(book.values())


def statuses(conn: psycopg.Connection, ids: list[str], area: str, day: date) -> dict[str, dict[str, Any]]:
    """For each event id: accepted (in the log), held (with the reason in words), received (on the
    submissions topic, not yet processed) or unknown (never reached the gateway)."""
    out: dict[str, dict[str, Any]] = {i: {"state": "unknown"} for i in ids}
    with conn.transaction():
        live(conn)
        # An id PostgreSQL cannot hold as text (a NUL, a lone surrogate) was never stored: unknown.
        storable = [i for i in ids if "\x00" not in i and _encodable(i)]
        params = {"ids": storable, "collector": None, "communes": communes_of(conn, area, day)}
        for (event_id,) in conn.execute(RECEIVED, params).fetchall():
            out[event_id] = {"state": "received"}
        cur = conn.cursor(row_factory=dict_row)
        for item in cur.execute(HELD, params).fetchall():
            out[item["event_id"]] = held_item(item)
        for (event_id,) in conn.execute(ACCEPTED, params).fetchall():
            out[event_id] = {"state": "accepted"}
    return out


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def held_item(item: dict[str, Any]) -> dict[str, Any]:
    words, todo = reason_words(item["reason"])
    return {
        "state": "held",
        "reason": item["reason"],
        "words": words,
        "todo": todo,
        "detail": item["detail"],
        "sent_back": item.get("sent_back"),
    }


def held(conn: psycopg.Connection, area: str, day: date, collector: str | None = None) -> list[dict[str, Any]]:
    """Open review items of the area (of one collaborator if given), with names and reasons in words."""
    with conn.transaction():
        live(conn)
        cur = conn.cursor(row_factory=dict_row)
        params = {"ids": None, "collector": collector, "communes": communes_of(conn, area, day)}
        items = cur.execute(HELD, params).fetchall()
        subjects = sorted({p for i in items for p in _persons(i["submission"].get("payload") or {})})
        names = {r["person_id"]: r["full_name"] for r in cur.execute(NAMES, {"persons": subjects}).fetchall()}
    out = []
    for item in items:
        payload = item["submission"].get("payload") or {}
        out.append(
            {
                **held_item(item),
                "event_id": item["event_id"],
                "type": item["type"],
                "occurred_on": item["occurred_on"].isoformat() if item["occurred_on"] else None,
                "collector_id": item["collector_id"],
                "commune": item["submission"].get("commune"),
                "held_at": item["held_at"].isoformat(),
                "persons": [
                    {"id": p, "name": names.get(p) or payload.get("full_name") or ""} for p in _persons(payload)
                ],
            }
        )
    return out


def _persons(payload: dict[str, Any]) -> list[str]:
    found = [payload[k] for k in ("person_id", "mother_id", "child_id") if isinstance(payload.get(k), str)]
    found += [p for p in payload.get("person_ids") or [] if isinstance(p, str)]
    return found


def month(conn: psycopg.Connection, collector: str, start: date, end: date) -> dict[str, Any]:
    """Her month as the collection form counts it: births, deaths, moves, new contraceptive users,
    households visited (any household one of her accepted entries touched)."""
    with conn.transaction():
        live(conn)
        params = {"collector": collector, "start": start, "end": end}
        by_type = {t: n for t, n in conn.execute(MONTH, params).fetchall()}
        visited = conn.execute(VISITED, params).fetchone()[0]  # type: ignore[index]
    return {
        "births": by_type.get("birth", 0),
        "deaths": by_type.get("death", 0),
        "move_in": by_type.get("move_in", 0),
        "move_out": by_type.get("move_out", 0),
        "marriages": by_type.get("marriage", 0),
        "divorces": by_type.get("divorce", 0),
        "contraception_new": by_type.get("contraception.started", 0),
        "pregnancies": by_type.get("pregnancy.recorded", 0),
        "households_visited": visited,
        "entries": sum(by_type.values()),
    }
