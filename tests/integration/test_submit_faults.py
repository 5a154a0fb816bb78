"""`popreg submit` while Kafka is briefly away: a refused chunk is resent with backoff and lands
once; a Kafka away for longer than the retries allow ends with exactly which lines were not taken.

A second stack in a temporary home (Kafka is stopped and started again), beside the shared one.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from infra import kafka_admin, topics
from infra.kafka_client import client_kwargs
from infra.settings import Settings
from infra.stack import kafka
from producers.runtime import open_ingest
from producers.submit import NotTaken, Retry, submit_file

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory, settings: Settings):
    """Its own Kafka (stopped and started by the tests), the session's database on the shared
    PostgreSQL; a batch Kafka has not taken in 5 s is answered "not taken"."""
    kport, cport = _ports(2)
    own = settings.model_copy(
        update={
            "home": tmp_path_factory.mktemp("faults") / "home",
            "kafka_port": kport,
            "kafka_controller_port": cport,
            "kafka_heap": "-Xms128m -Xmx384m",
            "kafka_publish_timeout_s": 5.0,
        }
    )
    kafka.start(own, lambda _m: None)
    kafka_admin.ensure_topics(own)
    yield own
    kafka.stop(own)


def death(on: str = "2024-03-05") -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": "death",
        "schema_version": 1,
        "occurred_on": on,
        "recorded_at": f"{on}T09:12:00+07:00",
        "commune": "03646",
        "source": {"channel": "import"},
        "payload": {"person_id": f"p-{uuid.uuid4()}"},
    }


def write(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(i) + b"\n" for i in items))
    return path


async def event_ids_on_log(settings: Settings) -> list[str]:
    consumer = AIOKafkaConsumer(
        settings.topic(topics.SUBMISSIONS),
        **client_kwargs(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        got: list[str] = []
        idle = 0
        while idle < 3:
            batch = await consumer.getmany(timeout_ms=700)
            idle = 0 if batch else idle + 1
            got += [orjson.loads(r.value)["event_id"] for recs in batch.values() for r in recs]
        return got
    finally:
        await consumer.stop()


async def test_a_chunk_refused_while_kafka_is_away_is_resent_and_lands_once(
    own_stack: Settings, tmp_path: Path
) -> None:
    items = [death() for _ in range(30)]
    path = write(tmp_path / "deaths.jsonl", items)
    retries: list[tuple[int, float]] = []
    restarted = threading.Event()

    def kafka_back(attempt: int, wait: float, _cause: BaseException) -> None:
        retries.append((attempt, wait))
        if attempt == 2:  # the broker comes back while the submitter is still retrying
            threading.Thread(target=lambda: (kafka.start(own_stack, lambda _m: None), restarted.set())).start()

    async with open_ingest(own_stack) as service:
        await asyncio.to_thread(kafka.stop, own_stack)  # Kafka goes away after the submitter started
        report = await submit_file(service, path, retry=Retry(give_up_after=240, first_wait=1.0, on_retry=kafka_back))
    assert restarted.wait(120)
    assert len(retries) >= 2
    assert (report.counts.accepted, report.counts.duplicate, report.counts.invalid) == (30, 0, 0)
    on_log = await event_ids_on_log(own_stack)
    assert sorted(on_log) == sorted(i["event_id"] for i in items)  # each once, none lost


async def test_kafka_away_too_long_names_the_first_line_not_taken(own_stack: Settings, tmp_path: Path) -> None:
    import producers.submit as submit_mod

    first, rest = [death() for _ in range(5)], [death() for _ in range(7)]
    path = write(tmp_path / "two-chunks.jsonl", first + rest)
    chunk = submit_mod.CHUNK_ITEMS
    submit_mod.CHUNK_ITEMS = 5  # two chunks: the first lands, Kafka goes, the second cannot
    taken: list[int] = []

    def stop_after_first(counts: Any) -> None:
        taken.append(counts.accepted)
        kafka.stop(own_stack)

    try:
        async with open_ingest(own_stack) as service:
            with pytest.raises(NotTaken) as caught:
                await submit_file(
                    service, path, on_counts=stop_after_first, retry=Retry(give_up_after=4, first_wait=0.5)
                )
    finally:
        submit_mod.CHUNK_ITEMS = chunk
        kafka.start(own_stack, lambda _m: None)
    assert taken == [5]
    assert caught.value.where == "line 6" and "from line 6 to the end of the file NOT taken" in str(caught.value)
    ids = set(await event_ids_on_log(own_stack))
    assert {i["event_id"] for i in first} <= ids and not ({i["event_id"] for i in rest} & ids)
