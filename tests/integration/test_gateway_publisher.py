"""The shared transactional publisher against the real broker: atomic batches, order, placement."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.partitioner import DefaultPartitioner

from infra import kafka_admin
from infra.settings import Settings
from infra.topics import TopicSpec
from producers.publisher import Publisher, Record

pytestmark = pytest.mark.integration


async def read_all(settings: Settings, topic: str, partitions: int) -> dict[int, list[tuple[int, bytes, bytes]]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, isolation_level="read_committed", enable_auto_commit=False
    )
    await consumer.start()
    out: dict[int, list[tuple[int, bytes, bytes]]] = {p: [] for p in range(partitions)}
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        deadline = asyncio.get_running_loop().time() + 20
        idle = False
        # Until every partition reached its end (transaction markers included) and a poll came
        # back empty: positions alone can run ahead of what getmany has handed out.
        while not idle or any([await consumer.position(tp) < ends[tp] for tp in tps]):
            assert asyncio.get_running_loop().time() < deadline, "topic not read in time"
            batch = await consumer.getmany(timeout_ms=300)
            idle = not batch
            for tp, recs in batch.items():
                out[tp.partition].extend((r.offset, r.key, r.value) for r in recs)
    finally:
        await consumer.stop()
    return out


@pytest.mark.parametrize("pad", [0, 3000], ids=["small", "over-one-record-batch"])
async def test_batches_land_whole_in_order_on_the_key_partition(settings: Settings, unique, pad: int) -> None:
    topic = unique("publisher")
    await kafka_admin.ensure_topics_async(settings, [TopicSpec(topic, 3)])
    filler = b"x" * pad  # 600 x 3 kB spans several 512 kB record batches per partition
    batches = [[Record(f"p-{b}-{i % 4}".encode(), f"{b}:{i}".encode() + filler) for i in range(50)] for b in range(12)]
    async with Publisher(settings) as publisher:
        answers = await asyncio.gather(*(publisher.publish(topic, batch) for batch in batches))
    assert all(sum(d.count for d in answer) == 50 for answer in answers)
    found = await read_all(settings, topic, 3)
    assert sum(len(v) for v in found.values()) == 12 * 50  # each record once, none lost
    partitioner = DefaultPartitioner()
    for part, records in found.items():
        for _, key, _ in records:
            assert partitioner(key, [0, 1, 2], [0, 1, 2]) == part  # the Java client's placement
    for b, answer in enumerate(batches):  # a caller's records keep their order per partition
        for part, records in found.items():
            mine = [v for _, k, v in records if k.startswith(f"p-{b}-".encode())]
            assert mine == [r.value for r in answer if partitioner(r.key, [0, 1, 2], [0, 1, 2]) == part]
    offsets = {(d.partition, d.base_offset + i) for answer in answers for d in answer for i in range(d.count)}
    assert offsets == {(p, off) for p, recs in found.items() for off, _, _ in recs}


async def test_an_unreachable_broker_fails_at_start(settings: Settings) -> None:
    nowhere = settings.model_copy(update={"kafka_bootstrap": "127.0.0.1:1"})
    with pytest.raises(KafkaConnectionError):
        async with Publisher(nowhere):
            pass
