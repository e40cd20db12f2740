"""What ``rnnkit train``, ``rnnkit generate`` and ``rnnkit evaluate`` do.

A trained model is one folder, the ``--out`` of ``rnnkit train``; :mod:`rnnkit.cli.run_folder` says
what it holds and reads and writes it. Rerunning an interrupted ``train`` command continues after
the last finished epoch, exactly as if it had never stopped.

Validation perplexities follow the workbook's fair protocol: every character of the validation
tail is predicted from all the text before it, the model's state warmed up on the last
``warmup`` training characters (:func:`rnnkit.lm.training.evaluate_perplexity`).

A mistake the user can fix (a missing file, a corrupt vocabulary, sizes that do not fit the data)
raises :class:`rnnkit.cli.errors.CommandError`, which the command line prints as one line;
anything else is a bug and keeps its traceback. TensorFlow is imported only after the cheap
checks have passed, so such mistakes are reported at once.
"""

import hashlib
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from rnnkit.cli import run_folder
from rnnkit.cli.config import TrainConfig
from rnnkit.cli.errors import CommandError
from rnnkit.data import datasets, text
from rnnkit.data.vocab import Vocab

CELLS = ("rnn", "gru", "lstm")
# The choices of rnnkit.lm.training and rnnkit.lm.generation, repeated so that the command line can
# offer them without loading TensorFlow (tests/test_cli.py checks that they agree).
OPTIMIZERS = ("adam", "sgd")
STRATEGIES = ("greedy", "temperature", "top-k")


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
    """The characters of ``raw`` after :func:`rnnkit.data.text.clean`; refuse a text left empty."""
    chars = list(text.clean(raw, keep_case=keep_case, keep_punctuation=keep_punctuation))
    if not chars:
        kept = "every non-space character" if keep_punctuation else "ASCII letters and spaces"
        raise CommandError(f"{what} holds no text once cleaned (only {kept} are kept)")
    return chars


def _split(ids, valid_fraction, test_fraction):
    """Train, validation and test ids: the workbook's split by position (80/10/10 by default)."""
    from rnnkit.data import sequences

    try:
        return sequences.train_valid_test_split(ids, valid_fraction, test_fraction)
    except ValueError as err:
        raise CommandError(
            f"--valid-fraction {valid_fraction} --test-fraction {test_fraction}: {err}"
        ) from None


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


def build_model(cell, layers, hidden, vocab_size, embedding_dim=None, dropout=0.0, scratch=False):
    """The RNNLM of ``rnnkit train``: ``layers`` recurrent layers of ``hidden`` units each.

    ``cell`` is ``"rnn"``, ``"gru"`` or ``"lstm"``; ``scratch=True`` uses the cells of
    :mod:`rnnkit.layers.cells` inside ``keras.layers.RNN`` instead of the Keras built-in layers.
    More than one layer makes a :class:`rnnkit.layers.Stacked` with ``dropout`` between layers.
    Characters enter one-hot, or through a learned embedding of ``embedding_dim`` values.
    """
    import keras

    from rnnkit.layers import cells, wrappers
    from rnnkit.lm.rnnlm import RNNLM

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


def _announce(config, model, vocab, train_ids, valid_ids, batches) -> None:
    layers = f"{config.layers} layer{'s' if config.layers > 1 else ''}"
    kind = "scratch " if config.scratch else ""
    print(
        f"training a {kind}{config.model} ({layers} of {config.hidden} units, "
        f"{model.count_params():,} weights) on {config.data}: {len(train_ids):,} training and "
        f"{len(valid_ids):,} validation characters, {len(vocab)} tokens, {batches} batches of "
        f"{config.batch_size}x{config.num_steps} per epoch",
        flush=True,
    )


