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
# # Chapter 9: Using RNNs
#
# Chapters 4 to 8 built recurrent networks and trained them on one job: predict the next
# character. A recurrent layer is more general than that. It reads a sequence one step at a
# time and keeps a state; what we feed it and which of its outputs we train decide what it does.
# This chapter goes through the lecture's map of the possibilities (one to one, one to many,
# many to one, many to many) and tries each of them on a task we can run offline on a laptop:
# all but one of the data sets come from *The Time Machine*, and the other is generated.
#
# **What you will learn**
#
# - the four ways of wiring inputs and outputs around a recurrent layer, and how each looks in
#   Keras (`return_sequences`, a sampling loop);
# - **one to many**: how greedy decoding, temperature and top-$k$ sampling turn a character
#   language model into a text generator, and what temperature does to the text;
# - **many to one**, on a synthetic task: the *adding problem* of Hochreiter and Schmidhuber
#   (1997), where a plain RNN fails as the sequences grow and the gated cells do not;
# - **many to one**, on real text: guessing which part of the book a passage comes from, against
#   a bag-of-characters baseline, and why a pre-trained language model helps when labels are few;
# - **many to many**: restoring the capital letters of a lower-cased text, character by
#   character, and why a bidirectional tagger is allowed here and does much better.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import math
import re
import time
from collections import Counter

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display

from rnnkit.data import Vocab, clean, load_text, num_batches, random_batches, tokenize_chars
from rnnkit.layers import Bidirectional
from rnnkit.lm import (
    RNNLM,
    char_corpus,
    evaluate_perplexity,
    generate,
    kneser_ney_baseline,
    ngrams,
    train_fit,
)

# This chapter builds many small models in loops; TensorFlow would warn that their training
# functions get traced again and again, which is expected here.
tf.get_logger().setLevel("ERROR")

# Budgets: only these differ between full and quick mode.
LM_EPOCHS = runmode.pick(full=12, quick=1)  # the character language model of section 9.3
LM_BATCHES = runmode.pick(full=None, quick=3)  # batches per epoch (None: the whole text)
SWEEP_CHARS = runmode.pick(full=400, quick=40)  # characters per sample in the temperature sweep
ADD_STEPS = runmode.pick(full=600, quick=4)  # training steps per cell and length (section 9.4)
CLS_EPOCHS = runmode.pick(full=4, quick=1)  # the passage classifier trained from scratch (9.5)
CLS_PASSAGES = runmode.pick(full=None, quick=200)  # training passages the classifiers see
TAG_EPOCHS = runmode.pick(full=3, quick=1)  # each capitalisation tagger (9.6)
TAG_BATCHES = runmode.pick(full=None, quick=3)  # batches per epoch (None: all windows)

# %% [markdown]
# ## 9.1 One to one, one to many, many to one, many to many
#
# The lecture sorts the uses of recurrent networks by the shapes of their input and output.
# Write $\mathbf{x}_1, \dots, \mathbf{x}_T$ for an input sequence and $\mathbf{H}_t$ for the
# hidden state after step $t$, computed as in chapter 4 by
# $\mathbf{H}_t = \phi(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1} \mathbf{W}_{hh} +
# \mathbf{b}_h)$ (or by a GRU or LSTM cell).
#
# - **One to one.** One input, one output, no sequence at all: an ordinary feed-forward network
#   (an image classifier, say). There is nothing for a recurrence to do.
# - **One to many.** The network gets a starting point (a topic, an image, a prefix) and
#   produces a sequence, feeding each output back as the next input. The lecture's example is
#   poetry generation. A language model does exactly this when it generates: the output at
#   step $t$ is a distribution over the next token, one token is picked and read at step
#   $t + 1$. Section 9.3.
# - **Many to one.** The network reads the whole sequence and only its final state
#   $\mathbf{H}_T$ (or a summary of all states, such as their mean) goes to an output layer:
#   sentiment analysis, document classification. Everything the answer needs must survive in
#   the state until the end. Sections 9.4 (the adding problem) and 9.5 (which part of the book
#   a passage comes from).
# - **Many to many, aligned.** One output per input step, from $\mathbf{H}_t$: named-entity
#   tagging. If the whole input is known in advance (tagging a given sentence), the output at
#   step $t$ may also use the inputs after $t$: a bidirectional layer (chapter 8) gives each
#   step both directions. Section 9.6 (restoring capital letters).
# - **Many to many, not aligned.** Machine translation and question answering produce an output
#   whose length and order differ from the input's. The usual answer is an *encoder–decoder*:
#   one RNN reads the input (many to one), and its final state starts a second RNN that
#   generates the output (one to many). It combines the patterns of sections 9.3 and 9.4 and
#   needs parallel data (pairs of sentences) that this workbook does not ship, so we only name
#   it here (question 9 at the end sketches one).
#
# In Keras, the difference between many to one and many to many is one flag:
# `return_sequences=False` (the default) returns only the last output, `return_sequences=True`
# returns all of them. With the same weights, the many-to-one output is the last row of the
# many-to-many output:

# %%
# NBVAL_CHECK_OUTPUT
shape_demo = np.random.default_rng(0).normal(size=(4, 7, 3)).astype(np.float32)  # (batch, T, d)
many_to_one = keras.layers.GRU(5)
many_to_many = keras.layers.GRU(5, return_sequences=True)
last_output = many_to_one(shape_demo)
many_to_many.build(shape_demo.shape)
many_to_many.set_weights(many_to_one.get_weights())
all_outputs = many_to_many(shape_demo)
head = keras.layers.Dense(2)  # an output layer, applied to whatever it is given
print("input (batch, T, d):                 ", shape_demo.shape)
print("GRU(5) -> many to one:               ", tuple(last_output.shape))
print("GRU(5, return_sequences=True):       ", tuple(all_outputs.shape))
print("Dense(2) on each:                    ", tuple(head(last_output).shape), "and", end=" ")
print(tuple(head(all_outputs).shape))
difference = float(np.max(np.abs(all_outputs[:, -1] - last_output)))
print("last step of many-to-many == many-to-one:", difference < 1e-6)

# %% [markdown]
# A `Dense` layer works on the last axis, so the same output layer turns one state into one
# prediction, or every state into a prediction per step.
#
# ## 9.2 The data: *The Time Machine*, in parts and blocks
#
# Three of the four experiments use the book. Two of them need more than the stream of
# characters of the earlier chapters: the classifier of section 9.5 needs to know where in the
# book a passage comes from, and the tagger of section 9.6 needs the capital letters.
#
# The raw text has structure we can use. Apart from its title line, it is divided into
# chapters, each introduced by a line that holds nothing but a Roman numeral (`I` to `XII`),
# and it ends with an `EPILOGUE`. A regular expression finds these lines; anchoring it at both
# ends of a line (`re.MULTILINE`) keeps it from firing on the pronoun "I" at the start of a
# sentence, and we check that it found exactly the expected headings, in order, rather than
# trust it.

# %%
# NBVAL_CHECK_OUTPUT
raw = load_text("timemachine")
HEADING = re.compile(r"^(?:[IVXL]+|EPILOGUE)$", flags=re.MULTILINE)
EXPECTED = "I II III IV V VI VII VIII IX X XI XII EPILOGUE".split()
headings = list(HEADING.finditer(raw))
chapter_names = [match.group() for match in headings]
if chapter_names != EXPECTED:
    raise ValueError(f"expected the headings {EXPECTED}, found {chapter_names}")
ends = [match.start() for match in headings[1:]] + [len(raw)]
chapter_raw = {m.group(): raw[m.end() : end] for m, end in zip(headings, ends, strict=True)}
print(f"{len(headings)} headings found, in order: {' '.join(chapter_names)}")
print(f"text before the first heading: {raw[: headings[0].start()].strip()!r}")
print("cleaned characters per chapter:")
print("  " + "  ".join(f"{name}={len(clean(body)):,}" for name, body in chapter_raw.items()))

