"""Tests for rnnkit.data.sequences: lag windows, the train/validation split and LM minibatches."""

import numpy as np
import pytest
import tensorflow as tf

from rnnkit.data import sequences

LM_PIPELINES = [sequences.random_batches, sequences.sequential_batches]


def one_epoch(dataset):
    """Iterate ``dataset`` once and return its batches as a list of NumPy ``(X, Y)`` pairs."""
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def epochs_equal(first, second):
    return len(first) == len(second) and all(
        np.array_equal(x1, x2) and np.array_equal(y1, y2)
        for (x1, y1), (x2, y2) in zip(first, second, strict=True)
    )


# --- lag windows ---------------------------------------------------------------------------


def test_lag_windows_values_and_shapes():
    features, labels = sequences.lag_windows(np.arange(10) * 2, tau=3)
    assert features.shape == (7, 3) and labels.shape == (7,)
    assert features.dtype == np.float32 and labels.dtype == np.float32
    for i in range(7):
        np.testing.assert_array_equal(features[i], [2 * i, 2 * i + 2, 2 * i + 4])
        assert labels[i] == 2 * (i + 3)


def test_lag_windows_accepts_a_list_and_the_largest_tau():
    features, labels = sequences.lag_windows([0.5, 1.5, 2.5], tau=2)
    np.testing.assert_array_equal(features, [[0.5, 1.5]])
    np.testing.assert_array_equal(labels, [2.5])


@pytest.mark.parametrize(
    ("tau", "error"),
    [(0, ValueError), (-1, ValueError), (10, ValueError), (11, ValueError)]
    + [(2.5, TypeError), (True, TypeError)],
)
def test_lag_windows_rejects_bad_tau(tau, error):
    message = rf"tau must be an integer in \[1, 9\], got {tau!r}"
    with pytest.raises(error, match=message):
        sequences.lag_windows(np.arange(10), tau)


@pytest.mark.parametrize(
    ("series", "message"),
    [(np.zeros((4, 3)), r"series must be 1-D, got an array of shape \(4, 3\)"), ("abc", "1-D")],
)
def test_lag_windows_rejects_bad_series(series, message):
    with pytest.raises(ValueError, match=message):
        sequences.lag_windows(series, 1)


def test_lag_windows_rejects_non_numeric_series():
    with pytest.raises(ValueError, match="series must hold numbers"):
        sequences.lag_windows(["a", "b", "c"], 1)


def test_lag_dataset_in_order_matches_lag_windows():
    features, labels = sequences.lag_windows(np.arange(20), 4)
    batches = one_epoch(sequences.lag_dataset(np.arange(20), 4, batch_size=5, shuffle=False))
    assert [len(y) for _, y in batches] == [5, 5, 5, 1]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), features)
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)


def test_lag_dataset_shuffles_every_epoch_reproducibly():
    dataset = sequences.lag_dataset(np.arange(40), 3, batch_size=8, seed=5)
    first, second = one_epoch(dataset), one_epoch(dataset)
    order = np.concatenate([y for _, y in first])
    np.testing.assert_array_equal(np.sort(order), np.arange(3, 40))
    assert not np.array_equal(order, np.concatenate([y for _, y in second]))
    for x, y in first:
        np.testing.assert_array_equal(x[:, -1] + 1, y)
    twin = sequences.lag_dataset(np.arange(40), 3, batch_size=8, seed=5)
    assert epochs_equal(first, one_epoch(twin))


def test_lag_dataset_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        sequences.lag_dataset(np.arange(10), 2, batch_size=0)


# --- train/validation/test split ------------------------------------------------------------


def test_split_is_contiguous_80_10_10_by_default():
    train, valid, test = sequences.train_valid_test_split(np.arange(100))
    np.testing.assert_array_equal(train, np.arange(80))
    np.testing.assert_array_equal(valid, np.arange(80, 90))
    np.testing.assert_array_equal(test, np.arange(90, 100))


@pytest.mark.parametrize(
    ("corpus", "fractions", "expected"),
    [
        ("abcdefghij", (0.2, 0.1), ("abcdefg", "hi", "j")),
        (list(range(7)), (0.3, 0.3), ([0, 1, 2], [3, 4], [5, 6])),
        (list(range(3)), (0.2, 0.2), ([0], [1], [2])),
    ],
)
def test_split_works_on_strings_and_lists(corpus, fractions, expected):
    parts = sequences.train_valid_test_split(corpus, *fractions)
    assert parts == expected
    assert parts[0] + parts[1] + parts[2] == corpus


@pytest.mark.parametrize(
    ("fraction", "error"),
    [(0, ValueError), (1, ValueError), (-0.1, ValueError), (1.5, ValueError)]
    + [(True, TypeError), ("0.1", TypeError), (None, TypeError)],
)
@pytest.mark.parametrize("name", ["valid_fraction", "test_fraction"])
def test_split_rejects_fractions_outside_the_open_unit_interval(fraction, error, name):
    message = rf"{name} must be a finite number in \(0, 1\), got {fraction!r}"
    with pytest.raises(error, match=message):
        sequences.train_valid_test_split(np.arange(10), **{name: fraction})


