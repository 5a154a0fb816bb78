"""Two paths, one answer: births and ASFRs of the exposure cube equal those of `popreg indicators`
(the projections) for the same area and years, on the log the real register worker wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from test_replay_export_register import PROVINCE, YEARS, logged, runner  # noqa: F401  (fixtures)
from typer.testing import CliRunner

from infra.db import open_pool
from infra.gazetteer_store import load_builtin
from popreg.cli import app

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_cube_births_and_asfr_equal_popreg_indicators(logged: tuple, runner: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    settings, tmp, env = logged
    pool = open_pool(settings)
    try:
        load_builtin(pool)  # the projections place communes in areas with the loaded gazetteer
    finally:
        pool.close()
    with open(tmp / "sink.log", "ab") as log:
        sink = subprocess.Popen(
            [sys.executable, "-m", "popreg", "sink"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        try:
            r = runner.invoke(app, ["wait", "--timeout", "240"])
            assert r.exit_code == 0, r.output + (tmp / "sink.log").read_text(errors="replace")[-3000:]
        finally:
            sink.terminate()
            sink.wait(30)
    r = runner.invoke(app, ["export", "--area", PROVINCE, "--to", f"{YEARS[-1]}-12-31", "--out", str(tmp_path / "x")])
    assert r.exit_code == 0, r.output
    cube = pl.read_parquet(tmp_path / "x" / "exposure_cube.parquet").filter(pl.col("sex") == "F")
    for year in YEARS:
        r = runner.invoke(app, ["indicators", "--area", PROVINCE, "--period", str(year)])
        assert r.exit_code == 0, r.output
        values = json.loads(r.stdout)["values"]
        mine = cube.filter(pl.col("year") == year)
        assert values["births"] == mine["births"].sum() > 0, year
        for lo in range(15, 50, 5):
            part = mine.filter(pl.col("age").is_between(lo, lo + 4))
            expected = 1000 * part["births"].sum() / part["person_years"].sum()
            assert values[f"asfr_{lo}_{lo + 4}"] == pytest.approx(expected, rel=1e-6, abs=1e-9), (year, lo)
