"""Stage 1: each canonical log record becomes per-person fact rows and one pseudonymised log row.

Identifiers are replaced by pseudonymous keys here, before anything touches disk, and names,
national ids and addresses are never copied. Rows are written to Parquet in chunks so memory
stays bounded whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from analyses.datasets import schema

EPOCH = 719163  # date(1970, 1, 1).toordinal(): Arrow date32 counts days from it
CHUNK = 100_000

FACT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("seq", pa.int16()),
        ("role", pa.string()),
        ("person", pa.string()),
        ("other", pa.string()),
        ("occurred", pa.date32()),
        ("recorded", pa.date32()),
        ("sub_offset", pa.int64()),
        ("part", pa.int32()),
        ("off", pa.int64()),
        ("commune", pa.string()),
        ("district", pa.string()),
        ("province", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("marital", pa.string()),
        ("ceb", pa.int16()),
        ("birth_order", pa.int16()),
        ("method", pa.string()),
        ("reason", pa.string()),
        ("outcome", pa.string()),
        ("place", pa.string()),
        ("household", pa.string()),
        ("relation", pa.string()),
    ]
)
LOG_SCHEMA = schema("log")  # the exported log: columns documented in analyses/datasets.py
# persons.merged and event.voided change how other facts read; kept apart (they are few).
CONTROL_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("target", pa.string()),
        ("survivor", pa.string()),
        ("recorded", pa.date32()),
        ("occurred", pa.date32()),
    ]
)


def day(text: str | None) -> int | None:
    """'YYYY-MM-DD...' to days since 1970-01-01 (the first ten characters are the local date)."""
    if not text:
        return None
    return date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal() - EPOCH


class ChunkedTable:
    """Rows buffered as tuples and written to one Parquet file every CHUNK rows."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema = schema
        self.names = schema.names
        self.buffer: list[tuple] = []
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        self.rows = 0

    def add(self, **values: Any) -> None:
        self.add_row(tuple(map(values.get, self.names)))

    def add_row(self, row: tuple) -> None:
        """A row given as a tuple in schema order."""
        self.buffer.append(row)
        if len(self.buffer) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        arrays = []
        for f, values in zip(self.schema, zip(*self.buffer, strict=True), strict=True):
            if f.type == pa.date32():  # days since 1970 -> date32 without a Python date per cell
                arrays.append(pa.array(values, pa.int32()).cast(pa.date32()))
            else:
                arrays.append(pa.array(values, f.type))
        self.writer.write_batch(pa.record_batch(arrays, schema=self.schema))
        self.rows += len(self.buffer)
        self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


