"""Tests for rnnkit.checks: numbers, vocabulary sizes and token ids, and the errors they raise."""

import math

import numpy as np
import pytest
import tensorflow as tf

from rnnkit import checks


def batches(ids, dtype=tf.int32):
    """One batch of two rows, ``(X, Y)`` = the ids and the ids shifted by one."""
    ids = tf.constant(ids, dtype)
    return tf.data.Dataset.from_tensors((ids[:, :-1], ids[:, 1:]))


# --- numbers -------------------------------------------------------------------------------


def test_positive_number_returns_a_float():
    assert checks.positive_number(3, "lr") == 3.0 and isinstance(
        checks.positive_number(3, "lr"), float
    )
    assert checks.positive_number(np.float32(0.5), "clip") == 0.5


@pytest.mark.parametrize("value", [0, -0.1, math.nan, math.inf, True, "1", None])
def test_positive_number_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError) as info:
        checks.positive_number(value, "theta")
    assert str(info.value) == f"theta must be a positive finite number, got {value!r}"


def test_positive_integer_returns_an_int():
    assert checks.positive_integer(np.int64(4), "epochs") == 4
    assert type(checks.positive_integer(np.int64(4), "epochs")) is int


@pytest.mark.parametrize("value", [0, -2, 1.0, 2.5, True, "3"])
def test_positive_integer_refuses_anything_but_an_integer_above_zero(value):
    with pytest.raises(ValueError, match=f"chunk_size must be a positive integer, got {value!r}"):
        checks.positive_integer(value, "chunk_size")


def test_check_vocab_compares_sizes_and_skips_a_missing_vocabulary():
    checks.check_vocab(None, 5)
    checks.check_vocab(list("abcde"), 5)
    with pytest.raises(ValueError, match="vocab_size=5 but the vocabulary has 3 tokens"):
        checks.check_vocab(list("abc"), 5)


# --- token ids in a pipeline ---------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset",
    [
        np.zeros((2, 3), np.int32),
        tf.data.Dataset.from_tensors(tf.zeros((2, 3), tf.int32)),
        tf.data.Dataset.from_tensors((tf.zeros(3, tf.int32), tf.zeros(3, tf.int32))),
        batches([[0.0, 1.0, 2.0]], tf.float32),
    ],
    ids=["array", "not pairs", "rank 1", "floats"],
)
def test_id_batches_refuses_anything_but_pairs_of_integer_matrices(dataset):
    with pytest.raises(ValueError, match="valid must be a tf.data.Dataset of \\(X, Y\\) batches"):
        checks.id_batches(dataset, 10, "valid")


def test_id_batches_passes_good_ids_through_as_int32():
    [(x, y)] = list(checks.id_batches(batches([[1, 2, 3], [4, 5, 6]], tf.int64), 7, "dataset"))
    assert x.dtype == y.dtype == tf.int32
    np.testing.assert_array_equal(x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [[2, 3], [5, 6]])


def test_a_bad_id_is_explained_with_the_dataset_that_holds_it():
    good, bad = batches([[0, 1, 2]]), batches([[3, -1, 9]])
    with pytest.raises(ValueError) as info:
        with checks.bad_ids_explained(5, dataset=good, extra=None, valid=bad):
            list(checks.id_batches(bad, 5, "valid"))
    assert str(info.value).startswith(
        "valid holds token ids from -1 to 9, but the model has vocab_size=5 (ids 0..4)"
    )


def test_a_bad_id_that_no_dataset_shows_again_keeps_the_original_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of the vocabulary range"):
        with checks.bad_ids_explained(5, dataset=batches([[0, 1, 2]])):
            list(checks.id_batches(batches([[7, 7, 7]]), 5, "dataset"))


def test_other_pipeline_errors_pass_through_unchanged():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not the ids' fault"):
        with checks.bad_ids_explained(5, dataset=batches([[9, 9, 9]])):
            tf.debugging.Assert(False, ["not the ids' fault"])


# --- token ids in an array -----------------------------------------------------------------


def test_id_array_returns_int32_and_accepts_an_empty_sequence():
    ids = checks.id_array([0, 3, 2], "tokens", 4)
    assert ids.dtype == np.int32 and ids.tolist() == [0, 3, 2]
    empty = checks.id_array([], "history", 4)
    assert empty.dtype == np.int32 and empty.shape == (0,)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1, 2], [3, 0]], "tokens must be a 1-D sequence of integer token ids"),
        ([0.0, 1.0], "got an array of shape (2,) and dtype float64"),
        ([0, 4], "tokens holds token ids from 0 to 4, but the model has vocab_size=4 (ids 0..3)"),
        ([-3, 1], "tokens holds token ids from -3 to 1"),
    ],
)
def test_id_array_refuses_shapes_types_and_ids_the_model_cannot_read(values, message):
    with pytest.raises(ValueError) as info:
        checks.id_array(values, "tokens", 4)
    assert message in str(info.value)
