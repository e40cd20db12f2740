"""Token ids checked inside a tf.data pipeline, and the error that explains a bad one."""

import numpy as np
import pytest
import tensorflow as tf

from rnnkit.lm import batch_checks


def batches(ids, dtype=tf.int32):
    """One batch of two rows, ``(X, Y)`` = the ids and the ids shifted by one."""
    ids = tf.constant(ids, dtype)
    return tf.data.Dataset.from_tensors((ids[:, :-1], ids[:, 1:]))


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
        batch_checks.id_batches(dataset, 10, "valid")


def test_id_batches_passes_good_ids_through_as_int32():
    [(x, y)] = list(
        batch_checks.id_batches(batches([[1, 2, 3], [4, 5, 6]], tf.int64), 7, "dataset")
    )
    assert x.dtype == y.dtype == tf.int32
    np.testing.assert_array_equal(x, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [[2, 3], [5, 6]])


def test_a_bad_id_is_explained_with_the_dataset_that_holds_it():
    good, bad = batches([[0, 1, 2]]), batches([[3, -1, 9]])
    with pytest.raises(ValueError) as info:
        with batch_checks.bad_ids_explained(5, dataset=good, extra=None, valid=bad):
            list(batch_checks.id_batches(bad, 5, "valid"))
    assert str(info.value).startswith(
        "valid holds token ids from -1 to 9, but the model has vocab_size=5 (ids 0..4)"
    )


def test_a_bad_id_that_no_dataset_shows_again_keeps_the_original_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of the vocabulary range"):
        with batch_checks.bad_ids_explained(5, dataset=batches([[0, 1, 2]])):
            list(batch_checks.id_batches(batches([[7, 7, 7]]), 5, "dataset"))


def test_other_pipeline_errors_pass_through_unchanged():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not the ids' fault"):
        with batch_checks.bad_ids_explained(5, dataset=batches([[9, 9, 9]])):
            tf.debugging.Assert(False, ["not the ids' fault"])
