# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 2: Text preprocessing
#
# A recurrent network reads tensors of numbers, one time step after another. A book is a long
# string of letters, spaces and punctuation. This chapter builds the bridge between the two, on
# the small English corpus that the next chapters use for language models: *The Time Machine*
# by H. G. Wells.
#
# **What you will learn**
#
# - the path from raw text to a tensor of shape (batch, steps): clean, tokenize, map tokens to
#   ids, cut into fragments;
# - how to load a registered data set reproducibly (checksum, offline folder);
# - what cleaning throws away, and when you may want to keep case or punctuation;
# - three levels of tokens, characters, words and subwords (byte-pair encoding, BPE), and what
#   each level costs: vocabulary size against sequence length;
# - how BPE learns its merges, first with a from-scratch learner you can watch step by step,
#   then with sentencepiece running inside TensorFlow graphs and `tf.data` pipelines;
# - how a vocabulary maps tokens to ids, why rare tokens become `<unk>`, and how `min_freq`
#   trades vocabulary size against unknown tokens;
# - the first statistics of a corpus: counts, most frequent tokens and a long tail of rare ones.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import tempfile
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from rnnkit.data import (
    Vocab,
    bpe,
    clean,
    datasets,
    load_text,
    tokenize_chars,
    tokenize_words,
    train_valid_test_split,
)

# Quick mode (CI) learns fewer merges with the from-scratch BPE; the code path is the same.
BPE_MERGES = runmode.pick(full=500, quick=60)
# sentencepiece trains in well under a second, so its budget does not depend on the mode.
SP_VOCAB_SIZE = 1000

# %% [markdown]
# ## 2.1 From text to tensors
#
# An image classifier receives a tensor of shape (batch size, width, height, channels): every
# number is already a pixel intensity. Text arrives as a sequence of *symbols*, and symbols are
# not numbers. Before a network can read them we
#
# 1. **clean** the raw text, deciding which symbols the model will ever see;
# 2. **tokenize** it: split it into *tokens*, the units of one time step (a character, a word or
#    a piece of a word);
# 3. map every token to an integer **id** with a *vocabulary*;
# 4. arrange the ids in a tensor of shape **(batch size, number of steps)**. A layer such as
#    `keras.layers.Embedding` (or a one-hot encoding) then turns every id into a vector.
#
# The last step hides a difficulty. Text has *long dependencies*: a pronoun may refer to a
# person introduced pages earlier. Yet a model cannot backpropagate through a whole book of
# about 170,000 characters in one go; that would cost too much time and memory. So we cut the
# long sequence into shorter **fragments** of a fixed number of steps and train on minibatches
# of fragments. This chapter prepares the ids; Chapter 3 builds the minibatches properly (with
# random and sequential partitioning), on top of the language models that need them.

# %% [markdown]
# ## 2.2 Loading *The Time Machine*
#
# The workbook never embeds data in a chapter. Each data set is described by a small JSON file
# in the repository's `datasets/` folder: where the file comes from, its licence, its size and
# its SHA-256 hash. `rnnkit.data.load_text(name)` looks for the file, checks the hash, and
# only then returns its contents. A different or truncated file raises an error instead of
# silently changing every number below.
#
# The file is looked up in this order:
#
# 1. the folder named by the environment variable `RNNKIT_DATA_DIR` (handy offline: download the
#    file once on a machine with internet access, put it in a folder, and point the variable at
#    that folder, e.g. `export RNNKIT_DATA_DIR=~/data` before starting Jupyter);
# 2. a cache folder (`~/.cache/rnnkit/datasets`, or `RNNKIT_CACHE_DIR`);
# 3. a download from the registry's URL into the cache.
#
# The text itself is a public-domain Project Gutenberg edition of the novel, as hosted by the
# *Dive into Deep Learning* project.

# %%
# NBVAL_CHECK_OUTPUT
entry = datasets.info("timemachine")
print("file:   ", entry.filename)
print("from:   ", entry.url)
print("licence:", entry.licence)
print("bytes:  ", entry.size)
print("sha256: ", entry.sha256)

# %%
raw = load_text("timemachine")
# Where the file was found, in general terms: a notebook's outputs name no folder of this machine.
found = datasets.path("timemachine")
from_data_dir = datasets.data_dir() is not None and found.parent == datasets.data_dir()
print("found in:", "the folder named by RNNKIT_DATA_DIR" if from_data_dir else "rnnkit's cache")

# %% [markdown]
# The raw text is one string. Its lines are short, as in the printed book, and many are blank
# (between paragraphs and around the chapter headings). Here are the first few non-blank lines.

# %%
# NBVAL_CHECK_OUTPUT
raw_lines = raw.splitlines()
print(f"{len(raw):,} characters on {len(raw_lines):,} lines")
non_blank = [line for line in raw_lines if line.strip()]
for line in non_blank[:3]:
    print(repr(line))

