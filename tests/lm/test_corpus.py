"""The shared character corpus and its n-gram baseline."""

import numpy as np
import pytest

from rnnkit.data import datasets
from rnnkit.lm import corpus


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


def test_char_corpus_cleans_tokenizes_and_splits(tiny_registry):
    data = corpus.char_corpus("tiny", valid_fraction=0.25)
    assert data.text.startswith("the cat sat the dog ran the cat")
    assert len(data.vocab) == 1 + len(set(data.text))  # <unk> plus every character seen
    assert len(data.train) + len(data.valid) == len(data.text)
    assert len(data.valid) == round(0.25 * len(data.text))
    assert "".join(data.vocab.to_tokens(data.ids.tolist())) == data.text
    assert data.train.dtype == np.int32


def test_kneser_ney_baseline_picks_the_best_order(tiny_registry):
    data = corpus.char_corpus("tiny", valid_fraction=0.25)
    best = corpus.kneser_ney_baseline(data, orders=[1, 3])
    # The text repeats itself, so a trigram must beat the unigram by far.
    assert best.order == 3 and best.model == "Kneser-Ney"
    assert 1.0 <= best.perplexity < 2.0


def test_kneser_ney_baseline_needs_an_order(tiny_registry):
    data = corpus.char_corpus("tiny", valid_fraction=0.25)
    with pytest.raises(ValueError, match="orders=\\[\\] is empty"):
        corpus.kneser_ney_baseline(data, orders=[])
