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
# # Chapter 3: Language models
#
# A language model gives a probability to every sequence of tokens. It can tell a plausible
# sentence from a garbled one, rank the candidate outputs of a speech recognizer or a translator,
# and generate text one token at a time. Long before neural networks, language models were built
# by counting, and those counting models are still the baselines every neural model is measured
# against. This chapter builds them on *The Time Machine* and measures them with the number that
# every later chapter reports: perplexity.
#
# **What you will learn**
#
# - how the chain rule turns the probability of a text into a chain of next-token predictions,
#   and how counting estimates each of them;
# - what unigram, bigram and trigram statistics of a real book look like, for words and for
#   characters;
# - Zipf's law, and why its long tail forces a minimum frequency and an `<unk>` token on word
#   vocabularies;
# - why unsmoothed counts are useless on new text, and two ways to smooth them: add-$\alpha$
#   (Laplace) and interpolated and modified Kneser–Ney;
# - perplexity, why a text is split three ways (train, validation, test), and how to tune a
#   baseline on validation as carefully as any neural network: the number the recurrent networks
#   of the next chapters have to beat;
# - how a long text is cut into minibatches for training: random versus sequential partitioning.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from rnnkit.data import (
    Vocab,
    clean,
    load_text,
    random_batches,
    sequential_batches,
    tokenize_words,
    train_valid_test_split,
)
from rnnkit.lm import char_corpus, kneser_ney_baseline, ngrams

# The only budget in this chapter: how many training-set sizes section 3.5 tries.
DATA_FRACTIONS = runmode.pick(full=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1), quick=(1 / 8, 1))

# %% [markdown]
# ## 3.1 The chain rule, and estimating it by counting
#
# Write a text as a sequence of tokens $w_1, w_2, \dots, w_T$; a token may be a character, a word
# or a piece of a word. A language model is a model of the joint probability
# $p(w_1, \dots, w_T)$. The chain rule of probability factorizes any joint distribution, without
# any assumption:
#
# $$p(w_1, w_2, \dots, w_T) = p(w_1) \prod_{t=2}^{T} p(w_t \mid w_1, \dots, w_{t-1}).$$
#
# For the five tokens "deep learning is fun ." this reads
#
# $$p(\text{deep})\, p(\text{learning} \mid \text{deep})\,
#   p(\text{is} \mid \text{deep, learning})\, p(\text{fun} \mid \text{deep, learning, is})\,
#   p(\text{.} \mid \text{deep, learning, is, fun}).$$
#
# So a language model *is* a next-token predictor: give it everything so far and it returns a
# distribution over what comes next. Multiply those predictions and you score a whole text; draw
# from them one token at a time and you generate one.
#
# The simplest estimate of a conditional probability is a relative frequency. With $n(\cdot)$ the
# number of times a token sequence occurs in a training text,
#
# $$\hat p(\text{learning} \mid \text{deep}) = \frac{n(\text{deep, learning})}{n(\text{deep})}.$$
#
# A long history such as "deep, learning, is, fun" is almost never repeated word for word, so its
# count is zero and the estimate is meaningless. Count-based models therefore *truncate* the
# history to the last $n - 1$ tokens (the Markov assumption of chapter 1):
# $p(w_t \mid w_1, \dots, w_{t-1}) \approx p(w_t \mid w_{t-n+1}, \dots, w_{t-1})$. This is an
# **$n$-gram model**: a unigram model ($n = 1$) ignores the history, a bigram model looks at one
# previous token, a trigram model at two.
#
# We work with the cleaned text of chapter 2: every run of non-letters becomes one space and
# everything is lower case, which leaves 26 letters and the space. Words are what the whitespace
# tokenizer returns on that cleaned text.

# %%
# NBVAL_CHECK_OUTPUT
raw = load_text("timemachine")
chars = clean(raw)
words = tokenize_words(chars)
char_vocab = sorted(set(chars))
print(f"raw text:        {len(raw):,} characters")
print(f"cleaned text:    {len(chars):,} characters")
print(f"characters:      {len(char_vocab)} distinct, {''.join(char_vocab)!r}")
print(f"words:           {len(words):,} tokens, {len(set(words)):,} distinct")
print("first words:    ", words[:6])

# %% [markdown]
# Counting is all it takes to estimate a bigram probability. "time" is a frequent word in this
# book, and two words follow it far more often than any other:

# %%
# NBVAL_CHECK_OUTPUT
word_counts = [ngrams.count_ngrams(words, n) for n in (1, 2, 3)]
unigrams, bigrams, trigrams = word_counts
n_time = unigrams[("time",)]
after_time = sorted((-count, pair[1]) for pair, count in bigrams.items() if pair[0] == "time")
print(f"n(time) = {n_time}")
for minus_count, follower in after_time[:4]:
    pair = f"n(time, {follower})"
    print(f"{pair:20s} = {-minus_count:3d}   p({follower} | time) = {-minus_count / n_time:.3f}")

# %% [markdown]
# ### Why counts alone fail: unseen n-grams
#
# The relative frequency gives probability **zero** to every n-gram that the training text
# happens not to contain. One zero factor makes the probability of a whole new text zero, and
# (section 3.5) its perplexity infinite. How common are such n-grams? Split the words by
# position into a training part (the first 80%), a held-out part (the next 10%) and a last 10%
# that we leave alone (section 3.5 says why), and count how many n-grams of the held-out part
# never occur in the training part:

# %%
# NBVAL_CHECK_OUTPUT
train_words, valid_words, _ = train_valid_test_split(words)
print(f"{len(train_words):,} training words, {len(valid_words):,} held-out words")
for n in (1, 2, 3):
    seen = ngrams.count_ngrams(train_words, n)
    held_out = ngrams.count_ngrams(valid_words, n)
    unseen = sum(count for gram, count in held_out.items() if gram not in seen)
    total = sum(held_out.values())
    print(
        f"{n}-grams: {unseen:5,} of {total:,} held-out occurrences never seen in training "
        f"({unseen / total:.1%})"
    )

# %% [markdown]
# Some held-out words are new, about half of the word pairs are new, and most word triples are
# new. A counting model must *smooth* its estimates: move some probability
# from what it has seen to what it has not. Section 3.4 shows how.
#
# ## 3.2 N-gram statistics of *The Time Machine*
#
# Here are the most frequent n-grams, for words and for characters (a space is shown as `_`).


# %%
def show_top(counts, k=8, joiner=" "):
    """Print the ``k`` most frequent n-grams of ``counts`` with their counts."""
    for gram, count in counts.most_common(k):
        shown = joiner.join(gram).replace(" ", "_") if joiner == "" else joiner.join(gram)
        print(f"  {shown:28s} {count:6,}")


# %%
# NBVAL_CHECK_OUTPUT
for n, counts in zip((1, 2, 3), word_counts, strict=True):
    print(f"word {n}-grams ({len(counts):,} distinct):")
    show_top(counts, k=6)

# %%
# NBVAL_CHECK_OUTPUT
char_counts = [ngrams.count_ngrams(chars, n) for n in (1, 2, 3)]
for n, counts in zip((1, 2, 3), char_counts, strict=True):
    print(f"character {n}-grams ({len(counts):,} distinct):")
    show_top(counts, k=6, joiner="")

# %% [markdown]
# The top of every list is made of *stop words* ("the", "of", "and") and of the letters and
# letter pairs that build them ("_t", "th", "he"). They say little about the story, but a
# language model must predict them well, because they make up a large share of every text.
#
# Characters live in a tiny world: 27 symbols, so $27^n$ possible $n$-grams. How much of that
# world does a whole book visit?

# %%
# NBVAL_CHECK_OUTPUT
for n in range(1, 7):
    seen = len(ngrams.count_ngrams(chars, n))
    possible = len(char_vocab) ** n
    print(f"n={n}: {seen:7,} distinct of {possible:12,} possible ({seen / possible:.3%})")

# %% [markdown]
# Every single character occurs, and most letter pairs do; from five characters on, the book
# visits well under 1% of the possibilities. Many of the missing ones are impossible in English
# ("qqqq"), but many are just unlucky, and a model of order 5 or 6 meets such unseen contexts all
# the time. That is the sparsity problem in numbers.
#
# ## 3.3 Zipf's law and the long tail
#
# Sort the words by frequency, most frequent first, and plot frequency against rank on log-log
# axes. The points fall close to a straight line: the frequency of the word of rank $r$ is about
#
# $$n_r \approx C\, r^{-s} \quad\Longleftrightarrow\quad \log n_r \approx \log C - s \log r,$$
#
# with an exponent $s$ close to 1 for words in natural language. This is **Zipf's law**.
# `ngrams.zipf_fit` fits $s$ by least squares; we fit ranks 10 to 1000, leaving out the stop
# words at the head and the noisy tail of n-grams seen once or twice.