# %% [markdown]
# ## 2.3 Cleaning
#
# Every distinct symbol that survives cleaning becomes part of what the model must learn to
# predict. The classic choice for a first character-level language model is drastic:
# `clean(raw)` replaces every run of characters that are not ASCII letters (punctuation,
# digits, newlines, accented letters) by a single space and lower-cases the rest. What is left
# is an alphabet of 26 letters plus the space.
#
# That is a modelling decision, not a law. Capitals tell where sentences and names begin, and
# punctuation carries meaning ("let's eat, grandma" is not "let's eat grandma"). Two switches
# keep them: `keep_case=True` keeps capitals, and `keep_punctuation=True` keeps every
# non-space character and only squeezes runs of whitespace (newlines included) into one space.
# A made-up sentence shows the four variants.

# %%
# NBVAL_CHECK_OUTPUT
sample = 'In 1895, the café\'s\nclock said: "Ten past eight!"  Nobody believed it...'
print("raw:                 ", repr(sample))
for keep_case in (False, True):
    for keep_punctuation in (False, True):
        cleaned_sample = clean(sample, keep_case=keep_case, keep_punctuation=keep_punctuation)
        label = f"case={keep_case!s:5} punct={keep_punctuation!s:5}"
        print(f"{label} {cleaned_sample!r}")

# %% [markdown]
# Note what the default does to the accented letter: "é" is not an ASCII letter, so "café"
# becomes "caf" and a space. Such losses are rare in this English book but would matter in
# French. On the book itself, cleaning shrinks the set of distinct characters considerably and
# removes only a few percent of the characters (mostly newlines and punctuation that become
# spaces).

# %%
# NBVAL_CHECK_OUTPUT
cleaned = clean(raw)
print(f"raw:     {len(raw):,} characters, {len(set(raw))} distinct")
print(f"cleaned: {len(cleaned):,} characters, {len(set(cleaned))} distinct")
print(
    "characters lost:", len(set(raw) - set(cleaned)), "e.g.", sorted(set(raw) - set(cleaned))[:12]
)
for line in non_blank[2:4]:
    print(repr(clean(line)))

# %% [markdown]
# ## 2.4 Tokenization: characters, words or subwords?
#
# A token is what the model reads and predicts at one time step. The choice of token fixes two
# numbers that pull in opposite directions:
#
# - the **vocabulary size** $V$: the output layer of a language model scores all $V$ tokens at
#   every step (a softmax over $V$ classes), so its cost grows with $V$;
# - the **sequence length** $T$: the number of steps the recurrent network must run, and the
#   distance over which it must carry information.
#
# ### Characters
#
# With characters as tokens the vocabulary is tiny (27 symbols after classic cleaning), and no
# token is ever unknown. The price: sequences are long, and the model must learn spelling from
# scratch before it can learn anything about words.

# %%
# NBVAL_CHECK_OUTPUT
char_tokens = tokenize_chars(cleaned)
print(char_tokens[:24])
print(f"{len(char_tokens):,} character tokens, {len(set(char_tokens))} distinct")

# %% [markdown]
# ### Words
#
# With words as tokens each step carries much more meaning, and spelling comes for free. But
# what is a word? tensorflow-text offers tokenizers that run as TensorFlow ops (so they also
# work inside `tf.data` pipelines):
#
# - `WhitespaceTokenizer` splits on whitespace only, so punctuation sticks to its word;
# - `UnicodeScriptTokenizer` also splits where the Unicode script changes: letters, digits
#   and punctuation become separate tokens.
#
# `tokenize_words(text, method=...)` wraps both. Compare them on a made-up sentence.

# %%
# NBVAL_CHECK_OUTPUT
sentence = "Deep learning is fun. Isn't it? The café charged $3.50--twice!"
print("whitespace:    ", tokenize_words(sentence, method="whitespace"))
print("unicode_script:", tokenize_words(sentence, method="unicode_script"))

# %% [markdown]
# Neither is perfect: the whitespace tokenizer treats "fun." and "fun" as two different words,
# while the script tokenizer tears "Isn't" into three tokens and glues the digits and dashes of
# "$3.50--" together. On the whole book the choice changes the number of distinct words a lot;
# cleaned text split on spaces gives the smallest vocabulary, because case and punctuation are
# gone.

# %%
# NBVAL_CHECK_OUTPUT
word_tokenizations = {
    "raw text, whitespace": tokenize_words(raw, method="whitespace"),
    "raw text, unicode_script": tokenize_words(raw, method="unicode_script"),
    "cleaned text, split on spaces": cleaned.split(),
}
for name, tokens in word_tokenizations.items():
    print(f"{name:30} {len(tokens):6,} tokens {len(set(tokens)):6,} distinct")
words = word_tokenizations["cleaned text, split on spaces"]

