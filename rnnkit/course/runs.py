"""Running one graded notebook: in the sandbox or not, under time limits, with capped outputs.

``execute`` runs the notebook the grader built in a fresh kernel and reruns it without a cell
that timed out or killed the kernel, so that such a cell costs only its own exercise. The
check cells run here, in the grader's process (rnnkit.course.remote), and ask the kernel only
for the student's answers. It returns what ran and what the checks recorded. This module never
imports TensorFlow.
"""

import asyncio
import copy
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from rnnkit.course import exercises as ex
from rnnkit.course import kernel_link, markers, notebooks, remote, sandbox, wire

# Quiet the kernel's own start-up warnings; output of the student's code is kept in the notebook.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]
_MAX_REASON = 300
# The most output a submission's notebook keeps (a flood of prints must not exhaust memory).
MAX_OUTPUT_BYTES = 8 * 2**20
# The largest answer one call of a student's function may send back.
MAX_ANSWER_BYTES = 64 * 2**20


def exercise_of(cell) -> str:
    """The exercise an answer cell belongs to ("" for any other cell)."""
    name = cell.metadata.get(markers.EXERCISE_KEY)
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
    import nbformat
    from nbclient import NotebookClient
    from nbclient.util import run_hook

    class GradingClient(NotebookClient):
        """Runs check cells in the grader and keeps at most MAX_OUTPUT_BYTES of the outputs."""

        kept = 0
        namespace = None  # the check cells' globals (remote.Namespace), set by execute
        link = None  # the namespace's kernel_link.Link, set by execute
        answer_room = 0  # bytes of one answer the current call may still send; 0 between calls

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            size = len(json.dumps(content, default=str))
            if wire.MIME in content.get("data", {}) and size <= self.answer_room:
                self.answer_room = 0  # one answer per call: a flood of them is ordinary output
                return super().output(outs, msg, display_id, cell_index)
            if self.kept + size > MAX_OUTPUT_BYTES:
                if self.kept <= MAX_OUTPUT_BYTES:
                    self.kept = MAX_OUTPUT_BYTES + 1
                    note = f"[the grader dropped output beyond {MAX_OUTPUT_BYTES // 2**20} MiB]"
                    outs.append(nbformat_stream(note))
                return None
            self.kept += size
            return super().output(outs, msg, display_id, cell_index)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, **kwargs):
            runs_in = cell.metadata.get(remote.GRADER_KEY, "")
            if runs_in != remote.IN_GRADER:
                await super().async_execute_cell(cell, cell_index, execution_count, **kwargs)
            if not runs_in:
                return cell
            kernel_outputs = list(cell.get("outputs", []))
            await run_hook(self.on_cell_execute, cell=cell, cell_index=cell_index)
            loop, parent = asyncio.get_running_loop(), super().async_execute_cell

            def run_code(code):  # called from the check's thread; the loop runs the kernel
                driver = nbformat.v4.new_code_cell(code)
                call = parent(driver, cell_index, store_history=False)
                self.answer_room = MAX_ANSWER_BYTES
                try:
                    asyncio.run_coroutine_threadsafe(call, loop).result()
                except BaseException as exc:  # a timeout, a dead kernel, the budget spent
                    raise kernel_link.KernelGone(exc) from exc
                finally:
                    self.answer_room = 0
                return driver.outputs

            self.link.run_code = run_code
            outputs, gone = await loop.run_in_executor(
                None, remote.run_check_cell, cell.source, self.namespace
            )
            self.nb.cells[cell_index] = cell  # nbclient put each call's cell in its place
            if gone is not None:
                raise gone.original
            cell.outputs = kernel_outputs + outputs
            return cell

    return GradingClient


def nbformat_stream(text: str):
    """A stdout output cell holding ``text``."""
    import nbformat

    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def _student_env(scratch: Path) -> dict:
    """The student kernel's whole environment: nothing of the grader's beyond what it needs."""
    keep = ("PATH", "LANG", "LC_ALL", "RNNKIT_DATA_DIR", "RNNKIT_CACHE_DIR", "VIRTUAL_ENV")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        HOME=str(scratch),
        RNNKIT_QUICK="1",
        TF_CPP_MIN_LOG_LEVEL="3",
        MPLBACKEND="agg",
        PYTHONNOUSERSITE="1",
    )
    return env


def execute(graded, workdir: Path, cell_timeout: float, timeout: float, isolation) -> Run:
    """Run the graded notebook; a cell that times out or kills the kernel is skipped on a rerun."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    scratch = workdir / "scratch"
    scratch.mkdir()
    # cleanup_kc: nbclient stops the kernel and its channels only when it made the kernel manager
    # itself; the sandbox's is ours, and a batch would otherwise leak ~20 descriptors a submission.
    launch = {"env": _student_env(scratch), "stderr": subprocess.DEVNULL, "cleanup_kc": True}
    deadline = time.monotonic() + timeout
    base, incidents, skipped = copy.deepcopy(graded), {}, set()
    imports = remote.instructor_imports(graded)
    while True:
        nb = copy.deepcopy(base)
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
        client.link = kernel_link.Link()
        client.namespace = remote.Namespace(client.link, imports)
        with ex.recording() as results:  # what the checks report, here in the grader
            run = Run(nb, results=results, incidents=incidents)
            try:
                client.execute(**launch)
            except _OutOfTime:
                run.stopped_at = state["index"]
            except (CellTimeoutError, DeadKernelError) as exc:
                index = state["index"]
                if index is None:  # the kernel died before running anything
                    run.failure = f"the grader could not run the notebook: {one_line(exc)}"
                    run.stopped_at = 0
                    return run
                incident = _incident(exc, state["cut"], cell_timeout, timeout)
                owner = _region_owner(nb, index)
                where = cell_label(nb, index)
                incidents.setdefault(owner, (incident[0], f"{incident[1]} in {where}"))
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
        return run


def _incident(exc, cut: bool, cell_timeout: float, timeout: float) -> tuple[str, str]:
    """(status, reason) for a cell that killed the kernel or ran out of time."""
    from nbclient.exceptions import DeadKernelError

    if isinstance(exc, DeadKernelError):
        return "error", "the kernel died (os._exit, a crash or out of memory)"
    if cut:
        return "timeout", f"the notebook used up its {timeout:g} s budget"
    return "timeout", f"a cell ran longer than {cell_timeout:g} s (endless loop?)"


def last_index(nb, name: str) -> int | None:
    """The index of the last answer cell of exercise ``name`` (None if none)."""
    found = None
    for index, cell in enumerate(nb.cells):
        if exercise_of(cell) == name:
            found = index
    return found


def one_line(text) -> str:
    """``text`` on one line, without colour codes, cut to a readable length."""
    text = " ".join(notebooks.strip_ansi(str(text)).split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 3] + "..."


def cell_label(nb, index: int) -> str:
    """Name a cell of the graded notebook as the student knows it."""
    cell = nb.cells[index]
    if markers.HIDDEN_KEY in cell.metadata:
        return f"a hidden check of {cell.metadata[markers.HIDDEN_KEY]!r}"
    if exercise_of(cell):
        return f"the exercise cell {exercise_of(cell)!r}"
    # Hidden checks are the only cells the grader inserts, so the others keep their order.
    number = sum(markers.HIDDEN_KEY not in c.metadata for c in nb.cells[: index + 1])
    return f"cell {number} of the notebook"