# %%
# NBVAL_CHECK_OUTPUT
FIT_RANKS = (10, 1000)
zipf = [ngrams.zipf_fit(counts, FIT_RANKS) for counts in word_counts]
for name, fit in zip(("unigrams", "bigrams", "trigrams"), zipf, strict=True):
    print(f"word {name:9s} exponent s = {fit.exponent:.2f}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for name, counts, fit in zip(("unigrams", "bigrams", "trigrams"), word_counts, zipf, strict=True):
    freqs = ngrams.rank_frequencies(counts)
    ranks = np.arange(1, freqs.size + 1)
    (line,) = ax.loglog(ranks, freqs, linewidth=1.2, label=f"{name} (s = {fit.exponent:.2f})")
    fit_ranks = np.arange(fit.first_rank, fit.last_rank + 1)
    ax.loglog(fit_ranks, fit.frequencies(fit_ranks), "--", color=line.get_color(), linewidth=0.9)
ax.set_xlabel("rank")
ax.set_ylabel("frequency")
ax.set_title("Zipf's law in The Time Machine (dashed: fits)")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Three things stand out.
#
# - All three curves are close to straight over several decades: word n-grams follow power laws.
#   The exponent shrinks with $n$ (the curves get flatter), because pairs and triples spread the
#   same amount of text over far more distinct items.
# - The tails end in long flat steps: n-grams seen exactly twice, then exactly once. Most
#   distinct bigrams and nearly all distinct trigrams are seen only once, which is why counting
#   estimates are so unreliable beyond unigrams.
# - Even single words have a long tail. Half of the distinct words occur once in the whole book.
#
# The long tail is why a word vocabulary keeps only words seen at least `min_freq` times and maps
# the rest to `<unk>` (chapter 2's `Vocab`): rare words cost a row in the embedding and output
# layers each, and a model sees each of them too rarely to learn anything about it. The price is
# the share of running text that turns into `<unk>`:

# %%
# NBVAL_CHECK_OUTPUT
word_freqs = ngrams.rank_frequencies(unigrams)
print(f"words seen once: {int(np.sum(word_freqs == 1)):,} of {word_freqs.size:,} distinct words")
print("min_freq  vocabulary size  share of the text mapped to <unk>")
for min_freq in (1, 2, 3, 5, 10):
    vocab = Vocab(words, min_freq=min_freq)
    unk_share = sum(count for count in word_freqs if count < min_freq) / len(words)
    print(f"{min_freq:8d}  {len(vocab):15,}  {unk_share:8.1%}")
rarest_char, rarest_count = char_counts[0].most_common()[-1]
print(f"rarest character: {rarest_char[0]!r}, seen {rarest_count:,} times")

# %% [markdown]
# Dropping words seen only once halves the vocabulary and costs 7% of the running text; with
# `min_freq=5` the vocabulary shrinks to a fifth but almost a fifth of the words become `<unk>`.
# Characters have no such tail: even the rarest letter occurs nearly a hundred times, which is one
# reason the following chapters model characters first.
#
# ## 3.4 Smoothing
#
# Smoothing takes a little probability from the n-grams that were seen and gives it to the ones
# that were not, so that no next token ever gets probability zero. Write $h$ for the context (the
# last $n - 1$ tokens), $n(h, w)$ for how often $w$ followed $h$ in training, $n(h) = \sum_w n(h,
# w)$, and $V$ for the vocabulary size.
#
# **Add-$\alpha$ (Laplace) smoothing** pretends that every possible token was seen $\alpha$ extra
# times after every context:
#
# $$P_\text{Laplace}(w \mid h) = \frac{n(h, w) + \alpha}{n(h) + \alpha V}.$$
#
# With $\alpha = 1$ this is Laplace's rule of succession. It is simple and never zero, but it
# hands out the same pseudo-count to every unseen token, and a context never seen at all gets the
# uniform distribution $1/V$, whatever the shorter contexts know.
#
# **Interpolated Kneser–Ney smoothing** instead subtracts a fixed *discount* $D$ (often 0.75)
# from every seen count, and hands the freed mass to the distribution of the shorter context
# $h'$ (the context without its oldest token):
#
# $$P_\text{KN}(w \mid h) =
#   \frac{\max(a(h, w) - D,\, 0) + D\, N(h)\, P_\text{KN}(w \mid h')}{A(h)},$$
#
# where $A(h) = \sum_w a(h, w)$ and $N(h)$ is the number of distinct tokens seen after $h$, so
# $D\,N(h)/A(h)$ is exactly the mass the discounts freed. A context never seen passes the question
# on, $P_\text{KN}(w \mid h) = P_\text{KN}(w \mid h')$, and the recursion ends in the uniform
# distribution $1/V$. Two choices make it work well:
#
# - A fixed discount hurts rare n-grams much more than frequent ones: a count of 1 loses 75%, a
#   count of 1000 loses almost nothing. Rare counts are the least trustworthy, so that is right.
# - At the highest order, $a(h, w)$ is the plain count $n(h, w)$. At every lower order it is a
#   **continuation count**: the number of *distinct* tokens seen right before $h\,w$. A lower
#   order is only asked about contexts the higher order has not seen often, so what it should
#   know is how readily $w$ appears after new contexts, not how often it appears.
#
# **Modified Kneser–Ney** (Chen and Goodman) refines the discount: a count of 1 loses $D_1$, a
# count of 2 loses $D_2$, and a count of 3 or more loses $D_{3+}$, each level with its own three
# values. The freed mass becomes $D_1 N_1(h) + D_2 N_2(h) + D_{3+} N_{3+}(h)$, where $N_k(h)$
# counts the tokens seen exactly $k$ times after $h$. The three discounts need no search: with
# $n_k$ the number of n-grams of a level that occur exactly $k$ times and
# $Y = n_1 / (n_1 + 2 n_2)$, the estimates are $D_1 = 1 - 2Y n_2/n_1$,
# $D_2 = 2 - 3Y n_3/n_2$ and $D_{3+} = 3 - 4Y n_4/n_3$. `ngrams.ModifiedKneserNeyNGram` is this
# model; section 3.5 puts it against plain Kneser–Ney.
#
# First, a hand-sized example: the bigram models of a 22-character string, asked which
# character follows "a". In training, "a" was always followed by "t".

# %%
# NBVAL_CHECK_OUTPUT
toy = "the cat sat on the mat"
toy_vocab = sorted(set(toy))
after_a = {pair[1]: count for pair, count in ngrams.count_ngrams(toy, 2).items() if pair[0] == "a"}
laplace_toy = ngrams.LaplaceNGram(2, toy_vocab, alpha=1.0).fit(toy)
kn_toy = ngrams.KneserNeyNGram(2, toy_vocab, discount=0.75).fit(toy)
rows = {
    "count n(a, w)": [after_a.get(c, 0) for c in toy_vocab],
    "counting": [after_a.get(c, 0) / sum(after_a.values()) for c in toy_vocab],
    "Laplace, alpha=1": laplace_toy.distribution("a"),
    "Kneser-Ney, D=0.75": kn_toy.distribution("a"),
}
print(
    f"{'next character w':20s}"
    + "".join(f"{c.replace(' ', '_'):>6s}" for c in toy_vocab)
    + "    sum"
)
for name, values in rows.items():
    digits = 0 if name.startswith("count ") else 3
    cells = "".join(f"{v:6.{digits}f}" for v in values)
    print(f"{name:20s}{cells}{sum(values):7.{digits}f}")

# %% [markdown]
# Counting puts all the mass on "t". Laplace smoothing with $\alpha = 1$ leaves "t" only
# $4/13 \approx 0.31$, because three observations weigh little against ten pseudo-counts: on a
# small vocabulary it over-smooths. Kneser–Ney keeps "t" at 0.78 and spreads the rest according
# to the lower-order (continuation) distribution: the space and "a", which each follow three
# different characters in the string, get three times as much as "h" or "c", which follow only
# one.
#
# Continuation counts matter most for words. In *The Time Machine* "traveller" is about as
# frequent as "again", but almost always comes right after "time":

# %%
# NBVAL_CHECK_OUTPUT
predecessors = {}
for _, second in bigrams:
    predecessors[second] = predecessors.get(second, 0) + 1
kn_words = ngrams.KneserNeyNGram(2, sorted(set(words))).fit(words)
print("word        count  distinct words before it  unigram share  KN continuation prob")
for word in ("traveller", "again"):
    count = unigrams[(word,)]
    print(
        f"{word:10s} {count:6d}  {predecessors[word]:24d}  {count / len(words):13.5f}"
        f"  {kn_words.prob(word):20.5f}"
    )

# %% [markdown]
# A plain unigram model rates the two words alike. The Kneser–Ney lower order, which is what the
# model falls back on after a context it knows little about, rates "again" about twenty times
# higher: after some unfamiliar word, "again" is a far better guess than "traveller".
#
# ## 3.5 Perplexity
#
# To compare language models we score held-out text $w_1, \dots, w_T$ that the model has not
# been trained on. The **cross-entropy** is the average negative log-likelihood per token,
#
# $$H = -\frac{1}{T} \sum_{t=1}^{T} \log p(w_t \mid w_1, \dots, w_{t-1}),$$
#
# and the **perplexity** is its exponential, $\text{PPL} = \exp(H)$. Some ways to read it:
#
# - It is the geometric mean of $1 / p(w_t \mid \dots)$: on average the model was as surprised
#   as if it had picked among PPL equally likely tokens. It is the *effective branching factor*.
# - A model that spreads its mass uniformly over $V$ tokens has perplexity exactly $V$; a model
#   that always predicts the right token with certainty has perplexity 1. Lower is better.
# - One token with probability 0 makes $H$ and the perplexity infinite. That is the formal reason
#   smoothing is not optional.
# - Perplexity is per token, so character-level and word-level perplexities cannot be compared
#   directly. $\log_2 \text{PPL}$ is the number of *bits per token* a compressor built on the
#   model would need.
#
# **Three splits.** We model the characters of the cleaned text, cut by position into three
# parts (`train_valid_test_split(chars)`):
#
# - the **training** split, the first 80%, is all a model may learn from (counts, weights);
# - the **validation** split, the next 10%, is where we *choose*: the order of an n-gram, its
#   discount, a network's size, learning rate or number of epochs. Every choice made by looking
#   at a score flatters that score a little, and we make many;
# - the **test** split, the last 10%, is scored **once**, at the end, for the model the
#   validation split chose. It has influenced nothing, so its perplexity is an honest estimate
#   of how the chosen model does on new text of the same kind.
#
# The parts are contiguous, so no n-gram or training window straddles two of them. Every
# held-out character is predicted from all the text before it: the first validation characters
# see the end of the training text as context (`ngrams.perplexity(model, valid,
# history=train)`), and the test characters see the training and validation text. Every later
# chapter uses this split and this protocol.

# %%
# NBVAL_CHECK_OUTPUT
train, valid, test = train_valid_test_split(chars)
print(f"training characters:   {len(train):,}")
print(f"validation characters: {len(valid):,} (the next 10%)")
print(f"test characters:       {len(test):,} (the last 10%, scored once at the end)")

know_nothing = ngrams.LaplaceNGram(1, char_vocab).fit("")
print(f"perplexity of a model that has seen no text: {ngrams.perplexity(know_nothing, valid):.3f}")

# The same number by hand for a bigram model, on the first 40 validation characters.
bigram_kn = ngrams.KneserNeyNGram(2, char_vocab).fit(train)
piece = valid[:40]
context = train[-1:] + piece
nll = [-math.log(bigram_kn.prob(context[i + 1], context[i])) for i in range(len(piece))]
print(
    f"bigram KN on 40 characters: by hand {math.exp(np.mean(nll)):.4f}, "
    f"ngrams.perplexity {ngrams.perplexity(bigram_kn, piece, history=train):.4f}"
)

# %% [markdown]
# Now the two smoothed models for orders 1 to 6, with the customary settings $\alpha = 1$ and
# $D = 0.75$. Every number is a full pass over the validation characters.

# %%
# NBVAL_CHECK_OUTPUT
ORDERS = range(1, 7)
results = {"Laplace": [], "Kneser-Ney": []}
for order in ORDERS:
    laplace = ngrams.LaplaceNGram(order, char_vocab, alpha=1.0).fit(train)
    kneser_ney = ngrams.KneserNeyNGram(order, char_vocab, discount=0.75).fit(train)
    results["Laplace"].append(ngrams.perplexity(laplace, valid, history=train))
    results["Kneser-Ney"].append(ngrams.perplexity(kneser_ney, valid, history=train))
print("validation perplexity of character n-gram models")
print("order   Laplace  Kneser-Ney")
for i, order in enumerate(ORDERS):
    print(f"{order:5d}  {results['Laplace'][i]:8.3f}  {results['Kneser-Ney'][i]:10.3f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.3))
for name, values in results.items():
    ax.plot(list(ORDERS), values, marker="o", label=name)
ax.set_xlabel("order n")
ax.set_ylabel("validation perplexity")
ax.set_title("Character n-gram models on The Time Machine")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# A unigram model is already much better than the uniform 27: it knows that "e" and the space are
# common. Each extra character of context helps a lot at first. Then the two methods part ways:
#
# - **Laplace** is best at order 4 and gets *worse* beyond it. A 5- or 6-character context has
#   been seen only a few times, if at all; 27 pseudo-counts drown those few observations, and a
#   context never seen gets the uniform distribution, as bad as knowing nothing.
# - **Kneser–Ney** keeps improving through order 6, because an unfamiliar long context hands most
#   of its decision to shorter contexts that the model does know well.
#
# ### How much text does each order need?
#
# Higher orders have more parameters (possible contexts) to estimate, so they need more text. Fit
# the Kneser–Ney models on growing prefixes of the training split and score the same validation
# split (quick mode tries fewer sizes):

# %%
sizes = [round(fraction * len(train)) for fraction in DATA_FRACTIONS]
by_size = {}
for order in (2, 4, 6):
    by_size[order] = [
        ngrams.perplexity(
            ngrams.KneserNeyNGram(order, char_vocab).fit(train[:size]), valid, history=train
        )
        for size in sizes
    ]
fig, ax = plt.subplots(figsize=(5, 3.3))
for order, values in by_size.items():
    ax.semilogx(sizes, values, marker="o", label=f"order {order}")
ax.set_xlabel("training characters")
ax.set_ylabel("validation perplexity")
ax.set_title("Kneser-Ney: more context needs more text")
ax.legend()
fig.tight_layout()
plt.show()
for order, values in by_size.items():
    print(f"order {order}: " + ", ".join(f"{v:.2f}" for v in values))

# %% [markdown]
# With little text the order-6 model is no better than the order-4 one; its advantage grows with
# every doubling of the data, while the bigram model has almost stopped improving. The number of
# possible contexts grows as $27^{n-1}$, and counting learns about each context separately: what
# it learns after "the tim" tells it nothing about "a tim". Recurrent networks share what they
# learn across contexts, which is how they can beat these baselines on a book of this size.
#
# ### Tuning the baseline on validation
#
# $\alpha = 1$ and $D = 0.75$ are customary values, not chosen ones. The recurrent networks of the
# next chapters will have their sizes, learning rates and epochs chosen on the validation split;
# the baseline deserves the same care, or beating it means little. Kneser–Ney is the stronger
# family, so we search it: every order from 1 to 10, plain interpolated Kneser–Ney with several
# discounts, and modified Kneser–Ney with its three estimated discounts. The counts of a model do
# not depend on its discount, so `with_discount` reuses them and the whole search takes seconds.
#
# From here on we work as the later chapters do: `char_corpus()` from `rnnkit.lm` returns the
# same cleaned text and the same three splits, as ids of a chapter-2 `Vocab` (the 27 characters
# plus `<unk>`, which never occurs), so that the n-gram and the networks predict from the same
# set of tokens.

# %%
data = char_corpus()
assert data.text == chars and len(data.train) == len(train) and len(data.test) == len(test)
ids = {split: getattr(data, split).tolist() for split in ("train", "valid", "test")}
SEARCH_ORDERS = range(1, 11)
SEARCH_DISCOUNTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
search = {}  # (model, discount) -> validation perplexity of each order
for order in SEARCH_ORDERS:
    modified = ngrams.ModifiedKneserNeyNGram(order, len(data.vocab)).fit(ids["train"])
    candidates = {("modified Kneser-Ney", None): modified}
    for discount in SEARCH_DISCOUNTS:
        candidates["Kneser-Ney", discount] = modified.with_discount(discount)
    for key, model in candidates.items():
        score = ngrams.perplexity(model, ids["valid"], history=ids["train"])
        search.setdefault(key, []).append(score)

fig, ax = plt.subplots(figsize=(6, 3.6))
for (name, discount), values in search.items():
    label = name if discount is None else f"{name}, D={discount}"
    style = {"color": "black", "linewidth": 2.5} if discount is None else {"alpha": 0.8}
    ax.plot(list(SEARCH_ORDERS)[2:], values[2:], marker=".", label=label, **style)
ax.set_xlabel("order n")
ax.set_ylabel("validation perplexity")
ax.set_title("Searching the Kneser-Ney baseline (orders 3 to 10)")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
ranked = sorted(
    (values[i], name, discount, order)
    for (name, discount), values in search.items()
    for i, order in enumerate(SEARCH_ORDERS)
)
print("the five best settings on validation")
for ppl, name, discount, order in ranked[:5]:
    setting = "three estimated discounts" if discount is None else f"D = {discount}"
    print(f"  {name:20s} order {order:2d}  {setting:26s} perplexity {ppl:.3f}")
best_ppl, best_name, best_discount, best_order = ranked[0]

# %% [markdown]
# Two things stand out in the plot. The best discount of plain Kneser–Ney grows with the order:
# a long context has been seen only a few times, most of its counts are 1 or 2, and they deserve
# less trust than 0.75 of a count. And modified Kneser–Ney, with no discount to tune, is at or
# near the front for every long order, because it discounts a count of 1 much more than a count
# of 10. The printed ranking is the decision: the first line is the model we keep.
#
# ### The baseline to beat: one look at the test split
#
# Now, and only now, the chosen model is scored on the test split, with all the text before it
# (training and validation) as history. This is the number every later chapter has to beat, and
# `rnnkit.lm.kneser_ney_baseline(corpus)` is the same search packed into one call, so the later
# chapters can ask for it; here we check that it reaches the same decision.

# %% tags=["headline"]
# NBVAL_CHECK_OUTPUT
if best_discount is None:
    chosen = ngrams.ModifiedKneserNeyNGram(best_order, len(data.vocab))
else:
    chosen = ngrams.KneserNeyNGram(best_order, len(data.vocab), discount=best_discount)
chosen.fit(ids["train"])  # the training split only, like every model of the workbook
test_ppl = ngrams.perplexity(chosen, ids["test"], history=ids["train"] + ids["valid"])
print(f"chosen on validation: {best_name}, order {best_order}")
print(f"validation perplexity {best_ppl:.3f}")
print(f"test perplexity, tuned n-gram: {test_ppl:.3f} ({math.log2(test_ppl):.3f} bits per char)")

baseline = kneser_ney_baseline(data)
assert (baseline.model, baseline.order, baseline.discount) == (
    best_name,
    best_order,
    best_discount,
)
assert abs(baseline.test_perplexity - test_ppl) < 1e-9
print(f"rnnkit.lm.kneser_ney_baseline: {baseline.name}, test {baseline.test_perplexity:.3f}")

# %% [markdown]
# The test perplexity is a little higher than the validation one. That is expected on two
# counts: the validation score was the best of many tries, so it is flattered by the choice,
# and the test text is a different stretch of the book. Later chapters report their models on
# the test split the same way, once, after choosing on validation.

# %% [markdown]
# ## 3.6 Minibatches from one long text: random and sequential partitioning
#
# A neural language model trains on minibatches of shape `(batch_size, num_steps)`: `X` holds
# `num_steps` consecutive tokens per row, and the targets `Y` are the same tokens shifted one
# position to the left, so that `Y[b, t]` is the token that follows `X[b, t]`. A book is one very
# long sequence, so we have to decide how to cut it. Both ways below first drop a random number
# of tokens (an *offset* in `[0, num_steps)`) from the start, drawn afresh every epoch, so that
# over many epochs every cut point is used.
#
# - **Random partitioning** (`random_batches`) cuts the text into non-overlapping
#   pieces of `num_steps` tokens and shuffles them. Rows of a batch, and consecutive batches, are
#   unrelated, so the model must start every batch from a fresh hidden state. The batches are
#   closer to independent samples, which suits stochastic gradient descent.
# - **Sequential partitioning** (`sequential_batches`) splits the text into
#   `batch_size` long streams, one per row, and walks along them: row `b` of batch `i + 1`
#   continues exactly where row `b` of batch `i` ended. A *stateful* model can carry its hidden
#   state from one batch to the next and so use context longer than `num_steps` (gradients
#   still stop at the batch boundary). The price: consecutive batches are strongly correlated.
#
# On a toy "text" of the ids 0 to 34, with 2 rows of 5 steps, each epoch gives
# $\lfloor (35 - \text{offset} - 1) / 10 \rfloor = 3$ batches (the count is fixed by the largest
# offset, so that every epoch has the same length). Two epochs of random partitioning:

# %%
# NBVAL_CHECK_OUTPUT
toy_corpus = np.arange(35)
random_epochs = random_batches(toy_corpus, batch_size=2, num_steps=5, seed=0)
for epoch in (1, 2):
    print(f"epoch {epoch}")
    for X, Y in random_epochs:
        print(f"  X: {X.numpy().tolist()}\n  Y: {Y.numpy().tolist()}")

# %% [markdown]
# Each epoch starts at a different offset and visits the pieces in a different order; the two
# rows of a batch come from unrelated places. Now one epoch of sequential partitioning:

# %%
# NBVAL_CHECK_OUTPUT
sequential_epochs = sequential_batches(toy_corpus, batch_size=2, num_steps=5, seed=0)
batches = [(X.numpy(), Y.numpy()) for X, Y in sequential_epochs]
for X, Y in batches:
    print(f"  X: {X.tolist()}\n  Y: {Y.tolist()}")
continues = all(
    np.array_equal(batches[i + 1][0][:, 0], batches[i][0][:, -1] + 1)
    for i in range(len(batches) - 1)
)
print("every row continues where the same row of the previous batch ended:", continues)

# %% [markdown]
# Row 0 reads one stretch of the text from left to right across the three batches, row 1 reads a
# later stretch. The following chapters use both: random partitioning when every batch starts
# from a fresh state, sequential partitioning when a model keeps its state between batches.
#
# ## Summary
#
# - A language model predicts the next token from the previous ones; by the chain rule that is
#   the same as scoring whole texts.
# - Counting estimates those predictions, but most longer n-grams of new text were never seen:
#   word frequencies follow Zipf's law, with a long tail of items seen once or not at all.
# - Smoothing moves probability to unseen events. Kneser–Ney (discounts plus interpolation with
#   continuation counts) is far better than add-one, especially at high orders.
# - Perplexity, the exponential of the mean negative log-likelihood, is the effective number of
#   choices per token. We split a text three ways: train to fit, validation to choose (the
#   order and discount of the n-gram, every setting of a network), test to score the chosen
#   model once. The tuned Kneser–Ney baseline's test perplexity (section 3.5) is the number to
#   beat.
# - Random partitioning gives independent batches (reset the state); sequential partitioning
#   lets the state flow from batch to batch.

# %% [markdown]
# ## Exercises
#
# Exercises 1 to 3 are coding exercises with instant feedback. In each exercise cell, replace
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


def laplace_reference(tokens, vocab, previous, token, alpha):
    """The add-alpha bigram probability according to rnnkit.lm.ngrams."""
    return ngrams.LaplaceNGram(2, vocab, alpha=alpha).fit(tokens).prob(token, [previous])


def check_batches(t, got, expected):
    """Compare a list of (X, Y) batches with the expected one, batch by batch."""
    call = t.tested
    t.equal(len(got), len(expected), tested=f"the number of batches of {call}")
    for i, (X, Y) in enumerate(expected):
        t.equal(np.asarray(got[i][0]), X, tested=f"X of batch {i} of {call}")
        t.equal(np.asarray(got[i][1]), Y, tested=f"Y of batch {i} of {call}")


@exercise(
    "perplexity",
    points=1,
    hint="Average the negative natural logs of the probabilities, then take exp; never "
    "multiply the probabilities themselves (the product underflows).",
)
def _check_perplexity(t, perplexity_from_probs):
    t.close(t.call(perplexity_from_probs, [0.5, 0.5, 0.25]), 2 ** (4 / 3))


@exercise(
    "add_alpha",
    points=2,
    hint="(n(previous, token) + alpha) / (n(previous) + alpha * vocab_size), where n(previous) "
    "counts only the occurrences of previous that some token follows.",
)
def _check_add_alpha(t, add_alpha_prob):
    tokens = ["a", "b", "a", "c", "a", "b"]
    for previous, token in (("a", "b"), ("b", "a")):
        got = t.call(add_alpha_prob, tokens, 3, previous, token, 1.0)
        t.close(got, laplace_reference(tokens, ["a", "b", "c"], previous, token, 1.0))


@exercise(
    "sequential_partition",
    points=3,
    hint="Take corpus[offset : offset + used] with used = num_batches * batch_size * num_steps, "
    "reshape it to (batch_size, -1), and cut batch i from columns i * num_steps to "
    "(i + 1) * num_steps; Y does the same one token later.",
)
def _check_sequential_partition(t, sequential_partition):
    corpus = list(range(23))
    got = t.call(sequential_partition, corpus, 2, 5, 0)
    expected = [
        (X.numpy(), Y.numpy()) for X, Y in sequential_batches(np.array(corpus), 2, 5, offset=0)
    ]
    check_batches(t, got, expected)


# %% [markdown]
# ### Exercise 1: perplexity from probabilities (1 point)
#
# Write `perplexity_from_probs(probs)`: `probs` is a non-empty list or 1-D array of the
# probabilities a model gave to the tokens of a text, one per token, each in $[0, 1]$. Return
# the perplexity $\exp\big(-\frac{1}{T}\sum_t \log p_t\big)$ as a float. If some probability is
# 0, return `math.inf`. An empty `probs` raises a `ValueError` that names `probs`. The result
# must not underflow: a thousand tokens of probability $10^{-5}$ each have perplexity $10^5$,
# although the product of their probabilities is far below the smallest positive float.
#
# Example: `perplexity_from_probs([0.5, 0.5, 0.25])` is $2^{4/3} \approx 2.52$.


# %% exercise="perplexity" points=1
def perplexity_from_probs(probs):
    """exp of the mean negative log-probability; math.inf if a probability is 0."""
    ### BEGIN SOLUTION
    probs = np.asarray(probs, dtype=float)
    if probs.size == 0:
        raise ValueError("probs is empty: a perplexity needs at least one probability")
    if np.any(probs == 0):
        return math.inf
    return float(np.exp(-np.mean(np.log(probs))))
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("perplexity", perplexity_from_probs)

# %% [markdown]
# ### Exercise 2: add-$\alpha$ bigram probabilities (2 points)
#
# Write `add_alpha_prob(tokens, vocab_size, previous, token, alpha)` without using
# `ngrams.LaplaceNGram`: the add-$\alpha$ probability of `token` right after `previous` in a
# bigram model trained on `tokens` (a list of tokens, or a string of characters) over a
# vocabulary of `vocab_size` tokens,
#
# $$P(\text{token} \mid \text{previous}) =
#   \frac{n(\text{previous}, \text{token}) + \alpha}{n(\text{previous}) + \alpha V}.$$
#
# Here $n(\text{previous}, \text{token})$ counts the positions where `token` directly follows
# `previous`, and $n(\text{previous})$ counts the occurrences of `previous` that *some* token
# follows (an occurrence at the very end of the text does not count). `ngrams.count_ngrams` may
# help. A context never seen gets $\alpha / (\alpha V) = 1/V$.
#
# Example: for `tokens = ["a", "b", "a", "c", "a", "b"]`, `vocab_size = 3` and `alpha = 1.0`,
# $P(b \mid a) = (2 + 1) / (3 + 3) = 0.5$, and $P(a \mid b) = (1 + 1) / (1 + 3) = 0.5$: the last
# "b" is followed by nothing, so $n(b) = 1$.
#
# Not graded: compare your function with `ngrams.LaplaceNGram(2, ..., alpha=alpha)` on a few
# word pairs of `train_words`, including a pair never seen. Then compute the perplexity of your
# word bigram model on `valid_words`, mapping held-out words that are not in the vocabulary to
# `<unk>` first. Why is that necessary?


# %% exercise="add_alpha" points=2
def add_alpha_prob(tokens, vocab_size, previous, token, alpha):
    """Add-alpha estimate of P(token | previous) from the bigrams of `tokens`."""
    ### BEGIN SOLUTION
    pairs = ngrams.count_ngrams(tokens, 2)
    followed = sum(count for pair, count in pairs.items() if pair[0] == previous)
    return (pairs[(previous, token)] + alpha) / (followed + alpha * vocab_size)
    ### END SOLUTION


# %%
check("add_alpha", add_alpha_prob)

# %% [markdown]
# ### Exercise 3: sequential partitioning (3 points)
#
# Section 3.6 used `sequential_batches`. Write its core yourself, for one fixed
# offset: `sequential_partition(corpus, batch_size, num_steps, offset)` takes a 1-D list or
# array of token ids, two positive integers and an offset with `0 <= offset < num_steps`, and
# returns a list of `(X, Y)` pairs of NumPy integer arrays of shape `(batch_size, num_steps)`:
#
# - an epoch has `num_batches = (len(corpus) - offset - 1) // (batch_size * num_steps)` batches
#   (an empty list when that is 0);
# - the inputs use the `used = num_batches * batch_size * num_steps` tokens starting at
#   `offset`, split into `batch_size` consecutive streams of equal length, one per row;
# - batch `i` holds the steps `i * num_steps` to `(i + 1) * num_steps - 1` of every stream, so
#   that row `b` of batch `i + 1` continues where row `b` of batch `i` ended;
# - `Y` is built the same way from the tokens one position later, so `Y[b, t]` is the token
#   that follows `X[b, t]` in the corpus.
#
# Example: on the ids `0, 1, ..., 22` with `batch_size=2`, `num_steps=5`, `offset=0` there are
# 2 batches; the first has `X = [[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]]` and
# `Y = [[1, 2, 3, 4, 5], [11, 12, 13, 14, 15]]`, the second `X = [[5, ..., 9], [15, ..., 19]]`.


# %% exercise="sequential_partition" points=3
def sequential_partition(corpus, batch_size, num_steps, offset):
    """(X, Y) batches of consecutive streams, one stream per row, starting at `offset`."""
    ### BEGIN SOLUTION
    ids = np.asarray(corpus)
    num_batches = (len(ids) - offset - 1) // (batch_size * num_steps)
    used = num_batches * batch_size * num_steps
    inputs = ids[offset : offset + used].reshape(batch_size, -1)
    targets = ids[offset + 1 : offset + 1 + used].reshape(batch_size, -1)
    return [
        (
            inputs[:, i * num_steps : (i + 1) * num_steps],
            targets[:, i * num_steps : (i + 1) * num_steps],
        )
        for i in range(num_batches)
    ]
    ### END SOLUTION


# %%
check("sequential_partition", sequential_partition)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Perplexity by hand (question).** A model gives the four tokens of a short text the
#    probabilities 0.5, 0.25, 0.125 and 0.125. Compute the cross-entropy (in nats and in bits)
#    and the perplexity with pen and paper, then check your answer with `perplexity_from_probs`.
#    What happens if a fifth token gets probability 0.001? And 0?
# 5. **Tune Laplace too.** Section 3.5 tuned Kneser–Ney. Search Laplace over orders 1 to 8
#    and $\alpha \in \{1, 0.3, 0.1, 0.03, 0.01\}$ on the validation split. How much does tuning
#    gain, and does it close the gap to the tuned Kneser–Ney? Explain what $\alpha \to 0$ would
#    do to unseen n-grams.
# 6. **Why the test split.** Score *every* setting of the section 3.5 search on the test split
#    as well. Is the best test perplexity lower than that of the setting validation chose? By
#    how much, and why is reporting the best test score dishonest? Relate what you see to the
#    table of distinct character n-grams in section 3.2.
# 7. **Words versus characters.** Build a word-level Kneser–Ney trigram model with a vocabulary
#    of `min_freq=3` (map rarer words to `<unk>` with `unk="<unk>"`) and measure its perplexity
#    on the held-out words. That number cannot be compared with the character perplexities. Turn
#    both into *bits per character* (total bits over the held-out text divided by its number of
#    characters, spaces included) and compare. Why is the word model's number still flattering?
# 8. **Partitioning (question).** For the toy corpus of section 3.6, list which ids never appear
#    in `X` during one epoch, for every offset from 0 to 4, for both partitionings. Why does
#    `num_batches` count batches as if the offset were always `num_steps - 1`?
