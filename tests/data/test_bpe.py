"""Tests for rnnkit.data.bpe: the from-scratch BPE learner and the sentencepiece BPE tokenizer."""

import random

import numpy as np
import pytest
import tensorflow as tf

from rnnkit.data.bpe import (
    END_OF_WORD,
    BytePairEncoding,
    SentencePieceBPE,
    apply_merge,
    count_pairs,
    merge_step,
    merge_symbols,
    most_frequent_pair,
    train_sentencepiece_bpe,
)

# Counts: sun 3, run 2, sunny 1, runny 1, fun 1.
TINY = "sun sun sun sunny run run runny fun"
# Worked out by hand from pair counts (see the comments in test_fit_learns_hand_computed_merges).
TINY_MERGES = [
    ("u", "n"),
    ("un", "</w>"),
    ("s", "un</w>"),
    ("n", "y"),
    ("ny", "</w>"),
    ("r", "un</w>"),
    ("un", "ny</w>"),
    ("f", "un</w>"),
    ("r", "unny</w>"),
    ("s", "unny</w>"),
]


def random_text(seed: int, num_words: int = 300, alphabet: str = "abcdefgh") -> str:
    """Words of 1-7 letters drawn from a small alphabet, so pairs repeat and merges happen."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choices(alphabet, k=rng.randint(1, 7))) for _ in range(num_words))


def test_count_pairs_weights_by_word_frequency():
    pairs = count_pairs({("a", "b", "</w>"): 3, ("a", "b", "a", "b", "</w>"): 1})
    assert pairs == {("a", "b"): 5, ("b", "</w>"): 4, ("b", "a"): 1}


def test_most_frequent_pair_breaks_ties_alphabetically():
    assert most_frequent_pair({("b", "a"): 2, ("a", "c"): 2, ("a", "b"): 1}) == ("a", "c")
    with pytest.raises(ValueError, match="pair_counts is empty"):
        most_frequent_pair({})


def test_merge_symbols_scans_left_to_right_without_overlap():
    assert merge_symbols(("a", "a", "a", "</w>"), ("a", "a")) == ("aa", "a", "</w>")
    assert merge_symbols(("a", "b", "a", "b"), ("a", "b")) == ("ab", "ab")
    assert merge_symbols(("a", "b"), ("b", "a")) == ("a", "b")


def test_apply_merge_and_merge_step():
    freqs = {("l", "o", "l", "</w>"): 2, ("o", "l", "</w>"): 1}
    assert apply_merge(freqs, ("o", "l")) == {("l", "ol", "</w>"): 2, ("ol", "</w>"): 1}
    pair, merged = merge_step(freqs)
    assert pair == ("l", "</w>")  # 3 occurrences, one more than ("l", "o") and ("o", "l")
    assert merged == {("l", "o", "l</w>"): 2, ("o", "l</w>"): 1}
    assert freqs == {("l", "o", "l", "</w>"): 2, ("o", "l", "</w>"): 1}  # input untouched


def test_merge_step_when_nothing_is_left():
    freqs = {("sun</w>",): 3}
    assert merge_step(freqs) == (None, freqs)


def test_fit_learns_hand_computed_merges():
    # Step 1: (u,n) occurs in all 8 words. Step 2: (un,</w>) 6 = sun 3 + run 2 + fun 1.
    # Step 3: (s,un</w>) 3. Then four pairs tie at 2 - (n,y) (r,un</w>) (un,n) (y,</w>) -
    # and the alphabetically smallest, (n,y), wins; the later ties are broken the same way.
    bpe = BytePairEncoding().fit(TINY, num_merges=100)
    assert bpe.merges == TINY_MERGES  # stopped early: every word is one symbol
    assert bpe.encode(TINY) == ["sun</w>"] * 3 + ["sunny</w>"] + ["run</w>"] * 2 + [
        "runny</w>",
        "fun</w>",
    ]


def test_fit_vocabulary_and_encode_after_three_merges():
    bpe = BytePairEncoding().fit(TINY, num_merges=3)
    assert bpe.merges == TINY_MERGES[:3]
    assert bpe.vocabulary == ["</w>", "f", "n", "r", "s", "u", "y", "un", "un</w>", "sun</w>"]
    assert bpe.symbols == bpe.vocabulary
    assert bpe.encode("sunny fun sun") == ["s", "un", "n", "y", "</w>", "f", "un</w>", "sun</w>"]
    # "z" and "e" were never seen: they stay single characters.
    assert bpe.encode("zen") == ["z", "e", "n", "</w>"]
    assert bpe.encode("") == []


def test_fit_with_zero_merges_is_character_level():
    bpe = BytePairEncoding().fit(TINY, num_merges=0)
    assert bpe.merges == []
    assert bpe.encode("fun") == ["f", "u", "n", "</w>"]


def test_merges_are_deterministic_and_independent_of_word_order():
    text = random_text(seed=1)
    words = text.split()
    shuffled = words[:]
    random.Random(2).shuffle(shuffled)
    first = BytePairEncoding().fit(text, 40).merges
    assert len(first) == 40
    assert BytePairEncoding().fit(text, 40).merges == first
    assert BytePairEncoding().fit(shuffled, 40).merges == first
    lines = [" ".join(words[i : i + 10]) for i in range(0, len(words), 10)]
    assert BytePairEncoding().fit(iter(lines), 40).merges == first


def test_encode_equals_applying_every_merge_in_learned_order():
    bpe = BytePairEncoding().fit(random_text(seed=3), 60)
    for word in random_text(seed=4, num_words=100, alphabet="abcdefghij").split():
        symbols = (*word, END_OF_WORD)
        for pair in bpe.merges:
            symbols = merge_symbols(symbols, pair)
        assert bpe.encode_word(word) == list(symbols)


@pytest.mark.parametrize("end_of_word", [END_OF_WORD, "_"])
@pytest.mark.parametrize("seed", [5, 6])
def test_decode_inverts_encode(end_of_word, seed):
    bpe = BytePairEncoding(end_of_word=end_of_word).fit(random_text(seed), 50)
    text = random_text(seed + 100, alphabet="abcdefghijk")  # i, j, k are unseen
    assert bpe.decode(bpe.encode(text)) == text
    assert bpe.decode(bpe.encode("  two\n words ")) == "two words"


def test_decode_keeps_a_truncated_last_word():
    bpe = BytePairEncoding().fit(TINY, num_merges=1)
    assert bpe.decode(["s", "un", "</w>", "r", "un"]) == "sun run"
    assert bpe.decode([]) == ""


@pytest.mark.parametrize(
    ("num_merges", "error"),
    [(-1, ValueError), (2.0, TypeError), (True, TypeError), (None, TypeError)],
)
def test_fit_rejects_bad_num_merges(num_merges, error):
    with pytest.raises(error, match=f"num_merges must be an integer >= 0, got {num_merges!r}"):
        BytePairEncoding().fit(TINY, num_merges)


@pytest.mark.parametrize("empty", ["", " \n ", [], ["", "  "]])
def test_fit_rejects_empty_text(empty):
    with pytest.raises(ValueError, match="holds no words"):
        BytePairEncoding().fit(empty, 5)


def test_bpe_argument_errors():
    with pytest.raises(TypeError, match="str or an iterable of str, got int"):
        BytePairEncoding().fit(42, 5)
    with pytest.raises(TypeError, match="must hold str items, got bytes"):
        BytePairEncoding().fit([b"sun"], 5)
    with pytest.raises(ValueError, match="contains the end-of-word marker"):
        BytePairEncoding().fit("sun</w> run", 5)
    with pytest.raises(ValueError, match="contains the end-of-word marker '_'"):
        BytePairEncoding(end_of_word="_").fit(TINY, 5).encode("snake_case")
    for bad in ["", "a b", None]:
        with pytest.raises(ValueError, match="end_of_word=.* non-empty str without whitespace"):
            BytePairEncoding(end_of_word=bad)
    with pytest.raises(RuntimeError, match="not fitted yet"):
        BytePairEncoding().encode("sun")
    with pytest.raises(TypeError, match="text must be a str"):
        BytePairEncoding().fit(TINY, 2).encode(["sun"])


# ---------------------------------------------------------------- sentencepiece


def sentence_corpus(seed: int = 0, num_lines: int = 300) -> list[str]:
    """Sentences over a small vocabulary of made-up words built from a few syllables."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi"]
    words = ["".join(rng.choices(syllables, k=rng.randint(1, 3))) for _ in range(60)]
    return [" ".join(rng.choices(words, k=rng.randint(3, 12))) for _ in range(num_lines)]


