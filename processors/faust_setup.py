"""The faust set-up both processors share: options from Settings, the app, a table whose
changelog keeps write order, and the worker.

Why not the plain Table API: faust puts changelog writes in a buffer drained by a background task,
and its pre-commit flush gives up after 0.1 s without a message leaving that buffer, so a commit
could run ahead of the changelog; and its per-key codec, sensors and futures cost more CPU than
the engines. Here the agent hands each record's writes straight to faust's Kafka producer, in
write order; faust's commit flushes that producer first, so "offset committed" implies "state in
the changelog". Each processor's table chooses its key and value encoding (processors/*/table.py)
so that faust's own recovery (RocksDB: raw bytes; memory: decoded) rebuilds the same table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust
from faust.types import TP

from infra.kafka_client import faust_broker_credentials
from infra.settings import Settings

RAW: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}


def faust_options(settings: Settings, app_id: str) -> dict[str, Any]:
    """faust configuration, all of it from Settings (STYLE.md habit 12)."""
    return {
        "broker": [f"kafka://{host.strip()}" for host in settings.bootstrap.split(",")],
        "broker_credentials": faust_broker_credentials(settings),  # TLS / SASL from Settings
        "topic_replication_factor": settings.replication_factor,  # changelogs too
        "store": settings.faust_store,
        "datadir": str(settings.home_dir / "faust" / app_id),
        "web_enabled": False,  # the integrator supervises the process; no HTTP port to clash
        "topic_partitions": 1,  # a table's changelog matches the one partition its agent reads
        "producer_acks": -1,  # acks=all
        "consumer_auto_offset_reset": "earliest",
        "processing_guarantee": "at_least_once",  # exactly_once is unreliable (faust #177, #517)
        "broker_commit_every": 1000,  # well inside the register's ring of redelivery records
        "broker_commit_interval": 1.0,
        "producer_linger_ms": 5,
        # 16 KB batches (the default) wait on one acks=all round trip per 16 KB of changelog:
        # that, not CPU, bounded the workers (about 250 submissions/s); a batch stays < 1 MB.
        "producer_max_batch_size": 900_000,
        # a worker killed without leaving the group (kill -9) holds its partitions this long
        # before its restarted successor may take them over (faust's default is 60 s)
        "broker_session_timeout": 15.0,
        "broker_heartbeat_interval": 3.0,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }


def build_app(settings: Settings, app_id: str) -> faust.App:
    """A faust app configured from Settings, its data directory created."""
    options = faust_options(settings, app_id)
    Path(options["datadir"]).mkdir(parents=True, exist_ok=True)
    return faust.App(app_id, autodiscover=False, **options)


def kafka_producer(app: faust.App) -> Any:
    """faust's aiokafka producer (acks=all): the one faust flushes before every offset commit."""
    return app.producer._ensure_producer()  # type: ignore[attr-defined]  # noqa: SLF001 (faust keeps it private)


class OrderedChangelogTable(faust.Table):
    """A table written by one agent (concurrency 1) whose changelog gets its writes in order."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._pending: list[tuple[bytes, bytes]] = []

    def _raw_store(self) -> bool:
        return hasattr(self.data, "_db_for_partition")  # RocksDB: bytes in, bytes out

    def _stage(self, encoded_key: bytes, encoded: bytes) -> None:
        self._pending.append((encoded_key, encoded))

    async def publish_changelog(self, partition: int) -> None:
        """Hand the writes made since the last call to the producer, in order (a commit flushes it)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        producer = kafka_producer(self.app)  # type: ignore[arg-type]  # faust types app as AppT
        topic = self.changelog_topic.get_topic_name()
        last = None
        for key, value in pending:
            last = await producer.send(topic, value, key=key, partition=partition)
        tp = TP(topic, partition)
        # faust's persisted offset: on restart, recovery replays the changelog only after it
        assert last is not None  # pending was not empty
        last.add_done_callback(lambda fut: self._persisted(tp, fut))

    def _persisted(self, tp: TP, fut: Any) -> None:
        if self._raw_store() and not fut.cancelled() and fut.exception() is None:
            self.data.set_persisted_offset(tp, fut.result().offset)


class TableStore:
    """An engine's Store protocol (get/put) over a table's read/write."""

    def __init__(self, table: Any):
        self.table = table

    def get(self, key: str) -> Any:
        return self.table.read(key)

    def put(self, key: str, value: Any) -> None:
        self.table.write(key, value)


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run the app's worker in the foreground until SIGINT/SIGTERM (popreg run supervises it)."""
    worker = faust.Worker(app, loglevel=loglevel)
    # faust's terminal spinner turns the root logger to DEBUG (at -l warn and above), which makes
    # every debug call of faust and aiokafka build a log record: 10-20 % of the worker's CPU.
    worker.spinner = None
    worker.execute_from_commandline()
