"""Session fixtures (registered by tests/conftest.py): the real stack once per session, isolated topics and databases per use.

- `stack`: Settings of a running stack. By default the local stack (`popreg stack up`, started
  here if needed, left running); with POPREG_TEST_STACK=testcontainers, Kafka and PostgreSQL
  containers (needs a Docker engine, which the build machines here do not have).
- `make_settings(**overrides)`: a new Settings with a unique `topic_prefix` ("t<hex>."), a fresh
  database `popreg_t<hex>` with every migration applied, and the register's topics created.
  Databases and prefixed topics are dropped at the end of the session.
- `settings`: one `make_settings()` for the whole session.
- `pool`: a psycopg ConnectionPool on `settings.dsn`.
- `unique(name)`: a name no other test uses (consumer groups, transactional ids).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from infra import db, kafka_admin, migrate
from infra import stack as local_stack
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _base_settings() -> Settings:
    base = Settings(env="test")
    if "home" not in base.model_fields_set:
        # The shared local stack lives at the repository root, wherever pytest is started.
        base = base.model_copy(update={"home": ROOT / ".popreg"})
    return base


@pytest.fixture(scope="session")
def stack() -> Iterator[Settings]:
    base = _base_settings()
    if base.test_stack == "testcontainers":
        from infra.stack.containers import container_stack

        with container_stack(base) as settings:
            migrate.apply_migrations(settings.dsn)
            yield settings
        return
    try:
        local_stack.up(base)  # idempotent; leaves a running stack as it is, and running after
    except local_stack.StackError as exc:
        pytest.fail(f"the real stack is needed and could not start: {exc}", pytrace=False)
    yield base


@pytest.fixture(scope="session")
def make_settings(stack: Settings) -> Iterator[Callable[..., Settings]]:
    made: list[Settings] = []

    def make(**overrides: object) -> Settings:
        tag = f"t{uuid.uuid4().hex[:10]}"
        dbname = f"popreg_{tag}"
        update: dict[str, object] = {"topic_prefix": f"{tag}.", **overrides}
        if stack.uses_local_postgres:
            update["pg_database"] = dbname
        else:
            update["database_url"] = SecretStr(db.with_database(stack.dsn, dbname))
        settings = stack.model_copy(update=update)
        db.create_database(stack.dsn, dbname)
        made.append(settings)
        migrate.apply_migrations(settings.dsn)
        kafka_admin.ensure_topics(settings)
        return settings

    yield make
    for settings in made:
        db.drop_database(stack.dsn, db.database_name(settings.dsn))
        prefix = settings.topic_prefix
        kafka_admin.delete_topics(settings, [t for t in kafka_admin.list_topics(settings) if t.startswith(prefix)])


@pytest.fixture(scope="session")
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def pool(settings: Settings) -> Iterator[db.ConnectionPool]:
    p = db.open_pool(settings)
    yield p
    p.close()


@pytest.fixture
def unique(settings: Settings) -> Callable[[str], str]:
    def name(base: str) -> str:
        return settings.topic(f"{base}-{uuid.uuid4().hex[:8]}")

    return name
