"""Turns facts into wire-shape lines (EVENTS.md), ordered by when they were recorded.

Facts are simulated month by month; each line is serialised at once and kept in a small heap
keyed by its upload time until no later fact can be recorded before it, then written. Memory
is bounded by the lateness window, not by the length of the history.
"""

from __future__ import annotations

import hashlib
import heapq
from datetime import date
from typing import Any, BinaryIO

import orjson

from producers.generator.noise import NoiseConfig, corrupt
from producers.generator.places import Places
from producers.generator.rand import Rand
from producers.generator.state import State
from producers.generator.truth import Truth

SECOND = 1_000_000  # times are microseconds since 0001-01-01 00:00 in Vietnam (UTC+7)
DAY = 86_400 * SECOND
_BASELINE = 6 * 3600 * SECOND  # the A0 book is loaded before the first visit of the day
_WORK = (7 * 3600, 20 * 3600)  # collaborators record between 07:00 and 20:00 (seconds)


def day_iso(day: int, _cache: dict[int, str] = {}) -> str:  # noqa: B006 (a deliberate memo)
    text = _cache.get(day)
    if text is None:
        text = _cache[day] = date.fromordinal(day).isoformat()
    return text


def timestamp(micro: int) -> str:
    """RFC 3339 in UTC+7; a fraction only where one is needed (the baseline's milliseconds)."""
    day, rest = divmod(micro, DAY)
    sec, frac = divmod(rest, SECOND)
    minute, sec = divmod(sec, 60)
    text = f"{day_iso(day)}T{minute // 60:02d}:{minute % 60:02d}:{sec:02d}"
    if frac:
        text += f".{frac // 1000:03d}" if frac % 1000 == 0 else f".{frac:06d}"
    return text + "+07:00"


class Emitter:
    """Builds, orders and writes the lines; enforces that prerequisites are recorded first."""

    def __init__(
        self, out: BinaryIO, state: State, places: Places, tag: str, cap: int, noise: NoiseConfig, r: Rand, truth: Truth
    ):
        self.out, self.state, self.places, self.tag = out, state, places, tag
        self.cap, self.noise, self.r, self.truth = cap, noise, r, truth
        self.step = SECOND  # the least gap between two facts about one subject
        self.clock = 0  # the baseline's own clock (see open_baseline)
        self.heap: list[tuple[int, int, bytes]] = []
        self.seq = 0
        self.count = 0
        self.written = 0
        self.peak = 0  # most lines held back at once (memory is bounded by lateness, not length)

    def pid(self, person: int) -> str:
        return f"{self.tag}-p{person}"

    def hid(self, household: int) -> str:
        return f"{self.tag}-h{household}"

    def new_event_id(self) -> str:
        self.count += 1
        h = hashlib.blake2b(f"{self.tag}:{self.count}".encode(), digest_size=16).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def natural(self, day: int) -> int:
        """When a fact of `day` is written down: at a monthly visit, sometimes months late."""
        delay = self.r.between(0, 30)
        if self.r.chance(self.noise.late):
            delay += self.r.between(*self.noise.late_days)
        return (day + delay) * DAY + self.r.between(*_WORK) * SECOND

    def open_baseline(self, day: int, households: int) -> None:
        """The A0 book is loaded line after line from 06:00, a few milliseconds apart, so the
        whole baseline is in strictly increasing recorded_at order and done before 07:00 (for up
        to ~360,000 households), before any visit of the day."""
        self.step = max(1000, 3600 * SECOND // max(1, households * 10) // 1000 * 1000)
        self.clock = day * DAY + _BASELINE

    def tick(self) -> int:
        self.clock += self.step
        return self.clock

    def close_baseline(self) -> None:
        self.step = SECOND

    def event(
        self,
        etype: str,
        day: int,
        commune: int,
        payload: dict[str, Any],
        *,
        persons: tuple[int, ...] = (),
        households: tuple[int, ...] = (),
        collector: int = 0,
        at: int | None = None,
        new_household: int | None = None,
    ) -> tuple[str, int] | None:
        """Emit one fact; None when it is not recorded by the end (its dependents are not either).

        `at` fixes the time (a batch written together) instead of a natural delay. A line is
        always at least `step` (a second; a millisecond in the baseline) after every earlier fact
        about the same persons or households, so recorded_at alone orders a subject's facts
        (readers break ties by event id, not by file order).
        """
        p_rec, h_rec = self.state.p.rec, self.state.h.rec
        rec = self.natural(day) if at is None else at
        step = self.step
        for p in persons:
            rec = max(rec, int(p_rec[p]) + step)
        for h in households:
            rec = max(rec, int(h_rec[h]) + step)
        for p in persons:
            p_rec[p] = rec
        if new_household is not None:
            h_rec[new_household] = rec
        if rec > self.cap:
            self.truth.noise["not_yet_recorded"] += 1
            return None
        code = self.places.code(commune, day)
        line = {
            "event_id": self.new_event_id(),
            "type": etype,
            "schema_version": 1,
            "occurred_on": day_iso(day),
            "recorded_at": timestamp(rec),
            "commune": code,
            "source": {"channel": "generator", "collector_id": f"ctv-{code}-{collector % 9 + 1:02d}"},
            "payload": payload,
        }
        self.push(rec, orjson.dumps(line))
        self.truth.events[etype] += 1
        if rec - day * DAY > 31 * DAY:
            self.truth.noise["late_recorded"] += 1
        if self.r.chance(self.noise.duplicate):
            again = rec + self.r.between(3600, 14 * 86_400) * SECOND  # a resubmission after a lost answer
            if again <= self.cap:
                self.push(again, orjson.dumps(line))
                self.truth.noise["resubmitted_duplicates"] += 1
        if self.r.chance(self.noise.invalid):
            kind, raw = corrupt(self.r, line, self.new_event_id())
            self.push(rec, raw)
            self.truth.invalid[kind] += 1
        return line["event_id"], rec

    def push(self, at: int, raw: bytes) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, raw))

    def flush(self, before: int) -> None:
        """Write every line uploaded before `before` (no later fact can precede them)."""
        heap, write = self.heap, self.out.write
        self.peak = max(self.peak, len(heap))
        while heap and heap[0][0] < before:
            write(heapq.heappop(heap)[2] + b"\n")
            self.written += 1

    def close(self) -> None:
        self.flush(1 << 62)