# %% [markdown]
# The chapters are too unequal to serve as classes on their own (chapter V is six times longer
# than chapter X, and the epilogue is shorter than a page). We group consecutive chapters into
# five **parts** of similar size, cutting only at chapter boundaries, so that every part is a
# connected stretch of the story:
#
# - **A** (I–II): the two evenings at the Time Traveller's house, before he tells his story;
# - **B** (III–IV): the journey and the first day among the people of the future;
# - **C** (V): the lost machine, the wells, Weena and the first sight of the Morlocks;
# - **D** (VI–VIII): the descent, the nights with Weena, the palace of green porcelain;
# - **E** (IX–epilogue): the fire in the forest, the escape, the far future and the return.
#
# Equal contiguous parts (the book cut into five slices of the same length) would balance the
# classes exactly, but they would cut through chapters, so a label would no longer mean a
# stretch of the story. With chapter ranges the largest part has 1.5 times the characters of
# the smallest, which is balanced enough.
#
# **Blocks.** Each part is cut into blocks of 2,000 cleaned characters, and every fifth block
# is *held out*: nothing in this chapter trains on it. The language model of section 9.3 reads
# only the training blocks, and the passages of section 9.5 are cut inside blocks, so a test
# passage never shares a character with a training passage (or with the language model's
# training text). Taking the last 20% of each part as the test set would be simpler, but it
# would test on just five scenes, the last of each part; interleaved blocks spread the test set
# over the whole book, while keeping it disjoint from the training text.

# %%
# NBVAL_CHECK_OUTPUT
PARTS = (("A", "I", "II"), ("B", "III", "IV"), ("C", "V", "V"), ("D", "VI", "VIII"))
PARTS += (("E", "IX", "EPILOGUE"),)
BLOCK = 2000
HELD_OUT_EVERY = 5


def part_text(first, last):
    """The cleaned text of the chapters ``first`` to ``last`` (inclusive), as one string."""
    names = chapter_names[chapter_names.index(first) : chapter_names.index(last) + 1]
    return clean(" ".join(chapter_raw[name] for name in names))


