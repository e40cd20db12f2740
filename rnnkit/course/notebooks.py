"""Build chapter notebooks from their py:percent sources, execute them, and render them.

The ``.py`` file is the source of truth. Notebooks are always rebuilt in that direction
(``jupytext --sync`` chooses by file times and can overwrite a source in a fresh clone).
This module never imports TensorFlow: each chapter runs in its own kernel process.
"""

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from rnnkit import files

CHAPTERS_DIR = Path(__file__).resolve().parents[2] / "chapters"
CELL_TIMEOUT_S = 1800
# Keep TensorFlow's C++ start-up lines (written straight to file descriptor 2) in the terminal
# instead of in every notebook's first TensorFlow cell.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ChapterRun:
    """The outcome of executing one chapter."""

    chapter: str
    ok: bool
    seconds: float
    error: str = ""


def chapter_sources(names=None) -> list[Path]:
    """Return the chapter sources (``chapters/NN_*.py``) in order, or the ones named."""
    if not names:
        return sorted(CHAPTERS_DIR.glob("[0-9][0-9]_*.py"))
    paths = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb":
            path = path.with_suffix(".py")
        if not path.exists() and (CHAPTERS_DIR / path.name).exists():
            path = CHAPTERS_DIR / path.name
        if not path.exists() or path.suffix != ".py":
            raise FileNotFoundError(
                f"no chapter source {name!r}: give a path such as chapters/01_sequence_models.py"
            )
        paths.append(path)
    return paths


def read_source(path: Path):
    """Read a py:percent chapter source as a notebook object."""
    import jupytext

    return jupytext.read(path, fmt="py:percent")


def kernel_launch(quick: bool, **env) -> dict:
    """Keyword arguments for ``NotebookClient.execute``: the kernel's environment and its stderr.

    The environment is the caller's with the chosen run mode, quiet TensorFlow, inline plots
    and the extra variables ``env``. The kernel's stderr goes to /dev/null: TensorFlow writes
    start-up lines there that no log level silences, and they would land on the user's console.
    Nothing is lost, since errors in cells reach the notebook through the messaging protocol.
    """
    kernel_env = dict(os.environ)
    kernel_env["RNNKIT_QUICK"] = "1" if quick else "0"
    kernel_env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # A non-interactive backend set by a caller would hide every figure from the notebook.
    kernel_env.pop("MPLBACKEND", None)
    return {"env": {**kernel_env, **env}, "stderr": subprocess.DEVNULL}


def execute(nb, workdir: Path, quick: bool):
    """Execute a notebook object in a fresh kernel; raise on the first failing cell."""
    from nbclient import NotebookClient

    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        extra_arguments=KERNEL_ARGS,
    ).execute(**kernel_launch(quick))
    return nb


def write_notebook(nb, path: Path) -> None:
    """Write a notebook atomically, so an interrupted build never leaves half a file."""
    import nbformat

    files.replace_atomically(path, lambda tmp: nbformat.write(nb, tmp))


def render_html(nb, path: Path) -> None:
    """Render an executed notebook to a standalone HTML page."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    files.write_text(path, body)


def run_chapter(source: Path, out_dir: Path | None, quick: bool = False, html: bool = False):
    """Execute one chapter; write the notebook next to its source or into ``out_dir``."""
    start = time.perf_counter()
    name = source.stem
    try:
        nb = read_source(source)
        execute(nb, source.parent, quick)
        target_dir = out_dir or source.parent
        target_dir.mkdir(parents=True, exist_ok=True)
        write_notebook(nb, target_dir / f"{name}.ipynb")
        if html:
            render_html(nb, target_dir / f"{name}.html")
        return ChapterRun(name, True, time.perf_counter() - start)
    except Exception as exc:  # one failing chapter must not stop the others
        message = _ANSI.sub("", str(exc)).strip()
        first_line = (message.splitlines() or [type(exc).__name__])[-1]
        return ChapterRun(name, False, time.perf_counter() - start, first_line[:200])


def summary(runs: list[ChapterRun]) -> str:
    """A per-chapter table of status and wall time."""
    lines = [f"{'chapter':<32} {'status':<7} {'time':>8}"]
    for run in runs:
        status = "ok" if run.ok else "FAILED"
        lines.append(f"{run.chapter:<32} {status:<7} {run.seconds:7.1f}s")
        if run.error:
            lines.append(f"    {run.error}")
    total = sum(run.seconds for run in runs)
    lines.append(f"{'total':<32} {'':<7} {total:7.1f}s")
    return "\n".join(lines)


def run_all(names, out_dir: Path | None, quick: bool, html: bool) -> int:
    """Execute chapters in order, print progress and a summary; return a process exit code."""
    runs = []
    for source in chapter_sources(names):
        print(f"running {source.name} ({'quick' if quick else 'full'} mode) ...", flush=True)
        runs.append(run_chapter(source, out_dir, quick=quick, html=html))
        print(f"  {'ok' if runs[-1].ok else 'FAILED'} in {runs[-1].seconds:.1f}s", flush=True)
    print(summary(runs))
    return 0 if all(run.ok for run in runs) else 1
