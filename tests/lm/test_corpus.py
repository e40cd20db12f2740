"""The shared character corpus and its n-gram baseline."""

import numpy as np
import pytest

from rnnkit.data import datasets
from rnnkit.lm import corpus, ngrams


@pytest.fixture
def tiny_registry(tmp_path, monkeypatch):
    """A registered data set of a few hundred characters, read from a data folder."""
    import hashlib
    import json

    body = ("The cat sat. The dog ran! " * 20).encode()
    (tmp_path / "tiny.txt").write_bytes(body)
    registry = tmp_path / "registry"
    registry.mkdir()
    entry = {
        "name": "tiny",
        "filename": "tiny.txt",
        "url": "http://example.invalid/tiny.txt",
        "sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
        "licence": "CC0",
        "description": "test text",
        "author": "tests",
        "citation": "none",
    }
    (registry / "tiny.json").write_text(json.dumps(entry))
    monkeypatch.setattr(datasets, "REGISTRY_DIR", registry)
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    return body.decode()


def test_char_corpus_cleans_tokenizes_and_splits_80_10_10(tiny_registry):
    data = corpus.char_corpus("tiny")
    assert data.text.startswith("the cat sat the dog ran the cat")
    assert len(data.vocab) == 1 + len(set(data.text))  # <unk> plus every character seen
    assert len(data.train) + len(data.valid) + len(data.test) == len(data.text)
    assert len(data.valid) == len(data.test) == round(0.1 * len(data.text))
    assert "".join(data.vocab.to_tokens(data.ids.tolist())) == data.text
    assert data.train.dtype == np.int32
    valid, history = data.held_out("valid")
    assert valid is data.valid and history is data.train
    test, history = data.held_out("test")
    np.testing.assert_array_equal(history, np.concatenate([data.train, data.valid]))
    with pytest.raises(ValueError, match="split must be one of"):
        data.held_out("train")


def test_kneser_ney_baseline_is_tuned_on_validation_and_scored_once_on_test(tiny_registry):
    data = corpus.char_corpus("tiny", valid_fraction=0.2, test_fraction=0.2)
    best = corpus.kneser_ney_baseline(data, orders=[1, 3], discounts=[0.5, 0.9])
    # Every order is tried with modified KN and with each discount: 2 x 3 trials.
    assert [(t.model, t.order, t.discount) for t in best.trials] == [
        (model, order, discount)
        for order in (1, 3)
        for model, discount in [("modified Kneser-Ney", None), ("Kneser-Ney", 0.5)]
        + [("Kneser-Ney", 0.9)]
    ]
    winner = min(best.trials, key=lambda t: t.valid_perplexity)
    assert (best.model, best.order, best.discount) == (winner.model, winner.order, winner.discount)
    # The text repeats itself, so a trigram must beat the unigram by far.
    assert best.order == 3 and 1.0 <= best.valid_perplexity < 2.0
    model = best.build(len(data.vocab)).fit(data.train.tolist())
    kind = ngrams.ModifiedKneserNeyNGram if best.discount is None else ngrams.KneserNeyNGram
    assert type(model) is kind and model.order == 3
    test, history = data.held_out("test")
    expected = ngrams.perplexity(model, test.tolist(), history=history.tolist())
    assert best.test_perplexity == pytest.approx(expected)
    assert best.name.startswith(f"{best.model}, order 3")


def test_kneser_ney_baseline_needs_an_order(tiny_registry):
    data = corpus.char_corpus("tiny")
    with pytest.raises(ValueError, match="orders is empty"):
        corpus.kneser_ney_baseline(data, orders=[])
