"""The local real stack (Kafka KRaft node + PostgreSQL cluster): up, down, status."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from infra import db, kafka_admin, migrate
from infra.settings import Settings
from infra.stack import kafka, postgres
from infra.stack.process import StackError, stack_lock

__all__ = ["StackError", "UpReport", "up", "down", "status", "is_up"]


@dataclass
class UpReport:
    started: list[str] = field(default_factory=list)  # components this call started
    already: list[str] = field(default_factory=list)  # components that were running
    topics_created: list[str] = field(default_factory=list)
    migrations_applied: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _noop(_: str) -> None:
    pass


def is_up(settings: Settings) -> bool:
    """True when both local components run (external ones count as up)."""
    k = not settings.uses_local_kafka or kafka.kafka_pid(settings) is not None
    p = not settings.uses_local_postgres or postgres.postmaster_pid(postgres.PgPaths.of(settings)) is not None
    return k and p


def up(settings: Settings, echo: Callable[[str], None] = _noop) -> UpReport:
    """Start what is not running, create topics, create the database, apply migrations.

    Idempotent. On failure, stops what this call started (not what was running before) and
    raises StackError naming the cause and the fix.
    """
    t0 = time.monotonic()
    report = UpReport()
    with stack_lock(settings.home_dir):
        _preflight(settings)
        try:
            _up_kafka(settings, echo, report)
            _up_postgres(settings, echo, report)
        except BaseException:
            for name in reversed(report.started):
                echo(f"{name}: stopping it again (this start failed)")
                (kafka.stop if name == "kafka" else postgres.stop)(settings)
            raise
    report.seconds = time.monotonic() - t0
    return report


def _preflight(settings: Settings) -> None:
    """Everything that can be checked before starting anything: ports, binaries, data dirs."""
    from infra.stack import jvm
    from infra.stack.process import require_free_port

    if settings.uses_local_kafka and kafka.kafka_pid(settings) is None:
        kafka.check_layout(settings)
        for n in kafka.nodes(settings):
            if kafka.node_pid(settings, n) is None:
                port, cport = settings.broker_ports()[n - 1]
                require_free_port(port, "Kafka", "POPREG_KAFKA_PORT")
                require_free_port(cport, "the Kafka controller", "POPREG_KAFKA_CONTROLLER_PORT")
                kafka.check_storage(kafka.KafkaPaths.of(settings, n).data, n)
        jvm.find_java()
    pg_paths = postgres.PgPaths.of(settings)
    if settings.uses_local_postgres and postgres.postmaster_pid(pg_paths) is None:
        require_free_port(settings.pg_port, "PostgreSQL", "POPREG_PG_PORT")
        _, major = postgres.find_bindir()
        postgres.check_data_dir(pg_paths, major)


def _up_kafka(settings: Settings, echo: Callable[[str], None], report: UpReport) -> None:
    if not settings.uses_local_kafka:
        echo(f"kafka: external ({settings.bootstrap}), not started here")
    elif (pid := kafka.kafka_pid(settings)) is not None:
        report.already.append("kafka")
        echo(f"kafka: already running (pid {pid}, {settings.bootstrap})")
    elif any(kafka.node_pid(settings, n) is not None for n in kafka.nodes(settings)):
        kafka.start(settings, echo)  # the nodes that stopped rejoin the ones running
        report.already.append("kafka")
    else:
        kafka.start(settings, echo)
        report.started.append("kafka")
    try:
        kafka_admin.wait_ready(settings, timeout=60.0)
    except TimeoutError as exc:
        raise StackError(f"{exc}. Fix: see {kafka.KafkaPaths.of(settings).log}") from exc
    report.topics_created = kafka_admin.ensure_topics(settings)
    for name in report.topics_created:
        echo(f"kafka: created topic {name}")


def _up_postgres(settings: Settings, echo: Callable[[str], None], report: UpReport) -> None:
    if not settings.uses_local_postgres:
        echo("postgres: external (POPREG_DATABASE_URL), not started here")
    elif (pid := postgres.postmaster_pid(postgres.PgPaths.of(settings))) is not None:
        report.already.append("postgres")
        echo(f"postgres: already running (pid {pid}, 127.0.0.1:{settings.pg_port})")
    else:
        postgres.start(settings, echo)
        report.started.append("postgres")
    if settings.uses_local_postgres and db.create_database(settings.dsn, settings.pg_database):
        echo(f"postgres: created database {settings.pg_database}")
    try:
        report.migrations_applied = migrate.apply_migrations(settings.dsn)
    except (psycopg.Error, db.DatabaseUnavailable, ValueError) as exc:
        # The migration that failed was rolled back as a whole; earlier ones stay applied.
        raise StackError(
            f"applying migrations from {migrate.MIGRATIONS_DIR} failed: {exc}. "
            "Fix the named migration file and run `popreg stack up` again."
        ) from exc
    for name in report.migrations_applied:
        echo(f"postgres: applied migration {name}")


def down(settings: Settings, echo: Callable[[str], None] = _noop) -> list[str]:
    """Stop the components this home started (pid files); returns the names stopped."""
    stopped = []
    with stack_lock(settings.home_dir):
        if settings.uses_local_postgres and (pid := postgres.stop(settings)) is not None:
            echo(f"postgres: stopped (pid {pid})")
            stopped.append("postgres")
        if settings.uses_local_kafka and (pid := kafka.stop(settings)) is not None:
            echo(f"kafka: stopped (pid {pid})")
            stopped.append("kafka")
    if not stopped:
        echo(f"nothing was running from {settings.home_dir}")
    return stopped


def status(settings: Settings) -> dict[str, dict[str, object]]:
    """What runs where: pids, ports, data directories, versions, logs."""
    k = kafka.info(settings) if settings.uses_local_kafka else {"running": None, "bootstrap": settings.bootstrap}
    p = postgres.info(settings) if settings.uses_local_postgres else {"running": None, "dsn": "(POPREG_DATABASE_URL)"}
    if k.get("running") is not False:
        try:
            k["cluster"] = kafka_admin.wait_ready(settings, timeout=3.0).get("cluster_id")
            k["topics"] = len(kafka_admin.list_topics(settings))
            k["replication"] = f"RF {settings.replication_factor}, min ISR {settings.min_insync_replicas}"
            k["topic_drift"] = kafka_admin.topic_drift(settings) or "none"
        except (TimeoutError, OSError) as exc:
            k["answer"] = f"no answer: {exc}"
    if p.get("running") is not False:
        try:
            p["server_version"] = db.server_version(settings.dsn)
        except db.DatabaseUnavailable as exc:
            p["answer"] = f"no answer: {exc}"
    return {"home": {"path": str(settings.home_dir), "jar_cache": str(settings.jar_cache)}, "kafka": k, "postgres": p}
