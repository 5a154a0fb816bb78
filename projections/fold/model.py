"""What the projection folds work on: one archived event, its subjects' roles, and the read-model tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.register import RegisterEvent
from events.types import MODERN_METHODS

# Roles a subject plays in an event (table event_subjects). Persons play every role but
# "household", "voids" and "overrides"; the folds use the role to know what the event is to them.
PERSON_ROLES = frozenset({"person", "child", "mother", "spouse1", "spouse2", "surviving", "merged"})

# Events of one day are applied entries first, exits last, so that a move_in and the
# person.registered that introduces the same newcomer read as one arrival, and a switch of
# contraceptive method (stopped + started the same day) is a stop followed by a start.
DAY_RANK = {
    "household.registered": 0,
    "birth": 1,
    "move_in": 2,
    "person.registered": 3,
    "household.member_moved": 4,
    "persons.merged": 4,
    "marriage": 5,
    "divorce": 5,
    "contraception.stopped": 5,
    "contraception.started": 6,
    "pregnancy.recorded": 6,
    "pregnancy.ended": 7,
    "person.corrected": 7,
    "review.overridden": 7,
    "event.voided": 7,
    "move_out": 8,
    "death": 9,
}

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
        """Occurrence order (real-world time); ties on a day by DAY_RANK, then knowledge order."""
        return (self.occurred_on, DAY_RANK.get(self.type, 7), self.recorded_at, self.event_id)


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
    p = ev.payload
    match ev.type:
        case "household.registered":
            return [(p["household_id"], "household")]
        case "person.registered" | "household.member_moved":
            return [(p["person_id"], "person"), (p["household_id"], "household")]
        case "birth":
            return [(p["child_id"], "child"), (p["mother_id"], "mother"), (p["household_id"], "household")]
        case "marriage" | "divorce":
            return [(p["person_ids"][0], "spouse1"), (p["person_ids"][1], "spouse2")]
        case "move_out":
            return [(pid, "person") for pid in dict.fromkeys(p["person_ids"])]
        case "move_in":
            return [*((pid, "person") for pid in dict.fromkeys(p["person_ids"])), (p["household_id"], "household")]
        case "persons.merged":
            return [(p["surviving_id"], "surviving"), (p["merged_id"], "merged")]
        case "event.voided":
            return [(p["voided_event_id"], "voids")]
        case "review.overridden":
            return [(p["held_event_id"], "overrides")]
        case _:
            return [(p["person_id"], "person")] if "person_id" in p else []


def person_ids(ev: Ev) -> list[str]:
    return [s for s, r in roles(ev) if r in PERSON_ROLES]


# Columns of every read-model table, in COPY order. `known_from`/`known_to` are added by the
# bitemporal driver to every table but `persons` (current values only).
TABLES: dict[str, tuple[str, ...]] = {
    "residence_episodes": ("person_id", "household_id", "commune", "relation", "valid_from", "valid_to",
                           "entry", "exit", "sex", "birth_date"),
    "marital_episodes": ("person_id", "status", "partner_id", "valid_from", "valid_to"),
    "contraception_episodes": ("person_id", "event_id", "method", "modern", "valid_from", "valid_to",
                               "stop_reason", "commune", "sex"),
    "pregnancies": ("person_id", "event_id", "recorded_on", "expected_on", "ended_on", "outcome"),
    "births": ("event_id", "mother_id", "child_id", "occurred_on", "sex", "birth_order",
               "mother_birth_date", "mother_age", "household_id", "commune", "plurality"),
    "deaths": ("event_id", "person_id", "occurred_on", "commune", "household_id", "sex", "birth_date",
               "age", "cause"),
    "moves": ("person_id", "out_event_id", "in_event_id", "from_commune", "to_commune", "out_on", "in_on"),
    "marriages": ("event_id", "kind", "person_id", "partner_id", "occurred_on", "commune", "child_marriage"),
    "person_attribute_history": ("person_id", "attribute", "value", "valid_from", "valid_to", "event_id"),
    "households": ("household_id", "event_id", "commune", "address", "head_person_id", "registered_on"),
    "persons": ("person_id", "status", "merged_into", "full_name", "sex", "birth_date", "household_id",
                "commune", "relation", "marital_status", "mother_id", "national_id", "ethnicity",
                "education", "children_ever_born", "entered_on", "left_on", "death_on"),
}
BITEMPORAL = tuple(t for t in TABLES if t != "persons")
# The column that names the unit whose recompute owns a row (deleted and rewritten together).
OWNER = {t: ("mother_id" if t == "births" else "household_id" if t == "households" else "person_id")
         for t in TABLES}
PERSON_TABLES = tuple(t for t in TABLES if t != "households")
