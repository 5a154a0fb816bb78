"""What the projection folds work on: one archived event, its subjects' roles, and the read-model tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.order import day_rank
from events.register import RegisterEvent
from events.subjects import PERSON_ROLES, subject_roles
from events.types import MODERN_METHODS

# Roles a subject plays in an event (PERSON_ROLES, subject_roles) and the order of one day's
# facts (day_rank): one definition each, in events/, read by the register and the analyses too.
# The events of a related person (a child, a spouse) that a person's rows read: their sex,
# birth date and death.
ATTRIBUTE_TYPES = ("person.registered", "birth", "person.corrected", "death")

MODERN = MODERN_METHODS


@dataclass(frozen=True, slots=True)
class Ev:
    """One accepted event as the folds see it (archive row or Kafka record, same shape)."""

    event_id: str
    type: str
    occurred_on: date
    recorded_at: datetime
    commune: str
    payload: dict[str, Any]
    context: dict[str, Any]

    @property
    def order(self) -> tuple[date, int, datetime, str]:
        """Occurrence order (real-world time); ties on a day by events.order, then knowledge order."""
        return (self.occurred_on, day_rank(self.type), self.recorded_at, self.event_id)


def from_register_event(rec: RegisterEvent) -> Ev:
    ev = rec.event
    return Ev(
        event_id=ev.event_id,
        type=ev.type,
        occurred_on=ev.occurred_on,
        recorded_at=ev.recorded_at,
        commune=ev.commune,
        payload=ev.payload.model_dump(mode="json", exclude_none=True),
        context=rec.context.model_dump(mode="json", exclude_none=True),
    )


def roles(ev: Ev) -> list[tuple[str, str]]:
    """(subject id, role) pairs of an event: the rows of event_subjects."""
    return subject_roles(ev.type, ev.payload)


def person_ids(ev: Ev) -> list[str]:
    return [s for s, r in roles(ev) if r in PERSON_ROLES]


# Columns of every read-model table, in COPY order. `known_from`/`known_to` are added by the
# bitemporal driver to every table but `persons` (current values only).
TABLES: dict[str, tuple[str, ...]] = {
    "residence_episodes": (
        "person_id",
        "household_id",
        "commune",
        "relation",
        "valid_from",
        "valid_to",
        "entry",
        "exit",
        "sex",
        "birth_date",
    ),
    "marital_episodes": ("person_id", "status", "partner_id", "valid_from", "valid_to"),
    "contraception_episodes": (
        "person_id",
        "event_id",
        "method",
        "modern",
        "valid_from",
        "valid_to",
        "stop_reason",
        "commune",
        "sex",
    ),
    "pregnancies": ("person_id", "event_id", "recorded_on", "expected_on", "ended_on", "outcome"),
    "births": (
        "event_id",
        "mother_id",
        "child_id",
        "occurred_on",
        "sex",
        "birth_order",
        "mother_birth_date",
        "mother_age",
        "household_id",
        "commune",
        "plurality",
    ),
    "deaths": ("event_id", "person_id", "occurred_on", "commune", "household_id", "sex", "birth_date", "age", "cause"),
    "moves": ("person_id", "out_event_id", "in_event_id", "from_commune", "to_commune", "out_on", "in_on"),
    "marriages": ("event_id", "kind", "person_id", "partner_id", "occurred_on", "commune", "child_marriage"),
    "person_attribute_history": ("person_id", "attribute", "value", "valid_from", "valid_to", "event_id"),
    "households": ("household_id", "event_id", "commune", "address", "head_person_id", "registered_on"),
    "persons": (
        "person_id",
        "status",
        "merged_into",
        "full_name",
        "sex",
        "birth_date",
        "household_id",
        "commune",
        "relation",
        "marital_status",
        "mother_id",
        "national_id",
        "ethnicity",
        "education",
        "children_ever_born",
        "entered_on",
        "left_on",
        "death_on",
    ),
}
BITEMPORAL = tuple(t for t in TABLES if t != "persons")
# The column that names the unit whose recompute owns a row (deleted and rewritten together).
OWNER = {t: ("mother_id" if t == "births" else "household_id" if t == "households" else "person_id") for t in TABLES}
PERSON_TABLES = tuple(t for t in TABLES if t != "households")
