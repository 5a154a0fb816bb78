"""The gazetteer: Vietnam's administrative units as dated versions, resolved on any day. Pure.

A row is one version of one commune (CONTRACT.md CSV): its code, names, district and province
on [valid_from, valid_to]. Districts and provinces exist through their communes. Codes follow
the GSO practice of the 1 July 2025 reform: a new commune or province keeps the code of one of
the units merged into it, so one code can have two versions (before and after); the newer one
is always the legal continuation of the older (checked against the remap, see
tests/unit/test_gazetteer_builtin.py), never an unrelated unit.
"""

from __future__ import annotations

import bisect
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from events.register import AreaPath

Level = Literal["commune", "district", "province", "country"]
COUNTRY = "VN"
COUNTRY_NAME = "Việt Nam"
REFORM_2025 = date(2025, 7, 1)  # Resolution 202/2025/QH15: 34 provinces, no districts


@dataclass(frozen=True, slots=True)
class GazetteerRow:
    """One version of one commune: a line of the CONTRACT.md gazetteer CSV."""

    commune_code: str
    commune_name: str
    district_code: str | None
    district_name: str | None
    province_code: str
    province_name: str
    valid_from: date
    valid_to: date | None = None  # None while in force
    lat: float | None = None  # centroid, for maps
    lon: float | None = None
    successors: tuple[str, ...] = ()  # communes it became when it ended, the main one first

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Unit:
    """An administrative unit as it stood on a given day (commune, district or province)."""

    code: str
    name: str
    level: Level
    district: str | None  # parent codes; None when there is no such level
    province: str | None
    valid_from: date
    valid_to: date | None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Remap:
    """One old commune -> new commune link of a reform; `main` marks where most of it went.

    The source data has no population or area shares for split communes, only the main
    successor, so there is no share figure here.
    """

    old_commune: str
    new_commune: str
    main: bool
    on: date  # the first day of the new unit


def level(code: str) -> Level:
    """The level of an area code by its shape: VN, 2, 3 or 5 digits."""
    if code == COUNTRY:
        return "country"
    if code.isdigit() and code.isascii():
        match len(code):
            case 2:
                return "province"
            case 3:
                return "district"
            case 5:
                return "commune"
    raise ValueError(f"{code!r} is not an area code (VN, or 2, 3 or 5 digits)")


class _Spans:
    """Named, dated spans of a district or province, built from its communes' versions."""

    __slots__ = ("starts", "spans")

    def __init__(self) -> None:
        self.starts: list[date] = []
        self.spans: list[tuple[date, date | None, str, str | None]] = []  # from, to, name, parent

    def add(self, start: date, end: date | None, name: str, parent: str | None) -> None:
        self.spans.append((start, end, name, parent))

    def merged(self) -> _Spans:
        # Adjacent or overlapping spans with the same name and parent become one.
        out = _Spans()
        for start, end, name, parent in sorted(self.spans, key=lambda s: s[0]):
            if out.spans:
                s0, e0, n0, p0 = out.spans[-1]
                touching = e0 is None or start.toordinal() <= e0.toordinal() + 1
                if touching and (n0, p0) == (name, parent):
                    later = None if e0 is None or end is None else max(e0, end)
                    out.spans[-1] = (s0, later, n0, p0)
                    continue
            out.starts.append(start)
            out.spans.append((start, end, name, parent))
        return out

    def on(self, day: date) -> tuple[date, date | None, str, str | None] | None:
        i = bisect.bisect_right(self.starts, day)
        for span in reversed(self.spans[:i]):
            if span[1] is None or day <= span[1]:
                return span
        return None


