"""Turning one long sequence into training examples.

Two kinds of data come up in the sequence chapters:

* a real-valued time series, predicted from its ``tau`` previous values
  (:func:`lag_windows`, :func:`lag_dataset`);
* a corpus of token ids for a language model, cut into minibatches ``(X, Y)`` where ``Y`` is
  ``X`` shifted one token to the left (:func:`random_batches`, :func:`sequential_batches`).

Both language-model pipelines draw a fresh random offset in ``[0, num_steps)`` every time the
dataset is iterated (every epoch), so over many epochs every cut point of the corpus is seen.
The randomness comes from ``tf.data.Dataset.random`` with ``rerandomize_each_iteration=True``:
two datasets built with the same ``seed`` give the same sequence of epochs. As with every
seeded TensorFlow op, that sequence also depends on the global seed (``tf.random.set_seed``,
which :func:`rnnkit.runmode.setup` calls), so fix both to reproduce a run.

Every epoch has the same number of batches, :func:`num_batches`, which is also the dataset's
``cardinality()``: Keras then knows the epoch length, and a batch never comes up short.
"""

import numpy as np
import tensorflow as tf

from rnnkit import validate
from rnnkit.data.splits import num_batches, train_valid_test_split

__all__ = [
    "lag_windows",
    "lag_dataset",
    "train_valid_test_split",
    "num_batches",
    "random_batches",
    "sequential_batches",
]


def lag_windows(series, tau):
    """Cut a 1-D series into ``tau`` lagged inputs and the value that follows them.

    For a series of length ``n`` this returns float32 ``features`` of shape ``(n - tau, tau)``,
    row ``i`` being ``series[i : i + tau]``, and float32 ``labels`` of shape ``(n - tau,)``,
    ``labels[i]`` being ``series[i + tau]``.
    """
    values = np.asarray(series)
    if values.ndim != 1:
        raise ValueError(f"series must be 1-D, got an array of shape {values.shape}")
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise ValueError(f"series must hold numbers, got dtype {values.dtype}")
    tau = validate.integer(tau, "tau", minimum=1, maximum=len(values) - 1)
    values = values.astype(np.float32)
    # The last window would have no label, so windows are taken from all but the last value.
    features = np.lib.stride_tricks.sliding_window_view(values[:-1], tau).copy()
    labels = values[tau:].copy()
    return features, labels


def lag_dataset(series, tau, batch_size, shuffle=True, seed=0):
    """Return a ``tf.data.Dataset`` of ``(features, label)`` batches from :func:`lag_windows`.

    With ``shuffle=True`` the windows are reshuffled every epoch (deterministically for a
    fixed ``seed``); the last batch may be smaller than ``batch_size``. Use ``shuffle=False``
    to keep the windows in time order, for example to plot one-step-ahead predictions.
    """
    batch_size = validate.positive_integer(batch_size, "batch_size")
    features, labels = lag_windows(series, tau)
    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def _token_ids(corpus):
    """Return ``corpus`` as a 1-D int32 NumPy array, or raise ValueError naming ``corpus``."""
    ids = np.asarray(corpus)
    if ids.ndim != 1:
        raise ValueError(f"corpus must be a 1-D sequence of token ids, got shape {ids.shape}")
    if ids.size == 0:
        raise ValueError("corpus is empty: it needs at least num_steps + 1 token ids")
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"corpus must hold integer token ids, got dtype {ids.dtype}")
    return ids.astype(np.int32)


def _checked_num_batches(ids, batch_size, num_steps, offset=None):
    """Validate the arguments of a batching pipeline and return :func:`num_batches`."""
    batch_size = validate.positive_integer(batch_size, "batch_size")
    num_steps = validate.positive_integer(num_steps, "num_steps")
    count = num_batches(len(ids), batch_size, num_steps, offset)
    if count == 0:
        start = num_steps - 1 if offset is None else offset
        available = max(len(ids) - start - 1, 0) // num_steps
        where = "at every offset" if offset is None else f"at offset={offset}"
        if available == 0:
            raise ValueError(
                f"num_steps={num_steps} is too long for a corpus of {len(ids)} tokens: not one "
                f"subsequence of num_steps + 1 tokens fits {where}; use a smaller num_steps"
            )
        raise ValueError(
            f"batch_size={batch_size} is too large: a corpus of {len(ids)} tokens gives only "
            f"{available} subsequences of num_steps={num_steps} {where}; use "
            f"batch_size <= {available} or a smaller num_steps"
        )
    return count


