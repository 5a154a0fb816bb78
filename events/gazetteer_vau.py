"""Gazetteer rows from the records of the `vietnamadminunits` package (MIT). Pure: infra reads them.

The package holds the 63-province units in force until 30 June 2025 (table
`admin_units_legacy`), the 34-province units from 1 July 2025 (`admin_units`) and the old ->
new mapping keyed by normalised names (`converter_2025.json`). Here the mapping is turned into
codes and every old commune gets its successors (main first, as the package's default ward).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from events.gazetteer import REFORM_2025, GazetteerRow

# The package records no creation dates: the old units are a snapshot of 30 June 2025 and are
# given this conventional start so that historical events (A0 books, imports) resolve.
LEGACY_FROM = date(2000, 1, 1)
LEGACY_TO = date(2025, 6, 30)


class SourceDataError(ValueError):
    """The package data does not hold together (a mapping names a unit that does not exist)."""


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def _coord(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def _old_key(rec: Mapping[str, Any]) -> str:
    return f"{rec['provinceKey']}_{rec['districtKey']}_{rec['wardKey'] or ''}"


def successor_map(
    legacy: Iterable[Mapping[str, Any]],
    current: Iterable[Mapping[str, Any]],
    converter: Mapping[str, Any],
) -> dict[str, list[str]]:
    """Old commune code -> new commune codes, the main one first, from the name-keyed mapping."""
    old_by_key = {_old_key(r): r for r in legacy}
    new_by_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current}
    links: dict[str, list[tuple[bool, str]]] = defaultdict(list)

    def link(old_key: str, province_key: str, ward_key: str, main: bool) -> None:
        old = old_by_key.get(old_key)
        new = new_by_key.get((province_key, ward_key))
        if old is None or new is None:
            raise SourceDataError(f"mapping {old_key} -> {province_key}/{ward_key} names an unknown unit")
        if old["wardCode"]:  # island districts without communes have no commune code to map
            links[old["wardCode"]].append((main, new))

    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                link(old_key, province_key, ward_key, True)
    for province_key, splits in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in splits.items():
            for part in parts:
                link(old_key, province_key, part["newWardKey"], bool(part["isDefaultNewWard"]))
    out: dict[str, list[str]] = {}
    for old, found in links.items():
        mains = sorted({new for main, new in found if main})
        others = sorted({new for main, new in found if not main} - set(mains))
        if len(mains) != 1:
            raise SourceDataError(f"commune {old} has {len(mains)} main successors: {mains}")
        out[old] = mains + others
    return out


def rows_from_package(
    legacy: Iterable[Mapping[str, Any]],
    current: Iterable[Mapping[str, Any]],
    converter: Mapping[str, Any],
) -> list[GazetteerRow]:
    """All versions, sorted by commune code then valid_from (deterministic output)."""
    legacy, current = list(legacy), list(current)
    successors = successor_map(legacy, current, converter)
    rows: list[GazetteerRow] = []
    for r in legacy:
        if not r["wardCode"]:
            continue  # 5 island districts (e.g. Hoàng Sa, Bạch Long Vĩ) had no commune level
        code = r["wardCode"]
        if code not in successors:
            raise SourceDataError(f"old commune {code} has no successor in the 2025 mapping")
        rows.append(
            GazetteerRow(
                code,
                _nfc(r["ward"]),
                r["districtCode"],
                _nfc(r["district"]),
                r["provinceCode"],
                _nfc(r["province"]),
                LEGACY_FROM,
                LEGACY_TO,
                _coord(r["wardLat"]),
                _coord(r["wardLon"]),
                tuple(successors[code]),
            )
        )
    for r in current:
        rows.append(
            GazetteerRow(
                r["wardCode"],
                _nfc(r["ward"]),
                None,
                None,
                r["provinceCode"],
                _nfc(r["province"]),
                REFORM_2025,
                None,
                _coord(r["wardLat"]),
                _coord(r["wardLon"]),
            )
        )
    rows.sort(key=lambda row: (row.commune_code, row.valid_from))
    return rows
