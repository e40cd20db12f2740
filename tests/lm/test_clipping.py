"""Gradient clipping by global norm, against tf.clip_by_global_norm."""

import numpy as np
import pytest
import tensorflow as tf

from rnnkit.lm import clipping


def test_clip_gradients_matches_tf_clip_by_global_norm_with_none_gradients():
    rng = np.random.default_rng(1)
    grads = [tf.constant(rng.normal(size=(3, 4)), tf.float32), None, tf.constant([0.5, -2.0])]
    for theta in (0.3, 1e3):
        clipped, norm = clipping.clip_gradients(grads, theta)
        expected, expected_norm = tf.clip_by_global_norm(grads, theta)
        np.testing.assert_allclose(float(norm), float(expected_norm), rtol=1e-6)
        assert clipped[1] is None
        for ours, theirs in zip([clipped[0], clipped[2]], [expected[0], expected[2]], strict=True):
            np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)
    clipped, norm = clipping.clip_gradients(grads, 0.3)
    assert float(clipping.global_norm(clipped)) == pytest.approx(0.3, rel=1e-5)
    assert float(norm) > 1.0


def test_clip_gradients_leaves_zero_and_absent_gradients_alone():
    clipped, norm = clipping.clip_gradients([tf.zeros((2, 2)), None], 1.0)
    assert float(norm) == 0.0 and clipped[1] is None
    np.testing.assert_array_equal(np.asarray(clipped[0]), np.zeros((2, 2)))
    clipped, norm = clipping.clip_gradients([None, None], 1.0)
    assert clipped == [None, None] and float(norm) == 0.0


def test_clip_gradients_clips_embedding_slices_as_their_dense_gradient():
    # Row 1 appears twice: the true gradient is the sum of both slices.
    slices = tf.IndexedSlices(tf.constant([[3.0, 0.0], [1.0, 0.0]]), tf.constant([1, 1]), [3, 2])
    clipped, norm = clipping.clip_gradients([slices], 2.0)
    assert float(norm) == pytest.approx(4.0)
    np.testing.assert_allclose(np.asarray(clipped[0]), [[0, 0], [2, 0], [0, 0]])


@pytest.mark.parametrize(
    ("theta", "error"),
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), (float("inf"), ValueError)]
    + [("1", TypeError), (True, TypeError)],
)
def test_clip_gradients_rejects_a_bad_threshold(theta, error):
    with pytest.raises(error, match="theta must be a finite number > 0"):
        clipping.clip_gradients([tf.ones(2)], theta)
