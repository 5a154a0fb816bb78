"""Small cases worked out by hand (the expected numbers are computed here, not by the product):
a KM curve with censoring and left truncation, an SMAM, a set of PPRs, an OD matrix where one
person moves twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from analyses.export import ExportRequest, export
from analyses.fertility import fertility_tables
from analyses.handlog import HandLog
from analyses.migration import migration_tables
from analyses.pseudo import Pseudonymiser
from analyses.source import LogRecord
from analyses.survival import MONTH, kaplan_meier, parity_intervals

pytestmark = pytest.mark.unit
KEY = Pseudonymiser(b"k" * 32, "project")


def run_export(log: HandLog, out: Path, area: str, first: str, last: str) -> Path:
    records = [LogRecord(i % 3, i, line) for i, line in enumerate(log.lines())]
    export(
        records, {"kind": "test"}, out, ExportRequest(area, date.fromisoformat(first), date.fromisoformat(last)), KEY
    )
    return out


def test_km_birth_interval_with_censoring_and_left_truncation(tmp_path: Path) -> None:
    log = HandLog()
    log.household("h0", "10101", "2015-01-01")
    for w in "ABDE":
        log.household(f"h{w}", "10101", "2015-01-01")
        log.person(w, f"h{w}", "F", "1990-01-01", "2015-01-01", marital="married", ceb=0)
    log.birth("a1", "A", "M", "2016-01-01")
    log.birth("a2", "A", "F", "2017-01-01")  # A: second birth 366 days after the first (event)
    log.birth("b1", "B", "M", "2016-01-01")
    log.death("B", "2016-09-01")  # B: dies 244 days after her first birth (censored)
    log.birth("d1", "D", "F", "2016-01-01")
    log.move_out(["D"], "2017-07-01", to="ABROAD")  # D: emigrates at 547 days (censored)
    log.birth("e1", "E", "F", "2016-03-01")  # E: open at the end, 2019-01-01 is 1036 days on
    # C arrives from outside on 2015-07-01 with her child born 2015-01-01: she enters 181 days
    # into her first interval (left truncation) and has her second birth at 609 days.
    log.household("hC", "10101", "2015-07-01")
    log.person("C", "hC", "F", "1988-05-05", "2015-07-01", marital="married", ceb=1)
    log.person("c1", "hC", "M", "2015-01-01", "2015-07-01", relation="child", mother="C")
    log.move_in(["C", "c1"], "hC", "2015-07-01", from_commune="20101")
    log.birth("c2", "C", "M", "2016-09-01")
    out = run_export(log, tmp_path / "x", "10", "2015-01-01", "2018-12-31")

    spells = pl.read_parquet(out / "spells.parquet").filter(pl.col("spell_type") == "parity")
    iv = parity_intervals(spells).filter(pl.col("parity") == 1).sort("duration_m")
    days = [round(d * MONTH) for d in iv["duration_m"]]
    entries = [round(e * MONTH) for e in iv["entry_m"]]
    assert sorted(zip(days, entries, iv["event"], strict=True)) == [
        (244, 0, False),
        (366, 0, True),
        (547, 0, False),
        (609, 181, True),
        (1036, 0, False),
    ]
    reasons = dict(zip(iv["duration_m"].round(1), iv["end_reason"], strict=True))
    assert sorted(reasons.values()) == ["censored", "death", "emigration", "event", "event"]

    # By hand: at 366 days A, C (entered at 181), D and E are at risk: S = 3/4.
    # At 609 days only C and E are: S = 3/4 x 1/2 = 3/8. Median = 609 days.
    curve = kaplan_meier(iv["entry_m"], iv["duration_m"], iv["event"])
    assert curve.at(300 / MONTH)[0] == pytest.approx(1.0)
    assert curve.at(400 / MONTH)[0] == pytest.approx(0.75)
    assert curve.at(700 / MONTH)[0] == pytest.approx(0.375)
    assert curve.median == pytest.approx(609 / MONTH)

    tables, curves = fertility_tables(out, date(2015, 1, 1), date(2018, 12, 31))
    ppr = tables["ppr_lifetable"].filter(pl.col("parity") == 1).row(0, named=True)
    assert (ppr["intervals"], ppr["next_births"]) == (5, 2)
    assert ppr["median_months"] == pytest.approx(609 / MONTH)
    assert ppr["ppr_5y"] is None  # 60 months lies beyond the longest interval observed (1036 days)


def test_smam_by_hand(tmp_path: Path) -> None:
    # Four women in each group 15-19 ... 50-54 on 31 Dec 2020; single: 4,3,2,1,1,0,1,1.
    single = [4, 3, 2, 1, 1, 0, 1, 1]
    log = HandLog()
    n = 0
    for g, k in enumerate(single):
        for i in range(4):
            n += 1
            log.household(f"h{n}", "10101", "2020-01-01")
            born = f"{2020 - (17 + 5 * g)}-06-01"
            log.person(
                f"w{n}",
                f"h{n}",
                "F",
                born,
                "2020-01-01",
                marital="never_married" if i < k else "married",
                relation="head",
            )
    out = run_export(log, tmp_path / "x", "10101", "2020-01-01", "2020-12-31")
    tables, _ = fertility_tables(out, date(2020, 1, 1), date(2020, 12, 31))
    row = tables["smam"].filter(pl.col("sex") == "F").row(0, named=True)
    # S = 1, .75, .5, .25, .25, 0, .25, .25; A = 15 + 5 x 3.0 = 30; B = .25; D = 12.5; C = .75
    assert row["single_15_19"] == 1.0 and row["single_45_49"] == 0.25
    assert row["smam"] == pytest.approx((30 - 12.5) / 0.75)
    assert row["ci_low"] < row["smam"] < row["ci_high"]


def test_parity_progression_ratios_by_hand(tmp_path: Path) -> None:
    log = HandLog()
    # Cohort: ten women aged 45-54 at the end with parities 0,1,1,2,2,2,2,3,3,3.
    for i, ceb in enumerate([0, 1, 1, 2, 2, 2, 2, 3, 3, 3]):
        log.household(f"h{i}", "10101", "2015-01-01")
        log.person(f"old{i}", f"h{i}", "F", f"{1966 + i % 5}-03-01", "2015-01-01", marital="married", ceb=ceb)
    # Life table: three women with a first birth in 2015; two have a second within 5 years
    # (after 20 and 40 months), one none in 6 years of observation: PPR1(5y) = 2/3.
    for w, second in (("x", "2016-09-01"), ("y", "2018-05-01"), ("z", None)):
        log.household(f"h{w}", "10101", "2014-01-01")
        log.person(w, f"h{w}", "F", "1990-01-01", "2014-01-01", marital="married", ceb=0)
        log.birth(f"{w}1", w, "F", "2015-01-01")
        if second:
            log.birth(f"{w}2", w, "M", second)
    out = run_export(log, tmp_path / "x", "10", "2014-01-01", "2020-12-31")
    tables, _ = fertility_tables(out, date(2014, 1, 1), date(2020, 12, 31))
    cohort = {r["parity"]: r["ppr"] for r in tables["ppr_cohort"].iter_rows(named=True)}
    assert cohort[0] == pytest.approx(9 / 10)
    assert cohort[1] == pytest.approx(7 / 9)
    assert cohort[2] == pytest.approx(3 / 7)
    assert cohort[3] == pytest.approx(0 / 3)
    life = tables["ppr_lifetable"].filter(pl.col("parity") == 1).row(0, named=True)
    assert life["ppr_5y"] == pytest.approx(2 / 3)
    assert life["intervals"] == 3 and life["next_births"] == 2


def test_od_matrix_with_one_person_moving_twice(tmp_path: Path) -> None:
    log = HandLog()
    for h, c in (("h1", "10101"), ("h2", "10102"), ("h3", "20101"), ("h4", "10201"), ("h5", "10101")):
        log.household(h, c, "2018-01-01")
    log.person("X", "h1", "M", "1990-01-01", "2018-01-01")
    log.person("Y", "h5", "F", "1992-01-01", "2018-01-01")
    log.person("Z", "h5", "M", "1994-01-01", "2018-01-01", relation="child")
    # X: 10101 -> 10102 (same district 101) -> 20101 (another province).
    log.move_out(["X"], "2019-03-01", to="10102")
    log.move_in(["X"], "h2", "2019-03-10")
    log.move_in(["X"], "h3", "2020-05-01")  # no move_out: counted once, out of 10102
    # Y: 10101 -> 10201 (district 102, same province).
    log.move_in(["Y"], "h4", "2019-06-01")
    # Z: 10101 -> 10201 and back: a return move.
    log.move_in(["Z"], "h4", "2019-07-01")
    log.move_in(["Z"], "h1", "2020-07-01")
    out = run_export(log, tmp_path / "x", "VN", "2018-01-01", "2020-12-31")
    tables = migration_tables(out, "VN", sample=50)

    def cells(level: str) -> dict[tuple[str, str], int]:
        m = tables[f"od_matrix_{level}"]
        return {(r["origin"], d): r[d] for r in m.iter_rows(named=True) for d in m.columns[1:] if r[d]}

    assert cells("commune") == {
        ("10101", "10102"): 1,
        ("10102", "20101"): 1,
        ("10101", "10201"): 2,
        ("10201", "10101"): 1,
    }
    assert cells("district") == {("101", "201"): 1, ("101", "102"): 2, ("102", "101"): 1}
    assert cells("province") == {("10", "20"): 1}
    rr = {r["level"]: r for r in tables["repeat_return"].iter_rows(named=True)}
    assert (rr["commune"]["moves"], rr["commune"]["movers"], rr["commune"]["repeat_movers"]) == (5, 3, 2)
    assert rr["commune"]["return_moves"] == 1 and rr["district"]["return_moves"] == 1
    assert (rr["province"]["moves"], rr["province"]["repeat_movers"]) == (1, 0)
    # Indices at district level over the whole range: units 101, 102 and 201; moves between
    # them 4 (101->201, 101->102 x2, 102->101): D-O = 101: 1-3, 102: 2-1, 201: 1-0.
    idx = (
        tables["migration_indices"]
        .filter((pl.col("level") == "district") & pl.col("year").is_null())
        .row(0, named=True)
    )
    assert idx["internal_moves"] == 4
    assert idx["mei"] == pytest.approx(100 * (2 + 1 + 1) / (4 + 3 + 1))
    assert idx["cmi"] == pytest.approx(100 * 4 / idx["person_years"])
