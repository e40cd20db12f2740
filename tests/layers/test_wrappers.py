"""Bidirectional and Stacked match keras.layers.Bidirectional and RNN(StackedRNNCells)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from twins import ATOL, DIM, KINDS, assert_same_run, copy_weights, make_inputs, randomize, run

from rnnkit.layers import cells, weights, wrappers

BUILTIN_CELLS = {
    "rnn": keras.layers.SimpleRNNCell,
    "gru": keras.layers.GRUCell,
    "gru_reset_before": lambda units: keras.layers.GRUCell(units, reset_after=False),
    "lstm": keras.layers.LSTMCell,
}
SCRATCH_CELLS = {
    "rnn": cells.RNNCell,
    "gru": cells.GRUCell,
    "gru_reset_before": lambda units: cells.GRUCell(units, reset_after=False),
    "lstm": cells.LSTMCell,
}


def bidirectional_pair(kind, merge_mode, **options):
    """rnnkit's Bidirectional over a scratch cell and Keras' over the built-in twin, built."""
    scratch_cell, built_in = KINDS[kind]
    options = {"return_sequences": True, "return_state": True, **options}
    scratch = wrappers.Bidirectional(
        keras.layers.RNN(scratch_cell(), **options), merge_mode=merge_mode
    )
    twin = keras.layers.Bidirectional(built_in(**options), merge_mode=merge_mode)
    for layer in (scratch, twin):
        layer.build((None, None, DIM))
    return scratch, twin


# (kind, merge_mode, batch, steps, lengths or None, RNN options, copy direction)
BIDIRECTIONAL_CASES = [
    *(
        ("gru", mode, 3, 5, (5, 3, 0), {}, direction)
        for mode, direction in zip(
            wrappers.MERGE_MODES, ["to_keras", "from_keras"] * 3, strict=False
        )
    ),
    ("lstm", "concat", 3, 5, (5, 2, 4), {"return_sequences": False}, "from_keras"),
    ("lstm", None, 2, 4, None, {}, "to_keras"),
    ("rnn", "sum", 2, 4, None, {"return_state": False}, "from_keras"),
    ("gru_reset_before", "mul", 3, 5, (5, 5, 1), {}, "to_keras"),
    ("gru", "ave", 1, 4, None, {}, "from_keras"),
    ("lstm", "concat", 2, 1, None, {}, "to_keras"),
]


@pytest.mark.parametrize(
    "kind, merge_mode, batch, steps, lengths, options, direction", BIDIRECTIONAL_CASES
)
def test_bidirectional_matches_keras(kind, merge_mode, batch, steps, lengths, options, direction):
    scratch, twin = bidirectional_pair(kind, merge_mode, **options)
    x, mask = make_inputs(batch, steps, lengths)
    copy_weights(direction, scratch, twin)
    assert_same_run(run(scratch, x, mask), run(twin, x, mask))


def test_bidirectional_with_initial_state_matches_keras():
    scratch, twin = bidirectional_pair("lstm", "concat")
    x, mask = make_inputs(2, 4, (4, 3))
    states = [np.full((2, 4), value, "float32") for value in (0.1, -0.2, 0.3, -0.4)]
    copy_weights("to_keras", scratch, twin)
    got = scratch(x, initial_state=states, mask=mask)
    want = twin(x, initial_state=states, mask=mask)
    assert len(got) == len(want) == 5
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL)


def test_bidirectional_uses_the_given_layers():
    forward = keras.layers.RNN(cells.GRUCell(4), return_sequences=True)
    backward = keras.layers.RNN(cells.GRUCell(4), return_sequences=True, go_backwards=True)
    layer = wrappers.Bidirectional(forward, backward_layer=backward, merge_mode=None)
    assert layer.forward_layer is forward and layer.backward_layer is backward
    twin = keras.layers.Bidirectional(
        keras.layers.GRU(4, return_sequences=True),
        backward_layer=keras.layers.GRU(4, return_sequences=True, go_backwards=True),
        merge_mode=None,
    )
    x, _ = make_inputs(2, 5)
    layer(x), twin(x)
    copy_weights("to_keras", layer, twin)
    for a, b in zip(layer(x), twin(x), strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL)


def test_bidirectional_realigns_whichever_direction_reads_backwards():
    # Wrapping a backwards layer makes the default copy the forward one; swapping the
    # weights of the two directions must then give the same sum as the usual order.
    usual = wrappers.Bidirectional(
        keras.layers.RNN(cells.LSTMCell(4), return_sequences=True), merge_mode="sum"
    )
    swapped = wrappers.Bidirectional(
        keras.layers.RNN(cells.LSTMCell(4), return_sequences=True, go_backwards=True),
        merge_mode="sum",
    )
    x, mask = make_inputs(3, 5, (5, 3, 2))
    usual(x), swapped(x)
    randomize(usual)
    swapped.forward_layer.set_weights(usual.backward_layer.get_weights())
    swapped.backward_layer.set_weights(usual.forward_layer.get_weights())
    assert swapped.backward_layer.go_backwards is False
    np.testing.assert_allclose(swapped(x, mask=mask), usual(x, mask=mask), atol=ATOL)


def test_bidirectional_rejects_bad_arguments():
    gru = keras.layers.RNN(cells.GRUCell(4))
    with pytest.raises(ValueError, match=r"merge_mode='max'.*'concat', 'sum', 'ave', 'mul', None"):
        wrappers.Bidirectional(gru, merge_mode="max")
    with pytest.raises(ValueError, match="layer=.*not a recurrent layer"):
        wrappers.Bidirectional(cells.GRUCell(4))
    with pytest.raises(ValueError, match="go_backwards"):
        wrappers.Bidirectional(gru, backward_layer=keras.layers.RNN(cells.GRUCell(4)))
    with pytest.raises(ValueError, match="return_sequences"):
        wrappers.Bidirectional(
            gru,
            backward_layer=keras.layers.RNN(
                cells.GRUCell(4), go_backwards=True, return_sequences=True
            ),
        )


def stacked_pair(kinds, units, as_layers=False, **options):
    """rnnkit's Stacked over scratch cells (or RNN layers) and RNN(StackedRNNCells) of twins."""
    scratch_cells = [SCRATCH_CELLS[k](u) for k, u in zip(kinds, units, strict=True)]
    if as_layers:
        scratch_cells = [keras.layers.RNN(cell) for cell in scratch_cells]
    scratch = wrappers.Stacked(scratch_cells, **options)
    twin = keras.layers.RNN(
        keras.layers.StackedRNNCells(
            [BUILTIN_CELLS[k](u) for k, u in zip(kinds, units, strict=True)]
        ),
        **options,
    )
    for layer in (scratch, twin):
        layer.build((None, None, DIM))
    return scratch, twin


