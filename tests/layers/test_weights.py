"""Copying weights between scratch layers and built-in twins: layouts, round trips, errors."""

import keras
import numpy as np
import pytest

from rnnkit.layers import cells, weights, wrappers

DIM = 3
PAIRS = {
    "rnn": (lambda u=4: cells.RNNCell(u), lambda u=4: keras.layers.SimpleRNNCell(u)),
    "gru": (lambda u=4: cells.GRUCell(u), lambda u=4: keras.layers.GRUCell(u)),
    "gru_reset_before": (
        lambda u=4: cells.GRUCell(u, reset_after=False),
        lambda u=4: keras.layers.GRUCell(u, reset_after=False),
    ),
    "lstm": (lambda u=4: cells.LSTMCell(u), lambda u=4: keras.layers.LSTMCell(u)),
}


def built(layer, dim=DIM):
    """Build a cell or layer for ``dim`` input features and return it."""
    layer.build((None, dim) if hasattr(layer, "state_size") else (None, None, dim))
    return layer


def randomized(layer, seed=0):
    """Give every weight random values and return the layer."""
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        variable.assign(rng.normal(size=variable.shape).astype("float32"))
    return layer


def assert_same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_round_trip_through_the_scratch_cell(kind):
    make_scratch, make_twin = PAIRS[kind]
    source = randomized(built(make_twin()))
    scratch, target = built(make_scratch()), built(make_twin())
    weights.from_keras(source, scratch)
    weights.to_keras(scratch, target)
    assert_same_weights(source, target)


def test_round_trip_through_bidirectional_and_stacks():
    source = keras.layers.Bidirectional(
        keras.layers.RNN(
            keras.layers.StackedRNNCells([keras.layers.GRUCell(4), keras.layers.LSTMCell(3)])
        )
    )
    scratch = wrappers.Bidirectional(keras.layers.RNN(cells.GRUCell(4)))
    with pytest.raises(ValueError, match=r"holds 4 cell\(s\) but .* holds 2"):
        weights.from_keras(source, scratch)
    scratch = wrappers.Bidirectional(
        keras.layers.RNN(keras.layers.StackedRNNCells([cells.GRUCell(4), cells.LSTMCell(3)]))
    )
    target = keras.layers.Bidirectional.from_config(source.get_config())
    for layer in (source, scratch, target):
        built(layer)
    randomized(source)
    weights.from_keras(source, scratch)
    weights.to_keras(scratch, target)
    assert_same_weights(source, target)
    # Each direction's cells got their own weights, in order.
    backward_lstm = weights.cells_of(scratch)[3]
    assert backward_lstm is scratch.backward_layer.cell.cells[1]
    np.testing.assert_array_equal(
        backward_lstm.W_xc, np.asarray(source.backward_layer.cell.cells[1].kernel)[:, 6:9]
    )


def test_stacked_pairs_with_stacked_rnn_cells_layer_by_layer():
    stack = built(wrappers.Stacked([cells.LSTMCell(3), keras.layers.RNN(cells.RNNCell(2))]))
    cells_twin = built(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(3), keras.layers.SimpleRNNCell(2)])
    )
    randomized(stack)
    weights.to_keras(stack, cells_twin)
    first, second = stack.rnn_layers[0].cell, stack.rnn_layers[1].cell
    np.testing.assert_array_equal(cells_twin.cells[1].recurrent_kernel, second.W_hh)
    np.testing.assert_array_equal(cells_twin.cells[0].bias[3:6], first.b_f)


def test_fused_layout_puts_gates_in_keras_order():
    gru = built(cells.GRUCell(2))
    for k, name in enumerate(["W_xz", "W_xr", "W_xh", "b_xz", "b_xr", "b_xh"]):
        getattr(gru, name).assign(np.full(getattr(gru, name).shape, k + 1.0))
    for k, name in enumerate(["b_hz", "b_hr", "b_hh"]):
        getattr(gru, name).assign(np.full(2, -(k + 1.0)))
    fused = weights.fused_weights(gru)
    np.testing.assert_array_equal(fused["kernel"][0], [1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(fused["bias"], [[4, 4, 5, 5, 6, 6], [-1, -1, -2, -2, -3, -3]])
    lstm = built(cells.LSTMCell(1))
    for k, name in enumerate(["b_i", "b_f", "b_c", "b_o"]):
        getattr(lstm, name).assign([float(k)])
    np.testing.assert_array_equal(weights.fused_weights(lstm)["bias"], [0, 1, 2, 3])
    # Arbitrary per-gate arrays (gradients, say) can be arranged the same way.
    values = {v.name: np.full(v.shape, 7.0) for v in lstm.weights}
    np.testing.assert_array_equal(weights.fused_weights(lstm, values)["recurrent_kernel"], 7.0)


@pytest.mark.parametrize("kind", list(PAIRS))
def test_shape_mismatch_names_both_layers_and_shapes(kind):
    make_scratch, make_twin = PAIRS[kind]
    scratch = built(make_scratch())
    wider = built(make_twin(5))
    with pytest.raises(ValueError, match=r"'.*cell.*' has shape \(3, \d+\) but .*\(3, \d+\)"):
        weights.to_keras(scratch, wider)
    other_input = built(make_twin(), dim=DIM + 1)
    with pytest.raises(ValueError, match=r"from_keras: cannot copy kernel.*\(3, .*\(4, "):
        weights.from_keras(other_input, scratch)


def test_mismatched_or_unbuilt_layers_raise():
    gru, lstm = built(cells.GRUCell(4)), built(keras.layers.LSTMCell(4))
    with pytest.raises(ValueError, match="not the twin of GRUCell.*keras.layers.GRUCell"):
        weights.to_keras(gru, lstm)
    with pytest.raises(ValueError, match="reset_after=True but .*reset_after=False"):
        weights.to_keras(gru, built(keras.layers.GRUCell(4, reset_after=False)))
    with pytest.raises(ValueError, match="has no weights yet"):
        weights.to_keras(gru, keras.layers.GRUCell(4))
    with pytest.raises(ValueError, match="has no bias"):
        weights.to_keras(gru, built(keras.layers.GRUCell(4, use_bias=False)))
    with pytest.raises(ValueError, match="is not a scratch cell"):
        weights.to_keras(built(keras.layers.GRUCell(4)), built(keras.layers.GRUCell(4)))
    with pytest.raises(ValueError, match="cell=.* is not a scratch cell"):
        weights.fused_weights(lstm)


def test_failed_copy_leaves_the_target_untouched():
    stack = built(wrappers.Stacked([cells.GRUCell(4), cells.GRUCell(4)]))
    target = built(keras.layers.StackedRNNCells([keras.layers.GRUCell(4), keras.layers.GRUCell(5)]))
    before = [np.copy(w) for w in target.get_weights()]
    randomized(stack)
    with pytest.raises(ValueError, match="cannot copy kernel"):
        weights.to_keras(stack, target)
    for old, new in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
