"""How every Kafka client connects: bootstrap and security from Settings, for aiokafka and faust.

The one place that turns the cluster settings (TLS CA/cert/key, SASL SCRAM user and password)
into client arguments, so the gateway's publisher, the sink, the admin client, replay, the CLI and
the faust workers all speak to a secured cluster the same way.
"""

from __future__ import annotations

import ssl
from typing import Any

from infra.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of SSL / SASL_SSL (server checked against the CA; a client cert if given)."""
    if not settings.kafka_security_protocol.endswith("SSL"):
        return None
    from aiokafka.helpers import create_ssl_context

    def path(p: Any) -> str | None:
        return str(p.expanduser()) if p is not None else None

    return create_ssl_context(
        cafile=path(settings.kafka_ssl_cafile),
        certfile=path(settings.kafka_ssl_certfile),
        keyfile=path(settings.kafka_ssl_keyfile),
    )


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of every aiokafka client (producer, consumer, admin)."""
    kw: dict[str, Any] = {"bootstrap_servers": settings.bootstrap}
    if settings.kafka_security_protocol == "PLAINTEXT":
        return kw
    kw["security_protocol"] = settings.kafka_security_protocol
    if (ctx := ssl_context(settings)) is not None:
        kw["ssl_context"] = ctx
    if settings.kafka_security_protocol.startswith("SASL"):
        kw.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.sasl_password(),
        )
    return kw


def faust_broker_credentials(settings: Settings) -> Any:
    """faust's `broker_credentials` for the same settings (None on a plaintext cluster)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    import faust

    if protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.sasl_password(),
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=ssl_context(settings),
        )
    return faust.SSLCredentials(ssl_context(settings))
