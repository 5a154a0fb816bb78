"""The envelope of every submission and the discriminated union of all event types."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from pydantic import AwareDatetime, Field, TypeAdapter, model_validator

from events import types as t
from events.base import CommuneCode, FieldRule, Frozen, Identifier, Text
from events.subjects import subject_roles

SCHEMA_VERSION: Final = 1
# Vietnam is UTC+7: an event of "today" in Hanoi may be "tomorrow" for a UTC server clock.
_CLOCK_SLACK = timedelta(days=1)
_limits: tuple[float, int, float] = (0.0, 0, 0.0)  # (computed at, last ordinal day, last timestamp)


def _clock_limits() -> tuple[int, float]:
    """The latest occurred_on (as an ordinal) and recorded_at (as a timestamp) accepted now.

    Recomputed at most once a second: reading the clock per envelope cost a quarter of the
    decode time (bench/bench_decode.py).
    """
    global _limits
    now = time.time()
    if now - _limits[0] >= 1.0 or now < _limits[0]:
        latest = datetime.fromtimestamp(now, UTC) + _CLOCK_SLACK
        _limits = (now, latest.date().toordinal(), latest.timestamp())
    return _limits[1], _limits[2]


class Source(Frozen):
    """Who and what recorded the fact."""

    channel: Literal["mobile", "web", "import", "generator"]
    device_id: Text | None = None
    collector_id: Text | None = None  # cộng tác viên dân số (CTV) code


class EnvelopeBase(Frozen):
    """Fields common to every submission (EVENTS.md, envelope)."""

    event_id: Identifier
    schema_version: Literal[1] = SCHEMA_VERSION
    occurred_on: date
    recorded_at: AwareDatetime
    commune: CommuneCode
    source: Source
    if TYPE_CHECKING:  # every concrete envelope declares these two (a Literal type, its payload model)
        type: str
        payload: Any

    @model_validator(mode="after")
    def _clocks(self) -> EnvelopeBase:
        last_day, last_time = _clock_limits()
        occurred = self.occurred_on.toordinal()
        recorded = self.recorded_at.toordinal()  # the day in the recorder's own time zone
        if occurred > last_day:
            raise FieldRule("occurred_on", "is in the future: a fact is recorded after it happens")
        # Only a recent local day can be in the future (zones are within +-14 h of UTC); the exact
        # instant is costly to compute, so it is checked for those alone.
        if recorded >= last_day - 1 and self.recorded_at.timestamp() > last_time:
            raise FieldRule("recorded_at", "is in the future (check the device clock)")
        if recorded < occurred - _CLOCK_SLACK.days:
            raise FieldRule("recorded_at", "is before occurred_on: a fact cannot be written down before it happens")
        return self


class HouseholdRegistered(EnvelopeBase):
    """A household enters the register (baseline A0 page or a new household); by the CTV."""

    type: Literal["household.registered"]
    payload: t.HouseholdRegistered


class PersonRegistered(EnvelopeBase):
    """A person already living in a household when it is first recorded; by the CTV."""

    type: Literal["person.registered"]
    payload: t.PersonRegistered


class Birth(EnvelopeBase):
    """A live birth in the commune, reported by the CTV of the mother's area."""

    type: Literal["birth"]
    payload: t.Birth


class Death(EnvelopeBase):
    """A death of a resident, reported by the CTV of the area."""

    type: Literal["death"]
    payload: t.Death


class Marriage(EnvelopeBase):
    """A marriage of two residents, reported by the CTV."""

    type: Literal["marriage"]
    payload: t.Marriage


class Divorce(EnvelopeBase):
    """A divorce of two persons married to each other, reported by the CTV."""

    type: Literal["divorce"]
    payload: t.Divorce


class MoveOut(EnvelopeBase):
    """Persons leave the commune, reported by the CTV where they lived."""

    type: Literal["move_out"]
    payload: t.MoveOut


class MoveIn(EnvelopeBase):
    """Persons arrive into a household of the commune, reported by the CTV where they arrive."""

    type: Literal["move_in"]
    payload: t.MoveIn


class HouseholdMemberMoved(EnvelopeBase):
    """A person changes household inside the same commune (not a migration)."""

    type: Literal["household.member_moved"]
    payload: t.HouseholdMemberMoved


class ContraceptionStarted(EnvelopeBase):
    """A person starts a contraceptive method, reported by the CTV."""

    type: Literal["contraception.started"]
    payload: t.ContraceptionStarted


class ContraceptionStopped(EnvelopeBase):
    """A person stops a contraceptive method, reported by the CTV."""

    type: Literal["contraception.stopped"]
    payload: t.ContraceptionStopped


class PregnancyRecorded(EnvelopeBase):
    """A pregnancy becomes known to the CTV."""

    type: Literal["pregnancy.recorded"]
    payload: t.PregnancyRecorded


class PregnancyEnded(EnvelopeBase):
    """A pregnancy ended (a live birth also needs its birth event)."""

    type: Literal["pregnancy.ended"]
    payload: t.PregnancyEnded


class PersonCorrected(EnvelopeBase):
    """A correction or rename of a person's details, by the CTV or a commune clerk."""

    type: Literal["person.corrected"]
    payload: t.PersonCorrected


class EventVoided(EnvelopeBase):
    """A recorded fact was wrong; from now on it is treated as never having happened."""

    type: Literal["event.voided"]
    payload: t.EventVoided


class PersonsMerged(EnvelopeBase):
    """Two records were the same person; a clerk merges them."""

    type: Literal["persons.merged"]
    payload: t.PersonsMerged


class ReviewOverridePayload(Frozen):
    """A clerk confirms a held submission is right and asks the register to apply it."""

    held_event_id: Identifier
    reason: Text


class ReviewOverridden(EnvelopeBase):
    """Extension of EVENTS.md v1: resolves a held submission by a new submission (clerk/operator)."""

    type: Literal["review.overridden"]
    payload: ReviewOverridePayload


Submission = Annotated[
    HouseholdRegistered
    | PersonRegistered
    | Birth
    | Death
    | Marriage
    | Divorce
    | MoveOut
    | MoveIn
    | HouseholdMemberMoved
    | ContraceptionStarted
    | ContraceptionStopped
    | PregnancyRecorded
    | PregnancyEnded
    | PersonCorrected
    | EventVoided
    | PersonsMerged
    | ReviewOverridden,
    Field(discriminator="type"),
]
SUBMISSION_ADAPTER: TypeAdapter[Submission] = TypeAdapter(Submission)
ENVELOPE_TYPES: dict[str, type[EnvelopeBase]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls  # type: ignore[union-attr]
    for cls in EnvelopeBase.__subclasses__()
}
EVENT_TYPES: tuple[str, ...] = tuple(ENVELOPE_TYPES)


def subject_ids(event: EnvelopeBase) -> list[str]:
    """The persons and households a fact is about, first the one its Kafka key is taken from."""
    return [subject for subject, _ in subject_roles(event.type, event.payload)]


def kafka_key(event: EnvelopeBase) -> bytes:
    return subject_ids(event)[0].encode()
