"""Count-based language models: n-gram counts, Zipf's law, smoothing and perplexity.

Tokens can be anything hashable: characters (pass a ``str`` and it is read character by
character), words, or integer ids. A model is built over a fixed vocabulary so that every
probability it returns is over the same set of outcomes and sums to 1.

Unknown tokens are an error unless the model is given ``unk=``: then any token outside the
vocabulary (in training text, contexts and scored text alike) is read as that token. Map rare or
unseen words to ``"<unk>"`` yourself, or name it with ``unk="<unk>"``.

Conventions: logarithms are natural (nats); a context is the sequence of tokens before the one
being predicted, of which a model of order ``n`` uses only the last ``n - 1``. A shorter context
(at the very start of a text) is answered by the lower-order part of the model.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from rnnkit import validate
from rnnkit.lm.zipf import ZipfFit, rank_frequencies, zipf_fit

__all__ = [
    "KneserNeyNGram",
    "LaplaceNGram",
    "ModifiedKneserNeyNGram",
    "UnknownTokenError",
    "ZipfFit",
    "count_ngrams",
    "cross_entropy",
    "perplexity",
    "rank_frequencies",
    "token_log_probs",
    "zipf_fit",
]


class UnknownTokenError(ValueError):
    """A token is not in the model's vocabulary (a ``ValueError``)."""


def _as_sequence(tokens) -> Sequence:
    # Strings, lists and tuples slice cheaply; anything else (generators, arrays) becomes a list.
    return tokens if isinstance(tokens, str | list | tuple) else list(tokens)


def count_ngrams(tokens: Iterable[Hashable], n: int) -> Counter:
    """Count every run of ``n`` consecutive tokens; keys are ``n``-tuples.

    A string is read as characters. Fewer than ``n`` tokens give an empty counter.
    """
    n = validate.positive_integer(n, "n")
    tokens = _as_sequence(tokens)
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False))


# ---------------------------------------------------------------------------------------------
# Smoothed n-gram models
# ---------------------------------------------------------------------------------------------


class _NGramModel:
    """What both smoothed models share: the vocabulary, token checks and the public interface.

    A fitted model holds ``_tables[k]`` for context lengths ``k = 0 .. order - 1``: a dict from a
    context (tuple of token ids) to ``(followers, total, types)``, where ``followers`` maps the id
    of each token seen after that context to its count, ``total`` is the sum of those counts and
    ``types`` the number of distinct followers. Subclasses decide which counts go in the tables
    and how a level combines them in ``_prob_ids`` and ``_distribution_ids``.
    """

    def __init__(self, order: int, vocab, unk: Hashable | None = None):
        self.order = validate.positive_integer(order, "order")
        self.vocab = _vocab_tuple(vocab)
        self._index = {token: i for i, token in enumerate(self.vocab)}
        if unk is not None and unk not in self._index:
            raise ValueError(
                f"unk={unk!r} is not in the vocabulary; add it to vocab or pass unk=None"
            )
        self.unk = unk
        self._unk_id = None if unk is None else self._index[unk]
        self._uniform = 1.0 / len(self.vocab)
        self._tables: list[dict] | None = None

    @property
    def vocab_size(self) -> int:
        """Number of tokens the model assigns probability to."""
        return len(self.vocab)

    def _id(self, token, where: str) -> int:
        try:
            return self._index[token]
        except (KeyError, TypeError):
            if self._unk_id is not None:
                return self._unk_id
        raise UnknownTokenError(
            f"token {token!r} in {where} is not in the model's vocabulary of {len(self.vocab)} "
            f"tokens; map it to an unknown token such as '<unk>' first (and include that token in "
            f"vocab), or build the model with unk='<unk>'"
        )

    def _context_ids(self, context) -> tuple[int, ...]:
        if context is None:
            return ()
        context = _as_sequence(context)
        tail = context[max(0, len(context) - (self.order - 1)) :]
        return tuple(self._id(token, "context") for token in tail)

    def _check_fitted(self) -> None:
        if self._tables is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit(tokens) first")

    def _raw_counts(self, ids: Sequence[int]) -> list[Counter]:
        """Counts of k-grams of ids for k = 1 .. order (index k - 1)."""
        return [count_ngrams(ids, k) for k in range(1, self.order + 1)]

    def fit(self, tokens: Iterable[Hashable]):
        """Count the training text ``tokens`` (replacing any earlier fit) and return ``self``."""
        ids = [self._id(token, "the training text") for token in _as_sequence(tokens)]
        self._tables = self._build_tables(ids)
        return self

    def prob(self, token: Hashable, context: Sequence[Hashable] = ()) -> float:
        """Probability of ``token`` after ``context`` (only its last ``order - 1`` tokens count)."""
        self._check_fitted()
        return self._prob_ids(self._id(token, "the predicted token"), self._context_ids(context))

    def log_prob(self, token: Hashable, context: Sequence[Hashable] = ()) -> float:
        """Natural log of :meth:`prob`."""
        return math.log(self.prob(token, context))

    def distribution(self, context: Sequence[Hashable] = ()) -> np.ndarray:
        """Probabilities of every vocabulary token (in ``self.vocab`` order) after ``context``."""
        self._check_fitted()
        return self._distribution_ids(self._context_ids(context))


