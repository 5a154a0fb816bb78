"""`POST /v1/quality/compare`: the register against outside totals over HTTP (docs/quality.md).

The body is the totals CSV of `popreg quality compare`; lines whose area lies outside the token's
area are refused like any other bad line (with the field `area`), the rest compared.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from infra.gazetteer_store import gazetteer_in_force
from infra.http_params import DAY_PATTERN, AreaQuery, KnownOnText, PeriodQuery
from infra.problems import error_responses
from infra.tokens import Principal
from projections.http.api import Caller, Pool, area_in_scope
from projections.quality.checks import age_heaping
from projections.quality.timeliness import timeliness
from projections.quality.totals import LineError, TotalsFileError, compare, read_totals, summary
from projections.read import queries

router = APIRouter(prefix="/v1/quality", tags=["quality"])
MAX_BYTES = 8 * 1024 * 1024


class Figure(BaseModel):
    outside: int | None = Field(description="the outside source's count (null: not given)")
    register: int = Field(description="the register's count on that date")
    difference: int | None
    error_pct: float | None = Field(description="100 × (register − outside) / outside")


class Compared(BaseModel):
    line: int
    area: str
    level: str
    name: str
    date: str
    known_on: str | None
    population: Figure
    population_male: Figure
    population_female: Figure


class Level(BaseModel):
    level: str
    areas: int
    outside: int
    register: int
    error_pct: float | None
    mean_abs_error_pct: float | None


class Refused(BaseModel):
    line: int
    column: str
    vi: str
    en: str


class Delays(BaseModel):
    accepted: int = Field(description="events of the period in the area, as known then")
    late: int = Field(description="recorded more than 30 days after they happened")
    late_share: float | None
    p50_days: int | None
    p90_days: int | None
    p95_days: int | None
    max_days: int | None


class CollectorDelays(Delays):
    collector: str | None = Field(description="the collaborator's id (null: entered without one)")


class CommuneDelays(Delays):
    commune: str


class Silent(BaseModel):
    collector: str
    last_recorded: str
    events: int
    weeks_silent: int


class TimelinessOut(BaseModel):
    area: str
    period: str
    known_on: str | None
    late_after_days: int
    silent_weeks: int
    overall: Delays
    by_collector: list[CollectorDelays]
    by_commune: list[CommuneDelays]
    silent: list[Silent]


def _scoped_read(
    principal: Principal,
    pool: ConnectionPool,
    area: str,
    known_on: str | None,
    read: Callable[[psycopg.Connection, str, date | None], dict[str, Any]],
) -> dict[str, Any]:
    """`read(conn, area code, day of knowledge)` for an area inside the token's area; bad input 422."""
    try:
        day = date.fromisoformat(known_on) if known_on else None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    with pool.connection() as conn:
        code = area_in_scope(conn, principal, area)
        conn.commit()
        try:
            return read(conn, code, day)
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


@router.get(
    "/timeliness",
    response_model=TimelinessOut,
    summary="How late the area's events of the period were recorded, per collector and commune; silent collectors",
)
def get_timeliness(
    principal: Caller,
    pool: Pool,
    area: AreaQuery,
    period: PeriodQuery,
    known_on: KnownOnText = None,
    silent_weeks: Annotated[int, Query(ge=1, le=520, description="list collectors silent this many weeks")] = 8,
) -> dict[str, Any]:
    return _scoped_read(
        principal, pool, area, known_on, lambda conn, code, day: timeliness(conn, code, period, day, silent_weeks)
    )


class AgeHeaping(BaseModel):
    area: str
    period: str
    on: str = Field(description="the day whose population is examined (the period's last)")
    known_on: str | None
    persons_23_62: int
    whipple: float | None = Field(description="Whipple's index: 100 none, 500 every age a multiple of 5")
    rating: str | None = Field(description="the UN's words: highly accurate ... very rough")


class ChecksOut(BaseModel):
    age_heaping: AgeHeaping


@router.get("/checks", response_model=ChecksOut, summary="Data checks of the area's population: age heaping (Whipple)")
def get_checks(
    principal: Caller, pool: Pool, area: AreaQuery, period: PeriodQuery, known_on: KnownOnText = None
) -> dict[str, Any]:
    return _scoped_read(
        principal, pool, area, known_on, lambda conn, code, day: {"age_heaping": age_heaping(conn, code, period, day)}
    )


class CompareOut(BaseModel):
    results: list[Compared]
    summary: list[Level]
    refused: list[Refused]


@router.post(
    "/compare",
    response_model=CompareOut,
    summary="The register's population (by sex) on each line's date beside an outside source's (census, survey)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "area,date,population[,population_male,population_female]",
                    }
                }
            },
        }
    },
    responses=error_responses(400, 413),
)
async def post_compare(
    request: Request,
    principal: Caller,
    pool: Pool,
    known_on: Annotated[
        str | None,
        Query(description="the register as known on this day (YYYY-MM-DD)", json_schema_extra={"pattern": DAY_PATTERN}),
    ] = None,
) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=f"totals over {MAX_BYTES} bytes")
    try:
        day = date.fromisoformat(known_on) if known_on else None
    except ValueError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"known_on {known_on!r}: use YYYY-MM-DD"
        ) from None

    def run() -> dict[str, Any]:
        with pool.connection() as conn:
            try:
                lines, errors = read_totals(body, gazetteer_in_force(conn))
            except TotalsFileError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
            mine = []
            for t in lines:
                if queries.area_within(conn, t.area, principal.area):
                    mine.append(t)
                else:
                    errors.append(
                        LineError(
                            t.line,
                            "area",
                            f"đơn vị {t.area} ngoài phạm vi của thẻ ({principal.area})",
                            f"area {t.area} is outside this token's area {principal.area}",
                        )
                    )
            conn.commit()  # end the reads above: each figure is counted in its own snapshot transaction
            results = compare(conn, mine, day)
        return {
            "results": results,
            "summary": summary(results),
            "refused": [e.__dict__ for e in sorted(errors, key=lambda e: e.line)],
        }

    return await run_in_threadpool(run)
