"""The payload of every event type of EVENTS.md: what each real-world fact carries.

This is where "what a birth is" is written down. Envelopes (events/envelope.py) wrap these.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from events.base import FieldRule, Frozen, Identifier, NationalId, NonEmptyText, PlaceCode, Text

Sex = Literal["M", "F"]
Relation = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "other"]
MaritalStatus = Literal["never_married", "married", "divorced", "separated", "widowed"]
Method = Literal[
    "iud",
    "implant",
    "injectable",
    "pill",
    "condom",
    "female_sterilization",
    "male_sterilization",
    "traditional",
]
MODERN_METHODS: frozenset[str] = frozenset(
    {"iud", "implant", "injectable", "pill", "condom", "female_sterilization", "male_sterilization"}
)
StopReason = Literal["wants_child", "side_effects", "other"]
PregnancyOutcome = Literal["live_birth", "stillbirth", "miscarriage", "abortion"]


class HouseholdRegistered(Frozen):
    """A household enters the register (a baseline A0 page, or a newly formed household)."""

    household_id: Identifier
    address: NonEmptyText
    head_person_id: Identifier | None = None


class PersonRegistered(Frozen):
    """A person already living in a household when it is first recorded (not a birth, not a move)."""

    person_id: Identifier
    household_id: Identifier
    full_name: NonEmptyText
    sex: Sex
    birth_date: date
    relation_to_head: Relation
    marital_status: MaritalStatus
    mother_id: Identifier | None = None
    children_ever_born: Annotated[int, Field(ge=0, le=30)] | None = None
    national_id: NationalId | None = None
    ethnicity: Text | None = None
    education: Text | None = None


class Birth(Frozen):
    """A live birth (sinh), reported by the collaborator of the mother's commune."""

    child_id: Identifier
    household_id: Identifier
    mother_id: Identifier
    father_id: Identifier | None = None
    full_name: Text | None = None  # often empty at birth; named later by person.corrected
    sex: Sex
    birth_weight_g: Annotated[int, Field(ge=200, le=8000)] | None = None
    plurality: Annotated[int, Field(ge=1, le=8)] | None = None


class Death(Frozen):
    """A death (chết): the person leaves the population on occurred_on."""

    person_id: Identifier
    cause: Text | None = None


class Marriage(Frozen):
    """A marriage (kết hôn) of two persons; both become married."""

    person_ids: Annotated[list[Identifier], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _two_people(self) -> Marriage:
        if self.person_ids[0] == self.person_ids[1]:
            raise FieldRule("person_ids", "the two persons must be different people")
        return self


class Divorce(Frozen):
    """A divorce (ly hôn) of two persons married to each other."""

    person_ids: Annotated[list[Identifier], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _two_people(self) -> Divorce:
        if self.person_ids[0] == self.person_ids[1]:
            raise FieldRule("person_ids", "the two persons must be different people")
        return self


class MoveOut(Frozen):
    """Persons leave (chuyển đi), recorded by the collaborator where they lived."""

    person_ids: Annotated[list[Identifier], Field(min_length=1, max_length=50)]
    to_commune: PlaceCode | None = None


class MoveIn(Frozen):
    """Persons arrive (chuyển đến) into a household, recorded where they arrive."""

    person_ids: Annotated[list[Identifier], Field(min_length=1, max_length=50)]
    household_id: Identifier
    from_commune: PlaceCode | None = None


class HouseholdMemberMoved(Frozen):
    """A change of household inside the same commune (marriage, split): not a migration."""

    person_id: Identifier
    household_id: Identifier


class ContraceptionStarted(Frozen):
    """A person starts using a contraceptive method (biện pháp tránh thai)."""

    person_id: Identifier
    method: Method


class ContraceptionStopped(Frozen):
    """A person stops using a contraceptive method."""

    person_id: Identifier
    method: Method
    reason: StopReason | None = None


class PregnancyRecorded(Frozen):
    """A pregnancy is known to the collaborator."""

    person_id: Identifier
    expected_on: date | None = None


class PregnancyEnded(Frozen):
    """A pregnancy ended; a live birth still needs its own birth event."""

    person_id: Identifier
    outcome: PregnancyOutcome


class PersonChanges(Frozen):
    """The correctable fields of a person; only those given change."""

    full_name: NonEmptyText | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    national_id: NationalId | None = None
    ethnicity: Text | None = None
    education: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        # Apps often send null for an untouched input; a correction never clears a value, so a
        # null is "not given" (and the model round-trips through the codec unchanged).
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @model_validator(mode="after")
    def _something(self) -> PersonChanges:
        if not self.model_fields_set:
            raise ValueError("name at least one field to correct")
        return self


class PersonCorrected(Frozen):
    """A correction or rename of a person's details; history keeps every earlier value."""

    person_id: Identifier
    changes: PersonChanges


class EventVoided(Frozen):
    """A recorded fact was wrong: treated as never having happened, from when the void is known."""

    voided_event_id: Identifier
    reason: NonEmptyText


class PersonsMerged(Frozen):
    """Two records were the same person; the merged one's history joins the survivor's."""

    surviving_id: Identifier
    merged_id: Identifier

    @model_validator(mode="after")
    def _different(self) -> PersonsMerged:
        if self.surviving_id == self.merged_id:
            raise FieldRule("merged_id", "a person cannot be merged into themselves")
        return self
