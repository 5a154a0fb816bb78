"""`popreg export`: the log and its event-history data sets for an area and a date range.

Three stages, each in bounded memory: (1) records -> per-person facts and a pseudonymised log
(Parquet, in chunks); (2) DuckDB cleans and sorts the facts by person; each person is folded and
cut to the area, rows written in chunks; (3) polars builds the exposure cube and OD flows.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from analyses import __version__
from analyses.cube import build_cube, hfd_text, od_flows
from analyses.datasets import ROW_SETS, schema
from analyses.derived import ALPHABET, counting_process, sequences
from analyses.facts import EPOCH, ChunkedTable, FactWriter
from analyses.fold import fold_person
from analyses.manifest import write_manifest
from analyses.places import PlaceResolver, area_level
from analyses.prepare import AREA_MATCH, Prepared, query
from analyses.pseudo import Pseudonymiser
from analyses.rows import Scope, person_rows
from analyses.source import LineError, LogRecord, ReadStats, unique_records

DATASETS = (*ROW_SETS, "exposure_cube", "od_flows", "log")
LOG_FILTER = """
COPY (
  WITH l AS (SELECT * FROM read_parquet($log) WHERE occurred_on <= $to_day),
  linked AS (
    SELECT DISTINCT event_key FROM (SELECT event_key, unnest(person_keys) AS k FROM l) u
    JOIN read_parquet($persons) p ON p.person_key = u.k)
  SELECT * FROM l WHERE {area} OR type IN ('event.voided', 'persons.merged')
     OR event_key IN (SELECT event_key FROM linked)
  ORDER BY occurred_on, partition, "offset"
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""


@dataclass(frozen=True)
class ExportRequest:
    area: str = "VN"
    date_from: date | None = None
    date_to: date | None = None
    known_on: date | None = None
    csv: bool = False


def _day(d: date | None) -> int | None:
    return None if d is None else d.toordinal() - EPOCH


def _iso(day: int | None) -> str | None:
    return None if day is None else date.fromordinal(day + EPOCH).isoformat()


class NothingToExport(ValueError):
    """The log (or the file given) holds no event at all."""


def export(
    records: Iterable[LogRecord],
    source: dict[str, Any],
    out_dir: Path,
    req: ExportRequest,
    pseudo: Pseudonymiser,
    gazetteer: Any | None = None,
) -> dict[str, Any]:
    """Write every data set of docs/analyses.md under out_dir and return the manifest."""
    level = area_level(req.area)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        stats = ReadStats()
        facts = FactWriter(work, pseudo)
        for rec, raw in unique_records(records, stats):
            try:
                facts.add(raw, rec.partition, rec.offset)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                stats.errors.append(LineError(rec.partition, rec.offset, "event", f"unreadable field: {exc!r}"))
                continue
        facts.close()
        min_day = _min_day(work)
        to_day = _day(req.date_to) if req.date_to else facts.max_day
        from_day = _day(req.date_from) if req.date_from else min_day
        if to_day is None or from_day is None:
            raise NothingToExport("the log holds no events: nothing to export (submit some, or check --input)")
        counts = _people(work, out_dir, level, req, from_day, to_day, gazetteer)
        scope_note = {"from": _iso(from_day), "to": _iso(to_day)}
        cube = build_cube(out_dir / "segments.parquet", out_dir / "events.parquet")
        cube.write_parquet(out_dir / "exposure_cube.parquet", compression="zstd")
        od_flows(out_dir / "moves.parquet").write_parquet(out_dir / "od_flows.parquet")
        title = f"popreg register, area {req.area}, {scope_note['from']} to {scope_note['to']}"
        (out_dir / "exposure_cube_hfd.txt").write_text(hfd_text(cube, title), encoding="utf-8")
        query(
            LOG_FILTER.format(area=AREA_MATCH[level], out=out_dir / "log.parquet"),
            {
                "log": str(work / "log.parquet"),
                "to_day": date.fromordinal(to_day + EPOCH),
                "persons": str(out_dir / "persons.parquet"),
                **({"code": req.area} if level != "country" else {}),
            },
        )
        files = [f"{n}.parquet" for n in DATASETS] + ["exposure_cube_hfd.txt", "residence_sequences_wide.csv"]
        _wide_sequences(out_dir)
        if req.csv:
            files += [_to_csv(out_dir, n) for n in DATASETS]
        body = {
            "kind": "export",
            "popreg_analyses_version": __version__,
            "source": source,
            "area": req.area,
            "level": level,
            **scope_note,
            "known_on": req.known_on.isoformat() if req.known_on else None,
            "gazetteer": {"version": counts.pop("gazetteer_version")},
            "pseudonymisation": pseudo.describe(),
            "read": {
                "records": stats.records,
                "duplicates_dropped": stats.duplicates,
                "unreadable": len(stats.errors),
                "errors": [str(e) for e in stats.errors[:50]],
                "offsets_seen": {str(p): {"first": a, "last": b} for p, (a, b) in sorted(stats.offsets.items())},
            },
            "rows": {**counts, **{n: pq.ParquetFile(out_dir / f"{n}.parquet").metadata.num_rows for n in DATASETS}},
            "sequence_alphabet": ALPHABET,
        }
        return write_manifest(out_dir, body, files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _min_day(work: Path) -> int | None:
    ((d,),) = query("SELECT min(occurred) FROM read_parquet($p)", {"p": str(work / "facts.parquet")})
    return _day(d)


def _people(
    work: Path, out_dir: Path, level: str, req: ExportRequest, from_day: int, to_day: int, gazetteer: Any | None
) -> dict[str, Any]:
    prepared = Prepared(work, level, req.area, to_day, _day(req.known_on))
    try:
        places = PlaceResolver(gazetteer, prepared.observed_paths())
        scope = Scope(level, req.area, from_day, to_day + 1)
        tables = {n: ChunkedTable(out_dir / f"{n}.parquet", schema(n)) for n in ROW_SETS}
        folded = skipped = 0
        for key, rows in prepared.persons():
            h = fold_person(key, rows, places, to_day)
            if h is None:
                skipped += 1
                continue
            folded += 1
            out = person_rows(h, scope)
            if out is None:
                continue
            for name, items in out.items():
                for item in items:
                    tables[name].add_row(item)
            for item in counting_process(h, out["segments"], out["events"]):
                tables["counting_process"].add_row(item)
            for item in sequences(h, scope):
                tables["residence_sequences"].add_row(item)
        for t in tables.values():
            t.close()
        return {
            **prepared.counts(),
            "persons_folded": folded,
            "persons_without_sex_or_birth_date": skipped,
            "gazetteer_version": places.version,
        }
    finally:
        prepared.close()


WIDE = """COPY (
  PIVOT (SELECT person_key, sex, birth_year, 'y' || year AS y, state FROM read_parquet($seq))
  ON y IN ({years}) USING first(state) GROUP BY person_key, sex, birth_year ORDER BY person_key
) TO '{out}' (HEADER)"""


def _wide_sequences(out_dir: Path) -> None:
    """The sequences as one row per person, one column per year (TraMineR / sequenzo layout);
    DuckDB pivots out of core."""
    target = out_dir / "residence_sequences_wide.csv"
    if pq.ParquetFile(out_dir / "residence_sequences.parquet").metadata.num_rows == 0:
        target.write_text("person_key,sex,birth_year\n", encoding="utf-8")
        return
    seq = {"seq": str(out_dir / "residence_sequences.parquet")}
    ((first, last),) = query("SELECT min(year), max(year) FROM read_parquet($seq)", seq)
    years = ", ".join(f"'y{int(y)}'" for y in range(first, last + 1))  # integers: no data in the SQL text
    query(WIDE.format(years=years, out=target), seq)


def _to_csv(out_dir: Path, name: str) -> str:
    pf = pq.ParquetFile(out_dir / f"{name}.parquet")
    target = out_dir / f"{name}.csv"
    writer = None
    for batch in pf.iter_batches(batch_size=200_000):
        cols = [pc.binary_join(c, ";") if pa.types.is_list(c.type) else c for c in batch.columns]
        batch = pa.record_batch(cols, names=batch.schema.names)  # CSV has no lists: joined by ';'
        if writer is None:
            writer = pcsv.CSVWriter(target, batch.schema)
        writer.write_batch(batch)
    if writer is None:
        pcsv.write_csv(pf.read(), target)
    else:
        writer.close()
    return target.name
