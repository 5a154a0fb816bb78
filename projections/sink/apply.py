"""One sink batch in one PostgreSQL transaction: archive, review items, recomputed rows, offsets.

Rows and the consumer position commit together (STYLE habit 7), and the stored offsets are read
FOR UPDATE first: records below them were already applied and are skipped, so a redelivery, a
restart after a crash at any point, or a second sink racing this one changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

from projections.fold.model import Ev, roles
from projections.fold.records import (
    ARCHIVE_COLUMNS,
    REVIEW_COLUMNS,
    Record,
    Unreadable,
    read_event,
    read_review,
)
from projections.sink import store
from projections.versions import PROJECTION, Version, use_schema

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]

STAGE = "CREATE TEMP TABLE IF NOT EXISTS archive_stage (LIKE event_archive) ON COMMIT DELETE ROWS"
COPY_STAGE = f"COPY archive_stage ({', '.join(ARCHIVE_COLUMNS)}) FROM STDIN"
# The first copy of an event_id (lowest offset) wins, in a batch as in a rebuild.
ARCHIVE = """
INSERT INTO event_archive
SELECT DISTINCT ON (event_id) * FROM archive_stage ORDER BY event_id, kafka_topic, kafka_partition, kafka_offset
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""
COPY_SUBJECTS = "COPY event_subjects (subject_id, event_id, role, type) FROM STDIN"
INSERT_REVIEW = (
    f"INSERT INTO review_items ({', '.join(REVIEW_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(REVIEW_COLUMNS))}) ON CONFLICT (event_id, reason) DO NOTHING"
)
INSERT_REJECT = """
INSERT INTO sink_rejects (kafka_topic, kafka_partition, kafka_offset, error, value) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING
"""
ENSURE_OFFSET = """
INSERT INTO projection_offsets (projection, version, topic, partition, next_offset) VALUES (%s, %s, %s, %s, 0)
ON CONFLICT DO NOTHING
"""
LOCK_OFFSETS = """
SELECT topic, partition, next_offset FROM projection_offsets
WHERE projection = %s AND version = %s FOR UPDATE
"""
SAVE_OFFSET = """
UPDATE projection_offsets SET next_offset = %s, updated_at = now()
WHERE projection = %s AND version = %s AND topic = %s AND partition = %s
"""
STORED = "SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = %s AND version = %s"


@dataclass
class BatchResult:
    records: int = 0  # records applied (past the stored offsets)
    archived: int = 0  # events new to the archive
    duplicates: int = 0  # events whose event_id was already archived
    review: int = 0
    rejected: int = 0
    units: int = 0  # persons/households recomputed


def stored_offsets(conn: psycopg.Connection, version: int) -> dict[TopicPartition, int]:
    with conn.transaction():
        return {(t, p): o for t, p, o in conn.execute(STORED, (PROJECTION, version)).fetchall()}


def _archive(conn: psycopg.Connection, parsed: list[tuple[Ev, tuple]]) -> list[Ev]:
    conn.execute(STAGE)
    with conn.cursor().copy(COPY_STAGE) as copy:
        for _, row in parsed:
            copy.write_row(row)
    inserted = {r[0] for r in conn.execute(ARCHIVE).fetchall()}
    first: dict[str, Ev] = {}
    for ev, _ in parsed:
        if ev.event_id in inserted:
            first.setdefault(ev.event_id, ev)
    new = list(first.values())
    with conn.cursor().copy(COPY_SUBJECTS) as copy:
        for ev in new:
            for subject, role in dict.fromkeys(roles(ev)):
                copy.write_row((subject, ev.event_id, role, ev.type))
    return new


def apply_batch(
    conn: psycopg.Connection,
    version: Version,
    records: Iterable[Record],
    positions: dict[TopicPartition, int],
    events_topic: str,
    *,
    fold: bool = True,
) -> BatchResult:
    """Apply consumed records and store `positions` (next offset per partition), atomically.

    fold=False archives only (a rebuild's replay; store.fold_all writes the rows afterwards).
    """
    result = BatchResult()
    with conn.transaction():
        use_schema(conn, version.schema)
        for topic, partition in positions:
            conn.execute(ENSURE_OFFSET, (PROJECTION, version.version, topic, partition))
        stored = {(t, p): o for t, p, o in conn.execute(LOCK_OFFSETS, (PROJECTION, version.version)).fetchall()}
        parsed: list[tuple[Ev, tuple]] = []
        reviews: list[tuple] = []
        for rec in records:
            if rec.offset < stored.get((rec.topic, rec.partition), 0):
                continue  # applied before (redelivery, or another sink got there first)
            result.records += 1
            try:
                if rec.topic == events_topic:
                    parsed.append(read_event(rec))
                else:
                    reviews.append(read_review(rec))
            except Unreadable as exc:
                log.error("unreadable record %s[%d]@%d: %s", rec.topic, rec.partition, rec.offset, exc)
                conn.execute(INSERT_REJECT, (rec.topic, rec.partition, rec.offset, str(exc), rec.value))
                result.rejected += 1
        if parsed:
            new = _archive(conn, parsed)
            result.archived, result.duplicates = len(new), len(parsed) - len(new)
            if new and fold:
                persons, households = store.affected(conn, new)
                result.units = store.recompute(conn, persons, households, version.rules)
        if reviews:
            conn.cursor().executemany(INSERT_REVIEW, reviews)
            result.review = len(reviews)
        for (topic, partition), offset in positions.items():
            if offset > stored.get((topic, partition), 0):
                conn.execute(SAVE_OFFSET, (offset, PROJECTION, version.version, topic, partition))
    return result
