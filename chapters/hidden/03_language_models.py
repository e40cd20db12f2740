# Hidden checks of chapter 03_language_models, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="perplexity"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("perplexity") as t:
    t.close(t.call(perplexity_from_probs, [1.0, 1.0, 1.0]), 1.0)
    t.close(t.call(perplexity_from_probs, np.full(8, 0.25)), 4.0)
    t.close(t.call(perplexity_from_probs, [0.5, 0.25, 0.125, 0.125]), 2**2.25)
    t.close(t.call(perplexity_from_probs, np.full(2000, 1e-5)), 1e5, rtol=1e-9)
    t.equal(t.call(perplexity_from_probs, [0.5, 0.0, 0.25]), math.inf)
    t.raises(ValueError, perplexity_from_probs, [])
### END HIDDEN TESTS


# %% hidden_check="add_alpha"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("add_alpha") as t:
    # Characters, a token never seen ("d"), a context never seen, alpha below 1.
    for previous, token in (("b", "a"), ("a", "d"), ("d", "a"), ("a", "b")):
        got = t.call(add_alpha_prob, "abab", 4, previous, token, 0.5)
        t.close(got, laplace_reference("abab", ["a", "b", "c", "d"], previous, token, 0.5))
    # Words; "end" closes the text, so no occurrence of it is followed by a token.
    short_text = "the cat sat on the mat the end".split()
    word_vocab = [*sorted(set(short_text)), "dog"]
    for previous, token in (("the", "cat"), ("the", "dog"), ("end", "the"), ("mat", "the")):
        got = t.call(add_alpha_prob, short_text, len(word_vocab), previous, token, 0.01)
        t.close(got, laplace_reference(short_text, word_vocab, previous, token, 0.01))
### END HIDDEN TESTS


# %% hidden_check="sequential_partition"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("sequential_partition") as t:
    # A corpus of ids that are not their own positions, at the largest offset.
    ids = [7, 3, 9, 1, 4, 4, 8, 0, 2, 6, 5, 3, 1, 9]
    got = t.call(sequential_partition, ids, 2, 3, 2)
    check_batches(
        t,
        got,
        [(np.array([[9, 1, 4], [4, 8, 0]]), np.array([[1, 4, 4], [8, 0, 2]]))],
    )
    # One row; the corpus fits exactly (len - offset - 1 is a multiple of batch_size * num_steps).
    got = t.call(sequential_partition, np.arange(7), 1, 2, 0)
    check_batches(
        t,
        got,
        [
            (np.array([[0, 1]]), np.array([[1, 2]])),
            (np.array([[2, 3]]), np.array([[3, 4]])),
            (np.array([[4, 5]]), np.array([[5, 6]])),
        ],
    )
    # Too short for a single batch.
    check_batches(t, t.call(sequential_partition, [1, 2, 3, 4, 5], 2, 2, 1), [])
    # Agrees with rnnkit on a longer corpus, several rows and an offset.
    corpus = np.random.default_rng(3).integers(0, 28, size=200)
    got = t.call(sequential_partition, corpus, 4, 7, 5)
    expected = [(X.numpy(), Y.numpy()) for X, Y in sequential_batches(corpus, 4, 7, offset=5)]
    check_batches(t, got, expected)
### END HIDDEN TESTS
