"""HTTP: GET /v1/reports (the report forms: JSON, CSV, printable HTML) and GET /v1/live (live counters).

`router` needs on app.state what projections.http.api's router needs: `read_pool`, `tokens` and
`settings` (popreg.api.build_app includes it beside the read API).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from infra import kafka_admin
from infra.http_params import PERIOD_PATTERN, AreaQuery
from infra.spreadsheets import XLSX_MEDIA_TYPE
from infra.topics import EVENTS
from projections.http.api import Caller, Pool, area_in_scope
from projections.read.live import NotLive, live_figures
from projections.reports.forms import UnknownArea, build_report, to_csv, to_xlsx
from projections.reports.html import to_html

router = APIRouter(prefix="/v1", tags=["reports"])


@router.get(
    "/reports",
    summary="The report form of the area's level (commune monthly, district quarterly, province yearly)",
    responses={
        404: {"description": "no unit has this code"},
        200: {
            "content": {"application/json": {}, "text/csv": {}, "text/html": {}, XLSX_MEDIA_TYPE: {}},
            "description": "the report as JSON, CSV (one row per figure), an Excel workbook (the same "
            "rows) or a printable A4 page",
        },
    },
)
def get_report(
    principal: Caller,
    pool: Pool,
    area: AreaQuery,
    period: Annotated[
        str,
        Query(
            json_schema_extra={"pattern": PERIOD_PATTERN},
            description="YYYY-MM, YYYY-Qn or YYYY (any period; the form is named by "
            "the area's level and marks a period of another kind)",
        ),
    ],
    format: Annotated[Literal["json", "csv", "html", "xlsx"], Query(description="json, csv, html or xlsx")] = "json",
    known_on: Annotated[date | None, Query(description="as the register knew it at the end of this day")] = None,
    bom: Annotated[bool, Query(description="csv: start with a UTF-8 byte-order mark, for opening in Excel")] = False,
) -> Any:
    with pool.connection() as conn:
        code = area_in_scope(conn, principal, area)
        try:
            found = build_report(conn, code, period, known_on)
        except UnknownArea as exc:  # a well-formed code no unit has: nothing there
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    if format == "json":
        return found
    name = f"popreg-report-{found['area']['code']}-{found['period']['code']}"
    if format == "csv":
        return Response(
            to_csv(found, bom=bom),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "xlsx":
        return Response(
            to_xlsx(found),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return HTMLResponse(to_html(found), headers={"Content-Disposition": f'inline; filename="{name}.html"'})


@router.get(
    "/live",
    summary="Live flow counters of the indicator processor (current periods, seconds fresh)",
    responses={404: {"description": "no live counters yet: the indicator worker has not written a snapshot"}},
)
async def get_live(
    request: Request,
    principal: Caller,
    pool: Pool,
    area: AreaQuery,
    period: Annotated[
        str | None,
        Query(
            description="YYYY-MM, YYYY-Qn or YYYY (default: this month)", json_schema_extra={"pattern": PERIOD_PATTERN}
        ),
    ] = None,
) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        with pool.connection() as conn:
            code = area_in_scope(conn, principal, area)
            try:
                return live_figures(conn, code, period)
            except NotLive as exc:
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
            except ValueError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None

    found = await run_in_threadpool(read)
    settings = request.app.state.settings
    topic = settings.topic(EVENTS)
    try:  # how many events on the log the counters have not read yet (freshness)
        ends = await kafka_admin.end_offsets_async(settings, topic)
        done = {int(k.rsplit(":", 1)[1]): n for k, n in found["positions"].items() if k.startswith(topic + ":")}
        found["behind"] = sum(max(0, end - done.get(p, 0)) for p, end in ends.items())
    except Exception:  # noqa: BLE001 (Kafka away: the figures still stand, freshness unknown)
        found["behind"] = None
    return found
