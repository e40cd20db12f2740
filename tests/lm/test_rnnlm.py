"""RNNLM: encodings, carrying the state between chunks, causality and .keras round trips."""

import keras
import numpy as np
import pytest

from rnnkit.layers import cells, wrappers
from rnnkit.lm import RNNLM, reads_the_future

V = 11
IDS = np.random.default_rng(0).integers(0, V, size=(2, 9)).astype("int32")


def seq_state(layer_class, units=8, **kwargs):
    return layer_class(units, return_sequences=True, return_state=True, **kwargs)


LAYERS = {
    "SimpleRNN": lambda: seq_state(keras.layers.SimpleRNN),
    "GRU": lambda: seq_state(keras.layers.GRU),
    "LSTM": lambda: seq_state(keras.layers.LSTM),
    "scratch GRUCell": lambda: keras.layers.RNN(
        cells.GRUCell(8), return_sequences=True, return_state=True
    ),
    "scratch LSTMCell": lambda: keras.layers.RNN(
        cells.LSTMCell(6), return_sequences=True, return_state=True
    ),
    "keras stacked cells": lambda: keras.layers.RNN(
        [keras.layers.GRUCell(5), keras.layers.LSTMCell(4)],
        return_sequences=True,
        return_state=True,
    ),
    "rnnkit Stacked": lambda: wrappers.Stacked(
        [cells.LSTMCell(5), keras.layers.GRU(4)], return_sequences=True, return_state=True
    ),
}


def make(name, encoding="one_hot", embedding_dim=None, seed=0):
    keras.utils.set_random_seed(seed)
    return RNNLM(V, LAYERS[name](), encoding=encoding, embedding_dim=embedding_dim)


@pytest.mark.parametrize(
    "name,encoding,embedding_dim",
    [(name, "one_hot", None) for name in LAYERS] + [("GRU", "embedding", 4)],
)
def test_keras_file_round_trip_gives_identical_logits(tmp_path, name, encoding, embedding_dim):
    model = make(name, encoding, embedding_dim)
    before = np.asarray(model(IDS))
    path = tmp_path / "lm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, RNNLM)
    assert (loaded.vocab_size, loaded.encoding, loaded.embedding_dim) == (
        V,
        encoding,
        embedding_dim,
    )
    np.testing.assert_array_equal(np.asarray(loaded(IDS)), before)


@pytest.mark.parametrize("name", ["GRU", "LSTM", "keras stacked cells", "rnnkit Stacked"])
def test_carrying_the_state_across_chunks_equals_one_long_pass(name):
    model = make(name)
    whole = np.asarray(model(IDS))
    first, state = model(IDS[:, :4], return_state=True)
    second, _ = model(IDS[:, 4:], initial_state=state, return_state=True)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-6)
    stepped, _ = model.step(IDS[:, 4:], model.step(IDS[:, :4])[1])
    np.testing.assert_allclose(np.asarray(stepped), whole[:, 4:], atol=1e-6)


def test_a_model_that_has_stepped_still_saves_and_loads(tmp_path):
    model = make("GRU")
    logits, _ = model.step(IDS)
    model.save(tmp_path / "stepped.keras")
    loaded = keras.saving.load_model(tmp_path / "stepped.keras")
    np.testing.assert_array_equal(np.asarray(loaded.step(IDS)[0]), np.asarray(logits))


def test_lstm_state_is_h_and_c_and_zero_state_matches_no_state():
    model = make("LSTM")
    logits, state = model(IDS, return_state=True)
    assert [tuple(s.shape) for s in state] == [(2, 8), (2, 8)]
    zeros = model.zero_state(2)
    assert all(not np.any(np.asarray(s)) for s in zeros)
    np.testing.assert_array_equal(np.asarray(model(IDS, initial_state=zeros)), np.asarray(logits))


def test_one_hot_is_an_embedding_lookup_in_the_identity_matrix():
    one_hot = make("GRU")
    expected = np.asarray(one_hot(IDS))
    table = make("GRU", encoding="embedding", embedding_dim=V, seed=1)
    table(IDS)
    table.embedding.set_weights([np.eye(V, dtype="float32")])
    table.rnn.set_weights(one_hot.rnn.get_weights())
    table.head.set_weights(one_hot.head.get_weights())
    np.testing.assert_allclose(np.asarray(table(IDS)), expected, atol=1e-6)


def _changes_before(model, position):
    """Whether changing the token at ``position`` changes any output before it."""
    edited = IDS.copy()
    edited[:, position] = (edited[:, position] + 1) % V
    return not np.allclose(model(IDS)[:, :position], model(edited)[:, :position])


def test_a_forward_model_never_looks_ahead_and_a_bidirectional_one_does():
    forward = make("GRU")
    assert forward.is_causal and not _changes_before(forward, 5)
    keras.utils.set_random_seed(0)
    both = RNNLM(V, keras.layers.Bidirectional(seq_state(keras.layers.GRU)))
    assert not both.is_causal and _changes_before(both, 5)


@pytest.mark.parametrize(
    "layer,reads_future",
    [
        (lambda: keras.layers.Bidirectional(seq_state(keras.layers.LSTM)), True),
        (lambda: wrappers.Bidirectional(seq_state(keras.layers.GRU)), True),
        (lambda: seq_state(keras.layers.GRU, go_backwards=True), True),
        (LAYERS["rnnkit Stacked"], False),
        (LAYERS["scratch GRUCell"], False),
    ],
)
def test_reads_the_future_spots_backward_reading_layers(layer, reads_future):
    assert reads_the_future(layer()) is reads_future
    assert RNNLM(V, layer()).is_causal is not reads_future


def test_rnnkit_bidirectional_model_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    model = RNNLM(V, wrappers.Bidirectional(seq_state(keras.layers.GRU)))
    before = np.asarray(model(IDS))
    model.save(tmp_path / "bi.keras")
    loaded = keras.saving.load_model(tmp_path / "bi.keras")
    np.testing.assert_array_equal(np.asarray(loaded(IDS)), before)
    assert not loaded.is_causal


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"vocab_size": 1}, "vocab_size must be an integer >= 2, got 1"),
        ({"vocab_size": 5.0}, "vocab_size must be an integer >= 2, got 5.0 (float)"),
        ({"encoding": "bag"}, "encoding must be one of ('one_hot', 'embedding'), got 'bag'"),
        ({"encoding": "embedding"}, "encoding='embedding' needs embedding_dim, a positive integer"),
        ({"encoding": "embedding", "embedding_dim": 0}, "embedding_dim must be an integer >= 1"),
        ({"embedding_dim": 4}, "embedding_dim=4 is only used with encoding='embedding'"),
        ({"recurrent_layer": "gru"}, "recurrent_layer must be a Keras layer"),
        (
            {"recurrent_layer": keras.layers.GRU(4)},
            "GRU must be built with return_sequences=True, return_state=True",
        ),
        (
            {"recurrent_layer": keras.layers.LSTM(4, return_sequences=True)},
            "LSTM must be built with return_state=True",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    arguments = {"vocab_size": V, "recurrent_layer": seq_state(keras.layers.GRU), **kwargs}
    with pytest.raises((TypeError, ValueError)) as info:
        RNNLM(**arguments)
    wrong_type = "(float)" in message
    assert isinstance(info.value, TypeError) == wrong_type, info.value
    assert message in str(info.value)
