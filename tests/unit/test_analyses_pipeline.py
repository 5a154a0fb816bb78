"""The export pipeline on hand-made logs: copies, voids, merges, known_on, the exposure cube
against DuckDB and by hand, INDICATORS.md move counting, contraception, trajectories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from analyses.contraception import contraception_tables
from analyses.export import ExportRequest, export
from analyses.handlog import HandLog
from analyses.pseudo import Pseudonymiser
from analyses.source import LogRecord
from analyses.trajectory import person_trajectory, render_png, trajectory_for

pytestmark = pytest.mark.unit
KEY = Pseudonymiser(b"k" * 32, "project")


def run(
    log: HandLog,
    out: Path,
    area: str = "10",
    first: str = "2015-01-01",
    last: str = "2020-12-31",
    known_on: str | None = None,
    extra: list[bytes] = (),
) -> dict:
    lines = log.lines() + list(extra)
    records = [LogRecord(i % 3, i, line) for i, line in enumerate(lines)]
    req = ExportRequest(
        area, date.fromisoformat(first), date.fromisoformat(last), date.fromisoformat(known_on) if known_on else None
    )
    return export(records, {"kind": "test"}, out, req, KEY)


def mother_log() -> HandLog:
    log = HandLog()
    log.household("h1", "10101", "2015-01-01")
    log.person("w", "h1", "F", "1990-07-01", "2015-01-01", marital="married", ceb=0)
    return log


def births(out: Path) -> int:
    return int(pl.read_parquet(out / "exposure_cube.parquet")["births"].sum())


def test_copies_voids_known_on_and_merges(tmp_path: Path) -> None:
    log = mother_log()
    b1 = log.birth("c1", "w", "M", "2016-02-01")
    log.birth("c2", "w", "F", "2018-02-01")
    log.void(b1, "2019-05-01", "10101")  # recorded 2019-05-01: the first birth never happened
    copies = [log.lines()[2]]  # the same event_id again at another offset
    m = run(log, tmp_path / "now", extra=copies)
    assert m["read"]["duplicates_dropped"] == 1
    assert births(tmp_path / "now") == 1
    assert m["rows"]["voided_events"] == 1
    run(log, tmp_path / "then", known_on="2019-01-01", extra=copies)
    assert births(tmp_path / "then") == 2  # the void was not yet known

    log = mother_log()
    log.household("h2", "10101", "2015-01-01")
    log.person("w2", "h2", "F", "1990-07-01", "2015-01-01", marital="married", ceb=0)
    log.birth("c1", "w", "M", "2016-02-01")
    log.birth("c2", "w2", "F", "2018-02-01")
    log.merge("w", "w2", "2019-01-01")
    run(log, tmp_path / "merged")
    persons = pl.read_parquet(tmp_path / "merged" / "persons.parquet").filter(pl.col("sex") == "F")
    assert persons.height == 2  # w (with w2 merged in) and her daughter
    ev = pl.read_parquet(tmp_path / "merged" / "events.parquet").filter(pl.col("kind") == "birth")
    assert sorted(ev["parity"].to_list()) == [0, 1]  # the second birth is her second


def test_unreadable_records_are_reported_and_the_rest_kept(tmp_path: Path) -> None:
    log = mother_log()
    log.birth("c1", "w", "M", "2016-02-01")
    m = run(log, tmp_path / "x", extra=[b"{not json", b'{"event": {"type": "birth"}, "context": {}}'])
    errors = m["read"]["errors"]
    assert len(errors) == 2
    assert "not valid JSON" in errors[0] and "event.event_id" in errors[1]
    assert births(tmp_path / "x") == 1


def test_exposure_by_hand_and_against_duckdb(tmp_path: Path) -> None:
    log = mother_log()  # born 1990-07-01, in the area from 2015-01-01
    log.birth("c1", "w", "M", "2016-02-01")
    run(log, tmp_path / "x", last="2016-12-31")
    cube = pl.read_parquet(tmp_path / "x" / "exposure_cube.parquet")
    w = cube.filter(pl.col("sex") == "F").filter(pl.col("year") == 2015).sort("age")
    # 2015: 181 days at age 24 (to 30 June), 184 days at 25; 2016: parity changes on 1 Feb.
    assert w["age"].to_list() == [24, 25]
    assert w["person_years"].to_list() == pytest.approx([181 / 365.25, 184 / 365.25])
    b = cube.filter(pl.col("births") > 0).row(0, named=True)
    assert (b["year"], b["age"], b["parity"], b["births_male"]) == (2016, 25, 0, 1)
    # The same cube from the segments Parquet with plain DuckDB SQL (the bench's reference).
    ref = duckdb.sql(f"""
      WITH y AS (SELECT s.*, unnest(range(year(s.start), year(s."end" - 1) + 1)) AS yr
                 FROM read_parquet('{tmp_path / "x" / "segments.parquet"}') s),
      p AS (SELECT *, greatest(start, make_date(yr, 1, 1)) ys, least("end", make_date(yr + 1, 1, 1)) ye,
                   make_date(yr, month(birth_date), day(birth_date)) bd FROM y)
      SELECT sum(greatest(date_diff('day', ys, least(ye, bd)), 0) + greatest(date_diff('day', greatest(ys, bd), ye), 0)) / 365.25
      FROM p""").fetchall()[0][0]
    assert ref == pytest.approx(cube["person_years"].sum())


def test_moves_follow_people_with_the_six_month_rule(tmp_path: Path) -> None:
    log = HandLog()
    for h, c in (("h1", "10101"), ("h2", "10201"), ("h3", "10301")):
        log.household(h, c, "2015-01-01")
    log.person("a", "h1", "M", "1980-01-01", "2015-01-01")
    log.person("b", "h1", "M", "1981-01-01", "2015-01-01", relation="sibling")
    log.move_out(["a"], "2016-01-01", to="10201")
    log.move_in(["a"], "h2", "2016-03-01")  # within six months: one confirmed move
    log.move_out(["b"], "2016-01-01")
    log.move_in(["b"], "h3", "2017-01-01")  # a year later: the departure stays, the arrival is a move
    run(log, tmp_path / "x", area="VN")
    mv = pl.read_parquet(tmp_path / "x" / "moves.parquet").sort(["birth_date", "date"])
    rows = [(r["origin_commune"], r["dest_commune"], r["confirmed"]) for r in mv.iter_rows(named=True)]
    assert rows == [("10101", "10201", True), ("10101", "UNKNOWN", False), ("UNKNOWN", "10301", True)]


def test_contraception_continuation_and_switching(tmp_path: Path) -> None:
    log = mother_log()
    log.household("h2", "10101", "2015-01-01")
    log.person("v", "h2", "F", "1991-01-01", "2015-01-01", marital="married")
    log.contraception("w", "iud", "2016-01-01")
    log.contraception("w", "iud", "2016-07-01", stop=True, reason="side_effects")
    log.contraception("w", "pill", "2016-07-20")  # within 30 days: a switch iud -> pill
    log.contraception("w", "pill", "2017-07-20", stop=True, reason="wants_child")
    log.contraception("v", "iud", "2016-01-01")  # still using at the end
    run(log, tmp_path / "x")
    spells = pl.read_parquet(tmp_path / "x" / "spells.parquet").filter(pl.col("sex") == "F")
    curves: dict = {}
    t = contraception_tables(spells, curves)
    sw = {(r["from_method"], r["to_method"]): r["episodes"] for r in t["contraception_switching"].iter_rows(named=True)}
    assert sw == {("iud", "pill"): 1, ("pill", "none"): 1}
    iud = t["contraception_continuation"].filter(pl.col("method") == "iud").row(0, named=True)
    # Two IUD episodes, one stops at 182 days: continuation at 12 months = 1/2.
    assert (iud["episodes"], iud["discontinued"]) == (2, 1)
    assert iud["continuing_12m"] == pytest.approx(0.5)
    d = {
        r["cause"]: r
        for r in t["contraception_discontinuation"].filter(pl.col("method") == "iud").iter_rows(named=True)
    }
    assert d["side_effects"]["cif_12m"] == pytest.approx(0.5)
    assert d["wants_child"]["events"] == 0


def test_trajectory_with_widowhood(tmp_path: Path) -> None:
    log = mother_log()
    log.person("h", "h1", "M", "1988-01-01", "2015-01-01", marital="married", relation="spouse")
    log.birth("c1", "w", "F", "2016-05-01")
    log.contraception("w", "iud", "2016-08-01")
    log.death("h", "2018-03-01")
    t = trajectory_for("w", log.records)
    assert [u["status"] for u in t["union"]] == ["married", "widowed"]
    assert t["union"][1]["from"] == "2018-03-01"
    assert t["childbearing"] == [{"date": "2016-05-01", "child_sex": "F", "birth_order": 1}]
    assert [c["method"] for c in t["contraception"]] == ["iud"]
    assert t["timeline"][0]["date"] == "2015-01-01"
    assert person_trajectory([r for r in log.records if "w" in r.context.subjects])["childbearing"]
    png = render_png(t, tmp_path / "t.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_the_2025_reform_relabels_residence_without_a_move(tmp_path: Path) -> None:
    from infra.gazetteer_store import builtin_gazetteer

    log = HandLog(paths={"00001": ("001", "01"), "00097": (None, "01")})
    log.household("h1", "00001", "2024-01-01")  # Phúc Xá, Ba Đình: becomes Hồng Hà (00097) on 1 July 2025
    log.person("p", "h1", "F", "1990-01-01", "2024-01-01")
    log.households["h1"] = "00097"  # the register writes the new code after the reform
    log.death("p", "2025-09-01")
    records = [LogRecord(0, i, line) for i, line in enumerate(log.lines())]
    gaz = builtin_gazetteer()
    for area in ("01", "001"):
        req = ExportRequest(area, date(2024, 1, 1), date(2025, 12, 31))
        export(records, {"kind": "test"}, tmp_path / area, req, KEY, gaz)
    res = pl.read_parquet(tmp_path / "01" / "spells.parquet").filter(pl.col("spell_type") == "residence").sort("entry")
    assert res["state"].to_list() == ["00001", "00097"]
    assert res["end_detail"].to_list() == ["relabel", "death"]
    assert res["district"].to_list() == ["001", None]
    assert pl.read_parquet(tmp_path / "01" / "moves.parquet").height == 0  # a boundary change is no move
    persons = pl.read_parquet(tmp_path / "01" / "persons.parquet").row(0, named=True)
    assert (persons["stays"], persons["exit_reason"]) == (1, "death")
    old = pl.read_parquet(tmp_path / "001" / "persons.parquet").row(0, named=True)
    assert (old["last_observed"], old["exit_reason"]) == (date(2025, 7, 1), "censored")
