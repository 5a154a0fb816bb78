"""Indicator query latency (p50/p99) on a large synthetic province, current and as known on a date.

Builds a province of --people persons (default 2 M, in Sơn La's 200-odd communes, 2018-2024)
in a database of its own: the events are generated and folded household-chunk by chunk with the
projection's own fold, and the rows COPYed into a projection version (no Kafka needed to time
reads). Then times compute_indicators, all catalogue figures, for the province, a district and a
commune, over a year, a quarter and a month, now and as known on a date. Figures known now are
timed three ways: counted from every episode (snapshots off), with the snapshots emptied first
(the first reader of a period: counted in one scan, the day handed to the background thread),
and from the snapshots once that thread's round (run here in between, timed) stored them
(docs/stock-snapshots.md). The database is dropped unless --database names one to keep.

    python bench/bench_query.py [--people 2000000] [--repeat 15] [--database NAME]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root on the path for bench.* and tests.support.* fixtures.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import statistics
import time
import uuid
from datetime import date

import orjson

from bench.synthetic_province import households
from infra import db, migrate
from infra.gazetteer_store import builtin_gazetteer, load_builtin
from infra.settings import Settings
from projections import versions
from projections.fold.records import Record, read_event
from projections.fold.units import project
from projections.read import stock_warm
from projections.read.indicators import compute_indicators
from projections.rules import Rules
from projections.sink.store import copy_rows
from tests.support.synthetic import EventFactory

CHUNK = 4000  # households folded and loaded at a time
PERSONS = "SELECT count(*) FROM persons WHERE status = 'alive'"


def load(settings: Settings, pool: db.ConnectionPool, people: int) -> tuple[str, int]:
    g = builtin_gazetteer()
    f = EventFactory(g, validate=False)
    communes = [u.code for u in g.communes(province="14", on=date(2018, 1, 1))]
    n_households = int(people / 3.6)
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    events = 0
    t0 = time.perf_counter()
    for first in range(0, n_households, CHUNK):
        records = households(f, communes, first, min(CHUNK, n_households - first), start=date(2018, 1, 1), years=7)
        evs = [read_event(Record("t", 0, i, orjson.dumps(r)))[0] for i, r in enumerate(records)]
        events += len(evs)
        rows = project(evs, Rules())
        with pool.connection() as conn, conn.transaction():
            versions.use_schema(conn, live.schema)
            for table, table_rows in rows.items():
                copy_rows(conn, table, table_rows)
        if first // CHUNK % 25 == 0:
            print(
                f"  {first + CHUNK:>9,} households, {events:>10,} events folded, {time.perf_counter() - t0:6.0f} s",
                flush=True,
            )
    with pool.connection() as conn:
        conn.execute("ANALYZE")
    return live.schema, events


def timed(
    pool: db.ConnectionPool,
    repeat: int,
    area: str,
    period: str,
    known_on: str | None,
    *,
    snapshots: bool = True,
    schema: str | None = None,
) -> list[float]:
    """Wall times of `repeat` runs; with `schema`, the snapshots are emptied before each."""
    out = []
    for _ in range(repeat):
        with pool.connection() as conn:
            if schema:
                with conn.transaction():
                    conn.execute(f"TRUNCATE {schema}.stock_cache, {schema}.exposure_cache")  # noqa: S608 (our schema)
            t0 = time.perf_counter()
            compute_indicators(conn, area, period, known_on, snapshots=snapshots)
            out.append(time.perf_counter() - t0)
    return out


def p50_p99(samples: list[float]) -> str:
    samples = sorted(samples)
    p99 = samples[min(len(samples) - 1, int(round(0.99 * (len(samples) - 1))))]
    return f"{1000 * statistics.median(samples):8.1f} {1000 * p99:8.1f}"


def main(people: int, repeat: int, keep: str | None) -> None:
    base = Settings()
    name = keep or f"popreg_benchq{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"pg_database": name})
    fresh = db.create_database(base.dsn, name)  # False: a kept province, already built
    try:
        migrate.apply_migrations(settings.dsn)
        with db.open_pool(settings, max_size=2) as pool:
            t0 = time.perf_counter()
            if fresh:
                load_builtin(pool)
                load(settings, pool, people)
            with pool.connection() as conn:
                schema = versions.ensure_live(conn).schema
                versions.use_schema(conn, schema)
                alive = conn.execute(PERSONS).fetchone()[0]
            print(f"province: {alive:,} persons alive ({time.perf_counter() - t0:.0f} s to build or open)")
            district = builtin_gazetteer().communes(province="14", on=date(2024, 1, 1))[0]
            cases = [
                ("province 14, year 2024", "14", "2024", None),
                ("province 14, 2024-Q2", "14", "2024-Q2", None),
                ("province 14, 2024-Q2 as known on 2024-05-15", "14", "2024-Q2", "2024-05-15"),
                ("province 14, 2022 as known on 2023-01-31", "14", "2022", "2023-01-31"),
                (f"district {district.district}, 2024-03", district.district, "2024-03", None),
                (f"commune {district.code}, 2024-03", district.code, "2024-03", None),
                ("country VN, year 2024", "VN", "2024", None),
            ]
            timed(pool, 1, "14", "2024", None, snapshots=False)  # warm PostgreSQL's caches once
            cold = max(1, repeat // 5)
            print(f"{'query (every catalogue figure)':<48} {'way':<28} {'p50 ms':>8} {'p99 ms':>8} {'runs':>5}")
            for label, area, period, known_on in cases:
                ways = [("counted from every episode", repeat, {"snapshots": False})]
                if known_on is None:
                    ways += [("nothing stored yet", cold, {"schema": schema}), ("from stored snapshots", repeat, {})]
                for way, runs, kw in ways:
                    if way == "from stored snapshots":  # what the API's background thread does
                        stored = stock_warm.warm(pool, sorted(stock_warm.take_wanted(), reverse=True))
                        print(f"{'':<48} {'(stored in the background':<28} {1000 * stored.seconds:8.0f} ms)")
                    samples = timed(pool, runs, area, period, known_on, **kw)
                    print(f"{label:<48} {way:<28} {p50_p99(samples)} {runs:5d}")
    finally:
        if not keep:
            db.drop_database(base.dsn, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", help="keep the province in this database (reused when it exists)")
    args = parser.parse_args()
    main(args.people, args.repeat, args.database)
