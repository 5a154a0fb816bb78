"""The front line's HTTP surface under /ctv: the app (static/), enrolment, the book, statuses,
her inbox and month, and the commune officer's desk (desk.py).

Routes read through `app.state.read_pool` and check tokens with `app.state.tokens`, as the read
API does (projections/http/api.py); entries themselves go to `POST /v1/submissions`.
"""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse, Response
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field, field_validator

from infra import audit
from infra.tokens import Principal, require_principal
from producers.frontline import book, devices
from producers.frontline.devices import Device

STATIC = Path(__file__).with_name("static")
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "v1" / "types"
_TYPES = {
    "js": "text/javascript",
    "css": "text/css",
    "svg": "image/svg+xml",
    "html": "text/html; charset=utf-8",
    "webmanifest": "application/manifest+json",
    "json": "application/json",
    "png": "image/png",
}

router = APIRouter(prefix="/ctv", tags=["front line"])
Caller = Annotated[Principal, Depends(require_principal)]


def read_pool(request: Request) -> ConnectionPool:
    return request.app.state.read_pool


Pool = Annotated[ConnectionPool, Depends(read_pool)]


def today() -> date:
    return date.today()


def packed(
    request: Request, content: Any, media_type: str = "application/json", headers: dict[str, str] | None = None
) -> Response:
    """JSON (or bytes) gzip-compressed when the client takes it: a book is large on Slow 3G."""
    body = content if isinstance(content, bytes) else orjson.dumps(content)
    headers = dict(headers or {})
    if len(body) > 1024 and "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, 6)
        headers["Content-Encoding"] = "gzip"
    headers["Vary"] = "Accept-Encoding"
    return Response(body, media_type=media_type, headers=headers)


class Holder:
    """Who calls: the token's principal and, for an enrolled phone or desk, its device."""

    def __init__(self, principal: Principal, device: Device | None):
        self.principal, self.device = principal, device

    @property
    def collector_id(self) -> str:
        return self.device.collector_id if self.device else self.principal.token_id


def holder(principal: Caller, pool: Pool) -> Holder:
    if not principal.may_read_personal_data:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"vai trò {principal.role} không dùng sổ hộ")
    with pool.connection() as conn:
        return Holder(principal, devices.device_of(conn, principal.token_id))


Who = Annotated[Holder, Depends(holder)]


# ---- the app shell -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def shell_version() -> str:
    """A hash of every shipped file: a new release changes the service worker, which re-caches."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


@router.get("", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/ctv/")


@router.get("/", include_in_schema=False)
def index(request: Request) -> Response:
    return packed(request, (STATIC / "index.html").read_bytes(), _TYPES["html"], {"Cache-Control": "no-cache"})


@router.get("/sw.js", include_in_schema=False)
def service_worker(request: Request) -> Response:
    body = (STATIC / "sw.js").read_bytes().replace(b"__VERSION__", shell_version().encode())
    return packed(request, body, _TYPES["js"], {"Cache-Control": "no-cache"})


@router.get("/static/{name}", include_in_schema=False)
def asset(name: str, request: Request) -> Response:
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file() or name.rsplit(".", 1)[-1] not in _TYPES:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return packed(request, path.read_bytes(), _TYPES[name.rsplit(".", 1)[-1]], {"Cache-Control": "no-cache"})


@router.get("/schemas/{name}", include_in_schema=False)
def schema(name: str, request: Request) -> Response:
    """The published JSON Schemas of the event types (schemas/v1/types): the app's shape checks."""
    path = SCHEMAS / name
    if "/" in name or not name.endswith(".json") or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    return packed(request, path.read_bytes(), _TYPES["json"], {"Cache-Control": "no-cache"})


# ---- enrolment and the collaborator's data --------------------------------------------------


class EnrolIn(BaseModel):
    code: str = Field(min_length=4, max_length=32)


def _area_name(request: Request, area: str) -> str:
    try:
        return request.app.state.ingest.gazetteer.name(area, today())
    except (AttributeError, KeyError, ValueError):
        return area


