"""The commune officer's desk: the review queue (override with a reason, send back), the
collaborators of the commune, and their devices (codes, revocation).

An override is a `review.overridden` submission through the gateway's own ingest path
(producers/ingest.py), so it is checked, deduplicated and logged like every other fact.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from producers.frontline import book, devices
from producers.frontline.router import Holder, Pool, holder, today
from producers.ingest import IngestService, Unavailable

router = APIRouter(prefix="/ctv/api/desk", tags=["front line"])

SEND_BACK = """
INSERT INTO frontline_sendbacks (event_id, note, by_token) VALUES (%s, %s, %s)
ON CONFLICT (event_id) DO UPDATE SET note = EXCLUDED.note, by_token = EXCLUDED.by_token, sent_back_at = now()
"""
# Per collaborator of the area: last entry, lateness (occurred -> recorded) over the last 90 days.
ACTIVITY = """
SELECT source->>'collector_id' AS collector_id, max(recorded_at) AS last_entry, count(*) AS entries_90d,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM recorded_at - occurred_on::timestamptz) / 86400)
           AS median_late_days,
       count(*) FILTER (WHERE recorded_at - occurred_on::timestamptz > interval '30 days') AS late_30d
FROM event_archive
WHERE commune = ANY(%(communes)s) AND recorded_at > now() - interval '90 days' AND source ? 'collector_id'
GROUP BY 1
"""


def desk_holder(who: Holder = Depends(holder)) -> Holder:
    if not who.principal.may_override:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="chỉ cán bộ xã (vai trò clerk) dùng bàn làm việc")
    return who


class OverrideIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=500)


class SendBackIn(BaseModel):
    event_id: str = Field(min_length=1, max_length=64)
    note: str = Field(min_length=3, max_length=500)


class CodeIn(BaseModel):
    collector_id: str = Field(min_length=1, max_length=64)


class RevokeIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=64)


@router.get("/review", summary="The commune's held items, each with its reason in words")
def review(pool: Pool, who: Holder = Depends(desk_holder)) -> dict[str, Any]:
    with pool.connection() as conn:
        items = book.held(conn, who.principal.area, today())
    return {"items": items, "count": len(items)}


def _held(pool: Any, who: Holder, event_id: str) -> dict[str, Any]:
    with pool.connection() as conn:
        found = [i for i in book.held(conn, who.principal.area, today()) if i["event_id"] == event_id]
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"không có phiếu {event_id} đang chờ xem xét ở xã này")
    return found[0]


@router.post(
    "/override",
    summary="Apply a held item anyway, with a reason (review.overridden)",
    responses={404: {"description": "no such item held in review in this commune"}},
)
async def override(
    body: OverrideIn, request: Request, pool: Pool, who: Holder = Depends(desk_holder)
) -> dict[str, Any]:
    item = _held(pool, who, body.event_id)
    service: IngestService = request.app.state.ingest
    day = today()
    commune = item["commune"]
    if not service.gazetteer.exists(commune, day):  # an old commune merged in 2025: its successor
        commune = service.gazetteer.successor(commune) or commune
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": "review.overridden",
        "schema_version": 1,
        "occurred_on": day.isoformat(),
        "recorded_at": datetime.now(UTC).isoformat(),
        "commune": commune,
        "source": {
            "channel": "web",
            "collector_id": who.collector_id,
            **({"device_id": who.device.device_id} if who.device else {}),
        },
        "payload": {"held_event_id": body.event_id, "reason": body.reason},
    }
    try:
        (result,) = await service.ingest([envelope], who.principal)
    except Unavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc), headers={"Retry-After": "5"}
        ) from None
    if result.status == "invalid":
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=result.as_dict())
    return result.as_dict()


@router.post(
    "/sendback",
    summary="Send a held item back to its collaborator with a note",
    responses={404: {"description": "no such item held in review in this commune"}},
)
def send_back(body: SendBackIn, pool: Pool, who: Holder = Depends(desk_holder)) -> dict[str, Any]:
    _held(pool, who, body.event_id)
    with pool.connection() as conn:
        conn.execute(SEND_BACK, (body.event_id, body.note, who.principal.token_id))
    return {"event_id": body.event_id, "sent_back": body.note}


@router.get("/collaborators", summary="The area's collaborators: last entry, lateness, held items, conflicts")
def collaborators(pool: Pool, who: Holder = Depends(desk_holder)) -> dict[str, Any]:
    area = who.principal.area
    with pool.connection() as conn:
        enrolled = devices.list_devices(conn, None if area == "VN" else area)
        held = book.held(conn, area, today())
        with conn.transaction():
            book.live(conn)
            rows = conn.execute(ACTIVITY, {"communes": book.communes_of(conn, area, today())}).fetchall()
    people: dict[str, dict[str, Any]] = {}

    def person(cid: str) -> dict[str, Any]:
        return people.setdefault(
            cid,
            {
                "collector_id": cid,
                "devices": [],
                "last_entry": None,
                "entries_90d": 0,
                "median_late_days": None,
                "late_30d": 0,
                "held": 0,
                "conflicts": 0,
            },
        )

    for d in enrolled:
        if d["role"] != "collector":
            continue
        p = person(d["collector_id"])
        p["devices"].append(
            {
                "device_id": d["device_id"],
                "revoked": d["revoked_at"] is not None,
                "last_seen": d["last_seen_at"].isoformat() if d["last_seen_at"] else None,
            }
        )
        if d["revoked_at"] is None:
            p["conflicts"] += d["conflicts"]
    for cid, last, n, late, late30 in rows:
        p = person(cid)
        p.update(
            last_entry=last.isoformat(),
            entries_90d=n,
            late_30d=late30,
            median_late_days=round(late, 1) if late is not None else None,
        )
    for item in held:
        if item["collector_id"]:
            person(item["collector_id"])["held"] += 1
    return {"collaborators": sorted(people.values(), key=lambda p: p["collector_id"])}


@router.post("/code", summary="A one-time enrolment code for a collaborator of this commune")
def code(body: CodeIn, pool: Pool, who: Holder = Depends(desk_holder)) -> dict[str, Any]:
    if len(who.principal.area) != 5:  # the caller, not the request, is wrong here: 403
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="mã thiết bị cấp theo xã (5 chữ số)")
    with pool.connection() as conn:
        issued = devices.issue_code(conn, body.collector_id, who.principal.area, issued_by=who.principal.token_id)
    return {"code": issued, "collector_id": body.collector_id, "area": who.principal.area}


@router.post("/revoke", summary="Revoke a device: the gateway refuses it at once")
def revoke(body: RevokeIn, pool: Pool, who: Holder = Depends(desk_holder)) -> dict[str, Any]:
    try:
        with pool.connection() as conn:
            done = devices.revoke(conn, body.device_id, within=who.principal.area)
    except PermissionError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
    return {"device_id": body.device_id, "revoked": done}