VOCAB_SIZE = 80


@pytest.fixture(scope="module")
def corpus():
    return sentence_corpus()


@pytest.fixture(scope="module")
def sp_model(corpus):
    return train_sentencepiece_bpe(corpus, VOCAB_SIZE)


@pytest.fixture(scope="module")
def sp(sp_model):
    return SentencePieceBPE(sp_model)


def test_train_is_deterministic_and_quiet(corpus, sp_model, capfd):
    again = train_sentencepiece_bpe(corpus, VOCAB_SIZE)
    SentencePieceBPE(again).tokenize("kalo mine")
    assert capfd.readouterr() == ("", "")
    assert again == sp_model


def test_vocab_size_and_special_ids(sp, corpus):
    assert sp.vocab_size == VOCAB_SIZE
    assert (sp.pad_id, sp.unk_id) == (0, 1)
    ids = sp.tokenize(corpus).flat_values.numpy()
    assert ids.min() >= 4  # no pad, unk or sentence markers inside known text
    assert ids.max() < VOCAB_SIZE
    assert len(np.unique(ids)) > 30  # merges were learned and used, not only characters


def test_round_trip_batch_and_scalar(sp, corpus):
    batch = corpus[:20] + [" ".join(reversed(line.split())) for line in corpus[:20]]
    ids = sp.tokenize(batch)
    assert isinstance(ids, tf.RaggedTensor)
    assert ids.dtype == tf.int32
    assert [s.decode() for s in sp.detokenize(ids).numpy()] == batch
    scalar_ids = sp.tokenize(corpus[0])
    assert scalar_ids.shape.rank == 1
    assert sp.detokenize(scalar_ids).numpy().decode() == corpus[0]