def _me(request: Request, device: Device | None, principal: Principal) -> dict[str, Any]:
    return {
        "device_id": device.device_id if device else None,
        "collector_id": device.collector_id if device else principal.token_id,
        "role": principal.role,
        "area": principal.area,
        "area_name": _area_name(request, principal.area),
        "desk": principal.may_override,
    }


@router.post(
    "/api/enrol",
    summary="Exchange a one-time code for a device credential",
    responses={404: {"description": "no such live code: unknown, already used or expired"}},
)
def enrol(body: EnrolIn, request: Request, pool: Pool) -> dict[str, Any]:
    try:
        with pool.connection() as conn:
            token, device = devices.enrol(conn, body.code)
    except devices.EnrolError as exc:  # no such live code (unknown, used or expired): 404, in Vietnamese
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    principal = Principal(token_id="", role=device.role, area=device.area)  # type: ignore[arg-type]
    return {"token": token, **_me(request, device, principal)}


@router.get("/api/me", summary="Who this device is (401 once revoked)")
def me(who: Who, request: Request) -> dict[str, Any]:
    return _me(request, who.device, who.principal)


@router.get("/api/book", summary="Her area's households with their members, ages, relations")
def get_book(who: Who, request: Request, pool: Pool) -> Response:
    with pool.connection() as conn:
        # One row of the access audit per sync (infra/audit.py): the whole book leaves here.
        audit.record(
            conn,
            audit.Access(
                who.principal.token_id,
                who.principal.role,
                who.principal.area,
                "api",
                "ctv_book",
                who=who.collector_id,
                client=request.client and request.client.host,
                request_id=request.headers.get("x-request-id"),
            ),
        )
        conn.commit()
        households = book.household_book(conn, who.principal.area, today())
    return packed(
        request,
        {
            "area": who.principal.area,
            "area_name": _area_name(request, who.principal.area),
            "as_of": datetime.now(UTC).isoformat(),
            "today": today().isoformat(),
            "rules": book.rules(),
            "households": households,
        },
    )


EventId = Annotated[str, Field(min_length=1, max_length=64, description="an entry's event_id")]


class StatusIn(BaseModel):
    event_ids: list[EventId] = Field(max_length=5000)
    conflicts: int | None = Field(None, ge=0)  # pending conflicts on the device, for the desk

    @field_validator("conflicts", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool):  # JSON true/false is not a count
            raise ValueError("conflicts is a whole number")
        return value


@router.post("/api/status", summary="What became of each entry: accepted, held, received or unknown")
def post_status(body: StatusIn, who: Who, pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn:
        found = book.statuses(conn, body.event_ids, who.principal.area, today())
        if who.device is not None:
            devices.seen(conn, who.device.device_id, body.conflicts)
    return {"statuses": found}


@router.get("/api/inbox", summary="Her entries held in review, with the reason and what to do")
def inbox(who: Who, pool: Pool) -> dict[str, Any]:
    with pool.connection() as conn:
        items = book.held(conn, who.principal.area, today(), collector=who.collector_id)
    return {"items": items, "count": len(items)}


@router.get("/api/month", summary="Her monthly summary (births, deaths, moves, new users, households)")
def month(
    who: Who,
    pool: Pool,
    period: Annotated[
        str | None,
        Query(
            description="YYYY-MM (default: this month)",
            json_schema_extra={"pattern": r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"},
        ),
    ] = None,
) -> dict[str, Any]:
    try:
        if period is not None and not period.strip():
            raise ValueError(period)
        first = date.fromisoformat(f"{period}-01") if period else today().replace(day=1)
    except ValueError:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="tháng phải có dạng YYYY-MM") from None
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    with pool.connection() as conn:
        figures = book.month(conn, who.collector_id, first, end)
    return {"period": first.isoformat()[:7], "collector_id": who.collector_id, "values": figures}


@router.post("/api/signout", summary="Sign out: this device's credential stops working")
def signout(who: Who, pool: Pool) -> dict[str, Any]:
    if who.device is None:
        return {"revoked": False}
    with pool.connection() as conn:
        return {"revoked": devices.revoke(conn, who.device.device_id)}
