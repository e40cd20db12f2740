"""Tests for rnnkit.lm.ngrams: counts, Zipf fits, Laplace and Kneser-Ney models, perplexity."""

import itertools
import math
import os
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnnkit.data.vocab import Vocab
from rnnkit.lm.ngrams import (
    KneserNeyNGram,
    LaplaceNGram,
    ModifiedKneserNeyNGram,
    UnknownTokenError,
    ZipfFit,
    count_ngrams,
    cross_entropy,
    perplexity,
    rank_frequencies,
    token_log_probs,
    zipf_fit,
)


def all_contexts(vocab, max_len):
    """Every context over vocab of length 0 .. max_len, seen in training or not."""
    for length in range(max_len + 1):
        yield from itertools.product(vocab, repeat=length)


def reference_kn(tokens, order, vocab, discount, token, context):
    """Interpolated Kneser-Ney written straight from its definition, one probability at a time.

    ``discount`` is a number (one D for every count and order) or a function of the level's
    counts (a dict from k-gram to count) that returns ``D(count)``, as modified Kneser-Ney has.
    """
    context = tuple(context)[len(context) - (order - 1) :] if order > 1 else ()
    grams = {
        k: Counter(tuple(tokens[i : i + k]) for i in range(len(tokens) - k + 1))
        for k in range(1, order + 1)
    }

    def counts_of_level(k, highest):
        if highest:
            return dict(grams[k])
        return {g[1:]: sum(1 for h in grams[k + 1] if h[1:] == g[1:]) for g in grams[k + 1]}

    def level(h, highest):
        lower = level(h[1:], False) if h else 1 / len(vocab)
        k = len(h) + 1
        level_counts = counts_of_level(k, highest)
        d = discount(level_counts) if callable(discount) else (lambda count: discount * (count > 0))
        a = {x: level_counts.get(h + (x,), 0) for x in vocab}
        total = sum(a.values())
        if total == 0:
            return lower
        freed = sum(d(v) for v in a.values() if v > 0)
        return (max(a[token] - d(a[token]), 0) + freed * lower) / total

    return level(context, len(context) == order - 1)


def chen_goodman(level_counts):
    """The three discounts of modified Kneser-Ney, from a level's counts of counts, as D(c)."""
    n = Counter(level_counts.values())
    if not all(n[k] for k in (1, 2, 3, 4)):
        single = n[1] / (n[1] + 2 * n[2]) if n[1] else 0.5
        return lambda count: single if count else 0.0
    y = n[1] / (n[1] + 2 * n[2])
    d = {k: k - (k + 1) * y * n[k + 1] / n[k] for k in (1, 2, 3)}
    return lambda count: d[min(count, 3)] if count else 0.0


# --- counts ---------------------------------------------------------------------------------


def test_count_ngrams_counts_every_run_of_n_tokens():
    assert count_ngrams("abcab", 1) == Counter({("a",): 2, ("b",): 2, ("c",): 1})
    assert count_ngrams("abcab", 2) == Counter({("a", "b"): 2, ("b", "c"): 1, ("c", "a"): 1})
    assert count_ngrams(["the", "cat", "the", "cat"], 3) == Counter(
        {("the", "cat", "the"): 1, ("cat", "the", "cat"): 1}
    )
    assert count_ngrams(iter([1, 1, 1]), 2) == Counter({(1, 1): 2})
    assert count_ngrams("abc", 4) == Counter()
    assert count_ngrams("", 1) == Counter()


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError)])
def test_count_ngrams_rejects_bad_n(n, error):
    with pytest.raises(error, match=r"n must be an integer >= 1, got"):
        count_ngrams("abc", n)


# --- Zipf -----------------------------------------------------------------------------------


def test_zipf_fit_recovers_exponent_of_a_power_law():
    ranks = np.arange(1, 201)
    counts = {f"w{r}": 5000.0 / r**1.3 for r in ranks}
    fit = zipf_fit(counts)
    assert fit.exponent == pytest.approx(1.3, abs=1e-9)
    assert fit.intercept == pytest.approx(math.log(5000.0), abs=1e-9)
    assert (fit.first_rank, fit.last_rank) == (1, 200)
    np.testing.assert_allclose(fit.frequencies([1, 10]), [5000.0, 5000.0 / 10**1.3])


