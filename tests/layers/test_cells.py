"""The scratch cells compute what the Keras built-ins compute: outputs, states and gradients."""

import keras
import numpy as np
import pytest
from twins import (
    ATOL,
    DIM,
    KINDS,
    UNITS,
    assert_same_run,
    copy_weights,
    make_inputs,
    randomize,
    run,
)

from rnnkit.layers import cells, weights

BUILTIN_CELLS = {
    "rnn": lambda: keras.layers.SimpleRNNCell(UNITS),
    "gru": lambda: keras.layers.GRUCell(UNITS),
    "gru_reset_before": lambda: keras.layers.GRUCell(UNITS, reset_after=False),
    "lstm": lambda: keras.layers.LSTMCell(UNITS),
}

# case -> (batch, steps, lengths of the unpadded part or None, extra RNN options, copy direction)
CASES = {
    "plain": (3, 5, None, {}, "to_keras"),
    "plain_copied_back": (3, 5, None, {}, "from_keras"),
    "masked_with_empty_row": (3, 5, (5, 3, 0), {}, "from_keras"),
    "go_backwards_masked": (3, 5, (5, 2, 4), {"go_backwards": True}, "to_keras"),
    "last_output_only": (2, 4, (4, 2), {"return_sequences": False}, "from_keras"),
    "batch_1": (1, 4, None, {}, "to_keras"),
    "one_step": (2, 1, None, {}, "from_keras"),
}


def make_pair(kind, **options):
    """A scratch cell in keras.layers.RNN and the built-in twin, same options, both built."""
    scratch_cell, built_in = KINDS[kind]
    options = {"return_sequences": True, "return_state": True, **options}
    scratch, twin = keras.layers.RNN(scratch_cell(), **options), built_in(**options)
    for layer in (scratch, twin):
        layer.build((None, None, DIM))
    return scratch, twin


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_cell_matches_builtin(kind, case):
    batch, steps, lengths, options, direction = CASES[case]
    scratch, twin = make_pair(kind, **options)
    x, mask = make_inputs(batch, steps, lengths)
    copy_weights(direction, scratch, twin)
    assert_same_run(run(scratch, x, mask), run(twin, x, mask))


@pytest.mark.parametrize("kind", list(KINDS))
def test_cell_matches_builtin_on_200_steps(kind):
    scratch, twin = make_pair(kind)
    x, mask = make_inputs(2, 200, (200, 150))
    copy_weights("to_keras", scratch, twin, scale=0.3)
    assert_same_run(run(scratch, x, mask, "graph"), run(twin, x, mask, "graph"))


def test_copy_matters():
    # Guards the comparisons above: without copying, the two layers disagree.
    scratch, twin = make_pair("gru")
    x, _ = make_inputs(2, 3)
    randomize(scratch)
    assert not np.allclose(scratch(x)[0], twin(x)[0], atol=1e-3)


@pytest.mark.parametrize("kind", list(KINDS))
def test_mask_from_embedding_and_masking_layers(kind):
    scratch_cell, built_in = KINDS[kind]
    ids = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [0, 0, 0, 0, 0]])
    embed = keras.layers.Embedding(10, DIM, mask_zero=True)
    scratch = keras.layers.RNN(scratch_cell(), return_sequences=True)
    twin = built_in(return_sequences=True)
    inputs = keras.Input((None,), dtype="int32")
    scratch_model = keras.Model(inputs, scratch(embed(inputs)))
    twin_model = keras.Model(inputs, twin(embed(inputs)))
    copy_weights("to_keras", scratch, twin)
    np.testing.assert_allclose(scratch_model(ids), twin_model(ids), atol=ATOL)
    # The same padding expressed as all-zero feature vectors behind keras.layers.Masking.
    vectors = np.asarray(embed(ids)) * (ids != 0)[..., None]
    masking = keras.layers.Masking(0.0)
    np.testing.assert_allclose(scratch(masking(vectors)), twin(masking(vectors)), atol=ATOL)
    np.testing.assert_allclose(scratch(masking(vectors)), scratch_model(ids), atol=ATOL)


@pytest.mark.parametrize("kind", list(KINDS))
def test_stateful_carries_state_between_calls(kind):
    scratch_cell, _ = KINDS[kind]
    layer = keras.layers.RNN(scratch_cell(), return_sequences=True, stateful=True)
    x, _ = make_inputs(2, 6)
    whole = np.asarray(layer(x))
    layer.reset_state()
    first, second = np.asarray(layer(x[:, :3])), np.asarray(layer(x[:, 3:]))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=ATOL)
    layer.reset_state()
    np.testing.assert_allclose(layer(x[:, :3]), first, atol=ATOL)


def make_stacked_pair():
    """keras.layers.RNN over StackedRNNCells of every scratch kind, and of the built-in twins."""
    options = {"return_sequences": True, "return_state": True}
    scratch = keras.layers.RNN(
        keras.layers.StackedRNNCells([make() for make, _ in KINDS.values()]), **options
    )
    twin = keras.layers.RNN(
        keras.layers.StackedRNNCells([make() for make in BUILTIN_CELLS.values()]), **options
    )
    for layer in (scratch, twin):
        layer.build((None, None, DIM))
    return scratch, twin


