"""Rebuild and swap (invariants 6 and 7): a rebuild from offset 0 writes the live path's tables row
for row; readers switch atomically; both operator reasons: a rule change, the 2025 boundary reform."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from infra.gazetteer_store import builtin_gazetteer
from infra.settings import Settings
from projections import versions
from projections.read.indicators import compute_indicators
from projections.rules import Rules
from projections.sink.rebuild import drop_retired, rebuild
from tests.support.projection import (
    COMPARED,
    dump,
    opened,
    popreg,
    produce,
    scenario,
    sink_until_caught_up,
)
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings(), max_size=6) as found:
        yield found


def _cpr(pool: Any, version: int | None = None) -> Any:
    with pool.connection() as conn:
        return compute_indicators(conn, "14", "2024", names=["cpr_modern"], version=version)["values"]["cpr_modern"]


async def test_rebuild_gives_the_live_tables_row_for_row(env: Any) -> None:
    settings, pool, f = env
    records = scenario(f)
    with pool.connection() as conn:
        live = versions.ensure_live(conn)
    # the live path: the log arrives in three rounds, each applied in small batches
    for part in (records[:20], records[20:33], records[33:]):
        await produce(settings, f, part, per_transaction=3)
        await sink_until_caught_up(settings, live, pool, max_records=4)
    built, stats = await rebuild(settings, pool)
    assert built.state == "ready" and built.version == live.version + 1
    assert stats.archived == len(records)
    live_tables, rebuilt = dump(pool, live.schema, COMPARED), dump(pool, built.schema, COMPARED)
    assert all(live_tables[t] for t in ("residence_episodes", "births", "moves", "persons", "event_archive"))
    for table in COMPARED:
        assert rebuilt[table] == live_tables[table], table
    with pool.connection() as conn:
        assert versions.live_version(conn).version == live.version  # no --swap: readers unchanged


async def test_rule_change_rebuild_serves_the_new_definition_after_the_swap(env: Any) -> None:
    settings, pool, _ = env
    assert _cpr(pool) == 0.75  # v1: married women 15-49 (P1 pill, P3 IUD, P6 pill / 4)
    rules = Rules(definitions={"cpr_modern": 2})
    built, _ = await rebuild(settings, pool, rules, swap=True, note="cpr_modern v2")
    assert built.state == "live" and built.rules.definition("cpr_modern") == 2
    assert _cpr(pool) == 0.8  # v2: all women 15-49 (+ P12 condom, never married) / 5
    assert _cpr(pool, version=1) == 0.75  # the old version stays, under its own rules


def test_swap_is_atomic_for_readers(env: Any) -> None:
    _, pool, _ = env
    with pool.connection() as conn:
        states = {v.version: v for v in versions.active_versions(conn)}
    new = max(states)
    old = min(v for v, s in states.items() if s.rules.definition("cpr_modern") == 1)
    expected = {old: 0.75, new: 0.8}
    seen: list[Any] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(_cpr(pool))
            except Exception as exc:  # a reader must never fail or see a half-switched state
                seen.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        with pool.connection() as conn:
            for _ in range(10):
                versions.swap(conn, old)
                versions.swap(conn, new)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert seen and set(seen) <= set(expected.values()), {type(s) for s in seen}
    # a reader's transaction keeps the version it resolved, whatever a swap does meanwhile
    with pool.connection() as reader_conn, reader_conn.transaction():
        reader_conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        pinned = versions.live_version(reader_conn)
        with pool.connection() as conn:
            versions.swap(conn, old)
        assert versions.live_version(reader_conn).version == pinned.version == new
    assert _cpr(pool) == 0.75
    with pool.connection() as conn:
        versions.swap(conn, new)
    assert _cpr(pool) == 0.8


def test_old_versions_stay_until_dropped(env: Any) -> None:
    _, pool, _ = env
    with pool.connection() as conn:
        live = versions.live_version(conn)
        with pytest.raises(versions.VersionError, match="live"):
            versions.drop(conn, live.version)
    dropped = drop_retired(pool)
    assert dropped and live.version not in dropped
    with pool.connection() as conn:
        assert [v.version for v in versions.active_versions(conn)] == [live.version]
        gone = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)", ([versions.schema_name(v) for v in dropped],)
        ).fetchone()[0]
    assert gone == 0
    assert _cpr(pool) == 0.8


async def test_boundary_reform_rebuild_reaggregates_old_communes(make_settings: Callable[..., Settings]) -> None:
    """Hà Giang (02) and Tuyên Quang (08) became one province, code 08, on 1 July 2025."""
    with opened(make_settings()) as (settings, pool, _):
        g = builtin_gazetteer()
        old_ha_giang, old_tuyen_quang = "00691", "02215"
        assert g.resolve(old_ha_giang, date(2024, 6, 1)).province == "02"
        assert g.successor(old_ha_giang) == "00691" and g.resolve("00691", g.remap_2025()[0].on).province == "08"
        f = EventFactory(g)
        records = [
            f.record("household.registered", "2020-01-01", old_ha_giang, {"household_id": "HG", "address": "x"}),
            f.record("household.registered", "2020-01-01", old_tuyen_quang, {"household_id": "TQ", "address": "y"}),
        ]
        for pid, hh, commune in (
            ("g1", "HG", old_ha_giang),
            ("g2", "HG", old_ha_giang),
            ("g3", "HG", old_ha_giang),
            ("t1", "TQ", old_tuyen_quang),
            ("t2", "TQ", old_tuyen_quang),
        ):
            records.append(
                f.record(
                    "person.registered",
                    "2020-01-01",
                    commune,
                    {
                        "person_id": pid,
                        "household_id": hh,
                        "full_name": pid,
                        "sex": "F",
                        "birth_date": "1990-01-01",
                        "relation_to_head": "head",
                        "marital_status": "married",
                    },
                )
            )
        await produce(settings, f, records)
        with pool.connection() as conn:
            live = versions.ensure_live(conn)
        await sink_until_caught_up(settings, live, pool)

        def population(area: str) -> int:
            with pool.connection() as conn:
                return compute_indicators(conn, area, "2024", names=["population"])["values"]["population"]

        # as of 2024 the units of 2024: 3 people in Hà Giang, 2 in (old) Tuyên Quang
        assert (population("02"), population("08")) == (3, 2)
        done = popreg(settings, "rebuild", "--swap", "--boundaries", "current")
        assert done.returncode == 0, done.stderr
        assert "live" in done.stdout
        # rebuilt and swapped: 2024 re-aggregated into today's province 08 (its predecessors' people)
        assert (population("08"), population("02")) == (5, 0)
        assert population("00691") == 3  # the new commune Hà Giang 2, from its predecessor
        listed = popreg(settings, "rebuild", "--list")
        assert listed.returncode == 0 and "current" in listed.stdout
