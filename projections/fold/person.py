"""The occurrence fold of one person: their events in real-world order become episodes and flow rows. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from events.calendar import within_move_window
from projections.fold.model import Ev
from projections.rules import Rules

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Related:
    """What a person's rows need to know about someone else: a child's or a spouse's sex and dates."""

    sex: str | None = None
    birth_date: date | None = None
    death_on: date | None = None


def related_attrs(person_id: str, events: list[Ev]) -> Related:
    """Fold a related person's registration, birth, corrections and death (events in order)."""
    sex = birth = death = None
    for ev in events:
        p = ev.payload
        if ev.type == "person.registered" and p.get("person_id") == person_id:
            sex, birth = sex or p["sex"], birth or date.fromisoformat(p["birth_date"])
        elif ev.type == "birth" and p.get("child_id") == person_id:
            sex, birth = sex or p["sex"], birth or ev.occurred_on
        elif ev.type == "person.corrected" and p.get("person_id") == person_id:
            changes = p["changes"]
            sex = changes.get("sex", sex)
            birth = date.fromisoformat(changes["birth_date"]) if "birth_date" in changes else birth
        elif ev.type == "death" and p.get("person_id") == person_id and death is None:
            death = ev.occurred_on
    return Related(sex, birth, death)


@dataclass
class _Episode:
    household: str
    commune: str
    relation: str | None
    start: date
    entry: str
    end: date | None = None
    exit: str | None = None


@dataclass
class _Move:
    from_commune: str | None
    to_commune: str | None
    out_on: date | None
    in_on: date | None
    out_event: str | None = None
    in_event: str | None = None


_ATTRS = ("full_name", "sex", "birth_date", "national_id", "ethnicity", "education", "mother_id", "children_ever_born")


