"""The history analyses on small and empty areas: empty tables with their columns and a plain note,
never a traceback (issue 15: `popreg analyses fertility --area 14` died in hfd_text)."""

from __future__ import annotations

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
def first_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A province in its first year: one household of commune 10101, no birth, no move."""
    monkeypatch.setenv("POPREG_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    log = HandLog()
    log.household("h1", "10101", "2024-01-01")
    log.person("w", "h1", "F", "1992-04-02", "2024-01-01", marital="married", ceb=0)
    log.person("m", "h1", "M", "1990-04-02", "2024-01-01", marital="married")
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"\n".join(log.lines()) + b"\n")
    yield path
    get_settings.cache_clear()


@pytest.mark.parametrize("kind", ["fertility", "migration"])
@pytest.mark.parametrize(("area", "note"), [("10", "No "), ("10101", "No "), ("102", "Nobody lived in area 102")])
def test_small_and_empty_areas(first_year: Path, tmp_path: Path, kind: str, area: str, note: str) -> None:
    out = tmp_path / f"{kind}-{area}"
    r = CliRunner().invoke(
        app,
        [
            "analyses",
            kind,
            "--area",
            area,
            "--input",
            str(first_year),
            "--out",
            str(out),
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--gazetteer",
            "builtin",
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.exception is None
    manifest = json.loads((out / "manifest.json").read_text())
    for name in manifest["tables"]:
        table = pl.read_parquet(out / "tables" / f"{name}.parquet")
        assert table.width > 0, f"{name} lost its columns"
    book = CalamineWorkbook.from_path(str(out / "tables.xlsx"))
    assert len(book.sheet_names) == len(manifest["tables"]) and "tables.xlsx" in manifest["files"]
    page = (out / "index.html").read_text()
    assert note in page
    if kind == "fertility":
        tfr = pl.read_parquet(out / "tables" / "tfr.parquet")
        assert "tfr" in tfr.columns and tfr["births_15_49"].sum() == 0
        hfd = (out / "export" / "exposure_cube_hfd.txt").read_text()
        assert hfd.startswith("Births by birth order") or "Births by birth order" in hfd


def test_an_empty_log_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POPREG_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    for args in (["export", "--area", "10"], ["analyses", "fertility", "--area", "10"]):
        r = CliRunner().invoke(
            app, [*args, "--input", str(empty), "--out", str(tmp_path / "o"), "--gazetteer", "builtin"]
        )
        assert r.exit_code == 2, r.output
        assert "the log holds no events" in r.output
        assert not isinstance(r.exception, ValueError)  # a message and exit 2, not a traceback
    get_settings.cache_clear()
