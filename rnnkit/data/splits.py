"""Splitting a corpus by position, and counting the batches an epoch of it gives.

Kept apart from :mod:`rnnkit.data.sequences` because neither needs TensorFlow: the command line
checks a user's sizes with them before TensorFlow loads. ``sequences`` re-exports both.
"""

import operator

from rnnkit import validate


def train_valid_test_split(corpus, valid_fraction=0.1, test_fraction=0.1):
    """Split ``corpus`` by position: a training head, then a validation part, then a test tail.

    With the defaults the first 80% train a model, the next 10% choose its settings and the last
    10% score the chosen model once. The parts are contiguous, so no window of one part overlaps
    another. Works on anything that supports ``len`` and slicing (lists, strings, NumPy arrays);
    the validation and test parts have ``round(len(corpus) * fraction)`` items each.
    """
    validate.fraction(valid_fraction, "valid_fraction")
    validate.fraction(test_fraction, "test_fraction")
    if valid_fraction + test_fraction >= 1:
        raise ValueError(
            f"valid_fraction + test_fraction = {valid_fraction + test_fraction:g} leaves no "
            "training text: together they must stay below 1"
        )
    length = len(corpus)
    num_valid, num_test = round(length * valid_fraction), round(length * test_fraction)
    empty = [
        side
        for side, size in (
            ("training", length - num_valid - num_test),
            ("validation", num_valid),
            ("test", num_test),
        )
        if size <= 0
    ]
    if empty:
        raise ValueError(
            f"valid_fraction={valid_fraction!r} and test_fraction={test_fraction!r} on a corpus "
            f"of {length} items leave the {' and '.join(empty)} part empty: use a longer corpus"
        )
    valid_start, test_start = length - num_valid - num_test, length - num_test
    return corpus[:valid_start], corpus[valid_start:test_start], corpus[test_start:]


def num_batches(num_tokens, batch_size, num_steps, offset=None):
    """Return how many ``(batch_size, num_steps)`` batches an epoch of a corpus gives.

    Both partitionings use ``(num_tokens - offset - 1) // (batch_size * num_steps)`` batches:
    each row needs ``num_steps`` inputs, and the targets reach one token further. With
    ``offset=None`` (a random offset each epoch) the count is the one that every offset in
    ``[0, num_steps)`` can fill, that is the one for ``offset = num_steps - 1``.
    """
    num_tokens = operator.index(num_tokens)
    batch_size = validate.positive_integer(batch_size, "batch_size")
    num_steps = validate.positive_integer(num_steps, "num_steps")
    if offset is None:
        offset = num_steps - 1
    else:
        offset = validate.integer(offset, "offset", minimum=0, maximum=num_steps - 1)
    return max(num_tokens - offset - 1, 0) // (batch_size * num_steps)
