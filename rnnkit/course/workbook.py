"""``rnnkit workbook`` and ``rnnkit notebooks``: execute chapters with progress and a summary.

Each chapter is built from its source as the student edition (or the instructor's, with
solutions), executed in a fresh kernel and written out. While a chapter runs, one progress line
says which cell it is on and for how long it has run: rewritten in place on a terminal, printed
now and then as plain lines in a log. At the end a table gives each chapter's status, time and
headline result (the last line printed by its cell tagged ``headline``); a failure shows the
failing cell's source and error. This module never imports TensorFlow.
"""

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rnnkit.course import editions, notebooks

HEADLINE_TAG = "headline"
# In a log (no terminal), one progress line at most this often.
PLAIN_EVERY_S = 20.0
_SHOWN_SOURCE_LINES = 12


@dataclass
class ChapterRun:
    """The outcome of executing one chapter."""

    chapter: str
    ok: bool
    seconds: float
    headline: str = ""
    error: str = ""


class Progress:
    """The progress line of one chapter: "cell i of N, t s" (in place on a terminal)."""

    def __init__(self, chapter: str, total: int, stream=None):
        self.chapter, self.total = chapter, total
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.start = self.last_plain = time.perf_counter()
        self.cell = 0
        self._done = threading.Event()
        self._thread = None
        if self.tty:
            self._thread = threading.Thread(target=self._refresh, daemon=True)
            self._thread.start()

    def line(self) -> str:
        """The current progress text."""
        elapsed = time.perf_counter() - self.start
        return f"  {self.chapter}: cell {self.cell} of {self.total}, {elapsed:.0f} s"

    def cell_started(self, number: int) -> None:
        """Record that code cell ``number`` (from 1) started."""
        self.cell = number
        now = time.perf_counter()
        if not self.tty and now - self.last_plain >= PLAIN_EVERY_S:
            self.last_plain = now
            print(self.line(), file=self.stream, flush=True)

    def _refresh(self) -> None:
        while not self._done.wait(1.0):
            print("\r" + self.line(), end="", file=self.stream, flush=True)

    def close(self) -> None:
        """Stop the progress line (on a terminal, clear it)."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            print("\r\x1b[2K", end="", file=self.stream, flush=True)


def headline(nb) -> str:
    """The last line of text printed by the cell tagged ``headline`` ("" if none)."""
    for cell in nb.cells:
        if HEADLINE_TAG not in cell.metadata.get("tags", []):
            continue
        lines = [
            line.strip()
            for output in cell.get("outputs", [])
            for line in (output.get("text") or output.get("data", {}).get("text/plain", ""))
            .strip()
            .splitlines()
        ]
        return lines[-1] if lines else ""
    return ""


def _failure(exc: Exception, nb, cell_index) -> str:
    ename, evalue = getattr(exc, "ename", ""), getattr(exc, "evalue", "")
    if ename:
        error = f"{ename}: {evalue}".strip()
    else:
        message = notebooks.strip_ansi(str(exc)).strip().splitlines()
        error = message[-1] if message else type(exc).__name__
    if cell_index is None:
        return error
    source = nb.cells[cell_index].source.splitlines()
    shown = source[:_SHOWN_SOURCE_LINES] + (["..."] if len(source) > _SHOWN_SOURCE_LINES else [])
    return "\n".join([f"cell {cell_index + 1}:", *("  | " + s for s in shown), error[:500]])


def run_chapter(source: Path, out_dir: Path | None, quick=False, html=False, solutions=False):
    """Execute one chapter's edition; write it next to its source or into ``out_dir``."""
    start = time.perf_counter()
    name, nb, current = source.stem, None, {"index": None}
    progress = None
    try:
        instructor = notebooks.read_source(source)
        make = editions.instructor_copy if solutions else editions.student_copy
        nb = make(instructor, name)
        code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        progress = Progress(name, len(code))

        def on_cell_start(cell, cell_index):
            current["index"] = cell_index
            if cell_index in code:  # nbclient reports markdown cells too
                progress.cell_started(code.index(cell_index) + 1)

        notebooks.execute(nb, source.parent, quick, on_cell_start=on_cell_start)
        progress.close()
        target_dir = out_dir or source.parent
        target_dir.mkdir(parents=True, exist_ok=True)
        notebooks.write_notebook(nb, target_dir / f"{name}.ipynb")
        if html:
            notebooks.render_html(nb, target_dir / f"{name}.html")
        return ChapterRun(name, True, time.perf_counter() - start, headline(nb))
    except Exception as exc:  # one failing chapter must not stop the others
        if progress is not None:
            progress.close()
        return ChapterRun(
            name, False, time.perf_counter() - start, error=_failure(exc, nb, current["index"])
        )


def summary(runs: list[ChapterRun]) -> str:
    """A per-chapter table of status, wall time and headline result."""
    lines = [f"{'chapter':<30} {'status':<7} {'time':>7}  headline"]
    for run in runs:
        status = "ok" if run.ok else "FAILED"
        lines.append(f"{run.chapter:<30} {status:<7} {run.seconds:6.0f}s  {run.headline}")
        lines.extend(f"    {line}" for line in run.error.splitlines())
    total = sum(run.seconds for run in runs)
    lines.append(f"{'total':<30} {'':<7} {total:6.0f}s")
    return "\n".join(lines)


def run_all(names, out_dir: Path | None, quick: bool, html: bool, solutions=False) -> int:
    """Execute chapters in order, print progress and a summary; return a process exit code."""
    runs = []
    edition = "instructor" if solutions else "student"
    for source in notebooks.chapter_sources(names):
        mode = "quick" if quick else "full"
        print(f"{source.stem} ({edition} edition, {mode} mode)", flush=True)
        runs.append(run_chapter(source, out_dir, quick, html, solutions))
        run = runs[-1]
        print(f"  {'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s", flush=True)
    print(summary(runs))
    return 0 if all(run.ok for run in runs) else 1
