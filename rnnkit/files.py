"""Atomic file replacement: the one way rnnkit writes a file that someone may be reading.

A new version is written to a temporary file in the target's own folder, flushed to disk, and
then renamed over the target in one step (``os.replace``), so an interruption at any instant
leaves either the old file or the new one whole, never half of one. A failed write leaves no
temporary file behind. The vocabulary, the data-set cache, the notebooks and the run folder of
``rnnkit train`` all write through here.
"""

import hashlib
import json
import os
import re
import secrets
from pathlib import Path

# The names temporary_name makes: ".<stem>.<pid>-<8 hex digits>.tmp<suffix>".
_TEMPORARY = re.compile(r"^\..*\.\d+-[0-9a-f]{8}\.tmp(\.[^.]+)?$")


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


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one that :func:`temporary_name` makes (left behind by a killed write)."""
    return bool(_TEMPORARY.match(name))


def sha256(path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def json_text(data) -> str:
    """``data`` as indented, strict JSON text (non-ASCII kept as it is), newline-terminated.

    NaN and infinities are refused (ValueError): they are not JSON, and other tools reject them.
    """
    return json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def write_json(path, data) -> Path:
    """Replace ``path`` atomically with ``data`` as :func:`json_text`."""
    return write_text(path, json_text(data))
