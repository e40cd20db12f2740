"""Build chapter notebooks from their py:percent sources, execute them, and render them.

The ``.py`` file is the source of truth. Notebooks are always rebuilt in that direction
(``jupytext --sync`` chooses by file times and can overwrite a source in a fresh clone).
This module never imports TensorFlow: each chapter runs in its own kernel process.
"""

import os
import re
import subprocess
from pathlib import Path

from rnnkit import files
from rnnkit.course import markers

# The chapters of the checkout rnnkit was installed from (an editable install, as `make` does);
# a non-editable install (pip install ., Colab) uses ./chapters of the current directory.
_CHECKOUT_CHAPTERS = Path(__file__).resolve().parents[2] / "chapters"
CHAPTERS_DIR = _CHECKOUT_CHAPTERS if _CHECKOUT_CHAPTERS.is_dir() else Path("chapters")
# Where that checkout keeps the solutions, in any form: the sources, their git history and the
# instructor copies that `make solutions` and `release --with-solutions` write.
SOLUTION_PLACES = (
    tuple(
        _CHECKOUT_CHAPTERS.parent / p
        for p in ("chapters", ".git", "build/instructor", "build/solutions")
    )
    if _CHECKOUT_CHAPTERS.is_dir()
    else ()
)
# Hidden checks live apart from the chapter, in chapters/hidden/<chapter>.py, so that a public
# fork can leave them out; read_source puts them back into the instructor's notebook.
HIDDEN_DIR = "hidden"
CELL_TIMEOUT_S = 1800
# Keep TensorFlow's C++ start-up lines (written straight to file descriptor 2) in the terminal
# instead of in every notebook's first TensorFlow cell.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
    """Read a py:percent chapter source as the instructor's notebook, hidden checks included.

    The hidden checks of ``chapters/NN_topic.py`` are the cells of
    ``chapters/hidden/NN_topic.py`` (if it exists); each goes right after the cell that runs the
    visible check of its exercise (or after the exercise cell when there is no such cell).
    """
    import jupytext

    path = Path(path)
    nb = jupytext.read(path, fmt="py:percent")
    hidden_path = path.parent / HIDDEN_DIR / path.name
    if hidden_path.exists():
        _insert_hidden(nb, jupytext.read(hidden_path, fmt="py:percent"), hidden_path)
    return nb


def _insert_hidden(nb, hidden_nb, origin: Path) -> None:
    for cell in hidden_nb.cells:
        name = cell.metadata.get(markers.HIDDEN_KEY)
        if name is None:
            if cell.cell_type == "code" and any(
                line.strip() and not line.lstrip().startswith("#")
                for line in cell.source.splitlines()
            ):
                raise markers.MarkerError(f"{origin}: every code cell needs hidden_check= metadata")
            continue
        nb.cells.insert(_hidden_position(nb, name), cell)


def _hidden_position(nb, name: str) -> int:
    """Where a hidden check of ``name`` goes: after its visible check, else its exercise."""
    owner = next(
        (i for i, c in enumerate(nb.cells) if c.metadata.get(markers.EXERCISE_KEY) == name), None
    )
    if owner is None:
        return len(nb.cells)  # chapter_exercises reports a hidden check that names no exercise
    position = owner + 1
    for index in range(owner + 1, len(nb.cells)):
        cell = nb.cells[index]
        if cell.metadata.get(markers.EXERCISE_KEY):
            break
        if cell.cell_type == "code" and re.search(rf"\bcheck\(\s*[\"']{name}[\"']", cell.source):
            position = index + 1
            break
    while position < len(nb.cells) and nb.cells[position].metadata.get(markers.HIDDEN_KEY) == name:
        position += 1  # several hidden cells of one exercise keep their order
    return position


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


def execute(nb, workdir: Path, quick: bool, on_cell_start=None):
    """Execute a notebook object in a fresh kernel; raise on the first failing cell.

    ``on_cell_start(cell=, cell_index=)``, if given, is called as each cell starts.
    """
    from nbclient import NotebookClient

    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        extra_arguments=KERNEL_ARGS,
        on_cell_start=on_cell_start,
    ).execute(**kernel_launch(quick))
    return nb


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (tracebacks from kernels carry them)."""
    return _ANSI.sub("", text)


def write_notebook(nb, path: Path) -> None:
    """Write a notebook atomically, so an interrupted build never leaves half a file."""
    import nbformat

    files.replace_atomically(path, lambda tmp: nbformat.write(nb, tmp))


def render_html(nb, path: Path) -> None:
    """Render an executed notebook to a standalone HTML page."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    files.write_text(path, body)