# (kinds, units, cells or layers, batch, steps, lengths, return_sequences, return_state, direction)
STACKED_CASES = [
    (("gru", "lstm", "rnn"), (4, 3, 5), False, 3, 5, (5, 3, 0), True, True, "to_keras"),
    (("lstm", "gru_reset_before"), (4, 4), True, 3, 5, (5, 2, 4), False, True, "from_keras"),
    (("gru", "gru"), (3, 4), False, 2, 4, None, True, False, "from_keras"),
    (("rnn",), (4,), True, 1, 1, None, False, True, "to_keras"),
]


@pytest.mark.parametrize(
    "kinds, units, as_layers, batch, steps, lengths, sequences, state, direction", STACKED_CASES
)
def test_stacked_matches_stacked_rnn_cells(
    kinds, units, as_layers, batch, steps, lengths, sequences, state, direction
):
    scratch, twin = stacked_pair(
        kinds, units, as_layers, return_sequences=sequences, return_state=state
    )
    x, mask = make_inputs(batch, steps, lengths)
    copy_weights(direction, scratch, twin)
    result = run(scratch, x, mask)
    assert_same_run(result, run(twin, x, mask))
    states_per_layer = [2 if kind == "lstm" else 1 for kind in kinds]
    assert len(result[0]) == 1 + (sum(states_per_layer) if state else 0)


