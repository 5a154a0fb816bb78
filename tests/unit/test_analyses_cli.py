"""`popreg export` and `popreg analyses` on a replay file, with no stack running."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from python_calamine import CalamineWorkbook
from typer.testing import CliRunner

from analyses.handlog import HandLog
from infra.settings import get_settings
from popreg.cli import app

pytestmark = pytest.mark.unit


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POPREG_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    log = HandLog()
    log.household("h1", "10101", "2016-01-01")
    log.household("h2", "10201", "2016-01-01")
    log.person("w", "h1", "F", "1992-04-02", "2016-01-01", marital="married", ceb=0)
    log.birth("c", "w", "M", "2017-03-03")
    log.move_in(["w", "c"], "h2", "2018-02-02")
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(log.lines()) + b"\nnot json\n")
    (tmp_path / "log.jsonl.manifest.json").write_text(
        json.dumps({"kind": "replay", "source": {"offsets": {"0": {"from": 0, "to": 5}}}})
    )
    yield path
    get_settings.cache_clear()


def test_analyses_straight_from_a_replay_file(log_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "fert"
    r = CliRunner().invoke(
        app,
        [
            "analyses",
            "fertility",
            "--area",
            "10",
            "--input",
            str(log_file),
            "--out",
            str(out),
            "--known-on",
            "2019-01-01",
            "--gazetteer",
            "builtin",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "line 6: <record>: not valid JSON" in r.output  # reported, the rest analysed
    m = json.loads((out / "manifest.json").read_text())
    assert m["source"]["sha256"] == hashlib.sha256(log_file.read_bytes()).hexdigest()
    assert m["source"]["replay_manifest"]["source"]["offsets"] == {"0": {"from": 0, "to": 5}}
    assert m["known_on"] == "2019-01-01" and m["area"] == "10" and m["level"] == "province"
    assert len(m["gazetteer"]["version"]) == 16
    assert m["pseudonymisation"]["mode"] == "project"
    for name in ("tables/tfr.csv", "tables/asfr.parquet", "plots/pyramid.png", "plots/tfr_trend.png", "index.html"):
        assert name in m["files"], name
        assert m["files"][name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
    book = CalamineWorkbook.from_path(str(out / "tables.xlsx"))
    tfr = pl.read_parquet(out / "tables" / "tfr.parquet")
    rows = book.get_sheet_by_name("tfr").to_python()
    assert rows[0] == tfr.columns and len(rows) == tfr.height + 1
    assert rows[1][tfr.columns.index("births_15_49")] == tfr["births_15_49"][0]
    page = (out / "index.html").read_text()
    assert "<img src='plots/asfr_by_year.png'" in page and "ASFR by five-year age group" in page
    export_manifest = json.loads((out / "export" / "manifest.json").read_text())
    assert export_manifest["rows"]["persons"] == 2


def test_the_same_key_links_exports_and_a_salt_does_not(log_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for name, extra in (("a", []), ("b", []), ("c", ["--per-export-salt"])):
        r = runner.invoke(
            app, ["export", "--area", "VN", "--input", str(log_file), "--out", str(tmp_path / name), *extra]
        )
        assert r.exit_code == 0, r.output
    keys = {
        n: json.loads((tmp_path / n / "manifest.json").read_text())["pseudonymisation"]["key_fingerprint"]
        for n in "abc"
    }
    assert keys["a"] == keys["b"] != keys["c"]
    persons = {n: sorted(pl.read_parquet(tmp_path / n / "persons.parquet")["person_key"]) for n in "abc"}
    assert persons["a"] == persons["b"] and not set(persons["a"]) & set(persons["c"])


def test_bad_input_is_a_clear_error(log_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["export", "--area", "1x", "--input", str(log_file), "--out", str(tmp_path / "e")])
    assert r.exit_code == 2 and "not an area code" in r.output
    r = runner.invoke(app, ["export", "--input", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "e")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = runner.invoke(app, ["export", "--from", "2016-13-01", "--input", str(log_file)])
    assert r.exit_code == 2 and "not a date" in r.output
    r = runner.invoke(app, ["export", "--area", "10", "--input", str(log_file), "--out", str(tmp_path / "x")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["analyses", "migration", "--area", "102", "--input", str(tmp_path / "x"), "--out", str(tmp_path / "m")]
    )
    assert r.exit_code == 2 and "built for area '10'" in r.output
    r = runner.invoke(
        app,
        [
            "analyses",
            "fertility",
            "--area",
            "10",
            "--to",
            "2018-12-31",
            "--input",
            str(tmp_path / "x"),
            "--out",
            str(tmp_path / "f"),
        ],
    )
    assert r.exit_code == 2 and "export again" in r.output
