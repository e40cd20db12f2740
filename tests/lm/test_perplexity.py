"""Perplexity: the Keras metric, the fair evaluation of a model, the held-out perplexity."""

import math

import keras
import numpy as np
import pytest

from rnnkit.lm import (
    RNNLM,
    WARMUP,
    CharCorpus,
    Perplexity,
    evaluate_perplexity,
    held_out_perplexity,
    token_log_probs,
)

V = 11
RANDOM = np.random.default_rng(0).integers(0, V, size=400).astype(np.int32)


def _gru_model(units=12, seed=0):
    keras.utils.set_random_seed(seed)
    return RNNLM(V, keras.layers.GRU(units, return_sequences=True, return_state=True))


def test_perplexity_of_uniform_logits_is_the_vocabulary_size():
    metric = Perplexity()
    metric.update_state(RANDOM[:24].reshape(4, 6), np.zeros((4, 6, V), "float32"))
    assert float(metric.result()) == pytest.approx(V, abs=1e-4)


def test_perplexity_of_a_certain_and_right_model_is_one():
    labels = RANDOM[:24].reshape(4, 6)
    metric = Perplexity()
    metric.update_state(labels, 50.0 * np.eye(V, dtype="float32")[labels])
    assert float(metric.result()) == pytest.approx(1.0, abs=1e-6)


def test_perplexity_matches_a_hand_computation_and_resets():
    logits = np.array([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], "float32")
    labels = np.array([[0, 2]])
    # -log softmax: first row picks 2 of (2, 0, 0); second picks 0 of (0, 1, 0).
    first = math.log(math.exp(2) + 2) - 2
    second = math.log(2 + math.e)
    metric = Perplexity()
    metric.update_state(labels, logits)
    assert float(metric.result()) == pytest.approx(math.exp((first + second) / 2), rel=1e-6)
    metric.update_state(labels, logits, sample_weight=np.array([[1.0, 0.0]]))
    assert float(metric.result()) == pytest.approx(math.exp((2 * first + second) / 3), rel=1e-6)
    metric.reset_state()
    metric.update_state(labels, np.zeros_like(logits))
    assert float(metric.result()) == pytest.approx(3.0, abs=1e-5)


def test_perplexity_metric_is_serializable():
    metric = Perplexity(name="ppl")
    restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert isinstance(restored, Perplexity) and restored.name == "ppl"


# --- fair evaluation -----------------------------------------------------------------------


def _stateless_cross_entropy(model, text, first_scored):
    """Mean cross-entropy of text[first_scored:] from one pass over the whole text."""
    logits = model(text[None, :-1])[0]
    losses = keras.losses.sparse_categorical_crossentropy(text[1:], logits, from_logits=True)
    return float(np.mean(np.asarray(losses, np.float64)[first_scored - 1 :]))


@pytest.mark.parametrize("layer", [keras.layers.GRU, keras.layers.LSTM])
def test_evaluate_perplexity_equals_one_long_stateless_pass(layer):
    keras.utils.set_random_seed(3)
    model = RNNLM(V, layer(8, return_sequences=True, return_state=True))
    model(RANDOM[None, :2])
    # Larger weights than at initialisation make every prediction lean on the state.
    model.set_weights([4.0 * w for w in model.get_weights()])
    history, tokens = RANDOM[:150], RANDOM[150:230]
    expected = math.exp(_stateless_cross_entropy(model, RANDOM[:230], 150))
    for chunk_size in (7, 64, 5000):
        got = evaluate_perplexity(model, tokens, history, chunk_size=chunk_size)
        assert got == pytest.approx(expected, rel=1e-5)
    warm = evaluate_perplexity(model, tokens, history, warmup=40, chunk_size=16)
    expected_warm = math.exp(_stateless_cross_entropy(model, RANDOM[110:230], 40))
    assert warm == pytest.approx(expected_warm, rel=1e-5)
    assert warm != pytest.approx(expected, rel=1e-7)
    no_history = evaluate_perplexity(model, tokens, chunk_size=9)
    assert no_history == pytest.approx(math.exp(_stateless_cross_entropy(model, tokens, 1)))


def test_a_model_that_knows_nothing_scores_the_vocabulary_size():
    model = _gru_model()
    model(RANDOM[None, :3])
    model.head.set_weights([np.zeros_like(w) for w in model.head.get_weights()])
    assert evaluate_perplexity(model, RANDOM[:50], RANDOM[50:60]) == pytest.approx(V)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"tokens": RANDOM[:10].reshape(2, 5)}, TypeError, "tokens must be a 1-D sequence of"),
        ({"tokens": [1, 2, 11]}, ValueError, "tokens holds token ids from 1 to 11, but the model"),
        ({"history": [-1, 2]}, ValueError, "history holds token ids from -1 to 2"),
        ({"tokens": [3], "history": []}, ValueError, "tokens holds 1 token(s): with no history"),
        ({"tokens": []}, ValueError, "tokens holds 0 token(s)"),
        ({"warmup": -1}, ValueError, "warmup must be an integer >= 0, got -1"),
        ({"warmup": 2.5}, TypeError, "warmup must be an integer >= 0, got 2.5"),
        ({"chunk_size": 0}, ValueError, "chunk_size must be an integer >= 1, got 0"),
    ],
)
def test_bad_evaluation_arguments_raise_clear_errors(kwargs, error, message):
    arguments = {"tokens": RANDOM[:10], "history": RANDOM[10:20], **kwargs}
    with pytest.raises(error) as info:
        evaluate_perplexity(_gru_model(), **arguments)
    assert message in str(info.value)


def test_held_out_perplexity_is_the_fair_protocol_on_the_corpus_split():
    model = _gru_model()
    model.set_weights([3.0 * w for w in model.get_weights()])
    corpus = CharCorpus("", None, RANDOM[:300], RANDOM[300:350], RANDOM[350:])
    valid = evaluate_perplexity(model, RANDOM[300:350], history=RANDOM[:300], warmup=WARMUP)
    assert held_out_perplexity(model, corpus) == valid
    # The test split is read after the training and the validation text.
    test = evaluate_perplexity(model, RANDOM[350:], history=RANDOM[:350], warmup=WARMUP)
    assert held_out_perplexity(model, corpus, split="test") == test != valid
    part = evaluate_perplexity(model, RANDOM[350:370], history=RANDOM[:350], warmup=20)
    assert held_out_perplexity(model, corpus, "test", limit=20, warmup=20) == part
    with pytest.raises(ValueError, match="limit must be an integer >= 1, got 0"):
        held_out_perplexity(model, corpus, limit=0)
    with pytest.raises(ValueError, match=r"split must be one of \('valid', 'test'\), got 'train'"):
        held_out_perplexity(model, corpus, split="train")


def test_token_log_probs_are_the_terms_of_the_perplexity():
    model = _gru_model()
    log_probs = token_log_probs(model, RANDOM[300:], history=RANDOM[:300], chunk_size=64)
    assert log_probs.shape == (100,) and log_probs.dtype == np.float64 and np.all(log_probs < 0)
    ppl = evaluate_perplexity(model, RANDOM[300:], history=RANDOM[:300])
    assert math.exp(-log_probs.mean()) == pytest.approx(ppl, rel=1e-9)
    # Without history the first token is context only.
    assert token_log_probs(model, RANDOM[:50]).shape == (49,)
