"""Forecasts (issue 17) of the clean generated province, through `popreg forecast` and
GET /v1/forecasts only: consistency across levels, the register's own base population, a one-year
back-test against what the register then recorded, storage, exports and field-level errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow.parquet as pq
import pytest

from tests.support.pipeline import CleanStage, Env, Running

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BASE = "2023-12-31"  # the clean history runs 2022-01 .. 2024-12: two years of rates, one to check


@pytest.fixture(scope="module")
def forecast(pipeline_env: Env, clean_stage: CleanStage) -> dict[str, Any]:
    out = pipeline_env.workdir / "forecast-14"
    done = pipeline_env.cli(
        "forecast", "--area", "14", "--base", BASE, "--horizon", "3", "--sims", "300", "--years", "2",
        "--format", "json", "--out", str(out),
    )  # fmt: skip
    return {"doc": orjson.loads(done.stdout), "out": out, "stderr": done.stderr}


def _expected(doc: dict[str, Any], k: int, name: str = "population") -> float:
    return doc["years"][k][name]["expected"]


def test_base_population_is_the_registers_and_levels_add_up(
    pipeline_run: Running, pipeline_env: Env, forecast: dict[str, Any]
) -> None:
    doc = forecast["doc"]
    assert doc["area"] == "14" and doc["scope"] == "14" and doc["base"] == BASE and doc["stored"] is False
    recorded = pipeline_run.api.indicators("14", "2023", ["population"])["values"]["population"]
    assert _expected(doc, 0) == recorded and doc["years"][0]["population"]["median"] == recorded
    districts = [c for c in doc["children"] if c["level"] == "district"]
    assert districts
    for k in range(4):  # the province is the sum of its districts, every year
        assert sum(c["population"][k]["expected"] for c in districts) == pytest.approx(_expected(doc, k), abs=0.01)
    # a district is the sum of its communes (asked through the API, stored by the first request)
    populated = max(districts, key=lambda c: c["population"][0]["expected"])
    d = pipeline_run.api.get("/v1/forecasts", area=populated["area"], base=BASE, horizon=3, sims=300, years=2)
    assert d["stored"] is True and d["level"] == "district"
    for k in range(4):
        assert sum(c["population"][k]["expected"] for c in d["children"]) == pytest.approx(
            d["years"][k]["population"]["expected"], abs=0.01
        )
    for k in range(1, 4):  # the province balances births, deaths and moves across its boundary
        y, prev = doc["years"][k], _expected(doc, k - 1)
        net = y["in_migrants"]["expected"] - y["out_migrants"]["expected"]
        assert _expected(doc, k) == pytest.approx(
            prev + y["births"]["expected"] - y["deaths"]["expected"] + net, abs=0.01
        )
        assert y["population"]["lower_95"] <= y["population"]["lower_80"] <= y["population"]["median"]
        assert y["population"]["median"] <= y["population"]["upper_80"] <= y["population"]["upper_95"]
        assert y["births"]["expected"] > 0 and y["deaths"]["expected"] > 0


def test_one_year_back_test_the_register_lands_inside_the_band(pipeline_run: Running, forecast: dict[str, Any]) -> None:
    doc = forecast["doc"]
    recorded = pipeline_run.api.indicators("14", "2024", ["population", "births", "deaths"])["values"]
    y = doc["years"][1]
    assert y["date"] == "2024-12-31"
    assert y["population"]["lower_95"] <= recorded["population"] <= y["population"]["upper_95"], (y, recorded)
    assert y["births"]["lower_95"] <= recorded["births"] <= y["births"]["upper_95"], (y["births"], recorded)
    # TFR of the rates against the generator's input (2.30 for Sơn La), within its noise
    assert 1.6 < doc["rates"]["model"]["tfr"] < 3.0


def test_files_for_demographers_and_the_page(forecast: dict[str, Any]) -> None:
    out: Path = forecast["out"]
    csv_text = (out / "population_by_age.csv").read_text(encoding="utf-8-sig")
    header = csv_text.splitlines()[0]
    assert header == "area,year,sex,age,population,median,lower_80,upper_80,lower_95,upper_95"
    table = pq.read_table(out / "population_by_age.parquet").to_pylist()
    assert len(table) == 4 * 2 * 101
    base_rows = [r for r in table if r["year"] == 2023]
    assert sum(r["population"] for r in base_rows) == pytest.approx(_expected(forecast["doc"], 0))
    page = (out / "forecast.html").read_text(encoding="utf-8")
    assert "Dự báo dân số" in page and "data:image/png;base64," in page and "QĐ 1679" in page
    assert orjson.loads((out / "forecast.json").read_bytes())["area"] == "14"


def test_scenarios_and_the_strategy_targets(pipeline_env: Env, forecast: dict[str, Any]) -> None:
    strategy = pipeline_env.cli_json(
        "forecast", "--area", "14", "--base", BASE, "--horizon", "7", "--sims", "0", "--years", "2",
        "--scenario", "strategy", "--format", "json",
    )  # fmt: skip
    tfr_2030 = next(y for y in strategy["years"] if y["year"] == 2030)["tfr"]["expected"]
    assert tfr_2030 == pytest.approx(2.1, abs=0.02)
    assert next(t for t in strategy["strategy"] if t["indicator"] == "tfr")["first_year_met"] <= 2030
    still = pipeline_env.cli_json(
        "forecast", "--area", "14", "--base", BASE, "--horizon", "2", "--sims", "0", "--years", "2",
        "--scenario", "zero_migration", "--format", "json",
    )  # fmt: skip
    assert all(y["in_migrants"]["expected"] == pytest.approx(0, abs=1e-6) for y in still["years"][1:])
    assert all(y["out_migrants"]["expected"] == 0 for y in still["years"][1:])


def test_bad_input_is_refused_field_by_field(pipeline_env: Env, pipeline_run: Running) -> None:
    before = pipeline_env.cli("forecast", "--area", "14", "--base", "2019-01-01", "--sims", "0", check=False)
    assert before.returncode == 2 and "ngày gốc / --base" in before.stderr, before.stderr
    unknown = pipeline_env.cli("forecast", "--area", "99", "--base", BASE, "--sims", "0", check=False)
    assert unknown.returncode == 2 and "--area" in unknown.stderr
    api = pipeline_run.api
    for params, field in (
        ({"area": "14", "base": BASE, "scenario": "boom"}, "scenario"),
        ({"area": "14", "base": BASE, "horizon": 31}, "horizon"),
    ):
        reply = httpx.get(api.url + "/v1/forecasts", params=params, headers=api.headers, timeout=60)
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert field in reply.text
    # well-formed, but before the register's history: 404, the field named
    reply = httpx.get(
        api.url + "/v1/forecasts", params={"area": "14", "base": "2019-01-01", "sims": 0}, headers=api.headers
    )
    assert reply.status_code == 404 and reply.json()["errors"][0]["loc"] == ["query", "base"], reply.text


def test_back_test_against_what_the_register_recorded(pipeline_env: Env, pipeline_run: Running) -> None:
    result = pipeline_env.cli_json(
        "forecast-backtest", "--area", "14", "--bases", "2022-12-31", "--horizon", "2", "--sims", "200",
        "--years", "1", "--format", "json",
    )  # fmt: skip
    recorded = pipeline_run.api.indicators("14", "2023", ["population", "births"])["values"]
    province = {(r["horizon"], r["figure"]): r for r in result["rows"] if r["area"] == "14"}
    assert province[(1, "population")]["recorded"] == recorded["population"]
    assert province[(1, "births")]["recorded"] == recorded["births"]
    summary = {(s["figure"], s["level"], s["horizon"]): s for s in result["summary"]}
    assert {lv for _, lv, _ in summary} >= {"commune", "district", "province"}
    assert summary[("population", "province", 1)]["mape"] < 3.0
    for s in result["summary"]:
        assert 0.0 <= s["coverage_80"] <= s["coverage_95"] <= 1.0
    table = pipeline_env.cli(
        "forecast-backtest", "--area", "14", "--bases", "2022-12-31", "--horizon", "1", "--sims", "50", "--years", "1"
    )
    assert "MAPE" in table.stdout and "in 80 % band" in table.stdout


def test_constrained_to_an_outside_total(pipeline_env: Env, forecast: dict[str, Any]) -> None:
    base_population = _expected(forecast["doc"], 0)
    totals = pipeline_env.workdir / "gso.csv"
    totals.write_text(f"area,year,population\n14,2024,{base_population * 1.05:.0f}\n", encoding="utf-8")
    doc = pipeline_env.cli_json(
        "forecast", "--area", "14", "--base", BASE, "--horizon", "2", "--sims", "50", "--years", "2",
        "--constrain", str(totals), "--format", "json",
    )  # fmt: skip
    assert doc["constrained_to"] == {"2024": round(base_population * 1.05)}
    y = doc["years"][1]
    assert y["population"]["expected"] == pytest.approx(round(base_population * 1.05))
    assert y["population"]["median"] == pytest.approx(round(base_population * 1.05), abs=0.01)
    districts = [c for c in doc["children"] if c["level"] == "district"]
    assert sum(c["population"][1]["expected"] for c in districts) == pytest.approx(
        y["population"]["expected"], abs=0.01
    )
    assert y["adjustment"]["expected"] > 0
    totals.write_text("tinh,nam,dan_so\n14,2024,1\n", encoding="utf-8")
    bad = pipeline_env.cli(
        "forecast", "--area", "14", "--base", BASE, "--sims", "0", "--constrain", str(totals), check=False
    )
    assert bad.returncode == 2 and "--constrain" in bad.stderr and "area,year,population" in bad.stderr
