"""Argument checks of the training loops and the evaluation: numbers, vocabularies, token ids.

Each check hands back its argument in the form the caller goes on with (a float, an int, an int32
array, a dataset that checks its own batches) or raises ValueError naming the argument, the bad
value and what would be accepted. Token ids in a ``tf.data`` pipeline are only seen once the
pipeline runs, so :func:`id_batches` checks them there and :func:`bad_ids_explained` turns the
pipeline's terse failure into such a message.
"""

import contextlib
import math
import numbers

import numpy as np
import tensorflow as tf

_BAD_IDS = "rnnkit: token id out of the vocabulary range"


def positive_number(value, name):
    """``value`` as a float; ValueError naming ``name`` unless it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def positive_integer(value, name):
    """``value`` as an int; ValueError naming ``name`` unless it is an integer > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_vocab(vocab, vocab_size):
    """Refuse a vocabulary (None: nothing to check) whose size is not the model's ``vocab_size``."""
    if vocab is not None and len(vocab) != vocab_size:
        raise ValueError(
            f"the model has vocab_size={vocab_size} but the vocabulary has {len(vocab)} "
            f"tokens: build the model with RNNLM(len(vocab), ...)"
        )


def id_batches(dataset, vocab_size, name):
    """``dataset`` with int32 ``(X, Y)`` batches whose ids are checked as the pipeline runs.

    The structure is checked at once: ``dataset`` (the argument called ``name``) must yield pairs
    of integer tensors of rank 2, ``(batch, num_steps)``. An id outside ``0..vocab_size - 1``
    stops the pipeline; run it inside :func:`bad_ids_explained` for a readable error.
    """
    spec = getattr(dataset, "element_spec", None)
    if not (
        isinstance(spec, tuple)
        and len(spec) == 2
        and all(
            isinstance(s, tf.TensorSpec) and s.dtype.is_integer and s.shape.rank == 2 for s in spec
        )
    ):
        raise ValueError(
            f"{name} must be a tf.data.Dataset of (X, Y) batches of token ids with shape "
            f"(batch, num_steps), such as rnnkit.sequences.random_batches(...); got {spec!r}"
        )

    def check(x, y):
        x, y = tf.cast(x, tf.int32), tf.cast(y, tf.int32)
        both = tf.concat([tf.reshape(x, [-1]), tf.reshape(y, [-1])], 0)
        ok = tf.logical_and(tf.reduce_min(both) >= 0, tf.reduce_max(both) < vocab_size)
        with tf.control_dependencies([tf.debugging.Assert(ok, [_BAD_IDS])]):
            return tf.identity(x), tf.identity(y)

    return dataset.map(check)


def _id_range(dataset):
    """Smallest and largest token id in one pass over ``dataset``."""
    low, high = dataset.reduce(
        (tf.constant(np.iinfo(np.int64).max), tf.constant(np.iinfo(np.int64).min)),
        lambda acc, xy: (
            tf.minimum(acc[0], tf.cast(tf.reduce_min(tf.stack(xy)), tf.int64)),
            tf.maximum(acc[1], tf.cast(tf.reduce_max(tf.stack(xy)), tf.int64)),
        ),
    )
    return int(low), int(high)


@contextlib.contextmanager
def bad_ids_explained(vocab_size, **datasets):
    """Turn a failed :func:`id_batches` check in this block into a ValueError naming both sizes.

    ``datasets`` are the original datasets by argument name (None ones are skipped); the first
    one that holds an id out of range is named, with its smallest and largest id. Any other
    error, or one whose bad id no dataset shows on a fresh pass (a dataset that redraws its cuts
    may leave it out), passes through unchanged.
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as err:
        if _BAD_IDS not in str(err):
            raise
        for name, dataset in datasets.items():
            if dataset is None:
                continue
            low, high = _id_range(dataset)
            if low < 0 or high >= vocab_size:
                raise ValueError(
                    f"{name} holds token ids from {low} to {high}, but the model has "
                    f"vocab_size={vocab_size} (ids 0..{vocab_size - 1}): build the model with "
                    "the size of the vocabulary that encoded the data, RNNLM(len(vocab), ...)"
                ) from None
        raise


def id_array(values, name, vocab_size):
    """``values`` as a 1-D int32 array of ids in ``0..vocab_size - 1`` (empty is allowed)."""
    ids = np.asarray(values)
    if ids.size == 0:
        return np.zeros(0, dtype=np.int32)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{name} must be a 1-D sequence of integer token ids (use vocab[list(text)]), got "
            f"an array of shape {ids.shape} and dtype {ids.dtype}"
        )
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(
            f"{name} holds token ids from {ids.min()} to {ids.max()}, but the model has "
            f"vocab_size={vocab_size} (ids 0..{vocab_size - 1}): encode the text with the "
            "vocabulary the model was trained with"
        )
    return ids.astype(np.int32)
