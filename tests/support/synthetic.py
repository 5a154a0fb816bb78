"""RegisterEvent records as the register writes them, built directly (benchmarks, tests, demos). Pure.

The projections read only register.events.v1, so their tests and benchmarks put records there
without running the register processor; each record is checked against the contract models.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson

from events.codec import decode_register_event
from events.gazetteer import Gazetteer
from projections.fold.model import Ev, roles
from projections.periods import VIETNAM


def at(day: date | str, hour: int = 10) -> datetime:
    """A recorded_at instant on a Vietnamese calendar day."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(d, time(hour), tzinfo=VIETNAM)


class EventFactory:
    """Builds RegisterEvent JSON: the envelope, and a context with the area path on occurred_on."""

    def __init__(self, gazetteer: Gazetteer | None = None, *, validate: bool = True, prefix: str = "ev"):
        self.gazetteer, self.validate, self.prefix = gazetteer, validate, prefix
        self._ids = itertools.count(1)

    def area(self, commune: str, on: date) -> dict[str, Any]:
        path = self.gazetteer.resolve(commune, on) if self.gazetteer is not None else None
        if path is None:
            return {"commune": commune, "district": None, "province": commune[:2], "country": "VN"}
        return path.model_dump(mode="json")

    def record(
        self,
        type: str,
        occurred_on: date | str,
        commune: str,
        payload: dict[str, Any],
        *,
        recorded_at: datetime | date | str | None = None,
        event_id: str | None = None,
        **context: Any,
    ) -> dict[str, Any]:
        """One RegisterEvent as a dict; recorded_at defaults to 10:00 on occurred_on."""
        day = date.fromisoformat(occurred_on) if isinstance(occurred_on, str) else occurred_on
        if recorded_at is None or isinstance(recorded_at, (date, str)) and not isinstance(recorded_at, datetime):
            recorded = at(recorded_at or day)
        else:
            recorded = recorded_at
        event = {
            "event_id": event_id or f"{self.prefix}-{next(self._ids):08d}",
            "type": type,
            "schema_version": 1,
            "occurred_on": day.isoformat(),
            "recorded_at": recorded.isoformat(),
            "commune": commune,
            "source": {"channel": "generator"},
            "payload": payload,
        }
        ctx = {"accepted_at": (recorded + timedelta(minutes=1)).isoformat(), "area": self.area(commune, day), **context}
        return {"event": event, "context": ctx}

    def encode(self, record: dict[str, Any]) -> bytes:
        data = orjson.dumps(record)
        if self.validate:
            decode_register_event(data)  # a malformed test record is a bug in the test, found here
        return data

    @staticmethod
    def key(record: dict[str, Any]) -> bytes:
        """The Kafka key the register uses: the first subject id (events.envelope.subject_ids)."""
        ev = record["event"]
        probe = Ev(ev["event_id"], ev["type"], date.min, datetime.min, ev["commune"], ev["payload"], {})
        return roles(probe)[0][0].encode()
