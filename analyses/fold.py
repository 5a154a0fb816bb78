"""Stage 2: one person's facts, in occurrence order, folded into their life history.

The history holds the episodes (residence, union, parity, contraception), the moves (followed
person by person as INDICATORS.md counts them), the dated events with the state just before
each, and a timeline of state changes from which exposure segments are cut. Pure: no I/O.
Days are integers (days since 1970-01-01).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from analyses.places import Path3, PlaceResolver, crosses
from events.calendar import within_move_window
from events.order import day_rank

DAY0 = date(1970, 1, 1)  # days are integers counted from it

FOLD_COLUMNS = (
    "role",
    "other",
    "occurred",
    "commune",
    "district",
    "province",
    "sex",
    "birth_date",
    "marital",
    "ceb",
    "birth_order",
    "method",
    "reason",
    "outcome",
    "place",
)
# The event type behind each role of a fact: facts of one day are applied in the order of their
# events (events.order, as the register and the projections apply them).
ROLE_TYPE = {
    "registered": "person.registered",
    "born": "birth",
    "child_registered": "person.registered",
    "move_out": "move_out",
    "move_in": "move_in",
    "marriage": "marriage",
    "divorce": "divorce",
    "gave_birth": "birth",
    "contra_stop": "contraception.stopped",
    "contra_start": "contraception.started",
    "pregnancy": "pregnancy.recorded",
    "pregnancy_end": "pregnancy.ended",
    "corrected": "person.corrected",
    "partner_death": "death",
    "death": "death",
}
ROLE_PRIORITY = {role: day_rank(typ) for role, typ in ROLE_TYPE.items()}
(ROLE, OTHER, DAY, COMMUNE, DISTRICT, PROVINCE, SEX, BD, MARITAL, CEB, ORDER, METHOD, REASON, OUTCOME, PLACE) = range(
    len(FOLD_COLUMNS)
)


@dataclass(slots=True)
class State:
    """What is true of a person between two facts (the covariates of exposure)."""

    path: Path3 | None = None
    status: str = "unborn"  # unborn, in, away, dead
    marital: str | None = None
    parity: int | None = None
    method: str | None = None
    sons: int = 0
    daughters: int = 0

    def snap(self) -> tuple:
        return (self.path, self.status, self.marital, self.parity, self.method, self.sons, self.daughters)


@dataclass(slots=True)
class History:
    """A person's whole register history (see module docstring)."""

    key: str
    sex: str
    birth_day: int
    mother: str | None = None
    entry_day: int | None = None
    entry_type: str | None = None  # birth, baseline, in_migration
    death_day: int | None = None
    baseline_parity: int | None = None
    parity_source: str | None = None  # ceb, children, birth, none
    comp_known: bool = True  # sexes of all earlier children known
    timeline: list[tuple[int, tuple]] = field(default_factory=list)
    residence: list[list] = field(default_factory=list)  # start, end, path, start_kind, end_kind
    unions: list[list] = field(default_factory=list)  # state, start|None, entry, end, end_kind
    parities: list[list] = field(default_factory=list)  # k, start|None, entry, end, end_kind
    contra: list[list] = field(default_factory=list)  # method, start, end, end_kind
    moves: list[dict] = field(default_factory=list)
    events: list[tuple[int, str, tuple, dict]] = field(default_factory=list)  # day, kind, state, extra


