"""Zipf's law: rank-frequency curves of token counts, and a power-law fit to them.

:mod:`rnnkit.lm.ngrams` re-exports these, so chapter 3 reads ``ngrams.zipf_fit(counts)``.
"""

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from rnnkit import validate


def rank_frequencies(counts: Mapping[Hashable, float] | Iterable[float]) -> np.ndarray:
    """Frequencies sorted from most to least frequent: entry ``r - 1`` belongs to rank ``r``.

    ``counts`` is a mapping (such as the ``Counter`` from
    :func:`rnnkit.lm.ngrams.count_ngrams`) or a plain sequence of frequencies.
    """
    values = counts.values() if isinstance(counts, Mapping) else counts
    freqs = np.asarray(list(values), dtype=float)
    if freqs.ndim != 1 or freqs.size == 0:
        raise ValueError(f"counts must be a non-empty collection of numbers, got {counts!r:.80}")
    if not np.all(np.isfinite(freqs)) or np.any(freqs <= 0):
        raise ValueError("counts must all be positive and finite; drop zero counts before fitting")
    return np.sort(freqs)[::-1]


@dataclass(frozen=True)
class ZipfFit:
    """A power law ``frequency = exp(intercept) * rank ** -exponent`` fitted over ranks
    ``first_rank..last_rank`` (1-based, inclusive)."""

    exponent: float
    intercept: float
    first_rank: int
    last_rank: int

    def frequencies(self, ranks) -> np.ndarray:
        """The fitted frequency at each rank, for drawing the line on a log-log plot."""
        ranks = np.asarray(ranks, dtype=float)
        return np.exp(self.intercept - self.exponent * np.log(ranks))


def zipf_fit(
    counts: Mapping[Hashable, float] | Iterable[float],
    rank_range: tuple[int, int] | None = None,
) -> ZipfFit:
    """Least-squares fit of ``log(frequency) = -exponent * log(rank) + intercept``.

    ``rank_range=(first, last)`` (1-based, inclusive) restricts the fit to those ranks, to leave
    out the head (the few most frequent tokens) and the long tail of tokens seen once or twice;
    ``last`` is clipped to the number of distinct tokens, so one range can serve unigrams, bigrams
    and trigrams alike. ``None`` fits every rank. At least two ranks must remain.
    """
    freqs = rank_frequencies(counts)
    if rank_range is None:
        first, last = 1, freqs.size
    else:
        if not isinstance(rank_range, Sequence) or len(rank_range) != 2:
            raise ValueError(f"rank_range must be (first, last) or None, got {rank_range!r}")
        first = validate.positive_integer(rank_range[0], "rank_range[0]")
        last = validate.integer(rank_range[1], "rank_range[1]", minimum=first + 1)
        last = min(last, freqs.size)
    if last - first + 1 < 2:
        raise ValueError(
            f"zipf_fit needs at least two ranks to fit a line, but rank_range={rank_range!r} "
            f"leaves {max(last - first + 1, 0)} of the {freqs.size} distinct tokens"
        )
    log_rank = np.log(np.arange(first, last + 1, dtype=float))
    slope, intercept = np.polyfit(log_rank, np.log(freqs[first - 1 : last]), deg=1)
    return ZipfFit(float(-slope), float(intercept), first, last)
