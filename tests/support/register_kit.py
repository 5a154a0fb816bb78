"""Builders for register tests: a small gazetteer (real codes), submissions, and a pure harness.

The unit and the integration tests import it (the same submissions go through a real broker).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from events import decode_register_event
from events.codec import decode_review_item
from events.gazetteer import Gazetteer, GazetteerRow
from processors.register import DictStore, Register

# Real GSO codes (same hierarchy as the built-in gazetteer): Hà Nội, Ba Đình (001) and
# Hoàn Kiếm (002); Sơn La (14). 00001 and 00037 became 00097 on 1 July 2025.
A, B, C, D = "00001", "00004", "00037", "03646"
MERGED_2025 = "00097"
_OLD_END = date(2025, 6, 30)
_NEW = date(2025, 7, 1)
START = date(2000, 1, 1)


def small_gazetteer() -> Gazetteer:
    def row(code, district, province, start, end=None, successors=()):
        return GazetteerRow(
            code,
            f"Xã {code}",
            district,
            f"Huyện {district}" if district else None,
            province,
            f"Tỉnh {province}",
            start,
            end,
            successors=tuple(successors),
        )

    return Gazetteer(
        [
            row(A, "001", "01", START, _OLD_END, [MERGED_2025]),
            row(B, "001", "01", START, _OLD_END, [B]),
            row(C, "002", "01", START, _OLD_END, [MERGED_2025]),
            row(D, "116", "14", START, _OLD_END, [D]),
            row(MERGED_2025, None, "01", _NEW),
            row(B, None, "01", _NEW),
            row(D, None, "14", _NEW),
        ]
    )


_ids = itertools.count(1)


def new_id(prefix: str = "ev") -> str:
    return f"{prefix}-{next(_ids):06d}"


def sub(
    type_: str,
    payload: dict[str, Any],
    on: date | str,
    commune: str = A,
    *,
    recorded: datetime | str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A submission as an entry app sends it; recorded the day after by default."""
    day = date.fromisoformat(on) if isinstance(on, str) else on
    if recorded is None:
        recorded = f"{(day + timedelta(days=1)).isoformat()}T09:00:00+07:00"
    elif isinstance(recorded, datetime):
        recorded = recorded.isoformat()
    return {
        "event_id": event_id or new_id(),
        "type": type_,
        "schema_version": 1,
        "occurred_on": day.isoformat(),
        "recorded_at": recorded,
        "commune": commune,
        "source": {"channel": "mobile", "collector_id": f"ctv-{commune}"},
        "payload": {k: v for k, v in payload.items() if v is not None},
    }


