"""Benchmark: `popreg export` + both analyses on a generated province history, beside DuckDB
computing the same exposure cube from the same Parquet files (the ratio).

    python bench/bench_analyses.py [--households 300000] [--years 10] [--register] [--work DIR]

The history comes from the generator; the log from the register's own engine (--register, slow:
a few thousand submissions a second) or, by default, from analyses.pseudolog (the submissions
wrapped as log records). Preparing the log is timed apart; it is not part of the measure.
Prints seconds, rows and rows/s per stage and the peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyses.cube import build_cube  # noqa: E402
from analyses.export import ExportRequest, export  # noqa: E402
from analyses.pseudo import Pseudonymiser  # noqa: E402
from analyses.pseudolog import pseudo_log  # noqa: E402
from analyses.run import run_fertility, run_migration  # noqa: E402
from analyses.source import file_records  # noqa: E402
from infra.gazetteer_store import builtin_gazetteer  # noqa: E402
from producers.generator import GeneratorConfig, generate  # noqa: E402

# The same cube in plain SQL: each segment cut at 1 January and at the birthday of each year.
DUCKDB_CUBE = """
WITH y AS (
  SELECT s.*, unnest(range(year(s.start), year(s."end" - 1) + 1)) AS yr FROM read_parquet('{seg}') s),
p AS (
  SELECT *, greatest(start, make_date(yr, 1, 1)) AS ys, least("end", make_date(yr + 1, 1, 1)) AS ye,
    CASE WHEN month(birth_date) = 2 AND day(birth_date) = 29
              AND NOT ((yr % 4 = 0 AND yr % 100 <> 0) OR yr % 400 = 0) THEN make_date(yr, 3, 1)
         ELSE make_date(yr, month(birth_date), day(birth_date)) END AS bd
  FROM y),
pieces AS (
  SELECT yr, commune, district, province, yr - year(birth_date) - 1 AS age, sex, parity, marital,
         greatest(date_diff('day', ys, least(ye, bd)), 0) AS days FROM p
  UNION ALL
  SELECT yr, commune, district, province, yr - year(birth_date) AS age, sex, parity, marital,
         greatest(date_diff('day', greatest(ys, bd), ye), 0) AS days FROM p),
expo AS (
  SELECT yr AS year, commune, district, province, age, sex, parity, marital, sum(days) / 365.25 AS person_years
  FROM pieces WHERE days > 0 GROUP BY ALL),
ev AS (
  SELECT year("date") AS year, commune, district, province,
         year("date") - year(birth_date) - CASE WHEN month("date") * 100 + day("date")
           < month(birth_date) * 100 + day(birth_date) THEN 1 ELSE 0 END AS age,
         sex, parity, marital, count(*) FILTER (WHERE kind = 'birth') AS births,
         count(*) FILTER (WHERE kind = 'death') AS deaths
  FROM read_parquet('{ev}') GROUP BY ALL)
SELECT coalesce(e.year, v.year) AS year, coalesce(e.age, v.age) AS age, coalesce(e.sex, v.sex) AS sex,
       coalesce(e.person_years, 0) AS person_years, coalesce(v.births, 0) AS births, coalesce(v.deaths, 0) AS deaths
FROM expo e FULL JOIN ev v ON e.year = v.year AND e.commune = v.commune AND e.district IS NOT DISTINCT FROM v.district
  AND e.province = v.province AND e.age = v.age AND e.sex = v.sex AND e.parity IS NOT DISTINCT FROM v.parity
  AND e.marital IS NOT DISTINCT FROM v.marital
