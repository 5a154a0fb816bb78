"""What the register writes: accepted events enriched with their context, and review items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, SerializationInfo, field_serializer

from events.base import Frozen
from events.envelope import Submission


class AreaPath(Frozen):
    """Where a fact happened, resolved on its occurrence date with the gazetteer then in force."""

    commune: str
    district: str | None  # None for units after the 1 July 2025 reform (no districts)
    province: str
    country: Literal["VN"] = "VN"


class Move(Frozen):
    """One person's move as the register understood it (following people, INDICATORS.md)."""

    person_id: str
    from_commune: str | None  # None = unknown; "ABROAD" = from abroad
    to_commune: str | None
    confirmed: bool  # both ends known to the register (move_in matched or seen)


class Enrichment(Frozen):
    """Context the register adds to an accepted event (EVENTS.md: enriched)."""

    accepted_at: datetime
    submission_offset: int | None = None
    area: AreaPath
    household_id: str | None = None  # the subject's household on occurred_on
    subjects: list[str] = Field(default_factory=list)  # person ids, after merges were resolved
    birth_order: int | None = None
    mother_age: int | None = None
    mother_birth_date: date | None = None
    child_marriage: bool | None = None
    ages: dict[str, int] = Field(default_factory=dict)  # person id -> completed years on occurred_on
    moves: list[Move] = Field(default_factory=list)
    duplicate_of_move: str | None = None  # a late move_out of a move already counted
    flags: list[str] = Field(default_factory=list)
    rechecks: list[str] = Field(default_factory=list)  # later event ids this late event affects


class RegisterEvent(Frozen):
    """An accepted, enriched event on register.events.v1 (the canonical log)."""

    event: Submission
    context: Enrichment

    @field_serializer("event")
    def _submission_shape(self, event: Any, info: SerializationInfo) -> Any:
        # The submission keeps its wire shape (absent, not null, where it has no value), so a
        # reader of the log sees exactly what a producer could have sent; only the register's
        # context carries explicit nulls (area.district after the 2025 reform).
        return event.model_dump(mode=info.mode or "python", exclude_none=True)


class ReviewItem(Frozen):
    """A submission held in review (register.review.v1), resolved only by a new submission."""

    event_id: str
    type: str
    commune: str | None
    occurred_on: date | None
    recorded_at: datetime | None
    collector_id: str | None = None
    reason: str  # machine-readable reason code, e.g. "mother_too_young"
    rule: str  # the rule of EVENTS.md that failed, in words
    detail: str = ""
    held_at: datetime
    submission: dict[str, Any]  # the submission as received
