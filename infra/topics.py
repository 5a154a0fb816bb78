"""Topic definitions of the register (EVENTS.md): names, partitions and configs."""

from __future__ import annotations

from dataclasses import dataclass, field

from infra.settings import Settings

SUBMISSIONS = "register.submissions.v1"
EVENTS = "register.events.v1"
REVIEW = "register.review.v1"

# The log is the system of record (ARCHITECTURE.md): never delete by time or size.
INFINITE = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


@dataclass(frozen=True)
class TopicSpec:
    name: str  # full name, prefix applied
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)
    replication: int = 1


def durable(settings: Settings) -> dict[str, str]:
    """Configs of a topic of record: kept forever, and with acks=all acknowledged only once
    min.insync.replicas replicas have it (RF 3 / min ISR 2 survives the loss of one broker)."""
    return {**INFINITE, "min.insync.replicas": str(settings.min_insync_replicas)}


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The register's topics for these settings (names pass through settings.topic)."""
    rf, configs = settings.replication_factor, durable(settings)
    return [
        # One totally ordered partition in v1: the central design decision (README).
        TopicSpec(settings.topic(SUBMISSIONS), 1, dict(configs), rf),
        TopicSpec(settings.topic(EVENTS), settings.events_partitions, dict(configs), rf),
        TopicSpec(settings.topic(REVIEW), settings.review_partitions, dict(configs), rf),
    ]
