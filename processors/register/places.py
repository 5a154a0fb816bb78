"""The register's gazetteer: loaded from PostgreSQL at start, followed while running.

The gateway follows `popreg gazetteer load` within seconds; the register must not hold a
submission as `unknown_commune` that the gateway accepted against a newer load, so it reloads on
a timer and, before holding for that reason, checks once whether a newer load exists.
"""

from __future__ import annotations

import logging

from infra.db import connect
from infra.gazetteer_store import builtin_gazetteer, gazetteer_in_force, latest_load
from infra.settings import Settings
from processors.register.checks import GazetteerLike

log = logging.getLogger(__name__)


class GazetteerFollower:
    """Knows which gazetteer load the register uses, and fetches a newer one when there is one."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.seen: int | None = None

    def _latest(self) -> int:
        with connect(self.settings) as conn:
            return latest_load(conn)

    def load(self) -> GazetteerLike:
        """The gazetteer in force (infra.gazetteer_store), or the built-in one with no database."""
        try:
            with connect(self.settings) as conn:
                seen = latest_load(conn)
                gazetteer = gazetteer_in_force(conn)
            self.seen = seen
            log.info("register: gazetteer load %d from PostgreSQL (0: built-in), version %s", seen, gazetteer.version)
            return gazetteer
        except Exception as exc:  # noqa: BLE001 (no database yet: the built-in units serve)
            log.warning("register: no gazetteer from PostgreSQL (%s); using the built-in one", exc)
        return builtin_gazetteer()

    def newer(self) -> GazetteerLike | None:
        """A newer gazetteer if one was loaded since, else None (one cheap query)."""
        try:
            latest = self._latest()
        except Exception as exc:  # noqa: BLE001 (a database hiccup must not stop the register)
            log.warning("register: gazetteer check skipped: %r", exc)
            return None
        if latest == self.seen:
            return None
        return self.load()
