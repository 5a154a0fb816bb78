"""A transactional produce and a read_committed consume through the real broker."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from infra import kafka_admin, topics
from infra.settings import Settings

pytestmark = pytest.mark.integration


async def _consume_all(settings: Settings, topic: str, group: str, want: int, timeout: float = 20.0) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap,
        group_id=group,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[bytes] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(got) < want and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                got.extend(r.value for r in records)
        # One more poll: nothing beyond what was committed may show up.
        for records in (await consumer.getmany(timeout_ms=500)).values():
            got.extend(r.value for r in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def test_committed_transaction_is_read_and_aborted_one_is_not(make_settings, unique) -> None:
    # Its own topics: the raw values written here are not submissions other tests could read.
    settings: Settings = make_settings()
    topic = settings.topic(topics.SUBMISSIONS)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap, transactional_id=unique("tx"), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        async with producer.transaction():
            for i in range(3):
                await producer.send(topic, key=b"p-1", value=f"committed-{i}".encode())
        await producer.begin_transaction()
        await producer.send(topic, key=b"p-1", value=b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send(topic, key=b"p-2", value=b"committed-3")
    finally:
        await producer.stop()

    group = unique("reader")
    got = await _consume_all(settings, topic, group, want=4)
    assert got == [b"committed-0", b"committed-1", b"committed-2", b"committed-3"]

    # The admin view agrees: the group's committed position is the end of the log
    # (which also counts the transaction markers and the aborted record).
    end = await kafka_admin.end_offsets_async(settings, topic)
    committed = await kafka_admin.committed_offsets_async(settings, group, topic)
    assert committed == end
    assert end[0] > 4


def test_topics_have_infinite_retention_and_partitions(settings: Settings) -> None:
    specs = topics.topic_specs(settings)
    described = kafka_admin.describe_topics(settings, [s.name for s in specs])
    assert {n: d["partitions"] for n, d in described.items()} == {
        settings.topic(topics.SUBMISSIONS): 1,
        settings.topic(topics.EVENTS): settings.events_partitions,
        settings.topic(topics.REVIEW): 1,
    }
    assert {n: d["configs"]["retention.ms"] for n, d in described.items()} == dict.fromkeys(described, "-1")


def test_end_offsets_of_an_empty_topic_are_zero(settings: Settings) -> None:
    assert kafka_admin.end_offsets(settings, settings.topic(topics.REVIEW)) == {0: 0}
    assert (
        kafka_admin.committed_offsets(settings, "nobody-" + settings.topic_prefix, settings.topic(topics.REVIEW)) == {}
    )