def test_padding_decodes_to_nothing(sp, corpus):
    padded = sp.tokenize(corpus[:5]).to_tensor()
    assert padded.numpy().min() == sp.pad_id
    assert [s.decode() for s in sp.detokenize(padded).numpy()] == corpus[:5]


def test_unseen_characters_become_unk(sp):
    assert sp.unk_id in sp.tokenize("kalo xyz").numpy()


def test_tokenize_pieces(sp, corpus):
    pieces = sp.tokenize_pieces(corpus[:3])
    assert pieces.dtype == tf.string
    for line, row in zip(corpus[:3], pieces.to_list(), strict=True):
        text = b"".join(row).decode()
        assert text.replace("\u2581", " ").strip() == line
        assert row[0].decode().startswith("\u2581")  # a line starts with a word


def test_tokenize_inside_dataset_map(sp, corpus):
    dataset = tf.data.Dataset.from_tensor_slices(corpus[:8]).map(sp.tokenize)
    for line, ids in zip(corpus[:8], dataset.as_numpy_iterator(), strict=True):
        np.testing.assert_array_equal(ids, sp.tokenize(line).numpy())
    batched = tf.data.Dataset.from_tensor_slices(corpus[:8]).batch(4).map(sp.tokenize)
    first = next(iter(batched))
    assert isinstance(first, tf.RaggedTensor)
    assert first.shape[0] == 4


def test_train_accepts_a_text_and_one_long_line(corpus):
    # A text is split into lines; a single line longer than sentencepiece's default limit
    # (4192 bytes) must still be used for training, not skipped.
    long_line = " ".join(corpus)
    assert len(long_line) > 4192
    for text in ["\n".join(corpus), long_line]:
        sp = SentencePieceBPE(train_sentencepiece_bpe(text, VOCAB_SIZE))
        assert sp.vocab_size == VOCAB_SIZE
        assert sp.detokenize(sp.tokenize(corpus[7])).numpy().decode() == corpus[7]


@pytest.mark.parametrize(
    ("vocab_size", "error"),
    [(0, ValueError), (-5, ValueError), (2.5, TypeError), (True, TypeError), ("80", TypeError)],
)
def test_train_rejects_bad_vocab_size(corpus, vocab_size, error):
    with pytest.raises(error, match=f"vocab_size must be an integer >= 1, got {vocab_size!r}"):
        train_sentencepiece_bpe(corpus, vocab_size)


@pytest.mark.parametrize(
    ("vocab_size", "reason"),
    [(100_000, "Vocabulary size too high"), (6, "smaller than required_chars")],
)
def test_train_rejects_vocab_size_that_does_not_fit_the_text(corpus, vocab_size, reason, capfd):
    match = f"vocab_size={vocab_size} does not fit this text.*{reason}"
    with pytest.raises(ValueError, match=match):
        train_sentencepiece_bpe(corpus, vocab_size)
    assert capfd.readouterr() == ("", "")


def test_train_and_wrapper_argument_errors(corpus):
    with pytest.raises(ValueError, match="no non-blank line"):
        train_sentencepiece_bpe(["", "  "], VOCAB_SIZE)
    with pytest.raises(TypeError, match="must hold str lines, got int"):
        train_sentencepiece_bpe([1, 2], VOCAB_SIZE)
    with pytest.raises(
        ValueError, match=r"character_coverage must be a finite number in \(0, 1\], got 0"
    ):
        train_sentencepiece_bpe(corpus, VOCAB_SIZE, character_coverage=0)
    with pytest.raises(ValueError, match="not a sentencepiece model proto"):
        SentencePieceBPE(b"not a model")
    with pytest.raises(TypeError, match="model must be the bytes"):
        SentencePieceBPE("model.model")