def _epochs(seed, make_epoch, count):
    """Return a dataset whose every iteration calls ``make_epoch(seed_pair)`` afresh.

    ``Dataset.random`` with ``rerandomize_each_iteration=True`` yields a new number each time
    the dataset is iterated; it seeds the stateless ops inside ``make_epoch``, which keeps the
    whole epoch reproducible. ``assert_cardinality`` tells Keras the epoch length up front.
    """
    seed = validate.integer(seed, "seed")
    epoch_keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    dataset = epoch_keys.flat_map(lambda key: make_epoch(tf.stack([key, tf.constant(0, tf.int64)])))
    return dataset.apply(tf.data.experimental.assert_cardinality(count)).prefetch(tf.data.AUTOTUNE)


def _random_offset(seed_pair, num_steps):
    """Draw an offset in ``[0, num_steps)`` from a stateless seed."""
    return tf.random.stateless_uniform(
        [], seed=seed_pair, minval=0, maxval=num_steps, dtype=tf.int32
    )


def random_batches(corpus, batch_size, num_steps, seed=0):
    """Return a ``tf.data.Dataset`` of language-model batches by random partitioning.

    Each epoch draws an offset in ``[0, num_steps)``, cuts the corpus from there into
    non-overlapping subsequences of ``num_steps`` tokens, shuffles them and yields int32
    ``(X, Y)`` pairs of shape ``(batch_size, num_steps)`` with ``Y`` being ``X`` shifted by one
    token. Rows of one batch are unrelated, so the hidden state must be reset for every batch.
    An epoch has :func:`num_batches` batches; subsequences beyond that are left out at random.
    """
    ids = _token_ids(corpus)
    count = _checked_num_batches(ids, batch_size, num_steps)
    tokens = tf.constant(ids)
    total = len(ids)

    def make_epoch(seed_pair):
        # Independent seeds for the offset and the order, both derived from the epoch's seed.
        offset_seed, order_seed = tf.unstack(tf.random.experimental.stateless_split(seed_pair, 2))
        offset = _random_offset(offset_seed, num_steps)
        starts = offset + num_steps * tf.range((total - offset - 1) // num_steps)
        starts = tf.random.experimental.stateless_shuffle(starts, seed=order_seed)
        starts = starts[: count * batch_size]
        # One extra column per row holds the target of the row's last input.
        windows = tf.gather(tokens, starts[:, None] + tf.range(num_steps + 1)[None, :])
        windows = tf.reshape(windows, [count, batch_size, num_steps + 1])
        return tf.data.Dataset.from_tensor_slices((windows[:, :, :-1], windows[:, :, 1:]))

    return _epochs(seed, make_epoch, count)


def sequential_batches(corpus, batch_size, num_steps, seed=0, offset=None):
    """Return a ``tf.data.Dataset`` of language-model batches by sequential partitioning.

    The corpus, from an offset on, is split into ``batch_size`` contiguous streams, one per
    row: row ``b`` of batch ``i + 1`` continues exactly where row ``b`` of batch ``i`` ended, so
    a stateful model may carry its hidden state from batch to batch within an epoch. The
    offset is drawn in ``[0, num_steps)`` afresh each epoch from ``seed``, or fixed with
    ``offset=``. Batches are int32 ``(X, Y)`` of shape ``(batch_size, num_steps)``, ``Y`` being
    ``X`` shifted by one token; an epoch has :func:`num_batches` batches.
    """
    ids = _token_ids(corpus)
    count = _checked_num_batches(ids, batch_size, num_steps, offset)
    tokens = tf.constant(ids)
    used = count * batch_size * num_steps

    def stream_batches(row_major):
        # (batch_size, count * num_steps) -> (count, batch_size, num_steps): batch i holds
        # columns i * num_steps ... of every stream.
        blocks = tf.reshape(row_major, [batch_size, count, num_steps])
        return tf.transpose(blocks, [1, 0, 2])

    def make_epoch(seed_pair):
        start = _random_offset(seed_pair, num_steps) if offset is None else tf.constant(int(offset))
        inputs = tf.reshape(tokens[start : start + used], [batch_size, -1])
        targets = tf.reshape(tokens[start + 1 : start + 1 + used], [batch_size, -1])
        return tf.data.Dataset.from_tensor_slices((stream_batches(inputs), stream_batches(targets)))

    return _epochs(seed, make_epoch, count)