def test_zipf_fit_rank_range_skips_a_distorted_head_and_clips_the_tail():
    freqs = [300.0 / r**0.8 for r in range(1, 51)]
    freqs[:3] = [9000.0, 8000.0, 7000.0]  # a head that does not follow the law
    assert zipf_fit(freqs).exponent > 1.0
    fit = zipf_fit(freqs, rank_range=(4, 1000))
    assert fit.exponent == pytest.approx(0.8, abs=1e-9)
    assert (fit.first_rank, fit.last_rank) == (4, 50)


def test_rank_frequencies_sorts_counts_from_the_top():
    np.testing.assert_array_equal(rank_frequencies(Counter("abbccc")), [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(rank_frequencies([1, 5, 2]), [5.0, 2.0, 1.0])


@pytest.mark.parametrize(
    ("counts", "rank_range", "message"),
    [
        ({}, None, "counts must be a non-empty"),
        ({"a": 3, "b": 0}, None, "counts must all be positive"),
        ({"a": 3}, None, "at least two ranks"),
        ({"a": 3, "b": 2, "c": 1}, (3, 10), "at least two ranks"),
        ({"a": 3, "b": 2}, (0, 2), r"rank_range\[0\] must be an integer >= 1, got 0"),
        ({"a": 3, "b": 2}, (2, 2), r"rank_range\[1\] must be an integer >= 3, got 2"),
        ({"a": 3, "b": 2}, 5, "rank_range must be"),
    ],
)
def test_zipf_fit_errors_say_what_is_wrong(counts, rank_range, message):
    with pytest.raises(ValueError, match=message):
        zipf_fit(counts, rank_range)


def test_zipf_fit_returns_a_dataclass():
    assert isinstance(zipf_fit([4, 2, 1]), ZipfFit)


# --- Laplace --------------------------------------------------------------------------------


def test_laplace_bigram_probabilities_by_hand():
    model = LaplaceNGram(2, "abc").fit("aab")
    # After "a": bigrams aa and ab once each, so (1 + 1) / (2 + 3) and (0 + 1) / (2 + 3) for c.
    assert model.prob("a", "a") == pytest.approx(2 / 5)
    assert model.prob("b", "a") == pytest.approx(2 / 5)
    assert model.prob("c", "a") == pytest.approx(1 / 5)
    # "b" is never followed by anything in training: uniform.
    assert model.prob("c", "b") == pytest.approx(1 / 3)
    # No context (start of a text): unigram counts a=2, b=1, c=0 over 3 tokens.
    assert model.prob("a", ()) == pytest.approx(3 / 6)
    assert model.prob("c", ()) == pytest.approx(1 / 6)
    half = LaplaceNGram(2, "abc", alpha=np.float32(0.5)).fit("aab")
    assert half.prob("a", ["x", "y", "a"][-1:]) == pytest.approx(1.5 / 3.5)


def test_laplace_uses_only_the_last_order_minus_one_tokens():
    model = LaplaceNGram(3, "ab").fit("abbabab")
    assert model.prob("a", "bbbab") == model.prob("a", "ab")
    assert model.log_prob("a", "ab") == pytest.approx(math.log(model.prob("a", "ab")))


# --- Kneser-Ney -----------------------------------------------------------------------------


def test_kneser_ney_bigram_by_hand():
    model = KneserNeyNGram(2, "abcd", discount=0.75).fit("abacab")
    # Bigrams: ab x2, ba, ac, ca. Continuation counts (distinct left neighbours): a 2, b 1, c 1,
    # d 0; 4 in total over 3 types. The unigram level interpolates with uniform 1/4.
    uni = {
        "a": (2 - 0.75 + 0.75 * 3 * 0.25) / 4,
        "b": (1 - 0.75 + 0.75 * 3 * 0.25) / 4,
        "c": (1 - 0.75 + 0.75 * 3 * 0.25) / 4,
        "d": (0.75 * 3 * 0.25) / 4,
    }
    assert uni["a"] == 0.453125 and sum(uni.values()) == 1.0
    for token, p in uni.items():
        assert model.prob(token, ()) == pytest.approx(p)
    # After "a": b twice, c once (total 3, 2 types).
    assert model.prob("b", "a") == pytest.approx((2 - 0.75 + 0.75 * 2 * uni["b"]) / 3)
    assert model.prob("c", "a") == pytest.approx((1 - 0.75 + 0.75 * 2 * uni["c"]) / 3)
    assert model.prob("d", "a") == pytest.approx(0.75 * 2 * uni["d"] / 3)
    # After "b": a once.
    assert model.prob("a", "b") == pytest.approx(1 - 0.75 + 0.75 * uni["a"])
    # "d" was never seen as a context: the unigram level answers alone.
    assert model.prob("a", "d") == pytest.approx(uni["a"])


@pytest.mark.parametrize(("order", "discount"), [(1, 0.75), (2, 0.5), (3, 0.75), (3, 0.3)])
def test_kneser_ney_matches_its_definition_on_random_text(order, discount):
    rng = np.random.default_rng(order)
    vocab = "abcde"  # "e" never occurs in training
    tokens = list(rng.choice(list("abcd"), size=40, p=[0.4, 0.3, 0.2, 0.1]))
    model = KneserNeyNGram(order, vocab, discount=discount).fit(tokens)
    for context in all_contexts("abce", order - 1):
        for token in vocab:
            expected = reference_kn(tokens, order, vocab, discount, token, context)
            assert model.prob(token, context) == pytest.approx(expected, rel=1e-12), (
                token,
                context,
            )


@pytest.mark.parametrize("order", [1, 2, 3])
def test_modified_kneser_ney_matches_its_definition_on_random_text(order):
    rng = np.random.default_rng(10 + order)
    vocab = "abcde"
    tokens = list(rng.choice(list("abcd"), size=400, p=[0.4, 0.3, 0.2, 0.1]))
    model = ModifiedKneserNeyNGram(order, vocab).fit(tokens)
    # The highest level of order 3 has counts of every size; its three discounts differ.
    if order == 3:
        assert len(set(model.discounts[-1])) == 3
    assert len(model.discounts) == order and model.discount is None
    for d1, d2, d3 in model.discounts:
        assert 0 <= d1 <= 1 and 0 <= d2 <= 2 and 0 <= d3 <= 3
    for context in all_contexts("abce", order - 1):
        for token in vocab:
            expected = reference_kn(tokens, order, vocab, chen_goodman, token, context)
            assert model.prob(token, context) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("model_class", [KneserNeyNGram, ModifiedKneserNeyNGram])
def test_with_discount_equals_a_fresh_fit_without_counting_again(model_class):
    text = "the cat sat on the mat and the hat"
    base = model_class(3, sorted(set(text))).fit(text)
    twin = base.with_discount(0.4)
    fresh = KneserNeyNGram(3, sorted(set(text)), discount=0.4).fit(text)
    assert type(twin) is KneserNeyNGram and twin.discount == 0.4
    assert twin._tables is base._tables
    for context in ["", "t", "th", "at", "  "]:
        np.testing.assert_allclose(twin.distribution(context), fresh.distribution(context))
    with pytest.raises(RuntimeError, match="not fitted"):
        model_class(2, "ab").with_discount(0.5)


def test_modified_kneser_ney_discounts_by_hand():
    # Unigram counts a:1 b:1 c:1 d:2 e:2 f:3 g:4, so n1 = 3, n2 = 2, n3 = 1, n4 = 1.
    text = "abcddeefffgggg"
    model = ModifiedKneserNeyNGram(1, "abcdefgh").fit(text)
    y = 3 / (3 + 2 * 2)
    expected = (1 - 2 * y * 2 / 3, 2 - 3 * y * 1 / 2, 3 - 4 * y * 1 / 1)
    assert model.discounts == [pytest.approx(expected)]
    d1, d2, d3 = expected
    freed = 3 * d1 + 2 * d2 + 2 * d3
    assert model.prob("g") == pytest.approx((4 - d3 + freed / 8) / len(text))
    assert model.prob("h") == pytest.approx((freed / 8) / len(text))


def test_modified_kneser_ney_on_too_little_text_uses_one_discount():
    model = ModifiedKneserNeyNGram(2, "ab").fit("abab")
    for d1, d2, d3 in model.discounts:
        assert d1 == d2 == d3 and 0 < d1 <= 1
    assert sum(model.distribution("a")) == pytest.approx(1.0)


@pytest.mark.parametrize("model_class", [LaplaceNGram, KneserNeyNGram, ModifiedKneserNeyNGram])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_distributions_sum_to_one_for_seen_and_unseen_contexts(model_class, order):
    vocab = ["a", "b", "c", "z"]
    model = model_class(order, vocab).fit("abcabcaabbcc")
    for context in all_contexts(vocab, order - 1):
        dist = model.distribution(context)
        assert dist.shape == (4,)
        assert dist.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(dist > 0)
        np.testing.assert_allclose(dist, [model.prob(t, context) for t in vocab], rtol=1e-12)


def test_kneser_ney_prefers_seen_continuations():
    model = KneserNeyNGram(2, "abcd").fit("abcabcabcabc")
    dist = model.distribution("a")
    assert model.vocab[int(dist.argmax())] == "b"
    assert model.prob("b", "a") > 0.8  # 4 of 4 bigrams after "a", minus the discount
    assert model.prob("d", "a") > 0  # never seen at all, still possible
    assert model.prob("d", "a") < model.prob("c", "a")


def test_kneser_ney_continuation_counts_give_the_francisco_effect():
    # "francisco" is frequent but only ever follows "san"; "glasses" is rarer but follows three
    # different words. A word never seen as a context makes the model fall back to the unigram
    # level, where Kneser-Ney ranks by the number of left neighbours, not by raw frequency.
    tokens = ["san", "francisco"] * 8 + ["my", "glasses", "his", "glasses", "new", "glasses"]
    vocab = sorted(set(tokens) | {"reading"})
    counts = Counter(tokens)
    assert counts["francisco"] > counts["glasses"]
    laplace = LaplaceNGram(1, vocab).fit(tokens)
    assert laplace.prob("francisco") > laplace.prob("glasses")
    kn = KneserNeyNGram(2, vocab).fit(tokens)
    assert kn.prob("glasses", ["reading"]) > kn.prob("francisco", ["reading"])
    # Continuation counts: francisco 1 ("san"), glasses 3, san 1 ("francisco" then "san"), ...
    # 8 distinct bigrams in total; the remaining mass goes to the uniform level.
    types, total, d, size = 6, 8, 0.75, len(vocab)
    assert kn.prob("glasses", ["reading"]) == pytest.approx((3 - d + d * types / size) / total)
    assert kn.prob("francisco", ["reading"]) == pytest.approx((1 - d + d * types / size) / total)
    # After "san" the raw bigram count still dominates.
    assert kn.prob("francisco", ["san"]) > 0.9


def test_kneser_ney_order_one_discounts_raw_unigram_counts():
    model = KneserNeyNGram(1, "abc", discount=0.5).fit("aab")
    assert model.prob("a") == pytest.approx((2 - 0.5 + 0.5 * 2 / 3) / 3)
    assert model.prob("c") == pytest.approx((0.5 * 2 / 3) / 3)


def test_fit_replaces_the_previous_counts_and_returns_self():
    model = KneserNeyNGram(2, "ab")
    assert model.fit("aaaa") is model
    first = model.prob("a", "a")
    model.fit("abab")
    assert model.prob("a", "a") < first
    assert model.prob("a", "a") == KneserNeyNGram(2, "ab").fit("abab").prob("a", "a")


def test_vocab_as_size_set_or_sequence():
    by_size = KneserNeyNGram(2, 3).fit([0, 1, 2, 1, np.int64(0)])
    assert by_size.vocab == (0, 1, 2)
    assert by_size.distribution([np.int64(1)]).sum() == pytest.approx(1.0)
    assert LaplaceNGram(1, {"c", "a", "b"}).vocab == ("a", "b", "c")
    assert LaplaceNGram(1, ["c", "a", "b"]).vocab == ("c", "a", "b")
    assert LaplaceNGram(1, ["c", "a", "b"]).vocab_size == 3


def test_an_rnnkit_vocab_gives_distributions_indexed_by_its_ids():
    vocab = Vocab(list("hello world"))
    model = KneserNeyNGram(3, vocab, unk=vocab.unk_token).fit("hello world, hello")
    dist = model.distribution("he")
    assert len(dist) == len(vocab)
    assert dist[vocab["l"]] == model.prob("l", "he")
    assert model.prob("?", "he") == dist[vocab.unk]


# --- unknown tokens -------------------------------------------------------------------------


def test_unknown_tokens_raise_with_advice_to_map_them_to_unk():
    model = KneserNeyNGram(2, "ab").fit("abab")
    with pytest.raises(UnknownTokenError, match=r"token 'x' in the predicted token .*<unk>"):
        model.prob("x", "a")
    with pytest.raises(ValueError, match=r"token 'x' in context .*<unk>"):
        model.distribution("x")
    with pytest.raises(UnknownTokenError, match=r"token 'x' in the training text"):
        LaplaceNGram(2, "ab").fit("abx")
    with pytest.raises(UnknownTokenError, match=r"token \['a'\] in the predicted token"):
        model.prob(["a"], "a")


def test_explicit_unk_token_stands_for_every_unknown_token():
    vocab = ["the", "cat", "<unk>"]
    model = KneserNeyNGram(2, vocab, unk="<unk>").fit(["the", "cat", "the", "dog"])
    reference = KneserNeyNGram(2, vocab).fit(["the", "cat", "the", "<unk>"])
    assert model.prob("dog", ["the"]) == reference.prob("<unk>", ["the"])
    assert model.prob("cat", ["emu"]) == reference.prob("cat", ["<unk>"])
    with pytest.raises(ValueError, match=r"unk='<oov>' is not in the vocabulary"):
        KneserNeyNGram(2, vocab, unk="<oov>")


# --- argument checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LaplaceNGram(0, "ab"), r"order must be an integer >= 1, got 0"),
        (lambda: LaplaceNGram(2, "ab", alpha=0), r"alpha must be a finite number > 0, got 0"),
        (lambda: LaplaceNGram(2, "ab", alpha=-1.0), r"alpha must be .* got -1.0"),
        (lambda: LaplaceNGram(2, "ab", alpha=math.inf), r"alpha must be .* got inf"),
        (lambda: KneserNeyNGram(2, "ab", discount=0), r"discount must be .* in \(0, 1\), got 0"),
        (lambda: KneserNeyNGram(2, "ab", discount=1.0), r"discount must be .* got 1.0"),
        (lambda: KneserNeyNGram(2, "ab", discount=1.5), r"discount must be .* got 1.5"),
        (lambda: KneserNeyNGram(2, ""), r"vocab is empty"),
        (lambda: KneserNeyNGram(2, 0), r"vocab must be an integer >= 1, got 0"),
        (lambda: KneserNeyNGram(2, "aba"), r"vocab lists tokens more than once: 'a'"),
        (lambda: KneserNeyNGram(2, {1, "a"}), r"cannot be sorted; pass a list"),
        (lambda: KneserNeyNGram(2, 2.5), r"vocab must be a size"),
    ],
)
def test_bad_model_arguments_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: KneserNeyNGram(2.0, "ab"), r"order must be an integer >= 1, got 2.0"),
        (lambda: LaplaceNGram(True, "ab"), r"order must be an integer >= 1, got True"),
        (lambda: LaplaceNGram(2, "ab", alpha="1"), r"alpha must be .* got '1'"),
        (lambda: KneserNeyNGram(2, "ab", discount=True), r"discount must be .* got True"),
    ],
)
def test_model_arguments_of_the_wrong_type_raise_type_error(build, message):
    with pytest.raises(TypeError, match=message):
        build()


