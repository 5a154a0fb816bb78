"""The evaluation of one submission: rule checks that may fail, and the plan of writes if not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from events import EnvelopeBase
from events.order import day_rank
from processors.register.checks import Checks
from processors.register.reasons import Violation
from processors.register.state import (
    HouseholdState,
    PersonState,
    age_on,
    household_before,
    state_before,
)
from processors.register.timeline import Entry, SortKey, Timeline, active, utc_iso


class Rejected(Exception):  # noqa: N818 (a decision, not an error)
    """A rule failed: the submission goes to review with this violation."""

    def __init__(self, violation: Violation, ops: list[list[Any]] | None = None):
        super().__init__(f"{violation.reason}: {violation.detail}")
        self.violation = violation
        self.ops = ops or []  # writes a rejection still makes (an override remembers the new reason)


@dataclass
class Evaluation:
    """Context of one submission: what the rules read, and the ops and enrichment they produce."""

    sub: EnvelopeBase
    checks: Checks
    skip: frozenset[str] = frozenset()  # rule codes an override skips
    ops: list[list[Any]] = field(default_factory=list)
    ctx: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # person ids whose later facts are re-checked
    recheck_all: list[str] = field(default_factory=list)  # ... all their facts (identity changed)
    recheck_from: dict[str, SortKey] = field(default_factory=dict)  # ... from a voided fact on
    inner: Evaluation | None = None  # the held submission an override applies

    def __post_init__(self) -> None:
        self.id = self.sub.event_id
        self.day: date = self.sub.occurred_on
        self.recorded = utc_iso(self.sub.recorded_at)
        self.key: SortKey = (self.day.isoformat(), day_rank(self.sub.type), self.recorded, self.id)
        self.commune = self.sub.commune
        self.reader = self.checks.reader

    # -- failing ---------------------------------------------------------------------------
    def fail(self, violation: Violation | None) -> None:
        """Reject, unless an override skips this rule (then the entry remembers it)."""
        if violation is None:
            return
        if violation.reason in self.skip:
            if violation.reason not in self.skipped:
                self.skipped.append(violation.reason)
            return
        raise Rejected(violation)

    def require(self, ok: bool, reason: str, detail: str) -> None:
        if not ok:
            self.fail(Violation(reason, detail))

    # -- reading ---------------------------------------------------------------------------
    def person(self, person_id: str) -> tuple[str, Timeline | None]:
        return self.checks.person(person_id)

    def known_person(self, person_id: str) -> tuple[str, Timeline]:
        resolved, timeline = self.person(person_id)
        if not self.has_other_entries(timeline):
            raise Rejected(Violation("unknown_person", f"{person_id} is not in the register"))
        assert timeline is not None
        return resolved, timeline

    def has_other_entries(self, timeline: Timeline | None) -> bool:
        """Whether the timeline holds facts other than this submission's own (crash re-runs)."""
        return any(e["i"] != self.id for e in active(timeline))

    def state(self, timeline: Timeline | None) -> PersonState:
        return state_before(timeline, self.key, exclude=self.id)

    def household(self, household_id: str) -> tuple[Timeline, HouseholdState]:
        timeline = self.reader.get("h:" + household_id)
        if not self.has_other_entries(timeline):
            raise Rejected(Violation("household_unknown", f"household {household_id} is not in the register"))
        assert timeline is not None
        return timeline, household_before(timeline, self.key, exclude=self.id)

    def household_here(self, household_id: str, moving: frozenset[str] | None = None) -> HouseholdState:
        """The household must be in the recorded commune, or (a move_in) empty but for `moving`."""
        _, state = self.household(household_id)
        relocates = moving is not None and not state.members - moving
        if not self.checks.same_place(state.commune, self.commune) and not relocates:
            self.fail(
                Violation(
                    "household_elsewhere",
                    f"household {household_id} is in {state.commune}, not {self.commune}, on {self.day.isoformat()}",
                )
            )
        return state

    def check_entry(self, person_id: str, timeline: Timeline | None, entry: Entry) -> None:
        for violation in self.checks.violations(person_id, timeline, entry, new=True, exclude=self.id):
            self.fail(violation)  # raises unless an override skips it; then the next rule runs

    # -- writing ---------------------------------------------------------------------------
    def entry(self, data: dict[str, Any] | None = None, type_: str | None = None) -> Entry:
        entry: Entry = {
            "i": self.id,
            "t": type_ or self.sub.type,
            "o": self.key[0],
            "r": self.recorded,
            "c": self.commune,
        }
        if data:
            entry["d"] = {k: v for k, v in data.items() if v is not None}
        return entry

    def insert(self, key: str, entry: Entry) -> None:
        self.ops.append(["ins", key, entry])
        if key.startswith("p:"):
            self.touched.append(key[2:])

    def join(self, household_id: str, members: list[str], **extra: Any) -> None:
        self.insert("h:" + household_id, self.entry({"join": members, **extra}))

    def leave(self, household_id: str | None, members: list[str]) -> None:
        if household_id:
            self.insert("h:" + household_id, self.entry({"leave": members}))

    # -- enrichment ------------------------------------------------------------------------
    def age(self, person_id: str, state: PersonState) -> int | None:
        years = age_on(state.birth_date, self.day)
        if years is not None:
            self.ctx.setdefault("ages", {})[person_id] = years
        return years

    def subjects(self, *person_ids: str) -> None:
        self.ctx["subjects"] = list(dict.fromkeys(person_ids))
