"""The two editions of a chapter: the student's (unsolved) and the instructor's (solved).

The student edition replaces each solution with a stub, drops the hidden checks and records its
chapter in the notebook metadata, which is how the grader recognizes a submission; it is what
``chapters/*.ipynb`` hold and what ``rnnkit release`` writes. The instructor edition keeps the
solutions and the hidden checks. Both open with the Colab badge and setup cells. Every chapter's
exercise markers are validated first (the format is described in rnnkit.course.exercises), so no
solution can leak from an unbalanced region. This module never imports TensorFlow.
"""

import copy

from rnnkit.course import colab, markers


def _stub_solutions(source: str) -> str:
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        text = line.strip()
        if text == markers.SOLUTION_BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in markers.STUB_LINES)
            inside = True
        elif text == markers.SOLUTION_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _edition(nb, chapter: str, solutions: bool):
    markers.chapter_exercises(nb, chapter)
    edition = copy.deepcopy(nb)
    cells = colab.preamble_cells(chapter)
    for cell in edition.cells:
        if not solutions and markers.HIDDEN_KEY in cell.metadata:
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if not solutions and markers.EXERCISE_KEY in cell.metadata:
                cell.source = _stub_solutions(cell.source)
        cells.append(cell)
    edition.cells = cells
    # No jupytext pairing: Jupyter with jupytext would otherwise load the paired .py (with its
    # solutions) into the student's notebook, or save the student's edition over the source.
    edition.metadata.pop("jupytext", None)
    edition.metadata[markers.NOTEBOOK_KEY] = {"chapter": chapter}
    return edition


def student_copy(nb, chapter: str):
    """The student edition of an instructor notebook: stubs for solutions, no hidden checks."""
    return _edition(nb, chapter, solutions=False)


def instructor_copy(nb, chapter: str):
    """The instructor edition: the same cells as the student's, with solutions and hidden checks."""
    return _edition(nb, chapter, solutions=True)


def with_outputs_of(nb, executed):
    """``nb`` with the outputs of ``executed`` copied into every cell whose source is the same.

    The student release reuses the outputs of the committed full-mode run this way, so a student
    reads a finished lecture; a cell that changed since that run keeps no outputs.
    """
    filled = copy.deepcopy(nb)
    for cell, done in zip(filled.cells, executed.cells, strict=False):
        same = (cell.cell_type, cell.source) == (done.cell_type, done.source)
        if cell.cell_type == "code" and same:
            cell.outputs = copy.deepcopy(done.outputs)
            cell.execution_count = done.execution_count
    return filled
