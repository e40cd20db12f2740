"""Text generation: strategies, carried state, masking, seeds and argument checks."""

import keras
import numpy as np
import pytest

from rnnkit.data import sequences
from rnnkit.data.vocab import Vocab
from rnnkit.lm import RNNLM, training
from rnnkit.lm.generation import generate

ABC_VOCAB = Vocab(list("abc" * 200))
# <unk> = 0, <eos> = 1, then the letters a..j.
LETTERS = Vocab(list("abcdefghij"), reserved_tokens=["<eos>"])


def gru_model(vocab_size, units=12, seed=0):
    keras.utils.set_random_seed(seed)
    return RNNLM(vocab_size, keras.layers.GRU(units, return_sequences=True, return_state=True))


@pytest.fixture(scope="module")
def abc_model():
    ids = np.array(ABC_VOCAB[list("abc" * 200)], dtype=np.int32)
    model = gru_model(len(ABC_VOCAB))
    data = sequences.random_batches(ids, batch_size=8, num_steps=6, seed=0)
    training.train_custom(model, data, 5, lr=0.05, clip=1.0, optimizer="adam", log_every=0)
    return model


@pytest.fixture(scope="module")
def letters_model():
    """An untrained model with weights large enough that its predictions depend on the text."""
    model = gru_model(len(LETTERS), seed=1)
    model(np.zeros((1, 1), "int32"))
    model.set_weights([3.0 * w for w in model.get_weights()])
    return model


def constant_model(bias):
    """A model whose next-token logits are always ``bias``, whatever it has read."""
    model = gru_model(len(bias), units=2)
    model(np.zeros((1, 1), "int32"))
    model.head.set_weights([np.zeros((2, len(bias)), "float32"), np.asarray(bias, "float32")])
    return model


def test_greedy_generation_continues_a_learned_pattern(abc_model):
    assert generate(abc_model, ABC_VOCAB, "ab", 10) == "abcabcabcabc"
    assert generate(abc_model, ABC_VOCAB, "bca", 4) == "bcabcab"


def test_empty_prefix_starts_from_the_most_frequent_token_left_out_of_the_result(abc_model):
    # "a", "b" and "c" tie in count; ties go alphabetically, so "a" is read first.
    assert generate(abc_model, ABC_VOCAB, "", 5) == "bcabc"
    assert generate(abc_model, ABC_VOCAB, "", 0) == ""


def test_carrying_the_state_gives_what_rereading_the_whole_text_gives(letters_model):
    text = LETTERS[list("jadebag")]
    for _ in range(12):
        logits = np.array(letters_model(np.array([text], "int32"))[0, -1])
        logits[:2] = -np.inf  # <unk> and <eos> are never produced
        text.append(int(np.argmax(logits)))
    expected = "".join(LETTERS.to_tokens(text))
    assert generate(letters_model, LETTERS, "jadebag", 12) == expected


def test_sampling_is_reproducible_for_a_seed_and_varies_across_seeds(letters_model):
    for strategy in ("temperature", "top-k"):
        runs = [
            generate(letters_model, LETTERS, "abc", 30, strategy, temperature=2.0, seed=seed)
            for seed in (0, 0, 1)
        ]
        assert runs[0] == runs[1] != runs[2]
        assert len(runs[0]) == 33


def test_top_1_and_a_cold_temperature_are_greedy(letters_model):
    greedy = generate(letters_model, LETTERS, "jig", 20)
    assert generate(letters_model, LETTERS, "jig", 20, "top-k", top_k=1, seed=5) == greedy
    assert generate(letters_model, LETTERS, "jig", 20, "temperature", temperature=1e-3) == greedy


def test_unknown_and_reserved_tokens_are_never_produced_and_top_k_keeps_the_best():
    # <unk> and <eos> are the most likely tokens, then a, b, c, ...
    model = constant_model([9.0, 8.0, 3.0, 2.9, 2.8, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    assert generate(model, LETTERS, "", 5) == "aaaaa"
    top2 = generate(model, LETTERS, "", 200, "top-k", top_k=2, temperature=5.0)
    assert set(top2) == {"a", "b"}
    hot = generate(model, LETTERS, "", 200, "temperature", temperature=50.0)
    assert "<" not in hot and len(set(hot)) == 10


def test_unknown_prefix_characters_are_named_in_a_warning(abc_model):
    with pytest.warns(UserWarning, match=r"prefix tokens \['x', 'z'\] are not in the vocabulary"):
        result = generate(abc_model, ABC_VOCAB, "zabx", 3)
    assert result.startswith("zabx") and len(result) == 7


def test_a_word_tokenizer_and_separator_give_words():
    words = Vocab("the time machine by wells".split())
    model = gru_model(len(words), units=4)
    result = generate(model, words, "the  time", 3, tokenizer=str.split, separator=" ")
    tokens = result.split(" ")
    assert tokens[:2] == ["the", "time"] and len(tokens) == 5
    assert set(tokens) <= set(words.idx_to_token[1:])


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"num_tokens": -1}, ValueError, "num_tokens must be an integer >= 0, got -1"),
        ({"num_tokens": 2.0}, TypeError, "num_tokens must be an integer >= 0, got 2.0"),
        ({"strategy": "beam"}, ValueError, "strategy must be one of ('greedy', 'temperature'"),
        ({"temperature": 0}, ValueError, "temperature must be a finite number > 0, got 0"),
        ({"temperature": -1.0}, ValueError, "temperature must be a finite number > 0, got -1.0"),
        ({"temperature": "hot"}, TypeError, "temperature must be a finite number > 0, got 'hot'"),
        ({"strategy": "top-k", "top_k": 0}, ValueError, "top_k must be an integer in [1, 12]"),
        ({"strategy": "top-k", "top_k": 13}, ValueError, "in [1, 12], got 13"),
        ({"strategy": "top-k", "top_k": 2.0}, TypeError, "in [1, 12], got 2.0"),
        ({"prefix": b"abc"}, TypeError, "prefix must be a str, got bytes"),
        ({"vocab": ABC_VOCAB}, ValueError, "the model has vocab_size=12 but the vocabulary has 4"),
    ],
)
def test_bad_arguments_raise_clear_errors(letters_model, kwargs, error, message):
    arguments = {"model": letters_model, "vocab": LETTERS, "prefix": "abc", "num_tokens": 3}
    with pytest.raises(error) as info:
        generate(**{**arguments, **kwargs})
    assert message in str(info.value)


def test_a_bidirectional_model_cannot_generate():
    layer = keras.layers.GRU(4, return_sequences=True, return_state=True)
    model = RNNLM(len(LETTERS), keras.layers.Bidirectional(layer))
    with pytest.raises(ValueError, match="model cannot generate text: its recurrent layer"):
        generate(model, LETTERS, "abc", 3)
