"""What ``rnnkit train``, ``rnnkit generate`` and ``rnnkit evaluate`` do.

A trained model is one folder, the ``--out`` of ``rnnkit train``; :mod:`rnnkit.cli.run_folder` says
what it holds and reads and writes it. Rerunning an interrupted ``train`` command continues after
the last finished epoch, exactly as if it had never stopped.

Validation perplexities follow the workbook's fair protocol: every character of the validation
tail is predicted from all the text before it, the model's state warmed up on the last
``warmup`` training characters (:func:`rnnkit.lm.training.evaluate_perplexity`).

A mistake the user can fix (a missing file, a corrupt vocabulary, sizes that do not fit the data
or the memory, a diverging run) raises :class:`rnnkit.cli.errors.CommandError`, which the command
line prints as one line (:mod:`rnnkit.cli.entry` turns anything else into one line too, and
keeps the traceback in a file). TensorFlow is imported only after the cheap checks of
:mod:`rnnkit.cli.text_input`, :mod:`rnnkit.cli.memory` and the run folder have passed, so such
mistakes are reported at once.
"""

import hashlib
import math
import sys
import warnings
from pathlib import Path

import numpy as np

from rnnkit.cli import memory, progress, run_folder, text_input
from rnnkit.cli.config import TrainConfig
from rnnkit.cli.errors import CommandError, interrupted
from rnnkit.data import splits
from rnnkit.data.vocab import Vocab

CELLS = ("rnn", "gru", "lstm")
# The choices of rnnkit.lm.training and rnnkit.lm.generation, repeated so that the command line can
# offer them without loading TensorFlow (tests/test_cli.py checks that they agree).
OPTIMIZERS = ("adam", "sgd")
STRATEGIES = ("greedy", "temperature", "top-k")


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


def _announce(config, model, vocab, train_ids, valid_ids, batches) -> None:
    layers = f"{config.layers} layer{'s' if config.layers > 1 else ''}"
    kind = "scratch " if config.scratch else ""
    print(
        f"training a {kind}{config.cell} ({layers} of {config.hidden} units, "
        f"{model.count_params():,} weights) on {config.data}: {len(train_ids):,} training and "
        f"{len(valid_ids):,} validation characters, {len(vocab)} tokens, {batches} batches of "
        f"{config.batch_size}x{config.num_steps} per epoch",
        flush=True,
    )


class Diverged(Exception):
    """Training produced a non-finite loss or perplexity; the message says where."""


def _diverged_message(config, where: str) -> str:
    return (
        f"training diverged {where}. Try a lower --lr (now {config.lr:g}, say "
        f"{config.lr / 10:g}) or a smaller --clip (now {config.clip:g})"
    )


def train(config: TrainConfig) -> int:
    """``rnnkit train``: train a character-level language model into ``config.out``, or resume.

    Every check that needs no TensorFlow (the data, the sizes, the memory, the folder) comes
    first. Each epoch is committed by its checkpoint; the log and the best model are derived
    from it (see :mod:`rnnkit.cli.run_folder`). Returns the exit status.
    """
    if config.out.exists() and not config.out.is_dir():
        raise CommandError(f"--out {config.out} is a file, not a folder")
    raw, source = text_input.load_data(config.data)
    what = f"--data {config.data}"
    chars = text_input.clean_chars(raw, config.keep_case, config.keep_punctuation, what)
    vocab = Vocab(chars)
    settings = config.run_settings(source)
    data_sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    ids = np.asarray(vocab[chars], dtype=np.int32)
    del raw, chars
    fractions = config.valid_fraction, config.test_fraction
    train_ids, valid_ids, test_ids = text_input.split(ids, *fractions)
    batches = splits.num_batches(len(train_ids), config.batch_size, config.num_steps)
    if batches == 0:
        raise CommandError(
            f"--batch-size {config.batch_size} x --num-steps {config.num_steps} is too large for "
            f"the {len(train_ids):,} training characters of {config.data} (one batch needs "
            f"{config.batch_size * config.num_steps + config.num_steps:,}): use smaller sizes or "
            "more text"
        )
    memory.check_memory(config, len(vocab))
    out = config.out
    manifest = run_folder.claim(out)
    previous = (
        None if config.force else run_folder.previous_run(out, settings, data_sha256, config.epochs)
    )
    if previous is not None and previous["finished"] and len(previous["epochs"]) == config.epochs:
        print(
            f"{out} already holds a finished run of {config.epochs} epochs (best validation "
            f"perplexity {previous['best_valid_perplexity']:.3f}, epoch "
            f"{previous['best_epoch']}); nothing to do. Pass a larger --epochs to continue it, "
            "or --force to train again from scratch."
        )
        return 0
    try:
        parts = train_ids, valid_ids, test_ids
        return _train(config, manifest, previous, settings, data_sha256, vocab, parts, batches)
    except KeyboardInterrupt:
        return interrupted(f"{_kept(out)}; rerun the same command to resume")
    except MemoryError:
        raise memory.too_large(config, len(vocab)) from None


