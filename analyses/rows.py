"""One person's history cut to an area and a date range: the rows of every data set.

Observation windows are the stretches of time the person lived in the area inside [from, to];
state episodes are intersected with them, so a spell starts late (left truncation) when the
state began before the person was observed, and ends with the reason observation stopped:
the state's own event, death, emigration from the area, or censoring at the end of the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analyses.facts import EPOCH
from analyses.fold import History
from analyses.places import crosses, in_area
from events.calendar import completed_age

WINDOW_ENTRY = {"birth": "birth", "registered": "baseline", "move_in": "in_migration", "relabel": "boundary_change"}
SWITCH_DAYS = 30  # a new method within a month of stopping is a switch (DHS calendar practice)


@dataclass(frozen=True)
class Scope:
    level: str
    code: str
    lo: int  # first day observed
    hi: int  # day after the last day observed

    def holds(self, path) -> bool:
        return in_area(path, self.level, self.code)


def windows(h: History, sc: Scope) -> list[list]:
    """[start, end, entry_reason, exit_reason] of each stay in the area inside the range."""
    out: list[list] = []
    for start, end, path, start_kind, end_kind in h.residence:
        if not sc.holds(path):
            continue
        s, e = max(start, sc.lo), min(sc.hi if end is None else end, sc.hi)
        if s > e or (s == e and end_kind != "death"):
            continue
        exit_reason = (
            "censored"
            if end is None or end >= sc.hi
            else ("death" if end_kind == "death" else "censored" if end_kind == "relabel" else "emigration")
        )
        if out and out[-1][1] == s:  # moved inside the area (or a boundary relabel): one stay
            out[-1][1], out[-1][3] = e, exit_reason
            continue
        out.append([s, e, "period_start" if s > start else WINDOW_ENTRY[start_kind], exit_reason])
    return out


def _cut(episodes, wins, start_i, entry_i, end_i, kind_i):
    """Each (episode, window) overlap: (episode, s, e, end_reason, end_detail)."""
    for ep in episodes:
        ep_entry, ep_end = ep[entry_i], ep[end_i]
        for ws, we, _, exit_reason in wins:
            s = max(ep_entry, ws)
            e = we if ep_end is None else min(ep_end, we)
            ends_inside = ep_end is not None and ws <= ep_end <= we
            if s > e or (s == e and not ends_inside):
                continue
            if ends_inside:
                reason = "death" if ep[kind_i] == "death" else "event"
                detail = ep[kind_i]
            else:
                reason, detail = exit_reason, None
            yield ep, s, e, reason, detail


def _path_at(h: History, day: int):
    found = None
    for start, end, path, *_ in h.residence:
        if start <= day and (end is None or day < end):
            found = path
    return found or (None, None, None)


def person_rows(h: History, sc: Scope) -> dict[str, list[tuple]] | None:
    wins = windows(h, sc)
    if not wins:
        return None
    base = (h.key, h.sex, h.birth_day)
    spells: list[tuple] = []

    def add(kind, no, state, start, s, e, reason, detail, nxt):
        area = _path_at(h, s)
        spells.append((*base, kind, no, state, start, s, e, start is None or s > start, reason, detail, nxt, *area))

    for no, (ep, s, e, reason, detail) in enumerate(_cut(h.unions, wins, 1, 2, 3, 4)):
        add("union", no, ep[0], ep[1], s, e, reason, detail, detail if reason == "event" else None)
    for no, (ep, s, e, reason, detail) in enumerate(_cut(h.parities, wins, 1, 2, 3, 4)):
        add("parity", no, str(ep[0]), ep[1], s, e, reason, detail, str(ep[0] + 1) if reason == "event" else None)
    contra = [[m, st, st, en, kind] for m, st, en, kind in h.contra]
    for no, (ep, s, e, reason, detail) in enumerate(_cut(contra, wins, 1, 2, 3, 4)):
        nxt = None
        if reason == "event":  # the method started next within a month, or "none"
            nxt = next((c[0] for c in h.contra if c[1] > ep[1] and ep[3] <= c[1] <= ep[3] + SWITCH_DAYS), "none")
        add("contraception", no, ep[0], ep[1], s, e, reason, detail, nxt)
    no = 0
    for start, end, path, _sk, end_kind in h.residence:
        if not sc.holds(path):
            continue
        for ws, we, _, exit_reason in wins:
            s, e = max(start, ws), we if end is None else min(end, we)
            if s > e or (s == e and end_kind != "death"):
                continue
            if end is None or end > we or (end == we and exit_reason == "censored" and end_kind != "relabel"):
                reason, detail = "censored", None
            elif end_kind == "death":
                reason, detail = "death", "death"
            elif end == we and exit_reason == "emigration":
                reason, detail = "emigration", end_kind
            else:
                reason, detail = ("censored", "relabel") if end_kind == "relabel" else ("event", end_kind)
            nxt = _path_at(h, end)[0] if reason == "event" and end is not None else None
            spells.append((*base, "residence", no, path[0], start, s, e, s > start, reason, detail, nxt, *path))
            no += 1
    return {
        "spells": spells,
        "segments": list(segments(h, sc)),
        "events": list(events(h, sc)),
        "moves": list(moves(h, sc)),
        "persons": [
            (
                *base,
                h.mother,
                h.entry_day,
                h.entry_type,
                h.death_day,
                h.baseline_parity,
                h.parity_source,
                wins[0][0],
                wins[-1][1],
                wins[0][2],
                wins[-1][3],
                len(wins),
                h.entry_type == "in_migration" or bool(h.moves),
            )
        ],
    }


def segments(h: History, sc: Scope):
    """Constant-state pieces of time in the area: (key, sex, birth, start, end, area, state...)."""
    line = h.timeline
    for i, (day, snap) in enumerate(line):
        nxt = line[i + 1][0] if i + 1 < len(line) else sc.hi
        path, status, marital, parity, method, sons, daughters = snap
        if status != "in" or not sc.holds(path):
            continue
        s, e = max(day, sc.lo), min(nxt, sc.hi)
        if s < e:
            yield (h.key, h.sex, h.birth_day, s, e, *path, marital, parity, method or "none", sons, daughters)


def events(h: History, sc: Scope):
    for day, kind, snap, x in h.events:
        path, status, marital, parity, method, sons, daughters = snap
        if not (sc.lo <= day < sc.hi) or status != "in" or not sc.holds(path):
            continue
        cr = x.get("crosses", (None, None, None))
        yield (
            h.key,
            h.sex,
            h.birth_day,
            day,
            kind,
            *path,
            marital,
            parity,
            method or "none",
            x.get("child_sex"),
            x.get("order"),
            x.get("first"),
            *cr,
            x.get("sons"),
            x.get("daughters"),
            x.get("comp_known"),
        )


def moves(h: History, sc: Scope):
    been: list[set[str | None]] = [set(), set(), set()]  # communes, districts, provinces lived in before each move
    for _start, _end, path, *_ in h.residence[:1]:
        for i in range(3):
            been[i].add(path[i])
    for n, mv in enumerate(sorted(h.moves, key=lambda m: m["out_day"] or m["in_day"]), start=1):
        day = mv["out_day"] if mv["out_day"] is not None else mv["in_day"]
        o, d = mv["origin"], mv["dest"]
        for i in range(3):
            been[i].add(o[i])
        returns = tuple(d[i] in been[i] and d[i] != o[i] and d[0] not in ("ABROAD", "UNKNOWN") for i in range(3))
        if (sc.lo <= day < sc.hi) and (sc.holds(o) or sc.holds(d)):
            yield (
                h.key,
                h.sex,
                h.birth_day,
                n,
                day,
                mv["out_day"],
                mv["in_day"],
                age(h.birth_day, day),
                *o,
                *d,
                mv["confirmed"],
                *crosses(o, d),
                *returns,
            )
        if mv["confirmed"]:
            for i in range(3):
                been[i].add(d[i])


def age(birth_day: int, day: int) -> int:
    """Completed years (a 29 February birthday falls on 1 March in common years)."""
    return completed_age(date.fromordinal(birth_day + EPOCH), date.fromordinal(day + EPOCH))
