"""The stack in Docker containers (testcontainers), for hosts with a Docker engine.

Used by the test fixtures when POPREG_TEST_STACK=testcontainers. The machines this project is
built on have no Docker engine, so this path is written as a Docker user expects it but is not
run here; the default path (the local stack from jars and the machine's PostgreSQL) is.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from pydantic import SecretStr

from infra import kafka_admin
from infra.settings import Settings

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def container_stack(base: Settings) -> Iterator[Settings]:
    """Start Kafka and PostgreSQL containers; yield Settings pointing at them; remove them after."""
    # Imported here: testcontainers (and docker) are dev-only dependencies.
    try:
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.core.container import DockerContainer
    except ImportError:
        from infra.stack.process import StackError

        raise StackError("POPREG_TEST_STACK=testcontainers needs the dev extra: pip install -e '.[dev]'") from None

    # The broker must advertise the address clients use; binding the same port number on the
    # host and in the container keeps advertised == reachable without a second listener.
    port = _free_port()
    kafka = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(port, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_LISTENERS", f"PLAINTEXT://0.0.0.0:{port},CONTROLLER://localhost:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
        .with_env("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "3")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
    )
    postgres = PostgresContainer(
        POSTGRES_IMAGE, username=base.pg_user, password="popreg", dbname=base.pg_database, driver=None
    )
    with ExitStack() as stack:
        stack.enter_context(kafka)
        stack.enter_context(postgres)
        settings = base.model_copy(
            update={
                "kafka_bootstrap": f"127.0.0.1:{port}",
                "database_url": SecretStr(postgres.get_connection_url(driver=None)),
            }
        )
        kafka_admin.wait_ready(settings, timeout=120.0)
        yield settings