@pytest.mark.parametrize("direction", ["to_keras", "from_keras"])
def test_inside_stacked_rnn_cells(direction):
    scratch, twin = make_stacked_pair()
    x, mask = make_inputs(3, 5, (5, 3, 1))
    copy_weights(direction, scratch, twin)
    assert_same_run(run(scratch, x, mask), run(twin, x, mask))


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_inside_keras_bidirectional(kind):
    scratch_cell, built_in = KINDS[kind]
    scratch = keras.layers.Bidirectional(keras.layers.RNN(scratch_cell(), return_sequences=True))
    twin = keras.layers.Bidirectional(built_in(return_sequences=True))
    x, mask = make_inputs(3, 5, (5, 3, 1))
    scratch(x), twin(x)
    copy_weights("from_keras", scratch, twin)
    assert_same_run(run(scratch, x, mask), run(twin, x, mask))


@pytest.mark.slow
def test_jit_compile_matches_builtin():
    # One compiled stack holds every kind of cell, so XLA compiles once for all of them.
    scratch, twin = make_stacked_pair()
    x, mask = make_inputs(2, 4, (4, 2))
    copy_weights("to_keras", scratch, twin)
    assert_same_run(run(scratch, x, mask, "jit"), run(twin, x, mask))


@pytest.mark.parametrize("kind", list(KINDS))
def test_keras_file_round_trip(kind, tmp_path):
    scratch_cell, _ = KINDS[kind]
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(10, DIM, mask_zero=True)(inputs)
    hidden = keras.layers.RNN(scratch_cell(), return_sequences=True)(hidden)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    randomize(model)
    ids = np.array([[1, 2, 3, 4], [5, 6, 0, 0]])
    path = tmp_path / f"{kind}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[2].cell) is type(model.layers[2].cell)
    np.testing.assert_array_equal(loaded(ids), model(ids))


@pytest.mark.parametrize("kind", list(KINDS))
def test_seeded_initializers_give_the_builtin_weights(kind):
    # Initializers see the fused shape, as in Keras, so the same seeds give the same numbers.
    seeded = {
        "kernel_initializer": keras.initializers.GlorotUniform(seed=1),
        "recurrent_initializer": keras.initializers.Orthogonal(seed=2),
        "bias_initializer": keras.initializers.RandomNormal(seed=3),
    }
    scratch_class, twin_class = type(KINDS[kind][0]()), type(BUILTIN_CELLS[kind]())
    extra = {"reset_after": False} if kind == "gru_reset_before" else {}
    scratch, twin = scratch_class(UNITS, **extra, **seeded), twin_class(UNITS, **extra, **seeded)
    scratch.build((None, DIM))
    twin.build((None, DIM))
    for role, value in weights.fused_weights(scratch).items():
        np.testing.assert_allclose(value, getattr(twin, role), atol=1e-7, err_msg=role)


@pytest.mark.parametrize("unit_forget_bias, expected", [(True, 1.0), (False, 0.0)])
def test_lstm_unit_forget_bias(unit_forget_bias, expected):
    cell = cells.LSTMCell(UNITS, unit_forget_bias=unit_forget_bias)
    cell.build((None, DIM))
    np.testing.assert_array_equal(cell.b_f, np.full(UNITS, expected))
    np.testing.assert_array_equal(cell.b_i, np.zeros(UNITS))


def test_weights_are_named_per_gate():
    expected = {
        cells.RNNCell(UNITS): {"W_xh", "W_hh", "b_h"},
        cells.GRUCell(UNITS, reset_after=False): {
            *("W_xr", "W_hr", "b_r", "W_xz", "W_hz", "b_z", "W_xh", "W_hh", "b_h"),
        },
        cells.GRUCell(UNITS): {
            *("W_xr", "W_hr", "W_xz", "W_hz", "W_xh", "W_hh"),
            *("b_xr", "b_hr", "b_xz", "b_hz", "b_xh", "b_hh"),
        },
        cells.LSTMCell(UNITS): {
            *("W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f"),
            *("W_xo", "W_ho", "b_o", "W_xc", "W_hc", "b_c"),
        },
    }
    for cell, names in expected.items():
        cell.build((None, DIM))
        assert {v.name for v in cell.weights} == names
        shapes = {"W_x": (DIM, UNITS), "W_h": (UNITS, UNITS), "b": (UNITS,)}
        for name in names:
            assert getattr(cell, name).name == name
            assert tuple(getattr(cell, name).shape) == shapes[name[:3] if name[0] == "W" else "b"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_config_round_trip_and_initial_state(kind):
    cell = KINDS[kind][0]()
    clone = type(cell).from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    states = cell.get_initial_state(batch_size=2)
    expected_count = 2 if kind == "lstm" else 1
    assert len(states) == expected_count
    assert all(tuple(s.shape) == (2, UNITS) and not np.any(s) for s in states)
    assert cell.output_size == UNITS


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: cells.RNNCell(0), ValueError, "units must be an integer >= 1, got 0"),
        (lambda: cells.GRUCell(2.5), TypeError, "units must be an integer >= 1, got 2.5"),
        (lambda: cells.LSTMCell(True), TypeError, "units must be an integer >= 1, got True"),
        (
            lambda: cells.GRUCell(4, reset_after="yes"),
            TypeError,
            "reset_after must be True or False, got 'yes'",
        ),
        (
            lambda: cells.LSTMCell(4, unit_forget_bias=1),
            TypeError,
            "unit_forget_bias must be True or False, got 1",
        ),
    ],
)
def test_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("cell_class", [cells.RNNCell, cells.GRUCell, cells.LSTMCell])
def test_cell_builds_inside_a_subclassed_model_without_build(cell_class):
    # Keras builds such a model by tracing a graph and initializes variables elsewhere;
    # a weight drawn during the trace would be out of scope there.
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = keras.layers.RNN(cell_class(4), return_sequences=True)

        def call(self, x):
            return self.rnn(x)

    model = Model()
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((2, 5, 3), dtype=np.float32)
    history = model.fit(x, np.zeros((2, 5, 4), np.float32), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
