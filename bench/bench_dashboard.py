"""Dashboard speed in headless Chromium: headline figures drawn after load, and redrawn after an
area or period change, beside the bare API calls behind them (the ratio is the page's overhead).

Builds a province of --people persons (default 2 M, Sơn La's communes, 2018-2024) in a database
of its own, with the projection's own fold and COPY (as bench/bench_query.py does; no Kafka
needed to time reads), serves the read API and the dashboard with a real uvicorn, and drives the
page with Playwright in Debian's Chromium (infra/install_browser.sh). The database is dropped.

    python bench/bench_dashboard.py [--people 2000000] [--repeat 7] [--database NAME]

--database NAME keeps the database (built on the first run, reused after), so a second run
times the page without rebuilding the province.

Targets (issue 11): headline drawn within 1 s of load, a change redrawn within 300 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import orjson
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic_province import households  # noqa: E402
from infra import db, migrate  # noqa: E402
from infra.gazetteer_store import builtin_gazetteer, load_builtin  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.tokens import create_token  # noqa: E402
from projections import versions  # noqa: E402
from projections.fold.records import Record, read_event  # noqa: E402
from projections.fold.units import project  # noqa: E402
from projections.http.api import build_read_app  # noqa: E402
from projections.http.dashboard import attach  # noqa: E402
from projections.read import stock_warm  # noqa: E402
from projections.rules import Rules  # noqa: E402
from projections.sink.store import copy_rows  # noqa: E402
from tests.support.dashboard import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from tests.support.synthetic import EventFactory  # noqa: E402

CHUNK = 4000
HEADLINE_DRAWN = "#headline[data-state='ready'][data-key^='{key}']"
# When the page drew the headline of a render: its performance mark, in page milliseconds.
MARK = "(gen) => performance.getEntriesByName('headline-' + gen)[0].startTime"
PANELS = ("sheet", "map", "trend", "pyramid", "migration", "quality", "births", "contra")


def settle(page) -> None:
    """Every panel drawn: nothing of the last render still runs on the server."""
    for panel in PANELS:
        page.wait_for_selector(f"#{panel}[data-state='ready']", timeout=300_000)


def load(pool: db.ConnectionPool, people: int) -> int:
    g = builtin_gazetteer()
    f = EventFactory(g, validate=False)
    communes = [u.code for u in g.communes(province="14", on=date(2018, 1, 1))]
    n_households = int(people / 3.6)
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    events, t0 = 0, time.perf_counter()
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
                f"  {first + CHUNK:>9,} households, {events:>10,} events, {time.perf_counter() - t0:6.0f} s", flush=True
            )
    with pool.connection() as conn:
        conn.execute("ANALYZE")
    return events


def api_ms(url: str, token: str, paths: list[str], repeat: int) -> float:
    """Median wall time of the API calls the page needs before it can draw, made one after another."""
    samples = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for _ in range(repeat):
            t0 = time.perf_counter()
            for path in paths:
                client.get(path).raise_for_status()
            samples.append(1000 * (time.perf_counter() - t0))
    return statistics.median(samples)


def browse(url: str, token: str, repeat: int, headline: str, district: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"load": [], "area": [], "period": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(repeat):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(f"sessionStorage.setItem('popreg.token', {orjson.dumps(token).decode()})")
            page = context.new_page()
            page.goto(f"{url}/#area=14&period=2024-Q2")
            page.wait_for_selector(HEADLINE_DRAWN.format(key="14|2024-Q2|"), timeout=120_000)
            # from the start of navigation (time origin 0) to the headline's mark
            out["load"].append(page.evaluate(MARK, int(page.get_attribute("#headline", "data-gen"))))
            settle(page)
            for kind, fragment, key in (
                ("area", f"#area={district}&period=2024-Q2", f"{district}|2024-Q2|"),
                ("period", f"#area={district}&period=2024-{i % 9 + 1:02d}", f"{district}|2024-{i % 9 + 1:02d}|"),
            ):
                start = page.evaluate(
                    f"() => {{ const t = performance.now(); location.hash = {fragment!r}; return t; }}"
                )
                page.wait_for_selector(HEADLINE_DRAWN.format(key=key), timeout=120_000)
                out[kind].append(page.evaluate(MARK, int(page.get_attribute("#headline", "data-gen"))) - start)
                settle(page)
            context.close()
        browser.close()
    return out


def read_app() -> FastAPI:
    """The read API and the dashboard (uvicorn --factory; settings from POPREG_*)."""
    app = build_read_app(Settings())
    attach(app)
    return app


@contextlib.contextmanager
def served(database: str) -> Iterator[str]:
    """uvicorn in a process of its own, as in production (in this process it would share the
    GIL with Playwright's driver)."""
    port = free_port()
    env = {**os.environ, "POPREG_PG_DATABASE": database, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.bench_dashboard:read_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/dashboard", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the API server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(people: int, repeat: int, keep: str | None) -> None:
    base = Settings()
    name = keep or f"popreg_benchd{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"pg_database": name})
    fresh = db.create_database(base.dsn, name)  # False: a kept province, already built
    try:
        migrate.apply_migrations(settings.dsn)
        with db.open_pool(settings, max_size=2) as pool:
            if fresh:
                load_builtin(pool)
                t0 = time.perf_counter()
                events = load(pool, people)
                print(f"built {events:,} events for ~{people:,} people in {time.perf_counter() - t0:.0f} s")
            with pool.connection() as conn:
                token = create_token(conn, "operator", "VN", label="bench_dashboard").token
            # what `popreg warm` (and the API in the background) does: the recent periods' stocks
            warmed = stock_warm.warm(pool, stock_warm.recent_days(date(2024, 12, 31), 13))
            print(f"stock snapshots: {warmed.counted:,} commune rows for {warmed.days} days in {warmed.seconds:.0f} s")
        district = builtin_gazetteer().communes(province="14", on=date(2024, 1, 1))[0].district
        with served(name) as url:
            me = httpx.get(f"{url}/v1/dashboard/me", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
            names = ",".join(me["headline"])

            def headline_path(area: str, period: str) -> str:
                return f"/v1/indicators?area={area}&period={period}&names={names}"

            first = browse(url, token, 1, names, district)  # warms PostgreSQL's cache and the area index
            page = browse(url, token, repeat, names, district)
            bare = {
                "load": api_ms(url, token, ["/v1/dashboard/me", headline_path("14", "2024-Q2")], repeat),
                "area": api_ms(url, token, [headline_path(district, "2024-Q2")], repeat),
                "period": api_ms(url, token, [headline_path(district, "2024-05")], repeat),
            }
        print(f"\nheadline figures drawn, province 14 (~{people:,} people), {repeat} runs, headless Chromium")
        print(f"{'what':<44} {'page p50 ms':>11} {'page max':>9} {'API p50 ms':>11} {'ratio':>6} {'target':>7}")
        targets = {"load": 1000, "area": 300, "period": 300}
        labels = {
            "load": "load -> headline drawn (province, quarter)",
            "area": f"area change -> redrawn (district {district})",
            "period": "period change -> redrawn (a month)",
        }
        for kind in ("load", "area", "period"):
            p50 = statistics.median(page[kind])
            print(
                f"{labels[kind]:<44} {p50:11.0f} {max(page[kind]):9.0f} {bare[kind]:11.0f} "
                f"{p50 / bare[kind]:6.2f} {targets[kind]:7d}"
            )
        print(
            "first visit after the snapshots were counted (every panel's figures still to compute): "
            + ", ".join(f"{kind} {first[kind][0]:.0f} ms" for kind in ("load", "area", "period"))
        )
    finally:
        if not keep:
            db.drop_database(base.dsn, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", help="keep the province in this database (reused when it exists)")
    args = parser.parse_args()
    main(args.people, args.repeat, args.database)
