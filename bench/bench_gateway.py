"""Gateway throughput: concurrent clients on loopback against a real uvicorn, beside raw aiokafka.

Runs against the local stack (`popreg stack up`) in a fresh database and unique topics, both
removed at the end. Prints sustained accepted events/s through POST /v1/submissions, the rate
of a plain idempotent aiokafka producer (acks=all) sending the same encoded events in the same
run, and their ratio.

    python bench/bench_gateway.py [--events 200000] [--clients 8] [--batch 500] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra import db, kafka_admin, migrate  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.tokens import create_token  # noqa: E402
from infra.topics import TopicSpec  # noqa: E402

COMMUNES = ["03646", "03649", "03652", "03658", "03661", "03664"]  # Sơn La city, before 2025


def make_events(n: int, run: str) -> list[dict]:
    out = []
    for i in range(n):
        commune = COMMUNES[i % len(COMMUNES)]
        if i % 3 == 0:
            payload = {
                "child_id": f"c-{run}-{i}",
                "household_id": f"h-{run}-{i // 7}",
                "mother_id": f"m-{run}-{i // 5}",
                "sex": "F" if i % 2 else "M",
                "full_name": "Lò Thị Mai",
            }
            kind = "birth"
        elif i % 3 == 1:
            payload, kind = {"person_id": f"p-{run}-{i}", "method": "iud"}, "contraception.started"
        else:
            payload, kind = {"person_ids": [f"p-{run}-{i}"], "to_commune": "00001"}, "move_out"
        out.append(
            {
                "event_id": f"{run}-{i}",
                "type": kind,
                "schema_version": 1,
                "occurred_on": "2024-03-05",
                "recorded_at": "2024-03-20T09:12:00+07:00",
                "commune": commune,
                "source": {"channel": "mobile", "collector_id": f"ctv-{commune}-01"},
                "payload": payload,
            }
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POPREG_")}
    env.update(
        {
            "POPREG_HOME": str(settings.home_dir),
            "POPREG_TOPIC_PREFIX": settings.topic_prefix,
            "POPREG_PG_DATABASE": settings.pg_database,
            "POPREG_PG_POOL_MAX": "16",
        }
    )
    if settings.database_url is not None:
        env["POPREG_DATABASE_URL"] = settings.database_url.get_secret_value()
    if settings.kafka_bootstrap is not None:
        env["POPREG_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    return env


async def drive_gateway(url: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def client() -> None:
        nonlocal accepted
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while not queue.empty():
                body = queue.get_nowait()
                resp = await http.post("/v1/submissions", content=body, headers=headers)
                resp.raise_for_status()
                accepted += sum(r["status"] == "accepted" for r in resp.json()["results"])

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - start, accepted


async def raw_produce(settings: Settings, topic: str, records: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    try:
        start = time.perf_counter()
        for key, value in records:
            await producer.send(topic, value, key=key)
        await producer.flush()
        return time.perf_counter() - start
    finally:
        await producer.stop()


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the gateway process exited")
        try:
            httpx.get(f"{url}/docs", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise TimeoutError("gateway did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = ap.parse_args()

    base = Settings(home=ROOT / ".popreg")
    tag = f"bench{uuid.uuid4().hex[:8]}"
    settings = base.model_copy(update={"topic_prefix": f"{tag}.", "pg_database": f"popreg_{tag}"})
    db.create_database(base.dsn, settings.pg_database)
    proc = None
    raw_topic = settings.topic("bench.raw")
    try:
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        kafka_admin.ensure_topics(settings, [TopicSpec(raw_topic, 1)])
        with db.connect(settings) as conn:
            token = create_token(conn, "collector", "14", "bench").token
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen(
            [
                sys.executable,
                *os.environ.get("BENCH_PY_ARGS", "").split(),
                "-m",
                "uvicorn",
                "--factory",
                "producers.gateway:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env_for(settings),
            cwd=ROOT,
        )
        wait_http(url, proc)

        events = make_events(args.events, tag)
        bodies = [
            b"\n".join(orjson.dumps(e) for e in events[i : i + args.batch]) for i in range(0, len(events), args.batch)
        ]
        warm = make_events(2 * args.batch, tag + "w")
        asyncio.run(drive_gateway(url, token, [b"\n".join(orjson.dumps(e) for e in warm)], 1))

        seconds, accepted = asyncio.run(drive_gateway(url, token, bodies, args.clients))
        assert accepted == args.events, f"only {accepted} of {args.events} accepted"
        from events import encode, kafka_key, validate_submission

        records = [(kafka_key(m), encode(m)) for m in map(validate_submission, events)]
        raw_seconds = asyncio.run(raw_produce(settings, raw_topic, records))

        gw_rate, raw_rate = accepted / seconds, len(records) / raw_seconds
        print(
            f"events {args.events}, batch {args.batch}, clients {args.clients}, workers {args.workers}, "
            f"cpus {os.cpu_count()}"
        )
        print(
            f"gateway  : {accepted} accepted in {seconds:.2f}s = {gw_rate:,.0f} events/s "
            f"({len(bodies) / seconds:,.0f} requests/s)"
        )
        print(
            f"raw kafka: {len(records)} produced in {raw_seconds:.2f}s = {raw_rate:,.0f} events/s "
            "(aiokafka, idempotent, acks=all)"
        )
        print(f"ratio gateway/raw: {gw_rate / raw_rate:.2f}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        db.drop_database(base.dsn, settings.pg_database)
        kafka_admin.delete_topics(settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(f"{tag}.")])


if __name__ == "__main__":
    main()