class Collected:
    """An in-memory sink with the same `add` as a ChunkedTable (for one person's trajectory)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, **values: Any) -> None:
        self.rows.append(values)

    def close(self) -> None:
        return None


class FactWriter:
    """Turns RegisterEvent dicts into facts.parquet, log.parquet and control.parquet (or, with
    `workdir=None`, into in-memory lists, without the log rows)."""

    def __init__(self, workdir: Path | None, pseudo: Callable[[str | None], str | None]):
        self.key = pseudo
        self.facts: Collected | ChunkedTable
        self.log: ChunkedTable | None
        self.control: Collected | ChunkedTable
        if workdir is None:
            self.facts, self.log, self.control = Collected(), None, Collected()
        else:
            self.facts = ChunkedTable(workdir / "facts.parquet", FACT_SCHEMA)
            self.log = ChunkedTable(workdir / "log.parquet", LOG_SCHEMA)
            self.control = ChunkedTable(workdir / "control.parquet", CONTROL_SCHEMA)
        self.max_day: int | None = None
        self._handlers: dict[str, Callable[..., None]] = {
            "person.registered": self._registered,
            "birth": self._birth,
            "death": self._single,
            "marriage": self._pair,
            "divorce": self._pair,
            "move_out": self._moves,
            "move_in": self._moves,
            "contraception.started": self._single,
            "contraception.stopped": self._single,
            "pregnancy.recorded": self._single,
            "pregnancy.ended": self._single,
            "person.corrected": self._corrected,
        }

    def add(self, raw: dict[str, Any], partition: int | None, offset: int) -> None:
        ev, ctx = raw["event"], raw["context"]
        typ, payload = ev["type"], ev.get("payload") or {}
        area = ctx.get("area") or {}
        occurred, recorded = day(ev["occurred_on"]), day(ev.get("recorded_at"))
        if occurred is not None and (self.max_day is None or occurred > self.max_day):
            self.max_day = occurred
        base = {
            "event_id": ev["event_id"],
            "occurred": occurred,
            "recorded": recorded,
            "sub_offset": ctx.get("submission_offset"),
            "part": partition,
            "off": offset,
            "commune": area.get("commune") or ev.get("commune"),
            "district": area.get("district"),
            "province": area.get("province"),
        }
        handler = self._handlers.get(typ)
        if handler is not None:
            handler(typ, payload, ctx, base)
        elif typ == "event.voided":
            self.control.add(kind="void", target=payload.get("voided_event_id"), recorded=recorded, occurred=occurred)
        elif typ == "persons.merged":
            self.control.add(
                kind="merge",
                target=self.key(payload.get("merged_id")),
                survivor=self.key(payload.get("surviving_id")),
                recorded=recorded,
                occurred=occurred,
            )
        if self.log is not None:
            self._log_row(ev, ctx, typ, payload, base)

    def _fact(self, base: dict[str, Any], seq: int, role: str, person: str | None, **extra: Any) -> None:
        self.facts.add(**base, seq=seq, role=role, person=self.key(person), **extra)

    def _registered(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        bd = day(p.get("birth_date"))
        self._fact(
            base,
            0,
            "registered",
            p.get("person_id"),
            sex=p.get("sex"),
            birth_date=bd,
            marital=p.get("marital_status"),
            ceb=p.get("children_ever_born"),
            other=self.key(p.get("mother_id")),
            household=self.key(p.get("household_id")),
            relation=p.get("relation_to_head"),
        )
        if p.get("mother_id"):
            # The mother learns of a child born before the register: parity and sex composition.
            self._fact(
                base,
                1,
                "child_registered",
                p["mother_id"],
                other=self.key(p.get("person_id")),
                sex=p.get("sex"),
                birth_date=bd,
            )

    def _birth(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        child, mother = p.get("child_id"), p.get("mother_id")
        self._fact(
            base,
            0,
            "born",
            child,
            sex=p.get("sex"),
            birth_date=base["occurred"],
            other=self.key(mother),
            marital="never_married",
        )
        self._fact(
            base, 1, "gave_birth", mother, sex=p.get("sex"), other=self.key(child), birth_order=ctx.get("birth_order")
        )

    def _single(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        role = {
            "death": "death",
            "contraception.started": "contra_start",
            "contraception.stopped": "contra_stop",
            "pregnancy.recorded": "pregnancy",
            "pregnancy.ended": "pregnancy_end",
        }[typ]
        self._fact(
            base, 0, role, p.get("person_id"), method=p.get("method"), reason=p.get("reason"), outcome=p.get("outcome")
        )

    def _pair(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        a, b = (p.get("person_ids") or [None, None])[:2]
        self._fact(base, 0, typ, a, other=self.key(b))
        self._fact(base, 1, typ, b, other=self.key(a))

    def _moves(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        place = p.get("to_commune") if typ == "move_out" else p.get("from_commune")
        if typ == "move_out" and ctx.get("duplicate_of_move"):
            return  # a late move_out of a move the register already counted at its move_in
        for i, person in enumerate(p.get("person_ids") or []):
            self._fact(base, i, typ, person, place=place)

    def _corrected(self, typ: str, p: dict, ctx: dict, base: dict) -> None:
        changes = p.get("changes") or {}
        if "sex" in changes or "birth_date" in changes:  # names and ids are never read
            self._fact(
                base,
                0,
                "corrected",
                p.get("person_id"),
                sex=changes.get("sex"),
                birth_date=day(changes.get("birth_date")),
            )

    def _log_row(self, ev: dict, ctx: dict, typ: str, p: dict, base: dict) -> None:
        subjects = ctx.get("subjects") or []
        assert self.log is not None  # called only when the log rows are kept
        self.log.add(
            event_key=self.key(ev["event_id"]),
            type=typ,
            occurred_on=base["occurred"],
            recorded_at=ev.get("recorded_at"),
            accepted_at=ctx.get("accepted_at"),
            commune=base["commune"],
            district=base["district"],
            province=base["province"],
            person_keys=[self.key(s) for s in subjects],
            household_key=self.key(ctx.get("household_id")),
            birth_order=ctx.get("birth_order"),
            mother_age=ctx.get("mother_age"),
            sex=p.get("sex"),
            method=p.get("method"),
            reason=p.get("reason"),
            outcome=p.get("outcome"),
            from_commune=p.get("from_commune"),
            to_commune=p.get("to_commune"),
            target_event_key=self.key(p.get("voided_event_id") or p.get("held_event_id")),
            flags=list(ctx.get("flags") or []),
            partition=base["part"],
            offset=base["off"],
        )

    def close(self) -> None:
        self.facts.close()
        self.control.close()
        if self.log is not None:
            self.log.close()
