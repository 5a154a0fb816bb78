"""Progress against the real broker: the register counts as caught up when no committed submission
lies beyond its group's offset, transaction markers notwithstanding."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from infra import kafka_admin
from infra.settings import Settings
from infra.topics import SUBMISSIONS
from projections.read.progress import REGISTER_GROUP, progress_async

pytestmark = pytest.mark.integration


async def _commit(settings: Settings, offset: int) -> None:
    """Commit `offset` for the register's group, as its faust app would."""
    tp = TopicPartition(settings.topic(SUBMISSIONS), 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=settings.topic(REGISTER_GROUP), enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: OffsetAndMetadata(offset, "")})
    finally:
        await consumer.stop()


async def test_register_caught_up_across_transaction_markers(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap, enable_idempotence=True, transactional_id=settings.topic("progress-test")
    )
    await producer.start()
    try:
        async with producer.transaction():  # offsets 0, 1, 2, then the commit marker at 3
            for i in range(3):
                await producer.send(settings.topic(SUBMISSIONS), key=b"k", value=b"s%d" % i)
    finally:
        await producer.stop()
    end = (await kafka_admin.end_offsets_async(settings, settings.topic(SUBMISSIONS), "read_committed"))[0]
    assert end == 4

    before = await progress_async(settings)
    assert (before.submitted, before.processed, before.register_caught_up) == (4, 0, False)
    await _commit(settings, 1)  # the register is inside the batch
    assert not (await progress_async(settings)).register_caught_up
    await _commit(settings, 3)  # offset + 1 of the last record: only the marker is left
    after = await progress_async(settings)
    assert (after.processed, after.register_caught_up) == (3, True)
    # nothing on the events or review topics: the projections are trivially caught up
    assert after.projections_caught_up and after.as_dict()["projected"] == after.log_end == 0
