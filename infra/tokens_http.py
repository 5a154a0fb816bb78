"""HTTP administration of bearer tokens (national operators): list, create, revoke, rotate.

The same operations as `popreg token …`; secrets are shown once, in the answer that creates them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from infra.db import connect
from infra.http_params import AREA_PATTERN
from infra.tokens import (
    Principal,
    TokenInfo,
    check_area,
    create_token,
    list_tokens,
    require_principal,
    revoke_token,
    rotate_token,
)

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])
MAX_DAYS = 3650  # a token lives at most ten years (beyond that a date overflows and nobody needs it)
MAX_GRACE_HOURS = 720


class TokenOut(BaseModel):
    token_id: str
    role: str
    area: str
    label: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    replaces: str | None
    state: Literal["valid", "expired", "revoked"]

    @classmethod
    def of(cls, t: TokenInfo) -> TokenOut:
        return cls(**{k: getattr(t, k) for k in TokenInfo.__dataclass_fields__}, state=t.state)


class NewToken(BaseModel):
    role: Literal["collector", "clerk", "analyst", "operator"]
    area: str = Field(pattern=AREA_PATTERN)
    label: str | None = Field(default=None, max_length=200)
    expires_in_days: float | None = Field(default=None, gt=0, le=MAX_DAYS, strict=True)


class Rotation(BaseModel):
    expires_in_days: float | None = Field(default=None, gt=0, le=MAX_DAYS, strict=True)
    grace_hours: float = Field(
        default=0.0, ge=0, le=MAX_GRACE_HOURS, strict=True, description="how long the old token keeps working"
    )


class Issued(BaseModel):
    token: str = Field(description="the secret: shown only in this answer")
    token_id: str
    role: str
    area: str


def national_operator(principal: Annotated[Principal, Depends(require_principal)]) -> Principal:
    if principal.role != "operator" or principal.area != "VN":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="token administration needs a national operator token")
    return principal


Admin = Annotated[Principal, Depends(national_operator)]


def _conn(request: Request) -> psycopg.Connection:
    return connect(request.app.state.settings)


@router.get("", summary="Tokens (never their secrets), valid ones unless all=true", response_model=list[TokenOut])
def get_tokens(
    request: Request,
    _: Admin,
    area: Annotated[
        str, Query(description="VN, a province, district or commune code", json_schema_extra={"pattern": AREA_PATTERN})
    ] = "VN",
    all: bool = False,
) -> list[TokenOut]:  # noqa: A002
    try:
        area = check_area(area)
    except ValueError as exc:
        raise HTTPException(422, detail=[{"loc": ["query", "area"], "msg": str(exc)}]) from None
    with _conn(request) as conn:
        return [TokenOut.of(t) for t in list_tokens(conn, area=area, include_inactive=all)]


@router.post("", summary="Create a token (its secret is in this answer only)", response_model=Issued, status_code=201)
def post_token(request: Request, body: NewToken, _: Admin) -> Issued:
    with _conn(request) as conn:
        days = timedelta(days=body.expires_in_days) if body.expires_in_days else None
        issued = create_token(conn, body.role, body.area, body.label, expires_in=days)
    return Issued(token=issued.token, token_id=issued.principal.token_id, role=body.role, area=issued.principal.area)


@router.post("/{token_id}/revoke", summary="Revoke a token", status_code=204)
def post_revoke(request: Request, token_id: str, _: Admin) -> None:
    with _conn(request) as conn:
        if not revoke_token(conn, token_id):
            raise HTTPException(404, detail=f"no valid token {token_id}")


@router.post(
    "/{token_id}/rotate",
    summary="Replace a token by a new one with the same role and area",
    response_model=Issued,
    status_code=201,
)
def post_rotate(request: Request, token_id: str, body: Rotation, _: Admin) -> Issued:
    with _conn(request) as conn:
        issued = rotate_token(
            conn,
            token_id,
            grace=timedelta(hours=body.grace_hours),
            expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
        )
    if issued is None:
        raise HTTPException(404, detail=f"no valid token {token_id}")
    p = issued.principal
    return Issued(token=issued.token, token_id=p.token_id, role=p.role, area=p.area)
