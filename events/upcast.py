"""Upcasters: old shapes of a submission lifted step by step to the current schema_version.

Stored records are never rewritten; every reader runs this chain in the deserialiser, so code
downstream only ever sees the current shape (SCHEMA_VERSION).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.envelope import SCHEMA_VERSION

_ENVELOPE_V1 = {"event_id", "type", "schema_version", "occurred_on", "recorded_at", "commune", "source", "payload"}


def upcast_v0_to_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """v0 is the flat record of the MIS2018H warehouse export: payload fields beside the envelope.

    `commune_code` became `commune`; `channel`, `device_id` and `collector_id` moved into `source`
    (v0 records came from the district warehouse, so `import` when absent).
    """
    flat = dict(raw)
    out: dict[str, Any] = {
        "event_id": flat.pop("event_id", None),
        "type": flat.pop("type", None),
        "schema_version": 1,
        "occurred_on": flat.pop("occurred_on", None),
        "recorded_at": flat.pop("recorded_at", None),
        "commune": flat.pop("commune_code", flat.pop("commune", None)),
    }
    flat.pop("schema_version", None)
    source = {"channel": flat.pop("channel", "import")}
    for key in ("device_id", "collector_id"):
        if key in flat:
            source[key] = flat.pop(key)
    out["source"] = source
    out["payload"] = flat
    return out


UPCASTERS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: upcast_v0_to_v1}


def upcast(raw: dict[str, Any]) -> dict[str, Any]:
    """Run the chain from the record's schema_version up to the current one."""
    version = raw.get("schema_version", SCHEMA_VERSION)
    while isinstance(version, int) and not isinstance(version, bool) and version < SCHEMA_VERSION:
        step = UPCASTERS.get(version)
        if step is None:
            break  # validation reports the unsupported version
        raw = step(raw)
        version = raw.get("schema_version", SCHEMA_VERSION)
    return raw
