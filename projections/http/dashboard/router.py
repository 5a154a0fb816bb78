"""The dashboard's HTTP surface: the page at `/` and `/dashboard`, its static files, and the JSON
endpoints it needs beside GET /v1/indicators (areas, change, trends, breakdowns, map, quality).

Every data endpoint takes the same bearer tokens as the API (infra.tokens) and answers 403 for an
area outside the token's scope. Names and national ids are never part of any answer here.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse

from infra.http_params import AREA_PATTERN, DAY_SCHEMA, KnownOnText, PeriodQuery
from infra.tokens import Principal, require_principal
from projections.http.api import NAMES_PATTERN, ONE_NAME
from projections.http.dashboard import breakdowns
from projections.http.dashboard.areas import DayIndex
from projections.http.dashboard.pipeline import pipeline_status
from projections.http.dashboard.state import Dashboard, dashboard
from projections.periods import Period, parse_day, parse_period
from projections.read.queries import area_within

STATIC = Path(__file__).with_name("static")
_ASSET = re.compile(r"^[a-z0-9_.-]+\.(js|css|svg)$")
_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"}
AREA = AREA_PATTERN
# Who may open the person view (names, national ids); everyone else sees only aggregates.
PERSON_ROLES = frozenset({"clerk", "operator"})
# What the headline cards show, with the change from the previous period.
HEADLINE = (
    "population",
    "households",
    "births",
    "deaths",
    "in_migrants",
    "out_migrants",
    "net_migration",
    "srb",
    "cbr",
    "cdr",
    "cpr_modern",
    "share_order_3_plus",
    "marriages",
    "child_marriages",
)

router = APIRouter(tags=["dashboard"])
Who = Annotated[Principal, Depends(require_principal)]
Board = Annotated[Dashboard, Depends(dashboard)]
PeriodQ = PeriodQuery
OnDay = Annotated[str | None, Query(description="the day (YYYY-MM-DD; default today)", json_schema_extra=DAY_SCHEMA)]
KnownQ = KnownOnText


def _page() -> HTMLResponse:
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
def page_root() -> HTMLResponse:
    return _page()


@router.get("/dashboard", include_in_schema=False)
def page() -> HTMLResponse:
    return _page()


@router.get("/dashboard/static/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    path = STATIC / name
    if not _ASSET.match(name) or not path.is_file():
        raise HTTPException(404, detail=f"no file {name!r}")
    return FileResponse(path, media_type=_TYPES[name.rsplit(".", 1)[1]], headers={"Cache-Control": "no-cache"})


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None


def _known(text: str | None) -> date | None:
    if text is not None and not text.strip():
        raise HTTPException(422, detail="an empty date: give YYYY-MM-DD, or leave the parameter out")
    try:
        return parse_day(text)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None


def _day(board: Dashboard, on: date) -> DayIndex:
    return board.day(min(on, date.today()))


def _allow(board: Dashboard, who: Principal, code: str) -> None:
    """403 unless `code` lies inside the token's area (the same test as the read API's)."""
    if who.area == "VN" or code == who.area:
        return
    with board.pool.connection() as conn:
        if not area_within(conn, code, who.area):
            raise HTTPException(403, detail=f"area {code} is outside this token's area {who.area}")


def _run(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValueError as exc:  # bad indicator names, periods: the caller's mistake
        raise HTTPException(422, detail=str(exc)) from None


@router.get("/v1/dashboard/me", summary="The token's role and area, and where the data lies")
def me(who: Who, board: Board) -> dict[str, Any]:
    with board.pool.connection() as conn:
        span = breakdowns.data_span(conn)
    unit = _day(board, date.today()).areas.get(who.area)
    last = date.fromisoformat(span["last"]) if span["last"] else date.today()
    return {
        "role": who.role,
        "area": who.area,
        "area_name": unit.name if unit else who.area,
        "may_read_persons": who.role in PERSON_ROLES,
        "data": span,
        "default_period": f"{last.year}-{last.month:02d}",
        "headline": list(HEADLINE),
    }


@router.get("/v1/areas/search", summary="Areas by name, with or without diacritics")
def search(
    who: Who,
    board: Board,
    q: str = Query(min_length=1, max_length=100),
    on: OnDay = None,
    limit: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    day = _day(board, _known(on) or date.today())
    hits = day.search(q, who.area, limit)
    return {
        "q": q,
        "on": day.day.isoformat(),
        "results": [{**a.as_dict(), "path": [p.name for p in day.path(a.code)[1:-1]]} for a in hits],
    }


@router.get("/v1/areas/{code}", summary="A unit, its parents and its children on a day")
def area(code: Annotated[str, PathParam(pattern=AREA)], who: Who, board: Board, on: OnDay = None) -> dict[str, Any]:
    _allow(board, who, code)
    day = _day(board, _known(on) or date.today())
    if code not in day.areas:
        raise HTTPException(404, detail=f"no unit {code} on {day.day.isoformat()}")
    path = [{**p.as_dict(), "in_scope": day.within(p.code, who.area)} for p in day.path(code)]
    kids = [day.areas[c].as_dict() for c in day.children.get(code, [])]
    return {
        **day.areas[code].as_dict(),
        "on": day.day.isoformat(),
        "path": path,
        "children": kids,
        "communes": len(day.communes_of.get(code, [])),
    }


Code = Annotated[str, PathParam(pattern=AREA, description="VN, a province, district or commune code")]
NamesQ = Annotated[
    str | None,
    Query(
        description="comma-separated indicator names (default: the headline ones)",
        json_schema_extra={"pattern": NAMES_PATTERN},
    ),
]


def _names(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not text:
        return default
    return tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))


@router.get("/v1/areas/{code}/change", summary="Figures of the period and the previous one, with the change")
def area_change(
    code: Code, who: Who, board: Board, period: PeriodQ, known_on: KnownQ = None, names: NamesQ = None
) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        return _run(board.figures.compare, conn, code, per.code, known, _names(names, HEADLINE))


@router.get("/v1/areas/{code}/trend", summary="Figures of the periods up to this one, oldest first")
def area_trend(
    code: Code,
    who: Who,
    board: Board,
    period: PeriodQ,
    known_on: KnownQ = None,
    names: Annotated[
        str, Query(description="comma-separated indicator names", json_schema_extra={"pattern": NAMES_PATTERN})
    ] = "population",
    count: int = Query(12, ge=2, le=40),
) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        return _run(board.figures.trend, conn, code, per.code, known, _names(names, ("population",)), count)


@router.get("/v1/areas/{code}/pyramid", summary="Population by five-year age group and sex at period end")
def area_pyramid(code: Code, who: Who, board: Board, period: PeriodQ, known_on: KnownQ = None) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        return breakdowns.pyramid(conn, code, per.code, known)


@router.get("/v1/areas/{code}/births", summary="Births by order and sex, sex ratio at birth by order")
def area_births(code: Code, who: Who, board: Board, period: PeriodQ, known_on: KnownQ = None) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        return breakdowns.births_by_order(conn, code, per.code, known)


def _communes(board: Dashboard, code: str, per: Period) -> list[str]:
    """Communes of the area on the period's first or last day (a reform inside it: both sets)."""
    found: dict[str, None] = {}
    for day in (per.start, per.end):
        index = _day(board, day)
        found.update(dict.fromkeys(index.communes_of.get(code, [])))
    return sorted(found)


