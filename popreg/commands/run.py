"""`popreg run` (the whole pipeline, supervised), `popreg serve` (the HTTP app) and `popreg demo`."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console

err = Console(stderr=True)


def serve() -> None:
    """Serve the HTTP API alone: gateway, read API, reports, dashboard (OpenAPI at /docs)."""
    import uvicorn

    from infra.observability import uvicorn_log_config
    from popreg.bootstrap import cli_settings

    settings = cli_settings()
    extra: dict[str, Any] = {"log_config": cfg} if (cfg := uvicorn_log_config(settings.log_format)) else {}
    uvicorn.run(
        "popreg.api:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        log_level="info",
        timeout_graceful_shutdown=10,
        **extra,
    )


def run() -> None:
    """Run the gateway, the processors, the projection sink and the read API until Ctrl-C / SIGTERM."""
    from infra.stack import StackError
    from popreg.bootstrap import api_url, cli_settings, pipeline, prepare
    from popreg.supervisor import Supervisor

    settings = cli_settings()
    try:
        ready = prepare(settings, echo=lambda line: err.print(f"[dim]{line}[/]"))
    except StackError as exc:
        err.print(f"[bold red]cannot start:[/] {exc}")
        raise typer.Exit(1) from None
    url = api_url(settings)

    def announce() -> None:
        err.print(
            f"[bold green]popreg is running[/]: API {url}/docs · dashboard {url}/ · "
            f"development token (whole country) in {ready.dev_token_path} · Ctrl-C stops"
        )

    raise typer.Exit(Supervisor(pipeline(settings)).run(ready=announce))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("serve")(serve)
    app.command("demo")(demo)


def demo(
    province: str = typer.Option("14", help="province code (default 14, Sơn La)"),
    households: int = typer.Option(20_000, min=50, help="households at the start of the history"),
    years: int = typer.Option(5, min=1, max=20, help="years of history, ending this month"),
    seed: int = typer.Option(1, help="generator seed (the same seed gives the same province)"),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="keep the pipeline and dashboard running after the summary"
    ),
) -> None:
    """Stack up, gazetteer, generate a province, push it through the gateway, print the figures."""
    import signal

    from infra.stack import StackError
    from popreg.bootstrap import cli_settings
    from popreg.demo import DemoError, DemoOptions, run_demo

    # SIGTERM ends the demo like Ctrl-C, so the children it started are stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    console = Console(width=max(Console().width, 110))  # the summary tables need the room
    opt = DemoOptions(province=province, households=households, years=years, seed=seed, serve=serve)
    try:
        code = run_demo(cli_settings(), opt, console)
    except StackError as exc:
        err.print(f"[bold red]cannot start:[/] {exc}")
        raise typer.Exit(1) from None
    except DemoError as exc:
        err.print(f"[bold red]demo:[/] {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