def household(hid: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("household.registered", {"household_id": hid, "address": f"Số {hid}, thôn 1"}, on, commune, **kw)


def person(
    pid: str,
    hid: str,
    sex: str,
    born: str,
    on,
    commune: str = A,
    *,
    marital: str = "never_married",
    relation: str = "other",
    ceb: int | None = None,
    mother: str | None = None,
    **kw,
) -> dict[str, Any]:
    return sub(
        "person.registered",
        {
            "person_id": pid,
            "household_id": hid,
            "full_name": f"Nguyễn Văn {pid}",
            "sex": sex,
            "birth_date": born,
            "relation_to_head": relation,
            "marital_status": marital,
            "children_ever_born": ceb,
            "mother_id": mother,
        },
        on,
        commune,
        **kw,
    )


def birth(
    child: str,
    mother: str,
    hid: str,
    sex: str,
    on,
    commune: str = A,
    *,
    plurality: int | None = None,
    father: str | None = None,
    **kw,
) -> dict[str, Any]:
    return sub(
        "birth",
        {
            "child_id": child,
            "household_id": hid,
            "mother_id": mother,
            "sex": sex,
            "plurality": plurality,
            "father_id": father,
        },
        on,
        commune,
        **kw,
    )


def death(pid: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("death", {"person_id": pid}, on, commune, **kw)


def marriage(a: str, b: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("marriage", {"person_ids": [a, b]}, on, commune, **kw)


def divorce(a: str, b: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("divorce", {"person_ids": [a, b]}, on, commune, **kw)


def move_out(pids: list[str], on, commune: str = A, to: str | None = None, **kw) -> dict[str, Any]:
    return sub("move_out", {"person_ids": pids, "to_commune": to}, on, commune, **kw)


def move_in(pids: list[str], hid: str, on, commune: str, frm: str | None = None, **kw) -> dict[str, Any]:
    return sub("move_in", {"person_ids": pids, "household_id": hid, "from_commune": frm}, on, commune, **kw)


def member_moved(pid: str, hid: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("household.member_moved", {"person_id": pid, "household_id": hid}, on, commune, **kw)


def contraception(pid: str, method: str, on, commune: str = A, *, stopped: bool = False, **kw) -> dict[str, Any]:
    kind = "contraception.stopped" if stopped else "contraception.started"
    return sub(kind, {"person_id": pid, "method": method}, on, commune, **kw)


def pregnancy(pid: str, on, commune: str = A, *, outcome: str | None = None, **kw) -> dict[str, Any]:
    if outcome:
        return sub("pregnancy.ended", {"person_id": pid, "outcome": outcome}, on, commune, **kw)
    return sub("pregnancy.recorded", {"person_id": pid}, on, commune, **kw)


def corrected(pid: str, changes: dict[str, Any], on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("person.corrected", {"person_id": pid, "changes": changes}, on, commune, **kw)


def voided(event_id: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("event.voided", {"voided_event_id": event_id, "reason": "recorded by mistake"}, on, commune, **kw)


def merged(survivor: str, gone: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("persons.merged", {"surviving_id": survivor, "merged_id": gone}, on, commune, **kw)


def overridden(held: str, on, commune: str = A, **kw) -> dict[str, Any]:
    return sub("review.overridden", {"held_event_id": held, "reason": "checked with the family"}, on, commune, **kw)


def family(
    hid: str = "h1", commune: str = A, on: str = "2020-01-01", mother_born: str = "1990-05-01", ceb: int | None = 1
) -> list[dict[str, Any]]:
    """A baseline household: husband (head), wife (spouse, ceb children) and one daughter."""
    return [
        household(hid, on, commune),
        person(f"{hid}-f", hid, "M", "1988-03-02", on, commune, marital="married", relation="head"),
        person(f"{hid}-m", hid, "F", mother_born, on, commune, marital="married", relation="spouse", ceb=ceb),
        person(f"{hid}-c", hid, "F", "2015-09-09", on, commune, relation="child", mother=f"{hid}-m"),
    ]


@dataclass
class Result:
    """What one submission produced."""

    events: list[Any] = field(default_factory=list)  # RegisterEvent
    reviews: list[Any] = field(default_factory=list)  # ReviewItem
    raw: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    @property
    def event(self) -> Any:
        assert len(self.events) >= 1, f"not accepted: {[(r.reason, r.detail) for r in self.reviews]}"
        return self.events[-1]

    @property
    def reason(self) -> str:
        assert self.reviews, f"accepted, not held: {self.events}"
        return self.reviews[0].reason


class Harness:
    """The pure register over a dict store, with offsets and timestamps like a topic's."""

    def __init__(self, gazetteer: Gazetteer | None = None):
        self.store = DictStore()
        self.register = Register(self.store, gazetteer or small_gazetteer())
        self.offset = 0

    def send(self, submission: dict[str, Any], offset: int | None = None) -> Result:
        at = offset if offset is not None else self.offset
        outputs = self.register.process(orjson.dumps(submission), at, 1_700_000_000_000 + at * 1000)
        if offset is None:
            self.offset += 1
        result = Result(raw=outputs)
        for kind, _key, value in outputs:
            if kind == "events":
                result.events.append(decode_register_event(value))
            else:
                result.reviews.append(decode_review_item(value))
        return result

    def all(self, submissions: list[dict[str, Any]]) -> list[Result]:
        results = [self.send(s) for s in submissions]
        for s, r in zip(submissions, results, strict=True):
            assert r.events, f"{s['type']} {s['event_id']} held: {[(x.reason, x.detail) for x in r.reviews]}"
        return results

    def timeline(self, pid: str) -> dict[str, Any] | None:
        return self.store.get("p:" + pid)