@router.get(
    "/v1/areas/{code}/migration",
    summary="In, out and net migration, beside what adding up the communes' figures would give",
)
def area_migration(code: Code, who: Who, board: Board, period: PeriodQ, known_on: KnownQ = None) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        # Only communes some move touches can have a figure other than 0 to add.
        moved = breakdowns.moved_communes(conn, per.code, known)
        communes = _communes(board, code, per)
        result = board.figures.migration(conn, code, [c for c in communes if c in moved], per.code, known)
    return {**result, "communes": len(communes)}


@router.get("/v1/areas/{code}/map", summary="One figure for every unit of the area, at its centroid")
def area_map(
    code: Code,
    who: Who,
    board: Board,
    period: PeriodQ,
    known_on: KnownQ = None,
    indicator: Annotated[
        str, Query(description="one indicator name", json_schema_extra={"pattern": f"^{ONE_NAME}$"})
    ] = "population",
    units: str = Query("period", pattern="^(period|current)$"),
) -> dict[str, Any]:
    """Communes of a province, district or commune; provinces of the country. `units=current`
    places today's units (the 34 provinces after the 2025 reform) whatever the period."""
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    day = _day(board, date.today() if units == "current" else per.end)
    if code not in day.areas:
        raise HTTPException(404, detail=f"no unit {code} on {day.day.isoformat()}")
    codes = day.children[code] if code == "VN" else day.communes_of.get(code, [])
    with board.pool.connection() as conn:
        values = _run(board.figures.per_unit, conn, codes, per.code, known, indicator)
    points = [{**day.areas[c].as_dict(), "value": values.get(c)} for c in codes]
    return {
        "area": code,
        "period": per.code,
        "indicator": indicator,
        "on": day.day.isoformat(),
        "level": "province" if code == "VN" else "commune",
        "units": points,
    }


@router.get("/v1/areas/{code}/quality", summary="Late recording, items held in review by reason and collector")
def area_quality(code: Code, who: Who, board: Board, period: PeriodQ, known_on: KnownQ = None) -> dict[str, Any]:
    _allow(board, who, code)
    per, known = _period(period), _known(known_on)
    with board.pool.connection() as conn:
        return breakdowns.quality(conn, code, per.code, known)


@router.get("/v1/dashboard/pipeline", summary="Submitted, processed, projected, and the lags between")
async def pipeline(request: Request, who: Who, board: Board) -> dict[str, Any]:
    # The API's pipeline monitor (projections.http.ops) keeps this fresh: no Kafka client per poll.
    monitor = getattr(request.app.state, "monitor", None)
    cached = monitor.fresh() if monitor is not None else None
    if cached is not None:
        return {k: v for k, v in cached.items() if k != "held_by_reason"}
    return await pipeline_status(board.settings, board.pool)


def attach(app: FastAPI) -> None:
    """Serve the dashboard from an app that serves the read API (projections.http.api): the page, its
    files and its endpoints share the read API's pool, settings and token store on app.state."""
    app.include_router(router)
