"""The one ingest path of HTTP, `popreg submit` and `import-a0`: check, dedupe, publish, record."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from events import EnvelopeBase, FieldError, InvalidSubmission, kafka_key, validate_submission
from events.gazetteer import Gazetteer
from infra.observability import count_submissions
from infra.tokens import Principal
from producers.publisher import Publisher, PublishError, Record

THREAD_ABOVE = 200  # items; smaller batches are checked inline (a thread hop costs ~50 µs)
Status = Literal["accepted", "duplicate", "invalid"]
# The other end of a move, checked against the gazetteer like the recording commune.
_OTHER_END = {"move_out": "to_commune", "move_in": "from_commune"}

# Claim the ids in the transaction that waits for Kafka: a concurrent copy of the same event_id
# blocks on the uncommitted row and then answers "duplicate"; if Kafka fails, the rollback
# frees the ids so a resend is accepted. Arrays come sorted so two batches sharing ids always
# lock them in the same order (no deadlock).
CLAIM_IDS = """
INSERT INTO accepted_submissions (event_id, type, commune, token_id)
SELECT e, t, c, %s FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(e, t, c)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answer for one submitted item (CONTRACT.md): accepted, duplicate or invalid."""

    event_id: str | None
    status: Status
    errors: tuple[FieldError, ...] = ()
    forbidden: bool = False  # invalid only because it lies outside the caller's area scope

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "status": self.status, "errors": [e.as_dict() for e in self.errors]}


@dataclass
class Counts:
    accepted: int = 0
    duplicate: int = 0
    invalid: int = 0

    def add(self, results: Sequence[ItemResult]) -> None:
        for r in results:
            setattr(self, r.status, getattr(self, r.status) + 1)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.invalid


class Unavailable(RuntimeError):
    """Kafka or PostgreSQL did not answer: nothing of the batch was accepted; resend it later."""


def _value(event: EnvelopeBase) -> bytes:
    # Byte for byte what events.encode gives (a unit test holds them equal), but serialised by
    # pydantic-core directly: six times faster than model_dump + orjson on the hot path.
    return event.model_dump_json(exclude_none=True).encode()


def _raw_event_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("event_id")
        if isinstance(value, str) and 0 < len(value) <= 64:
            return value
    return None


class IngestService:
    """Checks a batch item by item and publishes what passes to register.submissions.v1.

    An item is accepted only after the Kafka transaction holding it committed and its id was
    recorded; an invalid item never blocks the others; results come back in input order.
    """

    def __init__(self, pool: AsyncConnectionPool, publisher: Publisher, gazetteer: Gazetteer, topic: str) -> None:
        self.pool = pool
        self.publisher = publisher
        self.gazetteer = gazetteer
        self.topic = topic  # settings.topic(SUBMISSIONS)

    def check(self, raw: Any, principal: Principal) -> EnvelopeBase | ItemResult:
        """Contract, gazetteer, scope and role checks of one item (no I/O)."""
        if isinstance(raw, InvalidSubmission):
            return ItemResult(None, "invalid", tuple(raw.errors))
        try:
            event = validate_submission(raw)
        except InvalidSubmission as exc:
            return ItemResult(_raw_event_id(raw), "invalid", tuple(exc.errors))
        errors = self._place_errors(event)
        if errors:
            return ItemResult(event.event_id, "invalid", tuple(errors))
        if event.type == "review.overridden" and not principal.may_override:
            msg = f"forbidden: only a clerk or operator may override a review hold (this token is {principal.role})"
            return ItemResult(event.event_id, "invalid", (FieldError("type", msg),))
        if principal.area != "VN" and not self.gazetteer.contains(principal.area, event.commune, event.occurred_on):
            msg = (
                f"forbidden: commune {event.commune} ({self._name(event.commune, event.occurred_on)}) "
                f"is outside this token's area {principal.area} ({self._name(principal.area, event.occurred_on)})"
            )
            return ItemResult(event.event_id, "invalid", (FieldError("commune", msg),), forbidden=True)
        return event

    def _place_errors(self, event: EnvelopeBase) -> list[FieldError]:
        on = event.occurred_on
        errors = []
        if not self.gazetteer.exists(event.commune, on):
            errors.append(FieldError("commune", self._unknown(event.commune, on)))
        other = _OTHER_END.get(event.type)
        if other is not None:
            code = getattr(event.payload, other)
            if code is not None and code != "ABROAD" and not self.gazetteer.exists(code, on):
                errors.append(FieldError(f"payload.{other}", self._unknown(code, on)))
        return errors

    def _unknown(self, code: str, on: date) -> str:
        later = self.gazetteer.successor(code)
        if later is not None and later != code and self.gazetteer.exists(later, on):
            return (
                f"commune {code} no longer existed on {on.isoformat()}: "
                f"since the 1 July 2025 reform it is part of commune {later}"
            )
        return f"no commune {code} in the gazetteer on {on.isoformat()}"

    def _name(self, code: str, on: date) -> str:
        try:
            return self.gazetteer.name(code, on)
        except (KeyError, ValueError):
            return "unknown area"

    async def ingest(self, items: Sequence[Any], principal: Principal) -> list[ItemResult]:
        """One result per item, in order. Items are parsed JSON values or InvalidSubmission
        (an unparsable line). Raises Unavailable when Kafka or PostgreSQL fails."""
        if len(items) > THREAD_ABOVE:
            # Validation is CPU work (~15 µs an item): a large batch runs it in a thread so the
            # event loop keeps serving other requests and the Kafka producer's I/O meanwhile.
            results, events, slots = await asyncio.to_thread(self._check_all, items, principal)
        else:
            results, events, slots = self._check_all(items, principal)
        if events:
            taken = await self._claim_and_publish(events, principal)
            for event, i in zip(events, slots, strict=True):
                results[i] = ItemResult(event.event_id, "accepted" if event.event_id in taken else "duplicate")
        count_submissions([r.status for r in results if r is not None])
        return results  # type: ignore[return-value]

    def _check_all(
        self, items: Sequence[Any], principal: Principal
    ) -> tuple[list[ItemResult | None], list[EnvelopeBase], list[int]]:
        results: list[ItemResult | None] = [None] * len(items)
        first_of: dict[str, int] = {}
        events: list[EnvelopeBase] = []
        slots: list[int] = []
        for i, raw in enumerate(items):
            checked = self.check(raw, principal)
            if isinstance(checked, ItemResult):
                results[i] = checked
            elif checked.event_id in first_of:
                # The same fact twice in one batch: the first copy decides.
                results[i] = ItemResult(checked.event_id, "duplicate")
            else:
                first_of[checked.event_id] = i
                events.append(checked)
                slots.append(i)
        return results, events, slots

    async def _claim_and_publish(self, events: list[EnvelopeBase], principal: Principal) -> set[str]:
        ordered = sorted(events, key=lambda e: e.event_id)
        params = (
            principal.token_id,
            [e.event_id for e in ordered],
            [e.type for e in ordered],
            [e.commune for e in ordered],
        )
        try:
            async with self.pool.connection() as conn, conn.transaction():
                cur = await conn.execute(CLAIM_IDS, params)
                taken = {row[0] for row in await cur.fetchall()}
                # Input order, not id order: the register reads the one partition in this order.
                records = [Record(kafka_key(e), _value(e)) for e in events if e.event_id in taken]
                if records:
                    await self.publisher.publish(self.topic, records)
        except (psycopg.Error, PoolTimeout, PublishError, OSError) as exc:
            raise Unavailable(f"nothing accepted, resend the batch: {exc}") from exc
        return taken
