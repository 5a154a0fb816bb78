"""Kafka administration (the one owner): readiness, topic creation, end and committed offsets."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    CoordinatorLoadInProgressError,
    GroupCoordinatorNotAvailableError,
    KafkaError,
    TopicAlreadyExistsError,
)

from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.topics import TopicSpec, topic_specs

T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller already sits in an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        return ex.submit(asyncio.run, coro).result()


def _admin(settings: Settings, timeout_ms: int = 10_000) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**client_kwargs(settings), request_timeout_ms=timeout_ms)


async def cluster_info_async(settings: Settings) -> dict[str, Any]:
    """The metadata call that decides readiness: cluster id, controller and brokers."""
    admin = _admin(settings, 5_000)
    await admin.start()
    try:
        return await admin.describe_cluster()
    finally:
        await admin.close()


async def wait_ready_async(settings: Settings, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            # A plain TCP probe first: aiokafka logs an ERROR line for every refused connection.
            await _probe(settings.bootstrap)
            info = await cluster_info_async(settings)
            if info.get("brokers"):
                return info
        except (TimeoutError, KafkaError, OSError) as exc:
            last = exc
        await asyncio.sleep(0.5)
    raise TimeoutError(f"Kafka at {settings.bootstrap} did not answer a metadata call in {timeout:.0f}s: {last!r}")


async def _probe(bootstrap: str) -> None:
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    _, writer = await asyncio.wait_for(asyncio.open_connection(host.strip("[]"), int(port)), 2.0)
    writer.close()
    await writer.wait_closed()


def wait_ready(settings: Settings, timeout: float = 60.0) -> dict[str, Any]:
    """Block until the broker answers an admin metadata call; raise TimeoutError otherwise."""
    return _run(wait_ready_async(settings, timeout))


async def ensure_topics_async(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create the missing topics (the register's by default); returns the names created."""
    specs = topic_specs(settings) if specs is None else specs
    admin = _admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if not missing:
            return []
        resp = await admin.create_topics(
            [NewTopic(s.name, s.partitions, s.replication, topic_configs=s.configs) for s in missing]
        )
        created = []
        for name, code, *rest in resp.topic_errors:
            # 36 = TOPIC_ALREADY_EXISTS: another process created it in between, that is fine.
            if code not in (0, TopicAlreadyExistsError.errno):
                raise RuntimeError(f"could not create topic {name}: error {code} {rest}")
            if code == 0:
                created.append(name)
        await _wait_topics_visible(admin, [s.name for s in missing])
        return created
    finally:
        await admin.close()


async def _wait_topics_visible(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30.0) -> None:
    # CreateTopics answers before every partition has a leader; producers racing it would
    # see UNKNOWN_TOPIC_OR_PARTITION, so wait until metadata shows leaders.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = await admin.describe_topics(names)
        if all(
            t["error_code"] == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
            for t in described
        ):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"topics {names} have no leaders after {timeout:.0f}s")


def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    return _run(ensure_topics_async(settings, specs))


async def list_topics_async(settings: Settings) -> list[str]:
    admin = _admin(settings)
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


def list_topics(settings: Settings) -> list[str]:
    return _run(list_topics_async(settings))


async def delete_topics_async(settings: Settings, names: list[str]) -> None:
    admin = _admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        todo = [n for n in names if n in existing]
        if todo:
            await admin.delete_topics(todo)
    finally:
        await admin.close()


def delete_topics(settings: Settings, names: list[str]) -> None:
    _run(delete_topics_async(settings, names))


UNKNOWN_TOPIC = 3  # Kafka's UNKNOWN_TOPIC_OR_PARTITION
UNKNOWN_TOPIC_PATIENCE = 10.0  # seconds


async def describe_topics_async(settings: Settings, names: list[str]) -> dict[str, dict[str, Any]]:
    """Per topic: {"partitions": n, "replicas": r, "configs": {name: value}} as the broker reports them."""
    admin = _admin(settings)
    await admin.start()
    try:
        # Each broker learns of a new topic from the controller on its own; the one answering may
        # not have yet (UNKNOWN_TOPIC_OR_PARTITION, 3): ask again for a few seconds before saying
        # a topic is missing.
        deadline = time.monotonic() + UNKNOWN_TOPIC_PATIENCE
        while True:
            described = await admin.describe_topics(names)
            if not any(t["error_code"] == UNKNOWN_TOPIC for t in described) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    out: dict[str, dict[str, Any]] = {
        t["topic"]: {
            "partitions": len(t["partitions"]),
            "replicas": min((len(p["replicas"]) for p in t["partitions"]), default=0),
            "configs": {},
        }
        for t in described
        if t["error_code"] == 0
    }
    for resp in responses:
        for _code, _msg, _type, name, entries in (r[:5] for r in resp.resources):
            if name in out:
                out[name]["configs"] = {e[0]: e[1] for e in entries}
    return out


def describe_topics(settings: Settings, names: list[str]) -> dict[str, dict[str, Any]]:
    return _run(describe_topics_async(settings, names))


def topic_drift(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """How existing topics differ from the configured ones (partitions, replication, configs),
    one sentence each; topics are never altered behind an operator's back, only reported."""
    specs = topic_specs(settings) if specs is None else specs
    found = describe_topics(settings, [s.name for s in specs])
    out = []
    for spec in specs:
        have = found.get(spec.name)
        if have is None:
            out.append(f"{spec.name}: missing (`popreg stack up` creates it)")
            continue
        if have["partitions"] != spec.partitions:
            out.append(f"{spec.name}: {have['partitions']} partitions, configured {spec.partitions}")
        if have["replicas"] != spec.replication:
            out.append(f"{spec.name}: replication factor {have['replicas']}, configured {spec.replication}")
        for key, want in spec.configs.items():
            if have["configs"].get(key) != want:
                out.append(f"{spec.name}: {key}={have['configs'].get(key)}, configured {want}")
    return out


async def end_offsets_async(
    settings: Settings, topic: str, isolation_level: str = "read_uncommitted"
) -> dict[int, int]:
    """Next offset to be written per partition (read_committed: the last stable offset)."""
    consumer = AIOKafkaConsumer(**client_kwargs(settings), enable_auto_commit=False, isolation_level=isolation_level)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic)
        if parts is None:
            await consumer._client.force_metadata_update()  # topic may be new to this client
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        offsets = await consumer.end_offsets(tps) if tps else {}
        return {tp.partition: off for tp, off in offsets.items()}
    finally:
        await consumer.stop()


def end_offsets(settings: Settings, topic: str, isolation_level: str = "read_uncommitted") -> dict[int, int]:
    return _run(end_offsets_async(settings, topic, isolation_level))


_COORDINATOR_WAIT_S = 60.0


async def committed_offsets_async(settings: Settings, group_id: str, topic: str) -> dict[int, int]:
    """Offsets committed by `group_id` on `topic` (partitions without a commit are left out)."""
    admin = _admin(settings)
    await admin.start()
    try:
        # On a fresh broker the first coordinator lookup creates __consumer_offsets; until its
        # leader is elected the broker answers "coordinator not available": wait, don't fail.
        deadline = time.monotonic() + _COORDINATOR_WAIT_S
        while True:
            try:
                offsets = await admin.list_consumer_group_offsets(group_id)
                break
            except (GroupCoordinatorNotAvailableError, CoordinatorLoadInProgressError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()
    return {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == topic and om.offset >= 0}


def committed_offsets(settings: Settings, group_id: str, topic: str) -> dict[int, int]:
    return _run(committed_offsets_async(settings, group_id, topic))
