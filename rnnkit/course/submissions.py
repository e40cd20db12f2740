"""What the grader takes from a submission: who it is, which chapter, and the answer cells.

The student is named by the file's name (``alice.ipynb``, ``alice_04_rnn.ipynb``), or by its
folder when the file is named like the chapter (``alice/04_rnn.ipynb``), never by anything inside
the notebook, which the student controls. The chapter comes from the metadata the release put in
the notebook, else from the file or folder name. Of the notebook itself only the answer cells
count: ``graded_notebook`` splices each into a fresh copy of the instructor's chapter, so every
other cell (text, setup, check definitions, visible checks) is the instructor's. This module
never imports TensorFlow.
"""

import copy
import json
from pathlib import Path

from rnnkit.course import editions, markers, remote

MAX_BYTES = 50 * 2**20  # a submission larger than this is refused unread


def read_notebook(path: Path):
    """Read a submission as a version-4 notebook; ValueError saying what is wrong with it."""
    import nbformat

    if path.is_dir():
        raise ValueError("it is a folder, not a file")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"the file is larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the file is not JSON ({exc})") from exc
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    cells = raw.get("worksheets" if version == 3 else "cells") if isinstance(raw, dict) else None
    # nbformat's own message for JSON that is no notebook is about converting old versions.
    if version not in (3, 4) or not isinstance(cells, list):
        raise ValueError(
            "the file is JSON but not a notebook: it needs an 'nbformat' version and a list of "
            "'cells'; submit the .ipynb file that Jupyter saved"
        )
    return nbformat.reads(text, as_version=4)  # converts nbformat 3


def chapter_for(path: Path, meta_chapter, chapters_dir: Path) -> Path | None:
    """The instructor source of the submission at ``path`` (None if it cannot be told)."""
    sources = {p.stem: p for p in sorted(Path(chapters_dir).glob("[0-9][0-9]_*.py"))}
    if isinstance(meta_chapter, str) and meta_chapter in sources:
        return sources[meta_chapter]
    for name in (path.stem, path.parent.name):
        for stem in sorted(sources, key=len, reverse=True):
            if stem in name:
                return sources[stem]
    return None


def student_for(path: Path, chapter: str) -> str:
    """The student's name, from the file name (or its folder's when the file is the chapter's)."""
    stem = path.stem.replace(chapter, "").strip("_-. ") if chapter else path.stem
    return stem or path.parent.name or path.stem


def chapter_of(nb) -> object:
    """The chapter name the release recorded in the notebook metadata (None if absent)."""
    meta = nb.metadata.get(markers.NOTEBOOK_KEY, {})
    return meta.get("chapter") if isinstance(meta, dict) else None


def answer_cells(nb, specs) -> tuple[dict, dict]:
    """``(answers, problems)``: each exercise's one answer cell source, or why there is none."""
    found: dict[str, list] = {spec.name: [] for spec in specs}
    for cell in nb.cells:
        name = cell.metadata.get(markers.EXERCISE_KEY)
        if cell.cell_type == "code" and isinstance(name, str) and name in found:
            found[name].append(cell.source)
    answers, problems = {}, {}
    for name, sources in found.items():
        if len(sources) == 1:
            answers[name] = sources[0]
        elif not sources:
            problems[name] = (
                "missing",
                f"no exercise cell {name!r}: it was deleted or its metadata was changed; copy "
                "the cell back from the released notebook",
            )
        else:
            problems[name] = (
                "invalid",
                f"{len(sources)} cells claim to be the answer to {name!r}; keep exactly one",
            )
    return answers, problems


def graded_notebook(instructor, chapter: str, answers: dict):
    """The instructor's chapter (student edition plus hidden checks) with the answers spliced in.

    An exercise without an answer keeps the released starter code, so the rest still runs. The
    check cells are marked to run in the grader (rnnkit.course.remote.where_it_runs).
    """
    student = editions.student_copy(instructor, chapter)
    hidden = [c for c in instructor.cells if markers.HIDDEN_KEY in c.metadata]
    graded = copy.deepcopy(student)
    graded.cells = []
    for cell in student.cells:
        name = cell.metadata.get(markers.EXERCISE_KEY)
        if cell.cell_type == "code" and name in answers:
            cell = copy.deepcopy(cell)
            cell.source = answers[name]
        graded.cells.append(cell)
    # Hidden checks go right after their exercise's cell.
    for cell in hidden:
        owner = cell.metadata[markers.HIDDEN_KEY]
        index = next(
            (
                i
                for i, c in enumerate(graded.cells)
                if c.metadata.get(markers.EXERCISE_KEY) == owner
            ),
            len(graded.cells) - 1,
        )
        while index + 1 < len(graded.cells) and graded.cells[index + 1].metadata.get(
            markers.HIDDEN_KEY
        ):
            index += 1
        graded.cells.insert(index + 1, copy.deepcopy(cell))
    # The check cells run in the grader's process, never in the student's kernel.
    for cell in graded.cells:
        runs_in = remote.where_it_runs(cell)
        if runs_in:
            cell.metadata[remote.GRADER_KEY] = runs_in
    return graded
