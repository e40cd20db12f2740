"""The folder of one training run: what ``rnnkit train --out DIR`` writes and the others read::

    model.keras          the RNNLM of the epoch with the best validation perplexity
    vocab.json           its character vocabulary (Vocab.save)
    training_log.json    the arguments, one entry per finished epoch, the best epoch
    checkpoints/         the last epoch's model, optimizer and history, for resuming
    manifest.json        every file rnnkit wrote here, with its SHA-256

**rnnkit only deletes or replaces files it wrote itself.** Before anything is written, a folder
is checked against its manifest: a file that the manifest does not list, or whose contents
changed since rnnkit wrote it, belongs to the user, and the folder is refused with a message
that names it (:func:`claim`). ``--force`` replaces rnnkit's own files only.

Every file is written under a temporary name and renamed into place (:mod:`rnnkit.files`). The
manifest learns a file's new hash before the rename and keeps the old one until after it, so
whatever instant a run is killed at, the file on disk is one the manifest knows. The commit
point of an epoch is its checkpoint; the log and the model are derived from it and rewritten on
resuming, so a kill at any instant leaves the previous epoch or the new one, whole.

A folder that is missing, damaged or from another run raises :class:`CommandError` with what to
do about it. Keras is imported only by :func:`load_model`.
"""

import hashlib
import json
import math
import re
import shutil
import zipfile
from pathlib import Path

from rnnkit import files
from rnnkit.cli.config import RUN_SETTINGS
from rnnkit.cli.errors import CommandError
from rnnkit.data.vocab import Vocab

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
LOG_FILE = "training_log.json"
CHECKPOINT_DIR = "checkpoints"
MANIFEST_FILE = "manifest.json"
LOG_FORMAT = "rnnkit-training-log"
MANIFEST_FORMAT = "rnnkit-run-manifest"
# Inside .keras (a zip archive): which vocabulary and data the model was trained on.
MODEL_METADATA = "rnnkit.json"
# What tf.train.CheckpointManager writes in checkpoints/: the index, its temporary copies, and
# each checkpoint's files (and the temporary folder a sharded save writes first).
_CHECKPOINT_NAMES = re.compile(r"^(checkpoint(\.tmp.*)?|ckpt-\d+.*)$")


