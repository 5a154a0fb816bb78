"""`popreg generate`: write a synthetic province's history as submissions, plus its truth file."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.gazetteer_store import builtin_gazetteer
from producers.generator import GeneratorConfig, NoiseConfig, generate

err = Console(stderr=True, highlight=False, soft_wrap=True)


def default_start(years: int, today: date | None = None) -> date:
    """The first day of the month `years` before this one: the history ends before today."""
    today = today or date.today()
    total = today.year * 12 + today.month - 1 - years * 12
    return date(total // 12, total % 12 + 1, 1)


def parse_month(text: str) -> date:
    try:
        year, month = (int(x) for x in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a month YYYY-MM") from None


def parse_noise(items: list[str], off: bool) -> NoiseConfig:
    """`--noise late=0.2` style overrides of NoiseConfig; `--no-noise` turns every kind off."""
    noise = NoiseConfig.none() if off else NoiseConfig()
    known = {f.name for f in fields(NoiseConfig)} - {"late_days"}
    for item in items:
        key, _, value = item.partition("=")
        if key not in known:
            raise typer.BadParameter(f"unknown noise kind {key!r}; one of {', '.join(sorted(known))}")
        try:
            rate = float(value)
        except ValueError:
            raise typer.BadParameter(f"{item!r}: the rate must be a number") from None
        if not 0.0 <= rate <= 1.0:
            raise typer.BadParameter(f"{item!r}: the rate must be between 0 and 1")
        noise = replace(noise, **{key: rate})
    return noise


def truth_path(out: Path) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl").removesuffix(".json") + ".truth.json")


def generate_cmd(
    out: str = typer.Option(..., "--out", help="the .jsonl file to write, or - for stdout"),
    seed: int = typer.Option(1, help="the same seed gives byte-identical output"),
    households: int = typer.Option(20_000, min=1, help="households at the start"),
    years: int = typer.Option(5, min=1, max=50, help="months simulated = 12 x years"),
    start: str | None = typer.Option(None, help="first month YYYY-MM (default: YEARS before this month)"),
    province: str = typer.Option("14", help="province code in the gazetteer (default 14, Sơn La)"),
    noise: list[str] = typer.Option([], "--noise", help="override a noise rate, e.g. --noise late=0.2 (repeatable)"),
    no_noise: bool = typer.Option(False, "--no-noise", help="a clean history: no noise of any kind"),
    truth: Path | None = typer.Option(None, help="where to write the truth JSON (default FILE.truth.json)"),
) -> None:
    """Write a deterministic synthetic population history as submissions (EVENTS.md), one per line.

    Lines are ordered by recorded_at, as collaborators' apps would upload them. Beside the file,
    FILE.truth.json holds the input schedules and what was realised (counts, TFR, SRB, noise).
    """
    first = parse_month(start) if start else default_start(years)
    config = GeneratorConfig(
        start=first,
        seed=seed,
        households=households,
        years=years,
        province=province,
        noise=parse_noise(noise, no_noise),
    )
    to_stdout = out == "-"
    truth_file = truth if truth is not None else (None if to_stdout else truth_path(Path(out)))
    began = time.perf_counter()
    try:
        gazetteer = builtin_gazetteer()
        if to_stdout:
            doc = generate(config, sys.stdout.buffer, gazetteer)
            sys.stdout.buffer.flush()
        else:
            doc = write_history_file(config, Path(out), gazetteer)
    except ValueError as exc:
        err.print(f"[bold red]generate failed:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - began
    if truth_file is not None:
        truth_file.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = doc["lines"]
    err.print(
        f"[green]{lines:,} lines[/] ({lines / seconds:,.0f}/s) in {seconds:.1f}s, "
        f"{config.start:%Y-%m} to {config.end:%Y-%m}, province {province}, seed {seed}; "
        f"{doc['invalid_lines']['total']} deliberately invalid"
        + (f"; truth: {escape(str(truth_file))}" if truth_file else "")
    )


def write_history_file(config: GeneratorConfig, path: Path, gazetteer) -> dict:
    partial = path.with_name(path.name + ".partial")  # never leave a half file under the real name
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[lines]:,} lines"),
        TimeElapsedColumn(),
        console=err,
    )
    with bar, partial.open("wb", buffering=1 << 20) as fh:
        homes = bar.add_task("baseline households", total=config.households, lines=0)
        months = bar.add_task("months", total=config.years * 12, lines=0)

        def on_home(done: int, total: int, lines: int) -> None:
            bar.update(homes, completed=done, lines=lines)

        def on_month(done: int, total: int, lines: int) -> None:
            bar.update(homes, completed=config.households)
            bar.update(months, completed=done, lines=lines)

        doc = generate(config, fh, gazetteer, progress=on_month, baseline_progress=on_home)
    os.replace(partial, path)
    return doc


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_cmd)