def test_using_a_model_before_fit_is_an_error():
    with pytest.raises(RuntimeError, match=r"KneserNeyNGram is not fitted yet: call fit"):
        KneserNeyNGram(2, "ab").prob("a", "b")
    with pytest.raises(RuntimeError, match=r"LaplaceNGram is not fitted yet"):
        LaplaceNGram(2, "ab").distribution("b")


# --- perplexity -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_class", [LaplaceNGram, KneserNeyNGram])
def test_uniform_model_has_perplexity_equal_to_vocab_size(model_class):
    model = model_class(3, 7).fit([])  # nothing seen: every distribution is uniform
    tokens = [0, 6, 3, 3, 1, 5, 2]
    assert perplexity(model, tokens) == pytest.approx(7.0, rel=1e-12)
    assert perplexity(model, tokens, history=[4, 4]) == pytest.approx(7.0, rel=1e-12)
    assert cross_entropy(model, tokens) == pytest.approx(math.log(7.0), rel=1e-12)


def test_perplexity_of_a_deterministic_continuation_is_near_one():
    train = "ab" * 500
    model = KneserNeyNGram(2, "abc").fit(train)
    assert perplexity(model, "ab" * 50, history=train) < 1.01
    assert perplexity(model, "a" * 20, history=train) > 100  # a never followed a in training


