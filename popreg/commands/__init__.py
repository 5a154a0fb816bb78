"""CLI command groups, one module per concern; the few habits they share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

_err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def read_errors(describe: Callable[[ValueError], str] = str) -> Iterator[None]:
    """Exit 2 with the message for input the command cannot use (a ValueError, `describe`d), and 1
    when PostgreSQL does not answer."""
    from infra.db import DatabaseUnavailable

    try:
        yield
    except DatabaseUnavailable as exc:
        _err.print(f"[bold red]PostgreSQL unavailable:[/] {exc}")
        raise typer.Exit(1) from None
    except ValueError as exc:
        _err.print(f"[bold red]error:[/] {describe(exc)}")
        raise typer.Exit(2) from None
