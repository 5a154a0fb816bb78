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


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """The register's topics for these settings (names pass through settings.topic)."""
    return [
        # One totally ordered partition in v1: the central design decision (README).
        TopicSpec(settings.topic(SUBMISSIONS), 1, dict(INFINITE)),
        TopicSpec(settings.topic(EVENTS), settings.events_partitions, dict(INFINITE)),
        TopicSpec(settings.topic(REVIEW), 1, dict(INFINITE)),
    ]
