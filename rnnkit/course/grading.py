"""Grade submitted notebooks against the instructor's chapters (no server, no database).

``grade`` finds each submission's chapter and student (rnnkit.course.submissions), splices the
student's answer cells into a fresh copy of the instructor's chapter with its hidden checks, runs
it in a sandboxed kernel under per-cell and per-notebook time limits (rnnkit.course.runs and
rnnkit.course.sandbox), and turns the check results into one row per student and exercise.

The sandbox keeps a submission from reading the instructor's chapters or other submissions, from
the network, from other processes, and from writing anywhere but its scratch folder. The checks
run in the grader's process and ask the kernel only for the student's answers, as plain data
(rnnkit.course.remote); docs/instructors.md has the threat model. This module never imports
TensorFlow (a chapter's checks may, in the grader, when they use it).
"""

import multiprocessing
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import fields, replace
from pathlib import Path

from rnnkit.course import editions, markers, notebooks, runs, submissions
from rnnkit.course import exercises as ex
from rnnkit.course.grades import Row

CELL_TIMEOUT_S = 120
TIMEOUT_S = 900
# What a check can report besides "passed".
_CHECK_FAILURES = ("failed", "error", ex.NOT_ATTEMPTED)


def _first_error(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", "Error"), output.get("evalue", "")
            if name == "NotImplementedError" and not value:
                return "NotImplementedError (the exercise is not solved yet)"
            return runs.one_line(f"{name}: {value}" if value else name)
    return ""


def _status(
    spec: markers.ExerciseSpec, run: runs.Run, hidden_count: int, timeout: float
) -> tuple[str, str]:
    """(status, reason) of one exercise after a run; see docs/instructors.md for the rules."""
    nb = run.nb
    start = runs.last_index(nb, spec.name)
    if start is None:
        return "missing", (
            f"no exercise cell {spec.name!r}: it was deleted or its metadata was changed; "
            "copy the cell back from the released notebook"
        )
    if spec.name in run.incidents:
        return run.incidents[spec.name]
    mine = [r for r in run.results if r["exercise"] == spec.name]
    for record in mine:
        if record.get("points") != spec.points:
            return "error", (
                f"chapter bug: the cell metadata gives {spec.points} points but the registered "
                f"check gives {record.get('points')!r}; make them agree"
            )
    visible = [r for r in mine if r.get("kind") == "visible"]
    hidden = [r for r in mine if r.get("kind") == "hidden"]
    if visible and len(hidden) >= hidden_count and all(r.get("status") == "passed" for r in mine):
        return "passed", ""
    if "" in run.incidents:
        status, reason = run.incidents[""]
        return status, f"not checked: an earlier cell broke the run ({reason})"
    own_error = _first_error(nb.cells[start])
    if own_error:
        return "error", f"your exercise cell raised {own_error}"
    for record in visible + hidden:
        if record.get("status") != "passed":
            status = record["status"] if record.get("status") in _CHECK_FAILURES else "error"
            return status, runs.one_line(ex.Outcome(**_outcome_fields(record)).reason())
    end = next(
        (i for i in range(start + 1, len(nb.cells)) if runs.exercise_of(nb.cells[i])), len(nb.cells)
    )
    for index in range(start + 1, end):
        error = _first_error(nb.cells[index])
        if error and error.split(":")[0] != "ExerciseFailed":
            return "error", f"the check could not run: {runs.cell_label(nb, index)} raised {error}"
    if run.stopped_at is not None and run.stopped_at <= end:
        return "timeout", f"not run: the notebook used up its {timeout:g} s budget"
    if run.failure:
        return "error", run.failure
    return "missing", (
        f"the check of {spec.name!r} did not run: keep the check(...) cell after the exercise"
    )


def _outcome_fields(record: dict) -> dict:
    names = {f.name for f in fields(ex.Outcome)}
    values = {k: v for k, v in record.items() if k in names}
    values.setdefault("kind", "visible")
    values.setdefault("status", "error")
    values.setdefault("points", 0)
    return values


def _hidden_counts(instructor) -> dict[str, int]:
    counts = {}
    for cell in instructor.cells:
        if markers.HIDDEN_KEY in cell.metadata:
            counts[cell.metadata[markers.HIDDEN_KEY]] = (
                counts.get(cell.metadata[markers.HIDDEN_KEY], 0) + 1
            )
    return counts


def grade_notebook(
    nb,
    source: Path,
    student: str,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
    isolation: runs.Isolation = runs.SANDBOXED,
) -> list[Row]:
    """Grade a notebook object against the instructor's chapter ``source``: one row per exercise.

    Only the notebook's answer cells are used (rnnkit.course.submissions.graded_notebook).
    """
    chapter = source.stem
    instructor = notebooks.read_source(source)
    try:
        specs = markers.chapter_exercises(instructor, str(source))
    except markers.MarkerError as exc:
        return [
            Row(student, chapter, "-", 0, 0, "error", runs.one_line(f"instructor chapter {exc}"))
        ]
    answers, problems = submissions.answer_cells(nb, specs)
    graded = submissions.graded_notebook(instructor, chapter, answers)
    hidden = (*isolation.hidden, source.parent)
    with tempfile.TemporaryDirectory(prefix="rnnkit-grade-") as tmp:
        run = runs.execute(
            graded, Path(tmp), cell_timeout, timeout, replace(isolation, hidden=hidden)
        )
    counts = _hidden_counts(instructor)
    rows = []
    for spec in specs:
        if spec.name in problems:
            status, reason = problems[spec.name]
        else:
            status, reason = _status(spec, run, counts.get(spec.name, 0), timeout)
        points = spec.points if status == "passed" else 0
        rows.append(Row(student, chapter, spec.name, points, spec.points, status, reason))
    return rows


def _source_of(path: Path, chapters_dir: Path) -> Path | None:
    """The chapter source a submission belongs to, as grading will read it (None if unknown)."""
    try:  # the chapter the release wrote into the notebook
        meta_chapter = submissions.chapter_of(submissions.read_notebook(path))
    except (OSError, ValueError):
        meta_chapter = None  # unreadable: the file or folder name may still tell
    return submissions.chapter_for(path, meta_chapter, chapters_dir)


def _invalid_rows(path: Path, chapters_dir: Path, status: str, reason: str) -> list[Row]:
    source = _source_of(path, chapters_dir)
    chapter = source.stem if source else "?"
    student = submissions.student_for(path, source.stem if source else "")
    try:
        specs = markers.chapter_exercises(notebooks.read_source(source)) if source else []
    except markers.MarkerError:
        specs = []
    if not specs:
        return [Row(student, chapter, "-", 0, 0, status, reason)]
    return [Row(student, chapter, s.name, 0, s.points, status, reason) for s in specs]


def grade_submission(
    path: Path,
    chapters_dir: Path = notebooks.CHAPTERS_DIR,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
    isolation: runs.Isolation = runs.SANDBOXED,
) -> list[Row]:
    """Grade one submitted ``.ipynb`` (never modified); a broken one gets zero rows with reasons."""
    path = Path(path)
    try:
        nb = submissions.read_notebook(path)
    except Exception as exc:
        return _invalid_rows(
            path, chapters_dir, "invalid", f"not a Jupyter notebook: {runs.one_line(exc)}"
        )
    source = submissions.chapter_for(path, submissions.chapter_of(nb), chapters_dir)
    if source is None:
        reason = (
            f"cannot tell which chapter this is: no {markers.NOTEBOOK_KEY}.chapter metadata and no "
            f"chapter name of {chapters_dir} in the file or folder name"
        )
        return [Row(submissions.student_for(path, ""), "?", "-", 0, 0, "invalid", reason)]
    student = submissions.student_for(path, source.stem)
    return grade_notebook(nb, source, student, cell_timeout, timeout, isolation)


def _claims(paths, chapters_dir: Path) -> dict:
    """Submissions that share a (student, chapter) with another: path -> the reason."""
    owners: dict = {}
    for path in paths:
        source = _source_of(path, chapters_dir)
        chapter = source.stem if source else "?"
        owners.setdefault((submissions.student_for(path, chapter), chapter), []).append(path)
    clashes = {}
    for (student, chapter), claimed in owners.items():
        if len(claimed) > 1 and chapter != "?":
            names = ", ".join(str(p) for p in claimed)
            for path in claimed:
                clashes[path] = (
                    f"{len(claimed)} submissions claim student {student!r} for this chapter "
                    f"({names}); none is graded until one is left"
                )
    return clashes


def grade(
    submitted,
    chapters_dir: Path = notebooks.CHAPTERS_DIR,
    jobs: int = 1,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
    progress=None,
    isolation: runs.Isolation = runs.SANDBOXED,
) -> list[Row]:
    """Grade submissions, ``jobs`` at a time in worker processes; rows come in submission order.

    Each submission is graded once (the same file given twice counts once), a student who has
    two files for one chapter gets one row per exercise saying so, and ``progress(path, rows,
    seconds)`` is called as each submission finishes. The submissions' folders, the chapters and
    the checkout's other copies of the solutions are hidden from every sandbox.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive integer")
    for label, value in (("cell_timeout", cell_timeout), ("timeout", timeout)):
        if not value > 0:
            raise ValueError(f"{label}={value!r} must be a positive number of seconds")
    chapters_dir = Path(chapters_dir)
    if not chapters_dir.is_dir():
        raise ValueError(f"chapters_dir={str(chapters_dir)!r} is not a folder of chapter sources")
    paths = list(dict.fromkeys(Path(p).absolute() for p in submitted))
    folders = {p.parent for p in paths} | {p for p in paths if p.is_dir()}
    hidden = (*isolation.hidden, chapters_dir, *notebooks.SOLUTION_PLACES, *sorted(folders))
    isolation = replace(isolation, hidden=hidden)
    start = time.perf_counter()
    done = {}
    for path, reason in _claims(paths, chapters_dir).items():
        done[path] = _invalid_rows(path, chapters_dir, "invalid", reason)
        _tell(progress, path, done[path], start)
    todo = [p for p in paths if p not in done]
    args = (chapters_dir, cell_timeout, timeout, isolation)
    if jobs == 1:
        for path in todo:
            done[path] = grade_submission(path, *args)
            _tell(progress, path, done[path], start)
    else:
        context = multiprocessing.get_context("spawn")  # workers inherit no event loop or sockets
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(grade_submission, p, *args): p for p in todo}
            for future in as_completed(futures):
                path = futures[future]
                try:
                    done[path] = future.result()
                except Exception as exc:  # a crashed worker must not lose the other grades
                    reason = f"the grader crashed on this submission: {runs.one_line(exc)}"
                    done[path] = _invalid_rows(path, chapters_dir, "error", reason)
                _tell(progress, path, done[path], start)
    return [row for path in paths for row in done[path]]


def _tell(progress, path, rows, start) -> None:
    if progress is not None:
        progress(path, rows, time.perf_counter() - start)


def verify(
    source: Path,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
    isolation: runs.Isolation = runs.TRUSTED,
):
    """Grade an instructor chapter against itself; every row should pass with full points.

    The instructor's own code is trusted, so by default it runs without the sandbox.
    """
    instructor = editions.instructor_copy(notebooks.read_source(source), source.stem)
    return grade_notebook(instructor, source, "instructor", cell_timeout, timeout, isolation)
