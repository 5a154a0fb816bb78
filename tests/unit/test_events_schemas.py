"""The checked-in JSON Schema files are exactly what the models generate, and are valid schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from events.envelope import EVENT_TYPES
from popreg.commands import schemas as schemas_command
from schemas import generate as gen

pytestmark = pytest.mark.unit


def test_the_checked_in_schemas_do_not_drift_from_the_models() -> None:
    # If this fails after changing events/, run `popreg schemas generate` and commit schemas/.
    assert gen.drift() == []


def test_there_is_a_schema_per_type_plus_envelope_union_and_register_records() -> None:
    names = set(gen.schemas())
    assert names == {"envelope.json", "submission.json", "register_event.json", "review_item.json"} | {
        f"types/{t}.json" for t in EVENT_TYPES
    }
    for name in names:
        schema = json.loads((gen.SCHEMA_DIR / name).read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(name)


def test_the_envelope_schema_lists_every_type_and_requires_the_envelope_fields() -> None:
    schema = gen.schemas()["envelope.json"]
    assert schema["properties"]["type"]["enum"] == list(EVENT_TYPES)
    assert set(schema["required"]) == {"event_id", "occurred_on", "recorded_at", "commune", "source", "type", "payload"}
    assert schema["additionalProperties"] is False


def _cli() -> typer.Typer:
    app = typer.Typer()
    schemas_command.register(app)
    app.command("noop")(lambda: None)  # a second command keeps `schemas` a sub-group
    return app


def test_the_command_regenerates_and_checks(tmp_path: Path) -> None:
    runner, app = CliRunner(), _cli()
    first = runner.invoke(app, ["schemas", "generate", "--out", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert runner.invoke(app, ["schemas", "generate", "--check", "--out", str(tmp_path)]).exit_code == 0
    (tmp_path / "types" / "birth.json").write_text("{}", encoding="utf-8")
    (tmp_path / "stale.json").write_text("{}", encoding="utf-8")
    check = runner.invoke(app, ["schemas", "generate", "--check", "--out", str(tmp_path)])
    assert check.exit_code == 1
    assert "drifted: stale.json" in check.output and "drifted: types/birth.json" in check.output
    again = runner.invoke(app, ["schemas", "generate", "--out", str(tmp_path)])
    assert again.exit_code == 0 and not (tmp_path / "stale.json").exists()
    assert gen.drift(tmp_path) == []