def test_split_rejects_fractions_that_leave_no_training_text():
    with pytest.raises(ValueError, match="valid_fraction \\+ test_fraction = 1 leaves no training"):
        sequences.train_valid_test_split(np.arange(10), 0.5, 0.5)


@pytest.mark.parametrize(
    ("fractions", "sides"),
    [((0.1, 0.4), "validation"), ((0.1, 0.1), "validation and test"), ((0.4, 0.5), "training")],
)
def test_split_rejects_an_empty_side(fractions, sides):
    with pytest.raises(ValueError, match=f"on a corpus of 3 items leave the {sides} part empty"):
        sequences.train_valid_test_split("abc", *fractions)


# --- language-model batches: shared behaviour ----------------------------------------------


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_batches_have_static_shapes_and_known_cardinality(make):
    dataset = make(np.arange(100), batch_size=2, num_steps=5)
    spec = tf.TensorSpec(shape=(2, 5), dtype=tf.int32)
    assert dataset.element_spec == (spec, spec)
    assert int(dataset.cardinality()) == sequences.num_batches(100, 2, 5) == 9
    batches = one_epoch(dataset)
    assert len(batches) == 9
    for x, y in batches:
        assert x.shape == y.shape == (2, 5)
        np.testing.assert_array_equal(y, x + 1)


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_targets_are_inputs_shifted_on_a_non_arithmetic_corpus(make):
    corpus = np.random.default_rng(0).integers(0, 50, size=300)
    for x, y in one_epoch(make(corpus, batch_size=4, num_steps=6, seed=2)):
        np.testing.assert_array_equal(y[:, :-1], x[:, 1:])
        for row_x, row_y in zip(x, y, strict=True):
            # Each row is a real stretch of the corpus followed by its next token.
            stretch = np.append(row_x, row_y[-1])
            starts = np.flatnonzero(
                np.all(np.lib.stride_tricks.sliding_window_view(corpus, 7) == stretch, axis=1)
            )
            assert starts.size > 0


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_same_seed_gives_the_same_epochs_and_another_seed_does_not(make):
    first, twin = make(np.arange(200), 3, 4, seed=7), make(np.arange(200), 3, 4, seed=7)
    for _ in range(3):
        assert epochs_equal(one_epoch(first), one_epoch(twin))
    other = make(np.arange(200), 3, 4, seed=8)
    assert not all(
        epochs_equal(one_epoch(make(np.arange(200), 3, 4, seed=7)), one_epoch(other))
        for _ in range(3)
    )


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_offset_changes_between_epochs_and_stays_in_range(make):
    dataset = make(np.arange(120), batch_size=2, num_steps=5, seed=0)
    offsets = set()
    for _ in range(12):
        starts = np.concatenate([x[:, 0] for x, _ in one_epoch(dataset)])
        residues = set(starts % 5)
        assert len(residues) == 1, "all rows of one epoch must share one offset"
        offsets |= residues
    assert len(offsets) > 1 and offsets <= set(range(5))


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_works_with_a_list_corpus(make):
    batches = one_epoch(make(list(range(30)), batch_size=1, num_steps=4))
    assert len(batches) == sequences.num_batches(30, 1, 4) == 6


# --- random partitioning -------------------------------------------------------------------


def test_random_batches_never_repeat_a_subsequence_within_an_epoch():
    dataset = sequences.random_batches(np.arange(100), batch_size=3, num_steps=4, seed=1)
    for _ in range(4):
        starts = np.concatenate([x[:, 0] for x, _ in one_epoch(dataset)])
        assert len(starts) == len(set(starts)) == 3 * sequences.num_batches(100, 3, 4)
        # Same residue and distinct starts: the subsequences cannot overlap.
        assert np.all(np.diff(np.sort(starts)) % 4 == 0)


def test_random_batches_shuffle_the_order_between_epochs():
    dataset = sequences.random_batches(np.arange(100), batch_size=2, num_steps=5, seed=4)
    orders = [np.concatenate([x[:, 0] for x, _ in one_epoch(dataset)]) for _ in range(3)]
    for order in orders:
        # Shuffled, not merely shifted by the offset.
        assert not np.all(np.diff(order) > 0)
    assert not np.array_equal(orders[0], orders[1])


