"""`popreg replay`, `popreg export`, `popreg analyses fertility|migration`: the history analyses.

Everything reads the canonical log (register.events.v1) or a replay / export of it, so the
analyses run on an exported file with no stack running. Exit codes: 0 done, 2 bad input
(unreadable file, wrong area), 3 Kafka or PostgreSQL unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from rich.console import Console

from analyses.export import ExportRequest, NothingToExport, export
from analyses.manifest import (
    file_source,
    kafka_source,
    read_manifest,
    sha256_file,
    sidecar,
    write_manifest,
)
from analyses.pseudo import per_export_pseudonymiser, project_pseudonymiser
from analyses.source import LogRecord, ReadStats, file_records, unique_records
from infra import kafka_admin
from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.topics import EVENTS
from popreg.bootstrap import cli_settings

err = Console(stderr=True, highlight=False, soft_wrap=True)
EXIT_INPUT, EXIT_UNAVAILABLE = 2, 3
FROM = typer.Option(None, "--from", help="first day (YYYY-MM-DD) of occurrence")
TO = typer.Option(None, "--to", help="last day (YYYY-MM-DD) of occurrence")
KNOWN_ON = typer.Option(
    None, "--known-on", help="as the register knew it on this date: events recorded, voids known by then"
)
INPUT = typer.Option(
    None,
    "--input",
    help="a `popreg replay` JSONL file ('-' for stdin) or an export directory; default: the live log on Kafka",
)
GAZ = typer.Option(
    "auto", "--gazetteer", help="auto (PostgreSQL when reading Kafka, else built-in), builtin, db, or a CSV file"
)


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[bold red]{name} {value!r}:[/] not a date, use YYYY-MM-DD")
        raise typer.Exit(EXIT_INPUT) from None


class _Unavailable(Exception):
    """Kafka or PostgreSQL did not answer."""


def kafka_log(settings: Settings) -> tuple[Iterator[LogRecord], dict[str, Any]]:
    """Every record of the log up to its end when reading starts (read_committed), in bounded memory."""
    topic = settings.topic(EVENTS)
    try:
        kafka_admin.wait_ready(settings, timeout=10)
    except (TimeoutError, KafkaError, OSError) as exc:
        raise _Unavailable(f"Kafka at {settings.bootstrap}: {exc}") from None
    # Filled in place once known: the manifest is written after the records are read.
    info = kafka_source(settings.bootstrap, topic, {}, "read_committed")
    q: queue.Queue = queue.Queue(maxsize=16)  # at most 16 fetches in memory at once

    async def partitions(consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        # An unsubscribed client holds no metadata for the topic: fetch it (aiokafka keeps no
        # public call for this; infra.kafka_admin reaches the same client the same way).
        for _ in range(50):
            parts = (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic)  # noqa: SLF001
            if parts:
                return [TopicPartition(topic, p) for p in sorted(parts)]
            await asyncio.sleep(0.2)
        raise _Unavailable(f"topic {topic} not found on {settings.bootstrap}")

    async def consume() -> None:
        consumer = AIOKafkaConsumer(
            **client_kwargs(settings), enable_auto_commit=False, isolation_level="read_committed", group_id=None
        )
        await consumer.start()
        try:
            tps = await partitions(consumer)
            ends = {tp.partition: o for tp, o in (await consumer.end_offsets(tps)).items()}  # the stable end
            firsts = {tp.partition: o for tp, o in (await consumer.beginning_offsets(tps)).items()}
            info["offsets"].update({str(p): {"from": firsts[p], "to": ends[p]} for p in sorted(ends)})
            tps = [tp for tp in tps if ends[tp.partition] > firsts[tp.partition]]
            if not tps:
                return
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            left = set(tps)
            while left:
                batch = await consumer.getmany(*left, timeout_ms=500, max_records=5000)
                for tp, msgs in batch.items():
                    q.put([LogRecord(tp.partition, m.offset, m.value) for m in msgs if m.offset < ends[tp.partition]])
                    if msgs and msgs[-1].offset + 1 >= ends[tp.partition]:
                        left.discard(tp)
                if batch:
                    continue
                # The position runs ahead of what getmany has handed out while fetched records
                # wait in the consumer's buffer; only an empty poll (nothing buffered) lets it
                # decide that a partition is done (its last offsets may be transaction markers).
                for tp in list(left):
                    if await consumer.position(tp) >= ends[tp.partition]:
                        left.discard(tp)
        finally:
            await consumer.stop()

    def run() -> None:
        try:
            asyncio.run(consume())
            q.put(None)
        except BaseException as exc:  # handed to the reading thread, which raises it
            q.put(exc)

    def records() -> Iterator[LogRecord]:
        threading.Thread(target=run, name="popreg-replay", daemon=True).start()
        while (item := q.get()) is not None:
            if isinstance(item, _Unavailable):
                raise item
            if isinstance(item, BaseException):
                raise _Unavailable(f"reading {topic}: {item!r}")
            yield from item

    return records(), info


def _source(input_: str | None, settings: Settings) -> tuple[Iterator[LogRecord], dict[str, Any]]:
    if input_ is None:
        return kafka_log(settings)
    path = Path(input_)
    if input_ != "-" and not path.is_file():
        err.print(f"[bold red]--input {input_}:[/] no such file")
        raise typer.Exit(EXIT_INPUT)
    return file_records(input_), ({"kind": "stdin"} if input_ == "-" else file_source(path))


def _gazetteer(choice: str, settings: Settings, from_kafka: bool) -> Any:
    from infra import gazetteer_store

    if choice == "builtin" or (choice == "auto" and not from_kafka):
        return gazetteer_store.builtin_gazetteer()
    if choice in ("db", "auto"):
        from infra.db import DatabaseUnavailable, open_pool

        try:
            pool = open_pool(settings)
        except DatabaseUnavailable as exc:
            raise _Unavailable(f"PostgreSQL: {exc}") from None
        try:
            return gazetteer_store.gazetteer_in_force(pool)
        finally:
            pool.close()
    parsed = gazetteer_store.read_csv(Path(choice))
    if parsed.errors:
        err.print(f"[bold red]--gazetteer {choice}:[/] {parsed.errors[0]}")
        raise typer.Exit(EXIT_INPUT)
    from events.gazetteer import Gazetteer

    return Gazetteer(parsed.rows)


def replay(
    date_from: str | None = FROM,
    date_to: str | None = TO,
    out: Path | None = typer.Option(None, "--out", help="write here (default: stdout); FILE.manifest.json beside it"),
) -> None:
    """Stream the canonical log (register.events.v1) as JSONL, one RegisterEvent per line, copies dropped."""
    lo, hi = _date(date_from, "--from"), _date(date_to, "--to")
    settings = cli_settings()
    with _guard():
        records, source = kafka_log(settings)
        stats, written = ReadStats(), 0
        with open(out, "wb") if out else contextlib.nullcontext(sys.stdout.buffer) as sink:
            for rec, raw in unique_records(records, stats):
                day = date.fromisoformat(str(raw["event"].get("occurred_on", ""))[:10] or "0001-01-01")
                if (lo and day < lo) or (hi and day > hi):
                    continue
                sink.write(rec.value + b"\n")
                written += 1
            sink.flush()
        for e in stats.errors:
            err.print(f"unreadable {e}")
        err.print(f"replayed {written} events ({stats.duplicates} duplicate copies dropped) from {source['topic']}")
        if out:
            write_manifest(
                out.parent,
                {
                    "kind": "replay",
                    "source": source,
                    "from": date_from,
                    "to": date_to,
                    "events": written,
                    "duplicates_dropped": stats.duplicates,
                    "unreadable": len(stats.errors),
                    "sha256": sha256_file(out),
                },
                name=sidecar(out).name,
            )


def export_cmd(
    area: str = typer.Option("VN", "--area", help="VN, or a province (2 digits), district (3) or commune (5)"),
    date_from: str | None = FROM,
    date_to: str | None = TO,
    known_on: str | None = KNOWN_ON,
    out: Path = typer.Option(Path("popreg-export"), "--out", help="directory for the data sets"),
    input_: str | None = INPUT,
    csv: bool = typer.Option(False, "--csv", help="CSV copies as well"),
    gazetteer: str = GAZ,
    per_export_salt: bool = typer.Option(False, "--per-export-salt", help="keys unlinkable to other exports"),
) -> None:
    """The log and its event-history data sets (pseudonymised Parquet) for an area and date range."""
    req = ExportRequest(area, _date(date_from, "--from"), _date(date_to, "--to"), _date(known_on, "--known-on"), csv)
    with _guard():
        manifest = _export(req, out, input_, gazetteer, per_export_salt)
    err.print(
        f"exported to {out}: "
        + ", ".join(
            f"{k} {v}"
            for k, v in manifest["rows"].items()
            if k in ("persons", "spells", "segments", "moves", "exposure_cube", "log")
        )
    )


def _export(req: ExportRequest, out: Path, input_: str | None, gaz: str, per_export: bool) -> dict[str, Any]:
    settings = cli_settings()
    try:
        from analyses.places import area_level

        area_level(req.area)
    except ValueError as exc:
        err.print(f"[bold red]--area:[/] {exc}")
        raise typer.Exit(EXIT_INPUT) from None
    gazetteer = _gazetteer(gaz, settings, input_ is None)
    records, source = _source(input_, settings)
    pseudo = (
        per_export_pseudonymiser()
        if per_export
        else project_pseudonymiser(settings.home_dir / "analyses" / "pseudonym.key")
    )
    try:
        manifest = export(records, source, out, req, pseudo, gazetteer)
    except NothingToExport as exc:
        err.print(f"[bold red]{input_ or source.get('topic', 'the log')}:[/] {exc}")
        raise typer.Exit(EXIT_INPUT) from None
    for line in manifest["read"]["errors"]:
        err.print(f"unreadable {line}")
    return manifest


def _analyses(
    kind: str,
    area: str,
    date_from: str | None,
    date_to: str | None,
    known_on: str | None,
    out: Path,
    input_: str | None,
    gazetteer: str,
    sample: int,
) -> None:
    # Imported here: lifelines and matplotlib take seconds to load, and every other popreg
    # command would pay for them.
    from analyses.run import AreaMismatch, run_fertility, run_migration

    with _guard():
        if input_ and Path(input_).is_dir():
            export_dir = Path(input_)
            _same_scope(export_dir, {"from": date_from, "to": date_to, "known_on": known_on})
        else:
            export_dir = out / "export"
            req = ExportRequest(area, _date(date_from, "--from"), _date(date_to, "--to"), _date(known_on, "--known-on"))
            _export(req, export_dir, input_, gazetteer, False)
        try:
            if kind == "fertility":
                run_fertility(export_dir, area, out)
            else:
                run_migration(export_dir, area, out, sample=sample)
        except (AreaMismatch, FileNotFoundError) as exc:
            err.print(f"[bold red]{kind}:[/] {exc}")
            raise typer.Exit(EXIT_INPUT) from None
    err.print(f"{kind} analyses written to {out} (open {out / 'index.html'})")


def _same_scope(export_dir: Path, asked: dict[str, str | None]) -> None:
    """An export is cut to its range and clock: asking for another one needs a new export."""
    try:
        manifest = read_manifest(export_dir)
    except FileNotFoundError as exc:
        err.print(f"[bold red]--input:[/] {exc}")
        raise typer.Exit(EXIT_INPUT) from None
    for key, value in asked.items():
        if value is not None and manifest.get(key) != value:
            err.print(
                f"[bold red]--{key.replace('_', '-')} {value}:[/] the export in {export_dir} was built with "
                f"{key} = {manifest.get(key)}; export again for another range or clock"
            )
            raise typer.Exit(EXIT_INPUT)


class _guard:
    """Turns an unreachable Kafka/PostgreSQL into one clear message and exit code 3."""

    def __enter__(self) -> None:
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, _Unavailable | KafkaError):
            err.print(f"[bold red]unavailable:[/] {exc}. Start the stack (`popreg stack up`) or pass --input FILE.")
            raise typer.Exit(EXIT_UNAVAILABLE) from None
        return False


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)
    app.command("export")(export_cmd)
    group = typer.Typer(
        help="History analyses of the log (INDICATORS.md, last section): tables, plots, one HTML page.",
        no_args_is_help=True,
    )

    def make(kind: str):
        def command(
            area: str = typer.Option(..., "--area", help="VN, or a province, district or commune code"),
            date_from: str | None = FROM,
            date_to: str | None = TO,
            known_on: str | None = KNOWN_ON,
            out: Path = typer.Option(Path(f"popreg-{kind}"), "--out", help="output directory"),
            input_: str | None = INPUT,
            gazetteer: str = GAZ,
            sample: int = typer.Option(2000, "--sample", help="migration: sequences clustered for the typology"),
        ) -> None:
            _analyses(kind, area, date_from, date_to, known_on, out, input_, gazetteer, sample)

        command.__doc__ = (
            f"The {kind} analyses of an area: tables (CSV, Parquet), PNG plots, index.html, manifest.json."
        )
        return command

    group.command("fertility")(make("fertility"))
    group.command("migration")(make("migration"))
    app.add_typer(group, name="analyses")