class Gazetteer:
    """Resolves commune codes on any date; later rows win where versions of a code overlap."""

    def __init__(self, rows: Iterable[GazetteerRow]):
        self.rows: tuple[GazetteerRow, ...] = tuple(rows)
        self._by_code: dict[str, list[GazetteerRow]] = defaultdict(list)
        districts: dict[str, _Spans] = defaultdict(_Spans)
        provinces: dict[str, _Spans] = defaultdict(_Spans)
        for row in self.rows:
            self._by_code[row.commune_code].append(row)
            if row.district_code is not None:
                districts[row.district_code].add(
                    row.valid_from, row.valid_to, row.district_name or "", row.province_code
                )
            provinces[row.province_code].add(row.valid_from, row.valid_to, row.province_name, None)
        self._by_code = dict(sorted(self._by_code.items()))  # listings come out in code order
        self._districts = dict(sorted(districts.items()))  # merged on first use of each code
        self._provinces = dict(sorted(provinces.items()))
        self._merged: dict[tuple[str, str], _Spans] = {}
        self._paths: dict[int, AreaPath] = {}  # id(row) -> its AreaPath, built once
        self._remaps: dict[date, list[Remap]] = {}
        self._version: str | None = None

    @property
    def version(self) -> str:
        """A content hash of the rows (changes whenever any version of any unit changes)."""
        if self._version is None:
            digest = hashlib.sha256()
            for r in self.rows:
                digest.update(
                    "\x1f".join(
                        map(
                            str,
                            (
                                r.commune_code,
                                r.commune_name,
                                r.district_code,
                                r.district_name,
                                r.province_code,
                                r.province_name,
                                r.valid_from,
                                r.valid_to,
                                r.lat,
                                r.lon,
                                ";".join(r.successors),
                            ),
                        )
                    ).encode()
                    + b"\x1e"
                )
            self._version = digest.hexdigest()[:16]
        return self._version

    def __len__(self) -> int:
        return len(self.rows)

    def _row(self, commune: str, on: date) -> GazetteerRow | None:
        for row in reversed(self._by_code.get(commune, ())):
            if row.covers(on):
                return row
        return None

    def resolve(self, commune: str, on: date) -> AreaPath | None:
        """The commune's district (None after the 2025 reform), province and country on `on`."""
        row = self._row(commune, on)
        if row is None:
            return None
        path = self._paths.get(id(row))
        if path is None:
            path = AreaPath(commune=row.commune_code, district=row.district_code, province=row.province_code)
            self._paths[id(row)] = path
        return path

    def exists(self, commune: str, on: date) -> bool:
        return self._row(commune, on) is not None

    def unit(self, code: str, on: date) -> Unit | None:
        """The commune, district or province with this code on `on` (None if none then)."""
        try:
            kind = level(code)
        except ValueError:
            return None
        if kind == "country":
            return Unit(COUNTRY, COUNTRY_NAME, "country", None, None, date.min, None)
        if kind == "commune":
            row = self._row(code, on)
            if row is None:
                return None
            return Unit(
                row.commune_code,
                row.commune_name,
                "commune",
                row.district_code,
                row.province_code,
                row.valid_from,
                row.valid_to,
                row.lat,
                row.lon,
            )
        spans = self._spans(kind, code)
        span = spans.on(on) if spans is not None else None
        if span is None:
            return None
        start, end, name, parent = span
        province = parent if kind == "district" else code
        return Unit(code, name, kind, None, province, start, end)

    def _spans(self, kind: str, code: str) -> _Spans | None:
        merged = self._merged.get((kind, code))
        if merged is None:
            raw = (self._districts if kind == "district" else self._provinces).get(code)
            if raw is None:
                return None
            merged = self._merged[(kind, code)] = raw.merged()
        return merged

    def name(self, code: str, on: date) -> str:
        found = self.unit(code, on)
        if found is None:
            raise KeyError(f"no administrative unit {code!r} on {on.isoformat()}")
        return found.name

    def level(self, code: str) -> Level:
        return level(code)

    def contains(self, area_code: str, commune: str, on: date) -> bool:
        """Whether the commune lies in the area (commune, district, province or VN) on `on`."""
        path = self.resolve(commune, on)
        if path is None:
            return False
        match level(area_code):
            case "country":
                return True
            case "province":
                return path.province == area_code
            case "district":
                return path.district == area_code
            case _:
                return path.commune == area_code

    def communes(self, province: str | None = None, district: str | None = None, on: date | None = None) -> list[Unit]:
        """Communes in force on `on` (default today), optionally within a province or district."""
        day = on or date.today()
        out: list[Unit] = []
        for code in self._by_code:
            row = self._row(code, day)
            if row is None:
                continue
            if province is not None and row.province_code != province:
                continue
            if district is not None and row.district_code != district:
                continue
            out.append(
                Unit(
                    row.commune_code,
                    row.commune_name,
                    "commune",
                    row.district_code,
                    row.province_code,
                    row.valid_from,
                    row.valid_to,
                    row.lat,
                    row.lon,
                )
            )
        return out

    def districts(self, province: str | None = None, on: date | None = None) -> list[Unit]:
        day = on or date.today()
        found = (self.unit(code, day) for code in self._districts)
        return [u for u in found if u is not None and province in (None, u.province)]

    def provinces(self, on: date | None = None) -> list[Unit]:
        day = on or date.today()
        found = (self.unit(code, day) for code in self._provinces)
        return [u for u in found if u is not None]

    def successors(self, old_commune: str) -> list[str]:
        """Every commune the old one became at its last ending (main first); [] if none known."""
        for row in reversed(self._by_code.get(old_commune, ())):
            if row.successors:
                return list(row.successors)
        return []

    def successor(self, old_commune: str) -> str | None:
        """The main commune an old commune became on 1 July 2025 (itself if it kept its code)."""
        for row in reversed(self._by_code.get(old_commune, ())):
            if row.valid_to == date(2025, 6, 30) and row.successors:
                return row.successors[0]
        return None

    def remap(self, on: date) -> list[Remap]:
        """All old -> new links of the change that took effect on `on`."""
        if on not in self._remaps:
            ended = date.fromordinal(on.toordinal() - 1)
            self._remaps[on] = [
                Remap(row.commune_code, new, i == 0, on)
                for row in self.rows
                if row.valid_to == ended
                for i, new in enumerate(row.successors)
            ]
        return list(self._remaps[on])

    def remap_2025(self) -> list[Remap]:
        """The 2025 reform: which old communes became which new ones (splits: several rows)."""
        return self.remap(REFORM_2025)

    def predecessors(self, new_commune: str, on: date = REFORM_2025) -> list[str]:
        """The old communes (whole or part) that formed a new one in the change of `on`."""
        return sorted({r.old_commune for r in self.remap(on) if r.new_commune == new_commune})
