"""Who an event is about: its subjects (persons, households, events) and the role each plays. Pure.

One definition for the gateway and the register (the Kafka key is the first subject) and for the
projections (the rows of event_subjects). Works on a payload model or its JSON dict alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Persons play every role but "household", "voids" and "overrides".
PERSON_ROLES = frozenset({"person", "child", "mother", "spouse1", "spouse2", "surviving", "merged"})


def subject_roles(event_type: str, payload: Any) -> list[tuple[str, str]]:
    """(subject id, role) pairs of an event, first the one its Kafka key is taken from."""
    # The payload's fields are validated before any subject is asked for: every id is there.
    get: Callable[[str], Any] = (
        payload.get if isinstance(payload, Mapping) else lambda name: getattr(payload, name, None)
    )
    match event_type:
        case "household.registered":
            return [(get("household_id"), "household")]
        case "person.registered" | "household.member_moved":
            return [(get("person_id"), "person"), (get("household_id"), "household")]
        case "birth":
            return [(get("child_id"), "child"), (get("mother_id"), "mother"), (get("household_id"), "household")]
        case "marriage" | "divorce":
            first, second = get("person_ids")
            return [(first, "spouse1"), (second, "spouse2")]
        case "move_out":
            return [(pid, "person") for pid in dict.fromkeys(get("person_ids"))]
        case "move_in":
            return [*((pid, "person") for pid in dict.fromkeys(get("person_ids"))), (get("household_id"), "household")]
        case "persons.merged":
            return [(get("surviving_id"), "surviving"), (get("merged_id"), "merged")]
        case "event.voided":
            return [(get("voided_event_id"), "voids")]
        case "review.overridden":
            return [(get("held_event_id"), "overrides")]
        case _:
            person = get("person_id")
            return [(person, "person")] if person is not None else []
