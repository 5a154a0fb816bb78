"""Stock snapshots (projections.read.stock_cache) give exactly the figures of counting every episode:
after the sink changed the past (late events, voids, corrections, moves, a merge), with a
household living in two communes at once, and for a reader still in a snapshot older than the
rows the cache holds. Real Kafka, the real sink, real PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from infra import db, migrate
from infra.settings import Settings
from projections import versions
from projections.definitions import NAMES
from projections.periods import parse_period
from projections.read import stock_warm
from projections.read.exposure_cache import exposure_rows
from projections.read.indicators import compute_indicators, facts
from projections.read.stock_cache import stock_on, store
from tests.support.projection import A, B, opened, popreg, produce, scenario, sink_until_caught_up
from tests.support.synthetic import EventFactory, at

pytestmark = pytest.mark.integration

AREAS = ("03646", "03649", "03682", "00001", "116", "118", "14", "01", "VN")
PERIODS = ("2023", "2024-01", "2024-Q1", "2024-05", "2024-08", "2024-Q4", "2024")
PROVINCE_14 = "SELECT DISTINCT commune FROM area_map WHERE province = '14' AND valid_until IS NULL"
STOCK_NAMES = [
    "population",
    "population_female",
    "households",
    "pop_age_25_29",
    "women_15_49",
    "married_women_15_49",
    "cpr_modern",
    "cbr",
]


def later_events(f: EventFactory) -> list[dict[str, Any]]:
    """After the scenario: a birth filed at commune B into household H1 of commune A (H1 now
    lives in two communes), a late death back in 2023, a woman's marriage and a method."""
    return [
        f.record(
            "birth",
            "2024-06-01",
            B,
            {"child_id": "C3", "household_id": "H1", "mother_id": "P1", "sex": "M"},
            recorded_at=at("2024-06-03"),
            event_id="x-01",
        ),
        f.record("death", "2023-11-05", A, {"person_id": "P2"}, recorded_at=at("2024-12-01"), event_id="x-02"),
        f.record(
            "marriage", "2024-02-14", B, {"person_ids": ["P12", "P5"]}, recorded_at=at("2024-02-20"), event_id="x-03"
        ),
        f.record(
            "contraception.started",
            "2024-03-01",
            B,
            {"person_id": "P12", "method": "implant"},
            recorded_at=at("2024-03-02"),
            event_id="x-04",
        ),
    ]


@pytest.fixture(scope="module")
def setup(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    with opened(make_settings()) as (settings, pool, f):
        with pool.connection() as conn:
            live = versions.ensure_live(conn)
        yield settings, pool, f, live


def grid(pool: Any, *, snapshots: bool, names: list[str] | None = None) -> dict[tuple[str, str], dict]:
    with pool.connection() as conn:
        return {
            (a, p): compute_indicators(conn, a, p, None, names, snapshots=snapshots)["values"]
            for a in AREAS
            for p in PERIODS
        }


def cache_rows(pool: Any, schema: str, table: str = "stock_cache") -> int:
    with pool.connection() as conn:
        return conn.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]  # noqa: S608


async def test_snapshots_equal_the_full_count_while_the_past_changes(setup: Any) -> None:
    settings, pool, f, live = setup
    story = scenario(f)
    third = len(story) // 3
    seen: list[dict] = []
    for part in (story[:third], story[third : 2 * third], story[2 * third :], later_events(f)):
        await produce(settings, f, part)
        await sink_until_caught_up(settings, live, pool, max_records=7)
        cached, counted = grid(pool, snapshots=True), grid(pool, snapshots=False)
        assert cached == counted  # every figure, every area and period
        assert grid(pool, snapshots=True) == counted  # the second time from the stored rows
        seen.append(cached)
    assert cache_rows(pool, live.schema) > 0 and cache_rows(pool, live.schema, "exposure_cache") > 0
    # the stages did change the stocks the stored rows held (so staleness was really detected)
    assert len(
        {repr(s[("116", "2024")]["population"]) + repr(s[("03646", "2023")]["population"]) for s in seen}
    ) == len(seen)
    # H1 lives in A (P1, C1) and B (C3) since June 2024: once in district 116, once in each commune
    last = seen[-1]
    assert (
        last[("116", "2024-08")]["households"]
        == last[("03646", "2024-08")]["households"] + last[("03649", "2024-08")]["households"] - 1
    )
    # P2's late death in 2023 reaches back into the 2023 stock of commune A
    assert seen[-1][("03646", "2023")]["population"] == seen[-2][("03646", "2023")]["population"] - 1


async def test_rows_counted_before_a_change_and_stored_after_it_are_not_used(setup: Any) -> None:
    """The race a timed cache would lose: a reader counts in its snapshot, the sink commits a
    change of the past, the reader stores its (now stale) rows; the next reader must count again."""
    settings, pool, f, live = setup
    period = parse_period("2022-Q3")  # days nobody asked for yet
    extra = [f.record("death", "2022-05-10", A, {"person_id": "P3"}, recorded_at=at("2024-12-20"), event_id="y-01")]
    pending: list = []
    with db.connect(settings) as old:
        old.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with old.transaction():
            versions.use_schema(old, live.schema)
            before = facts(old, "116", period, None, {"stock", "mid"}, pending)
            await produce(settings, f, extra)
            await sink_until_caught_up(settings, live, pool, max_records=7)
        assert pending, "2022-Q3 had no stored rows: they were counted"
        with old.transaction():
            versions.use_schema(old, live.schema)
            store(old, pending)  # as compute_indicators does after its read-only snapshot
    with pool.connection() as conn:
        now = compute_indicators(conn, "116", "2022-Q3", None, STOCK_NAMES)["values"]
        counted = compute_indicators(conn, "116", "2022-Q3", None, STOCK_NAMES, snapshots=False)["values"]
    assert now == counted
    assert now["population"] == before["population"] - 1


