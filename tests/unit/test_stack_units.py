"""Pure parts of the stack: settings, cluster ids, server.properties, storage and migration checks."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import pytest

from infra import migrate, topics
from infra.settings import Settings
from infra.stack import jvm, kafka, postgres
from infra.stack.process import StackError

pytestmark = pytest.mark.unit


def test_settings_defaults_and_topic_prefix() -> None:
    s = Settings(_env_file=None, topic_prefix="t1.")
    assert s.bootstrap == f"127.0.0.1:{s.kafka_port}"
    assert s.dsn == f"postgresql://{s.pg_user}@127.0.0.1:{s.pg_port}/{s.pg_database}"
    assert s.topic(topics.EVENTS) == "t1.register.events.v1"
    assert [t.name for t in topics.topic_specs(s)] == [
        "t1.register.submissions.v1",
        "t1.register.events.v1",
        "t1.register.review.v1",
    ]


def test_topic_specs_keep_everything_forever() -> None:
    specs = {t.name: t for t in topics.topic_specs(Settings(events_partitions=6, topic_prefix=""))}
    assert specs[topics.SUBMISSIONS].partitions == 1
    assert specs[topics.EVENTS].partitions == 6
    assert specs[topics.REVIEW].partitions == 1
    assert all(t.configs["retention.ms"] == "-1" for t in specs.values())


def test_cluster_id_is_22_urlsafe_chars_of_a_uuid() -> None:
    ids = {kafka.new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert len(cid) == 22 and "=" not in cid
        assert len(base64.urlsafe_b64decode(cid + "==")) == 16
        assert not cid.startswith("-")


def test_cluster_id_never_begins_with_a_dash() -> None:
    # One uuid in 64 encodes to an id starting with "-" (first byte 0xF8-0xFB), which
    # kafka-storage's parser took for an option: a fresh `stack up` failed once in 64.
    draws = iter([uuid.UUID(bytes=bytes([0xF8]) + bytes(15)), uuid.UUID(bytes=bytes([0x12]) * 16)])
    cid = kafka.new_cluster_id(lambda: next(draws))
    assert cid == base64.urlsafe_b64encode(bytes([0x12]) * 16).decode().rstrip("=")


def test_server_properties_follow_the_settings(tmp_path: Path) -> None:
    s = Settings(kafka_port=29092, kafka_controller_port=29093)
    props = dict(
        line.split("=", 1)
        for line in kafka.render_properties(s, tmp_path / "data").splitlines()
        if line and not line.startswith("#")
    )
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:29092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:29093"
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["transaction.state.log.replication.factor"] == "1"


def test_kafka_storage_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert kafka.check_storage(data) is None  # absent: to be formatted
    data.mkdir()
    assert kafka.check_storage(data) is None  # empty: to be formatted
    (data / "meta.properties").write_text("version=1\nnode.id=1\ncluster.id=HqADoJAQSwS8ovqnD80dDg\n")
    assert kafka.check_storage(data) == "HqADoJAQSwS8ovqnD80dDg"
    (data / "meta.properties").write_text("garbage")
    with pytest.raises(StackError, match="damaged"):
        kafka.check_storage(data)
    (data / "meta.properties").unlink()
    (data / "x").write_text("")
    with pytest.raises(StackError, match="no meta.properties"):
        kafka.check_storage(data)


def test_postgres_data_dir_check(tmp_path: Path) -> None:
    paths = postgres.PgPaths(data=tmp_path / "pg", log=tmp_path / "pg.log")
    assert postgres.check_data_dir(paths, 15) is False
    paths.data.mkdir()
    (paths.data / "junk").write_text("")
    with pytest.raises(StackError, match="not a valid cluster"):
        postgres.check_data_dir(paths, 15)
    (paths.data / "global").mkdir()
    (paths.data / "PG_VERSION").write_text("14\n")
    with pytest.raises(StackError, match="made by PostgreSQL 14"):
        postgres.check_data_dir(paths, 15)
    (paths.data / "PG_VERSION").write_text("15\n")
    assert postgres.check_data_dir(paths, 15) is True


def test_migrations_are_numbered_and_ordered(tmp_path: Path) -> None:
    found = migrate.discover()
    assert found[0].name == "base" and found[0].version == 1
    assert [m.version for m in found] == sorted({m.version for m in found})
    (tmp_path / "0002_b.sql").write_text("")
    (tmp_path / "0001_a.sql").write_text("")
    assert [m.path.name for m in migrate.discover(tmp_path)] == ["0001_a.sql", "0002_b.sql"]
    (tmp_path / "0002_c.sql").write_text("")
    with pytest.raises(ValueError, match="two migrations numbered 0002"):
        migrate.discover(tmp_path)
    (tmp_path / "0002_c.sql").unlink()
    (tmp_path / "3_bad.sql").write_text("")
    with pytest.raises(ValueError, match="NNNN_"):
        migrate.discover(tmp_path)


def test_no_java_names_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = tmp_path / "java"
    old.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\"' >&2\n")
    old.chmod(0o755)
    assert jvm.java_version(str(old)) == 11
    monkeypatch.setattr(jvm, "_candidates", lambda: [str(old)])
    with pytest.raises(StackError, match=r"no Java 17\+ runtime found.*apt-get install openjdk-17.*too old"):
        jvm.find_java()


def test_compose_file_creates_the_same_topics() -> None:
    text = (Path(migrate.__file__).parent / "docker-compose.yml").read_text()
    for spec in topics.topic_specs(Settings(topic_prefix="", events_partitions=3)):
        assert f"--topic {spec.name} --partitions" in text
    assert "retention.ms=-1" in text and "apache/kafka:4.1.1" in text and "postgres:15" in text
