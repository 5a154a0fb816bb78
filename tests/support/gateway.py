"""Shared by the gateway, submit and A0 tests: envelopes, a running gateway app, topic reading."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.settings import Settings
from infra.topics import SUBMISSIONS
from producers.gateway import build_gateway_app

SON_LA_COMMUNE = "03646"  # Phường Chiềng Lề, Sơn La (province 14)
HANOI_COMMUNE = "00001"  # Phường Phúc Xá, Hà Nội (province 01)


def new_id(tag: str = "e") -> str:
    return f"{tag}-{uuid.uuid4()}"


def death(event_id: str | None = None, commune: str = SON_LA_COMMUNE, on: str = "2024-03-05") -> dict[str, Any]:
    return {
        "event_id": event_id or new_id(),
        "type": "death",
        "schema_version": 1,
        "occurred_on": on,
        "recorded_at": f"{on}T09:12:00+07:00",
        "commune": commune,
        "source": {"channel": "mobile", "collector_id": "ctv-03646-05"},
        "payload": {"person_id": new_id("p")},
    }


def birth(event_id: str | None = None, commune: str = SON_LA_COMMUNE) -> dict[str, Any]:
    return {
        "event_id": event_id or new_id(),
        "type": "birth",
        "schema_version": 1,
        "occurred_on": "2024-03-05",
        "recorded_at": "2024-03-20T09:12:00+07:00",
        "commune": commune,
        "source": {"channel": "mobile"},
        "payload": {
            "child_id": new_id("c"),
            "household_id": "h-1201",
            "mother_id": "p-1202",
            "sex": "F",
            "full_name": "Lò Thị Mai",
        },
    }


@contextlib.asynccontextmanager
async def gateway_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh gateway app (its own pool and producer: a restart) driven in process."""
    app = build_gateway_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def read_submissions(settings: Settings, want: set[str], timeout: float = 30.0) -> dict[str, tuple[bytes, bytes]]:
    """event_id -> (key, value) of the committed records among `want`, reading the whole topic
    up to its current end (read_committed: aborted or open transactions are not seen)."""
    import orjson

    tp = TopicPartition(settings.topic(SUBMISSIONS), 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap,
        group_id=None,
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: dict[str, tuple[bytes, bytes]] = {}
    copies: dict[str, int] = {}
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        idle = False
        # Until the end (transaction markers included) and one empty poll: the position alone
        # can run ahead of what getmany has handed out.
        while (not idle or await consumer.position(tp) < end) and loop.time() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=300, max_records=10_000)
            idle = not batch
            for rec in batch.get(tp, []):
                eid = orjson.loads(rec.value)["event_id"]
                if eid in want:
                    found[eid] = (rec.key, rec.value)
                    copies[eid] = copies.get(eid, 0) + 1
    finally:
        await consumer.stop()
    assert all(n == 1 for n in copies.values()), f"an event was published twice: {copies}"
    return found


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment that makes a `popreg` process use exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        {
            "POPREG_ENV": "test",
            "POPREG_HOME": str(settings.home_dir),
            "POPREG_TOPIC_PREFIX": settings.topic_prefix,
            "POPREG_PG_DATABASE": settings.pg_database,
            "POPREG_PG_PORT": str(settings.pg_port),
            "POPREG_KAFKA_PORT": str(settings.kafka_port),
        }
    )
    if settings.database_url is not None:
        env["POPREG_DATABASE_URL"] = settings.database_url.get_secret_value()
    if settings.kafka_bootstrap is not None:
        env["POPREG_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    env.update(extra)
    return env


def popreg(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "popreg", *args],
        env=cli_env(settings, **env),
        capture_output=True,
        text=True,
        timeout=180,
    )