part_names = [name for name, _, _ in PARTS]
train_blocks, test_blocks = [], []  # one list of blocks per part
for _, first, last in PARTS:
    cleaned = part_text(first, last)
    blocks = [cleaned[start : start + BLOCK] for start in range(0, len(cleaned), BLOCK)]
    test_blocks.append(blocks[HELD_OUT_EVERY - 1 :: HELD_OUT_EVERY])
    train_blocks.append(
        [b for i, b in enumerate(blocks) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    )
print("part  chapters       characters  training blocks  held-out blocks")
for (name, first, last), train, test in zip(PARTS, train_blocks, test_blocks, strict=True):
    size = sum(map(len, train + test))
    chapters = first if first == last else f"{first}-{last}"
    print(f"{name:4s}  {chapters:13s}  {size:10,}  {len(train):15d}  {len(test):15d}")

# %% [markdown]
# What tells the parts apart? Counting words in the training blocks, here are the words of
# each part that occur mostly in that part (at least 10 times in the training text, sorted by
# the share of their occurrences that fall in the part):

# %%
# NBVAL_CHECK_OUTPUT
part_words = [Counter(" ".join(blocks).split()) for blocks in train_blocks]
all_words = sum(part_words, Counter())
for name, counts in zip(part_names, part_words, strict=True):
    frequent = [w for w in counts if all_words[w] >= 10]
    marked = sorted(frequent, key=lambda w: (-counts[w] / all_words[w], -counts[w], w))[:6]
    print(name, "  ".join(f"{w} ({counts[w] / all_words[w]:.0%})" for w in marked))

# %% [markdown]
# Names and topic words mark the parts: the guests of the two evenings in A, the gallery of the
# palace and Weena in D, the wood, the camphor and the sea in E. But these words are rare. A
# passage of 200 characters holds about 35 words, and most of them ("the", "and", "i", "was")
# are shared by every part. Keep that in mind for section 9.5.
#
# ## 9.3 One to many: generating text
#
# A character language model is a one-to-many network once we let it talk: read a prefix,
# pick a next character from the output distribution, feed that character back in, and repeat.
# We train a compact one: a GRU of 128 units on one-hot characters (chapter 5), for under a
# minute, with Adam and gradient clipping, on the training blocks only. For longer runs, the command
# line does the same with checkpoints and resuming (on the workbook's usual split: 80% to
# train, 10% to validate, 10% to test), for example:
#
#     rnnkit train --model gru --hidden 256 --epochs 30 --out gru256
#     rnnkit generate --model gru256 --prefix "the time traveller" --num-tokens 300 \
#         --strategy temperature --temperature 0.7 --seed 1

# %%
# NBVAL_CHECK_OUTPUT
lm_text = " ".join(" ".join(blocks) for blocks in train_blocks)
vocab = Vocab(tokenize_chars(lm_text))
lm_ids = np.asarray(vocab[list(lm_text)], dtype=np.int32)
held_out_ids = [
    np.asarray(vocab[list(block)], dtype=np.int32) for blocks in test_blocks for block in blocks
]
LM_BATCH, LM_STEPS = 64, 50
lm_batches_per_epoch = num_batches(len(lm_ids), LM_BATCH, LM_STEPS)
if LM_BATCHES is not None:
    lm_batches_per_epoch = min(lm_batches_per_epoch, LM_BATCHES)
print(f"vocabulary: {len(vocab)} tokens ({''.join(vocab.idx_to_token[1:])!r} and <unk>)")
print(f"training text: {len(lm_ids):,} characters; held out: {sum(map(len, held_out_ids)):,}")
print(f"batches of {LM_BATCH} x {LM_STEPS} characters")

# %%
char_lm = RNNLM(len(vocab), keras.layers.GRU(128, return_sequences=True, return_state=True))
start = time.perf_counter()
lm_history = train_fit(
    char_lm,
    random_batches(lm_ids, LM_BATCH, LM_STEPS, seed=0).take(lm_batches_per_epoch),
    LM_EPOCHS,
    lr=0.01,
    clip=1.0,
    optimizer="adam",
)
lm_seconds = time.perf_counter() - start


def blocks_perplexity(model):
    """Perplexity over the held-out blocks, each block read from its start (no history)."""
    nats, count = 0.0, 0
    for ids in held_out_ids:
        nats += math.log(evaluate_perplexity(model, ids)) * (len(ids) - 1)
        count += len(ids) - 1
    return math.exp(nats / count)


lm_perplexity = blocks_perplexity(char_lm)
print(f"{char_lm.count_params():,} weights, {LM_EPOCHS} epochs in {lm_seconds:.0f} s")
print(f"training perplexity {lm_history.history['perplexity'][-1]:.2f}, ", end="")
print(f"held-out perplexity {lm_perplexity:.2f}")

# %% [markdown]
# The held-out perplexity is measured as in chapter 3 (every character predicted from all the
# text before it, here from the start of its block). This chapter keeps its interleaved blocks
# rather than the 80/10/10 split of chapters 3 to 8, because the passages of section 9.5 must
# come from every part of the book; the n-gram we compare with is the setting chapter 3 tuned on
# its validation split (`kneser_ney_baseline`), trained on the same blocks as the GRU:

# %%
tuned = kneser_ney_baseline(char_corpus())
kneser_ney = tuned.build(len(vocab)).fit(lm_ids.tolist())
kn_nats = sum(
    math.log(ngrams.perplexity(kneser_ney, ids[1:].tolist(), history=ids[:1].tolist()))
    * (len(ids) - 1)
    for ids in held_out_ids
)
kn_perplexity = math.exp(kn_nats / sum(len(ids) - 1 for ids in held_out_ids))
print(f"held-out perplexity: GRU {lm_perplexity:.2f}, {tuned.name} {kn_perplexity:.2f}")

# %% [markdown]
# A minute of training does not beat the best n-gram model (chapter 7 shows what it takes), but
# the model has learned spelling and common words, which is all the generation experiments
# below need.
#
# ### Picking the next character
#
# At every step the model gives logits $o_1, \dots, o_V$ for the $V$ tokens. Three ways to pick
# the next character from them:
#
# - **Greedy decoding** takes $\arg\max_j o_j$. It is deterministic: the same prefix always
#   gives the same text.
# - **Temperature sampling** draws from
#   $$p_j(\tau) = \frac{\exp(o_j / \tau)}{\sum_{k} \exp(o_k / \tau)}.$$
#   At $\tau = 1$ this is the model's own distribution. Dividing by $\tau < 1$ stretches the
#   gaps between logits, so the likely tokens become likelier still: as $\tau \to 0$ sampling
#   turns into greedy decoding. With $\tau > 1$ the gaps shrink, and as $\tau \to \infty$ every
#   token becomes equally likely.
# - **Top-$k$ sampling** first keeps only the $k$ largest logits (the others are set to
#   $-\infty$, probability 0), then samples from the temperature softmax of those. Whatever the
#   temperature, it never picks one of the many unlikely characters whose small probabilities
#   add up to a real chance of a typo at every step.
#
# Both fit in one function. Subtracting the largest scaled logit before `exp` changes nothing
# mathematically (it cancels in the fraction) but keeps `exp` from overflowing.


# %%
def next_token_probs(logits, temperature=1.0, top_k=None):
    """The distribution the next token is drawn from: keep the top_k logits, softmax(logits / T)."""
    logits = np.asarray(logits, dtype=np.float64)
    if top_k is not None:
        # A stable sort keeps the lowest ids among ties, as rnnkit.lm does.
        kept = np.argsort(-logits, kind="stable")[:top_k]
        cut = np.full_like(logits, -np.inf)
        cut[kept] = logits[kept]
        logits = cut
    scaled = logits / temperature
    weights = np.exp(scaled - scaled.max())
    return weights / weights.sum()


def sample_text(model, prefix, num_chars, temperature=1.0, top_k=None, greedy=False, seed=0):
    """Continue ``prefix`` by ``num_chars`` characters, feeding each pick back into the model."""
    rng = np.random.default_rng(seed)
    logits, state = model.step(np.asarray([vocab[list(prefix)]], dtype=np.int32))
    picked = []
    for _ in range(num_chars):
        last = np.array(logits[0, -1], dtype=np.float64)
        last[vocab.unk] = -np.inf  # never write <unk>
        if greedy:
            token = int(np.argmax(last))
        else:
            token = int(rng.choice(len(last), p=next_token_probs(last, temperature, top_k)))
        picked.append(token)
        logits, state = model.step(np.asarray([[token]], dtype=np.int32), state)
    return prefix + "".join(vocab.to_tokens(picked))


# %% [markdown]
# What the temperature does to one distribution: the model's next character after a prefix,
# the five likeliest characters at four temperatures and with top-3 (at $\tau = 1$), and the
# entropy of each distribution in bits (0 bits: certain; $\log_2 28 \approx 4.8$ bits: uniform).

# %%
PREFIX = "the time traveller "
prefix_logits, _ = char_lm.step(np.asarray([vocab[list(PREFIX)]], dtype=np.int32))
prefix_logits = np.array(prefix_logits[0, -1], dtype=np.float64)
prefix_logits[vocab.unk] = -np.inf
print(f"next character after {PREFIX!r} (a space is shown as _):")
settings = [(f"T = {t}", t, None) for t in (0.3, 0.7, 1.0, 1.5)] + [("top-3, T = 1", 1.0, 3)]
for label, temperature, top_k in settings:
    probs = next_token_probs(prefix_logits, temperature, top_k)
    likely = [j for j in np.argsort(-probs, kind="stable")[:5] if probs[j] > 0]
    shown = "  ".join(f"{vocab.idx_to_token[j].replace(' ', '_')} {probs[j]:.2f}" for j in likely)
    entropy = -sum(p * math.log2(p) for p in probs if p > 0)
    print(f"{label:13s} {shown}   entropy {entropy:.2f} bits")

# %% [markdown]
# `sample_text` is our own loop; `rnnkit.lm.generate` is the library's. Fed the same
# seed they must write the same text, character for character:

# %%
# NBVAL_CHECK_OUTPUT
for label, ours, kwargs in [
    ("greedy", {"greedy": True}, {"strategy": "greedy"}),
    ("temperature 0.7", {"temperature": 0.7}, {"strategy": "temperature", "temperature": 0.7}),
    ("top-5 at temperature 1", {"top_k": 5}, {"strategy": "top-k", "top_k": 5}),
]:
    mine = sample_text(char_lm, PREFIX, 80, seed=3, **ours)
    library = generate(char_lm, vocab, PREFIX, 80, seed=3, **kwargs)
    print(f"{label:24s} same text as rnnkit.lm.generate: {mine == library}")

# %% [markdown]
# Now samples side by side: greedy, four temperatures and top-$k$, all from the same prefix.

# %%
print(f"{'greedy':9s} {sample_text(char_lm, PREFIX, 110, greedy=True)!r}")
for temperature in (0.3, 0.7, 1.0, 1.5):
    sample = sample_text(char_lm, PREFIX, 110, temperature=temperature, seed=1)
    print(f"T = {temperature:<5} {sample!r}")
print(f"{'top-5':9s} {sample_text(char_lm, PREFIX, 110, top_k=5, seed=1)!r}")

# %% [markdown]
# Greedy decoding soon repeats itself: once the state comes back to where it was, the same
# characters follow forever. A low temperature stays close to it: common words and phrases,
# little variety. Around $\tau = 0.7$ the text varies and is mostly made of real words; at
# $\tau = 1$ invented words become frequent; at $\tau = 1.5$ the unlikely characters win often
# enough to break most words. Top-5 sampling at $\tau = 1$ invents words too, but fewer than
# plain sampling at $\tau = 1$, since it never picks a character outside the five likeliest.
#
# Two numbers make this precise. For longer samples at several temperatures we count the share
# of generated words that occur in the training text (a crude spelling score) and the share of
# distinct words among them (variety; repetitive text scores low).

# %%
known_words = set(lm_text.split())
sweep_temperatures = (0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.5)
spelling, variety = [], []
for temperature in sweep_temperatures:
    sample = sample_text(char_lm, PREFIX, SWEEP_CHARS, temperature=temperature, seed=2)
    generated = sample[len(PREFIX) :].split()[1:-1]  # the first and last word may be cut
    spelling.append(np.mean([w in known_words for w in generated]) if generated else math.nan)
    variety.append(len(set(generated)) / len(generated) if generated else math.nan)
print("temperature      " + "".join(f"{t:6.1f}" for t in sweep_temperatures))
print("known words      " + "".join(f"{v:6.2f}" for v in spelling))
print("distinct / words " + "".join(f"{v:6.2f}" for v in variety))

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(sweep_temperatures, spelling, marker="o", label="words found in the training text")
ax.plot(sweep_temperatures, variety, marker="s", label="distinct words / words")
ax.set_xlabel("temperature")
ax.set_ylabel("share")
ax.set_ylim(0, 1.05)
ax.set_title(f"Samples of {SWEEP_CHARS} characters at each temperature")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The two curves pull in opposite directions: low temperatures spell well but repeat, high
# temperatures vary but invent. Somewhere around $0.6$–$0.8$ is the usual compromise for a
# model of this size. (A single sample per temperature is a noisy measurement; exercise 1 adds
# another way of cutting off the unlikely tail.)

# %% [markdown]
# ## 9.4 Many to one: the adding problem
#
# Hochreiter and Schmidhuber (1997) designed a task to test whether a network can carry one
# number across many steps. Every step of a sequence of length $T$ holds a pair
# $(v_t, m_t)$: a value $v_t$ drawn uniformly from $[0, 1)$ and a marker $m_t \in \{0, 1\}$.
# Exactly two steps are marked, one in the first half and one in the second, and the target is
# the sum of the two marked values:
#
# $$y = \sum_{t=1}^{T} m_t\, v_t, \qquad m_t = 1 \text{ at exactly two steps.}$$
#
# (Their original version differs in details, for instance its values lie in $[-1, 1]$; this
# one is the variant most later papers use.) The network reads all $T$ pairs and answers once,
# from its final state: many to one. To succeed it must notice the first marker, store that
# value, ignore everything up to the second marker, and add. The first marker lies in the first
# half, on average about $3T/4$ steps before the end, so $T$ controls how far the value must
# travel.
#
# **The baseline.** A network that learned nothing useful can still predict the mean of the
# target. Two independent uniform values have mean $\tfrac12 + \tfrac12 = 1$ and variance
# $\tfrac1{12} + \tfrac1{12} = \tfrac16$, so always answering 1 has a mean squared error of
# $\tfrac16 \approx 0.167$. A model is only useful once its test MSE is well below that.


# %%
def adding_problem(rng, n, length):
    """``n`` sequences of ``(value, marker)`` pairs of ``length`` steps, and their targets."""
    values = rng.uniform(0.0, 1.0, size=(n, length))
    rows = np.arange(n)
    first = rng.integers(0, length // 2, size=n)  # one marker in the first half,
    second = rng.integers(length // 2, length, size=n)  # one in the second
    markers = np.zeros((n, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)
    targets = (values[rows, first] + values[rows, second]).astype(np.float32)
    return inputs, targets


# %%
# NBVAL_CHECK_OUTPUT
example_inputs, example_targets = adding_problem(np.random.default_rng(0), 2, 8)
print("two sequences of length 8 (values, then markers):")
for inputs, target in zip(example_inputs, example_targets, strict=True):
    print("  values ", " ".join(f"{v:.2f}" for v in inputs[:, 0]))
    print("  markers", " ".join(f"{m:4.0f}" for m in inputs[:, 1]), f"  -> target {target:.2f}")

ADD_LENGTHS = (10, 25, 50, 100)
ADD_TRAIN, ADD_TEST = 4000, 1000
adding_data = {}
for length in ADD_LENGTHS:
    rng = np.random.default_rng(length)
    adding_data[length] = (
        adding_problem(rng, ADD_TRAIN, length),
        adding_problem(rng, ADD_TEST, length),
    )
print("\nT     training inputs    test inputs       baseline MSE (predict the training mean)")
for length, ((x_train, y_train), (x_test, y_test)) in adding_data.items():
    baseline_mse = np.mean((y_test - y_train.mean()) ** 2)
    print(f"{length:<5d} {x_train.shape!s:18s} {x_test.shape!s:17s} {baseline_mse:.3f}")
print(f"in theory: 1/6 = {1 / 6:.3f}")

# %% [markdown]
# We train the three cells of chapters 4 to 6 on every length: one recurrent layer of 32 units,
# its last state into a `Dense(1)`, the squared error as loss. The built-in Keras layers compute
# exactly what the scratch cells compute (chapters 4 to 6 checked it) and are a little faster.
# Every (cell, length) pair gets the same budget of training steps on minibatches of 64, with
# Adam and clipping at norm 1. The learning rate (`ADD_LR`) is the larger of `0.01` and `0.02`
# at which the cell trains stably: the plain RNN gets `0.01` (at `0.02` its loss jumps around
# even for $T = 10$), the gated cells `0.02`. Each model starts from the same seed and sees the
# same minibatches, so the results do not depend on the order of the runs.

# %%
ADD_CELLS = {"RNN": keras.layers.SimpleRNN, "GRU": keras.layers.GRU, "LSTM": keras.layers.LSTM}
ADD_LR = {"RNN": 0.01, "GRU": 0.02, "LSTM": 0.02}
adding_mse = {}
start = time.perf_counter()
for length, ((x_train, y_train), (x_test, y_test)) in adding_data.items():
    for name, layer in ADD_CELLS.items():
        # A fresh pipeline for every model, so that all three cells see the same minibatches.
        batches = tf.data.Dataset.from_tensor_slices((x_train, y_train))
        batches = batches.shuffle(ADD_TRAIN, seed=0).repeat().batch(64)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((length, 2)), layer(32), keras.layers.Dense(1)])
        model.compile(
            optimizer=keras.optimizers.Adam(ADD_LR[name], global_clipnorm=1.0), loss="mse"
        )
        model.fit(batches, steps_per_epoch=ADD_STEPS, epochs=1, verbose=0, shuffle=False)
        predictions = np.asarray(model(x_test))[:, 0]
        adding_mse[name, length] = float(np.mean((predictions - y_test) ** 2))
print(f"{len(adding_mse)} models, {ADD_STEPS} steps each, in {time.perf_counter() - start:.0f} s")
print("test MSE     " + "".join(f"T = {length:<6d}" for length in ADD_LENGTHS))
for name in ADD_CELLS:
    print(f"{name:12s} " + "".join(f"{adding_mse[name, length]:<10.4f}" for length in ADD_LENGTHS))

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for name, marker in zip(ADD_CELLS, "osd", strict=True):
    ax.plot(ADD_LENGTHS, [adding_mse[name, t] for t in ADD_LENGTHS], marker=marker, label=name)
ax.axhline(1 / 6, color="0.4", linestyle="--", label="predict the mean (1/6)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(ADD_LENGTHS, [str(t) for t in ADD_LENGTHS])
ax.set_xlabel("sequence length T")
ax.set_ylabel("test MSE")
ax.set_title(f"The adding problem, {ADD_STEPS} training steps per model")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# With this budget the table tells the lecture's story. At $T = 10$ all three cells solve the
# task: their test errors are a few thousandths, against 0.167 for the baseline. The plain RNN
# gets only part of the way at $T = 25$ and does no better than the baseline at $T = 50$ and
# $T = 100$. Chapter 4 showed why: the gradient that would teach it to store the first marked
# value has to pass back through dozens of multiplications by $\mathbf{W}_{hh}$ and by the
# derivative of $\tanh$, and it vanishes on the way, so the network never learns which input
# mattered. The GRU and the LSTM reach errors of a few thousandths or less at every length. Their
# additive updates ($\mathbf{Z}_t \odot \mathbf{H}_{t-1}$ in the GRU,
# $\mathbf{F}_t \odot \mathbf{C}_{t-1}$ in the LSTM) let a value, and its gradient, pass a
# hundred steps almost unchanged. Finding out how to use them can take a while: on long
# sequences a gated cell often sits at the baseline error for many steps before its error
# drops suddenly (question 5 asks you to watch it happen).
#
# ## 9.5 Many to one: which part of the book is this passage from?
#
# Now a many-to-one task on real text, in the spirit of document classification: given a
# passage of 200 cleaned characters, say which of the five parts A–E of section 9.2 it comes
# from. Training passages are cut from the training blocks every 100 characters (so they
# overlap by half, which doubles the examples for free); test passages are cut from the
# held-out blocks without overlap. No test passage shares a character with a training passage.

# %%
# NBVAL_CHECK_OUTPUT
PASSAGE = 200


def cut_passages(blocks_by_part, stride):
    """Passages of PASSAGE characters as ids, cut every ``stride`` characters inside each block."""
    passages, labels = [], []
    for label, blocks in enumerate(blocks_by_part):
        for block in blocks:
            for start in range(0, len(block) - PASSAGE + 1, stride):
                passages.append(vocab[list(block[start : start + PASSAGE])])
                labels.append(label)
    return np.asarray(passages, dtype=np.int32), np.asarray(labels)


x_train_p, y_train_p = cut_passages(train_blocks, stride=PASSAGE // 2)
x_test_p, y_test_p = cut_passages(test_blocks, stride=PASSAGE)
majority = np.bincount(y_train_p).argmax()
print(f"training passages {x_train_p.shape}, test passages {x_test_p.shape}")
print(
    "passages per part (training):",
    dict(zip(part_names, np.bincount(y_train_p).tolist(), strict=True)),
)
print(
    "passages per part (test):    ",
    dict(zip(part_names, np.bincount(y_test_p).tolist(), strict=True)),
)
print(
    f"always answer the largest part ({part_names[majority]}): "
    f"{np.mean(y_test_p == majority):.1%} of the test passages"
)
print("the start of a test passage:", repr("".join(vocab.to_tokens(x_test_p[0, :32].tolist()))))

# %% [markdown]
# **A baseline that ignores order.** The simplest summary of a passage is how often each
# character occurs in it: a bag of characters, 28 frequencies that add up to 1. A softmax
# regression (a `Dense` layer with a softmax, trained with cross-entropy) on these frequencies
# knows nothing about which character follows which. Whatever an RNN does beyond it, it owes to
# reading the characters in order.


# %%
def softmax_regression(features_train, labels_train, features_test, l2=0.0):
    """Train Dense(5, softmax) on standardized features; return its test predictions."""
    mean, std = features_train.mean(axis=0), features_train.std(axis=0) + 1e-6
    keras.utils.set_random_seed(0)
    regularizer = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential(
        [
            keras.Input((features_train.shape[1],)),
            keras.layers.Dense(len(PARTS), activation="softmax", kernel_regularizer=regularizer),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    batches = tf.data.Dataset.from_tensor_slices(((features_train - mean) / std, labels_train))
    batches = batches.shuffle(len(labels_train), seed=0).repeat().batch(128)
    model.fit(batches, steps_per_epoch=1000, epochs=1, verbose=0, shuffle=False)
    return np.argmax(model.predict((features_test - mean) / std, verbose=0), axis=-1)


def char_frequencies(passages):
    """How often each token occurs in each passage, as a share of the passage's length."""
    counts = np.stack([np.bincount(p, minlength=len(vocab)) for p in passages])
    return counts.astype(np.float32) / passages.shape[1]


# The classifiers train on all training passages (in quick mode, on a random subset of them).
fit_rows = np.random.default_rng(0).permutation(len(y_train_p))[:CLS_PASSAGES]
x_fit, y_fit = x_train_p[fit_rows], y_train_p[fit_rows]
bag_predicted = softmax_regression(char_frequencies(x_fit), y_fit, char_frequencies(x_test_p))
bag_accuracy = float(np.mean(bag_predicted == y_test_p))
print(f"bag of characters: {bag_accuracy:.1%} of the test passages")

# %% [markdown]
# **A GRU classifier from scratch.** The recurrent model is the lecture's many-to-one network:
# an `Embedding` of 16 dimensions for each character, a GRU of 64 units, and a `Dense` softmax
# on its final state, trained with cross-entropy.

# %%
keras.utils.set_random_seed(0)
scratch_classifier = keras.Sequential(
    [
        keras.Input((PASSAGE,), dtype="int32"),
        keras.layers.Embedding(len(vocab), 16),
        keras.layers.GRU(64),
        keras.layers.Dense(len(PARTS), activation="softmax"),
    ]
)
scratch_classifier.compile(
    optimizer=keras.optimizers.Adam(0.003, global_clipnorm=1.0),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
start = time.perf_counter()
scratch_history = scratch_classifier.fit(
    x_fit,
    y_fit,
    epochs=CLS_EPOCHS,
    batch_size=64,
    validation_data=(x_test_p, y_test_p),
    verbose=0,
)
scratch_accuracy = scratch_history.history["val_accuracy"][-1]
print(
    f"{scratch_classifier.count_params():,} weights, {CLS_EPOCHS} epochs in "
    f"{time.perf_counter() - start:.0f} s"
)
print(
    "training accuracy by epoch:", " ".join(f"{a:.2f}" for a in scratch_history.history["accuracy"])
)
print(
    "test accuracy by epoch:    ",
    " ".join(f"{a:.2f}" for a in scratch_history.history["val_accuracy"]),
)

# %% [markdown]
# The GRU trained from scratch learns next to nothing: after a few epochs it is barely above
# chance on its own training passages and at chance on the test passages. With the training
# passages above and one label per 200
# characters, the network would have to discover from the labels alone that characters form
# words and that a few rare words point to a part. That is too little signal for a network
# that starts out knowing nothing, not even where words begin.
#
# **Reading with the language model.** The GRU of section 9.3 has already read the training
# text 12 times, predicting every character. To do that well its state must keep track of the
# word being spelled, the words before it and more. That is exactly the kind of summary a
# classifier needs, and it was learned without a single label. So we reuse it: run the
# language model's GRU over each passage, average its 200 hidden states into one vector of 128
# numbers, and train only a softmax regression on those vectors. The GRU stays frozen. (The
# language model never saw a held-out block, so the test passages are new to it too.) This is
# *transfer learning*: pre-train a reader on plenty of unlabelled text, then fit a small model
# on the few labelled examples.


# %% tags=["headline"]
def reader_features(model, passages, batch_size=256):
    """The mean over time of the language model's hidden states, for each passage."""
    means = []
    for start in range(0, len(passages), batch_size):
        states = model.rnn(model.encode(passages[start : start + batch_size]))[0]
        means.append(np.asarray(keras.ops.mean(states, axis=1)))
    return np.concatenate(means)


start = time.perf_counter()
reader_train, reader_test = reader_features(char_lm, x_fit), reader_features(char_lm, x_test_p)
reader_predicted = softmax_regression(reader_train, y_fit, reader_test, l2=0.1)
reader_accuracy = float(np.mean(reader_predicted == y_test_p))
print(
    f"features {reader_train.shape} computed and classified in {time.perf_counter() - start:.0f} s"
)
print(f"{'always the largest part':28s} {np.mean(y_test_p == majority):.1%}")
print(f"{'bag of characters':28s} {bag_accuracy:.1%}")
print(f"{'GRU from scratch':28s} {scratch_accuracy:.1%}")
print(f"{'language-model GRU, frozen':28s} {reader_accuracy:.1%}")

# %% [markdown]
# With few test passages, is the difference real? The two classifiers answered the *same*
# passages, so we compare them passage by passage: a **paired bootstrap** draws the test
# passages with replacement many times and records the difference in accuracy each time; the
# middle 95% of those differences is an interval for the true gain.


# %%
def paired_bootstrap(correct_a, correct_b, draws=10_000, seed=0):
    """95% interval of accuracy(a) - accuracy(b) over resampled test items, and P(diff <= 0)."""
    rng = np.random.default_rng(seed)
    diff = np.asarray(correct_a, dtype=float) - np.asarray(correct_b, dtype=float)
    picks = rng.integers(0, len(diff), size=(draws, len(diff)))
    means = diff[picks].mean(axis=1)
    return np.percentile(means, [2.5, 97.5]), float(np.mean(means <= 0))


reader_correct = reader_predicted == y_test_p
gains = {}
for name, correct in (
    ("always the largest part", y_test_p == majority),
    ("bag of characters", bag_predicted == y_test_p),
):
    gains[name] = paired_bootstrap(reader_correct, correct)
    (low, high), at_most_zero = gains[name]
    print(
        f"language-model GRU minus {name}: {reader_correct.mean() - correct.mean():+.1%}, "
        f"95% interval [{low:+.1%}, {high:+.1%}], share of draws <= 0: {at_most_zero:.3f}"
    )

confusion = np.zeros((len(PARTS), len(PARTS)), dtype=int)
np.add.at(confusion, (y_test_p, reader_predicted), 1)
fig, ax = plt.subplots(figsize=(3.8, 3.4))
ax.imshow(confusion, cmap="Blues")
for i in range(len(PARTS)):
    for j in range(len(PARTS)):
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=8)
ax.set_xticks(range(len(PARTS)), part_names)
ax.set_yticks(range(len(PARTS)), part_names)
ax.set_xlabel("predicted part")
ax.set_ylabel("true part")
ax.set_title("Language-model GRU: test passages", fontsize=10)
fig.tight_layout()
plt.show()

# %%
(low, high), _ = gains["bag of characters"]
display(
    Markdown(
        f"""
Reading with the language model puts {reader_accuracy:.1%} of the test passages in the right
part, against {bag_accuracy:.1%} for the bag of characters and {np.mean(y_test_p == majority):.1%}
for always answering the largest part. Passage by passage, its gain over the bag of characters
lies between {low:+.1%} and {high:+.1%} with 95% confidence:
{
            "an interval above zero, so the gain is real, if modest"
            if low > 0
            else "an interval that includes zero: with this many test passages, no gain is shown"
        }.
The confusion matrix shows where the passages go. The task is far from solved. Two lessons
carry over to real applications: a representation learned without labels, on a task with
plenty of data (the next character), can help a task with few labels; and baselines keep us
honest, since a classifier's accuracy means nothing until we see what always answering the
largest part and counting characters get.
"""
    )
)

# %% [markdown]
# ## 9.6 Many to many: restoring capital letters
#
# The last pattern gives one output per input step. Named-entity tagging, the lecture's
# example, labels every word of a sentence as a person, a place, an organisation or nothing. We
# need labels we can get for free, so we take a close relative: **restore the capitals** of a
# lower-cased text. The input is the book lower-cased, with its punctuation kept; the target of
# every character is 1 if it was a capital letter in the original and 0 otherwise. Capitals
# mark sentence starts, the pronoun "I" and names, so the task needs some of what a named-entity
# tagger needs.
#
# We clean each chapter with `clean(..., keep_case=True, keep_punctuation=True)` (runs of
# whitespace become one space, everything else stays) and leave out the headings, whose
# all-capital Roman numerals are not part of any sentence. The first 90% of the text is for
# training and the last 10% is held out.

# %%
# NBVAL_CHECK_OUTPUT
cased = " ".join(
    clean(chapter_raw[name], keep_case=True, keep_punctuation=True) for name in chapter_names
)
lowered = cased.lower()
if len(lowered) != len(cased):
    raise ValueError("lower-casing changed the length of the text: the targets would not align")
is_capital = np.array([c.isupper() for c in cased], dtype=np.int32)
TAG_SPLIT = int(0.9 * len(lowered))
tag_vocab = Vocab(tokenize_chars(lowered[:TAG_SPLIT]))
tag_ids = np.asarray(tag_vocab[list(lowered)], dtype=np.int32)
held_text, held_capital = lowered[TAG_SPLIT:], is_capital[TAG_SPLIT:]
print(f"{len(lowered):,} characters: {TAG_SPLIT:,} for training, {len(held_text):,} held out")
print(f"{len(tag_vocab)} tokens: {''.join(tag_vocab.idx_to_token[1:])!r} and <unk>")
print(f"capital letters: {is_capital.sum():,} ({is_capital.mean():.2%} of all characters)")
print("input and target of the first characters (^ marks a capital):")
print("  input ", repr(lowered[:44]))
print("  target", repr("".join("^" if c else " " for c in is_capital[:44])))

# %% [markdown]
# Capitals are rare, so accuracy alone says little: a tagger that never predicts a capital is
# right as often as the share of non-capitals printed above. We report the **precision** (of
# the characters tagged as capitals, how many were), the **recall** (of the capitals, how many
# were found) and their harmonic mean, the **F1** score, on the capitals. Two trivial
# baselines: never capitalise, and capitalise the character after every ". ".


# %%
def tag_scores(predicted, target):
    """Accuracy, and precision, recall and F1 on the positive class (the capitals)."""
    predicted, target = np.asarray(predicted, dtype=bool), np.asarray(target, dtype=bool)
    hits = np.sum(predicted & target)
    precision = hits / predicted.sum() if predicted.sum() else 0.0
    recall = hits / target.sum()
    f1 = 2 * hits / (predicted.sum() + target.sum())
    return {
        "accuracy": np.mean(predicted == target),
        "precision": precision,
        "recall": recall,
        "F1": f1,
    }


def after_full_stop(lowered_text):
    """The rule baseline: tag the character right after every '. ' as a capital."""
    tags = np.zeros(len(lowered_text), dtype=np.int32)
    for match in re.finditer(r"\. ", lowered_text):
        if match.end() < len(lowered_text):
            tags[match.end()] = 1
    return tags


def print_scores(label, scores):
    """One row of the results table."""
    print(
        f"{label:30s}"
        + "".join(f"{scores[k]:10.3f}" for k in ("accuracy", "precision", "recall", "F1"))
    )


# %%
# NBVAL_CHECK_OUTPUT
print(
    f"{'held-out text':30s}"
    + "".join(f"{k:>10s}" for k in ("accuracy", "precision", "recall", "F1"))
)
print_scores("never capitalise", tag_scores(np.zeros_like(held_capital), held_capital))
print_scores("capitalise after '. '", tag_scores(after_full_stop(held_text), held_capital))

# %% [markdown]
# The rule is right most of the time it fires, but finds fewer than half of the capitals: it misses
# "I" (about a third of all capitals in this book: the Time Traveller tells his own story),
# names, titles such as "the Medical Man", and sentences that start after a quotation mark,
# a question mark or a paragraph.
#
# **Why a bidirectional tagger is allowed here.** Chapter 8 showed that a bidirectional layer
# cannot be a language model: the backward direction reads the very character the model is
# asked to predict. Here nothing is predicted about the future of the input: the whole
# lower-cased text is given, and the question at position $t$ is about the character at $t$
# itself. Reading the characters after $t$ is not cheating; it is using the input. And it
# should help: when a forward tagger reaches an "i" after a space, it cannot know yet whether
# it is the pronoun "I" or the start of "in", "it" or "is"; one character later it would know.
# Likewise for "Weena" against "we", or "Filby" against "for".
#
# We compare a forward GRU tagger with a bidirectional one of about the same number of weights
# (one GRU of 96 units against two of 64), trained on the same windows of 100 characters for
# the same number of steps, both an `Embedding` of 16 dimensions in front and a `Dense`
# sigmoid per character on top. The bidirectional layer is `rnnkit.layers.Bidirectional`
# from chapter 8.

# %%
TAG_WINDOW = 100
window_starts = np.arange(0, TAG_SPLIT - TAG_WINDOW + 1, TAG_WINDOW // 2)
tag_windows = tf.data.Dataset.from_tensor_slices(
    (
        np.stack([tag_ids[s : s + TAG_WINDOW] for s in window_starts]),
        np.stack([is_capital[s : s + TAG_WINDOW] for s in window_starts])[..., None],
    )
)
tag_windows = tag_windows.shuffle(len(window_starts), seed=0).batch(64)
if TAG_BATCHES is not None:
    tag_windows = tag_windows.take(TAG_BATCHES)


def capital_tagger(make_recurrent):
    """Embedding -> recurrent layer (every step) -> Dense sigmoid, for texts of any length."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(len(tag_vocab), 16),
            make_recurrent(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01, global_clipnorm=1.0), loss="binary_crossentropy"
    )
    return model


taggers = {
    "forward GRU(96)": capital_tagger(lambda: keras.layers.GRU(96, return_sequences=True)),
    "bidirectional GRU(64) x 2": capital_tagger(
        lambda: Bidirectional(keras.layers.GRU(64, return_sequences=True))
    ),
}
for label, model in taggers.items():
    print(f"{label:26s} {model.count_params():,} weights")

# %%
# The held-out text is tagged in windows of 1,000 characters, run side by side as one batch
# (the last window is padded with spaces).
EVAL_WINDOW = 1000
padding = -len(held_text) % EVAL_WINDOW
held_windows = np.concatenate([tag_ids[TAG_SPLIT:], np.full(padding, tag_vocab[" "])])
held_windows = held_windows.reshape(-1, EVAL_WINDOW)
tag_predictions = {}
for label, model in taggers.items():
    start = time.perf_counter()
    model.fit(tag_windows, epochs=TAG_EPOCHS, verbose=0, shuffle=False)
    probs = model.predict(held_windows, verbose=0)[..., 0].reshape(-1)[: len(held_text)]
    tag_predictions[label] = (probs > 0.5).astype(np.int32)
    print(f"{label:26s} trained in {time.perf_counter() - start:.0f} s")

# %%
word_i = np.zeros(len(held_text), dtype=bool)  # every "i" that is a word of its own
word_i[[m.start() for m in re.finditer(r"(?<![a-z])i(?![a-z])", held_text)]] = True
print(
    f"{'held-out text':30s}"
    + "".join(f"{k:>10s}" for k in ("accuracy", "precision", "recall", "F1"))
)
print_scores("capitalise after '. '", tag_scores(after_full_stop(held_text), held_capital))
for label, predicted in tag_predictions.items():
    print_scores(label, tag_scores(predicted, held_capital))
print("\nrecall on the pronoun I, and on all other capitals:")
for label, predicted in tag_predictions.items():
    pronoun = predicted[word_i & (held_capital == 1)].mean()
    others = predicted[~word_i & (held_capital == 1)].mean()
    print(f"  {label:28s} I: {pronoun:.2f}   others: {others:.2f}")

# %%
scores = {"capitalise after '. '": tag_scores(after_full_stop(held_text), held_capital)}
scores |= {
    label: tag_scores(predicted, held_capital) for label, predicted in tag_predictions.items()
}
fig, ax = plt.subplots(figsize=(6, 3))
measures = ("precision", "recall", "F1")
for k, (label, row) in enumerate(scores.items()):
    ax.bar(np.arange(3) + 0.27 * (k - 1), [row[m] for m in measures], width=0.27, label=label)
ax.set_xticks(range(3), measures)
ax.set_ylim(0, 1.05)
ax.set_ylabel("on the capitals of the held-out text")
ax.set_title("Restoring capitals", fontsize=10)
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()
plt.show()

forward, both = (scores[label] for label in tag_predictions)
pronoun_recall = {
    label: predicted[word_i & (held_capital == 1)].mean()
    for label, predicted in tag_predictions.items()
}
forward_i, both_i = pronoun_recall.values()
display(
    Markdown(
        f"""
The bidirectional tagger reaches an F1 of {both["F1"]:.3f} against {forward["F1"]:.3f} for the
forward one (and {scores["capitalise after '. '"]["F1"]:.3f} for the rule), with about the same
number of weights and the same training. Precision is {forward["precision"]:.3f} and
{both["precision"]:.3f}; the difference is mostly in the recall ({forward["recall"]:.3f} against
{both["recall"]:.3f}). The pronoun "I" shows where it comes from: the forward tagger finds
{forward_i:.0%} of them. When it has to decide it has read a space and an "i", and words such as
"in", "it", "is" and "if" start that way more often than the pronoun stands alone. The
bidirectional tagger also sees the character after the "i" and finds {both_i:.0%}. A sentence
start is decided mostly by what comes before it (a full stop, a quotation mark), which the
forward tagger sees as well.
"""
    )
)

# %% [markdown]
# A few restored snippets of the held-out text (the original, then each tagger's version of the
# lower-cased input):


# %%
def restore(lowered_text, tags):
    """Upper-case the characters tagged 1."""
    return "".join(c.upper() if tag else c for c, tag in zip(lowered_text, tags, strict=True))


for word in (" i ", "medical man", "weena"):
    found = held_text.find(word)
    if found < 0:
        continue
    window = slice(max(found - 18, 0), found + 20)
    print(f"{'original':26s} {cased[TAG_SPLIT:][window]!r}")
    for label, predicted in tag_predictions.items():
        print(f"{label:26s} {restore(held_text[window], predicted[window])!r}")
    print()

# %% [markdown]
# The pronoun is where the two taggers differ. Titles and names are hard for both: "the Medical
# Man" is capitalised only because this book treats the phrase as a name, which a tagger can
# only learn word by word, from the few times it appears in the training text.
#
# ## Summary
#
# - The same recurrent layer serves every pattern; what changes is which outputs we use and
#   train. Many to one keeps the last state (or a summary of all states), many to many keeps
#   every state, one to many feeds its own outputs back in.
# - Generating text is sampling from a language model; the temperature and top-$k$ trade
#   spelling against variety.
# - Many to one needs the state to carry information to the end of the sequence. The adding
#   problem measures how far: a plain RNN fails beyond a few dozen steps, the gated cells carry
#   a number across a hundred.
# - With few labels, a reader pre-trained as a language model can do better than the same
#   network trained from scratch; a paired comparison on the same test passages says whether a
#   gain is more than noise, and simple baselines (the majority class, a bag of characters) tell
#   whether a classifier has learned anything at all.
# - When the whole input is given, a tagger may read both ways, and a bidirectional one finds
#   what a forward one cannot know yet.
#
# ## Exercises
#
# Exercises 1 to 3 are coding exercises with instant feedback. In each exercise cell, replace
# `# YOUR CODE HERE` and `raise NotImplementedError` with your code and run the cell; then run
# the cell after it: `check(...)` tests your function on a small example and says what it
# tried, what it expected and what came back, with a hint. The exercises after them are
# questions and small projects without automatic checks.
#
# The next cell defines the checks the exercises use. Run it first; you may read it, it shows
# exactly what is tested. (Your instructor may run a few more tests of the same kind when
# grading.)

# %%
from rnnkit.course import check, exercise


def check_adding_batch(t, use_adding_data, seed, batch_size, length, num_marked):
    """Check the properties every adding-problem batch must have; return (inputs, targets)."""
    inputs, targets = t.call(
        use_adding_data, np.random.default_rng(seed), batch_size, length, num_marked
    )
    call = t.tested
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    t.equal(inputs.shape, (batch_size, length, 2), tested=f"the shape of the inputs of {call}")
    t.equal(targets.shape, (batch_size,), tested=f"the shape of the targets of {call}")
    t.equal(str(inputs.dtype), "float32", tested=f"the dtype of the inputs of {call}")
    t.equal(str(targets.dtype), "float32", tested=f"the dtype of the targets of {call}")
    values, markers = inputs[..., 0], inputs[..., 1]
    t.true(np.all((values >= 0) & (values < 1)), f"every value of {call} lies in [0, 1)")
    t.true(np.all((markers == 0) | (markers == 1)), f"every marker of {call} is 0 or 1")
    for j in range(num_marked):
        low, high = j * length // num_marked, (j + 1) * length // num_marked
        t.equal(
            markers[:, low:high].sum(axis=1),
            np.ones(batch_size),
            tested=f"the number of markers at positions {low} to {high - 1} of each row of {call}",
        )
    t.close(targets, np.sum(values * markers, axis=1), tested=f"the targets of {call}")
    return inputs, targets


def caps_tags(marked):
    """Tags from a string drawn under the text: '^' for 1, anything else for 0."""
    return np.array([1 if c == "^" else 0 for c in marked], dtype=np.int32)


@exercise(
    "use_top_p",
    points=2,
    hint="softmax(logits / temperature) with the largest value subtracted first; sort the "
    "probabilities in decreasing order (np.argsort(-probs, kind='stable')), keep the shortest "
    "prefix whose np.cumsum reaches p, zero the rest and divide by the kept sum.",
)
def _check_top_p(t, use_top_p):
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    t.close(t.call(use_top_p, logits, 0.7), [0.625, 0.375, 0.0, 0.0])
    t.close(t.call(use_top_p, logits, 0.9), np.array([0.5, 0.3, 0.15, 0.0]) / 0.95)


@exercise(
    "use_adding_data",
    points=2,
    hint="Draw the values with rng.uniform(0, 1, size=(batch_size, length)); for segment j, "
    "draw one position per row with rng.integers(j * length // num_marked, "
    "(j + 1) * length // num_marked, size=batch_size) and set the marker there; the target "
    "is the sum of values * markers over the steps.",
)
def _check_adding_data(t, use_adding_data):
    first = check_adding_batch(t, use_adding_data, 0, 8, 10, 2)
    again = check_adding_batch(t, use_adding_data, 0, 8, 10, 2)
    t.equal(again[0], first[0], tested="two calls with np.random.default_rng(0) (same inputs)")


@exercise(
    "use_caps_rule",
    points=2,
    hint="re.finditer helps: r'[a-z]' for the first letter, r\"[.!?] ['\\\"]*([a-z])\" for "
    "sentence starts (match.start(1) is the letter), r'(?<![a-z])i(?![a-z])' for the pronoun.",
)
def _check_caps_rule(t, use_caps_rule):
    lowered = "'i think so. you're right,' i said! 'why?' he asked. it is in it."
    marked = " ^           ^              ^        ^               ^           "
    t.equal(np.asarray(t.call(use_caps_rule, lowered)), caps_tags(marked))


# %% [markdown]
# ### Exercise 1: top-$p$ (nucleus) sampling (2 points)
#
# Top-$k$ keeps a fixed number of candidates, although the model is sometimes sure of the next
# character (one candidate would do) and sometimes torn between ten. **Top-$p$** sampling
# (Holtzman et al., 2020) keeps as many candidates as it takes to cover a share $p$ of the
# probability. Write `use_top_p(logits, p, temperature=1.0)` that returns the distribution
# top-$p$ sampling draws from, as a 1-D NumPy array of the same length as `logits`:
#
# 1. compute $\text{softmax}(\text{logits} / \text{temperature})$ without overflow (logits of
#    1000 must work);
# 2. sort the tokens by probability, largest first (among equal probabilities, the lower id
#    first);
# 3. keep the shortest list of tokens from the top whose probabilities add up to at least
#    $p$ (always at least one token), set every other probability to 0, and divide by the kept
#    total so the result sums to 1.
#
# A `p` outside $(0, 1]$ or a `temperature` that is not positive raises a `ValueError` whose
# message names the argument.
#
# Example: for probabilities $0.5, 0.3, 0.15, 0.05$ (logits `np.log([0.5, 0.3, 0.15, 0.05])`)
# and $p = 0.7$ the first two tokens are kept, and the result is $[0.625, 0.375, 0, 0]$.
#
# Not graded: use your function in place of `next_token_probs` in `sample_text`, and compare
# samples with $p = 0.9$ to those of top-5 sampling. After which characters does top-$p$ keep
# only one or two candidates?


# %% exercise="use_top_p" points=2
def use_top_p(logits, p, temperature=1.0):
    """The top-p sampling distribution of softmax(logits / temperature)."""
    ### BEGIN SOLUTION
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p <= 1:
        raise ValueError(f"p must be a number in (0, 1], got {p!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    keep = int(np.searchsorted(np.cumsum(probs[order]), p)) + 1
    kept = np.zeros_like(probs)
    kept[order[:keep]] = probs[order[:keep]]
    return kept / kept.sum()
    ### END SOLUTION


# %%
check("use_top_p", use_top_p)

# %% [markdown]
# ### Exercise 2: adding-problem data with more markers (2 points)
#
# Generalize `adding_problem` of section 9.4: write
# `use_adding_data(rng, batch_size, length, num_marked=2)`, which uses the NumPy generator
# `rng` for all its random draws and returns `(inputs, targets)`:
#
# - `inputs` is a `float32` array of shape `(batch_size, length, 2)`: `inputs[..., 0]` holds
#   values drawn uniformly from $[0, 1)$, `inputs[..., 1]` the markers (0 or 1);
# - the steps are split into `num_marked` segments, segment $j$ covering the positions from
#   `j * length // num_marked` up to (not including) `(j + 1) * length // num_marked`; every row
#   has exactly one marker in every segment, at a position drawn uniformly within it;
# - `targets` is a `float32` array of shape `(batch_size,)`: the sum of the marked values of each
#   row.
#
# With `num_marked=2` this is the layout of section 9.4 (one marker in each half). A
# `num_marked` below 1 or above `length` raises a `ValueError` that names `num_marked`.
#
# Not graded: train the GRU of section 9.4 on `num_marked=4` at $T = 50$. Is four numbers
# harder to add than two, for the same budget? What is the mean-predicting baseline MSE now?


# %% exercise="use_adding_data" points=2
def use_adding_data(rng, batch_size, length, num_marked=2):
    """An adding-problem batch with one marker in each of ``num_marked`` equal segments."""
    ### BEGIN SOLUTION
    if isinstance(num_marked, bool) or not isinstance(num_marked, int | np.integer):
        raise ValueError(
            f"num_marked must be an integer from 1 to length={length}, got {num_marked!r}"
        )
    if not 1 <= num_marked <= length:
        raise ValueError(
            f"num_marked must be an integer from 1 to length={length}, got {num_marked!r}"
        )
    values = rng.uniform(0.0, 1.0, size=(batch_size, length))
    markers = np.zeros((batch_size, length))
    rows = np.arange(batch_size)
    for j in range(num_marked):
        low, high = j * length // num_marked, (j + 1) * length // num_marked
        markers[rows, rng.integers(low, high, size=batch_size)] = 1.0
    inputs = np.stack([values, markers], axis=-1).astype(np.float32)
    targets = np.sum(values * markers, axis=1).astype(np.float32)
    return inputs, targets
    ### END SOLUTION


# %%
check("use_adding_data", use_adding_data)

# %% [markdown]
# ### Exercise 3: a better capitalisation rule (2 points)
#
# The rule baseline of section 9.6 only capitalised the character after ". ". Write
# `use_caps_rule(lowered)`: for a lower-cased string, return a NumPy integer array of 0s and 1s,
# one per character, with a 1 at
#
# 1. the first letter (`a`–`z`) of the text;
# 2. every letter that follows a `.`, `!` or `?`, then one space, then any number of quotation
#    marks (`'` or `"`), such as the `w` of `? 'why`;
# 3. every `i` with no letter (`a`–`z`) right before it and none right after it: the pronoun,
#    also in "i'm" and "i'll".
#
# Example (`^` marks a 1):
#
#     'i think so. you're right,' i said! 'why?' he asked. it is in it.
#      ^           ^              ^        ^               ^
#
# Not graded: compute the precision, recall and F1 of your rule on `held_text` with
# `tag_scores`. How close does a rule of three lines come to the forward tagger? Which
# capitals does it still miss, and which of them could any rule find?


# %% exercise="use_caps_rule" points=2
def use_caps_rule(lowered):
    """1 where the rule capitalises a character of ``lowered``, else 0."""
    ### BEGIN SOLUTION
    tags = np.zeros(len(lowered), dtype=np.int32)
    first = re.search(r"[a-z]", lowered)
    if first:
        tags[first.start()] = 1
    for match in re.finditer(r"[.!?] ['\"]*([a-z])", lowered):
        tags[match.start(1)] = 1
    for match in re.finditer(r"(?<![a-z])i(?![a-z])", lowered):
        tags[match.start()] = 1
    return tags
    ### END SOLUTION


# %%
check("use_caps_rule", use_caps_rule)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Greedy loops (question).** Greedy decoding of section 9.3 ends in a loop. Explain why it
#    must loop sooner or later: what is the state of the model a function of, once the prefix
#    has been read? Does sampling at a very low temperature loop too?
# 5. **The adding problem, further.** (a) Give the plain RNN four times the steps at $T = 25$.
#    Does it get below the baseline? (b) Try $T = 200$ for the GRU and the LSTM. (c) Plot the
#    test MSE of the LSTM at $T = 100$ every 50 steps: a long plateau at the baseline, then a
#    sudden drop, is typical for this task. What has the network found at the drop?
# 6. **Which part of the book, done better.** (a) Build a *bag-of-words* baseline: a softmax
#    regression on the word counts of each passage (keep the words seen at least three times in
#    the training passages). How does it compare with the language-model reader, and what does
#    that say about what the reader has to learn? (b) Unfreeze the reader: build the classifier
#    of section 9.5 with the language model's GRU (copy its weights with `set_weights`) and
#    train everything with a small learning rate. (c) Use 400-character passages. (d) The L2
#    penalty of 0.1 was not tuned; choose it on a validation split cut from the training
#    blocks, never on the test passages.
# 7. **A forward tagger that waits.** Shift the targets of the forward tagger by $d$ steps, so
#    that it must say whether character $t$ is a capital when it reads character $t + d$. It
#    then sees $d$ characters of the future without reading backwards. How large must $d$ be
#    for the pronoun "I"? Compare its F1 with the bidirectional tagger's for $d = 1, 2, 4$.
# 8. **Punctuation restoration.** Remove the punctuation instead of the capitals: the input is
#    the text without `,` and `.`, and the target of each character says which mark (none,
#    comma, full stop) follows it. Build the data, the trivial baselines and a bidirectional
#    tagger. Why is this harder than restoring capitals?
# 9. **Many to many, not aligned (question).** Sketch an encoder–decoder that reverses a
#    string of letters (`"time"` → `"emit"`): what does the encoder return, what does the
#    decoder read at each step, and when does it stop? Why can the taggers of section 9.6 not
#    do this task, even bidirectional ones?
