"""Find, verify and load the workbook's data sets.

Every data set is described by one JSON file in ``rnnkit/data/registry/`` (the registry),
package data, so that a plain ``pip install`` can load every data set. A data set's file is
looked up in this order:

1. the folder named by the environment variable ``RNNKIT_DATA_DIR`` (read in place, never
   modified);
2. the cache folder, ``RNNKIT_CACHE_DIR`` or ``~/.cache/rnnkit/datasets``;
3. a download from the registry URL with ``keras.utils.get_file`` into a temporary folder
   inside the cache, which is moved into the cache only once its SHA-256 and size match.

Every file is checked against the registry's SHA-256 and size before it is used. All errors
are subclasses of :class:`DatasetError` (a ``RuntimeError``); the ones caused by a bad name or
a bad ``RNNKIT_DATA_DIR`` are also ``ValueError``.
"""

import dataclasses
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

from rnnkit import files, validate

DATA_DIR_ENV = "RNNKIT_DATA_DIR"
CACHE_DIR_ENV = "RNNKIT_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/rnnkit/datasets")
# A module attribute (not a constant baked into functions) so tests can point it at a fake registry.
REGISTRY_DIR = Path(__file__).resolve().parent / "registry"

_SHA256 = re.compile(r"[0-9a-f]{64}")


class DatasetError(RuntimeError):
    """Base class of every error raised by :mod:`rnnkit.data.datasets`."""


class UnknownDatasetError(DatasetError, ValueError):
    """The requested name is not in the registry."""


class DataDirError(DatasetError, ValueError):
    """``RNNKIT_DATA_DIR`` is set but does not name an existing folder."""


class RegistryError(DatasetError):
    """A registry JSON file is missing fields or holds invalid values."""


class ChecksumError(DatasetError):
    """A data file's SHA-256 or size differs from the registry."""


class DatasetNotFoundError(DatasetError):
    """The file is in neither folder and could not be downloaded."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """One registry entry: where a data set comes from and how to recognise its file."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    licence: str
    description: str
    author: str
    citation: str


_FIELDS = {field.name: field.type for field in dataclasses.fields(DatasetInfo)}


def _parse_entry(json_path: Path) -> DatasetInfo:
    try:
        raw = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RegistryError(f"cannot read registry file {json_path}: {err}") from err
    if not isinstance(raw, dict):
        raise RegistryError(f"registry file {json_path} must hold a JSON object")
    missing = sorted(set(_FIELDS) - set(raw))
    unexpected = sorted(set(raw) - set(_FIELDS))
    if missing or unexpected:
        raise RegistryError(
            f"registry file {json_path}: missing fields {missing}, unexpected fields {unexpected};"
            f" the fields are {sorted(_FIELDS)}"
        )
    for key, kind in _FIELDS.items():
        try:
            if kind is int:
                validate.integer(raw[key], f"field {key!r}", minimum=0)
            elif not isinstance(raw[key], kind):
                raise TypeError(
                    f"field {key!r} must be {kind.__name__}, got {validate.shown(raw[key])}"
                )
        except (TypeError, ValueError) as err:
            raise RegistryError(f"registry file {json_path}: {err}") from err
    entry = DatasetInfo(**raw)
    if entry.name != json_path.stem:
        raise RegistryError(
            f"registry file {json_path}: name {entry.name!r} must match the file name"
            f" {json_path.stem!r}"
        )
    if not _SHA256.fullmatch(entry.sha256):
        raise RegistryError(
            f"registry file {json_path}: sha256={entry.sha256!r} must be 64 lowercase hex digits"
        )
    if entry.size <= 0:
        raise RegistryError(f"registry file {json_path}: size={entry.size} must be positive")
    # get_file refuses separators in fname, and a path would escape the data/cache folders.
    if not entry.filename or Path(entry.filename).name != entry.filename or "\\" in entry.filename:
        raise RegistryError(
            f"registry file {json_path}: filename={entry.filename!r} must be a bare file name"
        )
    return entry


def _registry() -> dict[str, DatasetInfo]:
    entries = (_parse_entry(json_path) for json_path in sorted(REGISTRY_DIR.glob("*.json")))
    return {entry.name: entry for entry in entries}


def known() -> list[str]:
    """Return the names of all registered data sets, sorted."""
    return sorted(_registry())


def info(name: str) -> DatasetInfo:
    """Return the registry entry of data set ``name``.

    Raises :class:`UnknownDatasetError` (also a ``ValueError``) listing the known names.
    """
    registry = _registry()
    if name not in registry:
        raise UnknownDatasetError(
            f"name={name!r} is not a registered data set; known data sets: "
            f"{', '.join(sorted(registry)) or '(none)'} (registry folder: {REGISTRY_DIR})"
        )
    return registry[name]


