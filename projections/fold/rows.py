"""Rows of one folded person (episodes, births, deaths, moves, unions, attribute history). Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from events.calendar import completed_age as age
from projections.fold.model import MODERN
from projections.fold.person import PersonFold, Related, Row


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _birth_orders(fold: PersonFold, related: dict[str, Related]) -> list[tuple[Any, date, int]]:
    """(birth event, child's birth date, birth order): the mother's live births counted in date order.

    Children born on or after her registration day count on top of the children_ever_born the A0
    book gave then (as the register's birth_order does: a birth event dated on the A0 day is a new
    birth); births dated before it are already inside that number, so they are ranked among themselves.
    """
    dated = sorted(
        (
            (related.get(ev.payload["child_id"], Related()).birth_date or ev.occurred_on, ev.event_id, ev)
            for ev in fold.births
        ),
        key=lambda t: (t[0], t[1]),
    )
    reg, ceb0 = fold.registered_on, fold.ceb0
    out, before, after = [], 0, 0
    for bd, _, ev in dated:
        if reg is not None and ceb0 is not None and bd >= reg:
            after += 1
            out.append((ev, bd, ceb0 + after))
        else:
            before += 1
            out.append((ev, bd, before))
    return out


def _child_marriage(fold: PersonFold, on: date, partner: Related, fallback: Any) -> bool:
    def under(sex: str | None, born: date | None) -> bool | None:
        if sex is None or born is None:
            return None
        return age(born, on) < (fold.rules.legal_age_male if sex == "M" else fold.rules.legal_age_female)

    mine, theirs = under(fold.attrs.get("sex"), fold.attrs.get("birth_date")), under(partner.sex, partner.birth_date)
    if mine is None or theirs is None:
        return bool(fallback)  # a party unknown here: the register's flag at acceptance
    return mine or theirs


def _marital_rows(fold: PersonFold, related: dict[str, Related]) -> list[Row]:
    rows: list[Row] = []
    for status, partner, start, end in fold.marital:
        died = related.get(partner, Related()).death_on if status == "married" and partner else None
        if died is not None and start <= died and (end is None or died < end):
            # A spouse's death makes a widow(er): the register sees it in the spouse's own events.
            rows.append((fold.rep, "married", partner, start, died))
            if end is None or died < end:
                rows.append((fold.rep, "widowed", partner, died, end))
        else:
            rows.append((fold.rep, status, partner, start, end))
    return rows


def person_rows(fold: PersonFold, related: dict[str, Related]) -> dict[str, list[Row]]:
    """Every bitemporal table's rows of this person at one state of knowledge (no known_* columns)."""
    rep, attrs = fold.rep, fold.attrs
    sex, born = attrs.get("sex"), attrs.get("birth_date")
    out: dict[str, list[Row]] = defaultdict(list)
    for ep in fold.episodes:
        start = born if ep.entry == "birth" and born is not None else ep.start
        out["residence_episodes"].append(
            (rep, ep.household, ep.commune, ep.relation, start, ep.end, ep.entry, ep.exit, sex, born)
        )
    out["marital_episodes"] = _marital_rows(fold, related)
    for event_id, method, start, end, reason, commune in fold.contraception:
        out["contraception_episodes"].append(
            (rep, event_id, method, method in MODERN, start, end, reason, commune, sex)
        )
    for event_id, recorded, expected, ended, outcome in fold.pregnancies:
        out["pregnancies"].append((rep, event_id, recorded, expected, ended, outcome))
    for ev, bd, order in _birth_orders(fold, related):
        p = ev.payload
        child = related.get(p["child_id"], Related())
        out["births"].append(
            (
                ev.event_id,
                rep,
                p["child_id"],
                bd,
                child.sex or p["sex"],
                order,
                born,
                age(born, bd) if born else None,
                p["household_id"],
                ev.commune,
                p.get("plurality", 1),
            )
        )
    if fold.death is not None:
        d = fold.death
        commune, household = fold.death_commune
        out["deaths"].append(
            (
                d.event_id,
                rep,
                d.occurred_on,
                commune,
                household,
                sex,
                born,
                age(born, d.occurred_on) if born else None,
                d.payload.get("cause"),
            )
        )
    for m in fold.moves:
        out["moves"].append((rep, m.out_event, m.in_event, m.from_commune, m.to_commune, m.out_on, m.in_on))
    for ev, kind, partner, commune in fold.unions:
        child = (
            _child_marriage(fold, ev.occurred_on, related.get(partner, Related()), ev.context.get("child_marriage"))
            if kind == "marriage"
            else None
        )
        out["marriages"].append((ev.event_id, kind, rep, partner, ev.occurred_on, commune, child))
    by_name: dict[str, list[tuple[Any, date, str]]] = defaultdict(list)
    for name, value, on, event_id in fold.attr_history:
        by_name[name].append((value, on, event_id))
    for name, values in by_name.items():
        for i, (value, on, event_id) in enumerate(values):
            until = values[i + 1][1] if i + 1 < len(values) else None
            out["person_attribute_history"].append((rep, name, _text(value), on, until, event_id))
    return out


def person_record(fold: PersonFold, related: dict[str, Related]) -> Row | None:
    """The `persons` row (current values), None for an id that never entered the population."""
    if not fold.episodes:
        return None
    a, last = fold.attrs, fold.episodes[-1]
    marital = _marital_rows(fold, related)
    status = "dead" if fold.death else ("alive" if last.end is None else "departed")
    entered = fold.episodes[0]
    entered_on = a.get("birth_date") if entered.entry == "birth" else entered.start
    return (
        fold.rep,
        status,
        None,
        a.get("full_name"),
        a.get("sex"),
        a.get("birth_date"),
        last.household,
        last.commune,
        last.relation,
        marital[-1][1] if marital else None,
        a.get("mother_id"),
        a.get("national_id"),
        a.get("ethnicity"),
        a.get("education"),
        a.get("children_ever_born"),
        entered_on,
        last.end if status == "departed" else None,
        fold.death.occurred_on if fold.death else None,
    )


def merged_record(person_id: str, rep: str) -> Row:
    return (person_id, "merged", rep, *([None] * 15))
