# Hidden checks of chapter 02_text_preprocessing, the instructor's grading tests
# (docs/instructors.md).
# rnnkit inserts each cell after the visible check of its exercise when it builds the instructor
# edition or grades a submission; the student edition never contains them. A public fork of the
# course can delete this folder: the student notebooks do not need it.


# %% hidden_check="coverage"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("coverage") as t:
    vocab = Vocab(["x", "y", "x"], reserved_tokens=["<pad>"])
    t.close(t.call(coverage, vocab, ["<pad>", "x", "z"]), 2 / 3)
    t.close(t.call(coverage, vocab, ["<unk>", "y"]), 0.5)
    t.close(t.call(coverage, vocab, ["q", "r", "s"]), 0.0)
    t.close(t.call(coverage, vocab, ["x"] * 5), 1.0)
    t.raises(ValueError, coverage, vocab, [])
### END HIDDEN TESTS


# %% hidden_check="vocab_table"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("vocab_table") as t:
    t.equal(t.call(build_idx_to_token, []), ["<unk>"])
    t.equal(t.call(build_idx_to_token, "b a c a b a".split(), 2), ["<unk>", "a", "b"])
    t.equal(t.call(build_idx_to_token, ["b", "a", "B"], 0), ["<unk>", "B", "a", "b"])
    got = t.call(build_idx_to_token, ["<pad>", "x", "<unk>", "x", "<pad>"], 1, ["<eos>", "<pad>"])
    t.equal(got, ["<unk>", "<eos>", "<pad>", "x"])
    t.equal(t.call(build_idx_to_token, ["z", "y"], 3, ["<pad>"]), ["<unk>", "<pad>"])
    quote = "to be or not to be that is the question".split()
    t.equal(t.call(build_idx_to_token, quote, 1, []), Vocab(quote).idx_to_token)
### END HIDDEN TESTS


# %% hidden_check="bpe_merge_step"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("bpe_merge_step") as t:
    t.equal(
        t.call(my_merge_step, {("a", "b", "c"): 2, ("b", "c"): 3}),
        (("b", "c"), {("a", "bc"): 2, ("bc",): 3}),
    )
    # Ties go to the smallest pair.
    t.equal(
        t.call(my_merge_step, {("x", "y", "</w>"): 1, ("a", "b", "</w>"): 1}),
        (("a", "b"), {("x", "y", "</w>"): 1, ("ab", "</w>"): 1}),
    )
    # Overlapping occurrences are joined from the left.
    t.equal(
        t.call(my_merge_step, {("a", "a", "a", "</w>"): 2}), (("a", "a"), {("aa", "a", "</w>"): 2})
    )
    t.equal(t.call(my_merge_step, {("a", "a", "a", "a"): 1}), (("a", "a"), {("aa", "aa"): 1}))
    # Counts weigh the pairs: one frequent word beats a pair that occurs in two rare words.
    t.equal(
        t.call(my_merge_step, {("a", "b"): 1, ("b", "c"): 5, ("a", "b", "x"): 1}),
        (("b", "c"), {("a", "b"): 1, ("bc",): 5, ("a", "b", "x"): 1}),
    )
    # Only whole symbols are joined: "ca" + "b" and "a" + "bc" are not occurrences of ("a", "b").
    t.equal(
        t.call(my_merge_step, {("a", "b"): 5, ("ca", "b"): 1, ("a", "bc"): 1}),
        (("a", "b"), {("ab",): 5, ("ca", "b"): 1, ("a", "bc"): 1}),
    )
    # Nothing left to merge.
    t.equal(t.call(my_merge_step, {("ab",): 3, ("c",): 1}), (None, {("ab",): 3, ("c",): 1}))
    table = {("l", "o", "w", "</w>"): 5, ("l", "o", "w", "e", "r", "</w>"): 2}
    t.call(my_merge_step, table)
    t.true(
        t.arguments[0] == {("l", "o", "w", "</w>"): 5, ("l", "o", "w", "e", "r", "</w>"): 2},
        "the table passed in is left unchanged",
    )
### END HIDDEN TESTS


# %% hidden_check="punct_tokenizer"
### BEGIN HIDDEN TESTS
from rnnkit.course import hidden_check

with hidden_check("punct_tokenizer") as t:
    t.equal(t.call(tokenize_keep_punct, ""), [])
    t.equal(t.call(tokenize_keep_punct, " \n\t "), [])
    got = t.call(tokenize_keep_punct, "Isn't it fun?! 'Tis.")
    t.equal(got, ["isn't", "it", "fun", "?", "!", "'", "tis", "."])
    got = t.call(tokenize_keep_punct, "Rock 'n' roll, the travellers' O'CLOCK")
    t.equal(got, ["rock", "'", "n", "'", "roll", ",", "the", "travellers", "'", "o'clock"])
    t.equal(t.call(tokenize_keep_punct, "don''t"), ["don", "'", "'", "t"])
    t.equal(t.call(tokenize_keep_punct, "CAFÉ\nin 1895..."), ["café", "in", "1895", ".", ".", "."])
### END HIDDEN TESTS
