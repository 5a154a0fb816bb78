"""Gazetteer lookups on dates either side of a change, on small rows and on the real units."""

from __future__ import annotations

from datetime import date

import pytest

from events.gazetteer import Gazetteer, GazetteerRow, level
from events.register import AreaPath
from infra.gazetteer_store import builtin_gazetteer

pytestmark = pytest.mark.unit

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)


def _row(
    code: str,
    name: str,
    district: str | None,
    province: str,
    start: date,
    end: date | None,
    successors: tuple[str, ...] = (),
    province_name: str = "Tỉnh Sơn La",
) -> GazetteerRow:
    return GazetteerRow(
        code,
        name,
        district,
        f"Huyện {district}" if district else None,
        province,
        province_name,
        start,
        end,
        successors=successors,
    )


@pytest.fixture
def small() -> Gazetteer:
    return Gazetteer(
        [
            _row("04048", "Xã Vân Hồ", "128", "14", date(2000, 1, 1), BEFORE, ("04048",)),
            _row("04039", "Xã Chiềng Yên", "128", "14", date(2000, 1, 1), BEFORE, ("04048", "04040")),
            _row("04048", "Xã Vân Hồ", None, "14", AFTER, None),
            _row("04040", "Xã Mới", None, "14", AFTER, None),
        ]
    )


def test_a_commune_has_a_district_before_the_reform_and_none_after(small: Gazetteer) -> None:
    assert small.resolve("04048", BEFORE) == AreaPath(commune="04048", district="128", province="14")
    assert small.resolve("04048", AFTER) == AreaPath(commune="04048", district=None, province="14")
    assert small.resolve("04039", BEFORE) is not None
    assert small.resolve("04039", AFTER) is None  # merged away
    assert small.resolve("04040", BEFORE) is None  # not yet created
    assert small.resolve("99999", AFTER) is None


def test_exists_and_contains_follow_the_date(small: Gazetteer) -> None:
    assert small.exists("04039", BEFORE) and not small.exists("04039", AFTER)
    assert small.contains("128", "04048", BEFORE) and not small.contains("128", "04048", AFTER)
    assert small.contains("14", "04048", AFTER) and small.contains("VN", "04048", AFTER)
    assert small.contains("04048", "04048", AFTER) and not small.contains("15", "04048", AFTER)
    assert not small.contains("VN", "04039", AFTER)


def test_units_of_every_level(small: Gazetteer) -> None:
    district = small.unit("128", BEFORE)
    assert district is not None and district.level == "district" and district.province == "14"
    assert district.name == "Huyện 128" and district.valid_to == BEFORE
    assert small.unit("128", AFTER) is None  # districts end with the reform
    province = small.unit("14", AFTER)
    assert province is not None and province.name == "Tỉnh Sơn La" and province.valid_from == date(2000, 1, 1)
    assert small.unit("VN", AFTER) is not None and small.name("VN", AFTER) == "Việt Nam"
    assert small.unit("garbage", AFTER) is None
    with pytest.raises(KeyError, match="no administrative unit '04039' on 2025-07-01"):
        small.name("04039", AFTER)


def test_listing_communes_by_area_and_date(small: Gazetteer) -> None:
    assert [u.code for u in small.communes(province="14", on=BEFORE)] == ["04039", "04048"]
    assert [u.code for u in small.communes(district="128", on=BEFORE)] == ["04039", "04048"]
    assert [u.code for u in small.communes(province="14", on=AFTER)] == ["04040", "04048"]
    assert small.communes(district="128", on=AFTER) == []
    assert [u.code for u in small.districts(on=BEFORE)] == ["128"]
    assert [u.code for u in small.provinces(on=AFTER)] == ["14"]


def test_successors_and_the_2025_remap(small: Gazetteer) -> None:
    assert small.successor("04048") == "04048"  # kept its code
    assert small.successor("04039") == "04048"  # the main successor of a split
    assert small.successors("04039") == ["04048", "04040"]
    assert small.successor("04040") is None  # a new unit has no successor
    remap = {(r.old_commune, r.new_commune, r.main) for r in small.remap_2025()}
    assert remap == {("04048", "04048", True), ("04039", "04048", True), ("04039", "04040", False)}
    assert small.predecessors("04048") == ["04039", "04048"]


def test_later_rows_win_where_versions_overlap() -> None:
    first = _row("04048", "Xã Vân Hồ", "128", "14", date(2000, 1, 1), None)
    renamed = _row("04048", "Xã Vân Hồ Mới", "128", "14", date(2020, 1, 1), None)
    g = Gazetteer([first, renamed])
    assert g.name("04048", date(2019, 12, 31)) == "Xã Vân Hồ"
    assert g.name("04048", date(2020, 1, 1)) == "Xã Vân Hồ Mới"


def test_version_is_a_content_hash(small: Gazetteer) -> None:
    same = Gazetteer(small.rows)
    other = Gazetteer(small.rows[:-1])
    assert small.version == same.version != other.version
    assert len(small.version) == 16


def test_level_by_the_shape_of_the_code() -> None:
    assert [level(c) for c in ("VN", "14", "128", "04048")] == ["country", "province", "district", "commune"]
    for bad in ("1", "1234", "123456", "ab", "１４"):
        with pytest.raises(ValueError, match="not an area code"):
            level(bad)


# The real units of Vietnam (the built-in gazetteer from vietnamadminunits).


def test_a_son_la_commune_either_side_of_1_july_2025() -> None:
    g = builtin_gazetteer()
    # Xã Vân Hồ, huyện Vân Hồ (128), tỉnh Sơn La (14): kept its code, absorbed three communes.
    assert g.resolve("04048", BEFORE) == AreaPath(commune="04048", district="128", province="14")
    assert g.resolve("04048", AFTER) == AreaPath(commune="04048", district=None, province="14")
    assert g.name("128", BEFORE) == "Huyện Vân Hồ" and g.unit("128", AFTER) is None
    assert g.predecessors("04048") == ["04039", "04048", "04051", "04054"]
    # Phường Chiềng Lề (03646) took the code of the new Phường Tô Hiệu; Tô Hiệu's old code ended.
    assert g.name("03646", BEFORE) == "Phường Chiềng Lề" and g.name("03646", AFTER) == "Phường Tô Hiệu"
    assert g.exists("03649", BEFORE) and not g.exists("03649", AFTER)
    assert g.successor("03649") == "03646"


def test_a_province_code_continues_into_the_merged_province() -> None:
    g = builtin_gazetteer()
    assert g.name("15", BEFORE) == "Tỉnh Yên Bái" and g.name("15", AFTER) == "Tỉnh Lào Cai"
    assert g.name("10", BEFORE) == "Tỉnh Lào Cai" and g.unit("10", AFTER) is None
    lao_cai_town = g.communes(province="10", on=BEFORE)[0].code
    assert g.resolve(g.successor(lao_cai_town) or "", AFTER).province == "15"  # type: ignore[union-attr]


def test_the_counts_of_units_either_side() -> None:
    g = builtin_gazetteer()
    assert len(g.provinces(on=BEFORE)) == 63 and len(g.provinces(on=AFTER)) == 34
    # 696 districts, of which 5 island districts had no communes (Hoàng Sa, Bạch Long Vĩ, ...).
    assert len(g.districts(on=BEFORE)) == 691 and g.districts(on=AFTER) == []
    assert len(g.communes(on=BEFORE)) == 10035 and len(g.communes(on=AFTER)) == 3321
    assert all(u.lat is not None and u.lon is not None for u in g.communes(province="14", on=AFTER))