def _vocab_tuple(vocab) -> tuple:
    if isinstance(vocab, numbers.Integral):
        return tuple(range(validate.positive_integer(vocab, "vocab")))
    if isinstance(vocab, set | frozenset):
        try:
            tokens = tuple(sorted(vocab))
        except TypeError as err:
            raise ValueError(
                "vocab is a set whose tokens cannot be sorted; pass a list to fix their order"
            ) from err
    elif isinstance(vocab, Iterable):
        tokens = tuple(vocab)
    else:
        raise ValueError(
            f"vocab must be a size (int >= 1) or a collection of tokens, got {vocab!r}"
        )
    if not tokens:
        raise ValueError("vocab is empty; a model needs at least one token")
    if len(set(tokens)) != len(tokens):
        repeated = sorted({repr(t) for t, c in Counter(tokens).items() if c > 1})
        raise ValueError(f"vocab lists tokens more than once: {', '.join(repeated[:5])}")
    return tokens


def _table(counts: Mapping[tuple, int]) -> dict:
    """Group k-gram counts by their first k - 1 ids: ``context -> (followers, total, types)``."""
    grouped: defaultdict[tuple, dict] = defaultdict(dict)
    for gram, count in counts.items():
        grouped[gram[:-1]][gram[-1]] = count
    return {
        context: (followers, sum(followers.values()), len(followers))
        for context, followers in grouped.items()
    }


def _follower_arrays(followers: dict) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter(followers.keys(), dtype=np.int64, count=len(followers))
    counts = np.fromiter(followers.values(), dtype=float, count=len(followers))
    return ids, counts


class LaplaceNGram(_NGramModel):
    """Add-``alpha`` smoothing: ``P(w | h) = (c(h w) + alpha) / (c(h) + alpha * V)``.

    ``c(h)`` counts the occurrences of context ``h`` followed by some token, and ``V`` is the
    vocabulary size. An unseen context gets the uniform distribution. A context shorter than
    ``order - 1`` (the start of a text) uses the counts of the matching shorter n-grams.

    ``vocab`` is the vocabulary size (tokens are then the ints ``0 .. V - 1``), a set (sorted to
    fix the order) or a sequence of distinct tokens kept in its order (an ``rnnkit.data.Vocab``
    works: with ``unk=vocab.unk_token``, index ``i`` of a distribution is id ``i``).
    """

    def __init__(self, order: int, vocab, alpha: float = 1.0, unk: Hashable | None = None):
        self.alpha = validate.positive_number(alpha, "alpha")
        super().__init__(order, vocab, unk)

    def _build_tables(self, ids: list[int]) -> list[dict]:
        return [_table(counts) for counts in self._raw_counts(ids)]

    def _prob_ids(self, token: int, context: tuple[int, ...]) -> float:
        row = self._tables[len(context)].get(context)
        if row is None:
            return self._uniform
        followers, total, _ = row
        return (followers.get(token, 0) + self.alpha) / (total + self.alpha * len(self.vocab))

    def _distribution_ids(self, context: tuple[int, ...]) -> np.ndarray:
        size = len(self.vocab)
        row = self._tables[len(context)].get(context)
        if row is None:
            return np.full(size, self._uniform)
        followers, total, _ = row
        counts = np.zeros(size)
        ids, values = _follower_arrays(followers)
        counts[ids] = values
        return (counts + self.alpha) / (total + self.alpha * size)