def test_perplexity_is_exp_of_the_mean_negative_log_likelihood():
    model = LaplaceNGram(2, "ab").fit("aabab")
    logs = [model.log_prob("b", "a"), model.log_prob("a", "b"), model.log_prob("a", "a")]
    expected = math.exp(-sum(logs) / 3)
    assert perplexity(model, "baa", history="xya"[-1:]) == pytest.approx(expected)


def test_token_log_probs_are_the_terms_of_the_cross_entropy():
    model = KneserNeyNGram(3, "abc").fit("abcabcabcacb")
    terms = token_log_probs(model, "cab", history="ab")
    expected = [model.log_prob("c", "ab"), model.log_prob("a", "bc"), model.log_prob("b", "ca")]
    np.testing.assert_allclose(terms, expected)
    assert cross_entropy(model, "cab", history="ab") == pytest.approx(-np.mean(expected))


def test_history_is_context_but_is_not_scored():
    model = KneserNeyNGram(3, "abc").fit("abcabcabcacb")
    without = perplexity(model, "c")
    with_history = perplexity(model, "c", history="aab")
    assert with_history != pytest.approx(without)
    assert with_history == pytest.approx(1 / model.prob("c", "ab"))
    assert without == pytest.approx(1 / model.prob("c", ()))
    # The tokens just after the split see the end of history as their context.
    assert perplexity(model, "ca", history="ab") == pytest.approx(
        1 / math.sqrt(model.prob("c", "ab") * model.prob("a", "bc"))
    )


