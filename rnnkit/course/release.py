"""``rnnkit release``: write the student (or instructor) edition of each chapter to a folder.

rnnkit.course.editions builds the editions; this module adds the committed outputs to the
student edition and writes the files atomically. This module never imports TensorFlow.
"""

from pathlib import Path

from rnnkit import files
from rnnkit.course import editions, notebooks


def release(sources: list[Path], out_dir: Path, solutions: bool = False) -> list[Path]:
    """Write each chapter's edition (``.ipynb`` and ``.py``) into ``out_dir``; return the former.

    The student edition carries the outputs of the committed notebook next to each source where
    its cells are unchanged; the instructor edition is written unexecuted. Every chapter is
    validated before anything is written, so a malformed one writes nothing.
    """
    import jupytext
    import nbformat

    copies = []
    for source in sources:
        instructor = notebooks.read_source(source)
        if solutions:
            edition = editions.instructor_copy(instructor, source.stem)
        else:
            edition = editions.student_copy(instructor, source.stem)
            committed = source.with_suffix(".ipynb")
            if committed.exists():
                edition = editions.with_outputs_of(edition, nbformat.read(committed, as_version=4))
        copies.append((source, edition))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source, nb in copies:
        notebooks.write_notebook(nb, out_dir / f"{source.stem}.ipynb")
        files.write_text(out_dir / f"{source.stem}.py", jupytext.writes(nb, fmt="py:percent"))
        written.append(out_dir / f"{source.stem}.ipynb")
        # Records a chapter reads from its own folder (chapter 7's long-budget run) go with it.
        for record in sorted(source.parent.glob(f"{source.stem}_*.json")):
            files.write_text(out_dir / record.name, record.read_text(encoding="utf-8"))
    return written