# %% [markdown]
# Word vocabularies have two problems.
#
# *The output layer is large.* A language model with a hidden state of 256 numbers needs an
# output layer with $256 \cdot V + V$ parameters, and computes $V$ scores at every step. Even
# this short book has thousands of distinct words; a large corpus has hundreds of thousands.
#
# *Unseen words.* Whatever vocabulary we build from training text, new text contains words that
# are not in it. Build a vocabulary from the first 80% of the book (the training split of
# chapter 3) and count how many word tokens of the next 10% (its validation split) it does not
# know (they would all become the single token `<unk>`, introduced in Section 2.5).

# %%
# NBVAL_CHECK_OUTPUT
hidden = 256
for level, vocab_size in [
    ("characters", len(set(char_tokens)) + 1),
    ("words", len(set(words)) + 1),
]:
    num_params = hidden * vocab_size + vocab_size
    print(f"{level:10} V = {vocab_size:5,}: output layer has {num_params:9,} parameters")

train_words, valid_words, _ = train_valid_test_split(words)
seen = set(train_words)
unseen = [word for word in valid_words if word not in seen]
print(
    f"held-out word tokens: {len(valid_words):,}, unknown to the training vocabulary: "
    f"{len(unseen):,} ({len(unseen) / len(valid_words):.1%})"
)
print("a few of them:", sorted(set(unseen))[:8])

# %% [markdown]
# ### Subwords: byte-pair encoding
#
# Byte-pair encoding sits in the "Goldilocks zone" between the two: its tokens are frequent
# pieces of words, often syllables, prefixes and endings ("th", "ing", "ed"). Frequent words
# end up as a single token, rare words as a few pieces, and an unseen word can still be spelled
# from pieces (in the worst case from single characters), so there is no unknown word.
#
# The learning algorithm is short:
#
# 1. count the words of the corpus and write every word as its characters followed by an
#    end-of-word marker `</w>` (so the learner can tell a word's ending from its middle);
# 2. count every pair of adjacent symbols, weighted by the count of the word it occurs in;
# 3. merge the most frequent pair into a new symbol everywhere (ties go to the alphabetically
#    smaller pair, so the result never depends on the order of the words);
# 4. repeat steps 2 and 3 for a chosen number of merges. Every merge adds one symbol to the
#    vocabulary and shortens the encoded corpus.
#
# `rnnkit.data.bpe` implements this in plain Python so we can watch it. `count_pairs` does step 2,
# `merge_step` does steps 2 and 3 once. Here it runs on a made-up table of word counts.

# %%
# NBVAL_CHECK_OUTPUT
toy_counts = {"tick": 7, "ticks": 2, "tock": 5, "stock": 3, "stick": 4, "sock": 2}
word_freqs = {(*word, bpe.END_OF_WORD): count for word, count in toy_counts.items()}


def show(word_freqs):
    """Print every word of a BPE table as its current symbols, with its count."""
    print(
        "   ", ", ".join(f"{' '.join(symbols)} ({count})" for symbols, count in word_freqs.items())
    )


show(word_freqs)
for step in range(1, 6):
    top_pairs = bpe.count_pairs(word_freqs).most_common(3)
    pair, word_freqs = bpe.merge_step(word_freqs)
    print(f"step {step}: top pairs {top_pairs} -> merge {pair}")
    show(word_freqs)

# %% [markdown]
# The first merge joins "c" and "k", which occur together in every word. The second one makes
# "ck</w>", a word *ending*; later merges build "tick</w>" (now a single token) and "ock</w>".
# Meanwhile "ticks" is still "ti ck s </w>": too rare to deserve its own symbol yet.
#
# On the book we let the learner run for `BPE_MERGES` merges and record how long the encoded
# book is after each merge. (`BytePairEncoding.fit` runs the same loop; we write it out once to
# see the curve.)

# %%
book_freqs = bpe.BytePairEncoding().word_frequencies(cleaned)
book_lengths = [sum(len(symbols) * count for symbols, count in book_freqs.items())]
for _ in range(BPE_MERGES):
    pair, book_freqs = bpe.merge_step(book_freqs)
    book_lengths.append(sum(len(symbols) * count for symbols, count in book_freqs.items()))

plt.figure(figsize=(6, 3))
plt.plot(np.arange(len(book_lengths)), book_lengths)
plt.xlabel("number of merges")
plt.ylabel("symbols in the book")
plt.title("Every merge shortens the encoded book")
plt.tight_layout()
plt.show()

# %% [markdown]
# The first merges pay off most: they join pairs that occur thousands of times. Later merges
# mostly build whole, rarer words and save less each. Now fit the tokenizer itself and look at
# the first merges and at how it splits a few words, including one that is not in the book.

