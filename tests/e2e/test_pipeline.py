"""The whole pipeline on a clean generated province, through `popreg` and the HTTP API only.

`popreg run` supervises the register, sink and API; half the history goes through
POST /v1/submissions, the register worker is killed -9, the rest goes through `popreg submit`,
and `popreg wait` must still finish. The figures are then compared, indicator by indicator,
with tests/e2e/expected.py's own calculation from the generated file. The noisy second
submission, the rebuild and the shutdown follow in test_pipeline_noise.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from tests.support.pipeline import NAMES, YEARS_CHECKED, CleanStage, Env, Running, alive, areas_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def clean_cli(pipeline_env: Env, clean_stage: CleanStage) -> dict[str, Any]:
    """The read commands run once the clean stage is in, side by side (each start costs seconds)."""
    district = next(a for a in areas_of(clean_stage.expected) if len(a) == 3)
    replay = pipeline_env.workdir / "replay-clean.jsonl"
    _, province, csv_out = pipeline_env.cli_many(
        ["replay", "--out", str(replay)],
        ["indicators", "--area", "14", "--period", "2024"],
        ["indicators", "--area", district, "--period", "2023-Q2", "--format", "csv"],
    )
    return {"replay": replay, "district": district, "province": province, "csv": csv_out}


def test_popreg_run_supervises_the_pipeline_and_serves_the_api(pipeline_env: Env, pipeline_run: Running) -> None:
    health = httpx.get(pipeline_env.url + "/v1/health", timeout=10).json()
    assert health["postgres"] == "ok" and health["kafka"] == "ok", health
    log = pipeline_run.log_text()
    for child in ("register", "sink", "api"):
        assert f"{child:<10} | started (pid" in log, log[-3000:]
    no_token = httpx.post(pipeline_env.url + "/v1/submissions", content=b"[]", timeout=10)
    assert no_token.status_code == 401


def test_every_clean_submission_is_accepted_once(
    pipeline_env: Env, pipeline_run: Running, clean_stage: CleanStage
) -> None:
    half = len(pipeline_env.clean) // 2
    assert [r["status"] for r in clean_stage.http_results] == ["accepted"] * half
    assert [r["event_id"] for r in clean_stage.http_results] == [e["event_id"] for e in pipeline_env.clean[:half]]
    rest = len(pipeline_env.clean) - half
    assert f"total: {rest} accepted, 0 duplicate, 0 invalid" in clean_stage.cli_output, clean_stage.cli_output
    progress = pipeline_run.api.get("/v1/progress")
    assert progress["processed"] >= progress["submitted"] - 1 and progress["projected"] >= len(pipeline_env.clean)
    assert pipeline_run.api.get("/v1/review")["items"] == []  # a clean history breaks no rule


def test_a_killed_register_worker_is_restarted_and_nothing_is_lost(
    pipeline_env: Env, pipeline_run: Running, clean_stage: CleanStage, clean_cli: dict[str, Any]
) -> None:
    assert not alive(clean_stage.killed_pid)
    assert alive(clean_stage.restarted_pid)
    log = pipeline_run.log_text()
    assert "register   | CRASHED with exit code -9; restart #1" in log, log[-3000:]
    assert f"register   | started (pid {clean_stage.restarted_pid})" in log
    # Nothing lost, nothing twice: the canonical log holds each clean submission exactly once
    # (double counting in the projections would also show in every figure of the next test).
    replay = clean_cli["replay"]
    ids = [orjson.loads(line)["event"]["event_id"] for line in replay.read_bytes().splitlines() if line.strip()]
    assert sorted(ids) == sorted(e["event_id"] for e in pipeline_env.clean)


def test_figures_at_every_level_match_the_independent_calculation(
    pipeline_run: Running, clean_stage: CleanStage, figure_mismatches: Callable[..., list[str]]
) -> None:
    wrong = figure_mismatches(pipeline_run.api, clean_stage.expected)
    assert not wrong, "\n".join(wrong)


def test_the_checked_history_is_not_trivial(clean_stage: CleanStage) -> None:
    """The comparison above means something only if every kind of figure is there to compare."""
    e = clean_stage.expected
    areas = areas_of(e)
    assert len([a for a in areas if len(a) == 3]) >= 3 and len([a for a in areas if len(a) == 5]) >= 6
    totals = {name: sum(e.figures("14", y)[name] for y in YEARS_CHECKED) for name in NAMES}
    assert totals["births"] > 50 and totals["births_order_3_plus"] > 5 and totals["deaths"] > 10, totals
    assert totals["in_migrants"] > 10 and totals["out_migrants"] > 10, totals
    levels = {"province": 0, "district": 0, "commune": 0}  # moves inside the province, by deepest level crossed
    for move in e.moves:
        a, b = move.origin, move.dest
        if a and b and e.places.area(a, "province", move.day) == e.places.area(b, "province", move.day) == "14":
            same_district = e.places.area(a, "district", move.day) == e.places.area(b, "district", move.day)
            levels["commune" if same_district else "district"] += 1
    assert levels["commune"] > 0 and levels["district"] > 0, levels


def test_province_migration_follows_people_not_the_sum_of_communes(
    pipeline_env: Env, pipeline_run: Running, clean_stage: CleanStage
) -> None:
    e = clean_stage.expected
    communes = e.communes()
    differs = 0
    for year in YEARS_CHECKED:
        province = pipeline_run.api.indicators("14", year, ["in_migrants", "out_migrants"])["values"]
        summed = {k: 0 for k in ("in_migrants", "out_migrants")}
        for commune in communes:
            values = pipeline_run.api.indicators(commune, year, list(summed))["values"]
            for k in summed:
                summed[k] += values[k]
        want = e.figures("14", year)
        assert province == {k: want[k] for k in summed}
        # Moves between two communes of the province add to the communes' sums only.
        first, last = f"{year}-01-01", f"{year}-12-31"
        inside = sum(
            1
            for m in e.moves
            if first <= m.day.isoformat() <= last
            and m.origin
            and m.dest
            and e.places.area(m.origin, "province", m.day) == e.places.area(m.dest, "province", m.day)
        )
        assert summed["in_migrants"] - province["in_migrants"] == inside
        assert summed["out_migrants"] - province["out_migrants"] == inside
        differs += inside > 0
    assert differs >= 1


def test_popreg_indicators_prints_what_the_api_serves(
    pipeline_run: Running, clean_stage: CleanStage, clean_cli: dict[str, Any]
) -> None:
    district, province, csv_out = clean_cli["district"], clean_cli["province"], clean_cli["csv"]
    printed = orjson.loads(province.stdout)
    assert printed == pipeline_run.api.indicators("14", "2024")
    assert printed["level"] == "province" and printed["known_on"] is None
    want = clean_stage.expected.figures("14", "2024")
    assert {n: printed["values"][n] for n in NAMES} == want
    rows = [line.split(",") for line in csv_out.stdout.strip().splitlines()]
    assert rows[0] == ["area", "level", "period", "known_on", "indicator", "value"]
    by_name = {r[4]: r[5] for r in rows[1:]}
    quarter = clean_stage.expected.figures(district, "2023-Q2")
    assert {n: int(by_name[n]) for n in NAMES} == quarter
    assert all(r[:3] == [district, "district", "2023-Q2"] for r in rows[1:])
