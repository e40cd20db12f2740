"""The folder of one training run: what ``rnnkit train --out DIR`` writes and the others read::

    model.keras          the RNNLM, rewritten after every epoch
    vocab.json           its character vocabulary (Vocab.save)
    training_log.json    the arguments, one entry per epoch, the final validation perplexity
    checkpoints/         model, optimizer and epoch count, for resuming (training.train_custom)

Every file is written under a temporary name and then renamed, so an interruption leaves the
previous version whole. A folder that is missing, damaged or from another run raises
:class:`CommandError` with what to do about it. Keras is imported only by :func:`load_model`.
"""

import json
import shutil
from pathlib import Path

from rnnkit import files
from rnnkit.cli.config import RUN_SETTINGS
from rnnkit.cli.errors import CommandError
from rnnkit.data.vocab import Vocab

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
LOG_FILE = "training_log.json"
CHECKPOINT_DIR = "checkpoints"
LOG_FORMAT = "rnnkit-training-log"


# ---------------------------------------------------------------------------------------------
# Writing: the training log and the model, each replaced atomically
# ---------------------------------------------------------------------------------------------


def new_log(settings: dict, data_sha256: str, vocab, train_ids, valid_ids, test_ids) -> dict:
    """The training log of a fresh run with arguments ``settings``, before any epoch."""
    return {
        "format": LOG_FORMAT,
        "version": 1,
        "args": settings,
        "data_sha256": data_sha256,
        "vocab_size": len(vocab),
        "train_characters": len(train_ids),
        "valid_characters": len(valid_ids),
        "test_characters": len(test_ids),
        "epochs": [],
    }


def log_entries(history, previous: list) -> list:
    """One log entry per epoch of ``history``, keeping what ``previous`` entries measured.

    ``history`` is a :class:`rnnkit.lm.training.TrainingHistory`; its losses are the truth, while
    the validation perplexity and the seconds of an epoch are known only to the log.
    """
    entries = []
    for index in range(history.epochs):
        old = previous[index] if index < len(previous) else {}
        entries.append(
            {
                "epoch": index + 1,
                "loss": history.loss[index],
                "perplexity": history.perplexity[index],
                "valid_perplexity": old.get("valid_perplexity"),
                "seconds": old.get("seconds"),
            }
        )
    return entries


def write_log(log: dict, folder: Path) -> None:
    """Write ``log`` to the folder's training log, atomically."""

    files.write_json(folder / LOG_FILE, log)


def save_model(model, folder: Path) -> None:
    """Save ``model`` as the folder's model file, atomically."""
    files.replace_atomically(folder / MODEL_FILE, model.save)


def clear(folder: Path) -> None:
    """Remove the files a previous run left in ``folder`` (and nothing else)."""
    shutil.rmtree(folder / CHECKPOINT_DIR, ignore_errors=True)
    for name in (MODEL_FILE, LOG_FILE):
        (folder / name).unlink(missing_ok=True)


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
        and isinstance(log.get("args"), dict)
        and isinstance(log.get("epochs"), list)
        and all(name in log["args"] for name in (*RUN_SETTINGS, "epochs", "warmup"))
    )
    if not ok:
        raise CommandError(f"{path} is not an rnnkit training log (written by rnnkit train)")
    return log


def _option(name):
    return "--" + name.replace("_", "-")


def previous_run(out: Path, settings: dict, data_sha256: str, epochs: int):
    """The log of the run to resume in ``out``, or None for a fresh start.

    Raises :class:`CommandError` when ``out`` holds a run with other arguments or more epochs.
    """
    if not (out / LOG_FILE).exists():
        if (out / CHECKPOINT_DIR).exists():
            raise CommandError(
                f"--out {out} holds checkpoints but no {LOG_FILE}: pass --force to start afresh "
                "there, or choose another --out"
            )
        return None
    log = read_log(out)
    changed = [
        f"{_option(name)} {value!r}, not {log['args'][name]!r}"
        for name, value in settings.items()
        if log["args"][name] != value
    ]
    if log.get("data_sha256") != data_sha256:
        changed.append("the data's contents changed")
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


def _load_vocab(folder: Path) -> Vocab:
    try:
        return Vocab.load(folder / VOCAB_FILE)
    except FileNotFoundError:
        raise CommandError(
            f"{folder / VOCAB_FILE} is missing: {folder} is not a folder written by rnnkit train"
        ) from None
    except ValueError as err:
        raise CommandError(str(err)) from None


def open_folder(folder) -> tuple[Path, Vocab, dict]:
    """Check a model folder and return it with its vocabulary and training log (no TensorFlow)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise CommandError(
            f"--model {folder}: no such folder; train a model first with "
            f"'rnnkit train --out {folder}'"
        )
    if not folder.is_dir():
        raise CommandError(f"--model {folder} is not a folder: give the --out of rnnkit train")
    return folder, _load_vocab(folder), read_log(folder)


def load_model(folder: Path, vocab: Vocab):
    """The folder's RNNLM, checked to predict the tokens of ``vocab`` (imports Keras)."""
    import keras

    # Importing these registers rnnkit's layers, which the .keras file refers to by name.
    from rnnkit.layers import cells, wrappers  # noqa: F401
    from rnnkit.lm.rnnlm import RNNLM

    path = folder / MODEL_FILE
    if not path.is_file():
        raise CommandError(f"{path} is missing: training has not finished an epoch yet")
    try:
        model = keras.saving.load_model(path)
    except Exception as err:  # a damaged file can fail in many ways, all of them the file's fault
        reason = " ".join(str(err).split())[:200]
        raise CommandError(f"{path} does not load ({type(err).__name__}: {reason})") from None
    if not isinstance(model, RNNLM):
        raise CommandError(f"{path} holds a {type(model).__name__}, not an rnnkit RNNLM")
    if model.vocab_size != len(vocab):
        raise CommandError(
            f"{path} predicts {model.vocab_size} tokens but {folder / VOCAB_FILE} holds "
            f"{len(vocab)}: the two files come from different runs"
        )
    return model