# %%
book_bpe = bpe.BytePairEncoding().fit(cleaned, num_merges=BPE_MERGES)
print(f"{len(book_bpe.merges)} merges, vocabulary of {len(book_bpe.vocabulary)} symbols")
print("first merges:", [" + ".join(pair) for pair in book_bpe.merges[:12]])
for word in ["the", "traveller", "machine", "psychologist", "incandescent", "timetravelling"]:
    print(f"{word:15} -> {book_bpe.encode(word)}")

# %% [markdown]
# Frequent words become one symbol, rarer ones a handful of pieces, and the made-up
# "timetravelling" is spelled from pieces the learner found in other words. Decoding joins the
# pieces and turns each `</w>` back into a word boundary:

# %%
# NBVAL_CHECK_OUTPUT
phrase = "the machine was timetravelling"
print(book_bpe.decode(book_bpe.encode(phrase)) == phrase)

# %% [markdown]
# ### Subwords in the graph: sentencepiece
#
# A pure-Python tokenizer cannot run inside a TensorFlow graph, so it cannot be part of a
# `tf.data` pipeline or a saved model. The sentencepiece library trains BPE models very fast in
# C++, and tensorflow-text's `SentencepieceTokenizer` applies such a model as a TensorFlow op.
#
# `bpe.train_sentencepiece_bpe(lines, vocab_size)` trains a model in memory (no files) and
# returns it as bytes; `bpe.SentencePieceBPE(model)` wraps it as TensorFlow ops. Instead of an
# end-of-word marker, sentencepiece marks the *start* of a word with "▁". Ids 0 to 3 are
# reserved for padding, `<unk>`, and the begin/end-of-sequence tokens. We train on the cleaned
# lines of the book (one line per sentence), so that all tokenizers in this chapter see the
# same symbols.

# %%
# NBVAL_CHECK_OUTPUT
clean_lines = [clean(line) for line in raw_lines]
clean_lines = [line for line in clean_lines if line]
sp_model = bpe.train_sentencepiece_bpe(clean_lines, vocab_size=SP_VOCAB_SIZE)
sp = bpe.SentencePieceBPE(sp_model)
print("vocabulary size:", sp.vocab_size, " pad id:", sp.pad_id, " unk id:", sp.unk_id)

sp_sentence = "the time traveller rebooted his machine and smiled"
pieces = sp.tokenize_pieces(sp_sentence)
ids = sp.tokenize(sp_sentence)
print("pieces:", [piece.decode("utf-8") for piece in pieces.numpy()])
print("ids:   ", ids.numpy().tolist())
print("back:  ", sp.detokenize(ids).numpy().decode("utf-8"))

# %% [markdown]
# Because tokenizing is a TensorFlow op, it can sit in `Dataset.map`. The pipeline below turns
# strings into padded batches of ids, exactly the (batch, steps) tensors a model consumes;
# padding uses id 0, which detokenizes to nothing.

# %%
# NBVAL_CHECK_OUTPUT
sentences = tf.data.Dataset.from_tensor_slices(
    [
        "the time traveller smiled",
        "a strange machine stood in the laboratory",
        "we sat and listened",
        "nobody believed him",
    ]
)
id_batches = sentences.map(sp.tokenize).padded_batch(2, padding_values=sp.pad_id)
for batch in id_batches:
    print("shape", tuple(batch.shape))
    print(batch.numpy())
    print([line.decode("utf-8") for line in sp.detokenize(batch).numpy()])

# %% [markdown]
# ### Comparing the levels
#
# How long is the book, and how long is an average line, in each kind of token? And how many
# distinct tokens does each level need? For a fair comparison every tokenizer reads the cleaned
# text (characters count the spaces as tokens; the BPE tokens carry the word boundaries).

