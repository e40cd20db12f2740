"""Student releases: each solution replaced by a stub, hidden checks removed, outputs cleared.

``release`` validates every chapter's exercise markers first (rnnkit.course.exercises describes the
format) and refuses a malformed one, so that no solution can leak from an unbalanced region.
The copy records its chapter in the notebook metadata, which is how the grader recognizes a
submission. This module never imports TensorFlow.
"""

import copy
from pathlib import Path

from rnnkit.course import exercises as ex
from rnnkit.course import notebooks


def _stub_solutions(source: str) -> str:
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        text = line.strip()
        if text == ex.SOLUTION_BEGIN:
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in ex.STUB_LINES)
            inside = True
        elif text == ex.SOLUTION_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def student_copy(nb, chapter: str):
    """The student version of an instructor notebook (validated with chapter_exercises first)."""
    ex.chapter_exercises(nb, chapter)
    student = copy.deepcopy(nb)
    cells = []
    for cell in student.cells:
        if ex.HIDDEN_KEY in cell.metadata:
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if ex.EXERCISE_KEY in cell.metadata:
                cell.source = _stub_solutions(cell.source)
        cells.append(cell)
    student.cells = cells
    student.metadata[ex.NOTEBOOK_KEY] = {"chapter": chapter}
    return student


def release(sources: list[Path], out_dir: Path) -> list[Path]:
    """Write a student ``.ipynb`` and ``.py`` of each chapter into ``out_dir``; return the former.

    Every chapter is validated before anything is written, so a malformed one writes nothing.
    """
    import jupytext

    copies = [
        (source, student_copy(notebooks.read_source(source), source.stem)) for source in sources
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, nb in copies:
        notebooks.write_notebook(nb, out_dir / f"{source.stem}.ipynb")
        jupytext.write(nb, out_dir / f"{source.stem}.py", fmt="py:percent")
        written.append(out_dir / f"{source.stem}.ipynb")
    return written
