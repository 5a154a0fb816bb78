"""The live counters' core: one RegisterEvent record in, its counter and state writes made. No I/O.

State is one key-value store (the faust table); every value is [tag, payload], tag = the offset
of the record (on the processor's own one-partition topic) that wrote it last. Crash safety with
at-least-once delivery, and with a changelog that may hold only part of a record's writes:

- the first write of a record is its event's own entry `e|<event_id>`: the journal of everything
  the record does (its items and its absolute writes) and `f`, the tag of its first processing;
- then the counters (each = value before + delta) and the other writes, each tagged;
- a record whose `e|` entry exists with f == its own tag was cut short: its journal is applied
  again, skipping every key whose tag is already >= the record's (that key holds its effect,
  since a key's value at tag t includes every record <= t that wrote it);
- a record whose `e|` entry exists with another f is a copy of an event already counted (the
  same event_id twice on the log): nothing happens;
- with no `e|` entry, the record is decided on the state as it was before it (no later record
  can have written anything yet, as records are processed in offset order).
Events of a type that counts nothing and changes no state (a pregnancy, a household) write nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from events.logrecord import UnreadableRecord, read_log_record
from processors.indicators.facts import Places, expand
from processors.indicators.rules import RULES, Decision

log = logging.getLogger(__name__)


class Store(Protocol):
    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class DictStore:
    """A plain dict as the store (unit tests and reference runs)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def put(self, key: str, value: Any) -> None:
        self.data[key] = value


class Unreadable(ValueError):
    """A record that is not a RegisterEvent; it is logged and skipped (the sink keeps it)."""


@dataclass(frozen=True, slots=True)
class Ev:
    event_id: str
    type: str
    occurred_on: date
    commune: str
    payload: dict[str, Any]
    context: dict[str, Any]

    @property
    def flags(self) -> list[str]:
        return list(self.context.get("flags") or ())


def read_event(value: bytes | None) -> Ev:
    """A RegisterEvent record's fields the counters need (old envelope shapes upcast)."""
    try:
        r = read_log_record(value)
    except UnreadableRecord as exc:
        raise Unreadable(str(exc)) from None
    return Ev(r.event_id, r.type, r.occurred_on, r.commune, r.payload, r.context)


class LiveCounters:
    """Counts flow indicators by area x period x name from register.events.v1 records."""

    def __init__(self, store: Store, places: Places, live_from: date):
        self.store, self.places, self.live_from = store, places, live_from
        self.dirty: set[str] = set()  # counter keys (area x period) written since the last snapshot
        self.stats: Counter[str] = Counter()

    # -- the state as rules read it: payloads only
    def get(self, key: str) -> Any:
        found = self.store.get(key)
        return None if found is None else found[1]

    def process(self, value: bytes | None, tag: int) -> None:
        """Apply one record read at offset `tag` of the processor's topic."""
        try:
            ev = read_event(value)
        except Unreadable as exc:
            self.stats["unreadable"] += 1
            log.error("indicators: record at %d skipped: %s", tag, exc)
            return
        own_key = "e|" + ev.event_id
        own = self.get(own_key)
        if own is not None:
            if own.get("f") == tag:
                self.stats["redone"] += 1
                self._apply(own["j"], tag)
            else:
                self.stats["duplicate"] += 1
            return
        decision = Decision()
        pending_void = self.get("x|" + ev.event_id)
        rule = RULES.get(ev.type)
        if rule is None and pending_void is None:
            self.stats["no_count"] += 1  # a type that changes no counter and no state: nothing kept
            return
        if pending_void is not None:
            # Its void came first (from another partition of the log): treated as never having
            # happened, so it neither counts nor changes what later events are decided on.
            decision.extra["vd"] = pending_void
        elif rule is not None:
            rule(self, ev, decision)
        journal = {"i": decision.items, "w": [[k, v] for k, v in decision.writes.items()]}
        self.store.put(own_key, [tag, {"f": tag, "j": journal, **decision.extra}])
        self._apply(journal, tag)
        self.stats["counted" if decision.items else "no_count"] += 1

    def _apply(self, journal: dict[str, Any], tag: int) -> None:
        for key, deltas in expand(journal["i"], self.live_from).items():
            found = self.store.get(key)
            if found is not None and found[0] >= tag:
                continue
            counts = dict(found[1]) if found is not None else {}
            for name, delta in deltas.items():
                counts[name] = counts.get(name, 0) + delta  # a count back at 0 stays (a void)
            self.store.put(key, [tag, counts])
            self.dirty.add(key)
        for key, value in journal["w"]:
            found = self.store.get(key)
            if found is not None and found[0] >= tag:
                continue
            self.store.put(key, [tag, value])

    def take_dirty(self) -> dict[str, dict[str, int]]:
        """Counts of the area x period keys changed since the last call (for the snapshot)."""
        keys, self.dirty = self.dirty, set()
        return {k: dict(self.get(k) or {}) for k in keys}