def test_stacked_matches_on_200_steps():
    scratch, twin = stacked_pair(("gru", "lstm"), (4, 4), return_sequences=True, return_state=True)
    x, mask = make_inputs(2, 200, (200, 120))
    copy_weights("to_keras", scratch, twin, scale=0.3)
    assert_same_run(run(scratch, x, mask, "graph"), run(twin, x, mask, "graph"))


def test_stacked_of_builtin_layers():
    layers = [keras.layers.GRU(4), keras.layers.LSTM(3, return_sequences=True)]
    stack = wrappers.Stacked(layers, return_sequences=True, return_state=True)
    assert stack.rnn_layers == layers
    assert [layer.return_sequences for layer in layers] == [True, True]
    twin = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.GRUCell(4), keras.layers.LSTMCell(3)]),
        return_sequences=True,
        return_state=True,
    )
    x, mask = make_inputs(2, 4, (4, 2))
    stack(x), twin(x)
    randomize(stack)
    twin.set_weights(stack.get_weights())
    assert_same_run(run(stack, x, mask), run(twin, x, mask))


def test_stacked_with_initial_state_matches_keras():
    scratch, twin = stacked_pair(("gru", "lstm"), (4, 3), return_sequences=True, return_state=True)
    x, mask = make_inputs(2, 4, (4, 3))
    h1, h2, c2 = (np.full((2, u), v, "float32") for u, v in ((4, 0.2), (3, -0.1), (3, 0.4)))
    copy_weights("from_keras", scratch, twin)
    got = scratch(x, initial_state=[h1, h2, c2], mask=mask)
    want = keras.tree.flatten(twin(x, initial_state=[h1, [h2, c2]], mask=mask))
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, atol=ATOL)


def test_stacked_dropout_acts_between_layers_in_training_only():
    x, _ = make_inputs(3, 5)
    plain = wrappers.Stacked([cells.GRUCell(4), cells.GRUCell(4)], return_sequences=True)
    dropped = wrappers.Stacked.from_config({**plain.get_config(), "dropout": 0.5})
    plain(x), dropped(x)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_allclose(dropped(x, training=False), plain(x), atol=ATOL)
    assert not np.allclose(dropped(x, training=True), plain(x), atol=1e-3)
    # With one layer there is nothing between layers to drop.
    single = wrappers.Stacked([cells.GRUCell(4)], dropout=0.5, return_sequences=True)
    np.testing.assert_allclose(single(x, training=True), single(x, training=False), atol=ATOL)


def test_stacked_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"layers_or_cells=\[\]"):
        wrappers.Stacked([])
    with pytest.raises(ValueError, match=r"dropout must be a finite number in \[0, 1\), got 1.0"):
        wrappers.Stacked([cells.GRUCell(4)], dropout=1.0)
    with pytest.raises(TypeError, match="dropout must be .* got '0.1'"):
        wrappers.Stacked([cells.GRUCell(4)], dropout="0.1")
    with pytest.raises(ValueError, match=r"layers_or_cells\[1\] has go_backwards=True"):
        wrappers.Stacked([cells.GRUCell(4), keras.layers.GRU(4, go_backwards=True)])
    with pytest.raises(ValueError, match=r"layers_or_cells\[0\]=.*neither an RNN cell"):
        wrappers.Stacked([keras.layers.Dense(4)])


