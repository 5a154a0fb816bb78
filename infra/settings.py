"""Settings: the only code that reads the environment (POPREG_ prefix)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Validated settings; with none set, the local stack under ./.popreg is used."""

    model_config = SettingsConfigDict(env_prefix="POPREG_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    home: Path = Field(default=Path(".popreg"), description="data, logs, pid files of the local stack")
    cache_dir: Path | None = Field(default=None, description="Maven jar cache (default ~/.cache/popreg)")

    # Kafka: the local broker unless kafka_bootstrap points elsewhere.
    kafka_bootstrap: str | None = None
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    kafka_version: str = "4.1.1"
    kafka_heap: str = "-Xms256m -Xmx768m"
    topic_prefix: str = Field(default="", description="prefix for every topic name (tests isolate with it)")
    events_partitions: int = 3

    # PostgreSQL: the local cluster unless database_url points elsewhere.
    database_url: SecretStr | None = None
    pg_port: int = 15432
    pg_user: str = "popreg"
    pg_database: str = "popreg"
    pg_pool_min: int = 1
    pg_pool_max: int = 8

    # HTTP gateway and read API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_body_bytes: int = 8 * 1024 * 1024
    # Stock snapshots (projections.read.stock_warm): the read API recounts stale ones this often
    # (0: never in the background), for the days of this many recent months.
    stock_warm_seconds: float = 30.0
    stock_warm_months: int = 13

    # Which stack the test fixtures use: the local one from jars and binaries, or testcontainers
    # on a host with a Docker engine.
    test_stack: Literal["local", "testcontainers"] = "local"

    # faust workers
    faust_store: str = "rocksdb://"
    faust_web_port: int = 16066

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production" and (self.database_url is None or self.kafka_bootstrap is None):
            raise ValueError(
                "POPREG_ENV=production needs POPREG_DATABASE_URL and POPREG_KAFKA_BOOTSTRAP; "
                "the local development stack is not used in production"
            )
        return self

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def dsn(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"postgresql://{self.pg_user}@127.0.0.1:{self.pg_port}/{self.pg_database}"

    @property
    def uses_local_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def uses_local_postgres(self) -> bool:
        return self.database_url is None

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def jar_cache(self) -> Path:
        return (self.cache_dir or Path("~/.cache/popreg")).expanduser().resolve()

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
