"""Two clocks: after a fact is applied at its occurrence date, later facts of its subjects are re-checked.

The accepted log is immutable, so a later fact that no longer holds (a late death before a later
birth, a late move_out before a later contraception visit in the old commune, a corrected birth date
that makes a mother 9) is not withdrawn: it is reported once on the review topic with reason
`conflict_after_late_event`, and its entry remembers the reason (`cf`) so it is not reported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from processors.register.evaluation import Evaluation
from processors.register.reasons import Violation
from processors.register.timeline import Entry, SortKey, active, sort_key
from processors.register.tx import Tx


@dataclass(frozen=True, slots=True)
class Conflict:
    person_id: str
    entry: Entry  # the later, already accepted fact that no longer holds
    violation: Violation


def _targets(ev: Evaluation) -> dict[str, SortKey | None]:
    """Whose facts to re-check, and from which point of their timeline (None: all of them)."""
    targets: dict[str, SortKey | None] = {}
    for each in (ev, ev.inner):
        if each is None:
            continue
        for person_id in each.touched:
            targets.setdefault(person_id, each.key)
        for person_id, key in each.recheck_from.items():
            targets[person_id] = key
        for person_id in each.recheck_all:
            targets[person_id] = None
    return targets


def recheck(ev: Evaluation, tx: Tx) -> tuple[list[list[Any]], list[Conflict]]:
    """Re-check the affected later facts on the state after `ev` was applied to `tx`."""
    own = {ev.id} | ({ev.inner.id} if ev.inner is not None else set())
    ops: list[list[Any]] = []
    conflicts: list[Conflict] = []
    rechecked: list[str] = []
    reported: set[tuple[str, str]] = set()
    for person_id, start in _targets(ev).items():
        timeline = tx.get("p:" + person_id)
        for entry in active(timeline):
            if entry["i"] in own or (start is not None and sort_key(entry) <= start):
                continue
            rechecked.append(entry["i"])
            found = ev.checks.check(person_id, timeline, entry, new=False)
            if found is None or found.reason in entry.get("ov", ()):
                continue
            # reported before, by another late fact (by this one: a partial run before a crash)
            if entry.get("cf", {}).get(found.reason, ev.id) != ev.id:
                continue
            op = ["cf", "p:" + person_id, entry["i"], found.reason, ev.id]
            tx.apply([op])
            ops.append(op)
            if (entry["i"], found.reason) not in reported:  # a marriage breaks for both partners
                reported.add((entry["i"], found.reason))
                conflicts.append(Conflict(person_id, dict(entry), found))
    target = ev.inner if ev.inner is not None else ev
    if rechecked:
        target.ctx["rechecks"] = list(dict.fromkeys(rechecked))
    return ops, conflicts
