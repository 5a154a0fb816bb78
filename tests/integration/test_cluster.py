"""A local three-broker cluster (`stack up --brokers 3`): RF 3 / min ISR 2 topics, and the
gateway's transactional publisher losing a broker under load with nothing lost or doubled.

Runs its own cluster in a temporary home on free ports, beside the shared single-node stack.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra import kafka_admin, topics
from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.stack import kafka
from infra.stack.process import is_alive
from producers.publisher import Publisher, PublishError, Record

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_run(n: int) -> int:
    """A port p such that p … p+n-1 are all free now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + n >= 65535:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no run of free ports")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, stack: Settings):
    # One cluster for the module (starting three JVMs is the cost); the tests run in file order,
    # and the last one stops a broker for good.
    base = _free_run(6)
    settings = Settings(
        env="test",
        home=tmp_path_factory.mktemp("cluster") / "home",
        cache_dir=stack.jar_cache,
        kafka_brokers=3,
        kafka_port=base,
        kafka_controller_port=base + 1,
        kafka_heap="-Xms128m -Xmx320m",
    )
    kafka.start(settings, lambda _m: None, timeout=180)
    kafka_admin.ensure_topics(settings)
    yield settings
    kafka.stop(settings)


async def read_committed(settings: Settings, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(**client_kwargs(settings), isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    values: list[bytes] = []
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        deadline = time.monotonic() + 60
        idle = False
        while not idle or await consumer.position(tp) < end:
            assert time.monotonic() < deadline, "topic not read in time"
            batch = await consumer.getmany(timeout_ms=500)
            idle = not batch
            values += [r.value for recs in batch.values() for r in recs]
    finally:
        await consumer.stop()
    return values


async def publish_all(publisher: Publisher, topic: str, batches: list[list[Record]], refused: list[int]) -> None:
    """A submitter that retries what was refused until it is taken."""
    for i, batch in enumerate(batches):
        for _attempt in range(60):
            try:
                await publisher.publish(topic, batch)
                break
            except PublishError:
                refused[0] += 1
                await asyncio.sleep(1.0)
        else:
            raise AssertionError(f"batch {i} never taken")


def test_three_brokers_give_durable_topics_and_report_no_drift(cluster: Settings) -> None:
    names = [t.name for t in topics.topic_specs(cluster)]
    found = kafka_admin.describe_topics(cluster, names)
    assert {n: (d["replicas"], d["configs"]["min.insync.replicas"]) for n, d in found.items()} == {
        n: (3, "2") for n in names
    }
    assert kafka_admin.topic_drift(cluster) == []
    # the same names configured with other settings are reported, never altered
    drift = kafka_admin.topic_drift(
        cluster.model_copy(update={"kafka_replication_factor": 2, "kafka_min_insync_replicas": 1})
    )
    assert any("replication factor 3, configured 2" in d for d in drift)
    assert any("min.insync.replicas=2, configured 1" in d for d in drift)


async def test_a_broker_killed_under_load_loses_and_doubles_nothing(cluster: Settings) -> None:
    topic = cluster.topic(topics.SUBMISSIONS)
    batches = [[Record(f"p-{b}".encode(), f"{b}:{i}".encode()) for i in range(25)] for b in range(60)]
    refused = [0]
    async with Publisher(cluster, request_timeout_ms=15_000) as publisher:
        await publish_all(publisher, topic, batches[:15], refused)
        victim = kafka.node_pid(cluster, 2)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)  # kill -9 one broker of three while the load goes on
        t0 = time.monotonic()
        await publish_all(publisher, topic, batches[15:40], refused)
        while is_alive(victim):
            await asyncio.sleep(0.1)
        await asyncio.to_thread(kafka.start, cluster, lambda _m: None, 180)  # it rejoins
        await publish_all(publisher, topic, batches[40:], refused)
        seconds = time.monotonic() - t0
    values = await read_committed(cluster, topic)
    want = [r.value for batch in batches for r in batch]
    assert sorted(values) == sorted(want)  # every acknowledged record once: none lost, none doubled
    print(f"broker killed: {refused[0]} batches refused and retried, 45 batches in {seconds:.1f}s")


async def test_one_broker_of_three_stopped_for_good_keeps_accepting(cluster: Settings) -> None:
    topic = cluster.topic(topics.REVIEW)
    kafka.stop_node(cluster, 3)
    batches = [[Record(f"r-{b}".encode(), f"r{b}:{i}".encode()) for i in range(10)] for b in range(20)]
    refused = [0]
    async with Publisher(cluster, request_timeout_ms=15_000) as publisher:
        await publish_all(publisher, topic, batches, refused)
    assert sorted(await read_committed(cluster, topic)) == sorted(r.value for b in batches for r in b)
