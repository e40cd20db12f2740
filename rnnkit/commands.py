"""What ``rnnkit train``, ``rnnkit generate`` and ``rnnkit evaluate`` do.

A trained model is one folder, the ``--out`` of ``rnnkit train``::

    model.keras          the RNNLM, rewritten after every epoch
    vocab.json           its character vocabulary (Vocab.save)
    training_log.json    the arguments, one entry per epoch, the final validation perplexity
    checkpoints/         model, optimizer and epoch count, for resuming (training.train_custom)

Every file is written under a temporary name and then renamed, so an interruption leaves the
previous version whole. Rerunning an interrupted ``train`` command continues after the last
finished epoch, exactly as if it had never stopped.

Validation perplexities follow the workbook's fair protocol: every character of the validation
tail is predicted from all the text before it, the model's state warmed up on the last
``warmup`` training characters (:func:`rnnkit.training.evaluate_perplexity`).

A mistake the user can fix (a missing file, a corrupt vocabulary, sizes that do not fit the data)
raises :class:`CommandError`, which the command line prints as one line; anything else is a bug
and keeps its traceback. TensorFlow is imported only after the cheap checks have passed, so such
mistakes are reported at once.
"""

import hashlib
import json
import math
import os
import secrets
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from rnnkit import datasets, text
from rnnkit.vocab import Vocab

MODEL_FILE = "model.keras"
VOCAB_FILE = "vocab.json"
LOG_FILE = "training_log.json"
CHECKPOINT_DIR = "checkpoints"
LOG_FORMAT = "rnnkit-training-log"
CELLS = ("rnn", "gru", "lstm")
# The choices of rnnkit.training and rnnkit.generation, repeated so that the command line can
# offer them without loading TensorFlow (tests/test_cli.py checks that they agree).
OPTIMIZERS = ("adam", "sgd")
STRATEGIES = ("greedy", "temperature", "top-k")
# The arguments a run is resumed with must equal these; --epochs and --warmup may change.
RUN_ARGUMENTS = (
    "model",
    "layers",
    "hidden",
    "embedding_dim",
    "dropout",
    "scratch",
    "keep_case",
    "keep_punctuation",
    "data",
    "valid_fraction",
    "batch_size",
    "num_steps",
    "lr",
    "clip",
    "optimizer",
    "seed",
)


