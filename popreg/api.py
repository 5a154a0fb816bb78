"""The HTTP composition root: gateway, read API, reports and dashboard on one origin (`popreg serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra import problems
from infra.audit import AccessAudit
from infra.observability import RequestMetrics
from infra.settings import Settings
from infra.tokens_http import router as tokens_router
from popreg import apidocs
from popreg.bootstrap import cli_settings
from producers import gateway
from producers.frontline import attach as attach_frontline
from producers.runtime import open_ingest
from projections.http.api import read_resources
from projections.http.api import router as read_router
from projections.http.dashboard import attach as attach_dashboard
from projections.http.forecasts import router as forecasts_router
from projections.http.ops import monitoring
from projections.http.ops import router as ops_router
from projections.http.quality import router as quality_router
from projections.http.reports import router as reports_router


def build_app(settings: Settings) -> FastAPI:
    """One app: POST /v1/submissions, the read API, reports, the dashboard; OpenAPI at /docs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_ingest(settings) as service:
            gateway.install(app, service, settings)
            # The read resources come last: one token store (and its cache) for every route.
            async with read_resources(app, settings), monitoring(app, settings, app.state.read_pool):
                yield

    app = FastAPI(
        title="popreg",
        version="1",
        description="Population register (DS-KHHGĐ): submissions, indicators, records, reports.",
        lifespan=lifespan,
        docs_url=None,  # served from the package below (apidocs), not from a CDN
        redoc_url=None,
    )
    app.include_router(gateway.router)
    app.include_router(read_router)
    app.include_router(reports_router)
    app.include_router(quality_router)
    app.include_router(forecasts_router)
    app.include_router(ops_router)
    app.include_router(tokens_router)
    attach_dashboard(app)
    attach_frontline(app)
    problems.install(app)  # every error as RFC 9457 problem+json
    problems.document(app)
    apidocs.attach(app)
    app.add_middleware(AccessAudit, pool_of=lambda a: getattr(a.state, "read_pool", None))
    app.add_middleware(RequestMetrics)
    return app


def create_app() -> FastAPI:
    """Factory for `uvicorn --factory popreg.api:create_app` (settings from POPREG_*)."""
    return build_app(cli_settings())
