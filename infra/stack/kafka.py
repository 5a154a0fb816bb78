"""The local Kafka cluster: KRaft nodes (each broker + controller) started from Maven jars.

One node by default; `popreg stack up --brokers 3` (POPREG_KAFKA_BROKERS) starts three combined
nodes with a static three-voter quorum, so topics get RF 3 / min ISR 2 and the loss of one broker
is survived. Node 1 keeps the single-node paths (kafka/data, run/kafka.pid, logs/kafka.log); node
k > 1 lives under kafka/node<k>/ with run/kafka-<k>.pid and logs/kafka-<k>.log.
"""

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
    def of(cls, settings: Settings, node: int = 1) -> KafkaPaths:
        home = settings.home_dir
        root = home / "kafka" if node == 1 else home / "kafka" / f"node{node}"
        suffix = "" if node == 1 else f"-{node}"
        return cls(
            root=root,
            data=root / "data",
            properties=root / "server.properties",
            pid=home / "run" / f"kafka{suffix}.pid",
            log=home / "logs" / f"kafka{suffix}.log",
            format_log=home / "logs" / f"kafka{suffix}-format.log",
        )


def nodes(settings: Settings) -> range:
    return range(1, settings.kafka_brokers + 1)


def _brokers_file(settings: Settings) -> Path:
    return settings.home_dir / "kafka" / "brokers"


def check_layout(settings: Settings) -> None:
    """A home formatted for N nodes is started with N nodes: a quorum's voters are fixed."""
    f = _brokers_file(settings)
    if f.exists() and int(f.read_text().strip() or "1") != settings.kafka_brokers:
        n = int(f.read_text().strip())
        raise StackError(
            f"the Kafka storage under {settings.home_dir / 'kafka'} was formatted for {n} broker(s), "
            f"not {settings.kafka_brokers}. Fix: start it with --brokers {n} (POPREG_KAFKA_BROKERS={n}), "
            "or use another POPREG_HOME for a cluster of another size."
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


def render_properties(settings: Settings, data_dir: Path, node: int = 1) -> str:
    """server.properties of combined broker+controller node `node` on loopback."""
    ports = settings.broker_ports()
    port, cport = ports[node - 1]
    voters = ",".join(f"{i}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports, start=1))
    rf, isr = str(min(3, len(ports))), str(settings.min_insync_replicas if len(ports) >= 3 else 1)
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node),
        # A static voter set needs no --standalone at format time (they exclude each other).
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # Internal topics as durable as the register's (one replica on a single node).
        "offsets.topic.replication.factor": rf,
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": rf,
        "transaction.state.log.min.isr": isr,
        # 50 partitions by default: slow to create on first transactional use, useless here.
        "transaction.state.log.num.partitions": "3",
        "share.coordinator.state.topic.replication.factor": rf,
        "share.coordinator.state.topic.min.isr": isr,
        # Topics created by clients (faust's changelogs) get the same floor as the register's.
        "default.replication.factor": rf,
        "min.insync.replicas": isr,
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


def check_storage(data_dir: Path, node: int = 1) -> str | None:
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
    if len(cid) != 22 or meta.get("node.id") != str(node):
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
    settings: Settings,
    java: str,
    libs: Path,
    paths: KafkaPaths,
    echo: Callable[[str], None],
    cluster_id: str | None = None,
) -> str:
    cid = cluster_id or new_cluster_id()
    paths.data.mkdir(parents=True, exist_ok=True)
    echo(f"kafka: formatting storage {paths.data} (cluster id {cid})")
    cmd = _java_cmd(
        settings,
        java,
        libs,
        STORAGE_TOOL,
        "format",
        f"--cluster-id={cid}",
        "-c",
        str(paths.properties),
        "--ignore-formatted",
    )
    paths.format_log.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.format_log, "ab") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=120).returncode
    if rc != 0:
        raise StackError(
            f"formatting Kafka storage failed (exit {rc}); see {paths.format_log}:\n{tail(paths.format_log, 15)}"
        )
    return cid


def node_pid(settings: Settings, node: int) -> int | None:
    return running_pid(KafkaPaths.of(settings, node).pid)


def kafka_pid(settings: Settings) -> int | None:
    """Node 1's pid when every node of the local cluster runs, else None (then `up` starts the rest)."""
    pids = [node_pid(settings, n) for n in nodes(settings)]
    return pids[0] if all(p is not None for p in pids) else None


def _rotate(log: Path, keep_bytes: int = 50 * 1024 * 1024) -> None:
    # slf4j-simple never rotates; one previous log is kept at each start past 50 MB.
    if log.exists() and log.stat().st_size > keep_bytes:
        log.replace(log.with_suffix(".log.1"))