def test_random_batches_cover_the_corpus_after_the_offset():
    # 56 tokens hold 10 or 11 rows of 5 (+1 target) depending on the offset; an epoch takes 10.
    dataset = sequences.random_batches(np.arange(56), batch_size=2, num_steps=5, seed=3)
    for _ in range(6):
        starts = np.sort(np.concatenate([x[:, 0] for x, _ in one_epoch(dataset)]))
        offset = starts[0] % 5
        available = offset + 5 * np.arange((56 - offset - 1) // 5)
        assert set(starts) <= set(available)
        assert len(starts) == 10


# --- sequential partitioning ---------------------------------------------------------------


def test_sequential_rows_continue_across_batches():
    dataset = sequences.sequential_batches(np.arange(100), batch_size=3, num_steps=4, seed=2)
    for _ in range(3):
        batches = one_epoch(dataset)
        for (x, _), (x_next, _) in zip(batches, batches[1:], strict=False):
            np.testing.assert_array_equal(x_next[:, 0], x[:, -1] + 1)
        # Streams are consecutive stretches: row b + 1 starts where row b's stretch ends.
        first = batches[0][0][:, 0]
        np.testing.assert_array_equal(np.diff(first), len(batches) * 4)


def test_sequential_fixed_offset_is_the_same_every_epoch():
    dataset = sequences.sequential_batches(np.arange(50), batch_size=2, num_steps=4, offset=3)
    first = one_epoch(dataset)
    assert epochs_equal(first, one_epoch(dataset))
    assert len(first) == int(dataset.cardinality()) == sequences.num_batches(50, 2, 4, 3) == 5
    np.testing.assert_array_equal(first[0][0], [[3, 4, 5, 6], [23, 24, 25, 26]])
    np.testing.assert_array_equal(first[-1][1], [[20, 21, 22, 23], [40, 41, 42, 43]])


@pytest.mark.parametrize("length", [21, 29, 30, 31, 45])
@pytest.mark.parametrize("offset", [0, 2, 4])
def test_num_batches_is_the_most_that_fits(length, offset):
    count = sequences.num_batches(length, 2, 5, offset)
    assert offset + count * 10 + 1 <= length < offset + (count + 1) * 10 + 1
    if count:
        batches = one_epoch(sequences.sequential_batches(np.arange(length), 2, 5, offset=offset))
        assert len(batches) == count


def test_num_batches_with_a_random_offset_assumes_the_largest_offset():
    assert sequences.num_batches(100, 2, 5) == sequences.num_batches(100, 2, 5, offset=4) == 9
    assert sequences.num_batches(101, 2, 5, offset=0) == 10
    assert sequences.num_batches(3, 2, 5) == 0


# --- error paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", LM_PIPELINES)
@pytest.mark.parametrize(
    ("num_steps", "error"), [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_rejects_bad_num_steps(make, num_steps, error):
    with pytest.raises(error, match=f"num_steps must be an integer >= 1, got {num_steps}"):
        make(np.arange(100), 2, num_steps)


@pytest.mark.parametrize("make", LM_PIPELINES)
@pytest.mark.parametrize(
    ("batch_size", "error"),
    [(0, ValueError), (-1, ValueError), (1.0, TypeError), (None, TypeError)],
)
def test_rejects_bad_batch_size(make, batch_size, error):
    message = f"batch_size must be an integer >= 1, got {batch_size}"
    with pytest.raises(error, match=message):
        make(np.arange(100), batch_size, 5)


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_rejects_a_batch_size_the_corpus_cannot_fill(make):
    message = (
        r"batch_size=20 is too large: a corpus of 100 tokens gives only 19 subsequences "
        r"of num_steps=5 at every offset; use batch_size <= 19"
    )
    with pytest.raises(ValueError, match=message):
        make(np.arange(100), 20, 5)
    assert len(one_epoch(make(np.arange(100), 19, 5))) == 1


def test_sequential_batch_size_check_uses_the_fixed_offset():
    with pytest.raises(ValueError, match="gives only 19 subsequences of num_steps=5 at offset=0"):
        sequences.sequential_batches(np.arange(99), 20, 5, offset=0)
    assert len(one_epoch(sequences.sequential_batches(np.arange(101), 20, 5, offset=0))) == 1


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_rejects_num_steps_longer_than_the_corpus(make):
    with pytest.raises(ValueError, match="num_steps=10 is too long for a corpus of 10 tokens"):
        make(np.arange(10), 1, 10)


@pytest.mark.parametrize("make", LM_PIPELINES)
@pytest.mark.parametrize(
    ("corpus", "message"),
    [
        (np.arange(100).reshape(10, 10), r"corpus must be a 1-D sequence of token ids, got shape"),
        (np.linspace(0, 1, 100), "corpus must hold integer token ids, got dtype float64"),
        ("some text", r"corpus must be a 1-D sequence of token ids, got shape \(\)"),
        ([], "corpus is empty"),
    ],
)
def test_rejects_bad_corpus(make, corpus, message):
    with pytest.raises(ValueError, match=message):
        make(corpus, 2, 5)


@pytest.mark.parametrize("make", LM_PIPELINES)
def test_rejects_a_non_integer_seed(make):
    with pytest.raises(TypeError, match="seed must be an integer, got 'a'"):
        make(np.arange(100), 2, 5, seed="a")


@pytest.mark.parametrize(
    ("offset", "error"), [(5, ValueError), (-1, ValueError), (1.5, TypeError), ("0", TypeError)]
)
def test_sequential_rejects_bad_offset(offset, error):
    message = rf"offset must be an integer in \[0, 4\], got {offset!r}"
    with pytest.raises(error, match=message):
        sequences.sequential_batches(np.arange(100), 2, 5, offset=offset)
