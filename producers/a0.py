"""`popreg import-a0`: household books (sổ A0, one row per person, CSV or a workbook) into baseline events.

Streams the file: a household's rows (kept together, as on its A0 page) become one
household.registered, its person.registered (mothers before their children) and a
contraception.started for each current method. Event ids are uuid5 of the row's keys, so
importing the same book again answers every event `duplicate` and changes nothing.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from infra.tokens import LOCAL_OPERATOR, Principal
from producers.a0_format import IGNORED, PersonRow, Problem, check_header, column_of, parse_row
from producers.a0_sheets import SUFFIXES as SHEET_SUFFIXES
from producers.a0_sheets import SheetError, open_sheet
from producers.ingest import Counts, IngestService

# Fixed forever: changing it would give every imported event a new id (and import it twice).
A0_NAMESPACE = uuid.UUID("4d1f3a52-0c5e-5b7a-9e61-a0b00c5e1e55")
TZ = "+07:00"  # books are written in Vietnam time
MAX_GROUP_ROWS = 1_000  # a household page holds ~7 persons; more means the file is not grouped


class A0FileError(ValueError):
    """The file cannot be imported at all (unreadable, not UTF-8 CSV, not a workbook, wrong header)."""


@dataclass
class A0Report:
    rows: int = 0
    bad_rows: int = 0
    households: int = 0
    events: Counts = field(default_factory=Counts)


def event_id(*keys: str) -> str:
    return str(uuid.uuid5(A0_NAMESPACE, "|".join(keys)))


def _envelope(
    kind: str, eid: str, commune: str, on: date, collector: str | None, payload: dict[str, Any]
) -> dict[str, Any]:
    source: dict[str, str] = {"channel": "import"}
    if collector:
        source["collector_id"] = collector
    return {
        "event_id": eid,
        "type": kind,
        "schema_version": 1,
        "occurred_on": on.isoformat(),
        "recorded_at": f"{on.isoformat()}T00:00:00{TZ}",
        "commune": commune,
        "source": source,
        "payload": payload,
    }


def _mothers_first(rows: list[PersonRow]) -> list[PersonRow]:
    """The head first, and every mother before her children when both are on the page."""
    rows = sorted(rows, key=lambda r: r.person["relation_to_head"] != "head")
    here = {r.person["person_id"] for r in rows}
    done: set[object] = set()
    ordered: list[PersonRow] = []
    while rows:
        waiting = []
        for r in rows:
            mother = r.person.get("mother_id")
            if mother in here and mother not in done and mother != r.person["person_id"]:
                waiting.append(r)
            else:
                ordered.append(r)
                done.add(r.person["person_id"])
        if len(waiting) == len(rows):  # a cycle of mother ids: keep file order, the register judges
            ordered.extend(waiting)
            break
        rows = waiting
    return ordered


def household_events(rows: list[PersonRow], first_line: int) -> tuple[list[tuple[dict, int]], list[Problem]]:
    """The events of one household page: (event, CSV line it came from)."""
    out: list[tuple[dict, int]] = []
    ordered = _mothers_first(rows)
    head = ordered[0]
    address = next((r.address for r in ordered if r.address), None)
    problems = []
    if address is None:
        problems.append(Problem(first_line, "address", "the household needs its address on at least one row"))
    else:
        payload: dict[str, object] = {"household_id": head.household_id, "address": address}
        if head.person["relation_to_head"] == "head":
            payload["head_person_id"] = head.person["person_id"]
        eid = event_id("household.registered", head.household_id)
        out.append(
            (
                _envelope("household.registered", eid, head.commune, head.registered_on, head.collector_id, payload),
                head.line,
            )
        )
    for r in ordered:
        eid = event_id("person.registered", str(r.person["person_id"]))
        out.append((_envelope("person.registered", eid, r.commune, r.registered_on, r.collector_id, r.person), r.line))
    for r in ordered:
        if r.method is None:
            continue
        since = r.method_since.isoformat() if r.method_since else ""
        eid = event_id("contraception.started", str(r.person["person_id"]), r.method, since)
        # The register's history of this person starts at the book's date: an older start is
        # recorded as in use on that date (the register holds facts about unknown persons).
        on = max(r.method_since or r.registered_on, r.registered_on)
        out.append(
            (
                _envelope(
                    "contraception.started",
                    eid,
                    r.commune,
                    on,
                    r.collector_id,
                    {"person_id": r.person["person_id"], "method": r.method},
                ),
                r.line,
            )
        )
    return out, problems


class _Reader:
    """Lines of a binary file (UTF-8, or the encoding asked for), counting bytes and physical lines."""

    def __init__(self, fh: BinaryIO, on_bytes: Callable[[int], None] | None, encoding: str = "utf-8"):
        self.fh = fh
        self.on_bytes = on_bytes
        self.encoding = encoding
        self.lines = 0
        self.undecodable: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for raw in self.fh:
            self.lines += 1
            if self.on_bytes:
                self.on_bytes(len(raw))
            try:
                first = self.lines == 1 and self.encoding == "utf-8"
                yield raw.decode("utf-8-sig" if first else self.encoding)
            except UnicodeDecodeError:
                # Reported as a bad row (the rest of the book still imports), never guessed at.
                self.undecodable.add(self.lines)
                yield raw.decode("utf-8", errors="replace")


def _delimiter(header: str) -> str:
    return max((",", ";", "\t"), key=header.count)


# A source of rows: the header's cells, then (line, values, what is wrong with the row or None).
Rows = Iterator[tuple[int, list[str], str | None]]


@contextmanager
def _csv_rows(path: Path, on_bytes: Callable[[int], None] | None, encoding: str) -> Iterator[tuple[list[str], Rows]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise A0FileError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        reader = _Reader(fh, on_bytes, encoding)
        lines = iter(reader)
        first = next(lines, None)
        if first is None:
            raise A0FileError(f"{path} is empty: expected a header line (see docs/a0-import.md)")
        shown = "UTF-8" if encoding == "utf-8" else encoding
        if reader.undecodable:
            raise A0FileError(
                f"{path}, line 1: not {shown} text; save the file as UTF-8 (or give its encoding: --encoding cp1258)"
            )
        header = next(csv.reader([first], delimiter=_delimiter(first)))

        def rows() -> Rows:
            start = reader.lines + 1
            for values in csv.reader(lines, delimiter=_delimiter(first), strict=False):
                line, start = start, reader.lines + 1
                bad = any(n in reader.undecodable for n in range(line, start))
                yield line, values, f"not {shown} text; save the file as UTF-8" if bad else None

        yield header, rows()


@contextmanager
def _sheet_rows(
    path: Path, sheet: str | None, on_bytes: Callable[[int], None] | None, located: dict[str, Any]
) -> Iterator[tuple[list[str], Rows]]:
    try:
        found = open_sheet(path, sheet)
    except SheetError as exc:
        raise A0FileError(str(exc)) from None
    located["sheet"] = found.name
    located["header_row"] = found.header_row
    size = path.stat().st_size

    def rows() -> Rows:
        done = 0
        for number, values in found.rows:
            if on_bytes:  # the workbook is read whole; progress moves by rows (~ its size at the end)
                step = min(size - done, max(1, size // 2000))
                done += step
                on_bytes(step)
            yield number, values, None
        if on_bytes and size > done:
            on_bytes(size - done)

    located["letters"] = found.letter_of
    yield found.header, rows()


async def import_a0(
    service: IngestService,
    path: Path,
    *,
    registered_on: date | None = None,
    principal: Principal = LOCAL_OPERATOR,
    chunk_events: int = 5_000,
    on_bytes: Callable[[int], None] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    sheet: str | None = None,
    encoding: str = "utf-8",
) -> A0Report:
    """Import one A0 book (CSV, or a workbook: .xlsx, .xls, .ods); bad rows are reported through
    on_problem with their line (or sheet, row and column letter), the others imported."""
    report = A0Report()
    pending: list[tuple[dict, int]] = []
    bad_lines: set[int] = set()
    located: dict[str, Any] = {}
    letters: dict[str, str] = {}

    def problem(p: Problem) -> None:
        bad_lines.add(p.line)
        if "sheet" in located:
            p = replace(p, sheet=located["sheet"], letter=letters.get(p.column))
        if on_problem:
            on_problem(p)

    async def flush() -> None:
        if not pending:
            return
        results = await service.ingest([e for e, _ in pending], principal)
        report.events.add(results)
        for (ev, line), res in zip(pending, results, strict=True):
            for err in res.errors:
                problem(Problem(line, column_of(ev["type"], err.loc), f"{ev['type']}: {err.msg}"))
        pending.clear()
        report.bad_rows += len(bad_lines)
        bad_lines.clear()

    workbook = path.suffix.lower() in SHEET_SUFFIXES
    if not workbook and sheet is not None:
        raise A0FileError(f"--sheet {sheet!r}: {path} is a CSV file, not a workbook")
    source = _sheet_rows(path, sheet, on_bytes, located) if workbook else _csv_rows(path, on_bytes, encoding)
    with source as (header_row, rows):
        names, header_problems = check_header(header_row)
        where = f"{path}, sheet {located['sheet']!r}, row {located['header_row']}" if workbook else f"{path}, line 1"
        if header_problems:
            raise A0FileError(f"{where}: " + "; ".join(header_problems))
        if workbook:
            letters.update(located["letters"](names))
        if registered_on is None and "registered_on" not in names:
            raise A0FileError("no registered_on column: give the book's date with --registered-on YYYY-MM-DD")
        group: list[PersonRow] = []
        group_key: tuple[str, str] | None = None
        group_line = 0
        for line, values, unreadable in rows:
            if not any(v.strip() for v in values):
                continue
            report.rows += 1
            if unreadable:
                problem(Problem(line, "", unreadable))
                continue
            if len(values) != len(names):
                problem(Problem(line, "", f"{len(values)} values for {len(names)} columns"))
                continue
            record = {n: v for n, v in zip(names, values, strict=True) if n and n not in IGNORED}
            key = (
                record.get("commune", "").strip(),
                record.get("household_id", "").strip()
                or "-".join(record.get(k, "").strip() for k in ("area_no", "household_no")),
            )
            if key != group_key or len(group) >= MAX_GROUP_ROWS:
                _close_group(group, group_line, pending, problem, report)
                if len(pending) >= chunk_events:
                    await flush()
                group, group_key, group_line = [], key, line
            parsed, problems = parse_row(line, record, registered_on)
            for p in problems:
                problem(p)
            if parsed is not None:
                group.append(parsed)
        _close_group(group, group_line, pending, problem, report)
        await flush()
    return report


def _close_group(
    group: list[PersonRow],
    line: int,
    pending: list[tuple[dict, int]],
    problem: Callable[[Problem], None],
    report: A0Report,
) -> None:
    if not group:
        return
    events, problems = household_events(group, line)
    for p in problems:
        problem(p)
    pending.extend(events)
    report.households += 1