def vocab_fingerprint(vocab: Vocab) -> str:
    """A SHA-256 of the vocabulary's tokens in id order: two vocabularies match iff it does."""
    return hashlib.sha256(json.dumps(vocab.idx_to_token).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Ownership: the manifest, the check before writing, --force
# ---------------------------------------------------------------------------------------------


class Manifest:
    """The files rnnkit wrote in ``folder``: name -> the hashes the file may have.

    A name maps to ``{"sha256": h}``, or, while a new version is being put in place,
    ``{"sha256": old, "next": new}``; ``checkpoints`` maps to ``{"folder": true}``.
    """

    def __init__(self, folder: Path, entries: dict):
        self.folder, self.entries = folder, entries

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        """The folder's manifest (empty if it has none); CommandError if it is not rnnkit's."""
        path = folder / MANIFEST_FILE
        if not path.exists():
            return cls(folder, {})
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not (
            isinstance(data, dict)
            and data.get("format") == MANIFEST_FORMAT
            and isinstance(data.get("files"), dict)
        ):
            raise CommandError(
                f"{path} is not a manifest written by rnnkit train, so rnnkit cannot tell which "
                f"files in {folder} are its own: choose another --out"
            )
        return cls(folder, data["files"])

    def _save(self) -> None:
        files.write_json(
            self.folder / MANIFEST_FILE,
            {"format": MANIFEST_FORMAT, "version": 1, "files": self.entries},
        )

    def owns(self, path: Path) -> bool:
        """Whether rnnkit wrote ``path`` (a file or folder in the run folder) as it is now."""
        name = path.relative_to(self.folder).as_posix()
        if files.is_temporary(path.name):
            return True  # left by a write that was killed before its rename
        top = name.split("/")[0]
        if top == MANIFEST_FILE:
            return True
        if top == CHECKPOINT_DIR and self.entries.get(CHECKPOINT_DIR, {}).get("folder"):
            return name == CHECKPOINT_DIR or bool(_CHECKPOINT_NAMES.match(name.split("/")[1]))
        entry = self.entries.get(name)
        if not isinstance(entry, dict) or not path.is_file():
            return False
        return files.sha256(path) in (entry.get("sha256"), entry.get("next"))

    def foreign(self) -> list[str]:
        """What in the folder rnnkit did not write (or that changed since): names, sorted."""
        found = []
        for path in sorted(self.folder.iterdir()):
            if path.is_dir() and path.name == CHECKPOINT_DIR and self.owns(path):
                found += [p for p in sorted(path.iterdir()) if not self.owns(p)]
            elif not self.owns(path):
                found.append(path)
        return [p.relative_to(self.folder).as_posix() + ("/" if p.is_dir() else "") for p in found]

    def write(self, name: str, write) -> None:
        """Write the file ``name`` with ``write(tmp)`` atomically, keeping the manifest true."""
        path = self.folder / name

        def write_and_announce(tmp):
            write(tmp)
            entry = dict(self.entries.get(name) or {})
            entry["next"] = files.sha256(tmp)
            self.entries[name] = entry
            self._save()  # from here on, either version of the file counts as rnnkit's

        files.replace_atomically(path, write_and_announce)
        self.entries[name] = {"sha256": self.entries[name]["next"]}
        self._save()

    def write_json(self, name: str, data) -> None:
        """Write ``data`` as the strict JSON file ``name``, atomically (see :meth:`write`)."""
        text = files.json_text(data)
        self.write(name, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

    def checkpoint_dir(self) -> Path:
        """The checkpoints folder, recorded as rnnkit's before TensorFlow writes into it."""
        if not self.entries.get(CHECKPOINT_DIR, {}).get("folder"):
            self.entries[CHECKPOINT_DIR] = {"folder": True}
            self._save()
        return self.folder / CHECKPOINT_DIR

    def clear(self) -> None:
        """Delete every file of a previous run (all of them rnnkit's: :func:`claim` checked)."""
        for path in sorted(self.folder.iterdir()):
            if path.name == MANIFEST_FILE:
                continue
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        self.entries = {}
        self._save()


def _describe(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def claim(out: Path) -> Manifest:
    """Make ``out`` a run folder (creating it) and return its manifest.

    Raises :class:`CommandError`, before anything is written, when ``out`` cannot be a folder
    or holds anything that rnnkit did not write: those files are the user's, and no option
    deletes them.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CommandError(f"--out {out} is a file, not a folder") from None
    except OSError as err:
        raise CommandError(f"--out {out} cannot be created ({err.strerror or err})") from None
    manifest = Manifest.read(out)
    try:
        foreign = manifest.foreign()
    except OSError as err:
        raise CommandError(f"--out {out} cannot be read ({err.strerror or err})") from None
    if foreign:
        raise CommandError(
            f"--out {out} holds files that rnnkit did not write (or that changed since): "
            f"{_describe(foreign)}. rnnkit never deletes or replaces them, --force included: "
            "choose another --out, or move those files away yourself"
        )
    for path in out.iterdir():
        if files.is_temporary(path.name):
            path.unlink()  # half a write that a kill interrupted: rnnkit's, and of no use
    return manifest


# ---------------------------------------------------------------------------------------------
# The training log, derived from the checkpoint's history
# ---------------------------------------------------------------------------------------------


def new_log(settings: dict, data_sha256: str, vocab, train_ids, valid_ids, test_ids) -> dict:
    """The training log of a fresh run with arguments ``settings``, before any epoch."""
    return {
        "format": LOG_FORMAT,
        "version": 2,
        "args": settings,
        "data_sha256": data_sha256,
        "vocab_sha256": vocab_fingerprint(vocab),
        "vocab_size": len(vocab),
        "train_characters": len(train_ids),
        "valid_characters": len(valid_ids),
        "test_characters": len(test_ids),
        "epochs": [],
        "best_epoch": None,
        "best_valid_perplexity": None,
        "finished": False,
    }


def finite_or_none(value):
    """``value`` as a float when finite, else None (strict JSON has no NaN or infinity)."""
    return value if value is not None and math.isfinite(value) else None


def log_entries(history) -> list:
    """One log entry per epoch of ``history`` (a :class:`rnnkit.lm.training.TrainingHistory`).

    The losses come from the history itself; the validation perplexity and the seconds of each
    epoch from the notes the command recorded in it before the epoch was checkpointed.
    """
    entries = []
    for index in range(history.epochs):
        notes = history.notes[index] if index < len(history.notes) else {}
        entries.append(
            {
                "epoch": index + 1,
                "loss": finite_or_none(history.loss[index]),
                "perplexity": finite_or_none(history.perplexity[index]),
                "valid_perplexity": finite_or_none(notes.get("valid_perplexity")),
                "seconds": notes.get("seconds"),
            }
        )
    return entries


def best_epoch(entries: list) -> int | None:
    """The epoch (1-based) with the lowest validation perplexity; the earliest on a tie."""
    scored = [(e["valid_perplexity"], e["epoch"]) for e in entries if e["valid_perplexity"]]
    return min(scored)[1] if scored else None


def update_log(log: dict, history) -> dict:
    """``log`` with the epochs of ``history`` and the best of them."""
    log["epochs"] = log_entries(history)
    log["best_epoch"] = best_epoch(log["epochs"])
    best = log["best_epoch"]
    log["best_valid_perplexity"] = (
        None if best is None else log["epochs"][best - 1]["valid_perplexity"]
    )
    return log


def save_model(manifest: Manifest, model, log: dict) -> None:
    """Save ``model`` as the folder's model file, atomically, with the run's fingerprints."""
    metadata = json.dumps(
        {
            "vocab_sha256": log["vocab_sha256"],
            "data_sha256": log["data_sha256"],
            "epoch": log["best_epoch"],
        }
    )

    def write(tmp):
        model.save(tmp)
        # Keras reads only the members it knows, so one more travels with the model unnoticed.
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(MODEL_METADATA, metadata)

    manifest.write(MODEL_FILE, write)


# ---------------------------------------------------------------------------------------------
# Reading: the training log, the vocabulary, the model
# ---------------------------------------------------------------------------------------------


def read_log(folder: Path) -> dict:
    """The folder's training log, checked to be one that ``rnnkit train`` wrote."""
    path = folder / LOG_FILE
    if not path.is_file():
        raise CommandError(f"{path} is missing: {folder} is not a folder written by rnnkit train")
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CommandError(f"{path} is not valid JSON ({err})") from None
    ok = (
        isinstance(log, dict)
        and log.get("format") == LOG_FORMAT
        and log.get("version") == 2
        and isinstance(log.get("args"), dict)
        and isinstance(log.get("epochs"), list)
        and isinstance(log.get("vocab_sha256"), str)
        and all(name in log["args"] for name in (*RUN_SETTINGS, "epochs", "warmup"))
    )
    if not ok:
        raise CommandError(f"{path} is not an rnnkit training log (written by rnnkit train)")
    return log


def _option(name):
    return "--" + name.replace("_", "-")


def previous_run(out: Path, settings: dict, data_sha256: str, epochs: int):
    """The log of the run to resume in ``out``, or None for a fresh start.

    The data is recognised by its SHA-256, wherever it now lies. A run that checkpointed no
    epoch has nothing to lose and starts afresh. Raises :class:`CommandError` when ``out`` holds
    finished epochs of a run with other arguments, or more epochs than asked for.
    """
    if not (out / LOG_FILE).exists():
        return None
    log = read_log(out)
    if not log["epochs"] and not (out / CHECKPOINT_DIR / "checkpoint").exists():
        return None  # (a checkpoint may hold an epoch that the log has not caught up with)
    changed = [
        f"{_option(name)} {value!r}, not {log['args'][name]!r}"
        for name, value in settings.items()
        if name != "data" and log["args"][name] != value
    ]
    if log.get("data_sha256") != data_sha256:
        changed.append(f"--data {settings['data']} holds other text than {log['args']['data']}")
    if changed:
        raise CommandError(
            f"--out {out} holds a run with other arguments ({'; '.join(changed)}): rerun with "
            "the arguments of that run to resume it, choose another --out, or pass --force to "
            "start afresh"
        )
    done = len(log["epochs"])
    if done > epochs:
        raise CommandError(
            f"--out {out} already holds {done} epochs, more than --epochs {epochs}: pass "
            f"--epochs {done} or more to continue, or --force to start afresh"
        )
    return log


def _load_vocab(folder: Path, log: dict) -> Vocab:
    try:
        vocab = Vocab.load(folder / VOCAB_FILE)
    except FileNotFoundError:
        raise CommandError(
            f"{folder / VOCAB_FILE} is missing: {folder} is not a folder written by rnnkit train"
        ) from None
    except ValueError as err:
        raise CommandError(str(err)) from None
    if vocab_fingerprint(vocab) != log["vocab_sha256"]:
        raise CommandError(
            f"{folder / VOCAB_FILE} is not the vocabulary this run was trained with (its tokens "
            "differ from those its training log records): restore the run's own vocab.json"
        )
    return vocab


def open_folder(folder) -> tuple[Path, Vocab, dict]:
    """Check a run folder and return it with its vocabulary and training log (no TensorFlow)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise CommandError(
            f"--run {folder}: no such folder; train a model first with "
            f"'rnnkit train --out {folder}'"
        )
    if not folder.is_dir():
        raise CommandError(f"--run {folder} is not a folder: give the --out of rnnkit train")
    log = read_log(folder)
    return folder, _load_vocab(folder, log), log


def _model_metadata(path: Path) -> dict:
    """The fingerprints saved inside a model file; CommandError if it is no model archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(MODEL_METADATA))
    except zipfile.BadZipFile:
        raise CommandError(
            f"{path} is damaged: it is not a .keras archive (truncated, or overwritten by "
            "something else); train the model again"
        ) from None
    except (KeyError, ValueError):
        raise CommandError(
            f"{path} was not saved by rnnkit train: it has no record of its vocabulary"
        ) from None


def load_model(folder: Path, vocab: Vocab):
    """The folder's RNNLM, checked to predict the tokens of ``vocab`` (imports Keras)."""
    path = folder / MODEL_FILE
    if not path.is_file():
        raise CommandError(f"{path} is missing: training has not finished an epoch yet")
    if _model_metadata(path).get("vocab_sha256") != vocab_fingerprint(vocab):
        raise CommandError(
            f"{path} was trained with another vocabulary than {folder / VOCAB_FILE}: the two "
            "files come from different runs"
        )
    import keras

    # Importing these registers rnnkit's layers, which the .keras file refers to by name.
    from rnnkit.layers import cells, wrappers  # noqa: F401
    from rnnkit.lm.rnnlm import RNNLM

    try:
        model = keras.saving.load_model(path)
    except Exception as err:  # a damaged file can fail in many ways, all of them the file's fault
        reason = " ".join(str(err).split())[:200]
        raise CommandError(f"{path} is damaged and does not load ({reason})") from None
    if not isinstance(model, RNNLM):
        raise CommandError(f"{path} holds a {type(model).__name__}, not an rnnkit RNNLM")
    return model
