"""mypy over the product's packages ([tool.mypy] in pyproject.toml): clean, outside the burn-down list."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_is_clean() -> None:
    from mypy import api

    cwd = os.getcwd()
    os.chdir(ROOT)  # [tool.mypy] files are relative to the repository root
    try:
        out, err, status = api.run(["--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache")])
    finally:
        os.chdir(cwd)
    assert status == 0, out + err