def test_perplexity_checks_its_arguments():
    model = LaplaceNGram(2, "ab").fit("ab")
    with pytest.raises(ValueError, match=r"tokens is empty"):
        perplexity(model, "")
    with pytest.raises(TypeError, match=r"model must have an integer attribute order >= 1"):
        perplexity(object(), "ab")
    with pytest.raises(UnknownTokenError, match=r"token 'z'"):
        perplexity(model, "az")


def test_time_machine_five_gram_kneser_ney_scores_the_validation_tail_quickly():
    path = Path(os.environ.get("RNNKIT_DATA_DIR", "")) / "timemachine.txt"
    if not path.is_file():
        pytest.skip("The Time Machine is not available (set RNNKIT_DATA_DIR)")
    text = re.sub("[^a-z]+", " ", path.read_text(encoding="utf-8").lower())
    split = int(len(text) * 0.9)
    train, valid = text[:split], text[split:]
    vocab = sorted(set(text))
    start = time.perf_counter()
    five = KneserNeyNGram(5, vocab).fit(train)
    ppl_five = perplexity(five, valid, history=train)
    elapsed = time.perf_counter() - start
    assert len(valid) > 17_000
    assert elapsed < 20.0  # a few seconds on a laptop; the margin is for busy CI machines
    ppl_two = perplexity(KneserNeyNGram(2, vocab).fit(train), valid, history=train)
    ppl_laplace = perplexity(LaplaceNGram(5, vocab).fit(train), valid, history=train)
    assert 2.0 < ppl_five < ppl_two < len(vocab)
    assert ppl_five < ppl_laplace
