"""Where things happen: the province's communes from the real gazetteer, and their codes on a day.

State keeps the commune a person lives in as an index into the units in force at the start.
Events carry the code in force on their occurrence day: from 1 July 2025 a commune is known by
the code of the new commune it became (`Gazetteer.successor`), and districts no longer exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from events.gazetteer import Gazetteer
from producers.generator.rand import Rand, Table

# Where people of a northern mountain province go and come from: 88 % of the region's out-migrants
# go to the Red River Delta (PCFPS 2021 [V20]); the industrial provinces attract most (Bình
# Dương, Bắc Ninh, HCMC, Hà Nội [V19]). Weights are L. Codes are those in force before 2025;
# successors are used afterwards.
OTHER_PROVINCES = (
    ("01", 0.36),
    ("27", 0.12),
    ("26", 0.06),
    ("30", 0.05),
    ("31", 0.05),
    ("33", 0.04),
    ("19", 0.04),
    ("74", 0.09),
    ("79", 0.08),
    ("75", 0.03),
    ("11", 0.04),
    ("15", 0.02),
    ("17", 0.02),
)
_PER_PROVINCE = 40  # communes kept as destinations per other province


@dataclass(frozen=True)
class Commune:
    code: str  # the code at the start
    name: str
    district: str | None
    switch: int  # first date ordinal on which the successor code applies (no switch: huge)
    new_code: str
    new_name: str
    urban: bool
    province: str  # before the switch
    new_province: str  # after it


class Places:
    """The province's communes at `start`, their districts, codes by day, and other provinces."""

    def __init__(self, gaz: Gazetteer, province: str, start: date, r: Rand, households: int):
        units = gaz.communes(province=province, on=start)
        if not units:
            raise ValueError(f"the gazetteer has no communes in province {province!r} on {start}")
        # A commune has some 1,400 households in Sơn La (283,468 / 204, DEMOGRAPHY §2.3); a small
        # run keeps communes of at least ~100 households (spread over every district) so that
        # people still find spouses and neighbours in their own commune.
        keep = min(len(units), max(len({u.district for u in units}), households // 100))
        if keep < len(units):
            units = sorted(units, key=lambda u: (u.district or "", u.code))
            units = [units[i * len(units) // keep] for i in range(keep)]
        self.province = province
        self.communes = [self._commune(gaz, u) for u in units]
        self.by_district: dict[str | None, list[int]] = {}
        for i, c in enumerate(self.communes):
            self.by_district.setdefault(c.district, []).append(i)
        self.district_list = list(self.by_district)
        self._groups: dict[tuple[int, str], list[int]] = {}
        self.others = self._others(gaz, start, r)

    @staticmethod
    def _commune(gaz: Gazetteer, unit) -> Commune:
        switch, new_code, new_name, new_province = 10**7, unit.code, unit.name, unit.province
        if unit.valid_to is not None:
            successor = gaz.successor(unit.code) or unit.code
            after = date.fromordinal(unit.valid_to.toordinal() + 1)
            path = gaz.resolve(successor, after)
            if path is not None:
                switch, new_code, new_name = after.toordinal(), successor, gaz.name(successor, after)
                new_province = path.province
        urban = unit.name.startswith(("Phường", "Thị trấn"))
        return Commune(
            unit.code,
            unit.name,
            unit.district,
            switch,
            new_code,
            new_name,
            urban,
            unit.province or "",
            new_province or "",
        )

    def _others(self, gaz: Gazetteer, start: date, r: Rand) -> Table:
        picks, weights = [], []
        for code, w in OTHER_PROVINCES:
            if code == self.province:
                continue
            units = gaz.communes(province=code, on=start)
            if not units:
                continue
            chosen = [self._commune(gaz, units[r.below(len(units))]) for _ in range(_PER_PROVINCE)]
            picks.append(chosen)
            weights.append(w)
        return Table(picks, weights)

    def code(self, commune: int, day: int) -> str:
        c = self.communes[commune]
        return c.code if day < c.switch else c.new_code

    def name(self, commune: int, day: int) -> str:
        c = self.communes[commune]
        return c.name if day < c.switch else c.new_name

    def has_districts(self, day: int) -> bool:
        return self.communes[0].district is not None and day < self.communes[0].switch

    def same_code(self, commune: int, day: int) -> list[int]:
        """All start-units that carry the same code as `commune` on `day` (merged communes)."""
        code = self.code(commune, day)
        key = (0 if day < self.communes[commune].switch else 1, code)
        group = self._groups.get(key)
        if group is None:
            group = [i for i in range(len(self.communes)) if self.code(i, day) == code]
            self._groups[key] = group
        return group

    def elsewhere(self, r: Rand, day: int) -> str:
        """A commune code of another province, valid on `day`.

        After the 2025 reform some provinces merged; a commune that now lies in this province's
        successor is not "another province", so it is skipped.
        """
        home = self.communes[0]
        here = home.province if day < home.switch else home.new_province
        for _ in range(100):  # 13 provinces: at most a few of them merge with this one
            c: Commune = r.pick(self.others.draw(r))
            if (c.province if day < c.switch else c.new_province) != here:
                break
        return c.code if day < c.switch else c.new_code
