"""Cluster settings: durability floors, security for every client, PostgreSQL TLS and secret files."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from infra import topics
from infra.kafka_client import client_kwargs, faust_broker_credentials
from infra.settings import Settings

pytestmark = pytest.mark.unit
EXTERNAL = {"kafka_bootstrap": "k1:9092,k2:9092,k3:9092", "database_url": SecretStr("postgresql://u@db/popreg")}


def test_production_refuses_a_log_that_one_broker_can_lose() -> None:
    with pytest.raises(ValidationError, match="REPLICATION_FACTOR=3"):
        Settings(_env_file=None, env="production", **EXTERNAL)
    with pytest.raises(ValidationError, match="min.insync.replicas 1"):
        Settings(_env_file=None, env="production", kafka_replication_factor=3, kafka_min_insync_replicas=1, **EXTERNAL)
    ok = Settings(_env_file=None, env="production", kafka_replication_factor=3, **EXTERNAL)
    assert (ok.replication_factor, ok.min_insync_replicas) == (3, 2)
    weak = Settings(_env_file=None, env="production", allow_weak_durability=True, **EXTERNAL)
    assert weak.replication_factor == 1  # said out loud
    with pytest.raises(ValidationError, match="no write could ever be acknowledged"):
        Settings(_env_file=None, kafka_replication_factor=2, kafka_min_insync_replicas=3)


def test_local_cluster_size_sets_replication_ports_and_bootstrap(tmp_path: Path) -> None:
    s = Settings(_env_file=None, home=tmp_path, kafka_brokers=3, kafka_port=30000, kafka_controller_port=30001)
    assert s.broker_ports() == [(30000, 30001), (30002, 30003), (30004, 30005)]
    assert s.bootstrap == "127.0.0.1:30000,127.0.0.1:30002,127.0.0.1:30004"
    assert (s.replication_factor, s.min_insync_replicas) == (3, 2)
    specs = topics.topic_specs(s)
    assert {t.replication for t in specs} == {3} and {t.configs["min.insync.replicas"] for t in specs} == {"2"}
    # a home formatted by `stack up --brokers 3` is seen as such by every later command
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "brokers").write_text("3\n")
    assert Settings(_env_file=None, home=tmp_path).kafka_brokers == 3
    assert Settings(_env_file=None, home=tmp_path, kafka_brokers=1).kafka_brokers == 1  # said explicitly


def test_sasl_ssl_reaches_every_aiokafka_client_and_faust(tmp_path: Path) -> None:
    secret = tmp_path / "kafka-password"
    secret.write_text("s3cret\n")
    with pytest.raises(ValidationError, match="SASL_USERNAME"):
        Settings(_env_file=None, kafka_security_protocol="SASL_SSL")
    s = Settings(
        _env_file=None,
        kafka_bootstrap="k1:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="popreg",
        kafka_sasl_password_file=secret,
    )
    kw = client_kwargs(s)
    assert kw["security_protocol"] == "SASL_SSL" and kw["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (kw["sasl_plain_username"], kw["sasl_plain_password"]) == ("popreg", "s3cret")
    assert isinstance(kw["ssl_context"], ssl.SSLContext) and kw["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    creds = faust_broker_credentials(s)
    assert creds.username == "popreg" and creds.password == "s3cret" and creds.mechanism.value == "SCRAM-SHA-512"
    assert client_kwargs(Settings(_env_file=None)) == {"bootstrap_servers": Settings(_env_file=None).bootstrap}
    assert faust_broker_credentials(Settings(_env_file=None)) is None


def test_postgres_tls_and_password_file_join_the_dsn(tmp_path: Path) -> None:
    pw = tmp_path / "pg-password"
    pw.write_text("p w'd\n")
    s = Settings(
        _env_file=None,
        database_url=SecretStr("postgresql://popreg@db.example/popreg"),
        pg_sslmode="verify-full",
        pg_sslrootcert=tmp_path / "ca.pem",
        pg_password_file=pw,
    )
    from psycopg.conninfo import conninfo_to_dict

    d = conninfo_to_dict(s.dsn)
    assert (d["host"], d["sslmode"], d["sslrootcert"], d["password"]) == (
        "db.example",
        "verify-full",
        str(tmp_path / "ca.pem"),
        "p w'd",
    )
    assert Settings(_env_file=None).dsn.startswith("postgresql://popreg@127.0.0.1:")  # unchanged by default
