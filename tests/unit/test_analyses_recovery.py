"""Recovery: on a generated province pushed through the register's own engine, the analyses find
the generator's input schedule (TFR, ASFR shape, SRB by order, mean age at first marriage) within
the sampling error they report themselves."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analyses.export import ExportRequest, export
from analyses.fertility import fertility_tables
from analyses.pseudo import Pseudonymiser
from analyses.source import LogRecord
from infra.gazetteer_store import builtin_gazetteer
from processors.register import DictStore, Register
from producers.generator import GeneratorConfig, generate

pytestmark = [pytest.mark.unit, pytest.mark.slow]
Z_MAX = 3.0  # a deviation of more than 3 reported standard errors fails


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    tmp = tmp_path_factory.mktemp("recovery")
    gaz = builtin_gazetteer()
    cfg = GeneratorConfig(start=date(2017, 1, 1), seed=11, households=3000, years=5)
    with open(tmp / "subs.jsonl", "wb") as fh:
        truth = generate(cfg, fh, gaz)
    register = Register(DictStore(), gaz)
    records = []
    with open(tmp / "subs.jsonl", "rb") as fh:
        for offset, line in enumerate(fh):
            for kind, key, value in register.process(line.rstrip(b"\n"), offset, 1_700_000_000_000 + offset):
                if kind == "events":
                    records.append(LogRecord(hash(key) % 3, len(records), value))
    last = date.fromisoformat(truth["generator"]["end"]).toordinal() - 1
    req = ExportRequest(cfg.province, cfg.start, date.fromordinal(last))
    export(records, {"kind": "test"}, tmp / "export", req, Pseudonymiser(b"r" * 32, "project"), gaz)
    tables, _ = fertility_tables(tmp / "export", req.date_from, req.date_to)
    (tmp / "truth.json").write_text(json.dumps(truth))
    return truth, tables, tmp / "export"


def test_tfr_within_reported_error(run: tuple) -> None:
    truth, tables, _ = run
    row = tables["tfr_whole_range"].row(0, named=True)
    z = (row["tfr_tails_folded"] - truth["inputs"]["tfr"]) / row["tfr_se"]
    assert abs(z) < Z_MAX, (row, truth["inputs"]["tfr"], truth["realised"]["tfr"])


def test_asfr_shape_within_reported_error(run: tuple) -> None:
    truth, tables, _ = run
    asfr = tables["asfr"].group_by("age_group").agg(pl.col("births").sum(), pl.col("person_years").sum())
    for r in asfr.iter_rows(named=True):
        expected = truth["inputs"]["asfr_per_1000"][r["age_group"]]
        se = 1000 * max(r["births"], 1) ** 0.5 / r["person_years"]  # Poisson, as the CI reports
        assert abs(1000 * r["births"] / r["person_years"] - expected) / se < Z_MAX, (r, expected)


def test_srb_by_order_within_reported_interval(run: tuple) -> None:
    truth, tables, _ = run
    srb = {r["order"]: r for r in tables["srb_by_order"].iter_rows(named=True)}
    for order in ("1", "2"):
        r, expected = srb[order], truth["inputs"]["srb_by_order"][order]
        half = (r["ci_high"] - r["ci_low"]) / 2 / 1.96 * Z_MAX
        assert r["srb"] - half < expected < r["srb"] + half, (order, r, expected)


def test_mean_age_at_first_marriage_within_reported_error(run: tuple) -> None:
    truth, tables, _ = run
    fm = tables["first_marriage_age"].filter(pl.col("year").is_null())
    for r in fm.iter_rows(named=True):
        expected = truth["realised"]["mean_age_first_marriage"][r["sex"]]
        assert abs(r["mean_age"] - expected) / r["se"] < Z_MAX, (r, expected)


def test_counting_process_feeds_a_time_varying_cox_model(run: tuple) -> None:
    """Women using a method conceive far less in the generator: the hazard ratio says so."""
    import warnings

    from lifelines import CoxTimeVaryingFitter
    from lifelines.exceptions import ConvergenceWarning

    _, _, export_dir = run
    cp = (
        pl.read_parquet(export_dir / "counting_process.parquet")
        .with_columns(
            using=(pl.col("contraception") != "none").cast(pl.Int8),
            married=(pl.col("marital") == "married").cast(pl.Int8),
            event=pl.col("event").cast(pl.Int8),
        )
        .select("person_key", "start", "stop", "event", "using", "married")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # almost no births while using: near separation
        fit = CoxTimeVaryingFitter(penalizer=0.01).fit(
            cp.to_pandas(), id_col="person_key", event_col="event", start_col="start", stop_col="stop"
        )
    assert fit.hazard_ratios_["using"] < 0.5 < 2 < fit.hazard_ratios_["married"]
