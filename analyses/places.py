"""Where a commune code sits (district, province) on a day, and when its gazetteer version ends.

The area paths the register wrote into the log come first; the gazetteer fills in the other end
of moves to communes the log never resolved and tells when a commune was remapped (the 1 July
2025 reform), so residence can follow the boundary change without counting a move.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from analyses.facts import EPOCH

Path3 = tuple[str, str | None, str | None]  # commune, district, province
ABROAD: Path3 = ("ABROAD", "ABROAD", "ABROAD")
UNKNOWN: Path3 = ("UNKNOWN", "UNKNOWN", "UNKNOWN")
SPECIAL = {"ABROAD": ABROAD, None: UNKNOWN}


def area_level(code: str) -> str:
    """'country', 'province', 'district' or 'commune' by the code's shape (VN, 2, 3, 5 digits)."""
    if code == "VN":
        return "country"
    if code.isdigit():
        level = {2: "province", 3: "district", 5: "commune"}.get(len(code))
        if level:
            return level
    raise ValueError(f"area {code!r} is not an area code (VN, or 2, 3 or 5 digits)")


def in_area(path: Path3 | None, level: str, code: str) -> bool:
    if path is None or path[0] in ("ABROAD", "UNKNOWN"):
        return False
    if level == "country":
        return True
    if level == "province":
        return path[2] == code
    if level == "district":
        return path[1] == code
    return path[0] == code


def crosses(origin: Path3, dest: Path3) -> tuple[bool, bool, bool]:
    """Whether a move crosses the commune, district and province level (INDICATORS.md).

    Unknown or abroad at either end crosses every level. Where either end has no district (units
    after the 2025 reform) the district level follows the province level.
    """
    if origin[0] in ("ABROAD", "UNKNOWN") or dest[0] in ("ABROAD", "UNKNOWN"):
        return True, True, True
    province = origin[2] != dest[2]
    district = province if origin[1] is None or dest[1] is None else origin[1] != dest[1]
    return origin[0] != dest[0], district or province, province


class PlaceResolver:
    """Paths of communes on a day, from the log's own area paths and an optional gazetteer."""

    def __init__(self, gazetteer: Any | None = None, observed: dict[str, Path3] | None = None):
        self.gazetteer = gazetteer
        self.observed = dict(observed or {})
        self._versions: dict[str, list[tuple[int, int | None, Path3, str | None]]] = defaultdict(list)
        if gazetteer is not None:
            for row in gazetteer.rows:
                start = row.valid_from.toordinal() - EPOCH
                end = None if row.valid_to is None else row.valid_to.toordinal() - EPOCH
                successor = row.successors[0] if row.successors else None
                self._versions[row.commune_code].append(
                    (start, end, (row.commune_code, row.district_code, row.province_code), successor)
                )
            for versions in self._versions.values():
                versions.sort(key=lambda v: v[0])

    @property
    def version(self) -> str:
        return getattr(self.gazetteer, "version", "log-only")

    def _version(self, commune: str, day: int) -> tuple[int, int | None, Path3, str | None] | None:
        found = None
        for v in self._versions.get(commune, ()):
            if v[0] <= day and (v[1] is None or day <= v[1]):
                found = v  # later versions win where they overlap, as in the gazetteer
        return found

    def path(self, place: str | None, day: int) -> Path3:
        """The path of a move's other end; ABROAD/UNKNOWN for those; commune only if unknown."""
        if place in SPECIAL:
            return SPECIAL[place]
        v = self._version(place, day)
        if v is not None:
            return v[2]
        return self.observed.get(place, (place, None, None))

    def next_change(self, path: Path3, day: int) -> tuple[int, Path3] | None:
        """The first day after `day` on which this commune's version ends, and what it became."""
        v = self._version(path[0], day)
        if v is None or v[1] is None:
            return None
        change = v[1] + 1
        new = self._version(v[3] or path[0], change)
        if new is None:
            return None
        return change, new[2]

    def same_place(self, a: str, b: str, day: int) -> bool:
        """Two codes for one commune across a remap (an old code and what it became)."""
        if a == b:
            return True
        va, vb = self._version(a, day), self._version(b, day)
        if va is None or vb is None:
            for x, y in ((a, b), (b, a)):
                old = self._versions.get(x)
                if old and any(v[3] == y for v in old):
                    return True
            return False
        return va[2] == vb[2]
