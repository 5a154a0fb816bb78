"""The checked-in gazetteer CSV is what the vietnamadminunits package says, and its codes hold."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from events.gazetteer import REFORM_2025
from events.gazetteer_csv import format_csv
from infra.gazetteer_store import BUILTIN_CSV, builtin_gazetteer, package_rows

pytestmark = pytest.mark.unit


def test_the_checked_in_csv_matches_the_package() -> None:
    # If this fails after upgrading vietnamadminunits, run `popreg gazetteer build` and review the diff.
    assert BUILTIN_CSV.read_text(encoding="utf-8") == format_csv(package_rows())


def test_a_reused_code_always_continues_one_of_its_own_predecessors() -> None:
    """CONTRACT.md: a code is never reused for another unit.

    The 2025 reform gave each new commune (and province) the code of one of the units merged
    into it; a code's later version is therefore the legal continuation of its earlier one.
    """
    g = builtin_gazetteer()
    versions = defaultdict(list)
    for row in g.rows:
        versions[row.commune_code].append(row)
    reused = {code: rows for code, rows in versions.items() if len(rows) > 1}
    assert len(reused) == 3316  # of 3,321 new communes, 5 island special zones got new codes
    for code, (old, new) in reused.items():
        assert old.valid_to == date(2025, 6, 30) and new.valid_from == REFORM_2025
        assert code in old.successors and code in g.predecessors(code)
    provinces_after = {u.code: u for u in g.provinces(on=REFORM_2025)}
    for code in provinces_after:
        before = g.unit(code, date(2025, 6, 30))
        assert before is not None  # every new province code is an old province's code
        some_old = g.communes(province=code, on=date(2025, 6, 30))[0].code
        assert g.resolve(g.successor(some_old) or "", REFORM_2025).province == code  # type: ignore[union-attr]


def test_every_old_commune_has_a_successor_and_every_new_one_a_predecessor_or_is_an_island() -> None:
    g = builtin_gazetteer()
    remap = g.remap_2025()
    old = {u.code for u in g.communes(on=date(2025, 6, 30))}
    new = {u.code for u in g.communes(on=REFORM_2025)}
    assert {r.old_commune for r in remap} == old
    assert {r.old_commune for r in remap if r.main} == old and sum(r.main for r in remap) == len(old)
    orphans = new - {r.new_commune for r in remap}
    assert sorted(g.name(c, REFORM_2025) for c in orphans) == [
        "Đặc khu Bạch Long Vĩ",
        "Đặc khu Côn Đảo",
        "Đặc khu Cồn Cỏ",
        "Đặc khu Hoàng Sa",
        "Đặc khu Lý Sơn",
    ]
    assert len(remap) == 10597  # 10,035 main links + 562 further parts of split communes