class KneserNeyNGram(_NGramModel):
    """Interpolated Kneser-Ney smoothing with one absolute discount ``D`` for every order.

    For a context ``h`` with counts ``a(h, w)`` (total ``A(h)``, ``N(h)`` distinct followers)::

        P(w | h) = (max(a(h, w) - D, 0) + D * N(h) * P(w | h')) / A(h)

    where ``h'`` drops the oldest token of ``h``; if ``h`` was never seen, ``P(w | h) = P(w | h')``.
    The recursion ends in the uniform distribution ``1 / V``, so no token ever gets probability 0.
    At the highest order ``a`` is the raw count of ``h w``. At every lower order ``a(h, w)`` is the
    continuation count: the number of distinct tokens seen right before ``h w``. A token that is
    frequent but only ever follows one context ("Francisco" after "San") thus gets little of the
    mass that is handed to lower orders. A context shorter than ``order - 1`` (the start of a
    text) is answered by the lower-order (continuation) model of its length.

    ``vocab`` is the vocabulary size (tokens are then the ints ``0 .. V - 1``), a set (sorted to
    fix the order) or a sequence of distinct tokens kept in its order (an ``rnnkit.data.Vocab``
    works: with ``unk=vocab.unk_token``, index ``i`` of a distribution is id ``i``).
    """

    def __init__(self, order: int, vocab, discount: float = 0.75, unk: Hashable | None = None):
        self.discount = validate.fraction(discount, "discount")
        super().__init__(order, vocab, unk)
        self._discounts: list[tuple[float, float, float, float]] = []

    def _level_discounts(self, level: dict) -> tuple[float, float, float, float]:
        """``(0, D1, D2, D3+)``: what a count of 0, 1, 2 and 3 or more loses at one level."""
        return (0.0, self.discount, self.discount, self.discount)

    def _build_tables(self, ids: list[int]) -> list[dict]:
        counts = self._raw_counts(ids)
        levels = [counts[-1]]
        # Continuation count of a k-gram: how many distinct (k+1)-grams end with it.
        for k in range(self.order - 1, 0, -1):
            levels.append(Counter(gram[1:] for gram in counts[k]))
        tables = []
        for level in reversed(levels):
            # A row also keeps N1, N2 and N3+ (followers seen once, twice, three times or
            # more), so that any discounts can say how much mass the row frees for the level below.
            rows = {}
            for context, (followers, total, _) in _table(level).items():
                n = Counter(min(count, 3) for count in followers.values())
                rows[context] = (followers, total, (n[1], n[2], n[3]))
            tables.append(rows)
        return tables

    def fit(self, tokens: Iterable[Hashable]):
        """Count the training text ``tokens`` (replacing any earlier fit) and return ``self``."""
        super().fit(tokens)
        self._discounts = [self._level_discounts(table) for table in self._tables]
        return self

    def with_discount(self, discount: float) -> KneserNeyNGram:
        """A fitted :class:`KneserNeyNGram` with one discount ``discount``, sharing these counts.

        The counts do not depend on the discount, so trying another one costs no new counting:
        this is how a search over discounts stays quick.
        """
        self._check_fitted()
        twin = KneserNeyNGram(self.order, self.vocab, discount=discount, unk=self.unk)
        twin._tables = self._tables
        twin._discounts = [twin._level_discounts(table) for table in self._tables]
        return twin

    def _prob_ids(self, token: int, context: tuple[int, ...]) -> float:
        p = self._uniform
        end = len(context)
        # From the empty context up to the full one, each level interpolates with the one below.
        for length in range(end + 1):
            row = self._tables[length].get(context[end - length :])
            if row is not None:
                followers, total, (n1, n2, n3) = row
                _, d1, d2, d3 = discounts = self._discounts[length]
                count = followers.get(token, 0)
                p = (count - discounts[min(count, 3)] + (d1 * n1 + d2 * n2 + d3 * n3) * p) / total
        return p

    def _distribution_ids(self, context: tuple[int, ...]) -> np.ndarray:
        p = np.full(len(self.vocab), self._uniform)
        end = len(context)
        for length in range(end + 1):
            row = self._tables[length].get(context[end - length :])
            if row is not None:
                followers, total, kinds = row
                ids, counts = _follower_arrays(followers)
                discounts = np.asarray(self._discounts[length])
                p *= float(discounts[1:] @ kinds) / total
                p[ids] += (counts - discounts[np.minimum(counts, 3).astype(np.int64)]) / total
        return p


