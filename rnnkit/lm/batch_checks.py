"""Token ids in a ``tf.data`` pipeline, checked as it runs, and a readable error when they fail.

Token ids in a pipeline are only seen once it runs, so :func:`id_batches` checks each batch there
and :func:`bad_ids_explained` turns the pipeline's terse failure into a message that names the
dataset, its smallest and largest id and the model's vocabulary size.
"""

import contextlib

import numpy as np
import tensorflow as tf

_BAD_IDS = "rnnkit: token id out of the vocabulary range"


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
            f"(batch, num_steps), such as rnnkit.data.sequences.random_batches(...); got {spec!r}"
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
