"""The layout rules of docs/architecture.md, checked on the source: floors, cycles, TensorFlow.

A *part* of rnnkit is a subpackage (``rnnkit/lm/``) or a top-level module (``rnnkit/files.py``).
Imports run from a part to parts on lower floors only; inside a part, modules import each other
without a cycle; the parts a user can run without TensorFlow never load it at import time.
"""

import ast
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rnnkit

ROOT = Path(__file__).resolve().parents[1]
# The package under test: the checkout's, or the installed one when the tests run from a copy.
PACKAGE = Path(rnnkit.__file__).resolve().parent
FLOORS = {
    "__init__": 0,  # rnnkit/__init__.py: the version and lazy_names, which every package uses
    "validate": 0,
    "files": 0,
    "runmode": 0,
    "data": 1,
    "layers": 1,
    "lm": 2,
    "course": 2,
    "cli": 3,
    "__main__": 4,
}
# Modules that must import without TensorFlow or Keras: the course tools, the vocabulary, the
# n-grams, the checks, and every part of the command line that answers before any training.
NO_TENSORFLOW = [
    "rnnkit",
    "rnnkit.__main__",
    "rnnkit.validate",
    "rnnkit.files",
    "rnnkit.runmode",
    "rnnkit.data",
    "rnnkit.data.text",
    "rnnkit.data.vocab",
    "rnnkit.data.datasets",
    "rnnkit.layers",
    "rnnkit.lm",
    "rnnkit.lm.ngrams",
    "rnnkit.lm.zipf",
    "rnnkit.course",
    "rnnkit.course.exercises",
    "rnnkit.course.grades",
    "rnnkit.course.grading",
    "rnnkit.course.notebooks",
    "rnnkit.course.release",
    "rnnkit.cli",
    "rnnkit.cli.commands",
    "rnnkit.cli.config",
    "rnnkit.cli.course_commands",
    "rnnkit.cli.entry",
    "rnnkit.cli.errors",
    "rnnkit.cli.parser",
    "rnnkit.cli.run_folder",
]
HEAVY = ("tensorflow", "keras", "tensorflow_text")
MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _part(module: str) -> str:
    """``rnnkit.lm.training`` -> ``lm``; ``rnnkit`` (the package's own __init__) -> ``__init__``."""
    return module.split(".")[1] if "." in module else "__init__"


def _is_package(module: str) -> bool:
    return module in SOURCES and SOURCES[module].name == "__init__.py"


@functools.cache
def _imports(module: str, top_level_only: bool = False) -> tuple:
    """``(imported module, line)`` for every import in ``module``; names resolve to modules."""
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    found = []
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, node.lineno))
            for alias in node.names:
                if f"{node.module}.{alias.name}" in SOURCES:
                    found.append((f"{node.module}.{alias.name}", node.lineno))
    return tuple(found)


def _rnnkit_imports(module: str, top_level_only: bool = False):
    for name, line in _imports(module, top_level_only):
        if name in SOURCES and name != "rnnkit":
            yield name, line


def test_every_module_belongs_to_a_part_with_a_floor():
    orphans = [module for module in SOURCES if _part(module) not in FLOORS]
    assert not orphans, f"give these a floor in docs/architecture.md: {orphans}"


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_imports_run_down_the_floors(module):
    here = _part(module)
    for target, line in _rnnkit_imports(module):
        there = _part(target)
        if there == here:
            continue
        assert FLOORS[there] < FLOORS[here], (
            f"{module} (line {line}, floor {FLOORS[here]}) imports {target} "
            f"(floor {FLOORS[there]}): imports must run downward"
        )


@pytest.mark.parametrize("module", sorted(m for m in SOURCES if not _is_package(m)))
def test_imports_name_the_module_that_defines_a_name(module):
    # `from rnnkit.lm import RNNLM` inside rnnkit would hide the real dependency (and a cycle)
    # behind the package's lazy exports; only chapters and users import from the packages.
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and _is_package(node.module or "")):
            continue
        package_source = SOURCES[node.module].read_text(encoding="utf-8")
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            defined_here = re.search(
                rf"^({alias.name}\b.*=|def {alias.name}\b)", package_source, re.MULTILINE
            )
            assert submodule in SOURCES or defined_here, (
                f"{module} line {node.lineno}: import {alias.name} from the module that "
                f"defines it, not from the package {node.module}"
            )


@pytest.mark.parametrize("part", sorted(p for p in FLOORS if (PACKAGE / p).is_dir()))
def test_modules_of_a_part_import_each_other_without_a_cycle(part):
    graph = {
        module: {target for target, _ in _rnnkit_imports(module) if _part(target) == part}
        for module in SOURCES
        if _part(module) == part
    }
    done, path = set(), []

    def visit(module):
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail(f"import cycle in rnnkit/{part}: {' -> '.join(cycle)}")
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module] - {module}):
            if not (_is_package(target) and module.startswith(target + ".")):
                visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def _loads_at_import(module: str, seen: set) -> set:
    """Every module that importing ``module`` loads (its top-level imports, followed)."""
    loaded = set()
    for name, _ in _imports(module, top_level_only=True):
        loaded.add(name)
        parents = [".".join(name.split(".")[:k]) for k in range(2, name.count(".") + 1)]
        for target in [*parents, name]:
            if target in SOURCES and target not in seen:
                seen.add(target)
                loaded |= _loads_at_import(target, seen)
    return loaded


@pytest.mark.parametrize("module", NO_TENSORFLOW)
def test_light_modules_never_load_tensorflow_at_import(module):
    heavy = sorted(
        name for name in _loads_at_import(module, {module}) if name.split(".")[0] in HEAVY
    )
    assert not heavy, f"{module} must import without TensorFlow, but loads {heavy}"


def test_light_modules_really_import_without_tensorflow():
    probe = (
        "import importlib, sys\n"
        f"for name in {NO_TENSORFLOW!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


@pytest.mark.parametrize("module", sorted(SOURCES))
def test_modules_stay_small(module):
    lines = SOURCES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concept (<= {MAX_LINES})"


def _lines_matching(pattern: str) -> list[str]:
    hits = []
    for module, path in SOURCES.items():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                hits.append(f"{module}:{number}")
    return hits


def test_only_files_replaces_files():
    # One atomic write (temporary file in the same folder, fsync, rename) for the whole package.
    assert {hit.split(":")[0] for hit in _lines_matching(r"os\.replace\(")} == {"rnnkit.files"}


def test_only_validate_special_cases_bool():
    hits = _lines_matching(r"isinstance\([^)]*bool")
    assert {hit.split(":")[0] for hit in hits} == {"rnnkit.validate"}
    assert len(hits) <= 2, hits


def test_tests_never_import_other_test_modules():
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
            if any(name.split(".")[-1].startswith(("test_", "conftest")) for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"share helpers through a helper module instead: {offenders}"