def start(settings: Settings, echo: Callable[[str], None], timeout: float = 90.0) -> int:
    """Start every node not running (fetching jars and formatting storage first if needed) and
    wait until all of them are in the cluster; returns node 1's pid."""
    check_layout(settings)
    java, jv = jvm.find_java()
    libs = jvm.fetch_jars(settings.jar_cache, settings.kafka_version, echo)
    todo = [n for n in nodes(settings) if node_pid(settings, n) is None]
    ids = {n: check_storage(KafkaPaths.of(settings, n).data, n) for n in nodes(settings)}
    known = {cid for cid in ids.values() if cid is not None}
    if len(known) > 1:
        raise StackError(
            f"the Kafka nodes under {settings.home_dir / 'kafka'} belong to different clusters "
            f"({sorted(known)}). Fix: move {settings.home_dir / 'kafka'} away and run `popreg stack up`."
        )
    cluster_id = known.pop() if known else new_cluster_id()
    for n in todo:
        port, cport = settings.broker_ports()[n - 1]
        env_hint = "POPREG_KAFKA_PORT" if n == 1 else f"POPREG_KAFKA_PORT (node {n} uses it + {2 * (n - 1)})"
        require_free_port(port, "Kafka", env_hint)
        require_free_port(cport, "the Kafka controller", env_hint.replace("KAFKA_PORT", "KAFKA_CONTROLLER_PORT"))
    started: dict[int, int] = {}
    try:
        for n in todo:
            paths = KafkaPaths.of(settings, n)
            paths.root.mkdir(parents=True, exist_ok=True)
            paths.properties.write_text(render_properties(settings, paths.data, n))
            if ids[n] is None:
                format_storage(settings, java, libs, paths, echo, cluster_id=cluster_id)
            which = "" if settings.kafka_brokers == 1 else f" node {n}/{settings.kafka_brokers}"
            echo(
                f"kafka{which}: starting {settings.kafka_version} on 127.0.0.1:{settings.broker_ports()[n - 1][0]} "
                f"(Java {jv}, log {paths.log})"
            )
            marker = str(paths.properties)
            _rotate(paths.log)
            pid = spawn_detached(_java_cmd(settings, java, libs, MAIN_CLASS, marker), paths.log)
            write_pid(paths.pid, pid, marker)
            started[n] = pid
        _brokers_file(settings).parent.mkdir(parents=True, exist_ok=True)
        _brokers_file(settings).write_text(f"{settings.kafka_brokers}\n")
        _wait_started(settings, started, timeout)
    except BaseException:
        for n in started:
            stop_node(settings, n)
        raise
    return node_pid(settings, 1) or 0


def _wait_started(settings: Settings, started: dict[int, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    want = settings.kafka_brokers
    while True:
        # The pid itself, not the pid file's marker: until the child has exec'd java its
        # command line is still this Python's, and a loaded machine makes that window long.
        for n, pid in started.items():
            if not is_alive(pid):
                paths = KafkaPaths.of(settings, n)
                paths.pid.unlink(missing_ok=True)
                raise StackError(
                    f"the Kafka broker exited during start; see {paths.log}:\n{tail(paths.log, 20)}\n"
                    f"If the log shows damaged storage, move {paths.data} away and run `popreg stack up` again."
                )
        try:
            info = kafka_admin.wait_ready(settings, timeout=2.0)
            if len(info.get("brokers", [])) >= want:
                return
        except TimeoutError:
            pass
        if time.monotonic() > deadline:
            logs = ", ".join(str(KafkaPaths.of(settings, n).log) for n in started)
            raise StackError(
                f"Kafka did not become ready with {want} broker(s) in {timeout:.0f}s; see {logs}:\n"
                f"{tail(KafkaPaths.of(settings, next(iter(started), 1)).log, 20)}"
            )
        time.sleep(0.5)


def stop_node(settings: Settings, node: int) -> int | None:
    paths = KafkaPaths.of(settings, node)
    pid = running_pid(paths.pid)
    if pid is not None and not stop_pid(pid, timeout=60.0):
        raise StackError(f"Kafka node {node} (pid {pid}) did not stop; kill it by hand: kill -9 {pid}")
    paths.pid.unlink(missing_ok=True)
    return pid


def stop(settings: Settings) -> int | None:
    """Stop every node this home started (pid files, also nodes beyond the configured count);
    returns the first pid stopped, or None."""
    count = max(
        settings.kafka_brokers,
        int(_brokers_file(settings).read_text().strip() or "1") if _brokers_file(settings).exists() else 1,
    )
    stopped = [stop_node(settings, n) for n in range(count, 0, -1)]
    return next((p for p in reversed(stopped) if p is not None), None)


def info(settings: Settings) -> dict[str, object]:
    paths = KafkaPaths.of(settings)
    pid = kafka_pid(settings)
    cid = None
    try:
        cid = check_storage(paths.data)
    except StackError:
        cid = "DAMAGED"
    out: dict[str, object] = {
        "pid": pid,
        "running": pid is not None,
        "bootstrap": settings.bootstrap,
        "controller": ",".join(f"127.0.0.1:{c}" for _, c in settings.broker_ports()),
        "port_busy": not port_free(settings.kafka_port),
        "version": settings.kafka_version,
        "cluster_id": cid,
        "data_dir": str(paths.data),
        "log": str(paths.log),
        "jars": str(jvm.libs_dir(settings.jar_cache, settings.kafka_version)),
    }
    if settings.kafka_brokers > 1:
        out["nodes"] = {n: node_pid(settings, n) for n in nodes(settings)}
    return out
