"""Canonical log records written by hand: small worked examples for docs, checks and teaching.

Every record is validated as a RegisterEvent, so a hand-made log has exactly the shape the
register writes. Area paths of made-up codes follow the code: commune 10101 lies in district
101 of province 10 (pass `paths` for real codes).
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from events import RegisterEvent, encode
from events.calendar import completed_age


class HandLog:
    """Builds RegisterEvent records in the order the methods are called."""

    def __init__(self, paths: dict[str, tuple[str | None, str]] | None = None):
        self.paths = paths or {}
        self.records: list[RegisterEvent] = []
        self._ids = itertools.count(1)
        self.households: dict[str, str] = {}  # household -> commune
        self.people: dict[str, dict[str, Any]] = {}  # person -> sex, birth, births, household

    # plumbing -----------------------------------------------------------------------------
    def area(self, commune: str) -> dict[str, Any]:
        district, province = self.paths.get(commune, (commune[:3], commune[:2]))
        return {"commune": commune, "district": district, "province": province}

    def _add(
        self,
        typ: str,
        on: str,
        commune: str,
        payload: dict[str, Any],
        recorded: str | None = None,
        event_id: str | None = None,
        **ctx: Any,
    ) -> str:
        n = next(self._ids)
        event_id = event_id or f"ev-{n:06d}"
        stamp = f"{recorded or on}T10:00:00+07:00"
        record = RegisterEvent.model_validate(
            {
                "event": {
                    "event_id": event_id,
                    "type": typ,
                    "schema_version": 1,
                    "occurred_on": on,
                    "recorded_at": stamp,
                    "commune": commune,
                    "source": {"channel": "web", "collector_id": f"ctv-{commune}"},
                    "payload": payload,
                },
                "context": {"accepted_at": stamp, "submission_offset": n, "area": self.area(commune), **ctx},
            }
        )
        self.records.append(record)
        return event_id

    def lines(self) -> list[bytes]:
        return [encode(r) for r in self.records]

    def _age(self, person: str, on: str) -> int:
        return completed_age(date.fromisoformat(self.people[person]["birth"]), date.fromisoformat(on))

    # facts --------------------------------------------------------------------------------
    def household(self, household: str, commune: str, on: str, address: str = "thôn 1") -> str:
        self.households[household] = commune
        return self._add(
            "household.registered", on, commune, {"household_id": household, "address": address}, household_id=household
        )

    def person(
        self,
        person: str,
        household: str,
        sex: str,
        birth: str,
        on: str,
        marital: str = "never_married",
        relation: str = "head",
        ceb: int | None = None,
        mother: str | None = None,
        name: str = "Nguyễn Văn A",
        national_id: str | None = None,
        **kw: Any,
    ) -> str:
        self.people[person] = {"sex": sex, "birth": birth, "births": ceb or 0, "household": household}
        payload = {
            "person_id": person,
            "household_id": household,
            "full_name": name,
            "sex": sex,
            "birth_date": birth,
            "relation_to_head": relation,
            "marital_status": marital,
        }
        for k, v in (("children_ever_born", ceb), ("mother_id", mother), ("national_id", national_id)):
            if v is not None:
                payload[k] = v
        commune = self.households[household]
        return self._add(
            "person.registered",
            on,
            commune,
            payload,
            household_id=household,
            subjects=[person],
            ages={person: max(self._age(person, on), 0)},
            **kw,
        )

    def birth(self, child: str, mother: str, sex: str, on: str, name: str = "", **kw: Any) -> str:
        m = self.people[mother]
        m["births"] += 1
        self.people[child] = {"sex": sex, "birth": on, "births": 0, "household": m["household"]}
        payload = {"child_id": child, "household_id": m["household"], "mother_id": mother, "sex": sex}
        if name:
            payload["full_name"] = name
        return self._add(
            "birth",
            on,
            self.households[m["household"]],
            payload,
            household_id=m["household"],
            subjects=[child, mother],
            birth_order=m["births"],
            mother_age=self._age(mother, on),
            mother_birth_date=m["birth"],
            **kw,
        )

    def _where(self, person: str) -> str:
        return self.households[self.people[person]["household"]]

    def death(self, person: str, on: str, **kw: Any) -> str:
        return self._add("death", on, self._where(person), {"person_id": person}, subjects=[person], **kw)

    def marriage(self, a: str, b: str, on: str, **kw: Any) -> str:
        return self._add("marriage", on, self._where(a), {"person_ids": [a, b]}, subjects=[a, b], **kw)

    def divorce(self, a: str, b: str, on: str, **kw: Any) -> str:
        return self._add("divorce", on, self._where(a), {"person_ids": [a, b]}, subjects=[a, b], **kw)

    def move_out(self, persons: list[str], on: str, to: str | None = None, **kw: Any) -> str:
        commune = self._where(persons[0])
        payload: dict[str, Any] = {"person_ids": persons}
        if to:
            payload["to_commune"] = to
        moves = [{"person_id": p, "from_commune": commune, "to_commune": to, "confirmed": False} for p in persons]
        return self._add("move_out", on, commune, payload, subjects=persons, moves=moves, **kw)

    def move_in(self, persons: list[str], household: str, on: str, from_commune: str | None = None, **kw: Any) -> str:
        commune = self.households[household]
        payload: dict[str, Any] = {"person_ids": persons, "household_id": household}
        if from_commune:
            payload["from_commune"] = from_commune
        moves = []
        for p in persons:
            moves.append({"person_id": p, "from_commune": from_commune, "to_commune": commune, "confirmed": True})
            self.people[p]["household"] = household
        return self._add("move_in", on, commune, payload, household_id=household, subjects=persons, moves=moves, **kw)

    def contraception(
        self, person: str, method: str, on: str, stop: bool = False, reason: str | None = None, **kw: Any
    ) -> str:
        payload: dict[str, Any] = {"person_id": person, "method": method}
        if reason:
            payload["reason"] = reason
        typ = "contraception.stopped" if stop else "contraception.started"
        return self._add(typ, on, self._where(person), payload, subjects=[person], **kw)

    def pregnancy(self, person: str, on: str, **kw: Any) -> str:
        return self._add("pregnancy.recorded", on, self._where(person), {"person_id": person}, subjects=[person], **kw)

    def correct(self, person: str, on: str, **changes: Any) -> str:
        if "birth_date" in changes:
            self.people[person]["birth"] = changes["birth_date"]
        return self._add(
            "person.corrected", on, self._where(person), {"person_id": person, "changes": changes}, subjects=[person]
        )

    def void(self, event_id: str, on: str, commune: str) -> str:
        return self._add("event.voided", on, commune, {"voided_event_id": event_id, "reason": "entered twice"})

    def merge(self, survivor: str, merged: str, on: str) -> str:
        return self._add(
            "persons.merged",
            on,
            self._where(survivor),
            {"surviving_id": survivor, "merged_id": merged},
            subjects=[survivor, merged],
        )