class _Folder:
    def __init__(self, h: History, places: PlaceResolver):
        self.h, self.places, self.s = h, places, State()
        self.pending: dict | None = None  # a move_out waiting for its move_in
        self.spouse: str | None = None
        self.children: list[tuple[int, str]] = []  # (birth day, sex) of children born before entry

    def mark(self, day: int) -> None:
        self.h.timeline.append((day, self.s.snap()))

    def event(self, day: int, kind: str, **extra: Any) -> dict:
        self.h.events.append((day, kind, self.s.snap(), extra))
        return extra

    # residence -------------------------------------------------------------------------
    def start_residence(self, day: int, path: Path3, kind: str) -> None:
        self.h.residence.append([day, None, path, kind, None])
        self.s.path, self.s.status = path, "in"

    def end_residence(self, day: int, kind: str) -> None:
        if self.h.residence and self.h.residence[-1][1] is None:
            self.h.residence[-1][1], self.h.residence[-1][4] = day, kind

    def relabel_until(self, day: int) -> None:
        # The gazetteer says the commune was remapped (e.g. 1 July 2025): not a move.
        while self.s.status == "in" and self.h.residence:
            change = self.places.next_change(self.s.path, self.h.residence[-1][0])
            if change is None or change[0] > day or change[1] == self.s.path:
                return
            self.end_residence(change[0], "relabel")
            self.start_residence(change[0], change[1], "relabel")
            self.mark(change[0])

    # state episodes ----------------------------------------------------------------------
    @staticmethod
    def close(episodes: list[list], day: int, kind: str, end_at: int = 3, kind_at: int = 4) -> None:
        if episodes and episodes[-1][end_at] is None:
            episodes[-1][end_at], episodes[-1][kind_at] = day, kind

    def set_marital(self, day: int, state: str, reason: str) -> None:
        self.close(self.h.unions, day, reason)
        self.h.unions.append([state, day, day, None, None])
        self.s.marital = state

    def set_parity(self, day: int, k: int) -> None:
        self.close(self.h.parities, day, "birth")
        self.h.parities.append([k, day, day, None, None])
        self.s.parity = k

    def stop_method(self, day: int, kind: str) -> None:
        self.close(self.h.contra, day, kind, 2, 3)
        self.s.method = None

    # facts -------------------------------------------------------------------------------
    def enter(self, row: tuple, kind: str) -> None:
        h, s, day = self.h, self.s, row[DAY]
        h.entry_day, h.entry_type = day, kind
        start_kind = {"birth": "birth", "baseline": "registered"}.get(kind, "move_in")
        self.start_residence(day, (row[COMMUNE], row[DISTRICT], row[PROVINCE]), start_kind)
        marital = row[MARITAL] or "never_married"
        # A status known at birth or 'never married' has a known start; others began unrecorded.
        start = h.birth_day if marital == "never_married" else None
        h.unions.append([marital, start, day, None, None])
        s.marital = marital
        if h.sex == "F":
            self.enter_parity(row, kind)
        self.mark(day)

    def enter_parity(self, row: tuple, kind: str) -> None:
        h, s, day = self.h, self.s, row[DAY]
        kids = self.children
        if kind == "birth":
            k, source = 0, "birth"
        elif row[CEB] is not None:
            k, source = max(row[CEB], len(kids)), "ceb"
        else:
            k, source = len(kids), "children" if kids else "none"
        h.baseline_parity, h.parity_source = k, source
        h.comp_known = len(kids) == k
        s.sons = sum(1 for _, sex in kids if sex == "M")
        s.daughters = sum(1 for _, sex in kids if sex == "F")
        # The youngest child living with her is taken as her k-th birth (docs/analyses.md).
        start = h.birth_day if k == 0 else (kids[-1][0] if kids else None)
        h.parities.append([k, start, day, None, None])
        s.parity = k

    def fact(self, row: tuple) -> None:
        role, day, s = row[ROLE], row[DAY], self.s
        if s.status == "dead" and role != "corrected":
            return
        self.relabel_until(day)
        if s.status == "unborn":
            if role in ("registered", "born"):
                self.enter(row, "birth" if role == "born" else "baseline")
            elif role == "move_in":
                self.enter(row, "in_migration")
                self.in_move(row, new=True)
            return
        handler = getattr(self, "on_" + role, None)
        if handler is not None:
            handler(row, day)

    def on_move_out(self, row: tuple, day: int) -> None:
        if self.s.status != "in":
            return
        dest = self.places.path(row[PLACE], day)
        move = {"out_day": day, "in_day": None, "origin": self.s.path, "dest": dest, "confirmed": False}
        move["event"] = self.event(day, "out_move", dest=dest, crosses=crosses(self.s.path, dest))
        self.pending = move
        self.end_residence(day, "out")
        self.s.path, self.s.status = None, "away"
        self.mark(day)

    def on_move_in(self, row: tuple, day: int) -> None:
        h, s = self.h, self.s
        dest = (row[COMMUNE], row[DISTRICT], row[PROVINCE])
        first = h.residence[0] if len(h.residence) == 1 else None
        if s.status == "in" and first and first[0] == day and first[3] == "registered":
            # person.registered and move_in in one batch: an arrival from outside the register.
            h.entry_type, h.residence[0][3] = "in_migration", "move_in"
            h.residence[0][2] = s.path = dest
            self.in_move(row, new=True)
            self.mark(day)
            return
        if s.status == "in" and dest[0] == s.path[0]:
            return  # a change of household inside the commune is not a migration
        self.in_move(row, new=False)

    def in_move(self, row: tuple, new: bool) -> None:
        s, day = self.s, row[DAY]
        dest = (row[COMMUNE], row[DISTRICT], row[PROVINCE])
        pending = self.pending if s.status == "away" else None
        if pending is not None and not self.completes(pending, dest, day):
            # EVENTS.md: no arrival within 6 months (or elsewhere): the departure stays on its own.
            self.h.moves.append(pending)
            self.pending = None
            origin = self.places.path(row[PLACE], day) if row[PLACE] else pending["dest"]
            move = {"out_day": None, "origin": origin, "dest": dest}
        elif new or s.status == "away":
            origin = self.places.path(row[PLACE], day)
            move = {"out_day": None, "origin": origin, "dest": dest}
            if pending is not None:
                move, self.pending = pending, None
                move["dest"] = dest
                move["event"]["dest"], move["event"]["crosses"] = dest, crosses(move["origin"], dest)
        else:  # no move_out: counted once, out of the commune the register last knew them in
            move = {"out_day": day, "origin": s.path, "dest": dest}
            move["event"] = self.event(day, "out_move", dest=dest, crosses=crosses(s.path, dest))
            self.end_residence(day, "moved")
        move["in_day"], move["confirmed"] = day, True
        self.h.moves.append(move)
        if not new:
            self.start_residence(day, dest, "move_in")
            self.mark(day)
        self.event(day, "in_move", origin=move["origin"], crosses=crosses(move["origin"], dest))

    def completes(self, pending: dict, dest: Path3, day: int) -> bool:
        """A move_in completes an open departure made at most six calendar months before
        (events.calendar), to here or unsaid."""
        to = pending["dest"]
        if not within_move_window(DAY0 + timedelta(days=pending["out_day"]), DAY0 + timedelta(days=day)):
            return False
        return to[0] in ("UNKNOWN", dest[0]) or self.places.same_place(to[0], dest[0], day)

    def on_death(self, row: tuple, day: int) -> None:
        self.event(day, "death")
        self.h.death_day = day
        self.end_residence(day, "death")
        self.close(self.h.unions, day, "death")
        self.close(self.h.parities, day, "death")
        self.close(self.h.contra, day, "death", 2, 3)
        self.s.status, self.s.method = "dead", None
        self.mark(day)

    def on_marriage(self, row: tuple, day: int) -> None:
        if self.s.marital == "married":
            return
        first = not any(u[0] == "married" for u in self.h.unions) and self.s.marital == "never_married"
        self.event(day, "marriage", first=first)
        self.spouse = row[OTHER]
        self.set_marital(day, "married", "marriage")
        self.mark(day)

    def on_divorce(self, row: tuple, day: int) -> None:
        if self.s.marital != "married":
            return
        self.event(day, "divorce")
        self.set_marital(day, "divorced", "divorce")
        self.mark(day)

    def on_partner_death(self, row: tuple, day: int) -> None:
        if self.s.marital == "married" and self.spouse in (None, row[OTHER]):
            self.event(day, "widowed")
            self.set_marital(day, "widowed", "widowed")
            self.mark(day)

    def on_gave_birth(self, row: tuple, day: int) -> None:
        s, h = self.s, self.h
        if h.sex != "F" or s.parity is None:
            return
        if s.method is not None:
            self.stop_method(day, "failure")
        order = row[ORDER] if row[ORDER] is not None and row[ORDER] > s.parity else s.parity + 1
        self.event(
            day, "birth", child_sex=row[SEX], order=order, sons=s.sons, daughters=s.daughters, comp_known=h.comp_known
        )
        if row[SEX] == "M":
            s.sons += 1
        elif row[SEX] == "F":
            s.daughters += 1
        self.set_parity(day, order)
        self.mark(day)

    def on_contra_start(self, row: tuple, day: int) -> None:
        method = row[METHOD]
        if self.s.method == method:
            return
        if self.s.method is not None:
            self.stop_method(day, "switched")
        self.h.contra.append([method, day, None, None])
        self.s.method = method
        self.mark(day)

    def on_contra_stop(self, row: tuple, day: int) -> None:
        if self.s.method is not None:
            self.stop_method(day, row[REASON] or "unknown")
            self.mark(day)

    def on_pregnancy(self, row: tuple, day: int) -> None:
        if self.s.method is not None:
            self.stop_method(day, "failure")
            self.mark(day)

    def finish(self, end_day: int) -> None:
        self.relabel_until(end_day)
        if self.pending is not None:
            self.h.moves.append(self.pending)


def fold_person(key: str, rows: list[tuple], places: PlaceResolver, end_day: int) -> History | None:
    """The person's history from their facts (sorted by day, then the order the register applies
    facts of one day); None when the register never learnt their sex and birth date."""
    sex = bd = mother = None
    children = []
    for row in rows:
        role = row[ROLE]
        if role in ("registered", "born") and sex is None:
            sex, bd, mother = row[SEX], row[BD], row[OTHER]
        elif role == "corrected":
            sex, bd = row[SEX] or sex, row[BD] if row[BD] is not None else bd
        elif role == "child_registered" and row[BD] is not None:
            children.append((row[BD], row[SEX]))
    if sex is None or bd is None:
        return None
    h = History(key=key, sex=sex, birth_day=bd, mother=mother)
    folder = _Folder(h, places)
    folder.children = sorted(children)
    for row in rows:
        if row[DAY] is not None and row[DAY] <= end_day:
            folder.fact(row)
    folder.finish(end_day)
    return h
