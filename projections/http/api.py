"""The read API (CONTRACT.md): indicators, persons, households, review, progress, health.

`router` needs on app.state: `read_pool` (a psycopg ConnectionPool), `tokens` (infra.tokens
TokenStore, for `require_principal`) and `settings`. `build_read_app(settings)` makes an app
with all three; `popreg run` composes the router into the whole API the same way.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, status
from psycopg_pool import ConnectionPool

from infra import kafka_admin, problems
from infra.db import open_async_pool, open_pool
from infra.http_params import AreaQuery, PeriodQuery, RecordId
from infra.settings import Settings
from infra.tokens import Principal, TokenStore, require_principal
from projections.definitions import NAMES
from projections.http.models import HealthOut, IndicatorsOut, ProgressOut
from projections.read import progress, queries, stock_warm, trajectory
from projections.read.indicators import compute_indicators, normalise_area
from projections.versions import live_version

router = APIRouter(prefix="/v1", tags=["read"])

Caller = Annotated[Principal, Depends(require_principal)]


def read_pool(request: Request) -> ConnectionPool:
    return request.app.state.read_pool


Pool = Annotated[ConnectionPool, Depends(read_pool)]


ONE_NAME = "(" + "|".join(re.escape(n) for n in NAMES) + ")"
NAMES_PATTERN = f"^{ONE_NAME}(,{ONE_NAME})*$"  # the catalogue's names (projections/definitions.py)


def forbidden(principal: Principal, what: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=f"{what} is outside this token's area {principal.area}")


def area_in_scope(conn: Any, principal: Principal, area: str) -> str:
    """The area's code: 422 if it is not one, 403 if it lies outside the token's area."""
    try:
        code, _ = normalise_area(area)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    if not queries.area_within(conn, code, principal.area):
        raise forbidden(principal, f"area {code}")
    return code


@router.get(
    "/indicators", response_model=IndicatorsOut, summary="Indicator figures for an area and period (INDICATORS.md)"
)
def indicators(
    principal: Caller,
    pool: Pool,
    area: AreaQuery,
    period: PeriodQuery,
    known_on: Annotated[date | None, Query(description="as the register knew it at the end of this day")] = None,
    names: Annotated[
        str | None,
        Query(
            description="comma-separated indicator names (default: all)", json_schema_extra={"pattern": NAMES_PATTERN}
        ),
    ] = None,
) -> dict[str, Any]:
    with pool.connection() as conn:
        try:
            code, _ = normalise_area(area)
            if not queries.area_within(conn, code, principal.area):
                raise forbidden(principal, f"area {code}")
            return compute_indicators(conn, code, period, known_on, names.split(",") if names else None)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


def _personal_data_allowed(principal: Principal) -> None:
    if not principal.may_read_personal_data:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"role {principal.role} may not read names or national ids; "
            "use /v1/persons/{id}/trajectory or a pseudonymised export",
        )


def _person_in_scope(conn: Any, principal: Principal, record: dict[str, Any] | None) -> None:
    if record is not None and record.get("merged_into"):  # a merged id is where its survivor lives
        record = queries.person(conn, record["merged_into"]) or record
    if record is not None and not queries.commune_within(conn, record.get("commune"), principal.area):
        raise forbidden(principal, "this person")


@router.get("/persons/{person_id}", summary="A person's current record")
def get_person(person_id: RecordId, principal: Caller, pool: Pool) -> dict[str, Any]:
    _personal_data_allowed(principal)
    with pool.connection() as conn:
        record = queries.person(conn, person_id)
        if record is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no person {person_id!r}")
        _person_in_scope(conn, principal, record)
        return record


@router.get("/persons/{person_id}/history", summary="A person's episodes, flows, attributes and events")
def get_person_history(
    person_id: RecordId, principal: Caller, pool: Pool, known_on: date | None = None
) -> dict[str, Any]:
    _personal_data_allowed(principal)
    with pool.connection() as conn:
        record = queries.person(conn, person_id)
        _person_in_scope(conn, principal, record)
        history = queries.person_history(conn, person_id, known_on)
        if history is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no person {person_id!r}")
        return history


@router.get(
    "/persons/{person_id}/trajectory",
    summary="Residence, union, childbearing and contraception episodes as one timeline",
)
def get_person_trajectory(
    person_id: RecordId, principal: Caller, pool: Pool, known_on: date | None = None
) -> dict[str, Any]:
    with pool.connection() as conn:
        record = queries.person(conn, person_id)
        if record is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no person {person_id!r}")
        _person_in_scope(conn, principal, record)
        return trajectory.person_trajectory(conn, person_id, known_on)


@router.get("/households/{household_id}", summary="A household, its members and membership history")
def get_household(
    household_id: RecordId, principal: Caller, pool: Pool, known_on: date | None = None
) -> dict[str, Any]:
    with pool.connection() as conn:
        found = queries.household(conn, household_id, known_on)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no household {household_id!r}")
        communes = {m["commune"] for m in found["membership_history"]}
        if found["registration"]:
            communes.add(found["registration"]["commune"])
        if not any(queries.commune_within(conn, c, principal.area) for c in communes):
            raise forbidden(principal, "this household")
        return found


@router.get("/review", summary="Submissions held in review, with reason codes")
def get_review(principal: Caller, pool: Pool, commune: str | None = None) -> dict[str, Any]:
    with pool.connection() as conn:
        if commune is not None and not queries.commune_within(conn, commune, principal.area):
            raise forbidden(principal, f"commune {commune}")
        items = queries.review(conn, commune, principal.area)
    return {"items": items, "count": len(items)}


@router.get(
    "/progress", response_model=ProgressOut, summary="Submitted, processed by the register, stored by the projections"
)
async def get_progress(request: Request, principal: Caller) -> dict[str, Any]:
    return (await progress.progress_async(request.app.state.settings)).as_dict()


@router.get("/health", response_model=HealthOut, summary="Liveness and what is connected (no token needed)")
def health(request: Request, pool: Pool) -> dict[str, Any]:
    out: dict[str, Any] = {"status": "ok"}
    try:
        with pool.connection() as conn, conn.transaction():
            live = live_version(conn)
        out["postgres"] = "ok"
        out["projection"] = (
            {"version": live.version, "schema": live.schema, "rules": live.rules.model_dump()} if live else None
        )
    except Exception as exc:  # health reports, it does not fail
        out.update(status="degraded", postgres=f"error: {exc}")
    try:
        kafka_admin.wait_ready(request.app.state.settings, timeout=2.0)
        out["kafka"] = "ok"
    except Exception as exc:
        out.update(status="degraded", kafka=f"error: {exc}")
    return out


@asynccontextmanager
async def read_resources(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """What the read routes need on app.state: settings, a read pool and a token store."""
    app.state.settings = settings
    app.state.read_pool = await asyncio.to_thread(open_pool, settings, name="popreg-read")
    token_pool = await open_async_pool(settings, min_size=1, max_size=4, name="popreg-read-tokens")
    app.state.tokens = TokenStore(token_pool)
    stop = threading.Event()
    warmer = (
        asyncio.create_task(asyncio.to_thread(stock_warm.background, app.state.read_pool, settings, stop))
        if settings.stock_warm_seconds > 0
        else None
    )
    try:
        yield
    finally:
        stop.set()
        if warmer is not None:
            await warmer
        await token_pool.close()
        app.state.read_pool.close()


def build_read_app(settings: Settings) -> FastAPI:
    """A FastAPI app serving only the read API, with its pools (tests; `popreg run` composes its own)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with read_resources(app, settings):
            yield

    app = FastAPI(title="popreg read API", version="1", lifespan=lifespan)
    app.include_router(router)
    problems.install(app)
    problems.document(app)
    return app
