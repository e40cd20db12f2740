"""The character corpus that chapters 4-9 train on, and the tuned n-gram baseline they must beat.

Chapters 2 and 3 teach each step on its own (cleaning, character tokens, the vocabulary, the
80/10/10 split by position, Kneser-Ney smoothing and fair perplexity). This module only strings
those steps together, so every later chapter starts from the same data, chooses on the same
validation text and is scored once on the same test text as the n-gram baseline of chapter 3.
"""

from dataclasses import dataclass

import numpy as np

from rnnkit import validate
from rnnkit.data import datasets, sequences, text
from rnnkit.data.vocab import Vocab
from rnnkit.lm import ngrams

SPLITS = ("valid", "test")
# The search of chapter 3: orders up to 10, and these discounts for plain interpolated KN.
ORDERS = range(1, 11)
DISCOUNTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class CharCorpus:
    """A cleaned text as character ids, split by position into train, validation and test."""

    text: str
    vocab: Vocab
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        """All ids in order: the training, validation and test parts joined again."""
        return np.concatenate([self.train, self.valid, self.test])

    def held_out(self, split: str = "valid") -> tuple[np.ndarray, np.ndarray]:
        """``(ids, history)`` of a held-out split: the ids to score and all the text before them."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {validate.shown(split)}")
        if split == "valid":
            return self.valid, self.train
        return self.test, np.concatenate([self.train, self.valid])


def char_corpus(
    name: str = "timemachine", valid_fraction: float = 0.1, test_fraction: float = 0.1
) -> CharCorpus:
    """Load a registered data set, clean it (letters and spaces, lower case) and split it.

    The first 80% train, the next 10% validate and the last 10% test (with the default
    fractions), exactly the split chapter 3 tunes and scores its n-gram baseline on.
    """
    cleaned = text.clean(datasets.load_text(name))
    chars = text.tokenize_chars(cleaned)
    vocab = Vocab(chars)
    ids = np.asarray(vocab[chars], dtype=np.int32)
    train, valid, test = sequences.train_valid_test_split(ids, valid_fraction, test_fraction)
    return CharCorpus(cleaned, vocab, train, valid, test)


@dataclass(frozen=True)
class Trial:
    """One setting of the search: a Kneser-Ney variant, its order and discount, its score."""

    model: str
    order: int
    discount: float | None
    valid_perplexity: float


@dataclass(frozen=True)
class Baseline:
    """The n-gram that did best on validation, its test perplexity, and every trial tried."""

    model: str
    order: int
    discount: float | None
    valid_perplexity: float
    test_perplexity: float
    trials: tuple[Trial, ...]

    def build(self, vocab):
        """A new, unfitted n-gram model with this baseline's setting over ``vocab``."""
        if self.discount is None:
            return ngrams.ModifiedKneserNeyNGram(self.order, vocab)
        return ngrams.KneserNeyNGram(self.order, vocab, discount=self.discount)

    @property
    def name(self) -> str:
        """A label such as ``modified Kneser-Ney, order 7`` or ``Kneser-Ney, order 6, D=0.8``."""
        label = f"{self.model}, order {self.order}"
        return label if self.discount is None else f"{label}, D={self.discount:g}"


def kneser_ney_baseline(corpus: CharCorpus, orders=ORDERS, discounts=DISCOUNTS) -> Baseline:
    """Tune Kneser-Ney on validation, then score the best model once on test.

    The search fits modified Kneser-Ney (three discounts estimated from the counts) for every
    order in ``orders`` and, on the same counts, plain interpolated Kneser-Ney with each of
    ``discounts``. Every model learns from the training part only, and every perplexity is the
    fair one: each character predicted from all the text before it. The setting with the lowest
    validation perplexity wins; its test perplexity is the number an RNN has to beat.
    """
    orders = [validate.positive_integer(order, "order") for order in orders]
    discounts = [validate.fraction(discount, "discount") for discount in discounts]
    if not orders:
        raise ValueError("orders is empty: give at least one n-gram order")
    train, valid = corpus.train.tolist(), corpus.valid.tolist()
    size = len(corpus.vocab)
    trials, best, best_model = [], None, None
    for order in orders:
        modified = ngrams.ModifiedKneserNeyNGram(order, size).fit(train)
        variants = [("modified Kneser-Ney", None, modified)]
        variants += [("Kneser-Ney", d, modified.with_discount(d)) for d in discounts]
        for model_name, discount, model in variants:
            trial = Trial(model_name, order, discount, ngrams.perplexity(model, valid, train))
            trials.append(trial)
            if best is None or trial.valid_perplexity < best.valid_perplexity:
                best, best_model = trial, model
    test, history = corpus.held_out("test")
    test_perplexity = ngrams.perplexity(best_model, test.tolist(), history=history.tolist())
    return Baseline(
        best.model, best.order, best.discount, best.valid_perplexity, test_perplexity, tuple(trials)
    )
