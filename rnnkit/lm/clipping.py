"""Gradient clipping by global norm: ``g <- min(1, theta / ||g||) g`` over all gradients at once.

Chapter 4 writes this rule by hand; the training loops of :mod:`rnnkit.lm.training` use these
two functions, and a test checks them against ``tf.clip_by_global_norm``.
"""

import tensorflow as tf

from rnnkit import validate


def _dense(gradient):
    # An embedding's gradient arrives as IndexedSlices that may repeat rows; made dense, its
    # norm is the norm of the true gradient.
    return None if gradient is None else tf.convert_to_tensor(gradient)


def global_norm(grads):
    """The Euclidean norm of all gradients taken together as one long vector (None skipped)."""
    squares = [tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) for g in grads if g is not None]
    if not squares:
        return tf.constant(0.0)
    return tf.sqrt(tf.add_n(squares))


def clip_gradients(grads, theta):
    """Return ``(clipped, norm)``: every gradient scaled by ``min(1, theta / norm)``.

    ``norm`` is the global norm of all gradients before clipping, so after clipping the global
    norm is ``min(norm, theta)``: a step never moves further than ``theta`` times the learning
    rate, while its direction is kept. ``None`` gradients (variables the loss does not touch)
    stay ``None``; all-zero gradients stay zero.
    """
    theta = validate.positive_number(theta, "theta")
    grads = [_dense(g) for g in grads]
    norm = global_norm(grads)
    # theta / 0 is inf, and min(1, inf) = 1 leaves all-zero gradients alone.
    scale = tf.minimum(1.0, theta / norm)
    clipped = [None if g is None else g * tf.cast(scale, g.dtype) for g in grads]
    return clipped, norm
