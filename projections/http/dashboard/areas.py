"""The area tree, name search and map centroids for the dashboard, from a Gazetteer. Pure.

Units are those in force on one day (the end of the chosen period, or today for the view of the
34 provinces after the 1 July 2025 reform); each day's index is built once and kept.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date

from events.gazetteer import COUNTRY, COUNTRY_NAME, Gazetteer, Unit, level

# Words that name the kind of unit, left out when ranking search hits ("son la" is "Tỉnh Sơn La").
KIND_WORDS = ("thanh pho", "tinh", "huyen", "quan", "thi xa", "thi tran", "xa", "phuong", "dac khu")
_DEPTH = {"country": 0, "province": 1, "district": 2, "commune": 3}


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d): "Sơn La" and "son la" fold to the same text."""
    text = text.replace("đ", "d").replace("Đ", "D")
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def _bare(folded: str) -> str:
    for word in KIND_WORDS:
        if folded.startswith(word + " "):
            return folded[len(word) + 1 :]
    return folded


@dataclass(frozen=True, slots=True)
class Area:
    """One unit as the page shows it: code, name, level, parents and a map point."""

    code: str
    name: str
    level: str
    province: str | None
    district: str | None
    lat: float | None
    lon: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "province": self.province,
            "district": self.district,
            "lat": self.lat,
            "lon": self.lon,
        }


def _centroid(units: list[Unit]) -> tuple[float | None, float | None]:
    points = [(u.lat, u.lon) for u in units if u.lat is not None and u.lon is not None]
    if not points:
        return None, None
    return (round(sum(p[0] for p in points) / len(points), 6), round(sum(p[1] for p in points) / len(points), 6))


class DayIndex:
    """Every unit in force on one day, with children lists and folded names for search."""

    def __init__(self, gazetteer: Gazetteer, day: date):
        self.day = day
        communes = gazetteer.communes(on=day)
        by_province: dict[str, list[Unit]] = defaultdict(list)
        by_district: dict[str, list[Unit]] = defaultdict(list)
        for c in communes:
            by_province[c.province or ""].append(c)
            if c.district:
                by_district[c.district].append(c)
        self.areas: dict[str, Area] = {
            COUNTRY: Area(COUNTRY, COUNTRY_NAME, "country", None, None, *_centroid(communes))
        }
        self.children: dict[str, list[str]] = defaultdict(list)
        self.communes_of: dict[str, list[str]] = {COUNTRY: [c.code for c in communes]}
        for p in gazetteer.provinces(day):
            members = by_province.get(p.code, [])
            self.areas[p.code] = Area(p.code, p.name, "province", p.code, None, *_centroid(members))
            self.children[COUNTRY].append(p.code)
            self.communes_of[p.code] = [c.code for c in members]
        for d in gazetteer.districts(on=day):
            members = by_district.get(d.code, [])
            self.areas[d.code] = Area(d.code, d.name, "district", d.province, None, *_centroid(members))
            self.children[d.province or ""].append(d.code)
            self.communes_of[d.code] = [c.code for c in members]
        for c in communes:
            self.areas[c.code] = Area(c.code, c.name, "commune", c.province, c.district, c.lat, c.lon)
            # After the 2025 reform a commune hangs directly under its province (no districts).
            self.children[c.district or c.province or ""].append(c.code)
            self.communes_of[c.code] = [c.code]
        for kids in self.children.values():
            kids.sort(key=lambda code: fold(self.areas[code].name))
        self.folded = {code: fold(a.name) for code, a in self.areas.items()}

    def path(self, code: str) -> list[Area]:
        """The unit and its parents, country first."""
        area = self.areas[code]
        chain = [self.areas[COUNTRY]]
        for parent in (area.province, area.district):
            if parent and parent != code and parent in self.areas:
                chain.append(self.areas[parent])
        if code != COUNTRY:
            chain.append(area)
        return chain

    def within(self, code: str, scope: str) -> bool:
        """Whether unit `code` lies inside `scope` (a token's area) on this day."""
        if scope == COUNTRY or code == scope:
            return True
        area = self.areas.get(code)
        if area is None or _DEPTH[area.level] <= _DEPTH[level(scope)]:
            return False
        return scope in (area.province, area.district)

    def search(self, query: str, scope: str = COUNTRY, limit: int = 20) -> list[Area]:
        """Units whose name contains the query, diacritics and case ignored; best matches first:
        the name itself (without "Tỉnh", "Xã"...) equal, then starting with it, then containing it."""
        q = fold(query)
        if not q:
            return []
        if q.isdigit() and q in self.areas:
            return [self.areas[q]] if self.within(q, scope) else []
        hits: list[tuple[int, int, str, str]] = []
        for code, name in self.folded.items():
            if q not in name or not self.within(code, scope):
                continue
            bare = _bare(name)
            rank = 0 if bare == q or name == q else 1 if bare.startswith(q) else 2 if f" {q}" in f" {name}" else 3
            hits.append((rank, _DEPTH[self.areas[code].level], name, code))
        hits.sort()
        return [self.areas[code] for *_, code in hits[:limit]]


class AreaIndex:
    """DayIndex per day for one gazetteer version (a few days kept: periods change often)."""

    def __init__(self, gazetteer: Gazetteer, keep: int = 12):
        self.gazetteer = gazetteer
        self.version = gazetteer.version
        self._days: OrderedDict[date, DayIndex] = OrderedDict()
        self._keep = keep

    def on(self, day: date) -> DayIndex:
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = DayIndex(self.gazetteer, day)
            while len(self._days) > self._keep:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(day)
        return found
