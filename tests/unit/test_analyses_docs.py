"""docs/analyses.md documents every column of every exported data set, in the exported order."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyses.datasets import COLUMNS

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[2] / "docs" / "analyses.md"


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_every_column_is_documented(name: str) -> None:
    text = DOC.read_text("utf-8")
    section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0].split("\n#### ", 1)[0]
    documented = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    assert documented == [c for c, _, _ in COLUMNS[name]]