def _kept(out: Path) -> str:
    """What an interrupted run left in ``out``, in words."""
    try:
        done = len(run_folder.read_log(out)["epochs"])
    except CommandError:
        done = 0
    if not done:
        return f"no epoch had finished, so {out} holds no model yet"
    return f"{out} keeps its {done} finished epoch{'s' if done > 1 else ''}"


def _train(config, manifest, previous, settings, data_sha256, vocab, parts, batches) -> int:
    out = config.out
    train_ids, valid_ids, test_ids = parts
    if previous is None:
        manifest.clear()  # nothing but rnnkit's own files of a run not worth keeping
        log = run_folder.new_log(settings, data_sha256, vocab, train_ids, valid_ids, test_ids)
        manifest.write(run_folder.VOCAB_FILE, vocab.save)
    else:
        log = previous
    # A resumed run reads the same text, maybe from a new path: record where it is now.
    log["args"] = {**settings, "epochs": config.epochs, "warmup": config.warmup}
    log.update(finished=False)
    log.pop("stopped", None)
    manifest.write_json(run_folder.LOG_FILE, log)

    import tensorflow as tf

    from rnnkit import runmode
    from rnnkit.data import sequences
    from rnnkit.lm import perplexity, training

    runmode.setup(config.seed)
    try:
        model = build_model(
            config.cell,
            config.layers,
            config.hidden,
            len(vocab),
            config.embedding_dim,
            config.dropout,
            config.scratch,
        )
        model.zero_state(1)  # builds the weights, so that they can be counted
    except tf.errors.ResourceExhaustedError:
        raise memory.too_large(config, len(vocab)) from None
    _announce(config, model, vocab, train_ids, valid_ids, batches)
    shown = progress.Progress(config.epochs, batches, 1, sys.stdout)
    dataset = sequences.random_batches(
        train_ids, config.batch_size, config.num_steps, seed=config.seed
    )
    trained = []  # epochs trained by this process (not restored from a checkpoint)

    def on_epoch_end(epoch, history):
        seconds = shown.elapsed()
        if not math.isfinite(history.perplexity[-1]):
            raise Diverged(
                _diverged_message(config, f"in epoch {epoch}: the training perplexity overflowed")
            )
        valid = perplexity.evaluate_perplexity(
            model, valid_ids, history=train_ids, warmup=config.warmup
        )
        if not math.isfinite(valid):
            raise Diverged(
                _diverged_message(config, f"in epoch {epoch}: the validation perplexity is {valid}")
            )
        history.notes.append({"valid_perplexity": valid, "seconds": seconds})
        trained.append(epoch)

    def on_checkpoint(epoch, history):
        # The checkpoint is the epoch's commit; the best model and the log follow from it.
        run_folder.update_log(log, history)
        if log["best_epoch"] == epoch:
            run_folder.save_model(manifest, model, log)
        manifest.write_json(run_folder.LOG_FILE, log)
        if trained:
            shown.epoch_end(log["epochs"][-1])
        else:
            print(f"resuming {out} after epoch {epoch}", flush=True)
            shown.epoch = epoch + 1

    try:
        training.train_custom(
            model,
            dataset,
            config.epochs,
            lr=config.lr,
            clip=config.clip,
            optimizer=config.optimizer,
            vocab=vocab,
            checkpoint_dir=manifest.checkpoint_dir(),
            on_epoch_end=on_epoch_end,
            on_checkpoint=on_checkpoint,
            on_step_end=shown.step if shown.live else None,
            log_every=0,
        )
    except (training.TrainingDivergedError, Diverged) as err:
        if isinstance(err, training.TrainingDivergedError):
            where = f"at epoch {err.epoch}, step {err.step}: the loss is NaN or infinite"
            message = _diverged_message(config, where)
        else:
            message = str(err)
        log["stopped"] = {"reason": message}
        manifest.write_json(run_folder.LOG_FILE, log)
        done = len(log["epochs"])
        kept = f"the {done} epochs before it are kept in {out}" if done else "no epoch was kept"
        raise CommandError(f"{message}; {kept}.", status=1) from None
    except tf.errors.ResourceExhaustedError:
        raise memory.too_large(config, len(vocab)) from None
    log["finished"] = True
    manifest.write_json(run_folder.LOG_FILE, log)
    print(
        f"best validation perplexity {log['best_valid_perplexity']:.3f} at epoch "
        f"{log['best_epoch']} of {len(log['epochs'])} (each validation character predicted from "
        f"all the text before it); {out} holds that epoch's {run_folder.MODEL_FILE}, "
        f"{run_folder.VOCAB_FILE}, {run_folder.LOG_FILE}, and the last epoch in "
        f"{run_folder.CHECKPOINT_DIR}/ for resuming"
    )
    return 0


