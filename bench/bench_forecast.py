"""Forecast speed (issue 17): every commune, district and the province of a large synthetic
province, 25 years, 1,000 trajectories; and one area's stored answer.

Builds a province of --people persons (default 2 M, Sơn La's 200-odd communes, 2018-2024) in a
database of its own, with the projection's own fold and COPY (bench/bench_query.py's builder; no
Kafka needed), then times, in the same run:
- the counts read from PostgreSQL (exposure by single age cut at birthdays, births, deaths, moves);
- the expected projection of every area (one trajectory: the baseline) and the 1,000 trajectories
  with their summaries (the figure), and the documents stored;
- one area's stored forecast read back (what GET /v1/forecasts does after the first request), p50/p99,
  beside a bare `SELECT 1` round trip on the same pool.
The database is dropped unless --database names one to keep (built on the first run, reused after).

    python bench/bench_forecast.py [--people 2000000] [--sims 1000] [--horizon 25] [--database NAME]

Targets: the whole province under 60 s on this 2-core machine; a stored answer under 100 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import statistics
import time
import uuid
from datetime import date

from bench.bench_query import load
from infra import db, migrate
from infra.gazetteer_store import load_builtin
from infra.settings import Settings
from projections import versions
from projections.forecast.inputs import load_counts, load_scope
from projections.forecast.run import run_forecast
from projections.forecast.service import get_forecast
from projections.read.areas import refresh_area_map

BASE = date(2024, 12, 31)


def ms(samples: list[float]) -> str:
    s = sorted(samples)
    return f"p50 {1000 * statistics.median(s):7.1f} ms   p99 {1000 * s[min(len(s) - 1, int(0.99 * len(s)))]:7.1f} ms"


def main(people: int, sims: int, horizon: int, keep: str | None) -> None:
    base = Settings()
    name = keep or f"popreg_benchf{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"pg_database": name})
    fresh = db.create_database(base.dsn, name)
    try:
        migrate.apply_migrations(settings.dsn)
        with db.open_pool(settings, max_size=2) as pool:
            t0 = time.perf_counter()
            if fresh:
                load_builtin(pool)
                load(settings, pool, people)
                print(f"province built in {time.perf_counter() - t0:.0f} s", flush=True)
            with pool.connection() as conn:
                conn.autocommit = True
                live = versions.ensure_live(conn)
                with conn.transaction():
                    versions.use_schema(conn, live.schema)
                    refresh_area_map(conn, live.rules)
                    t = time.perf_counter()
                    scope = load_scope(conn, "14", BASE)
                    counts, _ = load_counts(conn, scope, BASE, 3, None)
                    t_inputs = time.perf_counter() - t
                persons = counts.pop.sum()
                print(f"{persons:,.0f} persons on {BASE}, {len(scope.units)} communes; counts read in {t_inputs:.1f} s")
                t = time.perf_counter()
                run_forecast(counts, scope.provinces, BASE, horizon, "constant", 0)
                t_expected = time.perf_counter() - t
                t = time.perf_counter()
                fc = run_forecast(counts, scope.provinces, BASE, horizon, "constant", sims)
                t_sims = time.perf_counter() - t
                print(
                    f"baseline: the expected projection of {len(fc.areas)} areas × {horizon} years: {t_expected:6.1f} s"
                )
                print(f"figure:   {sims:,} trajectories of the same, with their summaries:   {t_sims:6.1f} s "
                      f"({t_sims / max(t_expected, 1e-9):.0f}× the baseline)")  # fmt: skip
                t = time.perf_counter()
                get_forecast(conn, "14", BASE, horizon, sims=sims, refresh=True)
                t_all = time.perf_counter() - t
                print(
                    f"end to end (counts, trajectories, {len(fc.areas)} documents stored): {t_all:6.1f} s (target 60 s)"
                )
                commune = scope.units[0]
                reads: dict[str, list[float]] = {"SELECT 1": [], "province 14": [], f"commune {commune}": []}
                for _ in range(30):
                    for label, area in (("province 14", "14"), (f"commune {commune}", commune)):
                        t = time.perf_counter()
                        doc = get_forecast(conn, area, BASE, horizon, sims=sims)
                        reads[label].append(time.perf_counter() - t)
                        assert doc["stored"]
                    t = time.perf_counter()
                    conn.execute("SELECT 1").fetchone()
                    reads["SELECT 1"].append(time.perf_counter() - t)
                for label, samples in reads.items():
                    print(f"stored read, {label:<20} {ms(samples)}" + ("   (baseline)" if label == "SELECT 1" else ""))
    finally:
        if not keep:
            db.drop_database(base.dsn, name)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--people", type=int, default=2_000_000)
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--horizon", type=int, default=25)
    ap.add_argument("--database", default=None, help="keep the province in this database (reused when it exists)")
    args = ap.parse_args()
    main(args.people, args.sims, args.horizon, args.database)
