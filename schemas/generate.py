"""Generates the JSON Schema files of the wire contract from the pydantic models in events/.

The files under schemas/v1/ are checked in, so entry apps can validate without Python;
`popreg schemas generate` (or `python -m schemas.generate`) rewrites them, and
tests/unit/test_events_schemas.py fails when they drift from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from events.envelope import (
    ENVELOPE_TYPES,
    EVENT_TYPES,
    SCHEMA_VERSION,
    SUBMISSION_ADAPTER,
    EnvelopeBase,
)
from events.register import RegisterEvent, ReviewItem

SCHEMA_DIR = Path(__file__).resolve().parent / f"v{SCHEMA_VERSION}"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = f"https://popreg.example/schemas/v{SCHEMA_VERSION}/"


def _finish(schema: dict[str, Any], name: str, title: str | None = None) -> dict[str, Any]:
    head = {"$schema": DIALECT, "$id": BASE_ID + name}
    if title:
        schema["title"] = title
    return {**head, **schema}


def _envelope() -> dict[str, Any]:
    """The fields every submission has, with `type` and `payload` left open (see types/)."""
    schema = EnvelopeBase.model_json_schema(mode="validation")
    schema["properties"]["type"] = {
        "enum": list(EVENT_TYPES),
        "title": "Type",
        "description": "the event type; its payload is in types/<type>.json",
    }
    schema["properties"]["payload"] = {"type": "object", "title": "Payload", "description": "the type's own fields"}
    schema["required"] = [*schema["required"], "type", "payload"]
    schema["description"] = "Fields common to every submission (EVENTS.md, envelope)."
    return _finish(schema, "envelope.json", "Envelope")


def schemas() -> dict[str, dict[str, Any]]:
    """Relative file name -> JSON Schema, for every file of the published contract."""
    out: dict[str, dict[str, Any]] = {
        "envelope.json": _envelope(),
        "submission.json": _finish(SUBMISSION_ADAPTER.json_schema(mode="validation"), "submission.json", "Submission"),
        "register_event.json": _finish(
            TypeAdapter(RegisterEvent).json_schema(mode="validation"), "register_event.json"
        ),
        "review_item.json": _finish(TypeAdapter(ReviewItem).json_schema(mode="validation"), "review_item.json"),
    }
    for type_name, cls in ENVELOPE_TYPES.items():
        name = f"types/{type_name}.json"
        out[name] = _finish(cls.model_json_schema(mode="validation"), name)
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Files that differ from the models, are missing, or should not be there."""
    wanted = {name: render(s) for name, s in schemas().items()}
    found = {p.relative_to(directory).as_posix() for p in directory.rglob("*.json")} if directory.exists() else set()
    changed = [
        n
        for n, text in wanted.items()
        if not (directory / n).exists() or (directory / n).read_text(encoding="utf-8") != text
    ]
    return sorted(changed + [n for n in found if n not in wanted])


def write(directory: Path = SCHEMA_DIR) -> list[str]:
    """Rewrite the schema files (removing stale ones); returns the names that changed."""
    changed = drift(directory)
    wanted = schemas()
    for path in directory.rglob("*.json") if directory.exists() else ():
        if path.relative_to(directory).as_posix() not in wanted:
            path.unlink()
    for name, schema in wanted.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(schema), encoding="utf-8")
    return changed


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        stale = drift()
        print("\n".join(stale) or "schemas are up to date")
        sys.exit(1 if stale else 0)
    print("\n".join(write()) or "schemas were already up to date")