def data_dir() -> Path | None:
    """Return the folder named by ``RNNKIT_DATA_DIR``, or None when the variable is unset or empty.

    Raises :class:`DataDirError` when the variable names something that is not a folder.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise DataDirError(
            f"{DATA_DIR_ENV}={value!r} is not an existing folder: create it and put the data"
            f" files in it, fix the path, or unset {DATA_DIR_ENV} to use the cache"
            f" ({cache_dir()})"
        )
    return folder


def cache_dir() -> Path:
    """Return the cache folder: ``RNNKIT_CACHE_DIR`` or ``~/.cache/rnnkit/datasets``."""
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_CACHE_DIR.expanduser()


def _check(entry: DatasetInfo, file_path: Path, advice: str) -> None:
    actual_sha = files.sha256(file_path)
    actual_size = file_path.stat().st_size
    if actual_sha != entry.sha256 or actual_size != entry.size:
        raise ChecksumError(
            f"data set {entry.name!r}: file {file_path} does not match the registry:"
            f" expected sha256 {entry.sha256} ({entry.size} bytes),"
            f" actual sha256 {actual_sha} ({actual_size} bytes). {advice}"
        )


def _download(entry: DatasetInfo, folder: Path) -> Path:
    """Fetch ``entry`` into ``folder`` (a fresh temporary folder) and return the file's path."""
    # Imported here so that looking up a file that is already present does not load TensorFlow.
    import keras

    return Path(
        keras.utils.get_file(
            fname=entry.filename,
            origin=entry.url,
            file_hash=entry.sha256,
            cache_dir=str(folder),
            cache_subdir=str(folder),
        )
    )


def _where_to_put(entry: DatasetInfo, cache: Path) -> str:
    return (
        f"Download {entry.url} on a machine with internet access, then either copy it to"
        f" {cache / entry.filename} or put it in a folder of your choice and set"
        f" {DATA_DIR_ENV} to that folder (expected sha256 {entry.sha256}, {entry.size} bytes)."
    )


def _download_into_cache(entry: DatasetInfo, cache: Path, reason: str) -> Path:
    target = cache / entry.filename
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # The temporary folder sits in the cache so the final move is an atomic rename on one
        # file system; its context manager removes any partial download on every exit path.
        with tempfile.TemporaryDirectory(prefix=f".{entry.name}-", dir=cache) as tmp:
            try:
                fetched = _download(entry, Path(tmp))
                _check(entry, fetched, "The file at the URL has changed; please report this.")
            except Exception as err:
                raise DatasetNotFoundError(
                    f"data set {entry.name!r}: {reason}, and downloading {entry.url} failed"
                    f" ({type(err).__name__}: {err}). {_where_to_put(entry, cache)}"
                ) from err
            files.move_into_place(fetched, target)
    except OSError as err:
        raise DatasetNotFoundError(
            f"data set {entry.name!r}: cannot write to the cache folder {cache} ({err}). Set"
            f" {CACHE_DIR_ENV} to a writable folder, or {DATA_DIR_ENV} to a folder holding"
            f" {entry.filename}."
        ) from err
    return target


def path(name: str) -> Path:
    """Return the verified file of data set ``name``, downloading it into the cache if needed.

    A file in ``RNNKIT_DATA_DIR`` that fails the check raises :class:`ChecksumError` and is left
    untouched. A cached file that fails the check is replaced by a fresh download (with a
    warning); if that download fails the cached file is left as it was and
    :class:`DatasetNotFoundError` explains how to replace it.
    """
    entry = info(name)
    user_dir = data_dir()
    if user_dir is not None and (user_dir / entry.filename).is_file():
        user_file = user_dir / entry.filename
        _check(
            entry,
            user_file,
            f"Replace it with a fresh copy from {entry.url}, or remove it (or unset"
            f" {DATA_DIR_ENV}) to use the cache.",
        )
        return user_file

    cache = cache_dir()
    cached = cache / entry.filename
    looked_in = f"{user_dir} ({DATA_DIR_ENV}) and {cache}" if user_dir else f"{cache}"
    if not cached.is_file():
        return _download_into_cache(entry, cache, f"{entry.filename} is not in {looked_in}")
    try:
        _check(entry, cached, "Delete it so that it is downloaded again, or replace it.")
    except ChecksumError as err:
        warnings.warn(f"{err} Downloading it again.", stacklevel=2)
        return _download_into_cache(
            entry, cache, f"the cached file {cached} is corrupt ({err}); delete or replace it"
        )
    return cached


def load_text(name: str) -> str:
    """Return the verified contents of text data set ``name``, decoded as UTF-8 and unchanged."""
    return path(name).read_bytes().decode("utf-8")