"""


def timed(label: str, rows: int | None, fn, results: list) -> object:
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    s, cpu = time.perf_counter() - t, time.process_time() - c
    results.append((label, s, rows(value) if callable(rows) else rows, cpu))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label}: {s:.1f} s wall, {cpu:.1f} s CPU (peak RSS so far {peak:.0f} MB)", flush=True)
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=300_000)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--register", action="store_true", help="build the log with the register engine")
    ap.add_argument("--work", type=Path, default=Path("/tmp/popreg-bench-analyses"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    gaz = builtin_gazetteer()
    start = date(date.today().year - args.years - 1, 1, 1)
    cfg = GeneratorConfig(start=start, seed=args.seed, households=args.households, years=args.years)
    tag = f"{args.households}h{args.years}y{args.seed}{'r' if args.register else 'p'}"
    subs, log = args.work / f"subs-{tag[:-1]}.jsonl", args.work / f"log-{tag}.jsonl"
    prep: list = []
    if not subs.exists():
        with open(subs, "wb") as fh:
            timed("generate submissions", None, lambda: generate(cfg, fh, gaz), prep)
    if not log.exists():

        def build() -> int:
            n = 0
            with open(subs, "rb") as src, open(log, "wb") as out:
                if args.register:
                    from processors.register import DictStore, Register

                    engine = Register(DictStore(), gaz)
                    for offset, line in enumerate(src):
                        for kind, _key, value in engine.process(line.rstrip(b"\n"), offset, 1_700_000_000_000 + offset):
                            if kind == "events":
                                out.write(value + b"\n")
                                n += 1
                else:
                    for value in pseudo_log(src, gaz):
                        out.write(value + b"\n")
                        n += 1
            return n

        timed("build the log", None, build, prep)
    with open(log, "rb") as fh:
        records = sum(1 for _ in fh)
    print(f"log: {records:,} records ({log.stat().st_size / 1e6:.0f} MB), province {cfg.province}, {args.years} years")

    out = args.work / f"out-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    res: list = []
    last = date(cfg.end.year - 1, 12, 31)
    req = ExportRequest(cfg.province, start, last)
    key = Pseudonymiser(b"b" * 32, "project")
    m = timed(
        "export (log -> data sets)",
        records,
        lambda: export(file_records(log), {"kind": "bench"}, out / "export", req, key, gaz),
        res,
    )
    data_rows = sum(
        v
        for k, v in m["rows"].items()
        if k in ("persons", "spells", "segments", "events", "moves", "counting_process", "residence_sequences")
    )
    timed("fertility analyses", data_rows, lambda: run_fertility(out / "export", cfg.province, out / "fert"), res)
    timed("migration analyses", data_rows, lambda: run_migration(out / "export", cfg.province, out / "mig"), res)
    seg, ev = out / "export" / "segments.parquet", out / "export" / "events.parquet"
    seg_rows = m["rows"]["segments"]
    mine = timed("cube: polars (product)", seg_rows, lambda: build_cube(seg, ev), res)
    with duckdb.connect() as con:
        con.execute("SET threads = 2")
        ref = timed(
            "cube: DuckDB SQL (reference)", seg_rows, lambda: con.sql(DUCKDB_CUBE.format(seg=seg, ev=ev)).pl(), res
        )
    py_mine, py_ref = float(mine["person_years"].sum()), float(ref["person_years"].sum())
    b_mine, b_ref = int(mine["births"].sum()), int(ref["births"].sum())
    assert abs(py_mine - py_ref) < 1e-6 * py_ref and b_mine == b_ref, (py_mine, py_ref, b_mine, b_ref)

    print("\n(wall clock on a shared machine: CPU seconds are the steadier measure)")
    print(f"{'stage':34}{'wall s':>9}{'CPU s':>9}{'rows':>13}{'rows/s':>12}")
    for label, s, rows, cpu in prep + res:
        rate = f"{rows / s:>12,.0f}" if rows else f"{'':>12}"
        print(f"{label:34}{s:>9.1f}{cpu:>9.1f}{(rows or 0):>13,}{rate}")
    total, total_cpu = sum(r[1] for r in res[:3]), sum(r[3] for r in res[:3])
    duck, duck_cpu = res[-1][1], res[-1][3]
    print(
        f"\nexport + both analyses: {total:.1f} s wall ({total_cpu:.1f} s CPU) for {records:,} log records "
        f"({records / total:,.0f} records/s)"
    )
    print(
        f"cube, polars / DuckDB: {res[-2][1]:.2f} s / {duck:.2f} s = {res[-2][1] / duck:.2f} wall, "
        f"{res[-2][3] / duck_cpu:.2f} CPU; whole run / DuckDB cube = {total / duck:.1f} wall"
    )
    print(f"cube check: {py_mine:,.1f} person-years and {b_mine:,} births in both")
    print("exported rows: " + ", ".join(f"{k} {v:,}" for k, v in m["rows"].items() if isinstance(v, int)))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(pl.read_parquet(out / "fert" / "tables" / "tfr_whole_range.parquet"))


if __name__ == "__main__":
    main()
