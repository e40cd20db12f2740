"""rnnkit's imports run one way: from a module to modules on lower floors (docs/architecture.md)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rnnkit"
FLOORS = {
    "runmode": 1,
    "text": 1,
    "bpe": 1,
    "vocab": 1,
    "cells": 1,
    "checks": 1,
    "checkpoints": 1,
    "plotting": 1,
    "datasets": 2,
    "sequences": 2,
    "ngrams": 2,
    "wrappers": 2,
    "exercises": 2,
    "lm": 3,
    "corpus": 3,
    "weights": 3,
    "notebooks": 3,
    "grading": 4,
    "release": 4,
    "generation": 4,
    "training": 4,
    "run_folder": 4,
    "commands": 5,
    "cli": 6,
    "__main__": 6,
    "__init__": 0,
}
NO_TENSORFLOW = {
    "vocab",
    "ngrams",
    "notebooks",
    "exercises",
    "release",
    "grading",
    "cli",
    "__init__",
}
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def _imports(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "rnnkit":
                yield from (f"rnnkit.{alias.name}" for alias in node.names)
            else:
                yield node.module


@pytest.mark.parametrize("module", MODULES)
def test_module_has_a_floor(module):
    assert module in FLOORS, f"rnnkit/{module}.py has no floor: add it to docs/architecture.md"


@pytest.mark.parametrize("module", MODULES)
def test_imports_run_downward(module):
    for name in _imports(module):
        if name.startswith("rnnkit."):
            target = name.split(".")[1]
            assert FLOORS[target] < FLOORS[module] or module == "__main__", (
                f"rnnkit/{module}.py (floor {FLOORS[module]}) imports {target} "
                f"(floor {FLOORS[target]}): imports must run downward"
            )
        if module in NO_TENSORFLOW:
            assert not name.startswith(("tensorflow", "keras")), (
                f"rnnkit/{module}.py must stay importable without TensorFlow, but imports {name}"
            )
