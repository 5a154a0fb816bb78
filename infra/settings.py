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
    kafka_publish_timeout_s: float = Field(
        default=20.0, gt=0, description="a batch Kafka has not taken by then is answered 503 (resend it)"
    )
    kafka_brokers: int = Field(default=1, ge=1, le=5, description="brokers of the LOCAL stack (`stack up --brokers 3`)")
    topic_prefix: str = Field(default="", description="prefix for every topic name (tests isolate with it)")
    events_partitions: int = Field(default=3, ge=1)
    review_partitions: int = Field(default=1, ge=1)
    # Durability of the log (the system of record). None: as many replicas as the local stack has
    # brokers, up to 3, and min ISR 2 from RF 3 (acks=all then survives the loss of one broker).
    kafka_replication_factor: int | None = Field(default=None, ge=1)
    kafka_min_insync_replicas: int | None = Field(default=None, ge=1)
    allow_weak_durability: bool = Field(
        default=False, description="production only: accept RF < 3 or min ISR < 2 (said out loud)"
    )
    # Kafka client security (every client: gateway publisher, faust workers, sink, admin, replay).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_sasl_password_file: Path | None = Field(default=None, description="read the SASL password from this file")

    # PostgreSQL: the local cluster unless database_url points elsewhere.
    database_url: SecretStr | None = None
    pg_port: int = 15432
    pg_user: str = "popreg"
    pg_database: str = "popreg"
    pg_pool_min: int = 1
    # PostgreSQL TLS and a password kept out of the environment (a mounted secret file).
    pg_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = None
    pg_sslrootcert: Path | None = None
    pg_password_file: Path | None = None
    pg_pool_max: int = 8

    # HTTP gateway and read API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_body_bytes: int = 8 * 1024 * 1024
    # Stock snapshots (projections.read.stock_warm): the read API recounts stale ones this often
    # (0: never in the background), for the days of this many recent months.
    stock_warm_seconds: float = 30.0
    stock_warm_months: int = 13

    # Operators: log lines as JSON objects (with the request id), readiness's projection lag
    # bound, and how often the API refreshes its cached view of the pipeline (/metrics, /v1/ready).
    log_format: Literal["text", "json"] = "text"
    ready_max_lag: int = Field(default=10_000, ge=0, description="records the projections may trail and be ready")
    monitor_seconds: float = Field(default=5.0, gt=0)

    # Which stack the test fixtures use: the local one from jars and binaries, or testcontainers
    # on a host with a Docker engine.
    test_stack: Literal["local", "testcontainers"] = "local"

    # faust workers
    faust_store: str = "rocksdb://"
    faust_web_port: int = 16066

    @model_validator(mode="after")
    def _local_cluster_size(self) -> Settings:
        # `stack up --brokers 3` writes the size it formatted; later commands of the same home
        # (run, submit, tests) then see the same cluster without repeating the flag.
        if "kafka_brokers" not in self.model_fields_set and self.kafka_bootstrap is None:
            f = self.home.expanduser() / "kafka" / "brokers"
            if f.is_file() and f.read_text().strip().isdigit():
                self.kafka_brokers = int(f.read_text().strip())
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production" and (self.database_url is None or self.kafka_bootstrap is None):
            raise ValueError(
                "POPREG_ENV=production needs POPREG_DATABASE_URL and POPREG_KAFKA_BOOTSTRAP; "
                "the local development stack is not used in production"
            )
        if self.kafka_min_insync_replicas is not None and self.kafka_min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"POPREG_KAFKA_MIN_INSYNC_REPLICAS={self.kafka_min_insync_replicas} is more than the replication "
                f"factor {self.replication_factor}: no write could ever be acknowledged"
            )
        if (
            self.env == "production"
            and not self.allow_weak_durability
            and (self.replication_factor < 3 or self.min_insync_replicas < 2)
        ):
            raise ValueError(
                f"POPREG_ENV=production with replication factor {self.replication_factor} and min.insync.replicas "
                f"{self.min_insync_replicas}: the log would not survive the loss of one broker. Set "
                "POPREG_KAFKA_REPLICATION_FACTOR=3 and POPREG_KAFKA_MIN_INSYNC_REPLICAS=2, or "
                "POPREG_ALLOW_WEAK_DURABILITY=true to accept it knowingly"
            )
        if self.kafka_security_protocol.startswith("SASL") and not self.kafka_sasl_username:
            raise ValueError(
                f"POPREG_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "POPREG_KAFKA_SASL_USERNAME and a password (POPREG_KAFKA_SASL_PASSWORD or _FILE)"
            )
        return self

    @property
    def replication_factor(self) -> int:
        if self.kafka_replication_factor is not None:
            return self.kafka_replication_factor
        return min(3, self.kafka_brokers) if self.uses_local_kafka else 1

    @property
    def min_insync_replicas(self) -> int:
        if self.kafka_min_insync_replicas is not None:
            return self.kafka_min_insync_replicas
        return 2 if self.replication_factor >= 3 else 1

    def broker_ports(self) -> list[tuple[int, int]]:
        """(client port, controller port) of each local broker: node i adds 2*i to both."""
        return [(self.kafka_port + 2 * i, self.kafka_controller_port + 2 * i) for i in range(self.kafka_brokers)]

    @property
    def bootstrap(self) -> str:
        if self.kafka_bootstrap:
            return self.kafka_bootstrap
        return ",".join(f"127.0.0.1:{port}" for port, _ in self.broker_ports())

    def sasl_password(self) -> str | None:
        if self.kafka_sasl_password_file is not None:
            return self.kafka_sasl_password_file.expanduser().read_text().strip()
        return self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None

    @property
    def dsn(self) -> str:
        if self.database_url is not None:
            base = self.database_url.get_secret_value()
        else:
            base = f"postgresql://{self.pg_user}@127.0.0.1:{self.pg_port}/{self.pg_database}"
        extra: dict[str, str] = {}
        if self.pg_sslmode:
            extra["sslmode"] = self.pg_sslmode
        if self.pg_sslrootcert is not None:
            extra["sslrootcert"] = str(self.pg_sslrootcert.expanduser())
        if self.pg_password_file is not None:
            extra["password"] = self.pg_password_file.expanduser().read_text().strip()
        if not extra:
            return base
        from psycopg.conninfo import make_conninfo  # only when used: settings stay light to import

        return make_conninfo(base, **extra)

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
