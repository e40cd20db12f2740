"""What the layer tests share: the scratch cells and their twins, inputs, weight copying, runs.

A plain module, not a test module: the test modules of this folder import it.
"""

import functools

import keras
import numpy as np
import tensorflow as tf

from rnnkit.layers import cells, weights

ATOL = 1e-5
UNITS, DIM = 4, 3

# kind -> (scratch cell factory, built-in layer factory taking RNN options)
KINDS = {
    "rnn": (lambda: cells.RNNCell(UNITS), lambda **kw: keras.layers.SimpleRNN(UNITS, **kw)),
    "gru": (lambda: cells.GRUCell(UNITS), lambda **kw: keras.layers.GRU(UNITS, **kw)),
    "gru_reset_before": (
        lambda: cells.GRUCell(UNITS, reset_after=False),
        lambda **kw: keras.layers.GRU(UNITS, reset_after=False, **kw),
    ),
    "lstm": (lambda: cells.LSTMCell(UNITS), lambda **kw: keras.layers.LSTM(UNITS, **kw)),
}


def make_inputs(batch, steps, lengths=None, seed=0):
    """Random float inputs and a right-padded boolean mask (None when lengths is None)."""
    x = np.random.default_rng(seed).normal(size=(batch, steps, DIM)).astype("float32")
    if lengths is None:
        return x, None
    return x, np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


def randomize(layer, seed=1, scale=0.5):
    """Give every weight (biases included) random values so no block can hide as zeros."""
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        variable.assign(rng.normal(scale=scale, size=variable.shape).astype("float32"))


def copy_weights(direction, scratch, twin, scale=0.5):
    """Randomize the source side and copy it to the other side with to_keras or from_keras."""
    if direction == "to_keras":
        randomize(scratch, scale=scale)
        weights.to_keras(scratch, twin)
    else:
        randomize(twin, scale=scale)
        weights.from_keras(twin, scratch)


def _loss_gradients(layer, x, mask):
    """Outputs of ``layer`` and gradients of a fixed random projection of all of them."""
    variables = [v for cell in weights.cells_of(layer) for v in cell.trainable_weights]
    rng = np.random.default_rng(7)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = keras.tree.flatten(layer(x, mask=mask))
        probes = [rng.normal(size=tuple(o.shape)).astype("float32") for o in outputs]
        loss = sum(tf.reduce_sum(o * p) for o, p in zip(outputs, probes, strict=True))
    return outputs, tape.gradient(loss, [x] + variables)


def run(layer, x, mask=None, mode="eager"):
    """Flat outputs, d loss / d inputs, and each cell's weight gradients in the fused layout.

    ``mode`` is "eager" (fastest for a few steps), "graph" (for long sequences) or "jit".
    """
    compute = functools.partial(_loss_gradients, layer)
    if mode != "eager":
        compute = tf.function(compute, jit_compile=mode == "jit")
    outputs, grads = compute(tf.constant(x), None if mask is None else tf.constant(mask))
    assert all(g is not None for g in grads)
    per_cell, start = [], 1
    for cell in weights.cells_of(layer):
        stop = start + len(cell.trainable_weights)
        named = {
            v.name: np.asarray(g)
            for v, g in zip(cell.trainable_weights, grads[start:stop], strict=True)
        }
        start = stop
        scratch = isinstance(cell, tuple(weights.TWINS))
        per_cell.append(weights.fused_weights(cell, named) if scratch else named)
    return [np.asarray(o) for o in outputs], np.asarray(grads[0]), per_cell


def assert_same_run(got, want, atol=ATOL):
    """Compare two results of ``run`` element by element."""
    outputs, x_grad, cell_grads = got
    want_outputs, want_x_grad, want_cell_grads = want
    assert len(outputs) == len(want_outputs)
    for a, b in zip(outputs, want_outputs, strict=True):
        np.testing.assert_allclose(a, b, atol=atol)
    np.testing.assert_allclose(x_grad, want_x_grad, atol=atol)
    assert len(cell_grads) == len(want_cell_grads)
    for grads, want_grads in zip(cell_grads, want_cell_grads, strict=True):
        assert grads.keys() == want_grads.keys()
        for role in grads:
            np.testing.assert_allclose(grads[role], want_grads[role], atol=atol, err_msg=role)
