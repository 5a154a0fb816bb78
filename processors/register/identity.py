"""Identity and review facts: corrections, voids, merges and overrides of held submissions.

None of them deletes anything: a correction is a new entry (every earlier value stays on the
timeline with when it was known), a void marks the voided entries with when the void became known,
a merge copies the merged record's entries onto the survivor, and an override applies a held
submission with the failed rule skipped (its entries remember which rule in `ov`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events import InvalidSubmission, validate_submission
from processors.register.evaluation import Evaluation, Rejected
from processors.register.reasons import Violation
from processors.register.timeline import active, find, sort_key

NOT_VOIDABLE = frozenset({"event.voided", "persons.merged", "review.overridden"})


def apply_person_corrected(ev: Evaluation) -> None:
    p = ev.sub.payload
    person_id, timeline = ev.known_person(p.person_id)
    changes = p.changes.model_dump(mode="json", exclude_unset=True)
    ev.insert("p:" + person_id, ev.entry({"ch": changes}))
    state = ev.state(timeline)
    ev.ctx["household_id"] = state.household_id
    ev.subjects(person_id)
    if "sex" in changes or "birth_date" in changes:
        # A corrected sex or birth date was always so: every fact that used it is re-checked.
        ev.recheck_all.append(person_id)


def own_keys(ops: list[list[Any]], event_id: str) -> list[str]:
    """The keys an event wrote its own entries to (what a later void must mark)."""
    return list(dict.fromkeys(op[1] for op in ops if op[0] == "ins" and op[2]["i"] == event_id))


def apply_event_voided(ev: Evaluation) -> None:
    target = ev.sub.payload.voided_event_id
    marker = ev.reader.get("e:" + target)
    if marker is None:
        raise Rejected(Violation("unknown_event", f"no event {target} was received"))
    ev.ctx["subjects"] = []
    if marker["s"] == "r":  # voiding a held submission dismisses it from review
        held = ev.reader.get("r:" + target) or {}
        ev.require(
            held.get("dis", ev.id) == ev.id and not held.get("res"),
            "already_resolved",
            f"held event {target} was already resolved",
        )
        ev.ops.append(["put", "r:" + target, {**held, "dis": ev.id}])
        ev.flags.append("dismisses_review")
        return
    ev.require(marker.get("t") not in NOT_VOIDABLE, "not_voidable", f"{target} is a {marker.get('t')}")
    ev.require(marker.get("vd", ev.id) == ev.id, "already_voided", f"{target} was voided by {marker.get('vd')}")
    subjects: list[str] = []
    for key in marker.get("k", ()):
        keys = [key]
        if key.startswith("p:"):
            # after a merge the entry also lives, copied, on the survivor's timeline
            survivor = ev.checks.resolve(key[2:])
            subjects.append(survivor)
            if "p:" + survivor != key:
                keys.append("p:" + survivor)
        for each in keys:
            entry = find(ev.reader.get(each), target)
            if entry is None:
                continue
            ev.ops.append(["void", each, target, ev.recorded, ev.id])
            if each.startswith("p:"):
                # what came after the voided fact may no longer hold (or may now hold)
                ev.recheck_from[each[2:]] = sort_key(entry)
    ev.ops.append(["put", "e:" + target, {**marker, "vd": ev.id}])
    ev.subjects(*subjects)


def apply_persons_merged(ev: Evaluation) -> None:
    p = ev.sub.payload
    raw_merged = ev.reader.get("p:" + p.merged_id)
    # After a crash mid-write this merge's own marks may already be there: not "already merged".
    partial = find(raw_merged, ev.id) is not None
    if raw_merged is not None and raw_merged.get("mi") and not partial:
        raise Rejected(Violation("already_merged", f"{p.merged_id} was merged into {raw_merged['mi']}"))
    survivor, s_timeline = ev.known_person(p.surviving_id)
    if partial:
        merged, m_timeline = p.merged_id, raw_merged
    else:
        merged, m_timeline = ev.known_person(p.merged_id)
    ev.require(survivor != merged, "already_merged", f"{p.merged_id} is already {survivor}")
    own = {e["i"] for e in active(s_timeline)}
    has_identity = any(
        e["t"] == "person.registered" or (e["t"] == "birth" and e.get("d", {}).get("role") == "child")
        for e in active(s_timeline)
        if not e.get("m")
    )
    for entry in active(m_timeline):
        if entry["i"] in own or entry["i"] == ev.id:
            continue
        copy = {**entry, "m": merged}
        if has_identity and (entry["t"] == "person.registered" or entry.get("d", {}).get("role") == "child"):
            copy["x"] = 1  # the survivor's own registration stands; the duplicate's is history
        ev.insert("p:" + survivor, copy)
    state = ev.state(m_timeline)
    ev.insert("p:" + survivor, ev.entry({"merged": merged}))
    ev.insert("p:" + merged, ev.entry({"into": survivor}))
    ev.ops.append(["mi", "p:" + merged, survivor])
    if state.present:
        ev.leave(state.household_id, [merged])
    ev.recheck_all.append(survivor)
    ev.ctx["household_id"] = ev.state(s_timeline).household_id
    ev.subjects(survivor, merged)


def apply_review_overridden(ev: Evaluation, evaluate: Callable[[Evaluation], None]) -> None:
    """Apply a held submission with `evaluate` (the rule dispatch of processors.register.rules,
    handed in so that this module does not import the module that dispatches to it)."""
    held_id = ev.sub.payload.held_event_id
    held = ev.reader.get("r:" + held_id)
    if held is None:
        raise Rejected(Violation("unknown_held_event", f"no submission {held_id} is held in review"))
    marker = ev.reader.get("e:" + held_id) or {}
    # (this override's own marks, left by a run cut short by a crash, do not count)
    done = held.get("dis") or held.get("res", ev.id) != ev.id or marker.get("by", ev.id) != ev.id
    ev.require(not done, "already_resolved", f"held event {held_id} was already resolved")
    try:
        submission = validate_submission(held["sub"])
    except InvalidSubmission as exc:
        raise Rejected(Violation("invalid_submission", f"held {held_id}: {exc}")) from None
    # Skip the rule it was held for, and the rules earlier overrides of it were held for.
    earlier = [reason for by, reason in held.get("ovr", {}).items() if by != ev.id]
    skip = list(dict.fromkeys([*held.get("why", ()), *earlier]))
    inner = Evaluation(submission, ev.checks, skip=frozenset(skip))
    try:
        evaluate(inner)
    except Rejected as rejected:
        # Another rule fails too: the override waits in review, and a second override of the
        # same held event (a clerk who has now seen this rule as well) may skip it.
        v = rejected.violation
        raise Rejected(
            Violation(v.reason, f"override of {held_id} skips {', '.join(skip)} only: {v.detail}"),
            ops=[["put", "r:" + held_id, {**held, "ovr": {**held.get("ovr", {}), ev.id: v.reason}}]],
        ) from None
    for op in inner.ops:
        if op[0] == "ins" and op[2]["i"] == held_id and inner.skipped:
            op[2]["ov"] = list(inner.skipped)  # re-checks must not report the rule a clerk waived
    inner.flags[:0] = ["overridden", *(f"skipped:{reason}" for reason in inner.skipped)]
    ev.inner = inner
    ev.ops.extend(inner.ops)
    ev.ops.append(
        [
            "put",
            "e:" + held_id,
            {
                "s": "a",
                "o": held.get("o"),
                "t": submission.type,
                "k": own_keys(inner.ops, held_id),
                "by": ev.id,
            },
        ]
    )
    ev.ops.append(["put", "r:" + held_id, {**held, "res": ev.id}])
    ev.ctx["household_id"] = inner.ctx.get("household_id")
    ev.ctx["subjects"] = inner.ctx.get("subjects", [])
