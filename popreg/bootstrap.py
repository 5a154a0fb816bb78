"""Composition root: the CLI's Settings, the stack made ready, the processes `popreg run` supervises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra import stack
from infra.db import connect
from infra.gazetteer_store import load_builtin
from infra.settings import Settings, get_settings
from infra.tokens import ensure_dev_token
from popreg.supervisor import Child, popreg_argv

COUNT_UNITS = "SELECT count(*) FROM gazetteer_units"


def cli_settings() -> Settings:
    """The Settings of this process, read from the environment once (infra.settings caches
    them): every CLI command takes its Settings from here and hands them down; none builds its own."""
    return get_settings()


@dataclass(frozen=True)
class Ready:
    dev_token_path: Path
    gazetteer_loaded: int  # rows added by this call (0 when it was already there)


def prepare(settings: Settings, echo: Callable[[str], None] = lambda _: None) -> Ready:
    """Idempotent: the stack up (or the external Kafka/PostgreSQL checked, topics and migrations
    applied), the built-in gazetteer loaded when none is, and the development token written."""
    stack.up(settings, echo)
    added = 0
    with connect(settings) as conn:
        if conn.execute(COUNT_UNITS).fetchone()[0] == 0:
            echo("gazetteer: loading Vietnam's administrative units (before and after 1 July 2025)")
            added = load_builtin(conn).rows_added
            conn.commit()
    token = ensure_dev_token(settings) if settings.env != "production" else Path("-")
    return Ready(dev_token_path=token, gazetteer_loaded=added)


def pipeline(settings: Settings) -> list[Child]:
    """The children of `popreg run`, in start order: processors and sink first, the API last."""
    return [
        Child("register", popreg_argv("worker", "register", "--loglevel", "warn")),
        Child("sink", popreg_argv("sink")),
        Child("indicators", popreg_argv("worker", "indicators")),
        Child("api", popreg_argv("serve")),
    ]


def api_url(settings: Settings) -> str:
    return f"http://{settings.api_host}:{settings.api_port}"
