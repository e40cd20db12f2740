"""Perplexity: the Keras metric, and the fair evaluation of a model on a held-out text.

* :func:`from_loss` turns a mean cross-entropy (nats per token) into a perplexity.
* :class:`Perplexity` is ``exp`` of the mean cross-entropy, as a Keras metric.
* :func:`evaluate_perplexity` scores a text the fair way: every token predicted from all the
  text before it, as :func:`rnnkit.lm.ngrams.perplexity` does for the n-gram models.
* :func:`held_out_perplexity` is that protocol on a corpus's held-out part, the one number
  every chapter compares its models by.
"""

import math
import sys

import keras
import numpy as np

from rnnkit import validate
from rnnkit.lm import WARMUP
from rnnkit.lm.rnnlm import check_language_model


def from_loss(mean_loss):
    """Perplexity ``exp(mean_loss)`` of a mean loss in nats; inf (not OverflowError) if huge."""
    return math.exp(mean_loss) if mean_loss < math.log(sys.float_info.max) else math.inf


@keras.saving.register_keras_serializable(package="rnnkit")
class Perplexity(keras.metrics.Metric):
    """``exp`` of the mean cross-entropy of next-token logits against integer labels.

    A model that spreads its probability evenly over ``V`` tokens scores ``V``; one that is
    always certain and right scores 1. ``update_state(labels, logits)`` accumulates the summed
    loss and the token count, so the result is the perplexity of all tokens seen since the last
    ``reset_state()``, not an average of per-batch perplexities.
    """

    def __init__(self, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the cross-entropy of ``y_pred`` (logits) for labels ``y_true`` to the totals."""
        losses = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        if sample_weight is None:
            weights = keras.ops.ones_like(losses)
        else:
            weights = keras.ops.broadcast_to(
                keras.ops.cast(sample_weight, losses.dtype), keras.ops.shape(losses)
            )
        self.total.assign_add(keras.ops.sum(losses * weights))
        self.count.assign_add(keras.ops.sum(weights))

    def result(self):
        """The perplexity of everything seen so far (1 before any update)."""
        return keras.ops.exp(keras.ops.divide_no_nan(self.total, self.count))

    def reset_state(self):
        """Forget every token seen so far."""
        self.total.assign(0.0)
        self.count.assign(0.0)


def evaluate_perplexity(model, tokens, history=(), warmup=WARMUP, chunk_size=2048):
    """Perplexity of ``tokens`` (ids), every token predicted from all the text before it.

    This is the protocol of :func:`rnnkit.lm.ngrams.perplexity`: ``history`` is the text that
    precedes ``tokens`` (for a validation split, the training text); the model reads it to
    build up its state, but it is not scored. ``warmup=W`` reads only the last ``W`` tokens of
    ``history`` (faster, and as good, since the state forgets); ``None`` reads all of it.
    The default is the workbook's one warm-up, :data:`rnnkit.lm.WARMUP` characters.

    The text is run as one sequence in chunks of ``chunk_size`` tokens, each chunk starting from
    the state the previous one ended in, so the result equals one pass over the whole text.
    Without history the first token has nothing to be predicted from (an RNN needs an input to
    say anything), so it only serves as context and the remaining tokens are scored.
    """
    log_probs = token_log_probs(model, tokens, history, warmup, chunk_size)
    return from_loss(-math.fsum(log_probs) / len(log_probs))


def token_log_probs(model, tokens, history=(), warmup=WARMUP, chunk_size=2048):
    """Natural log of the probability the model gives each scored token (a float64 array).

    The same pass as :func:`evaluate_perplexity` (whose mean of these is ``-log`` of the
    perplexity), kept per token so that two models can be mixed token by token.
    """
    check_language_model(model)
    tokens = validate.token_ids(tokens, "tokens", model.vocab_size)
    history = validate.token_ids(history, "history", model.vocab_size)
    if warmup is not None:
        warmup = validate.integer(warmup, "warmup", minimum=0)
        history = history[len(history) - min(warmup, len(history)) :]
    chunk_size = validate.positive_integer(chunk_size, "chunk_size")
    if len(tokens) < (1 if len(history) else 2):
        raise ValueError(
            f"tokens holds {len(tokens)} token(s): with no history at least 2 are needed (the "
            "first only serves as context), otherwise at least 1"
        )
    text = np.concatenate([history, tokens])
    inputs, targets = text[:-1], text[1:]
    # targets[j] is text[j + 1]; the scored ones are those of `tokens` that have a predecessor.
    first_scored = max(len(history), 1) - 1
    state = model.zero_state(1)
    pieces = []
    for start in range(0, len(inputs), chunk_size):
        stop = min(start + chunk_size, len(inputs))
        logits, state = model.step(inputs[None, start:stop], state)
        if stop <= first_scored:
            continue
        losses = keras.losses.sparse_categorical_crossentropy(
            targets[start:stop], logits[0], from_logits=True
        )
        pieces.append(-np.asarray(losses, dtype=np.float64)[max(first_scored - start, 0) :])
    return np.concatenate(pieces)


def held_out_perplexity(model, corpus, split="valid", limit=None, warmup=WARMUP):
    """Fair perplexity of ``model`` on a held-out split of ``corpus`` (a ``CharCorpus``).

    Every character of ``split`` (``"valid"`` while choosing, ``"test"`` once at the end) is
    predicted from all the text before it, the state warmed up on the last ``warmup``
    characters before the split: :func:`evaluate_perplexity` on ``corpus.valid`` with
    ``history=corpus.train``, or on ``corpus.test`` with the training and validation text as
    history. ``limit`` scores only the first ``limit`` characters of the split, to keep a
    comparison of many models quick.
    """
    tokens, history = corpus.held_out(split)
    if limit is not None:
        tokens = tokens[: validate.positive_integer(limit, "limit")]
    return evaluate_perplexity(model, tokens, history=history, warmup=warmup)
