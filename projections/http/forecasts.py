"""`GET /v1/forecasts`: a population forecast of an area (docs/forecasts.md).

The first request for a scope, base, horizon, scenario and settings computes the forecast of every
area of the scope (seconds to a minute for a province) and stores it; later requests read the
stored one (milliseconds) until a late record changes the data before the base date.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from infra.http_params import DAY_SCHEMA, KnownOnText
from infra.problems import error_responses
from projections.forecast.inputs import ForecastInputError
from projections.forecast.scenarios import SCENARIOS
from projections.forecast.service import MAX_HORIZON, get_forecast
from projections.http.api import Caller, Pool, forbidden
from projections.read import queries

router = APIRouter(prefix="/v1", tags=["forecasts"])


class Stats(BaseModel):
    expected: float | None = Field(description="the expected projection (point rates, no noise)")
    median: float | None = None
    lower_80: float | None = None
    upper_80: float | None = None
    lower_95: float | None = None
    upper_95: float | None = None


class YearFigures(BaseModel):
    model_config = ConfigDict(extra="allow")
    year: int
    date: str = Field(description="the base date's anniversary this row describes")
    population: Stats
    males: Stats
    females: Stats
    births: Stats | None = Field(None, description="in the year before `date`")
    deaths: Stats | None = None
    in_migrants: Stats | None = Field(None, description="arrivals from outside the area (following people)")
    out_migrants: Stats | None = None
    tfr: Stats | None = None
    srb: Stats | None = None
    share_0_14: Stats | None = None
    share_65_plus: Stats | None = None
    dependency_ratio: Stats | None = None
    sex_ratio: Stats | None = None


class Target(BaseModel):
    indicator: str
    target: str
    target_year: int
    value_2030: float | None
    first_year_met: int | None


class Child(BaseModel):
    area: str
    level: str
    name: str
    population: list[Stats]


class ForecastOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    area: str
    level: str
    name: str
    scope: str = Field(description="the province (or VN) projected as a whole")
    base: str
    horizon: int
    scenario: str
    sims: int
    seed: int
    known_on: str | None
    version: int
    computed_at: str
    stored: bool = Field(description="true: read from the stored forecast; false: computed for this request")
    base_period: dict[str, Any]
    rates: dict[str, Any]
    warnings: list[str]
    years: list[YearFigures]
    strategy: list[Target]
    pyramid: dict[str, dict[str, dict[str, list[float]]]] = Field(
        description="population by sex and single age (index 100 = 100+) per year: the base and last year, or all with ages=all"
    )
    children: list[Child]


@router.get(
    "/forecasts",
    response_model=ForecastOut,
    summary="A cohort-component population forecast of the area with 80 % and 95 % intervals",
    responses=error_responses(404),
)
async def forecasts(
    principal: Caller,
    pool: Pool,
    area: Annotated[
        str,
        Query(
            description="a province (2 digits), district (3) or commune (5) code",
            json_schema_extra={"pattern": r"^([0-9]{2}|[0-9]{3}|[0-9]{5})$"},
        ),
    ],
    base: Annotated[
        str, Query(description="base date YYYY-MM-DD inside the register's history", json_schema_extra=DAY_SCHEMA)
    ],
    horizon: Annotated[int, Query(ge=1, le=MAX_HORIZON, description="years to project")] = 25,
    scenario: Annotated[
        str, Query(description="constant, strategy or zero_migration", json_schema_extra={"enum": list(SCENARIOS)})
    ] = "constant",
    sims: Annotated[int, Query(ge=0, le=5000, description="trajectories for the intervals")] = 1000,
    years: Annotated[int, Query(ge=1, le=10, description="length of the base period")] = 3,
    known_on: KnownOnText = None,
    ages: Annotated[
        str,
        Query(description="pyramid years: ends (base and last) or all", json_schema_extra={"enum": ["ends", "all"]}),
    ] = "ends",
) -> dict[str, Any]:
    def field_error(field: str, message: str) -> RequestValidationError:
        return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])

    try:
        base_day = date.fromisoformat(base)
    except ValueError:
        raise field_error("base", f"base {base!r}: use a date YYYY-MM-DD") from None
    try:
        known = date.fromisoformat(known_on) if known_on else None
    except ValueError:
        raise field_error("known_on", f"known_on {known_on!r}: use a date YYYY-MM-DD") from None
    if ages not in ("ends", "all"):
        raise field_error("ages", "ages: ends or all")
    code = area.strip().upper()

    def work() -> dict[str, Any]:
        with pool.connection() as conn:
            try:
                inside = queries.area_within(conn, code, principal.area)
            except ValueError as exc:
                raise field_error("area", str(exc)) from None
            if not inside:
                raise forbidden(principal, f"area {code}")
            conn.commit()
            conn.autocommit = True
            try:
                return get_forecast(conn, code, base_day, horizon, scenario, sims=sims, years=years, known_on=known)
            except ForecastInputError as exc:
                if exc.missing:  # well-formed, but no history there: nothing to forecast from
                    problem = [{"loc": ("query", exc.field), "msg": str(exc), "type": "not_found"}]
                    raise HTTPException(status.HTTP_404_NOT_FOUND, detail=problem) from None
                raise field_error(exc.field, str(exc)) from None
            finally:
                conn.autocommit = False

    doc = await run_in_threadpool(work)
    if ages == "ends":
        keys = list(doc["pyramid"])
        doc["pyramid"] = {k: doc["pyramid"][k] for k in (keys[0], keys[-1])}
    return doc