class CommandError(ValueError):
    """A mistake in a command's arguments or files; ``status`` is the exit status to return."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


def _option(name):
    return "--" + name.replace("_", "-")


# ---------------------------------------------------------------------------------------------
# Text: reading --data and turning it into character ids
# ---------------------------------------------------------------------------------------------


def _decode(raw: bytes, what: str) -> str:
    if not raw:
        raise CommandError(f"{what} is empty: give a file that holds some text")
    if b"\0" in raw:
        raise CommandError(f"{what} holds NUL bytes: it is a binary file, not text")
    try:
        # utf-8-sig drops the byte-order mark some editors put first.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CommandError(
            f"{what} is not UTF-8 text (byte {raw[err.start]:#04x} at offset {err.start}): "
            "convert it to UTF-8 first"
        ) from None


def load_data(data: str) -> tuple[str, str]:
    """Return ``(text, source)`` for ``--data``: a registered data set's name, or a file's path.

    A registered name wins over a file of the same name (write ``./name`` for the file).
    ``source`` is the name, or the file's absolute path.
    """
    known = datasets.known()
    if data in known:
        try:
            return datasets.load_text(data), data
        except datasets.DatasetError as err:
            raise CommandError(str(err)) from None
    path = Path(data).expanduser()
    if path.is_file():
        return _decode(path.read_bytes(), f"--data {data}"), str(path.resolve())
    what = "is a folder" if path.is_dir() else "is neither a file nor a registered data set"
    raise CommandError(
        f"--data {data!r} {what}: give a UTF-8 text file or one of the registered data sets: "
        f"{', '.join(known)}"
    )


def clean_chars(raw: str, keep_case: bool, keep_punctuation: bool, what: str) -> list[str]:
    """The characters of ``raw`` after :func:`rnnkit.text.clean`; refuse a text left empty."""
    chars = list(text.clean(raw, keep_case=keep_case, keep_punctuation=keep_punctuation))
    if not chars:
        kept = "every non-space character" if keep_punctuation else "ASCII letters and spaces"
        raise CommandError(f"{what} holds no text once cleaned (only {kept} are kept)")
    return chars


def _split(ids, valid_fraction):
    from rnnkit import sequences

    try:
        return sequences.train_valid_split(ids, valid_fraction)
    except ValueError as err:
        raise CommandError(f"--valid-fraction {valid_fraction}: {err}") from None


# ---------------------------------------------------------------------------------------------
# Files: atomic writes, the training log, loading a model folder
# ---------------------------------------------------------------------------------------------


def _replace_atomically(path: Path, write) -> None:
    """Call ``write(tmp)`` for a temporary file next to ``path``, then rename it to ``path``."""
    # Keras insists on the .keras suffix, so the temporary name keeps the real one's suffix.
    tmp = path.with_name(f".{os.getpid()}.{secrets.token_hex(4)}.{path.name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_json(payload: dict, path: Path) -> None:
    def write(tmp):
        with open(tmp, "x", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())

    _replace_atomically(path, write)


def _read_log(folder: Path) -> dict:
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
        and all(name in log["args"] for name in (*RUN_ARGUMENTS, "epochs", "warmup"))
    )
    if not ok:
        raise CommandError(f"{path} is not an rnnkit training log (written by rnnkit train)")
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


def _open_folder(folder) -> tuple[Path, Vocab, dict]:
    """Check a model folder and return it with its vocabulary and training log (no TensorFlow)."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise CommandError(
            f"--model {folder}: no such folder; train a model first with "
            f"'rnnkit train --out {folder}'"
        )
    if not folder.is_dir():
        raise CommandError(f"--model {folder} is not a folder: give the --out of rnnkit train")
    return folder, _load_vocab(folder), _read_log(folder)


def _load_model(folder: Path, vocab: Vocab):
    import keras

    # Importing these registers rnnkit's layers, which the .keras file refers to by name.
    from rnnkit import cells, wrappers  # noqa: F401
    from rnnkit.lm import RNNLM

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


def _save_model(model, folder: Path) -> None:
    _replace_atomically(folder / MODEL_FILE, model.save)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


