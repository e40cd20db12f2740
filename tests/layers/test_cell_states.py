"""A cell called directly takes its state as Keras' cells do: a bare tensor or a list of one."""

import keras
import numpy as np
import pytest
from twins import ATOL, DIM, UNITS, copy_weights

from rnnkit.layers import cells

BATCH = 3  # several rows: a bare tensor read as states[0] would be its first row
TWINS = {
    "rnn": (lambda: cells.RNNCell(UNITS), lambda: keras.layers.SimpleRNNCell(UNITS)),
    "gru": (lambda: cells.GRUCell(UNITS), lambda: keras.layers.GRUCell(UNITS)),
    "gru_reset_before": (
        lambda: cells.GRUCell(UNITS, reset_after=False),
        lambda: keras.layers.GRUCell(UNITS, reset_after=False),
    ),
}


def _inputs():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(BATCH, DIM)).astype("float32")
    h = rng.normal(size=(BATCH, UNITS)).astype("float32")
    return x, h


@pytest.mark.parametrize("kind", sorted(TWINS))
@pytest.mark.parametrize("listed", [True, False], ids=["list", "bare tensor"])
def test_a_bare_or_listed_state_gives_the_built_in_cells_numbers(kind, listed):
    make_scratch, make_built_in = TWINS[kind]
    scratch, built_in = make_scratch(), make_built_in()
    x, h = _inputs()
    scratch.build((None, DIM))
    built_in.build((None, DIM))
    copy_weights("to_keras", scratch, built_in)
    state = [h] if listed else h
    out, new_state = scratch(x, state)
    expected_out, expected_state = built_in(x, state)
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected_out), atol=ATOL)
    assert isinstance(new_state, list) == listed == isinstance(expected_state, list)
    got_state = new_state[0] if listed else new_state
    np.testing.assert_allclose(np.asarray(got_state), np.asarray(out), atol=ATOL)
    # Every row used its own previous state: different rows, different outputs.
    assert not np.allclose(np.asarray(out)[0], np.asarray(out)[1])


@pytest.mark.parametrize("kind", sorted(TWINS))
def test_more_than_one_state_tensor_is_refused(kind):
    cell = TWINS[kind][0]()
    x, h = _inputs()
    with pytest.raises(ValueError, match="takes one state tensor"):
        cell(x, [h, h])


def test_the_lstm_cell_refuses_a_bare_tensor_instead_of_reading_it_row_by_row():
    cell = cells.LSTMCell(UNITS)
    x, h = _inputs()
    with pytest.raises(ValueError, match=r"list \[H, C\]"):
        cell(x, h)
    out, (h_t, c_t) = cell(x, [h, h])
    assert out.shape == h_t.shape == c_t.shape == (BATCH, UNITS)