# ---------------------------------------------------------------------------------------------
# rnnkit generate and rnnkit evaluate
# ---------------------------------------------------------------------------------------------

MAX_TOKENS = 100_000  # rnnkit generate --num-tokens; a few minutes on a laptop CPU


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
    """``rnnkit generate``: print the prefix, then the model's continuation as it is produced."""
    folder, vocab, log = run_folder.open_folder(args.run)
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
        tokens = generation.stream(
            model,
            vocab,
            "".join(chars),
            args.num_tokens,
            strategy=args.strategy,
            temperature=args.temperature,
            top_k=args.top_k,
            seed=args.seed,
        )
    write = sys.stdout.write
    write("".join(chars))
    sys.stdout.flush()
    try:
        for token in tokens:
            write(token)
            sys.stdout.flush()
    finally:
        write("\n")  # after Ctrl-C too, so that the shell prompt starts on a line of its own
    return 0


def evaluate(args) -> int:
    """``rnnkit evaluate``: print the model's perplexity on one part of ``args.data``.

    The data (by default the training run's) is cleaned as the training text was. ``--split
    valid`` or ``test`` splits it by position with the training run's fractions (or those given)
    and scores that part; ``--split all`` scores the whole text. Either way the fair protocol:
    every character predicted from all the text before it.
    """
    folder, vocab, log = run_folder.open_folder(args.run)
    run = log["args"]
    data = run["data"] if args.data is None else args.data
    raw, _ = text_input.load_data(data)
    chars = text_input.clean_chars(raw, run["keep_case"], run["keep_punctuation"], f"--data {data}")
    unknown = [char for char in chars if char not in vocab]
    if unknown:
        distinct = sorted(set(unknown))
        shown = "".join(distinct[:20]) + ("..." if len(distinct) > 20 else "")
        print(
            f"rnnkit: warning: {len(unknown):,} of the {len(chars):,} characters of --data "
            f"{data} ({len(distinct)} distinct: {shown!r}) are not in the model's vocabulary; "
            f"they are read as {vocab.unk_token!r}, which makes the perplexity less meaningful",
            file=sys.stderr,
        )
    valid_fraction = run["valid_fraction"] if args.valid_fraction is None else args.valid_fraction
    test_fraction = run["test_fraction"] if args.test_fraction is None else args.test_fraction
    warmup = run["warmup"] if args.warmup is None else args.warmup
    ids = np.asarray(vocab[chars], dtype=np.int32)
    if args.split == "all":
        if len(ids) < 2:
            raise CommandError(f"--data {data} holds one character: there is nothing to predict")
        scored, history = ids, ids[:0]
        where = f"all of {data}"
    else:
        train_ids, valid_ids, test_ids = text_input.split(ids, valid_fraction, test_fraction)
        if args.split == "test":
            scored, history = test_ids, np.concatenate([train_ids, valid_ids])
            where = f"the last {test_fraction * 100:g}% of {data}"
        else:
            scored, history = valid_ids, train_ids
            where = f"the {valid_fraction * 100:g}% of {data} before its test part"
    from rnnkit.lm.perplexity import evaluate_perplexity

    model = run_folder.load_model(folder, vocab)
    perplexity = evaluate_perplexity(model, scored, history=history, warmup=warmup)
    name = {"test": "test", "valid": "validation", "all": "whole-text"}[args.split]
    print(
        f"{name} perplexity {perplexity:.4f} on {where} ({len(scored):,} characters, each "
        f"predicted from all the text before it; warm-up {min(warmup, len(history)):,} characters)"
    )
    return 0
