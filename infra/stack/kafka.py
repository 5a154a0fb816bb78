"""The local Kafka broker: KRaft single node (broker + controller) started from Maven jars."""

from __future__ import annotations

import base64
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from infra import kafka_admin
from infra.settings import Settings
from infra.stack import jvm
from infra.stack.process import (
    StackError,
    is_alive,
    port_free,
    require_free_port,
    running_pid,
    spawn_detached,
    stop_pid,
    tail,
    write_pid,
)

MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


@dataclass(frozen=True)
class KafkaPaths:
    root: Path
    data: Path
    properties: Path
    pid: Path
    log: Path
    format_log: Path

    @classmethod
    def of(cls, settings: Settings) -> KafkaPaths:
        home = settings.home_dir
        return cls(
            root=home / "kafka",
            data=home / "kafka" / "data",
            properties=home / "kafka" / "server.properties",
            pid=home / "run" / "kafka.pid",
            log=home / "logs" / "kafka.log",
            format_log=home / "logs" / "kafka-format.log",
        )


def new_cluster_id(draw: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A KRaft cluster id: 22 chars, URL-safe base64 of a random UUID without padding.

    An id beginning with "-" (one draw in 64) reads as an option to kafka-storage's argument
    parser ("--cluster-id/-t: expected one argument"); Kafka's own ``Uuid.randomUuid()`` draws
    again in that case, and so does this.
    """
    while True:
        cid = base64.urlsafe_b64encode(draw().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def render_properties(settings: Settings, data_dir: Path) -> str:
    """server.properties of a combined broker+controller node on loopback."""
    port, cport = settings.kafka_port, settings.kafka_controller_port
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # A static voter set needs no --standalone at format time (they exclude each other).
        "controller.quorum.voters": f"1@127.0.0.1:{cport}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # One node: every internal topic has a single replica.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        # 50 partitions by default: slow to create on first transactional use, useless here.
        "transaction.state.log.num.partitions": "3",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Tests start many consumer groups; the default 3 s delay would slow each of them.
        "group.initial.rebalance.delay.ms": "0",
        "log.retention.check.interval.ms": "300000",
    }
    lines = ["# written by `popreg stack up` from the settings on every start; edits are lost"]
    lines += [f"{k}={v}" for k, v in props.items()]
    return "\n".join(lines) + "\n"


def read_meta(data_dir: Path) -> dict[str, str]:
    meta = data_dir / "meta.properties"
    out: dict[str, str] = {}
    for line in meta.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def check_storage(data_dir: Path) -> str | None:
    """The cluster id of formatted storage, None when unformatted; StackError when damaged."""
    if not data_dir.exists() or not any(data_dir.iterdir()):
        return None
    fix = f"Fix: move it away (`mv {data_dir} {data_dir}.broken`; its topics are lost) and run `popreg stack up` again."
    if not (data_dir / "meta.properties").exists():
        raise StackError(f"Kafka data directory {data_dir} is not empty but has no meta.properties (damaged). {fix}")
    try:
        meta = read_meta(data_dir)
    except (OSError, UnicodeDecodeError) as exc:
        raise StackError(f"Kafka data directory {data_dir}: unreadable meta.properties ({exc}). {fix}") from exc
    cid = meta.get("cluster.id", "")
    if len(cid) != 22 or meta.get("node.id") != "1":
        raise StackError(f"Kafka data directory {data_dir}: meta.properties is damaged ({meta}). {fix}")
    return cid


def _java_cmd(settings: Settings, java: str, libs: Path, main: str, *args: str) -> list[str]:
    return [
        java,
        *shlex.split(settings.kafka_heap),
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
        # Every partition of every test topic logs each leadership change at INFO.
        "-Dorg.slf4j.simpleLogger.log.state.change.logger=warn",
        "-cp",
        f"{libs}/*",
        main,
        *args,
    ]


def format_storage(
    settings: Settings, java: str, libs: Path, paths: KafkaPaths, echo: Callable[[str], None],
    cluster_id: str | None = None,
) -> str:
    cid = cluster_id or new_cluster_id()
    paths.data.mkdir(parents=True, exist_ok=True)
    echo(f"kafka: formatting storage {paths.data} (cluster id {cid})")
    cmd = _java_cmd(settings, java, libs, STORAGE_TOOL, "format", f"--cluster-id={cid}", "-c", str(paths.properties), "--ignore-formatted")
    paths.format_log.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.format_log, "ab") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=120).returncode
    if rc != 0:
        raise StackError(f"formatting Kafka storage failed (exit {rc}); see {paths.format_log}:\n{tail(paths.format_log, 15)}")
    return cid


def kafka_pid(settings: Settings) -> int | None:
    return running_pid(KafkaPaths.of(settings).pid)


def _rotate(log: Path, keep_bytes: int = 50 * 1024 * 1024) -> None:
    # slf4j-simple never rotates; one previous log is kept at each start past 50 MB.
    if log.exists() and log.stat().st_size > keep_bytes:
        log.replace(log.with_suffix(".log.1"))


def start(settings: Settings, echo: Callable[[str], None], timeout: float = 90.0) -> int:
    """Start the broker (fetching jars and formatting storage first if needed); returns its pid."""
    paths = KafkaPaths.of(settings)
    java, jv = jvm.find_java()
    libs = jvm.fetch_jars(settings.jar_cache, settings.kafka_version, echo)
    cluster_id = check_storage(paths.data)
    require_free_port(settings.kafka_port, "Kafka", "POPREG_KAFKA_PORT")
    require_free_port(settings.kafka_controller_port, "the Kafka controller", "POPREG_KAFKA_CONTROLLER_PORT")
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.properties.write_text(render_properties(settings, paths.data))
    if cluster_id is None:
        cluster_id = format_storage(settings, java, libs, paths, echo)
    echo(f"kafka: starting {settings.kafka_version} on {settings.bootstrap} (Java {jv}, log {paths.log})")
    marker = str(paths.properties)
    _rotate(paths.log)
    pid = spawn_detached(_java_cmd(settings, java, libs, MAIN_CLASS, marker), paths.log)
    write_pid(paths.pid, pid, marker)
    deadline = time.monotonic() + timeout
    while True:
        # The pid itself, not the pid file's marker: until the child has exec'd java its
        # command line is still this Python's, and a loaded machine makes that window long.
        if not is_alive(pid):
            paths.pid.unlink(missing_ok=True)
            raise StackError(
                f"the Kafka broker exited during start; see {paths.log}:\n{tail(paths.log, 20)}\n"
                f"If the log shows damaged storage, move {paths.data} away and run `popreg stack up` again."
            )
        try:
            kafka_admin.wait_ready(settings, timeout=2.0)
            break
        except TimeoutError:
            if time.monotonic() > deadline:
                stop(settings)
                raise StackError(f"Kafka did not become ready in {timeout:.0f}s; see {paths.log}:\n{tail(paths.log, 20)}") from None
    return pid


def stop(settings: Settings) -> int | None:
    """Stop the broker this home started (pid file); returns the pid stopped, or None."""
    paths = KafkaPaths.of(settings)
    pid = running_pid(paths.pid)
    if pid is not None and not stop_pid(pid, timeout=60.0):
        raise StackError(f"Kafka (pid {pid}) did not stop; kill it by hand: kill -9 {pid}")
    paths.pid.unlink(missing_ok=True)
    return pid


def info(settings: Settings) -> dict[str, object]:
    paths = KafkaPaths.of(settings)
    pid = running_pid(paths.pid)
    cid = None
    try:
        cid = check_storage(paths.data)
    except StackError:
        cid = "DAMAGED"
    return {
        "pid": pid,
        "running": pid is not None,
        "bootstrap": settings.bootstrap,
        "controller": f"127.0.0.1:{settings.kafka_controller_port}",
        "port_busy": not port_free(settings.kafka_port),
        "version": settings.kafka_version,
        "cluster_id": cid,
        "data_dir": str(paths.data),
        "log": str(paths.log),
        "jars": str(jvm.libs_dir(settings.jar_cache, settings.kafka_version)),
    }
