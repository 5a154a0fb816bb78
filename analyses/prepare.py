"""Stage 2 in DuckDB: apply voids, merges and `known_on`, add spouses' deaths, sort by person.

DuckDB sorts out of core, so a province's facts stream back person by person in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from analyses.facts import EPOCH
from analyses.fold import FOLD_COLUMNS, ROLE_PRIORITY
from analyses.places import Path3

PRIORITY = "CASE role " + " ".join(f"WHEN '{r}' THEN {n}" for r, n in ROLE_PRIORITY.items()) + " ELSE 9 END"
MEMORY_LIMIT = "1GB"
AREA_MATCH = {
    "country": "TRUE",
    "province": "province = $code",
    "district": "district = $code",
    "commune": "commune = $code",
}
CLEAN = """
CREATE TEMP TABLE voided AS
  SELECT DISTINCT target FROM read_parquet($control)
  WHERE kind = 'void' AND target IS NOT NULL AND ($known_on IS NULL OR recorded <= $known_on);
CREATE TEMP TABLE f AS
  SELECT x.* REPLACE (coalesce(m1.survivor, x.person) AS person, coalesce(m2.survivor, x.other) AS other)
  FROM read_parquet($facts) x
  LEFT JOIN merge_map m1 ON m1.merged = x.person
  LEFT JOIN merge_map m2 ON m2.merged = x.other
  WHERE ($known_on IS NULL OR x.recorded <= $known_on)
    AND x.occurred <= $to_day
    AND x.event_id NOT IN (SELECT target FROM voided);
"""
# Spouses known from marriages in the log or from a household's head and spouse at baseline.
PARTNER_DEATHS = """
INSERT INTO f (event_id, seq, role, person, other, occurred, recorded, part, off,
               commune, district, province)
WITH pairs AS (
  SELECT DISTINCT person, other FROM f WHERE role = 'marriage'
  UNION
  SELECT a.person, b.person FROM f a JOIN f b
    ON a.household = b.household AND a.person <> b.person
   AND a.role = 'registered' AND b.role = 'registered'
   AND a.marital = 'married' AND b.marital = 'married'
   AND ((a.relation = 'head' AND b.relation = 'spouse') OR (a.relation = 'spouse' AND b.relation = 'head'))
)
SELECT d.event_id, 9, 'partner_death', p.person, p.other, d.occurred, d.recorded, d.part, d.off,
       d.commune, d.district, d.province
FROM pairs p JOIN f d ON d.role = 'death' AND d.person = p.other;
"""
OBSERVED = """
SELECT commune, arg_max(district, occurred) AS district, arg_max(province, occurred) AS province
FROM f WHERE commune IS NOT NULL GROUP BY commune
"""


def query(sql: str, params: dict | None = None) -> list[tuple]:
    """Run one statement on a private in-memory DuckDB (a shared default connection would
    refuse work while another result is still open)."""
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")  # spill to disk beyond it
        return con.execute(sql, params or {}).fetchall()


def merge_map(control: Path, known_on: int | None) -> dict[str, str]:
    """merged key -> surviving key, following chains (a merged into b, b into c)."""
    rows = query(
        "SELECT target, survivor FROM read_parquet($p) WHERE kind = 'merge' "
        "AND ($k IS NULL OR recorded <= $k) ORDER BY recorded",
        {"p": str(control), "k": _date(known_on)},
    )
    return merge_links(rows)


def merge_links(rows: list[tuple[str, str]]) -> dict[str, str]:
    """(merged, survivor) pairs in the order known -> each merged key's final survivor."""
    direct = {merged: survivor for merged, survivor in rows if merged and survivor}
    out = {}
    for merged in direct:
        seen, cur = {merged}, direct[merged]
        while cur in direct and cur not in seen:
            seen.add(cur)
            cur = direct[cur]
        out[merged] = cur
    return out


class Prepared:
    """The cleaned facts of one export in a DuckDB database under the work directory."""

    def __init__(
        self, workdir: Path, level: str, code: str, to_day: int, known_on: int | None, memory_limit: str = "1GB"
    ):
        self.con = duckdb.connect(str(workdir / "stage2.duckdb"))
        self.con.execute(f"SET memory_limit = '{memory_limit}'")  # a setting, not data
        self.con.execute(f"SET temp_directory = '{workdir / 'duckdb_tmp'}'")
        self.con.execute("SET preserve_insertion_order = false")
        mapping = merge_map(workdir / "control.parquet", known_on)
        self.con.execute("CREATE TEMP TABLE merge_map (merged VARCHAR, survivor VARCHAR)")
        if mapping:
            self.con.executemany("INSERT INTO merge_map VALUES (?, ?)", list(mapping.items()))
        params = {
            "facts": str(workdir / "facts.parquet"),
            "control": str(workdir / "control.parquet"),
            "known_on": _date(known_on),
            "to_day": _date(to_day),
        }
        for stmt in CLEAN.split(";"):
            if stmt.strip():
                self.con.execute(stmt, {k: v for k, v in params.items() if "$" + k in stmt})
        self.con.execute(PARTNER_DEATHS)
        self.level, self.code = level, code
        self.merges = len(mapping)

    def observed_paths(self) -> dict[str, Path3]:
        return {c: (c, d, p) for c, d, p in self.con.execute(OBSERVED).fetchall()}

    def counts(self) -> dict[str, int]:
        (facts,) = self.con.execute("SELECT count(*) FROM f").fetchone()
        (voided,) = self.con.execute("SELECT count(*) FROM voided").fetchone()
        return {"facts": facts, "voided_events": voided, "merged_persons": self.merges}

    def persons(self, batch_rows: int = 100_000) -> Iterator[tuple[str, list[tuple]]]:
        """(person key, facts in order) for every person with a fact in the area."""
        where = AREA_MATCH[self.level]
        sql = (
            f"SELECT person, {', '.join(FOLD_COLUMNS)} FROM f "  # noqa: S608 (constant column list)
            f"WHERE person IN (SELECT DISTINCT person FROM f WHERE {where}) AND person IS NOT NULL "
            f"ORDER BY person, occurred, {PRIORITY}, sub_offset NULLS LAST, part, off, seq"
        )
        params = {"code": self.code} if "$code" in where else {}
        reader = self.con.sql(sql, params=params).to_arrow_reader(batch_rows)
        key, rows = None, []
        for batch in reader:
            cols = [_pylist(batch.column(i)) for i in range(batch.num_columns)]
            for values in zip(*cols, strict=True):
                if values[0] != key:
                    if key is not None:
                        yield key, rows
                    key, rows = values[0], []
                rows.append(values[1:])
        if key is not None:
            yield key, rows

    def close(self) -> None:
        self.con.close()


def _date(day: int | None) -> date | None:
    return None if day is None else date.fromordinal(day + EPOCH)


def _pylist(col: pa.Array) -> list:
    if pa.types.is_date32(col.type):
        col = col.cast(pa.int32())  # days as plain ints: the fold does arithmetic on them
    return col.to_pylist()
