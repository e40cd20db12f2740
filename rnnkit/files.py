"""Atomic file replacement: the one way rnnkit writes a file that someone may be reading.

A new version is written to a temporary file in the target's own folder, flushed to disk, and
then renamed over the target in one step (``os.replace``), so an interruption at any instant
leaves either the old file or the new one whole, never half of one. A failed write leaves no
temporary file behind. The vocabulary, the data-set cache, the notebooks and the run folder of
``rnnkit train`` all write through here.
"""

import json
import os
import secrets
from pathlib import Path


def _fsync(path: Path) -> None:
    """Push ``path`` (a file or a folder) to disk, so that a rename of it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path`` that keeps its suffix (Keras insists on ``.keras``)."""
    return path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp{path.suffix}")


def move_into_place(source: Path, path: Path) -> None:
    """Rename the finished file ``source`` (in ``path``'s folder) over ``path``, durably."""
    _fsync(source)
    os.replace(source, path)
    _fsync(path.parent)


def replace_atomically(path, write) -> Path:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, then put it in place.

    ``write`` receives the temporary path (which does not exist yet) and must create it. On any
    exception, KeyboardInterrupt included, the temporary file is removed and ``path`` is left as
    it was. Returns ``path``.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        write(tmp)
        move_into_place(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path, text: str) -> Path:
    """Replace ``path`` atomically with ``text`` in UTF-8."""

    def write(tmp):
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)

    return replace_atomically(path, write)


def write_json(path, data) -> Path:
    """Replace ``path`` atomically with ``data`` as indented JSON (non-ASCII kept as it is)."""
    return write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
