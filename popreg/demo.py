"""`popreg demo`: stack, gazetteer, a generated province pushed through the gateway, a summary."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from infra.settings import Settings
from popreg.bootstrap import api_url, pipeline, prepare
from popreg.supervisor import Supervisor

BATCH_LINES = 2000  # one POST; well under the gateway's 8 MiB limit at ~400 B a line
CLIENTS = 3


@dataclass(frozen=True)
class DemoOptions:
    province: str = "14"  # Sơn La
    households: int = 20_000
    years: int = 5
    seed: int = 1
    serve: bool = True  # keep the pipeline and dashboard running after the summary


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
    )


def generated_file(settings: Settings, opt: DemoOptions, console: Console) -> Path:
    """The demo's history; deterministic, so a file made earlier with the same options is reused."""
    from infra.gazetteer_store import builtin_gazetteer
    from popreg.commands.generate import default_start, write_history_file
    from producers.generator import GeneratorConfig

    start = default_start(opt.years)
    name = f"p{opt.province}-h{opt.households}-y{opt.years}-s{opt.seed}-{start:%Y%m}.jsonl"
    out = settings.home_dir / "demo" / name
    if out.exists():  # written under a .partial name and renamed only when complete
        console.print(f"history: reusing {out}")
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    config = GeneratorConfig(
        start=start, seed=opt.seed, households=opt.households, years=opt.years, province=opt.province
    )
    console.print(
        f"history: generating {opt.households:,} households over {opt.years} years in province {opt.province} → {out}"
    )
    write_history_file(config, out, builtin_gazetteer())
    return out


class DemoError(Exception):
    """The demo cannot run as asked; the message says what to do."""


def check_province(settings: Settings, opt: DemoOptions) -> None:
    """The province's communes must be known to the gazetteer the gateway checks against (the one
    in PostgreSQL), else every generated line would be refused and the summary would find nothing."""
    from infra.db import connect
    from infra.gazetteer_store import builtin_gazetteer, gazetteer_in_force
    from popreg.commands.generate import default_start

    start = default_start(opt.years)
    builtin = builtin_gazetteer()
    wanted = builtin.communes(province=opt.province, on=start)
    if not wanted:
        known = ", ".join(f"{u.code} {u.name}" for u in sorted(builtin.provinces(start), key=lambda u: u.code))
        raise DemoError(f"--province {opt.province}: not a province code on {start} (history start). Codes: {known}")
    with connect(settings) as conn:
        loaded = gazetteer_in_force(conn)
    missing = [u.code for u in wanted if not loaded.exists(u.code, start)]
    if missing:
        name = builtin.name(opt.province, start)
        raise DemoError(
            f"province {opt.province} ({name}) is not in the gazetteer loaded in PostgreSQL: "
            f"{len(missing)} of its {len(wanted)} communes on {start} are unknown there (e.g. {', '.join(missing[:3])}), "
            f"so the gateway would refuse the demo's lines. Load Vietnam's units with "
            f"`popreg gazetteer load --builtin`, or pick a loaded province with --province CODE "
            f"(`popreg gazetteer show CODE` shows one)."
        )


def _batches(path: Path) -> Iterator[bytes]:
    lines: list[bytes] = []
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                lines.append(line if line.endswith(b"\n") else line + b"\n")
            if len(lines) == BATCH_LINES:
                yield b"".join(lines)
                lines = []
    if lines:
        yield b"".join(lines)


async def push(url: str, token: str, path: Path, progress: Progress) -> dict[str, int]:
    """POST the file as NDJSON batches through the gateway with a few concurrent clients."""
    total = sum(1 for line in path.open("rb") if line.strip())
    task = progress.add_task("gateway", total=total, note="")
    counts = {"accepted": 0, "duplicate": 0, "invalid": 0}
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=CLIENTS * 2)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}

    async def client(http: httpx.AsyncClient) -> None:
        while (body := await queue.get()) is not None:
            for attempt in range(10):
                reply = await http.post(f"{url}/v1/submissions", content=body, headers=headers)
                if reply.status_code != 503:
                    break
                await asyncio.sleep(1 + attempt)  # Kafka or PostgreSQL briefly unavailable
            reply.raise_for_status()
            for item in reply.json()["results"]:
                counts[item["status"]] += 1
            progress.update(task, advance=body.count(b"\n"), note=_counts(counts))

    async with httpx.AsyncClient(timeout=120) as http:
        workers = [asyncio.create_task(client(http)) for _ in range(CLIENTS)]
        for body in _batches(path):
            await queue.put(body)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    return counts


def _counts(c: dict[str, int]) -> str:
    return f"{c['accepted']:,} accepted · {c['duplicate']:,} duplicate · {c['invalid']:,} invalid"


async def follow(settings: Settings, progress: Progress, timeout: float) -> None:
    """Show the register and the projections catching up, until both have (popreg wait's test)."""
    from projections.read.progress import progress_async

    task = progress.add_task("register → projections", total=None, note="")
    deadline = time.monotonic() + timeout
    while True:
        now = await progress_async(settings)
        progress.update(
            task,
            total=now.submitted,
            completed=min(now.processed, now.submitted),
            note=f"{now.projected:,} records projected",
        )
        if now.register_caught_up and now.projections_caught_up:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the pipeline did not catch up in {timeout:.0f}s: {now.as_dict()}")
        await asyncio.sleep(1.0)


def wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the API at {url} did not answer /v1/health in {timeout:.0f}s")


def run_demo(settings: Settings, opt: DemoOptions, console: Console) -> int:
    from popreg.summary import print_summary

    t0 = time.monotonic()
    ready = prepare(settings, echo=lambda line: console.print(f"[dim]{line}[/]"))
    token = ready.dev_token_path.read_text().strip()
    check_province(settings, opt)
    path = generated_file(settings, opt, console)
    log_path = settings.home_dir / "logs" / "pipeline.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    url = api_url(settings)
    with log_path.open("a", encoding="utf-8") as log:

        def emit(line: str) -> None:
            log.write(line + "\n")
            log.flush()

        sup = Supervisor(pipeline(settings), emit=emit)
        console.print(f"pipeline: starting the register, sink and API (log: {log_path})")
        sup.start()
        watcher = threading.Thread(target=sup.watch, daemon=True)
        watcher.start()
        try:
            wait_healthy(url)
            with _bar(console) as progress:
                counts = asyncio.run(push(url, token, path, progress))
                asyncio.run(follow(settings, progress, timeout=3600))
            console.print(f"submitted through {url}/v1/submissions: {_counts(counts)}")
            print_summary(url, token, opt.province, console, first_year=date.today().year - opt.years + 1)
            console.print(
                f"\n[bold]done in {time.monotonic() - t0:.0f}s.[/] API docs: {url}/docs · "
                f"dashboard: {url}/ · token: {ready.dev_token_path}"
            )
            if opt.serve:
                console.print("the pipeline keeps running for the dashboard; Ctrl-C stops it")
                _block_until_interrupted(sup)
        finally:
            sup.stop()
            watcher.join(timeout=5)
            sup.shutdown()
    return 0


def _block_until_interrupted(sup: Supervisor) -> None:
    try:
        while not sup.stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