@dataclass
class PersonFold:
    """One person (a group of merged ids under `rep`), folded event by event in occurrence order."""

    rep: str
    ids: frozenset[str]
    rules: Rules
    attrs: dict[str, Any] = field(default_factory=dict)
    attr_history: list[tuple[str, Any, date, str]] = field(default_factory=list)
    episodes: list[_Episode] = field(default_factory=list)
    moves: list[_Move] = field(default_factory=list)
    marital: list[list[Any]] = field(default_factory=list)  # [status, partner, from, to]
    contraception: list[list[Any]] = field(default_factory=list)  # [event, method, from, to, reason, commune]
    pregnancies: list[list[Any]] = field(default_factory=list)  # [event, recorded, expected, ended, outcome]
    births: list[Ev] = field(default_factory=list)
    unions: list[tuple[Ev, str, str | None, str | None]] = field(default_factory=list)  # ev, kind, partner, commune
    death: Ev | None = None
    death_commune: tuple[str | None, str | None] = (None, None)
    pending_out: _Move | None = None
    registered_on: date | None = None
    ceb0: int | None = None
    registered_into: tuple[date, str] | None = None  # (day, household) of the last registration
    last_order: tuple[Any, ...] | None = None  # occurrence key of the last event applied

    @property
    def current(self) -> _Episode | None:
        last = self.episodes[-1] if self.episodes else None
        return last if last is not None and last.end is None else None

    def _set(self, name: str, value: Any, ev: Ev, *, fill_only: bool = False) -> None:
        if value is None or (fill_only and name in self.attrs):
            return
        self.attrs[name] = value
        self.attr_history.append((name, value, ev.occurred_on, ev.event_id))

    def _enter(self, ev: Ev, household: str, relation: str | None, entry: str) -> None:
        self.episodes.append(_Episode(household, ev.commune, relation, ev.occurred_on, entry))

    def _leave(self, on: date, how: str) -> _Episode | None:
        ep = self.current
        if ep is not None:
            ep.end, ep.exit = on, how
        return ep

    def _switch_household(self, ev: Ev, household: str) -> None:
        ep = self.current
        if ep is not None and ep.household != household:
            self._leave(ev.occurred_on, "household_change")
            self._enter(ev, household, ep.relation, "household_change")

    def _marital(self, status: str, partner: str | None, on: date) -> None:
        if self.marital and self.marital[-1][3] is None:
            self.marital[-1][3] = on
        self.marital.append([status, partner, on, None])

    def apply(self, ev: Ev) -> None:
        self.last_order = ev.order
        if self.death is not None and ev.type != "person.corrected":
            return  # nothing happens to a person after their death but corrections (EVENTS.md)
        handler = getattr(self, "_on_" + ev.type.replace(".", "_"), None)
        if handler is not None:
            handler(ev, ev.payload)

    def _on_person_registered(self, ev: Ev, p: dict[str, Any]) -> None:
        # A second registration of a merged duplicate only fills what the survivor left unknown.
        fill = p["person_id"] != self.rep and bool(self.attrs)
        for name in _ATTRS:
            value = p.get(name)
            self._set(name, date.fromisoformat(value) if name == "birth_date" else value, ev, fill_only=fill)
        if self.registered_on is None:
            self.registered_on, self.ceb0 = ev.occurred_on, p.get("children_ever_born")
        if not self.marital:
            self._marital(p["marital_status"], None, ev.occurred_on)
        cur = self.current
        if cur is not None:
            if cur.relation is None and cur.household == p["household_id"]:
                cur.relation = p["relation_to_head"]  # a newcomer's move_in names no relation
            self._switch_household(ev, p["household_id"])
        else:
            self._enter(ev, p["household_id"], p["relation_to_head"], "registered")
        self.registered_into = (ev.occurred_on, p["household_id"])

    def _on_birth(self, ev: Ev, p: dict[str, Any]) -> None:
        if p["mother_id"] in self.ids:
            self.births.append(ev)
        if p["child_id"] in self.ids and self.current is None:
            for name, value in (
                ("sex", p["sex"]),
                ("birth_date", ev.occurred_on),
                ("full_name", p.get("full_name") or None),
                ("mother_id", p["mother_id"]),
            ):
                self._set(name, value, ev, fill_only=True)
            if not self.marital:
                self._marital("never_married", None, ev.occurred_on)
            self._enter(ev, p["household_id"], "child", "birth")

    def _on_death(self, ev: Ev, p: dict[str, Any]) -> None:
        self.death = ev
        day_before = ev.occurred_on - timedelta(days=1)
        where = next(
            (e for e in self.episodes if e.start <= day_before and (e.end is None or day_before < e.end)), None
        )
        cur = self.current
        if where is None and cur is not None and cur.entry == "birth" and cur.start == ev.occurred_on:
            where = cur  # died on the day of birth: counted where born, not lost between areas
        self.death_commune = (where.commune, where.household) if where else (None, None)
        self._leave(ev.occurred_on, "death")
        if self.marital and self.marital[-1][3] is None:
            self.marital[-1][3] = ev.occurred_on
        if self.contraception and self.contraception[-1][3] is None:
            self.contraception[-1][3:5] = [ev.occurred_on, "death"]
        if self.pregnancies and self.pregnancies[-1][3] is None:
            self.pregnancies[-1][3] = ev.occurred_on

    def _where(self, ev: Ev) -> str:
        cur = self.current
        return cur.commune if cur is not None else ev.commune

    def _union(self, ev: Ev, kind: str, status: str) -> None:
        a, b = ev.payload["person_ids"]
        partner = b if a in self.ids else a
        self._marital(status, partner, ev.occurred_on)
        if a in self.ids:  # the figure counts where the first listed person lives
            self.unions.append((ev, kind, partner, self._where(ev)))

    def _on_marriage(self, ev: Ev, p: dict[str, Any]) -> None:
        self._union(ev, "marriage", "married")

    def _on_divorce(self, ev: Ev, p: dict[str, Any]) -> None:
        self._union(ev, "divorce", "divorced")

    def _on_move_out(self, ev: Ev, p: dict[str, Any]) -> None:
        cur = self.current
        if cur is None or ev.context.get("duplicate_of_move"):
            return
        last_in = next((m for m in reversed(self.moves) if m.in_event is not None), None)
        if cur.commune != ev.commune and last_in is not None and last_in.from_commune == ev.commune:
            return  # the origin's late move_out of a move its move_in already counted (EVENTS.md)
        self._leave(ev.occurred_on, "move_out")
        self.pending_out = _Move(cur.commune, p.get("to_commune"), ev.occurred_on, None, ev.event_id)
        self.moves.append(self.pending_out)

    def _on_move_in(self, ev: Ev, p: dict[str, Any]) -> None:
        cur = self.current
        if cur is not None and self._registered_today(cur, ev, p["household_id"]):
            # person.registered and move_in of one newcomer on one day (the registration sorts
            # first, events.order) are one arrival: from outside the register when that
            # registration is all the register knows of them, else (a merged duplicate's own
            # registration) from where the register knew them before.
            before = self.episodes[-2] if len(self.episodes) > 1 else None
            if cur.entry == "registered" and before is None:
                cur.entry = "move_in"
                self.moves.append(_Move(p.get("from_commune"), ev.commune, None, ev.occurred_on, None, ev.event_id))
                self.pending_out = None
                return
            if (
                cur.entry == "household_change"
                and before is not None
                and before.end == ev.occurred_on
                and before.exit == "household_change"
                and before.commune != ev.commune
            ):
                before.exit, cur.entry = "move_in", "move_in"
                self.moves.append(_Move(before.commune, ev.commune, ev.occurred_on, ev.occurred_on, None, ev.event_id))
                self.pending_out = None
                return
        if cur is not None:
            if cur.commune == ev.commune:
                self._switch_household(ev, p["household_id"])
                return
            # Known elsewhere and no move_out: a migration from where the register knew them.
            self._leave(ev.occurred_on, "move_in")
            self.moves.append(_Move(cur.commune, ev.commune, ev.occurred_on, ev.occurred_on, None, ev.event_id))
        else:
            out = self.pending_out
            window = out is not None and within_move_window(out.out_on, ev.occurred_on, self.rules.move_match_months)
            if out is not None and window:
                out.to_commune, out.in_on, out.in_event = ev.commune, ev.occurred_on, ev.event_id
            else:
                self.moves.append(_Move(p.get("from_commune"), ev.commune, None, ev.occurred_on, None, ev.event_id))
        self.pending_out = None
        self._enter(ev, p["household_id"], cur.relation if cur else None, "move_in")

    def _registered_today(self, cur: _Episode, ev: Ev, household: str) -> bool:
        """The current episode began this day, here, with a registration into this household."""
        return (
            self.registered_into == (ev.occurred_on, household)
            and cur.start == ev.occurred_on
            and cur.household == household
            and cur.commune == ev.commune
        )

    def _on_household_member_moved(self, ev: Ev, p: dict[str, Any]) -> None:
        self._switch_household(ev, p["household_id"])

    def _on_contraception_started(self, ev: Ev, p: dict[str, Any]) -> None:
        if self.contraception and self.contraception[-1][3] is None:
            self.contraception[-1][3:5] = [ev.occurred_on, "switched"]
        self.contraception.append([ev.event_id, p["method"], ev.occurred_on, None, None, self._where(ev)])

    def _on_contraception_stopped(self, ev: Ev, p: dict[str, Any]) -> None:
        last = self.contraception[-1] if self.contraception else None
        if last is not None and last[3] is None and last[1] == p["method"]:
            last[3:5] = [ev.occurred_on, p.get("reason", "other")]

    def _on_pregnancy_recorded(self, ev: Ev, p: dict[str, Any]) -> None:
        if self.pregnancies and self.pregnancies[-1][3] is None:
            self.pregnancies[-1][3] = ev.occurred_on
        expected = p.get("expected_on")
        self.pregnancies.append([ev.event_id, ev.occurred_on, expected and date.fromisoformat(expected), None, None])

    def _on_pregnancy_ended(self, ev: Ev, p: dict[str, Any]) -> None:
        last = self.pregnancies[-1] if self.pregnancies else None
        if last is not None and last[3] is None:
            last[3:5] = [ev.occurred_on, p["outcome"]]
        else:
            self.pregnancies.append([ev.event_id, None, None, ev.occurred_on, p["outcome"]])

    def _on_person_corrected(self, ev: Ev, p: dict[str, Any]) -> None:
        for name, value in p["changes"].items():
            self._set(name, date.fromisoformat(value) if name == "birth_date" else value, ev)
