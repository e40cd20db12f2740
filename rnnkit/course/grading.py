"""Grade submitted notebooks against the instructor's chapters (no server, no database).

``grade`` finds each submission's chapter (from the metadata rnnkit.course.release puts in it,
else from its file or folder name), rebuilds it with the instructor's hidden checks inserted
after its exercise cells, executes it in a fresh kernel in a temporary directory under per-cell
and per-notebook time limits, and turns the results the checks write (rnnkit.course.exercises)
into one row per student and exercise. A cell that times out or kills the kernel is skipped on a
rerun, so it costs only its own exercise.

Student code is untrusted. A kernel process per submission, a temporary working directory and
time limits keep a bad submission from stopping the batch, but they are not a sandbox: see
docs/instructors.md for running the grader in a container. This module never imports TensorFlow.
"""

import copy
import json
import multiprocessing
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from pathlib import Path

from rnnkit.course import exercises as ex
from rnnkit.course import notebooks
from rnnkit.course.grades import Row

CELL_TIMEOUT_S = 120
TIMEOUT_S = 900
# Quiet the kernel's own start-up warnings; output of the student's code is kept in the notebook.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_MAX_REASON = 300


def graded_notebook(submission, instructor):
    """The submission's cells (outputs cleared) with the instructor's hidden checks re-inserted.

    Hidden-check cells already in the submission are dropped; the instructor's go right after the
    submission's (last) cell for that exercise.
    """
    hidden = {}
    for cell in instructor.cells:
        if ex.HIDDEN_KEY in cell.metadata:
            hidden.setdefault(cell.metadata[ex.HIDDEN_KEY], []).append(cell)
    cells = [copy.deepcopy(c) for c in submission.cells if ex.HIDDEN_KEY not in c.metadata]
    last = {_exercise_of(c): i for i, c in enumerate(cells) if _exercise_of(c)}
    graded = copy.deepcopy(submission)
    graded.cells = []
    for index, cell in enumerate(cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        graded.cells.append(cell)
        name = _exercise_of(cell)
        if name and last[name] == index:
            graded.cells.extend(copy.deepcopy(h) for h in hidden.get(name, []))
    return graded


def _exercise_of(cell) -> str:
    name = cell.metadata.get(ex.EXERCISE_KEY)
    return name if cell.cell_type == "code" and isinstance(name, str) else ""


class _OutOfTime(Exception):
    pass


@dataclass
class _Run:
    nb: object
    results: list = field(default_factory=list)
    incidents: dict = field(default_factory=dict)  # exercise name or "" -> (status, reason)
    stopped_at: int | None = None  # first cell that never ran, when the budget ran out
    failure: str = ""


def _region_owner(nb, index: int) -> str:
    """The exercise whose cell comes last at or before ``index`` ("" before the first one)."""
    for i in range(index, -1, -1):
        if _exercise_of(nb.cells[i]):
            return _exercise_of(nb.cells[i])
    return ""


def _skip(nb, index: int, reason: str) -> None:
    nb.cells[index].source = f"# skipped by the grader: {reason}"


def _execute(graded, workdir: Path, cell_timeout: float, timeout: float) -> _Run:
    """Run the graded notebook; a cell that times out or kills the kernel is skipped on a rerun."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    results_path = workdir / ".rnnkit-results.jsonl"
    launch = notebooks.kernel_launch(quick=True, **{ex.RESULTS_ENV: str(results_path)})
    deadline = time.monotonic() + timeout
    base, incidents, skipped = copy.deepcopy(graded), {}, set()
    while True:
        nb = copy.deepcopy(base)
        results_path.write_text("")
        state = {"index": None, "cut": False}

        def on_cell_execute(cell, cell_index, state=state):
            state["index"] = cell_index
            state["cut"] = deadline - time.monotonic() < cell_timeout
            if time.monotonic() >= deadline:
                raise _OutOfTime

        client = NotebookClient(
            nb,
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            timeout_func=lambda cell: max(0.1, min(cell_timeout, deadline - time.monotonic())),
            extra_arguments=KERNEL_ARGS,
            resources={"metadata": {"path": str(workdir)}},
            on_cell_execute=on_cell_execute,
        )
        run = _Run(nb, incidents=incidents)
        try:
            client.execute(**launch)
        except _OutOfTime:
            run.stopped_at = state["index"]
        except (CellTimeoutError, DeadKernelError) as exc:
            index = state["index"]
            if index is None:  # the kernel died before running anything
                run.failure = f"the grader could not run the notebook: {_one_line(exc)}"
                run.stopped_at = 0
                run.results = _read_results(results_path)
                return run
            if isinstance(exc, DeadKernelError):
                incident = ("error", "the kernel died (os._exit, a crash or out of memory)")
            elif state["cut"]:
                incident = ("timeout", f"the notebook used up its {timeout:g} s budget")
            else:
                incident = ("timeout", f"a cell ran longer than {cell_timeout:g} s (endless loop?)")
            owner = _region_owner(nb, index)
            incidents.setdefault(owner, (incident[0], f"{incident[1]} in {_cell_label(nb, index)}"))
            if incident[0] == "timeout" and state["cut"]:
                run.stopped_at = index
            elif time.monotonic() < deadline and index not in skipped:
                # Rerun without the bad cell (and its exercise) so later exercises still count.
                skipped.add(index)
                _skip(base, index, incident[1])
                if owner:
                    _skip(base, _last_index(base, owner), "this exercise broke an earlier run")
                continue
            else:
                run.stopped_at = index
        except Exception as exc:  # the kernel did not start, or nbclient failed: grade what ran
            run.failure = f"the grader could not run the notebook: {_one_line(exc)}"
            run.stopped_at = state["index"] or 0
        run.results = _read_results(results_path)
        return run


def _last_index(nb, name: str) -> int | None:
    found = None
    for index, cell in enumerate(nb.cells):
        if _exercise_of(cell) == name:
            found = index
    return found


def _read_results(path: Path) -> list[dict]:
    results = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the student's code may have written to the file too
        if isinstance(record, dict) and isinstance(record.get("exercise"), str):
            results.append(record)
    return results


def _one_line(text) -> str:
    text = " ".join(_ANSI.sub("", str(text)).split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def _first_error(cell) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", "Error"), output.get("evalue", "")
            if name == "NotImplementedError" and not value:
                return "NotImplementedError (the exercise is not solved yet)"
            return _one_line(f"{name}: {value}" if value else name)
    return ""


def _cell_label(nb, index: int) -> str:
    """Name a cell of the graded notebook as the student knows it."""
    cell = nb.cells[index]
    if ex.HIDDEN_KEY in cell.metadata:
        return f"a hidden check of {cell.metadata[ex.HIDDEN_KEY]!r}"
    if _exercise_of(cell):
        return f"the exercise cell {_exercise_of(cell)!r}"
    # Hidden checks are the only cells the grader inserts, so the others keep their order.
    number = sum(ex.HIDDEN_KEY not in c.metadata for c in nb.cells[: index + 1])
    return f"cell {number} of the notebook"


def _status(spec: ex.ExerciseSpec, run: _Run, hidden_count: int, timeout: float) -> tuple[str, str]:
    """(status, reason) of one exercise after a run; see docs/instructors.md for the rules."""
    nb = run.nb
    start = _last_index(nb, spec.name)
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
            status = record["status"] if record.get("status") in ("failed", "error") else "error"
            return status, _one_line(ex.Outcome(**_outcome_fields(record)).reason())
    end = next(
        (i for i in range(start + 1, len(nb.cells)) if _exercise_of(nb.cells[i])), len(nb.cells)
    )
    for index in range(start + 1, end):
        error = _first_error(nb.cells[index])
        if error and error.split(":")[0] != "ExerciseFailed":
            return "error", f"the check could not run: {_cell_label(nb, index)} raised {error}"
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
        if ex.HIDDEN_KEY in cell.metadata:
            counts[cell.metadata[ex.HIDDEN_KEY]] = counts.get(cell.metadata[ex.HIDDEN_KEY], 0) + 1
    return counts


def grade_notebook(
    nb, source: Path, student: str, cell_timeout: float = CELL_TIMEOUT_S, timeout: float = TIMEOUT_S
) -> list[Row]:
    """Grade a notebook object against the instructor's chapter ``source``: one row per exercise."""
    chapter = source.stem
    instructor = notebooks.read_source(source)
    try:
        specs = ex.chapter_exercises(instructor, str(source))
    except ex.MarkerError as exc:
        return [Row(student, chapter, "-", 0, 0, "error", _one_line(f"instructor chapter {exc}"))]
    graded = graded_notebook(nb, instructor)
    with tempfile.TemporaryDirectory(prefix="rnnkit-grade-") as tmp:
        run = _execute(graded, Path(tmp), cell_timeout, timeout)
    counts = _hidden_counts(instructor)
    rows = []
    for spec in specs:
        status, reason = _status(spec, run, counts.get(spec.name, 0), timeout)
        points = spec.points if status == "passed" else 0
        rows.append(Row(student, chapter, spec.name, points, spec.points, status, reason))
    return rows


def _chapter_for(path: Path, meta_chapter, chapters_dir: Path) -> Path | None:
    sources = {p.stem: p for p in sorted(chapters_dir.glob("[0-9][0-9]_*.py"))}
    if isinstance(meta_chapter, str) and meta_chapter in sources:
        return sources[meta_chapter]
    for name in (path.stem, path.parent.name):
        for stem in sorted(sources, key=len, reverse=True):
            if stem in name:
                return sources[stem]
    return None


def _student_for(path: Path, meta_student, chapter: str) -> str:
    if isinstance(meta_student, str) and meta_student.strip():
        return meta_student.strip()
    stem = path.stem.replace(chapter, "").strip("_-. ") if chapter else path.stem
    return stem or path.parent.name


def _invalid_rows(path: Path, chapters_dir: Path, status: str, reason: str) -> list[Row]:
    source = _chapter_for(path, None, chapters_dir)
    chapter = source.stem if source else "?"
    student = _student_for(path, None, source.stem if source else "")
    try:
        specs = ex.chapter_exercises(notebooks.read_source(source)) if source else []
    except ex.MarkerError:
        specs = []
    if not specs:
        return [Row(student, chapter, "-", 0, 0, status, reason)]
    return [Row(student, chapter, s.name, 0, s.points, status, reason) for s in specs]


def _read_notebook(path: Path):
    """Read a submission as a version-4 notebook; ValueError saying what is wrong with it."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the file is not JSON ({exc})") from exc
    # nbformat's own message for JSON that is no notebook is about converting old versions.
    if not isinstance(raw, dict) or "nbformat" not in raw or not isinstance(raw.get("cells"), list):
        raise ValueError(
            "the file is JSON but not a notebook: it needs an 'nbformat' version and a list of "
            "'cells'; submit the .ipynb file that Jupyter saved"
        )
    return nbformat.reads(text, as_version=4)


def grade_submission(
    path: Path,
    chapters_dir: Path = notebooks.CHAPTERS_DIR,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
) -> list[Row]:
    """Grade one submitted ``.ipynb`` (never modified); a broken one gets zero rows with reasons."""
    path = Path(path)
    try:
        nb = _read_notebook(path)
    except Exception as exc:
        return _invalid_rows(
            path, chapters_dir, "invalid", f"not a Jupyter notebook: {_one_line(exc)}"
        )
    meta = nb.metadata.get(ex.NOTEBOOK_KEY, {})
    meta = meta if isinstance(meta, dict) else {}
    source = _chapter_for(path, meta.get("chapter"), chapters_dir)
    if source is None:
        reason = (
            f"cannot tell which chapter this is: no {ex.NOTEBOOK_KEY}.chapter metadata and no "
            f"chapter name of {chapters_dir} in the file or folder name"
        )
        return [Row(_student_for(path, meta.get("student"), ""), "?", "-", 0, 0, "invalid", reason)]
    student = _student_for(path, meta.get("student"), source.stem)
    return grade_notebook(nb, source, student, cell_timeout, timeout)


def grade(
    submissions,
    chapters_dir: Path = notebooks.CHAPTERS_DIR,
    jobs: int = 1,
    cell_timeout: float = CELL_TIMEOUT_S,
    timeout: float = TIMEOUT_S,
    progress=None,
) -> list[Row]:
    """Grade submissions, ``jobs`` at a time in worker processes; rows come in submission order.

    ``progress(path, rows, seconds)`` is called as each submission finishes.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive integer")
    for label, value in (("cell_timeout", cell_timeout), ("timeout", timeout)):
        if not value > 0:
            raise ValueError(f"{label}={value!r} must be a positive number of seconds")
    chapters_dir = Path(chapters_dir)
    if not chapters_dir.is_dir():
        raise ValueError(f"chapters_dir={str(chapters_dir)!r} is not a folder of chapter sources")
    paths = [Path(p) for p in submissions]
    start = time.perf_counter()
    done = {}
    if jobs == 1:
        for path in paths:
            done[path] = grade_submission(path, chapters_dir, cell_timeout, timeout)
            _tell(progress, path, done[path], start)
    else:
        context = multiprocessing.get_context("spawn")  # workers inherit no event loop or sockets
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {
                pool.submit(grade_submission, p, chapters_dir, cell_timeout, timeout): p
                for p in paths
            }
            for future in as_completed(futures):
                path = futures[future]
                try:
                    done[path] = future.result()
                except Exception as exc:  # a crashed worker must not lose the other grades
                    reason = f"the grader crashed on this submission: {_one_line(exc)}"
                    done[path] = _invalid_rows(path, chapters_dir, "error", reason)
                _tell(progress, path, done[path], start)
    return [row for path in paths for row in done[path]]


def _tell(progress, path, rows, start) -> None:
    if progress is not None:
        progress(path, rows, time.perf_counter() - start)


def verify(source: Path, cell_timeout: float = CELL_TIMEOUT_S, timeout: float = TIMEOUT_S):
    """Grade an instructor chapter against itself; every row should pass with full points."""
    return grade_notebook(
        notebooks.read_source(source), source, "instructor", cell_timeout, timeout
    )
