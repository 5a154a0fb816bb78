"""A person's trajectory (residence, union, childbearing, contraception) from their log records.

The records come from the event archive, the sink's verbatim copy of the canonical log, and
are folded by the analyses' own code (analyses.trajectory), so the CLI, the API and an
analyst's export of the log tell the same story.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from analyses.trajectory import trajectory_for
from projections.read.queries import _live

# The person, every id merged with them, the events about any of those ids, the deaths of
# their spouses (widowhood), and the voids of any of those events.
PERSON_LOG = """
WITH RECURSIVE ids(id) AS (
    SELECT %(p)s::text
    UNION
    SELECT other.subject_id FROM ids
    JOIN event_subjects me ON me.subject_id = ids.id AND me.type = 'persons.merged'
    JOIN event_subjects other ON other.event_id = me.event_id AND other.subject_id <> ids.id
),
mine AS (SELECT DISTINCT event_id FROM event_subjects WHERE subject_id IN (SELECT id FROM ids)),
spouses AS (
    SELECT DISTINCT other.subject_id FROM event_subjects me
    JOIN event_subjects other ON other.event_id = me.event_id AND other.subject_id <> me.subject_id
    WHERE me.subject_id IN (SELECT id FROM ids) AND me.type = 'marriage'
),
theirs AS (SELECT event_id FROM event_subjects
           WHERE type = 'death' AND subject_id IN (SELECT subject_id FROM spouses)),
wanted AS (SELECT event_id FROM mine UNION SELECT event_id FROM theirs),
voids AS (SELECT event_id FROM event_subjects WHERE role = 'voids' AND subject_id IN (SELECT event_id FROM wanted))
SELECT event_id, type, schema_version, occurred_on, recorded_at, commune, source, payload, context
FROM event_archive
WHERE event_id IN (SELECT event_id FROM wanted UNION SELECT event_id FROM voids)
ORDER BY kafka_partition, kafka_offset
"""


def person_log(conn: psycopg.Connection, person_id: str) -> list[dict[str, Any]]:
    """The person's log records, as RegisterEvent dicts ({"event": …, "context": …})."""
    with conn.transaction():
        _live(conn)
        rows = conn.cursor(row_factory=dict_row).execute(PERSON_LOG, {"p": person_id}).fetchall()
    return [
        {
            "event": {
                "event_id": r["event_id"],
                "type": r["type"],
                "schema_version": r["schema_version"],
                "occurred_on": r["occurred_on"].isoformat(),
                "recorded_at": r["recorded_at"].isoformat(),
                "commune": r["commune"],
                "source": r["source"],
                "payload": r["payload"],
            },
            "context": r["context"],
        }
        for r in rows
    ]


def person_trajectory(conn: psycopg.Connection, person_id: str, known_on: date | None = None) -> dict[str, Any]:
    return trajectory_for(person_id, person_log(conn, person_id), known_on=known_on)
