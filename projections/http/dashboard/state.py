"""What the dashboard's endpoints share: the pool, the settings, the area index and figure cache."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from fastapi import HTTPException, Request
from psycopg_pool import ConnectionPool

from infra.gazetteer_store import gazetteer_in_force
from infra.settings import Settings
from projections.http.dashboard import sql
from projections.http.dashboard.areas import AreaIndex, DayIndex
from projections.http.dashboard.figures import FigureCache, Figures


@dataclass
class Dashboard:
    """Held on app.state.dashboard (see router.attach)."""

    pool: ConnectionPool
    settings: Settings
    figures: Figures = field(default_factory=lambda: Figures(FigureCache()))
    _index: AreaIndex | None = None
    _load: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def areas(self) -> AreaIndex:
        """The area index of the gazetteer the projections use (rebuilt after a new load)."""
        with self.pool.connection() as conn:
            (load,) = conn.execute(sql.GAZETTEER_LOAD).fetchone()  # type: ignore[misc]
            with self._lock:
                if self._index is not None and self._load == load:
                    return self._index
            # An empty database still gets a navigable tree: the built-in gazetteer.
            gazetteer = gazetteer_in_force(conn)
        with self._lock:
            self._index, self._load = AreaIndex(gazetteer), load
            return self._index

    def day(self, on: date) -> DayIndex:
        return self.areas().on(on)


_CREATE = threading.Lock()


def dashboard(request: Request) -> Dashboard:
    """The app's Dashboard, made on first use from the read API's pool and settings
    (app.state.read_pool and app.state.settings, see projections.http.api)."""
    state = request.app.state
    found = getattr(state, "dashboard", None)
    if found is None:
        with _CREATE:
            found = getattr(state, "dashboard", None)
            if found is None:
                pool, settings = getattr(state, "read_pool", None), getattr(state, "settings", None)
                if pool is None or settings is None:
                    raise HTTPException(503, detail="the dashboard needs app.state.read_pool and app.state.settings")
                found = state.dashboard = Dashboard(pool, settings)
    return found