def build_model(cell, layers, hidden, vocab_size, embedding_dim=None, dropout=0.0, scratch=False):
    """The RNNLM of ``rnnkit train``: ``layers`` recurrent layers of ``hidden`` units each.

    ``cell`` is ``"rnn"``, ``"gru"`` or ``"lstm"``; ``scratch=True`` uses the cells of
    :mod:`rnnkit.cells` inside ``keras.layers.RNN`` instead of the Keras built-in layers. More
    than one layer makes a :class:`rnnkit.wrappers.Stacked` with ``dropout`` between layers.
    Characters enter one-hot, or through a learned embedding of ``embedding_dim`` values.
    """
    import keras

    from rnnkit import cells, wrappers
    from rnnkit.lm import RNNLM

    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    builtin = {"rnn": keras.layers.SimpleRNN, "gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
    own = {"rnn": cells.RNNCell, "gru": cells.GRUCell, "lstm": cells.LSTMCell}

    def one_layer():
        if scratch:
            return keras.layers.RNN(own[cell](hidden), return_sequences=True, return_state=True)
        return builtin[cell](hidden, return_sequences=True, return_state=True)

    if layers == 1:
        recurrent = one_layer()
    else:
        recurrent = wrappers.Stacked(
            [one_layer() for _ in range(layers)],
            dropout=dropout,
            return_sequences=True,
            return_state=True,
        )
    encoding = "one_hot" if embedding_dim is None else "embedding"
    return RNNLM(vocab_size, recurrent, encoding=encoding, embedding_dim=embedding_dim)


# ---------------------------------------------------------------------------------------------
# rnnkit train
# ---------------------------------------------------------------------------------------------


def _check_train_args(args) -> None:
    if args.bidirectional:
        raise CommandError(
            "--bidirectional is refused for language modelling: a bidirectional layer also reads "
            "the text backwards, so its output at character t has already seen character t + 1, "
            "the one it must predict; its training loss collapses towards 0 and it cannot "
            "generate text (see rnnkit.lm.reads_the_future)"
        )
    if args.dropout and args.layers == 1:
        raise CommandError(
            f"--dropout {args.dropout} acts between stacked layers: use --layers 2 or more, or "
            "leave --dropout at 0"
        )


def _previous_run(out: Path, settings: dict, data_sha256: str, epochs: int):
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
    log = _read_log(out)
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


def _clear(out: Path) -> None:
    """Remove the files a previous run left in ``out`` (and nothing else)."""
    shutil.rmtree(out / CHECKPOINT_DIR, ignore_errors=True)
    for name in (MODEL_FILE, LOG_FILE):
        (out / name).unlink(missing_ok=True)


class _Progress:
    """One line per epoch; on a terminal also a bar that moves as the batches go by."""

    WIDTH = 24
    REDRAW_S = 0.1  # a terminal needs no more than ten redraws a second

    def __init__(self, epochs, batches, first_epoch, stream):
        self.epochs, self.batches, self.stream = epochs, batches, stream
        self.live = stream.isatty()
        self.epoch, self.done, self.shown, self.loss_sum = first_epoch, 0, 0, 0.0
        self.start = self.drawn = time.perf_counter()

    def elapsed(self):
        """Seconds since the current epoch started."""
        return time.perf_counter() - self.start

    def _show(self, line, end=""):
        # Padding wipes what is left of a longer line drawn before.
        self.stream.write("\r" + line.ljust(self.shown) + end if self.live else line + end)
        self.stream.flush()
        self.shown = 0 if end else len(line)

    def step(self, step, loss):
        """Batch ``step`` of this epoch is done; redraw the bar (with running loss) now and then."""
        self.done = step
        self.loss_sum += loss
        now = time.perf_counter()
        if now - self.drawn < self.REDRAW_S and self.done < self.batches:
            return
        self.drawn = now
        filled = self.WIDTH * self.done // self.batches
        seconds = now - self.start
        eta = seconds / self.done * (self.batches - self.done)
        mean = self.loss_sum / self.done
        self._show(
            f"epoch {self.epoch}/{self.epochs} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done}/{self.batches}  loss {mean:.4f}  perplexity {math.exp(mean):.3f}  "
            f"{seconds:.0f}s, about {eta:.0f}s to go"
        )

    def epoch_end(self, entry):
        """Print the finished epoch's line and start counting the next epoch's batches."""
        self._show(epoch_line(entry, self.epochs), end="\n")
        self.epoch, self.done, self.loss_sum = entry["epoch"] + 1, 0, 0.0
        self.start = time.perf_counter()


def epoch_line(entry: dict, epochs: int) -> str:
    """``epoch 2/10  loss 1.9133  perplexity 6.776  valid perplexity 6.542  12.3s``."""
    line = f"epoch {entry['epoch']}/{epochs}  loss {entry['loss']:.4f}  "
    line += f"perplexity {entry['perplexity']:.3f}"
    if entry.get("valid_perplexity") is not None:
        line += f"  valid perplexity {entry['valid_perplexity']:.3f}"
    if entry.get("seconds") is not None:
        line += f"  {entry['seconds']:.1f}s"
    return line


def _entries(history, previous):
    """One log entry per epoch of ``history``, keeping what ``previous`` entries measured."""
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


def _new_log(settings, data_sha256, vocab, train_ids, valid_ids) -> dict:
    return {
        "format": LOG_FORMAT,
        "version": 1,
        "args": settings,
        "data_sha256": data_sha256,
        "vocab_size": len(vocab),
        "train_characters": len(train_ids),
        "valid_characters": len(valid_ids),
        "epochs": [],
    }


def _announce(args, model, vocab, train_ids, valid_ids, batches) -> None:
    layers = f"{args.layers} layer{'s' if args.layers > 1 else ''}"
    kind = "scratch " if args.scratch else ""
    print(
        f"training a {kind}{args.model} ({layers} of {args.hidden} units, "
        f"{model.count_params():,} weights) on {args.data}: {len(train_ids):,} training and "
        f"{len(valid_ids):,} validation characters, {len(vocab)} tokens, {batches} batches of "
        f"{args.batch_size}x{args.num_steps} per epoch",
        flush=True,
    )


def train(args) -> int:
    """``rnnkit train``: train a character-level language model into ``args.out``, or resume it.

    ``args`` holds the parsed options of ``rnnkit train``. Returns the exit status.
    """
    _check_train_args(args)
    raw, source = load_data(args.data)
    chars = clean_chars(raw, args.keep_case, args.keep_punctuation, f"--data {args.data}")
    vocab = Vocab(chars)
    settings = {name: getattr(args, name) for name in RUN_ARGUMENTS} | {"data": source}
    data_sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file, not a folder")
    previous = None if args.force else _previous_run(out, settings, data_sha256, args.epochs)
    if previous is not None and previous.get("finished") and len(previous["epochs"]) == args.epochs:
        print(
            f"{out} already holds a finished run of {args.epochs} epochs (validation perplexity "
            f"{previous['final_valid_perplexity']:.3f}); nothing to do. Pass a larger --epochs to "
            "continue it, or --force to train again from scratch."
        )
        return 0

    from rnnkit import runmode, sequences, training

    ids = np.asarray(vocab[chars], dtype=np.int32)
    train_ids, valid_ids = _split(ids, args.valid_fraction)
    batches = sequences.num_batches(len(train_ids), args.batch_size, args.num_steps)
    if batches == 0:
        raise CommandError(
            f"--batch-size {args.batch_size} x --num-steps {args.num_steps} is too large for "
            f"the {len(train_ids):,} training characters of {args.data} (one batch needs "
            f"{args.batch_size * args.num_steps + args.num_steps:,}): use smaller sizes or more "
            "text"
        )
    if args.force:
        _clear(out)
    out.mkdir(parents=True, exist_ok=True)
    log = previous or _new_log(settings, data_sha256, vocab, train_ids, valid_ids)
    log["args"] = {**settings, "epochs": args.epochs, "warmup": args.warmup}
    log.update(finished=False, final_valid_perplexity=None)
    vocab.save(out / VOCAB_FILE)
    _write_json(log, out / LOG_FILE)

    runmode.setup(args.seed)
    model = build_model(
        args.model,
        args.layers,
        args.hidden,
        len(vocab),
        args.embedding_dim,
        args.dropout,
        args.scratch,
    )
    model.zero_state(1)  # builds the weights, so that they can be counted
    _announce(args, model, vocab, train_ids, valid_ids, batches)
    if log["epochs"]:
        print(f"resuming {out} after epoch {len(log['epochs'])}", flush=True)
    progress = _Progress(args.epochs, batches, len(log["epochs"]) + 1, sys.stdout)
    dataset = sequences.random_batches(train_ids, args.batch_size, args.num_steps, seed=args.seed)

    def valid_perplexity():
        return training.evaluate_perplexity(model, valid_ids, history=train_ids, warmup=args.warmup)

    def on_epoch_end(epoch, history):
        entries = _entries(history, log["epochs"])
        entries[-1]["seconds"] = progress.elapsed()
        entries[-1]["valid_perplexity"] = valid_perplexity()
        log["epochs"] = entries
        _save_model(model, out)
        _write_json(log, out / LOG_FILE)
        progress.epoch_end(entries[-1])

    try:
        history = training.train_custom(
            model,
            dataset,
            args.epochs,
            lr=args.lr,
            clip=args.clip,
            optimizer=args.optimizer,
            vocab=vocab,
            checkpoint_dir=out / CHECKPOINT_DIR,
            on_epoch_end=on_epoch_end,
            on_step_end=progress.step if progress.live else None,
            log_every=0,
        )
    except KeyboardInterrupt:
        print(
            f"{chr(10) if progress.live else ''}rnnkit: interrupted; rerun the same command to "
            f"resume {out} after its last finished epoch",
            file=sys.stderr,
        )
        return 130
    except training.TrainingDivergedError as err:
        raise CommandError(
            f"{err} The last finished epoch is kept in {out}; to start again with other "
            "arguments pass --force.",
            status=1,
        ) from None
    # After a crash between the checkpoint and the log, the log lacks the last epoch's numbers.
    log["epochs"] = _entries(history, log["epochs"])
    last = log["epochs"][-1]
    if last["valid_perplexity"] is None:
        last["valid_perplexity"] = valid_perplexity()
    log.update(finished=True, final_valid_perplexity=last["valid_perplexity"])
    _save_model(model, out)
    _write_json(log, out / LOG_FILE)
    print(
        f"validation perplexity {last['valid_perplexity']:.3f} (each validation character "
        f"predicted from all the text before it); saved {MODEL_FILE}, {VOCAB_FILE} and "
        f"{LOG_FILE} in {out}"
    )
    return 0


# ---------------------------------------------------------------------------------------------
# rnnkit generate and rnnkit evaluate
# ---------------------------------------------------------------------------------------------


def _prefix_tokens(prefix: str, vocab: Vocab, keep_case: bool) -> list[str]:
    """The prefix as characters the model knows; warn about unknown ones, refuse all-unknown."""
    chars = list(prefix if keep_case else prefix.lower())
    unknown = sorted({char for char in chars if char not in vocab})
    if chars and len(unknown) == len(set(chars)):
        known = "".join(sorted(token for token in vocab.idx_to_token if len(token) == 1))
        raise CommandError(
            f"--prefix {prefix!r}: none of its characters is in the model's vocabulary "
            f"({known!r}); give a prefix made of those characters"
        )
    if unknown:
        print(
            f"rnnkit: warning: prefix characters {unknown} are not in the model's vocabulary; "
            f"they are read as {vocab.unk_token!r}",
            file=sys.stderr,
        )
    return chars


def generate(args) -> int:
    """``rnnkit generate``: print the prefix and the model's continuation of it."""
    folder, vocab, log = _open_folder(args.model)
    chars = _prefix_tokens(args.prefix, vocab, log["args"]["keep_case"])
    if args.strategy == "top-k" and args.top_k > len(vocab):
        raise CommandError(
            f"--top-k {args.top_k} is larger than the vocabulary ({len(vocab)} tokens): use a "
            f"number from 1 to {len(vocab)}"
        )
    from rnnkit import generation

    model = _load_model(folder, vocab)
    with warnings.catch_warnings():
        # _prefix_tokens has already told the user about unknown characters, in one line.
        warnings.simplefilter("ignore")
        result = generation.generate(
            model,
            vocab,
            "".join(chars),
            args.num_tokens,
            strategy=args.strategy,
            temperature=args.temperature,
            top_k=args.top_k,
            seed=args.seed,
        )
    print(result)
    return 0


def evaluate(args) -> int:
    """``rnnkit evaluate``: print the model's validation perplexity on ``args.data``.

    The data (by default the training run's) is cleaned as the training text was, split at
    ``args.valid_fraction`` (by default the training run's) and scored by the fair protocol.
    """
    folder, vocab, log = _open_folder(args.model)
    run = log["args"]
    data = run["data"] if args.data is None else args.data
    raw, _ = load_data(data)
    chars = clean_chars(raw, run["keep_case"], run["keep_punctuation"], f"--data {data}")
    unknown = sum(char not in vocab for char in chars)
    if unknown:
        print(
            f"rnnkit: warning: {unknown:,} characters of --data {data} are not in the model's "
            f"vocabulary; they are read as {vocab.unk_token!r}",
            file=sys.stderr,
        )
    valid_fraction = run["valid_fraction"] if args.valid_fraction is None else args.valid_fraction
    warmup = run["warmup"] if args.warmup is None else args.warmup
    from rnnkit import training

    ids = np.asarray(vocab[chars], dtype=np.int32)
    train_ids, valid_ids = _split(ids, valid_fraction)
    model = _load_model(folder, vocab)
    perplexity = training.evaluate_perplexity(model, valid_ids, history=train_ids, warmup=warmup)
    print(
        f"validation perplexity {perplexity:.4f} on the last {valid_fraction * 100:g}% of {data} "
        f"({len(valid_ids):,} characters, each predicted from all the text before it; "
        f"warm-up {min(warmup, len(train_ids)):,} characters)"
    )
    return 0
