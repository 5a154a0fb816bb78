"""No export, table, plot or page carries a name, a national id, an address or a register id."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from analyses.handlog import HandLog
from analyses.trajectory import render_png, trajectory_for
from infra.settings import get_settings
from popreg.cli import app

pytestmark = pytest.mark.unit
NAMES = ["Lò Thị Mải", "Cầm Văn Xướng", "Quàng Thị Én", "Bé Mùa Xuân"]
NIDS = ["014190001234", "014188005678", "014193009999"]
IDS = ["pid-secret-mai", "pid-secret-xuong", "pid-secret-en", "pid-secret-baby", "hh-secret-1", "hh-secret-2"]
ADDRESS = "Bản Phiêng Xa, số nhà 17"


def identifying_log() -> HandLog:
    log = HandLog()
    log.household("hh-secret-1", "14001", "2016-01-01", address=ADDRESS)
    log.household("hh-secret-2", "14002", "2016-01-01", address=ADDRESS + " B")
    log.person(
        "pid-secret-mai",
        "hh-secret-1",
        "F",
        "1992-04-02",
        "2016-01-01",
        marital="married",
        ceb=0,
        name=NAMES[0],
        national_id=NIDS[0],
    )
    log.person(
        "pid-secret-xuong",
        "hh-secret-1",
        "M",
        "1988-09-09",
        "2016-01-01",
        marital="married",
        relation="spouse",
        name=NAMES[1],
        national_id=NIDS[1],
    )
    log.person("pid-secret-en", "hh-secret-2", "F", "1999-01-20", "2016-01-01", name=NAMES[2])
    log.birth("pid-secret-baby", "pid-secret-mai", "F", "2017-03-03", name=NAMES[3])
    log.correct("pid-secret-en", "2017-05-05", full_name=NAMES[2] + " Mới", national_id=NIDS[2])
    log.contraception("pid-secret-mai", "pill", "2017-09-01")
    log.move_in(["pid-secret-en"], "hh-secret-1", "2018-02-02")
    return log


def scan(path: Path) -> list[str]:
    """Every forbidden string found in a file (Parquet cells read as text, other files as bytes)."""
    texts = [path.read_bytes().decode("utf-8", "replace")]
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        texts.append(json.dumps(table.to_pylist(), default=str, ensure_ascii=False))
    found = []
    for text in texts:
        found += [s for s in NAMES + NIDS + IDS + [ADDRESS, NAMES[2] + " Mới"] if s in text]
    return found


def test_exports_tables_plots_and_pages_carry_no_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POPREG_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    log_file = tmp_path / "log.jsonl"
    log_file.write_bytes(b"\n".join(identifying_log().lines()) + b"\n")
    raw = log_file.read_text("utf-8")
    assert all(s in raw for s in NAMES + NIDS + IDS)  # the input really carries them
    runner = CliRunner()
    exp = tmp_path / "export"
    r = runner.invoke(
        app, ["export", "--area", "14", "--input", str(log_file), "--out", str(exp), "--csv", "--to", "2019-12-31"]
    )
    assert r.exit_code == 0, r.output
    for kind in ("fertility", "migration"):
        r = runner.invoke(app, ["analyses", kind, "--area", "14", "--input", str(exp), "--out", str(tmp_path / kind)])
        assert r.exit_code == 0, r.output
    render_png(trajectory_for("pid-secret-mai", identifying_log().records), tmp_path / "fertility" / "trajectory.png")
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != log_file and "home" not in p.parts]
    kinds = {p.suffix for p in files}
    assert {".parquet", ".csv", ".png", ".html", ".json", ".txt"} <= kinds
    leaks = {str(p.relative_to(tmp_path)): scan(p) for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}
    get_settings.cache_clear()


def test_trajectory_json_has_no_names() -> None:
    t = trajectory_for("pid-secret-mai", identifying_log().records)
    text = json.dumps(t, ensure_ascii=False)
    assert t["found"] and not [s for s in NAMES + NIDS + [ADDRESS] if s in text]