def train(config: TrainConfig) -> int:
    """``rnnkit train``: train a character-level language model into ``config.out``, or resume.

    Returns the exit status.
    """
    raw, source = load_data(config.data)
    chars = clean_chars(raw, config.keep_case, config.keep_punctuation, f"--data {config.data}")
    vocab = Vocab(chars)
    settings = config.run_settings(source)
    data_sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    out = config.out
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file, not a folder")
    previous = (
        None if config.force else run_folder.previous_run(out, settings, data_sha256, config.epochs)
    )
    if (
        previous is not None
        and previous.get("finished")
        and len(previous["epochs"]) == config.epochs
    ):
        print(
            f"{out} already holds a finished run of {config.epochs} epochs (validation perplexity "
            f"{previous['final_valid_perplexity']:.3f}); nothing to do. Pass a larger --epochs to "
            "continue it, or --force to train again from scratch."
        )
        return 0

    from rnnkit import runmode
    from rnnkit.data import sequences
    from rnnkit.lm import perplexity, training

    ids = np.asarray(vocab[chars], dtype=np.int32)
    train_ids, valid_ids, test_ids = _split(ids, config.valid_fraction, config.test_fraction)
    batches = sequences.num_batches(len(train_ids), config.batch_size, config.num_steps)
    if batches == 0:
        raise CommandError(
            f"--batch-size {config.batch_size} x --num-steps {config.num_steps} is too large for "
            f"the {len(train_ids):,} training characters of {config.data} (one batch needs "
            f"{config.batch_size * config.num_steps + config.num_steps:,}): use smaller sizes or "
            "more text"
        )
    if config.force:
        run_folder.clear(out)
    out.mkdir(parents=True, exist_ok=True)
    log = previous or run_folder.new_log(
        settings, data_sha256, vocab, train_ids, valid_ids, test_ids
    )
    log["args"] = {**settings, "epochs": config.epochs, "warmup": config.warmup}
    log.update(finished=False, final_valid_perplexity=None)
    vocab.save(out / run_folder.VOCAB_FILE)
    run_folder.write_log(log, out)

    runmode.setup(config.seed)
    model = build_model(
        config.model,
        config.layers,
        config.hidden,
        len(vocab),
        config.embedding_dim,
        config.dropout,
        config.scratch,
    )
    model.zero_state(1)  # builds the weights, so that they can be counted
    _announce(config, model, vocab, train_ids, valid_ids, batches)
    if log["epochs"]:
        print(f"resuming {out} after epoch {len(log['epochs'])}", flush=True)
    progress = _Progress(config.epochs, batches, len(log["epochs"]) + 1, sys.stdout)
    dataset = sequences.random_batches(
        train_ids, config.batch_size, config.num_steps, seed=config.seed
    )

    def valid_perplexity():
        return perplexity.evaluate_perplexity(
            model, valid_ids, history=train_ids, warmup=config.warmup
        )

    def on_epoch_end(epoch, history):
        entries = run_folder.log_entries(history, log["epochs"])
        entries[-1]["seconds"] = progress.elapsed()
        entries[-1]["valid_perplexity"] = valid_perplexity()
        log["epochs"] = entries
        run_folder.save_model(model, out)
        run_folder.write_log(log, out)
        progress.epoch_end(entries[-1])

    try:
        history = training.train_custom(
            model,
            dataset,
            config.epochs,
            lr=config.lr,
            clip=config.clip,
            optimizer=config.optimizer,
            vocab=vocab,
            checkpoint_dir=out / run_folder.CHECKPOINT_DIR,
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
    log["epochs"] = run_folder.log_entries(history, log["epochs"])
    last = log["epochs"][-1]
    if last["valid_perplexity"] is None:
        last["valid_perplexity"] = valid_perplexity()
    log.update(finished=True, final_valid_perplexity=last["valid_perplexity"])
    run_folder.save_model(model, out)
    run_folder.write_log(log, out)
    print(
        f"validation perplexity {last['valid_perplexity']:.3f} (each validation character "
        f"predicted from all the text before it); saved {run_folder.MODEL_FILE}, "
        f"{run_folder.VOCAB_FILE} and {run_folder.LOG_FILE} in {out}"
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
    folder, vocab, log = run_folder.open_folder(args.model)
    chars = _prefix_tokens(args.prefix, vocab, log["args"]["keep_case"])
    if args.strategy == "top-k" and args.top_k > len(vocab):
        raise CommandError(
            f"--top-k {args.top_k} is larger than the vocabulary ({len(vocab)} tokens): use a "
            f"number from 1 to {len(vocab)}"
        )
    from rnnkit.lm import generation

    model = run_folder.load_model(folder, vocab)
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
    """``rnnkit evaluate``: print the model's validation (or test) perplexity on ``args.data``.

    The data (by default the training run's) is cleaned as the training text was, split by
    position with the training run's fractions (or those given) and one split is scored by the
    fair protocol: every character predicted from all the text before it.
    """
    folder, vocab, log = run_folder.open_folder(args.model)
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
    test_fraction = run["test_fraction"] if args.test_fraction is None else args.test_fraction
    warmup = run["warmup"] if args.warmup is None else args.warmup
    from rnnkit.lm.perplexity import evaluate_perplexity

    ids = np.asarray(vocab[chars], dtype=np.int32)
    train_ids, valid_ids, test_ids = _split(ids, valid_fraction, test_fraction)
    if args.split == "test":
        scored, history = test_ids, np.concatenate([train_ids, valid_ids])
        where = f"the last {test_fraction * 100:g}% of {data}"
    else:
        scored, history = valid_ids, train_ids
        where = f"the {valid_fraction * 100:g}% of {data} before its test part"
    model = run_folder.load_model(folder, vocab)
    perplexity = evaluate_perplexity(model, scored, history=history, warmup=warmup)
    name = "test" if args.split == "test" else "validation"
    print(
        f"{name} perplexity {perplexity:.4f} on {where} ({len(scored):,} characters, each "
        f"predicted from all the text before it; warm-up {min(warmup, len(history)):,} characters)"
    )
    return 0
