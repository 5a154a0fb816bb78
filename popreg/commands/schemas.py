"""`popreg schemas generate [--check]`: the JSON Schema files of the wire contract, from events/."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from schemas import generate as gen

console = Console(highlight=False, soft_wrap=True)


def generate(
    check: bool = typer.Option(False, "--check", help="only report files that drift; exit 1 if any"),
    out: Path = typer.Option(gen.SCHEMA_DIR, "--out", help="directory of the schema files", file_okay=False),
) -> None:
    """Regenerate schemas/v1/*.json from the pydantic models (envelope, each type, register records)."""
    if check:
        stale = gen.drift(out)
        for name in stale:
            console.print(f"drifted: {name}", markup=False)
        console.print(
            "schemas are up to date" if not stale else f"{len(stale)} file(s) drifted; run `popreg schemas generate`"
        )
        raise typer.Exit(1 if stale else 0)
    changed = gen.write(out)
    for name in changed:
        console.print(f"written: {name}", markup=False)
    console.print(f"{len(gen.schemas())} schema files in {out}, {len(changed)} changed", markup=False)


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="the published wire contract (JSON Schema)", no_args_is_help=True)
    group.command("generate")(generate)
    app.add_typer(group, name="schemas")
