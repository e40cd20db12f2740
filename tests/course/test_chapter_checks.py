"""The workbook's own checks are written for the grader: they never let the student decide.

The grader runs check cells in its own process (rnnkit.course.remote). A check that calls a
student's name directly, instead of through ``t.call``, would run the student's code as its
reference; these tests find such calls in every chapter without running anything, and grade
chapter 1's instructor edition against itself the way a submission is graded.
"""

import ast
import builtins
import symtable

import pytest

from rnnkit.course import editions, grading, notebooks, remote, runs

SOURCES = notebooks.chapter_sources()


def _module_names(table) -> set[str]:
    """Names a check cell binds at its top level (assignments, defs, imports)."""
    return {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}


def _global_references(table) -> set[str]:
    """Names some scope of a cell reads from the cell's globals (not its own locals)."""
    names = set()
    for symbol in table.get_symbols():
        module_level = table.get_type() == "module" and not symbol.is_assigned()
        if symbol.is_referenced() and (symbol.is_global() or module_level):
            names.add(symbol.get_name())
    for child in table.get_children():
        names |= _global_references(child)
    return names


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_checks_call_students_names_only_through_t_call(source):
    nb = editions.instructor_copy(notebooks.read_source(source), source.stem)
    cells = [c.source for c in nb.cells if remote.where_it_runs(c)]
    tables = [symtable.symtable(cell, "check cell", "exec") for cell in cells]
    trusted = set(dir(builtins)) | set(remote.instructor_imports(nb))
    for table in tables:
        trusted |= _module_names(table)
    direct = set()
    for cell, table in zip(cells, tables, strict=True):
        called = {
            node.func.id
            for node in ast.walk(ast.parse(cell))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        direct |= (called & _global_references(table)) - trusted
    assert not direct, f"{source.name}: checks call the student's {sorted(direct)} directly"


def test_chapter_1_passes_its_checks_when_graded_like_a_submission():
    source = notebooks.CHAPTERS_DIR / "01_sequence_models.py"
    rows = grading.verify(source, cell_timeout=120, timeout=300, isolation=runs.TRUSTED)
    assert [(r.status, r.points) for r in rows] == [("passed", r.max_points) for r in rows]
    assert len(rows) == 3
