"""The HTTP composition root: gateway, read API, reports and dashboard on one origin (`popreg serve`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra.db import open_async_pool, open_pool
from infra.settings import Settings, get_settings
from infra.tokens import TokenStore
from producers import gateway
from producers.runtime import open_ingest
from projections.api import router as read_router
from projections.dashboard import attach as attach_dashboard
from projections.reports_api import router as reports_router


def build_app(settings: Settings) -> FastAPI:
    """One app: POST /v1/submissions, the read API, reports, the dashboard; OpenAPI at /docs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.read_pool = await asyncio.to_thread(open_pool, settings, name="popreg-read")
        token_pool = await open_async_pool(settings, min_size=1, max_size=4, name="popreg-tokens")
        try:
            async with open_ingest(settings) as service:
                gateway.install(app, service, settings)
                # One token cache for every route (the gateway's install sets its own).
                app.state.tokens = TokenStore(token_pool)
                yield
        finally:
            await token_pool.close()
            app.state.read_pool.close()

    app = FastAPI(
        title="popreg",
        version="1",
        description="Population register (DS-KHHGĐ): submissions, indicators, records, reports.",
        lifespan=lifespan,
    )
    app.include_router(gateway.router)
    app.include_router(read_router)
    app.include_router(reports_router)
    attach_dashboard(app)
    return app


def create_app() -> FastAPI:
    """Factory for `uvicorn --factory popreg.api:create_app` (settings from POPREG_*)."""
    return build_app(get_settings())
