"""Per-person rows of the counting-process table and of the yearly residence sequences."""

from __future__ import annotations

from datetime import date

from analyses.facts import EPOCH
from analyses.fold import History
from analyses.rows import Scope

YEAR = 365.25
# The sequence alphabet is fixed so sequences from different exports compare (docs/analyses.md).
ALPHABET = {
    ".": "not yet in the register (before birth, registration or arrival)",
    "O": "in the commune of origin (first commune observed)",
    "C": "another commune of the district of origin",
    "D": "another district of the province of origin",
    "P": "another province",
    "A": "abroad (left for abroad)",
    "U": "away, whereabouts unknown to the register (left, not yet or never arrived)",
    "X": "dead",
}


def anniversary(birth_day: int, years: int) -> int:
    """The day a person reaches `years` (29 February birthdays turn on 1 March in common years)."""
    b = date.fromordinal(birth_day + EPOCH)
    try:
        d = b.replace(year=b.year + years)
    except ValueError:
        d = date(b.year + years, 3, 1)
    return d.toordinal() - EPOCH


def counting_process(h: History, segs: list[tuple], evs: list[tuple]):
    """Women 15-49: one row per constant-covariate interval, age as the time scale, the event a birth."""
    if h.sex != "F" or not segs:
        return
    lo, hi = anniversary(h.birth_day, 15), anniversary(h.birth_day, 50)
    births: dict[int, int] = {}
    for ev in evs:
        if ev[4] == "birth":
            births[ev[3]] = births.get(ev[3], 0) + 1
    moved_in = sorted(m["in_day"] for m in h.moves if m["in_day"] is not None)
    for seg in segs:
        _, _, bd, s0, e0, commune, district, province, marital, parity, method, sons, daughters = seg
        s, e = max(s0, lo), min(e0, hi)
        if s >= e:
            continue
        n = births.get(e, 0) if e == e0 else 0
        last_birth = None
        if parity:
            for k, start, _entry, _end, _kind in h.parities:
                if k == parity and start is not None and start <= s:
                    last_birth = round((s - start) / YEAR, 4)
        migrant = h.entry_type == "in_migration" or any(d <= s for d in moved_in)
        yield (
            h.key,
            round((s - bd) / YEAR, 6),
            round((e - bd) / YEAR, 6),
            n > 0,
            n,
            s,
            e,
            parity,
            sons,
            daughters,
            marital,
            method,
            commune,
            district,
            province,
            migrant,
            last_birth,
            round(1970 + s / YEAR, 4),
        )


def _origin_sets(h: History) -> tuple[set, set, set]:
    communes, districts, provinces = set(), set(), set()
    for i, (_s, _e, path, start_kind, _k) in enumerate(h.residence):
        if i > 0 and start_kind != "relabel":
            break
        communes.add(path[0])
        districts.add(path[1])
        provinces.add(path[2])
    return communes, districts, provinces


def sequences(h: History, sc: Scope):
    """The person's state on 31 December of each year of the range (or on its last day)."""
    origin = _origin_sets(h)
    first_year = date.fromordinal(sc.lo + EPOCH).year
    last_year = date.fromordinal(sc.hi - 1 + EPOCH).year
    line, i, snap = h.timeline, 0, None
    for year in range(first_year, last_year + 1):
        ref = min(date(year, 12, 31).toordinal() - EPOCH, sc.hi - 1)
        while i < len(line) and line[i][0] <= ref:
            snap = line[i][1]
            i += 1
        path = None
        if snap is None:
            state = "."
        elif snap[1] == "dead":
            state = "X"
        elif snap[1] == "away":
            away = [m for m in h.moves if (m["out_day"] or 0) <= ref and (m["in_day"] is None or m["in_day"] > ref)]
            state = "A" if away and away[-1]["dest"][0] == "ABROAD" else "U"
        else:
            path = snap[0]
            state = (
                "O"
                if path[0] in origin[0]
                else "C"
                if path[1] in origin[1] and path[1] is not None
                else "D"
                if path[2] in origin[2]
                else "P"
            )
        yield (h.key, h.sex, date.fromordinal(h.birth_day + EPOCH).year, year, state, *(path or (None, None, None)))