# %%
sp_line_lengths = sp.tokenize(clean_lines).row_lengths().numpy()
levels = {
    "characters": (len(set(char_tokens)), len(char_tokens)),
    "words": (len(set(words)), len(words)),
    f"BPE ({len(book_bpe.merges)} merges)": (
        len(book_bpe.vocabulary),
        len(book_bpe.encode(cleaned)),
    ),
    f"sentencepiece ({sp.vocab_size})": (sp.vocab_size, int(sp_line_lengths.sum())),
}
print(f"{'level':24} {'vocabulary':>10} {'book length':>12} {'per line':>9}")
for level, (vocab_size, book_length) in levels.items():
    print(f"{level:24} {vocab_size:10,} {book_length:12,} {book_length / len(clean_lines):9.1f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
names = [name.replace(" (", "\n(") for name in levels]
axes[0].bar(names, [vocab_size for vocab_size, _ in levels.values()])
axes[0].set_yscale("log")
axes[0].set_title("vocabulary size (log scale)")
axes[1].bar(names, [book_length for _, book_length in levels.values()])
axes[1].set_title("tokens in the book")
for ax in axes:
    ax.tick_params(axis="x", labelsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Characters give the longest sequences with the smallest vocabulary, words the shortest
# sequences with the largest vocabulary, and BPE lands in between on both axes, with a knob
# (the number of merges) to choose where. Small teaching models often pick characters, because
# a tiny output layer trains fast on a laptop; large language models use BPE-like subwords.

# %% [markdown]
# ## 2.5 The vocabulary
#
# A vocabulary assigns every token an integer id and maps back. `rnnkit.data.Vocab` builds one
# deterministically from a list of tokens:
#
# - id 0 is always `<unk>`, the *unknown* token: any token without an id of its own maps to 0
#   instead of raising an error;
# - the `reserved_tokens` come next, e.g. `<pad>` for padding and `<bos>`/`<eos>` for the
#   beginning and end of a sequence, whether or not they occur in the text;
# - then every token seen at least `min_freq` times, most frequent first (ties alphabetically).
#
# Lookups work in both directions, and on nested lists too (for example a batch of sentences).

# %%
# NBVAL_CHECK_OUTPUT
word_vocab = Vocab(words, reserved_tokens=["<pad>", "<bos>", "<eos>"])
print(word_vocab)
print("first ids:", word_vocab.idx_to_token[:12])
query = "the time traveller rebooted his machine".split()
print("ids of", query, "->", word_vocab[query])
nested = [["the", "machine"], ["quantum", "time", "travel"]]
print("nested:", word_vocab[nested], "->", word_vocab.to_tokens(word_vocab[nested]))
print("'rebooted' in vocab:", "rebooted" in word_vocab, " id of <pad>:", word_vocab["<pad>"])

# %% [markdown]
# The vocabulary keeps the frequency table of the corpus, *including* tokens that `min_freq`
# dropped, so the whole distribution stays available.

# %%
# NBVAL_CHECK_OUTPUT
print(word_vocab.token_freqs[:10])
print({word: word_vocab.frequency(word) for word in ["time", "machine", "traveller", "quantum"]})

# %% [markdown]
# ### Rare tokens and `min_freq`
#
# Half of the distinct words occur only once. A model can hardly learn anything about a word
# it sees once, yet each such word costs a row of the output layer. Raising `min_freq` maps
# rare words to `<unk>`. The vocabulary shrinks much faster than the running text loses its
# ids, because rare words are, by definition, rare in the text.

# %%
# NBVAL_CHECK_OUTPUT
min_freqs = [1, 2, 3, 5, 10, 20, 50, 100]
vocab_sizes, unk_fractions = [], []
for min_freq in min_freqs:
    vocab_m = Vocab(words, min_freq=min_freq)
    unk_fraction = float(np.mean(np.array(vocab_m[words]) == vocab_m.unk))
    vocab_sizes.append(len(vocab_m))
    unk_fractions.append(unk_fraction)
    print(
        f"min_freq={min_freq:3}: {len(vocab_m):5,} ids, {unk_fraction:6.1%} of word tokens -> <unk>"
    )

# %%
fig, ax_size = plt.subplots(figsize=(6, 3))
ax_size.plot(min_freqs, vocab_sizes, "o-", color="C0")
ax_size.set_xscale("log")
ax_size.set_xlabel("min_freq")
ax_size.set_ylabel("vocabulary size", color="C0")
ax_unk = ax_size.twinx()
ax_unk.plot(min_freqs, 100 * np.array(unk_fractions), "s--", color="C1")
ax_unk.set_ylabel("% of tokens that are <unk>", color="C1")
plt.title("Word vocabulary of The Time Machine")
plt.tight_layout()
plt.show()

# %% [markdown]
# Already `min_freq=2` halves the vocabulary at the price of about 7% `<unk>` tokens, and
# `min_freq=5` cuts it by a factor of more than five. On a book this short the price is still
# high (almost a fifth of the words at `min_freq=5`); on a corpus a thousand times larger the
# same threshold removes a much smaller share of the text, since every word has more
# chances to be seen five times. Characters never face this trade-off here: after cleaning,
# all 27 symbols are frequent.
#
# ### Saving and loading
#
# A trained model is useless without the exact vocabulary it was trained with: id 17 must mean
# the same token at prediction time. `Vocab.save` writes a small JSON file (atomically) and
# `Vocab.load` reads and checks it.

# %%
# NBVAL_CHECK_OUTPUT
with tempfile.TemporaryDirectory() as folder:
    saved = word_vocab.save(Path(folder) / "words.json")
    loaded = Vocab.load(saved)
print("round trip equal:", loaded == word_vocab, " size:", len(loaded))
print(loaded[query] == word_vocab[query])

# %% [markdown]
# ### Putting it together
#
# Here is the whole path on characters: a character vocabulary (28 ids: `<unk>`, 26 letters and
# the space), the book as one long list of ids, and the first fragments of 10 steps stacked into
# a (batch, steps) array. Cutting the book into consecutive fragments like this is the simplest
# partitioning; Chapter 3 adds random offsets and shuffling.

# %%
# NBVAL_CHECK_OUTPUT
char_vocab = Vocab(char_tokens)
corpus = np.array(char_vocab[char_tokens], dtype=np.int32)
print(char_vocab, "corpus:", corpus.shape, corpus.dtype)
batch_size, num_steps = 3, 10
fragments = corpus[: batch_size * num_steps].reshape(batch_size, num_steps)
print(fragments)
print(["".join(row) for row in char_vocab.to_tokens(fragments)])

# %% [markdown]
# ## 2.6 Corpus statistics
#
# Before modelling a corpus, look at it. How big is it, which tokens dominate, and how many are
# rare?

# %% tags=["headline"]
# NBVAL_CHECK_OUTPUT
word_counts = Counter(words)
letter_counts = Counter(cleaned.replace(" ", ""))
once = sum(1 for count in word_counts.values() if count == 1)
top10 = sum(count for _, count in word_counts.most_common(10))
print("top words:  ", word_counts.most_common(10))
print("top letters:", letter_counts.most_common(10))
print(f"words seen once: {once:,} ({once / len(word_counts):.0%} of the distinct words)")
print(f"the 10 most frequent words make up {top10 / len(words):.0%} of the text")
print(f"characters (cleaned): {len(cleaned):,}   letters: {sum(letter_counts.values()):,}")
print(f"words: {len(words):,}   distinct words: {len(word_counts):,}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3))
top_words = word_counts.most_common(15)
axes[0].bar([word for word, _ in top_words], [count for _, count in top_words])
axes[0].set_title("15 most frequent words")
axes[0].tick_params(axis="x", rotation=60, labelsize=8)
letters = sorted(letter_counts.items(), key=lambda pair: -pair[1])
axes[1].bar([letter for letter, _ in letters], [count for _, count in letters])
axes[1].set_title("letter counts")
axes[1].tick_params(axis="x", labelsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The most frequent words are short function words ("the", "and", "of", "i", "a"): they carry
# grammar rather than content, and are often called *stop words*. The letters follow the
# familiar English order, with "e" and "t" in front.
#
# Sorting all word counts from largest to smallest shows the shape of the whole distribution:
# a few words are extremely common, and a *long tail* of thousands of words occur only a few
# times each. On a logarithmic count axis the tail is visible at all; on a linear one it would
# vanish into the x-axis.

# %%
ranked_counts = np.array(sorted(word_counts.values(), reverse=True))
plt.figure(figsize=(6, 3))
plt.plot(np.arange(1, len(ranked_counts) + 1), ranked_counts)
plt.yscale("log")
plt.xlabel("rank of the word")
plt.ylabel("count (log scale)")
plt.title("Word counts, most frequent first")
plt.tight_layout()
plt.show()

# %% [markdown]
# The curve falls steeply and then flattens into long steps of words seen twice and once. Chapter
# 3 puts the rank on a logarithmic axis as well, finds an almost straight line, Zipf's law, and
# sees what it means for counting-based language models of pairs and triples of words.
#
# ## Summary
#
# - Text becomes tensors in four steps: clean, tokenize, map tokens to ids with a vocabulary,
#   and cut the long id sequence into fragments of shape (batch, steps).
# - Cleaning decides what the model can see; the classic cleaning leaves 26 letters and the
#   space, and switches keep case or punctuation when they matter.
# - Character tokens: tiny vocabulary, long sequences, spelling must be learned. Word tokens:
#   short sequences, but a large output layer and unknown words. BPE subwords sit in between and
#   can spell any word from frequent pieces.
# - BPE learns by merging the most frequent adjacent pair again and again; sentencepiece does
#   the same fast, and tensorflow-text applies it inside `tf.data` pipelines.
# - A `Vocab` reserves id 0 for `<unk>`, then reserved tokens, then tokens by frequency;
#   `min_freq` removes the long tail of rare tokens at a small cost in `<unk>` tokens.

# %% [markdown]
# ## Exercises
#
# Exercises 1 to 4 are coding exercises with instant feedback. In each exercise cell, replace
# `# YOUR CODE HERE` and `raise NotImplementedError` with your code and run the cell; then run
# the cell after it: `check(...)` tests your function on a small example and says what it
# tried, what it expected and what came back, with a hint. The exercises after them are open
# questions and projects without automatic checks.
#
# The next cell defines the checks the exercises use. Run it first; you may read it, it shows
# exactly what is tested. (Your instructor may run a few more tests of the same kind when
# grading.)

# %%
from rnnkit.course import check, exercise

# The toy word counts of section 2.4, written out as BPE tables.
CHECK_TABLE = {
    (*word, bpe.END_OF_WORD): count
    for word, count in {"tick": 7, "ticks": 2, "tock": 5, "stock": 3, "stick": 4, "sock": 2}.items()
}


@exercise(
    "coverage",
    points=1,
    hint="A token is covered when vocab[token] != vocab.unk; divide the number of covered "
    "tokens by len(tokens).",
)
def _check_coverage(t, coverage):
    vocab = Vocab("a b a c a b".split(), min_freq=2)
    t.close(t.call(coverage, vocab, ["a", "b", "c", "d"]), 0.5)


@exercise(
    "vocab_table",
    points=2,
    hint="Start with ['<unk>', *reserved_tokens]; then sort the (token, count) pairs with the "
    "key (-count, token) and append each token seen at least min_freq times that is not "
    "already in the list.",
)
def _check_vocab_table(t, build_idx_to_token):
    tokens = "the cat and the hat and the bat".split()
    got = t.call(build_idx_to_token, tokens, 1, ["<pad>"])
    t.equal(got, Vocab(tokens, reserved_tokens=["<pad>"]).idx_to_token)


@exercise(
    "bpe_merge_step",
    points=3,
    hint="Count every adjacent pair, weighted by the word's count; pick "
    "min(pairs, key=lambda p: (-pairs[p], p)); then rebuild each word left to right, joining "
    "the two symbols wherever the pair occurs.",
)
def _check_bpe_merge_step(t, my_merge_step):
    table, expected_table = dict(CHECK_TABLE), dict(CHECK_TABLE)
    for step in range(1, 6):
        expected_pair, expected_table = bpe.merge_step(expected_table)
        got = t.call(my_merge_step, table)
        t.true(isinstance(got, tuple) and len(got) == 2, "the result is a pair (pair, table)")
        t.equal(got[0], expected_pair, tested=f"the merged pair of step {step}: {t.tested}")
        t.equal(got[1], expected_table, tested=f"the new table of step {step}: {t.tested}")
        table = got[1]


@exercise(
    "punct_tokenizer",
    points=2,
    hint="Lower-case first; one regular expression with two alternatives does it: a word "
    "(\\w+ followed by any number of groups of an apostrophe and \\w+), or a single character "
    "that is neither a word character nor whitespace.",
)
def _check_punct_tokenizer(t, tokenize_keep_punct):
    got = t.call(tokenize_keep_punct, "Isn't it fun? The café charged $3.50--twice!")
    t.equal(
        got,
        ["isn't", "it", "fun", "?", "the", "café", "charged"]
        + ["$", "3", ".", "50", "-", "-", "twice", "!"],
    )


# %% [markdown]
# ### Exercise 1: how much of a text does a vocabulary cover? (1 point)
#
# Write `coverage(vocab, tokens)`: `vocab` is a `Vocab`, `tokens` a non-empty flat list of str.
# Return the fraction of the tokens that have an id of their own, that is, whose id is not the
# `<unk>` id `vocab.unk` (a float between 0 and 1). Reserved tokens count as covered; the string
# `"<unk>"` itself does not. An empty `tokens` raises a `ValueError` that names `tokens`.
#
# Example: `Vocab("a b a c a b".split(), min_freq=2)` gives ids to `a` and `b` only, so
# `coverage(vocab, ["a", "b", "c", "d"])` is `0.5`.
#
# Not graded: check `coverage` against the `min_freq` table of section 2.5, then compare how
# well vocabularies built from the first 90% of the book with `min_freq` 1, 2 and 5 cover the
# last 10%.


# %% exercise="coverage" points=1
def coverage(vocab, tokens):
    """Fraction of `tokens` that `vocab` does not map to `<unk>`."""
    ### BEGIN SOLUTION
    if not tokens:
        raise ValueError("tokens is empty: coverage needs at least one token")
    covered = sum(1 for token in tokens if vocab[token] != vocab.unk)
    return covered / len(tokens)
    ### END SOLUTION


# %%
check("coverage", coverage)

# %% [markdown]
# ### Exercise 2: the id table of a vocabulary (2 points)
#
# Rebuild the core of `Vocab` without using it. Write
# `build_idx_to_token(tokens, min_freq=1, reserved_tokens=())` that returns the list of tokens
# in id order, as `Vocab(tokens, min_freq, reserved_tokens).idx_to_token` does:
#
# - `"<unk>"` first (id 0), then the `reserved_tokens` in the order given;
# - then every token of `tokens` (a flat list of str) that occurs at least `min_freq` times,
#   most frequent first, ties in alphabetical order (plain `str` order, so capitals come before
#   lower-case letters);
# - a token that is already in the list (a reserved token, or `"<unk>"`, that also occurs in
#   the text) is not added a second time.
#
# Example: `build_idx_to_token("b a c a b a".split(), 1, ["<pad>"])` returns
# `["<unk>", "<pad>", "a", "b", "c"]`; with `min_freq=2` the `"c"` is left out.


# %% exercise="vocab_table" points=2
def build_idx_to_token(tokens, min_freq=1, reserved_tokens=()):
    """Tokens in id order: <unk>, the reserved tokens, then frequent tokens by count."""
    ### BEGIN SOLUTION
    counts = Counter(tokens)
    table = ["<unk>", *reserved_tokens]
    for token, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
        if count >= min_freq and token not in table:
            table.append(token)
    return table
    ### END SOLUTION


# %%
check("vocab_table", build_idx_to_token)

# %% [markdown]
# ### Exercise 3: one BPE merge step (3 points)
#
# Without using `rnnkit.data.bpe`, write `my_merge_step(word_freqs)` that does what `bpe.merge_step`
# does. `word_freqs` maps each word, a tuple of symbols (str), to its count (int), like the toy
# table of section 2.4. Return a pair `(pair, new_word_freqs)`:
#
# 1. count every pair of adjacent symbols over all words, each occurrence weighted by the
#    count of its word;
# 2. `pair` is the most frequent pair, a tuple of two str; ties go to the smallest pair in
#    Python's ordering of tuples (alphabetical);
# 3. `new_word_freqs` is a new dict with the same counts in which every word has each
#    occurrence of `pair` joined into one symbol, scanning the word from left to right (so
#    `("a", "a", "a")` becomes `("aa", "a")`).
#
# When no word has two symbols left, return `(None, word_freqs)`. Do not modify `word_freqs`.
#
# Example: `my_merge_step({("a", "b", "c"): 2, ("b", "c"): 3})` counts `("a", "b")` 2 times and
# `("b", "c")` 5 times, and returns `(("b", "c"), {("a", "bc"): 2, ("bc",): 3})`.
#
# Not graded: run it five times on the toy table of section 2.4 and compare with the merges
# printed there. Why must the occurrences inside one word be merged from left to right?


# %% exercise="bpe_merge_step" points=3
def my_merge_step(word_freqs):
    """Merge the most frequent adjacent pair of symbols; return (pair, new word counts)."""
    ### BEGIN SOLUTION
    pairs = Counter()
    for symbols, count in word_freqs.items():
        for i in range(len(symbols) - 1):
            pairs[symbols[i], symbols[i + 1]] += count
    if not pairs:
        return None, word_freqs
    best = min(pairs, key=lambda pair: (-pairs[pair], pair))
    merged_freqs = {}
    for symbols, count in word_freqs.items():
        merged, i = [], 0
        while i < len(symbols):
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                merged.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        merged_freqs[tuple(merged)] = count
    return best, merged_freqs
    ### END SOLUTION


# %%
check("bpe_merge_step", my_merge_step)

# %% [markdown]
# ### Exercise 4: a tokenizer that keeps punctuation (2 points)
#
# Write `tokenize_keep_punct(text)` with the `re` module. It lower-cases `text` (with
# `str.lower`) and returns the list of its tokens, in order:
#
# - a *word* is a run of word characters (letters, digits and the underscore, what `\w`
#   matches, accented letters included), possibly with inner apostrophes: `isn't` and
#   `o'clock` are one token each. An apostrophe is part of a word only when word characters
#   come right before and right after it;
# - every other character that is not whitespace is a token of its own (`"?!"` gives two
#   tokens);
# - whitespace separates tokens and is dropped.
#
# Example: `tokenize_keep_punct("Isn't it fun?! 'Tis.")` returns
# `["isn't", "it", "fun", "?", "!", "'", "tis", "."]`.
#
# Not graded: compare its output with both tensorflow-text tokenizers on the sentence of section
# 2.4, and count the distinct tokens it finds in the raw book.


# %% exercise="punct_tokenizer" points=2
import re


def tokenize_keep_punct(text):
    """Lower-cased words (inner apostrophes kept) and single punctuation marks."""
    ### BEGIN SOLUTION
    return re.findall(r"\w+(?:'\w+)*|[^\w\s]", text.lower())
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("punct_tokenizer", tokenize_keep_punct)

# %% [markdown]
# ### More exercises and questions
#
# 5. **Where is the sweet spot? (coding)** Train sentencepiece models with vocabulary sizes
#    100, 300, 1000, 3000 and 5000 on the cleaned lines, and plot the number of tokens in the
#    book against the vocabulary size. Which sizes fail, and why? (Read the error message.)
# 6. **Case and punctuation (question).** Build word vocabularies from `clean(raw)`,
#    `clean(raw, keep_case=True)` and `clean(raw, keep_punctuation=True)`. Predict
#    first, then measure: which changes the vocabulary size more, and why? For which tasks
#    would you keep each?
# 7. **Unknown tokens (question).** A character vocabulary built from the cleaned book has no
#    unknown tokens on the held-out 10%, a word vocabulary has many. Would a BPE tokenizer fitted
#    on the first 90% ever produce a symbol outside its vocabulary on new text? What happens if
#    the new text was cleaned with `keep_case=True`?
