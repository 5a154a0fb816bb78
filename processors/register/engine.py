"""The register's core: one submission message in, its records out, its state writes made. No I/O.

Crash safety with at-least-once delivery (faust commits offsets after the changelog and the
output sends are flushed, but the three are not one transaction):
- every write is an idempotent op; the ops and the exact output records of the last RING
  submissions are kept in a ring slot `w:<offset % RING>`, written before the outcome marker;
- the marker `e:<event_id>` = {s: a|r, o: offset, t: type, k: keys} is written last;
- a message whose marker exists with the same offset is a redelivery after a crash: its ops are
  applied again (a no-op where they already landed) and the same output bytes are sent again;
- a message whose marker exists with another offset is a duplicate submission of an event_id:
  accepted once, this copy is acknowledged and ignored (EVENTS.md);
- with no marker, the submission is evaluated; rules read the state leaving out the event's own
  entries, so a partial earlier run cannot change the decision.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from events import EnvelopeBase, InvalidSubmission, kafka_key, validate_submission
from processors.register.checks import Checks, GazetteerLike, Places
from processors.register.evaluation import Evaluation, Rejected
from processors.register.identity import own_keys
from processors.register.output import Output, accepted, moment, review
from processors.register.reasons import Violation
from processors.register.rechecks import Conflict, recheck
from processors.register.rules import evaluate
from processors.register.tx import Store, Tx

log = logging.getLogger(__name__)
RING = 50_000  # far more than the messages faust leaves uncommitted (broker_commit_every)


def ring_key(offset: int) -> str:
    return f"w:{offset % RING}"


class Register:
    """Processes submissions in offset order against a state store."""

    def __init__(
        self, store: Store, gazetteer: GazetteerLike, newer_gazetteer: Callable[[], GazetteerLike | None] | None = None
    ):
        self.store = store
        self.places = Places(gazetteer)
        # asked before holding a submission as unknown_commune: a unit loaded since start-up?
        self.newer_gazetteer = newer_gazetteer
        self.stats: Counter[str] = Counter()

    def use_gazetteer(self, gazetteer: GazetteerLike) -> None:
        self.places = Places(gazetteer)

    def process(self, value: bytes, offset: int, timestamp_ms: int) -> list[Output]:
        at = moment(timestamp_ms)
        raw = _parse(value)
        try:
            sub = validate_submission(raw)
        except InvalidSubmission as exc:
            self.stats["invalid"] += 1
            event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else f"offset:{offset}"
            return [review(raw, Violation("invalid_submission", str(exc)), at, event_id.encode(), event_id)]
        tx = Tx(self.store)
        marker = tx.get("e:" + sub.event_id)
        if marker is not None:
            return self._again(tx, sub, marker, offset)
        try:
            ops, outputs, marker = self._decide(tx, sub, raw, at, offset)
            if marker.get("why") == "unknown_commune" and self._reload_gazetteer():
                tx = Tx(self.store)
                ops, outputs, marker = self._decide(tx, sub, raw, at, offset)
        except Exception as exc:  # a bug must not lose the submission: it is held with the error
            log.exception("register: processing %s failed", sub.event_id)
            tx = Tx(self.store)
            ops, outputs, marker = self._hold(
                tx, sub, raw, Violation("processing_error", f"{type(exc).__name__}: {exc}"), at, offset, []
            )
        marker.pop("why", None)
        self.stats["accepted" if marker["s"] == "a" else "review"] += 1
        slot = {
            "o": offset,
            "i": sub.event_id,
            "ops": ops,
            "out": [[kind, key.decode(), data.decode()] for kind, key, data in outputs],
        }
        tx.flush([(ring_key(offset), slot), ("e:" + sub.event_id, marker)])
        return outputs

    def _again(self, tx: Tx, sub: EnvelopeBase, marker: dict[str, Any], offset: int) -> list[Output]:
        if marker.get("o") == offset:
            slot = tx.get(ring_key(offset))
            if slot is not None and slot.get("o") == offset and slot.get("i") == sub.event_id:
                # every key is written again: what the crash kept from the changelog lands there now
                tx.apply(slot["ops"])
                tx.flush([(ring_key(offset), slot), ("e:" + sub.event_id, marker)])
                self.stats["redelivered"] += 1
                return [(kind, key.encode(), data.encode()) for kind, key, data in slot["out"]]
        self.stats["duplicate"] += 1
        return []

    def _hold(
        self,
        tx: Tx,
        sub: EnvelopeBase,
        raw: dict[str, Any],
        violation: Violation,
        at: datetime,
        offset: int,
        extra_ops: list[list[Any]],
    ) -> tuple[list[list[Any]], list[Output], dict[str, Any]]:
        held = {"sub": raw, "why": [violation.reason], "o": offset}
        ops = [*extra_ops, ["put", "r:" + sub.event_id, held]]
        tx.apply(ops)
        key = kafka_key(sub)
        return ops, [review(raw, violation, at, key)], {"s": "r", "o": offset, "t": sub.type, "why": violation.reason}

    def _reload_gazetteer(self) -> bool:
        newer = self.newer_gazetteer() if self.newer_gazetteer is not None else None
        if newer is None:
            return False
        self.use_gazetteer(newer)
        return True

    def _decide(
        self, tx: Tx, sub: EnvelopeBase, raw: dict[str, Any], at: datetime, offset: int
    ) -> tuple[list[list[Any]], list[Output], dict[str, Any]]:
        ev = Evaluation(sub, Checks(tx, self.places))
        try:
            evaluate(ev)
        except Rejected as rejected:
            return self._hold(tx, sub, raw, rejected.violation, at, offset, rejected.ops)
        tx.apply(ev.ops)
        conflict_ops, conflicts = recheck(ev, tx)
        outputs: list[Output] = []
        cause, cause_raw = ev, raw
        if ev.inner is not None:  # an override: the held event itself enters the log first
            held = tx.get("r:" + ev.inner.id) or {}
            outputs.append(accepted(ev.inner.sub, ev.inner.ctx, ev.inner.flags, at, held.get("o", offset)))
            cause, cause_raw = ev.inner, held.get("sub", raw)
        outputs.append(accepted(sub, ev.ctx, ev.flags, at, offset))
        outputs.extend(_conflict(cause, cause_raw, c, at) for c in conflicts)
        self.stats["conflicts"] += len(conflicts)
        marker = {"s": "a", "o": offset, "t": sub.type, "k": own_keys(ev.ops, sub.event_id)}
        return ev.ops + conflict_ops, outputs, marker


def _conflict(cause: Evaluation, cause_raw: dict[str, Any], conflict: Conflict, at: datetime) -> Output:
    entry, v = conflict.entry, conflict.violation
    detail = (
        f"{entry['t']} {entry['i']} of {conflict.person_id} on {entry['o']} no longer holds "
        f"after late {cause.sub.type} {cause.id} on {cause.day.isoformat()}: {v.reason}: {v.detail}"
    )
    about = {
        "event_id": entry["i"],
        "type": entry["t"],
        "commune": entry["c"],
        "occurred_on": entry["o"],
        "recorded_at": entry["r"],
    }
    violation = Violation("conflict_after_late_event", detail, rule_text=v.rule)
    return review(cause_raw, violation, at, conflict.person_id.encode(), entry["i"], about)


def _parse(value: bytes) -> dict[str, Any]:
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError:
        return {"raw": value.decode("utf-8", "replace")}
    return raw if isinstance(raw, dict) else {"raw": raw}
