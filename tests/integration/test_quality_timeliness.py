"""Timeliness per collector and commune over the projections' hand-worked scenario (issue 18):
recording delays, the share recorded late, silent collectors; the same counts as the report forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from infra.settings import Settings
from projections.quality.timeliness import timeliness
from projections.reports.forms import build_report
from tests.support.projection import A, cli_env, feed, opened, scenario
from tests.support.synthetic import EventFactory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Any, EventFactory]]:
    with opened(make_settings()) as found:
        yield found


@pytest.fixture(scope="module")
async def fed(env: Any) -> Any:
    settings, pool, f = env
    records = scenario(f)
    for r in records:  # each commune's collaborator keeps its book
        r["event"]["source"]["collector_id"] = f"ctv-{r['event']['commune']}"
    await feed(settings, pool, f, records)
    return env


def test_delays_by_collector_and_commune(fed: Any) -> None:
    with fed[1].connection() as conn:
        found = timeliness(conn, A, "2024-01")
        report = build_report(conn, A, "2024-01", None)
    # By hand: C1, born on 20 January in A, recorded on 10 March: 50 days, late.
    assert found["overall"]["accepted"] == 1 and found["overall"]["late"] == 1
    assert found["overall"]["p50_days"] == 50 and found["overall"]["late_share"] == 1.0
    assert [c["commune"] for c in found["by_commune"]] == [A]
    # the report form counts the same events
    assert (report["quality"]["accepted"], report["quality"]["late"]) == (found["overall"]["accepted"], 1)
    by_report = {c["collector"]: (c["accepted"], c["late"]) for c in report["quality"]["by_collector"]}
    assert {c["collector"]: (c["accepted"], c["late"]) for c in found["by_collector"]} == by_report


def test_a_year_and_what_was_known_then(fed: Any) -> None:
    with fed[1].connection() as conn:
        year = timeliness(conn, "14", "2024")
        then = timeliness(conn, A, "2024-01", known_on=date(2024, 2, 1))
    assert then["overall"]["accepted"] == 0 and then["overall"]["p50_days"] is None
    assert year["overall"]["accepted"] >= 10 and 0 < year["overall"]["late_share"] < 1
    assert sum(c["accepted"] for c in year["by_commune"]) == year["overall"]["accepted"]
    assert sum(c["accepted"] for c in year["by_collector"]) == year["overall"]["accepted"]
    assert year["overall"]["p50_days"] <= year["overall"]["p90_days"] <= year["overall"]["p95_days"]


def test_silent_collectors(fed: Any) -> None:
    with fed[1].connection() as conn:
        later = timeliness(conn, "14", "2025-06", silent_weeks=8)
        end_2024 = timeliness(conn, "14", "2024-12", silent_weeks=8)
    # By hand: C's last entry is P6's pill on 1 August, B's P8 moving in on 5 August, A's the
    # merge of P11 into P10 on 20 November (entries recorded on the day they happened).
    assert [(x["collector"], x["last_recorded"], x["weeks_silent"]) for x in later["silent"]] == [
        ("ctv-03682", "2024-08-01", 47),
        ("ctv-03649", "2024-08-05", 47),
        ("ctv-03646", "2024-11-20", 31),
    ]
    assert [x["collector"] for x in end_2024["silent"]] == ["ctv-03682", "ctv-03649"]


def test_the_command_and_the_api(fed: Any) -> None:
    import subprocess
    import sys

    import httpx
    import orjson

    from tests.support.dashboard import compose_app, serve, token

    settings = fed[0]
    env = {**cli_env(settings), "COLUMNS": "200"}
    cli = [sys.executable, "-m", "popreg", "quality", "timeliness"]
    done = subprocess.run(
        [*cli, "--area", A, "--period", "2024-01", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["overall"]["p50_days"] == 50
    table = subprocess.run(
        [*cli, "--area", "14", "--period", "2025-06"], env=env, capture_output=True, text=True, timeout=120
    )
    assert table.returncode == 0 and "silent: ctv-03682: nothing recorded since 2024-08-01" in table.stdout
    bad = subprocess.run(
        [*cli, "--area", "14", "--period", "2024-13"], env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "period" in bad.stderr
    with serve(compose_app(settings)) as url:
        headers = {"Authorization": f"Bearer {token(settings, 'analyst', '14')}"}
        r = httpx.get(f"{url}/v1/quality/timeliness", params={"area": "14", "period": "2025-06"}, headers=headers)
        assert r.status_code == 200, r.text
        assert [s["collector"] for s in r.json()["silent"]] == ["ctv-03682", "ctv-03649", "ctv-03646"]
        outside = httpx.get(f"{url}/v1/quality/timeliness", params={"area": "01", "period": "2024"}, headers=headers)
        assert outside.status_code == 403
        checks = httpx.get(f"{url}/v1/quality/checks", params={"area": "14", "period": "2024"}, headers=headers)
        assert checks.status_code == 200 and checks.json()["age_heaping"]["whipple"] == 71.43
    done = subprocess.run(
        [sys.executable, "-m", "popreg", "quality", "checks", "--area", "14", "--period", "2024"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and orjson.loads(done.stdout)["age_heaping"]["persons_23_62"] == 7, done.stderr


def test_age_heaping(fed: Any) -> None:
    from projections.quality.checks import age_heaping, rating, whipple

    # By hand, province 14 at the end of 2024, ages 23-62: P1 25, P2 29, P3 34, P5 39, P12 24,
    # P10 32, P8 44 (moved in from Hà Nội); P9 left for Hà Nội, P4 is 84, P7 22. One of seven on a
    # multiple of five: 100 × 1 / (7 / 5).
    with fed[1].connection() as conn:
        found = age_heaping(conn, "14", "2024")
    assert (found["persons_23_62"], found["whipple"], found["rating"]) == (7, 71.43, "highly accurate")
    # a population with every age reported on a multiple of five: 500, very rough
    assert whipple({25: 10, 30: 10, 60: 5}) == 500.0 and rating(500.0) == "very rough"
    assert whipple({a: 1 for a in range(23, 63)}) == 100.0 and whipple({}) is None
