"""Imports run down the layers only: what a lower layer imports never reaches a higher one."""

from __future__ import annotations

import ast

import pytest

from scoring.paths import REPO_ROOT

#: Package -> the scoring packages it must never import (everything above it).
#: `monitoring` sits beside `explain` (whose nightly job calls it) and never imports it.
FORBIDDEN = {
    "data": ("service", "api", "cli", "explain", "monitoring", "model", "features"),
    "text": ("service", "api", "cli", "explain", "monitoring", "model"),
    "features": ("service", "api", "cli", "explain", "monitoring", "model"),
    "model": ("service", "api", "cli", "explain", "monitoring"),
    "monitoring": ("service", "api", "cli", "explain"),
    "explain": ("service", "api", "cli"),
    "service": ("api", "cli"),
    "api": ("cli",),
    # users, tokens, limiter: ground level, used by the API, the CLI and the dashboard's sign-in
    "security": ("data", "text", "features", "model", "explain", "monitoring", "service", "api", "cli"),
}


def _imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(package: str) -> None:
    above = tuple(f"scoring.{p}" for p in FORBIDDEN[package])
    found = {(str(path.relative_to(REPO_ROOT)), name)
             for path in (REPO_ROOT / "scoring" / package).rglob("*.py")
             for name in _imports(path) if name.startswith(above)}
    assert not found, sorted(found)


def test_scoring_never_imports_the_front_ends() -> None:
    found = {(str(path.relative_to(REPO_ROOT)), name)
             for path in (REPO_ROOT / "scoring").rglob("*.py")
             for name in _imports(path) if name.split(".")[0] in ("bokeh_app", "benchmarks", "techwatch")}
    assert not found, sorted(found)
