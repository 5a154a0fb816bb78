"""`popreg sink` as its own process: feeds every live, ready and retired version, picks up a new
version after a rebuild, leaves a version being built to its rebuild, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from infra.settings import Settings
from projections import versions
from projections.rules import Rules
from projections.sink.apply import stored_offsets
from projections.sink.rebuild import rebuild
from tests.support.projection import A, cli_env, dump, opened, popreg, produce, scenario
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


def _archived(pool: Any, version: versions.Version) -> int:
    with pool.connection() as conn, conn.transaction():
        versions.use_schema(conn, version.schema)
        return conn.execute("SELECT count(*) FROM event_archive").fetchone()[0]


async def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.3)


async def test_sink_process_follows_versions(make_settings: Callable[..., Settings]) -> None:
    with opened(make_settings()) as (settings, pool, f):
        await _follow_versions(settings, pool, f)


async def _follow_versions(settings: Settings, pool: Any, f: EventFactory) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "popreg", "sink"],
        env=cli_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        records = scenario(f)
        await produce(settings, f, records[:30])
        with pool.connection() as conn:
            live = versions.ensure_live(conn)
        await _until(lambda: _archived(pool, live) == 30)
        waited = await asyncio.to_thread(popreg, settings, "wait", "--timeout", "60")
        assert waited.returncode == 0, waited.stderr

        # a version under construction is its rebuild's alone; once ready, the sink process feeds it
        with pool.connection() as conn:
            building = versions.create_version(conn, Rules(), "left building")
        built, _ = await rebuild(settings, pool, Rules(definitions={"cpr_modern": 2}))
        assert built.state == "ready"
        await produce(settings, f, records[30:])
        await _until(lambda: _archived(pool, live) == _archived(pool, built) == len(records))
        assert _archived(pool, building) == 0
        with pool.connection() as conn:
            assert stored_offsets(conn, building.version) == {}
        tables = ("residence_episodes", "births", "moves", "persons")
        fed_live, fed_built = dump(pool, live.schema, tables), dump(pool, built.schema, tables)
        assert fed_live == fed_built and all(fed_live[t] for t in tables)
        assert any(p[7] == A for p in fed_built["persons"])
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0, proc.stderr.read().decode() if proc.stderr else ""