def test_warming_counts_what_is_stale_and_only_that(setup: Any) -> None:
    settings, pool, _, live = setup
    days = stock_warm.recent_days(date(2024, 12, 31), 3)
    assert days[0] == date(2024, 12, 31) and date(2024, 7, 1) in days and date(2024, 10, 15) in days
    first = stock_warm.warm(pool, days)
    assert stock_warm.warm(pool, days).counted == 0  # nothing changed since
    assert first.units >= len(days)
    with pool.connection() as conn:
        pending: list = []
        with conn.transaction():
            versions.use_schema(conn, live.schema)
            facts(conn, "14", parse_period("2024-Q4"), None, {"stock", "mid", "exposure"}, pending)
            facts(conn, A, parse_period("2022"), None, {"exposure"}, pending)  # a commune with residents
        assert pending == []  # a warmed period is read from the rows alone...
        with conn.transaction():
            versions.use_schema(conn, live.schema)
            communes = [r[0] for r in conn.execute(PROVINCE_14)]
            assert stock_on(conn, communes, date(2024, 12, 31), pending) is not None  # ...not counted again
            assert (
                exposure_rows(
                    conn, [(c, date(2024, 10, 1), date(2025, 1, 1)) for c in communes], parse_period("2024-Q4"), pending
                )
                is not None
            )
        assert pending == []
        assert (
            compute_indicators(conn, "VN", "2024-12", None, list(NAMES))["values"]
            == compute_indicators(conn, "VN", "2024-12", None, list(NAMES), snapshots=False)["values"]
        )
    # the operator's command: one round, nothing stale left
    done = popreg(settings, "warm", "--through", "2024-12", "--months", "3")
    assert done.returncode == 0, done.stderr
    assert "0 commune rows counted" in done.stdout


def test_the_read_api_thread_counts_the_recent_periods(setup: Any) -> None:
    settings, pool, _, live = setup
    with pool.connection() as conn:
        conn.execute(f"TRUNCATE {live.schema}.stock_cache, {live.schema}.exposure_cache")  # noqa: S608
        conn.commit()
    quick = settings.model_copy(update={"stock_warm_seconds": 0.2, "stock_warm_months": 2})
    last, _ = stock_warm.last_event_day(pool)
    with pool.connection() as conn:  # nothing stored for 2021: counted at once, stored by the thread
        old = compute_indicators(conn, "14", "2021", None, STOCK_NAMES)["values"]
    stop = threading.Event()
    thread = threading.Thread(target=stock_warm.background, args=(pool, quick, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with pool.connection() as conn:
                days = {r[0] for r in conn.execute(f"SELECT DISTINCT day FROM {live.schema}.stock_cache")}  # noqa: S608
                months = conn.execute(f"SELECT count(*) FROM {live.schema}.exposure_cache").fetchone()[0]  # noqa: S608
            if set(stock_warm.recent_days(last, 2)) | {date(2021, 12, 31), date(2021, 7, 1)} <= days and months:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the background rounds counted only {sorted(days)}")
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    with pool.connection() as conn:
        pending: list = []
        with conn.transaction():
            versions.use_schema(conn, live.schema)
            assert (
                facts(conn, "14", parse_period("2021"), None, {"stock", "mid"}, pending)["population"]
                == old["population"]
            )
            communes = [r[0] for r in conn.execute(PROVINCE_14)]
            assert stock_on(conn, communes, date(2021, 12, 31), pending) is not None  # from the stored rows
        assert pending == []


def test_the_migration_adds_the_tables_to_versions_made_before_it(setup: Any) -> None:
    """A version made before 0006 (its snapshot tables dropped, the migration unrecorded) gets
    them back, with the households that already live in two communes."""
    settings, pool, _, live = setup
    with pool.connection() as conn:
        conn.execute(
            f"DROP TABLE {live.schema}.stock_cache, {live.schema}.exposure_cache, "  # noqa: S608
            f"{live.schema}.stock_changes, {live.schema}.split_households"
        )
        conn.execute("DELETE FROM schema_migrations WHERE version = 6")
        conn.commit()
    assert "0006_stock_snapshots.sql" in migrate.apply_migrations(settings.dsn)
    with pool.connection() as conn:
        with conn.transaction():
            split = {r[0] for r in conn.execute(f"SELECT household_id FROM {live.schema}.split_households")}  # noqa: S608
        assert split == {"H1"}  # C3, born into H1 but filed at commune B
        assert (
            compute_indicators(conn, "116", "2024", None, STOCK_NAMES)["values"]
            == compute_indicators(conn, "116", "2024", None, STOCK_NAMES, snapshots=False)["values"]
        )