def models_with_masks(dropout=0.25):
    """Embedding(mask_zero) -> Bidirectional -> Stacked -> Dense, in rnnkit and Keras twins.

    The two models get equal weights but share no layer, so each can train on its own.
    """
    ids = keras.Input((None,), dtype="int32")
    embeds = [keras.layers.Embedding(10, DIM, mask_zero=True) for _ in range(2)]
    denses = [keras.layers.Dense(2) for _ in range(2)]
    scratch_bi = wrappers.Bidirectional(keras.layers.RNN(cells.GRUCell(4), return_sequences=True))
    scratch_stack = wrappers.Stacked(
        [cells.LSTMCell(3), cells.RNNCell(4)], dropout=dropout, return_sequences=True
    )
    twin_bi = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))
    twin_stack = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(3), keras.layers.SimpleRNNCell(4)]),
        return_sequences=True,
    )
    scratch_hidden = scratch_stack(scratch_bi(embeds[0](ids)))
    scratch = keras.Model(ids, denses[0](scratch_hidden))
    twin = keras.Model(ids, denses[1](twin_stack(twin_bi(embeds[1](ids)))))
    randomize(scratch)
    for scratch_layer, twin_layer in ((embeds[0], embeds[1]), (denses[0], denses[1])):
        twin_layer.set_weights(scratch_layer.get_weights())
    weights.to_keras(scratch_bi, twin_bi)
    weights.to_keras(scratch_stack, twin_stack)
    return scratch, twin, scratch_hidden


IDS = np.array([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0], [0, 0, 0, 0, 0]])


def test_masks_flow_through_both_wrappers():
    scratch, twin, hidden = models_with_masks()
    assert hidden._keras_mask is not None
    np.testing.assert_allclose(scratch(IDS), twin(IDS), atol=ATOL)


@pytest.mark.slow
def test_model_with_masks_under_xla_predicts_like_keras():
    # Model.compile(jit_compile=True) quietly falls back to no XLA while op determinism is on
    # (as in these tests), so the model is compiled with tf.function directly.
    scratch, twin, _ = models_with_masks()
    predict = tf.function(lambda ids: scratch(ids, training=False), jit_compile=True)
    assert "HloModule" in predict.experimental_get_compiler_ir(IDS)(stage="hlo")
    np.testing.assert_allclose(predict(IDS), twin(IDS), atol=ATOL)


@pytest.mark.slow
@pytest.mark.parametrize("wrapper", ["bidirectional", "stacked"])
def test_wrappers_under_jit_compile_match_keras(wrapper):
    if wrapper == "bidirectional":
        scratch, twin = bidirectional_pair("gru", "concat")
    else:
        scratch, twin = stacked_pair(("lstm", "rnn"), (3, 4), return_state=True)
    x, mask = make_inputs(2, 4, (4, 2))
    copy_weights("to_keras", scratch, twin)
    assert_same_run(run(scratch, x, mask, "jit"), run(twin, x, mask))


def test_keras_file_round_trip(tmp_path):
    scratch, _, _ = models_with_masks()
    path = tmp_path / "wrappers.keras"
    scratch.save(path)
    loaded = keras.models.load_model(path)
    bi, stack = loaded.layers[2], loaded.layers[3]
    assert isinstance(bi, wrappers.Bidirectional) and isinstance(stack, wrappers.Stacked)
    assert stack.dropout == 0.25 and bi.merge_mode == "concat"
    np.testing.assert_array_equal(loaded(IDS), scratch(IDS))


@pytest.mark.parametrize("reset", ["reset_state", "reset_states"])
def test_stateful_wrappers_carry_and_reset_state(reset):
    x, _ = make_inputs(2, 6)
    stack = wrappers.Stacked(
        [keras.layers.RNN(cells.GRUCell(4), stateful=True) for _ in range(2)],
        return_sequences=True,
    )
    whole = np.asarray(stack(x))
    getattr(stack, reset)()
    halves = np.concatenate([stack(x[:, :3]), stack(x[:, 3:])], axis=1)
    np.testing.assert_allclose(halves, whole, atol=ATOL)
    bi = wrappers.Bidirectional(keras.layers.RNN(cells.LSTMCell(4), stateful=True))
    first = np.asarray(bi(x))
    assert not np.allclose(bi(x), first, atol=1e-4)
    getattr(bi, reset)()
    np.testing.assert_allclose(bi(x), first, atol=ATOL)
