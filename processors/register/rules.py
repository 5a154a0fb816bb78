"""The register's rules (EVENTS.md), one function per event type, dispatched by RULES.

Each rule reads the state through the Evaluation, raises Rejected (via ev.fail/ev.require) when a
rule does not hold, and otherwise leaves ops (timeline writes) and enrichment on the Evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

from events.calendar import completed_age
from processors.register import identity, moves
from processors.register.checks import legal_age
from processors.register.evaluation import Evaluation, Rejected
from processors.register.reasons import Violation

Rule = Callable[[Evaluation], None]


def apply_household_registered(ev: Evaluation) -> None:
    p = ev.sub.payload
    timeline = ev.reader.get("h:" + p.household_id)
    ev.require(
        not ev.has_other_entries(timeline), "household_exists", f"household {p.household_id} is already registered"
    )
    ev.insert("h:" + p.household_id, ev.entry({"c": ev.commune, "hd": p.head_person_id}))
    ev.ctx["household_id"] = p.household_id
    ev.subjects(*([p.head_person_id] if p.head_person_id else []))


def apply_person_registered(ev: Evaluation) -> None:
    p = ev.sub.payload
    _, timeline = ev.person(p.person_id)
    ev.require(not ev.has_other_entries(timeline), "person_exists", f"{p.person_id} is already in the register")
    ev.household_here(p.household_id)
    data = {
        "s": p.sex,
        "b": p.birth_date.isoformat(),
        "h": p.household_id,
        "ms": p.marital_status,
        "ceb": p.children_ever_born or None,
        "mo": p.mother_id,
        # head and spouse of an A0 page are a couple even without a marriage fact
        "rel": p.relation_to_head if p.relation_to_head in ("head", "spouse") else None,
    }
    ev.insert("p:" + p.person_id, ev.entry(data))
    ev.join(p.household_id, [p.person_id])
    ev.ctx["household_id"] = p.household_id
    ev.subjects(p.person_id)
    ev.ctx.setdefault("ages", {})[p.person_id] = max(completed_age(p.birth_date, ev.day), 0)


def apply_birth(ev: Evaluation) -> None:
    p = ev.sub.payload
    _, child = ev.person(p.child_id)
    ev.require(not ev.has_other_entries(child), "child_exists", f"{p.child_id} is already in the register")
    mother_id, mother = ev.known_person(p.mother_id)
    ev.require(mother_id != p.child_id, "same_person", "a child cannot be its own mother")
    mother_entry = ev.entry({"role": "mother", "ch": p.child_id, "pl": p.plurality})
    ev.check_entry(mother_id, mother, mother_entry)
    ev.household_here(p.household_id)
    state = ev.state(mother)
    child_entry = ev.entry({"role": "child", "s": p.sex, "h": p.household_id, "mo": mother_id})
    ev.insert("p:" + p.child_id, child_entry)
    ev.insert("p:" + mother_id, mother_entry)
    ev.join(p.household_id, [p.child_id])
    ev.ctx.update(
        household_id=p.household_id,
        birth_order=state.live_births + 1,
        mother_age=ev.age(mother_id, state),
        mother_birth_date=state.birth_date.isoformat() if state.birth_date else None,
    )
    ev.ctx.setdefault("ages", {})[p.child_id] = 0
    father = None
    if p.father_id:
        father, known = ev.person(p.father_id)
        if not ev.has_other_entries(known):
            ev.flags.append("father_not_in_register")
    ev.subjects(p.child_id, mother_id, *([father] if father else []))


def apply_death(ev: Evaluation) -> None:
    p = ev.sub.payload
    person_id, timeline = ev.known_person(p.person_id)
    ev.check_entry(person_id, timeline, ev.entry())
    state = ev.state(timeline)
    ev.insert("p:" + person_id, ev.entry())
    partner = ev.checks.partner(person_id, state) if state.marital_status == "married" else None
    if partner:  # the surviving spouse is widowed on the date
        ev.insert("p:" + partner, ev.entry({"role": "spouse", "of": person_id}))
    ev.leave(state.household_id, [person_id])
    ev.ctx["household_id"] = state.household_id
    ev.age(person_id, state)
    ev.subjects(person_id)


def _couple(ev: Evaluation) -> tuple[tuple[str, str], tuple[object, object]]:
    first, second = ev.sub.payload.person_ids
    a, ta = ev.known_person(first)
    b, tb = ev.known_person(second)
    ev.require(a != b, "same_person", f"{first} and {second} are the same person after merges")
    return (a, b), (ta, tb)


def _union(ev: Evaluation) -> tuple[str, str]:
    (a, b), (ta, tb) = _couple(ev)
    # The rule's residence is the first listed person's (where it is counted); the other may
    # live in another household or commune.
    entry_a = ev.entry({"sp": b})
    entry_b = ev.entry({"sp": a, "rc": 0})
    ev.check_entry(a, ta, entry_a)
    ev.check_entry(b, tb, entry_b)
    ev.insert("p:" + a, entry_a)
    ev.insert("p:" + b, entry_b)
    sa, sb = ev.state(ta), ev.state(tb)
    ev.ctx["household_id"] = sa.household_id
    ev.age(a, sa)
    ev.age(b, sb)
    if not ev.checks.same_place(sb.commune, ev.commune):
        ev.flags.append("cross_commune")
    ev.subjects(a, b)
    return a, b


def apply_marriage(ev: Evaluation) -> None:
    a, b = _union(ev)
    _, ta = ev.person(a)
    _, tb = ev.person(b)
    under = False
    for person_id, timeline in ((a, ta), (b, tb)):
        state = ev.state(timeline)
        age = ev.ctx.get("ages", {}).get(person_id)
        if age is not None and age < legal_age(state.sex):
            under = True
    # Under legal age is accepted (the marriage happened) and flagged for the indicators.
    ev.ctx["child_marriage"] = under
    if under:
        ev.flags.append("child_marriage")


def apply_divorce(ev: Evaluation) -> None:
    _union(ev)


def apply_member_moved(ev: Evaluation) -> None:
    p = ev.sub.payload
    person_id, timeline = ev.known_person(p.person_id)
    ev.check_entry(person_id, timeline, ev.entry({"h": p.household_id}))
    state = ev.state(timeline)
    ev.require(
        state.household_id != p.household_id,
        "already_member",
        f"{person_id} already lives in household {p.household_id}",
    )
    ev.household_here(p.household_id)
    ev.insert("p:" + person_id, ev.entry({"h": p.household_id}))
    ev.leave(state.household_id, [person_id])
    ev.join(p.household_id, [person_id])
    ev.ctx["household_id"] = p.household_id
    ev.age(person_id, state)
    ev.subjects(person_id)


def apply_personal_fact(ev: Evaluation) -> None:
    """contraception.* and pregnancy.*: a fact about one resident, living person."""
    p = ev.sub.payload
    person_id, timeline = ev.known_person(p.person_id)
    data = {"m": getattr(p, "method", None), "oc": getattr(p, "outcome", None)}
    entry = ev.entry(data)
    ev.check_entry(person_id, timeline, entry)
    state = ev.state(timeline)
    ev.insert("p:" + person_id, entry)
    ev.ctx["household_id"] = state.household_id
    ev.age(person_id, state)
    ev.subjects(person_id)


def apply_unknown(ev: Evaluation) -> None:
    raise AssertionError(f"no rule for {ev.sub.type}")  # every contract type has a rule below


RULES: dict[str, Rule] = {
    "household.registered": apply_household_registered,
    "person.registered": apply_person_registered,
    "birth": apply_birth,
    "death": apply_death,
    "marriage": apply_marriage,
    "divorce": apply_divorce,
    "move_out": moves.apply_move_out,
    "move_in": moves.apply_move_in,
    "household.member_moved": apply_member_moved,
    "contraception.started": apply_personal_fact,
    "contraception.stopped": apply_personal_fact,
    "pregnancy.recorded": apply_personal_fact,
    "pregnancy.ended": apply_personal_fact,
    "person.corrected": identity.apply_person_corrected,
    "event.voided": identity.apply_event_voided,
    "persons.merged": identity.apply_persons_merged,
    "review.overridden": lambda ev: identity.apply_review_overridden(ev, evaluate),
}


def evaluate(ev: Evaluation) -> None:
    """Run the rule of the submission's type; raises Rejected when it does not hold."""
    area = ev.checks.gazetteer.resolve(ev.commune, ev.day)
    if area is None:  # not skippable by an override: an accepted event needs its area path
        raise Rejected(
            Violation("unknown_commune", f"commune {ev.commune} is not in the gazetteer on {ev.day.isoformat()}")
        )
    ev.ctx["area"] = area
    RULES.get(ev.sub.type, apply_unknown)(ev)
