"""Running one graded notebook: in the sandbox or not, under time limits, with capped outputs.

``execute`` runs the notebook the grader built in a fresh kernel and reruns it without a cell
that timed out or killed the kernel, so that such a cell costs only its own exercise. It returns
what ran and what the checks recorded. This module never imports TensorFlow.
"""

import copy
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.course import exercises as ex
from rnnkit.course import notebooks, sandbox

# Quiet the kernel's own start-up warnings; output of the student's code is kept in the notebook.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
_MAX_REASON = 300
# The most output a submission's notebook keeps (a flood of prints must not exhaust memory).
MAX_OUTPUT_BYTES = 8 * 2**20


def exercise_of(cell) -> str:
    """The exercise an answer cell belongs to ("" for any other cell)."""
    name = cell.metadata.get(ex.EXERCISE_KEY)
    return name if cell.cell_type == "code" and isinstance(name, str) else ""


class _OutOfTime(Exception):
    pass


@dataclass
class Run:
    """What one execution left: the notebook, check results, incidents, where it stopped."""

    nb: object
    results: list = field(default_factory=list)
    incidents: dict = field(default_factory=dict)  # exercise name or "" -> (status, reason)
    stopped_at: int | None = None  # first cell that never ran, when the budget ran out
    failure: str = ""


def _region_owner(nb, index: int) -> str:
    """The exercise whose cell comes last at or before ``index`` ("" before the first one)."""
    for i in range(index, -1, -1):
        if exercise_of(nb.cells[i]):
            return exercise_of(nb.cells[i])
    return ""


def _skip(nb, index: int, reason: str) -> None:
    nb.cells[index].source = f"# skipped by the grader: {reason}"


@dataclass(frozen=True)
class Isolation:
    """How student code runs: in the sandbox (the default) hiding ``hidden``, or without one."""

    sandbox: bool = True
    hidden: tuple = ()


# Student code runs in the sandbox; the instructor's own chapter (verify) needs none.
SANDBOXED = Isolation()
TRUSTED = Isolation(sandbox=False)


def _client_class():
    from nbclient import NotebookClient

    class CappedClient(NotebookClient):
        """A client that keeps at most MAX_OUTPUT_BYTES of a submission's outputs."""

        kept = 0

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {}), default=str))
            if self.kept + size > MAX_OUTPUT_BYTES:
                if self.kept <= MAX_OUTPUT_BYTES:
                    self.kept = MAX_OUTPUT_BYTES + 1
                    note = f"[the grader dropped output beyond {MAX_OUTPUT_BYTES // 2**20} MiB]"
                    outs.append(nbformat_stream(note))
                return None
            self.kept += size
            return super().output(outs, msg, display_id, cell_index)

    return CappedClient


def nbformat_stream(text: str):
    """A stdout output cell holding ``text``."""
    import nbformat

    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def _student_env(results_path: Path) -> dict:
    """The student kernel's whole environment: nothing of the grader's beyond what it needs."""
    keep = ("PATH", "LANG", "LC_ALL", "RNNKIT_DATA_DIR", "RNNKIT_CACHE_DIR", "VIRTUAL_ENV")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        HOME=str(results_path.parent),
        RNNKIT_QUICK="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        MPLBACKEND="agg",
        PYTHONNOUSERSITE="1",
        **{ex.RESULTS_ENV: str(results_path)},
    )
    return env


def execute(graded, workdir: Path, cell_timeout: float, timeout: float, isolation) -> Run:
    """Run the graded notebook; a cell that times out or kills the kernel is skipped on a rerun."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    scratch = workdir / "scratch"
    scratch.mkdir()
    results_path = scratch / ".rnnkit-results.jsonl"
    launch = {"env": _student_env(results_path), "stderr": subprocess.DEVNULL}
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

        limit = sandbox.PidsLimit() if isolation.sandbox else None
        extra = {"km": sandbox.kernel_manager(scratch, isolation.hidden, limit)} if limit else {}
        client = _client_class()(
            nb,
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            timeout_func=lambda cell: max(0.1, min(cell_timeout, deadline - time.monotonic())),
            extra_arguments=KERNEL_ARGS,
            resources={"metadata": {"path": str(scratch)}},
            on_cell_execute=on_cell_execute,
            **extra,
        )
        run = Run(nb, incidents=incidents)
        try:
            client.execute(**launch)
        except _OutOfTime:
            run.stopped_at = state["index"]
        except (CellTimeoutError, DeadKernelError) as exc:
            index = state["index"]
            if index is None:  # the kernel died before running anything
                run.failure = f"the grader could not run the notebook: {one_line(exc)}"
                run.stopped_at = 0
                run.results = read_results(results_path)
                return run
            if isinstance(exc, DeadKernelError):
                incident = ("error", "the kernel died (os._exit, a crash or out of memory)")
            elif state["cut"]:
                incident = ("timeout", f"the notebook used up its {timeout:g} s budget")
            else:
                incident = ("timeout", f"a cell ran longer than {cell_timeout:g} s (endless loop?)")
            owner = _region_owner(nb, index)
            incidents.setdefault(owner, (incident[0], f"{incident[1]} in {cell_label(nb, index)}"))
            if incident[0] == "timeout" and state["cut"]:
                run.stopped_at = index
            elif time.monotonic() < deadline and index not in skipped:
                # Rerun without the bad cell (and its exercise) so later exercises still count.
                skipped.add(index)
                _skip(base, index, incident[1])
                if owner:
                    _skip(base, last_index(base, owner), "this exercise broke an earlier run")
                if limit:
                    limit.close()
                continue
            else:
                run.stopped_at = index
        except Exception as exc:  # the kernel did not start, or nbclient failed: grade what ran
            run.failure = f"the grader could not run the notebook: {one_line(exc)}"
            run.stopped_at = state["index"] or 0
        finally:
            if limit:
                limit.close()  # whatever the submission left running dies here
        run.results = read_results(results_path)
        return run


def last_index(nb, name: str) -> int | None:
    """The index of the last answer cell of exercise ``name`` (None if none)."""
    found = None
    for index, cell in enumerate(nb.cells):
        if exercise_of(cell) == name:
            found = index
    return found


def read_results(path: Path) -> list[dict]:
    """The check outcomes recorded in the results file (malformed lines are skipped)."""
    results = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the student's code may have written to the file too
        if isinstance(record, dict) and isinstance(record.get("exercise"), str):
            results.append(record)
    return results


def one_line(text) -> str:
    """``text`` on one line, without colour codes, cut to a readable length."""
    text = " ".join(notebooks.strip_ansi(str(text)).split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def cell_label(nb, index: int) -> str:
    """Name a cell of the graded notebook as the student knows it."""
    cell = nb.cells[index]
    if ex.HIDDEN_KEY in cell.metadata:
        return f"a hidden check of {cell.metadata[ex.HIDDEN_KEY]!r}"
    if exercise_of(cell):
        return f"the exercise cell {exercise_of(cell)!r}"
    # Hidden checks are the only cells the grader inserts, so the others keep their order.
    number = sum(ex.HIDDEN_KEY not in c.metadata for c in nb.cells[: index + 1])
    return f"cell {number} of the notebook"