class ModifiedKneserNeyNGram(KneserNeyNGram):
    """Modified Kneser-Ney (Chen and Goodman, 1998): three discounts per order instead of one.

    A count of 1 loses ``D1``, a count of 2 loses ``D2`` and a count of 3 or more ``D3+``; the
    mass a context frees for the level below is ``D1 * N1(h) + D2 * N2(h) + D3+ * N3+(h)``, where
    ``Nk(h)`` counts the followers of ``h`` seen exactly ``k`` times (3 or more for ``N3+``).
    Each level estimates its own three discounts from its counts of counts ``n1 .. n4`` (how many
    of its n-grams have count 1, 2, 3, 4)::

        Y = n1 / (n1 + 2 n2),  D1 = 1 - 2Y n2/n1,  D2 = 2 - 3Y n3/n2,  D3+ = 3 - 4Y n4/n3

    so there is nothing to tune but the order. Everything else is as in :class:`KneserNeyNGram`;
    :meth:`with_discount` gives the plain model with one discount over the same counts.
    """

    def __init__(self, order: int, vocab, unk: Hashable | None = None):
        super().__init__(order, vocab, unk=unk)
        self.discount = None

    def _level_discounts(self, level: dict) -> tuple[float, float, float, float]:
        n = Counter(min(c, 5) for followers, _, _ in level.values() for c in followers.values())
        if not all(n[k] for k in (1, 2, 3, 4)):
            # Too few kinds of counts to estimate three discounts: one, as plain KN estimates it.
            single = n[1] / (n[1] + 2 * n[2]) if n[1] else 0.5
            return (0.0, single, single, single)
        y = n[1] / (n[1] + 2 * n[2])
        estimates = [k - (k + 1) * y * n[k + 1] / n[k] for k in (1, 2, 3)]
        # Each discount stays in [0, k], so no count is discounted below zero.
        return (0.0, *(min(max(d, 0.0), k) for k, d in enumerate(estimates, start=1)))

    @property
    def discounts(self) -> list[tuple[float, float, float]]:
        """``(D1, D2, D3+)`` of each level, from the empty context up (after :meth:`fit`)."""
        self._check_fitted()
        return [level[1:] for level in self._discounts]


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def cross_entropy(model, tokens: Iterable[Hashable], history: Iterable[Hashable] = ()) -> float:
    """Mean negative log-likelihood (nats per token) of ``tokens`` under ``model``.

    Every token is predicted from all the text before it: ``history`` is the text that precedes
    ``tokens`` (for a validation split at the end of a corpus, the training text); it serves as
    context but is not scored. ``model`` is any object with an integer ``order`` and a method
    ``log_prob(token, context)``; it sees the last ``order - 1`` tokens as context.
    """
    log_probs = token_log_probs(model, tokens, history)
    return -math.fsum(log_probs) / len(log_probs)


def token_log_probs(model, tokens: Iterable[Hashable], history: Iterable[Hashable] = ()):
    """``model.log_prob`` of each token of ``tokens``, each predicted from all the text before it.

    The terms whose mean is :func:`cross_entropy`, as a float64 array, so that two models can be
    mixed token by token. ``model`` is as for :func:`cross_entropy`.
    """
    try:
        order = validate.positive_integer(getattr(model, "order", None), "model.order")
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"model must have an integer attribute order >= 1 and a method log_prob(token, "
            f"context), like LaplaceNGram and KneserNeyNGram ({err})"
        ) from err
    tokens = list(_as_sequence(tokens))
    if not tokens:
        raise ValueError("tokens is empty: there is nothing to score")
    # Only the last order - 1 tokens of history can ever be seen as context.
    history = _as_sequence(history)
    text = list(history[max(0, len(history) - (order - 1)) :]) + tokens
    start = len(text) - len(tokens)
    width = order - 1
    return np.array(
        [model.log_prob(text[i], text[max(0, i - width) : i]) for i in range(start, len(text))]
    )


def perplexity(model, tokens: Iterable[Hashable], history: Iterable[Hashable] = ()) -> float:
    """``exp`` of :func:`cross_entropy`: the effective number of equally likely next tokens.

    A model that spreads its mass uniformly over ``V`` tokens scores exactly ``V``; a model that
    always predicts the right token with certainty scores 1.
    """
    return math.exp(cross_entropy(model, tokens, history))
