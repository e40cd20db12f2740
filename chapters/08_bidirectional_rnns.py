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
# # Chapter 8: Bidirectional RNNs
#
# Every recurrent network so far has read its input from left to right: the state at step $t$
# sums up $X_1, \dots, X_t$ and nothing else. That is exactly what a language model needs, since
# it has to guess the next token before it exists. Many tasks are not like that. When the whole
# sequence is already on the table (tagging the words of a sentence, restoring a damaged word,
# filling in a gap) the tokens *after* a position say as much about it as the tokens before. A
# bidirectional RNN reads the sequence twice, once in each direction, and gives every position
# both views.
#
# **What you will learn**
#
# - why the context to the right of a gap matters, with the lecture's example and with counts
#   from *The Time Machine*;
# - the bidirectional RNN: a forward RNN, a backward RNN and a merge of their states at every
#   step (concatenate, sum, average or multiply), as equations and as a plain loop;
# - that `rnnkit.layers.Bidirectional` and `keras.layers.Bidirectional` compute exactly those
#   equations, and why the backward outputs must be turned back into time order;
# - why a bidirectional RNN must never be trained as a next-token language model: it reads the
#   answer, and you will watch its loss collapse while it stays unable to write;
# - a task where reading both ways is allowed and pays off: filling in a missing character.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import textwrap
import time
from collections import Counter

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from keras import ops

from rnnkit.data import num_batches, random_batches
from rnnkit.layers import Bidirectional, LSTMCell, to_keras
from rnnkit.lm import (
    RNNLM,
    char_corpus,
    generate,
    held_out_perplexity,
    kneser_ney_baseline,
    train_custom,
)

data = char_corpus()
V = len(data.vocab)
BLANK = data.vocab.unk  # id 0, "<unk>": it never occurs in the cleaned text, so it can mark a gap
train_text = data.text[: len(data.train)]
valid_text = data.text[len(data.train) :]

# The fill-in-the-blank examples of sections 8.1 and 8.5: 21 characters, the gap in the middle.
WINDOW, CENTER = 21, 10

# Budgets (quick mode only shrinks them).
LM_BATCHES = runmode.pick(full=num_batches(len(data.train), 32, 35), quick=20)
LM_EPOCHS = runmode.pick(full=2, quick=1)
CLOZE_EPOCHS = runmode.pick(full=5, quick=1)
CLOZE_WINDOWS = runmode.pick(full=40_000, quick=2_000)  # training windows drawn per epoch

# %% [markdown]
# ## 8.1 The future matters
#
# The lecture starts with a gap in a sentence and three ways the sentence can go on:
#
# - "I am \_\_\_." — almost anything that describes a state fits; "hungry" is a fine guess.
# - "I am \_\_\_ very hungry." — now "hungry" is impossible. The gap sits in front of an
#   intensifier, so it is probably "not" (or "so").
# - "I am \_\_\_ very hungry, I could eat half a pig." — the second clause rules out "not": the
#   speaker is starving, so "very" (as in "very, very hungry") fits best.
#
# All three gaps have the same past, "I am". A model that reads from left to right and has to
# fill the gap when it gets there must give the same answer all three times. What decides the
# answer comes *after* the gap. This is the difference between **prediction** (extrapolation:
# only the past exists) and **filling in** (interpolation: the future is known too).
#
# The same holds for characters. Take the characters of the training text and, for a gap with
# $k$ known characters on its left (and maybe $k$ on its right), count which character filled
# it. Below, `?` is the gap and `_` a space. With only the left context " th", the table says "e"
# (as in "the"); the characters after the gap change the answer completely.


# %%
def filler_counts(text, left, right):
    """Count (pattern, filler) pairs: the `left` characters before each position of `text`,
    a `?` for the position itself and the `right` characters after it, with the character
    that was there."""
    return Counter(
        (text[t - left : t] + "?" + text[t + 1 : t + 1 + right], text[t])
        for t in range(left, len(text) - right)
    )


def show_fillers(counts, pattern, k=4):
    """Print the `k` most frequent fillers of `pattern` with their share."""
    fills = sorted((-n, char) for (p, char), n in counts.items() if p == pattern)
    total = -sum(n for n, _ in fills)
    shown = "  ".join(f"{c.replace(' ', '_')} {-n / total:4.0%}" for n, c in fills[:k])
    print(f"{pattern.replace(' ', '_'):>8s}  seen {total:5,} times:  {shown}")


left_only = filler_counts(train_text, 3, 0)
both_sides = filler_counts(train_text, 3, 2)

# %%
# NBVAL_CHECK_OUTPUT
show_fillers(left_only, " th?")
for right in ("t ", "n ", "s ", "y "):
    show_fillers(both_sides, " th?" + right)

# %% [markdown]
# The left context alone gives "e" about three chances in four; two characters on the right
# mostly settle the question: "that", "then" (or "than"), "this", "they".
#
# How much is the right context worth over the whole held-out text? Turn the counts into a
# guesser: for a gap, look up the pattern with $k$ characters on the left (and, for the two-sided
# guesser, $k$ on the right) and answer the character that filled it most often in training. A
# pattern never seen in training falls back to $k - 1$, and so on down to $k = 0$, the most
# frequent character of all (the space). We score every position of the validation text that has
# at least `CENTER` = 10 characters on each side: the same gaps as in section 8.5.


# %%
def best_fillers(counts):
    """Map each pattern to its most frequent filler (ties: the one counted first)."""
    best = {}
    for (pattern, char), _ in counts.most_common():
        best.setdefault(pattern, char)
    return best


def count_guess(text, t, tables, two_sided):
    """Guess `text[t]` from the longest known pattern around it; `tables[k]` has k per side."""
    for k in range(len(tables) - 1, -1, -1):
        right = text[t + 1 : t + 1 + k] if two_sided else ""
        guess = tables[k].get(text[t - k : t] + "?" + right)
        if guess is not None:
            return guess
    raise ValueError("tables[0] must hold the pattern '?' (fit it with left=right=0)")


def count_accuracy(tables, two_sided, text=valid_text):
    """Share of the held-out gaps that count_guess fills correctly."""
    gaps = range(CENTER, len(text) - CENTER)
    return np.mean([count_guess(text, t, tables, two_sided) == text[t] for t in gaps])


MAX_K = 4
left_tables = [best_fillers(filler_counts(train_text, k, 0)) for k in range(MAX_K + 1)]
both_tables = [best_fillers(filler_counts(train_text, k, k)) for k in range(MAX_K + 1)]

# %%
# NBVAL_CHECK_OUTPUT
print(f"held-out gaps: {len(valid_text) - 2 * CENTER:,}")
print("k   left k characters   left k + right k characters")
count_results = {}
for k in range(MAX_K + 1):
    count_results[k] = (
        count_accuracy(left_tables[: k + 1], two_sided=False),
        count_accuracy(both_tables[: k + 1], two_sided=True),
    )
    print(f"{k}   {count_results[k][0]:19.1%}   {count_results[k][1]:27.1%}")

# %% [markdown]
# Guessing the space every time is right one time in five. Three characters on the left get
# about half of the gaps right, and each further one adds less. Three characters on
# *each* side get more than four gaps in five. For filling in, the future is worth at least as
# much as the past, and no left-to-right reader can use it.
#
# ## 8.2 One RNN forward, one backward
#
# A bidirectional RNN runs two independent RNNs over the same input $X_1, \dots, X_T$: one from
# left to right, one from right to left. With $\phi$ the activation (or any GRU or LSTM update in
# its place) and $h$ hidden units per direction,
#
# $$\overrightarrow{H}_t = \phi\big(X_t W_{xh}^{(f)} + \overrightarrow{H}_{t-1} W_{hh}^{(f)}
#   + b_h^{(f)}\big), \qquad t = 1, \dots, T, \quad \overrightarrow{H}_0 = 0,$$
#
# $$\overleftarrow{H}_t = \phi\big(X_t W_{xh}^{(b)} + \overleftarrow{H}_{t+1} W_{hh}^{(b)}
#   + b_h^{(b)}\big), \qquad t = T, \dots, 1, \quad \overleftarrow{H}_{T+1} = 0.$$
#
# The superscripts $(f)$ and $(b)$ say that the two directions have their own weights. The
# forward state $\overrightarrow{H}_t$ has read $X_1, \dots, X_t$; the backward state
# $\overleftarrow{H}_t$ has read $X_T, \dots, X_t$. At every step the two are **merged** into
# one representation $H_t$, and the output layer reads that:
#
# $$H_t = \operatorname{merge}\big(\overrightarrow{H}_t, \overleftarrow{H}_t\big), \qquad
#   O_t = H_t W_{hq} + b_q .$$
#
# The usual merges:
#
# | merge | $H_t$ | width |
# |---|---|---|
# | `concat` (the default) | $[\overrightarrow{H}_t, \overleftarrow{H}_t]$ side by side | $2h$ |
# | `sum` | $\overrightarrow{H}_t + \overleftarrow{H}_t$ | $h$ |
# | `ave` | $\frac{1}{2}(\overrightarrow{H}_t + \overleftarrow{H}_t)$ | $h$ |
# | `mul` | $\overrightarrow{H}_t \odot \overleftarrow{H}_t$ | $h$ |
#
# Concatenation keeps both views intact and lets $W_{hq}$ weigh them; the other three are
# cheaper but force the two directions to share one space. Either way $H_t$ depends on the
# *whole* input, $X_1$ to $X_T$. The price: twice the parameters and the computation of one
# direction (the two directions are independent, so they can run side by side), and the whole
# sequence must be known before the first output can be computed.
#
# Here are the equations as code, with the scratch `LSTMCell` of chapter 6 for each direction:
# a loop over $t = 1, \dots, T$, a loop over $t = T, \dots, 1$ that files each backward state
# under the step it belongs to, and a merge.

# %%
MERGES = {
    "concat": lambda f, b: ops.concatenate([f, b], axis=-1),
    "sum": lambda f, b: f + b,
    "ave": lambda f, b: (f + b) / 2.0,
    "mul": lambda f, b: f * b,
}


def bidirectional_by_hand(forward_cell, backward_cell, X, merge_mode="concat"):
    """Run `forward_cell` over X (batch, T, d) from t = 1 up and `backward_cell` from t = T down;
    return the merged states (batch, T, width), both directions lined up by time step
    (`merge_mode=None`: the list [forward states, backward states])."""
    batch, steps = X.shape[0], X.shape[1]
    state = forward_cell.get_initial_state(batch_size=batch)
    forward = []
    for t in range(steps):
        H_t, state = forward_cell(X[:, t], state)
        forward.append(H_t)
    state = backward_cell.get_initial_state(batch_size=batch)
    backward = [None] * steps
    for t in reversed(range(steps)):
        H_t, state = backward_cell(X[:, t], state)
        backward[t] = H_t  # filed under step t, although it was computed T - t steps in
    forward, backward = ops.stack(forward, axis=1), ops.stack(backward, axis=1)
    return [forward, backward] if merge_mode is None else MERGES[merge_mode](forward, backward)


# %%
# NBVAL_CHECK_OUTPUT
UNITS, BATCH, STEPS, FEATURES = 4, 3, 6, 5
X = keras.random.normal((BATCH, STEPS, FEATURES), seed=1)
forward_cell, backward_cell = LSTMCell(UNITS), LSTMCell(UNITS)
for cell in (forward_cell, backward_cell):
    cell.build((BATCH, FEATURES))
for mode in MERGES:
    H = bidirectional_by_hand(forward_cell, backward_cell, X, mode)
    print(f"{mode:6s} -> H has shape {tuple(H.shape)}")

# %% [markdown]
# ## 8.3 The wrapper, in rnnkit and in Keras
#
# `rnnkit.layers.Bidirectional(layer, backward_layer=None, merge_mode="concat")` takes a
# recurrent layer (any `keras.layers.RNN`: a built-in `LSTM`, or `keras.layers.RNN` around a
# scratch cell) and runs it together with a backward twin. Without `backward_layer` the twin is
# a fresh copy of `layer` with `go_backwards` flipped, and so with its own weights; here we pass
# both directions ourselves, built on the two cells above, so that all three implementations
# share the same weights. Keras's own `keras.layers.Bidirectional` gets the same weights copied
# in with `to_keras` (chapter 6). With `return_state=True` the wrappers also return the
# final states: the forward $[H, C]$, then the backward $[H, C]$. We compare everything, merge
# mode by merge mode (`None` returns the two directions unmerged, as a list).


# %%
def scratch_bidirectional(merge_mode, return_state=False):
    """rnnkit's wrapper around RNN layers that hold `forward_cell` and `backward_cell`."""
    forward = keras.layers.RNN(forward_cell, return_sequences=True, return_state=return_state)
    backward = keras.layers.RNN(
        backward_cell, return_sequences=True, return_state=return_state, go_backwards=True
    )
    return Bidirectional(forward, backward_layer=backward, merge_mode=merge_mode)


def keras_bidirectional(scratch, merge_mode, return_state=False):
    """keras.layers.Bidirectional over a built-in LSTM, holding `scratch`'s weights."""
    twin = keras.layers.Bidirectional(
        keras.layers.LSTM(UNITS, return_sequences=True, return_state=return_state),
        merge_mode=merge_mode,
    )
    twin(X)  # build
    to_keras(scratch, twin)
    return twin


def max_diff(a, b):
    """Largest absolute difference over (lists of) tensors of the same shapes."""
    pairs = zip(keras.tree.flatten(a), keras.tree.flatten(b), strict=True)
    return max(float(ops.max(ops.abs(x - y))) for x, y in pairs)


# %%
# NBVAL_CHECK_OUTPUT
print("merge    output shape   by hand = rnnkit   rnnkit = Keras   (max |difference| < 1e-5)")
for mode in [*MERGES, None]:
    ours = scratch_bidirectional(mode)
    out = ours(X)
    theirs = keras_bidirectional(ours, mode)
    by_hand = bidirectional_by_hand(forward_cell, backward_cell, X, mode)
    shape = f"2 x {tuple(out[0].shape)}" if mode is None else str(tuple(out.shape))
    print(
        f"{mode!s:7s}  {shape:13s}  {max_diff(by_hand, out) < 1e-5!s:16s}"
        f"   {max_diff(out, theirs(X)) < 1e-5}"
    )
ours = scratch_bidirectional("concat", return_state=True)
theirs = keras_bidirectional(ours, "concat", return_state=True)
out, keras_out = ours(X), theirs(X)
print(f"with return_state=True: {len(out)} tensors (output, forward H and C, backward H and C)")
print("  all equal to Keras:", max_diff(out, keras_out) < 1e-5)

# %% [markdown]
# ### Why the backward outputs are flipped back
#
# A layer built with `go_backwards=True` does not know anything about "backward states at time
# $t$": it simply reads the sequence from its last step to its first and returns its outputs *in
# the order it computed them*. Its first output has read only $X_T$, its last one has read the
# whole sequence. So it computes the same thing as an ordinary RNN fed the time-reversed input.
# Before merging, the wrapper flips that output sequence back, so that position $t$ holds
# $\overleftarrow{H}_t$, the state that has just read $X_t$. Without the flip, position $t$
# would pair $\overrightarrow{H}_t$ with $\overleftarrow{H}_{T+1-t}$, two states about different
# parts of the sequence.

# %%
# NBVAL_CHECK_OUTPUT
backward_rnn = keras.layers.RNN(backward_cell, return_sequences=True, go_backwards=True)
in_reading_order = backward_rnn(X)
reversed_input = keras.layers.RNN(backward_cell, return_sequences=True)(ops.flip(X, axis=1))
_, backward_half = scratch_bidirectional(None)(X)
print(
    "go_backwards output == forward RNN on the reversed input:",
    max_diff(in_reading_order, reversed_input) < 1e-6,
)
print(
    "wrapper's backward half at step t == go_backwards output number T-1-t:",
    max_diff(backward_half, ops.flip(in_reading_order, axis=1)) < 1e-6,
)
print(
    "wrapper's backward half at step t == go_backwards output number t:",
    max_diff(backward_half, in_reading_order) < 1e-6,
)

# %% [markdown]
# ### Who sees what
#
# A direct way to see what each part of a bidirectional layer depends on: change one input step
# $X_s$ and look which outputs change. In each grid, row $t$ is an output step and column $s$
# the input step that was changed (both counted from 0); `#` means that output $t$ moved.

# %%
# NBVAL_CHECK_OUTPUT
layer = scratch_bidirectional(None)
base_forward, base_backward = layer(X)
changed = {"forward half": [], "backward half": [], "merged (concat)": []}
for s in range(STEPS):
    nudge = np.zeros((1, STEPS, 1), dtype="float32")
    nudge[0, s] = 0.5
    nudged = X + nudge
    new_forward, new_backward = layer(nudged)
    moved_f = ops.max(ops.abs(new_forward - base_forward), axis=(0, 2)) > 0
    moved_b = ops.max(ops.abs(new_backward - base_backward), axis=(0, 2)) > 0
    changed["forward half"].append(np.asarray(moved_f))
    changed["backward half"].append(np.asarray(moved_b))
    changed["merged (concat)"].append(np.asarray(moved_f | moved_b))
print(" " * 10 + "   ".join(f"{name:15s}" for name in changed))
for t in range(STEPS):
    rows = ["".join("#" if changed[name][s][t] else "." for s in range(STEPS)) for name in changed]
    print(f"output {t}  " + "   ".join(f"{row:15s}" for row in rows).rstrip())

# %% [markdown]
# The forward half at step $t$ depends on $X_1, \dots, X_t$ (a lower triangle), the backward
# half on $X_t, \dots, X_T$ (an upper triangle), and the merged state on everything. That last
# grid is the whole point of the architecture, and, as the next section shows, the whole
# problem when the task is to predict $X_{t+1}$.
#
# ## 8.4 A bidirectional RNN is not a language model
#
# A language model's output $O_t$ is its guess for the next token, and training compares it with
# the target $Y_t = X_{t+1}$. Now look at the backward state in that position:
#
# $$\overleftarrow{H}_t = \phi\big(X_t W_{xh}^{(b)} + \overleftarrow{H}_{t+1} W_{hh}^{(b)}
#   + b_h^{(b)}\big), \qquad
#   \overleftarrow{H}_{t+1} = \phi\big(\mathbf{X_{t+1}} W_{xh}^{(b)} + \dots\big).$$
#
# The backward direction read $X_{t+1}$, the very target, one step before it computed
# $\overleftarrow{H}_t$. The network does not have to learn anything about language: it only has
# to carry "which character did I just read" one step, and copy it to the output. That is a
# trivial job, so the training loss falls towards 0 and the perplexity towards 1. The same
# happens on held-out text, because a held-out window also contains its own targets: this is
# not overfitting, it is a **leak**. And the model is useless for generating text, because when
# it generates, $X_{t+1}$ does not exist yet: it is the thing being generated.
#
# Only one position of a training window is honest: the last one, where the backward direction
# has read nothing but $X_T$ and the target lies beyond the window.
#
# `rnnkit` knows this. `RNNLM.is_causal` is False for a model whose recurrent layer reads
# backwards (`reads_the_future`), and the training, evaluation and generation helpers refuse
# such a model, with the reason:

# %%
LM_UNITS = 64


def bidirectional_lm():
    """A character LM over a bidirectional LSTM: the model this section warns about."""
    lstm = keras.layers.LSTM(LM_UNITS, return_sequences=True, return_state=True)
    return RNNLM(V, Bidirectional(lstm, merge_mode="concat"))


def forward_lm():
    """The honest twin: the same LSTM, reading only forward."""
    return RNNLM(V, keras.layers.LSTM(LM_UNITS, return_sequences=True, return_state=True))


def compiled(model):
    """`model(ids)` compiled once for every batch size and length (eager RNN calls are slow)."""
    return tf.function(
        lambda ids: model(ids, training=False),
        input_signature=[tf.TensorSpec([None, None], tf.int32)],
    )


leaky_lm, honest_lm = bidirectional_lm(), forward_lm()
for model in (leaky_lm, honest_lm):
    model.zero_state(1)  # builds the model
lm_logits = {"bidirectional": compiled(leaky_lm), "forward only": compiled(honest_lm)}
lm_train = random_batches(data.train, 32, 35, seed=0).take(LM_BATCHES)
lm_valid = random_batches(data.valid, 32, 35, seed=1)


def show_refusal(what, call):
    """Run `call`, which should raise ValueError, and print its message wrapped."""
    try:
        call()
    except ValueError as err:
        print(textwrap.fill(f"{what}: {err}", 96, subsequent_indent="    "))
    else:
        print(f"{what}: not refused!")


# %%
# NBVAL_CHECK_OUTPUT
for name, model in (("bidirectional", leaky_lm), ("forward only", honest_lm)):
    print(f"{name:14s} LM: {model.count_params():6,} parameters, is_causal = {model.is_causal}")
print()
show_refusal("train_custom", lambda: train_custom(leaky_lm, lm_train, 1, 0.01))
show_refusal(
    "train_custom(stateful=True)",
    lambda: train_custom(leaky_lm, lm_train, 1, 0.01, stateful=True, allow_bidirectional=True),
)
show_refusal("held_out_perplexity", lambda: held_out_perplexity(leaky_lm, data))
show_refusal("generate", lambda: generate(leaky_lm, data.vocab, "the time ", 20))

# %% [markdown]
# `train_custom(..., allow_bidirectional=True)` trains it anyway, to watch the leak. Both
# models get the same random batches, the same optimizer (Adam, learning rate 0.01, gradients
# clipped to norm 1) and the same budget; `valid` reports the loss on windows of the held-out
# text, computed the same way as the training loss (and so just as leaky).

# %%
lm_histories = {}
for name, model, allow in (("bidirectional", leaky_lm, True), ("forward only", honest_lm, False)):
    print(name)
    lm_histories[name] = train_custom(
        model,
        lm_train,
        LM_EPOCHS,
        0.01,
        clip=1.0,
        optimizer="adam",
        valid=lm_valid,
        allow_bidirectional=allow,
    )

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for name, history in lm_histories.items():
    ax.plot(history.step_loss, label=name)
ax.set_xlabel("training step")
ax.set_ylim(bottom=0)
ax.set_ylabel("training loss (nats per character)")
ax.set_title("The same LSTM, reading one way or both ways")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# The bidirectional model's loss dives towards zero within an epoch; the forward model's loss
# comes down slowly, as a language model's should. The best honest number we have for this text
# is the Kneser–Ney model that chapter 3 tuned. For the forward model we can compute the honest
# held-out perplexity with the protocol of chapter 3 (every validation character predicted from
# all the text before it: `held_out_perplexity(model, data)`); for the bidirectional one, only
# the leaky window loss exists.

# %%
# NBVAL_CHECK_OUTPUT
baseline = kneser_ney_baseline(data)
ngram = baseline.build(V).fit(data.train.tolist())
print(f"tuned n-gram, {baseline.name}: validation perplexity {baseline.valid_perplexity:.3f}")

# %%
honest_perplexity = held_out_perplexity(honest_lm, data)
print("model            training ppl  held-out window ppl  fair held-out ppl  tokens/s")
for name, history in lm_histories.items():
    fair = f"{honest_perplexity:17.3f}" if name == "forward only" else f"{'refused':>17s}"
    print(
        f"{name:15s}  {history.perplexity[-1]:12.3f}  {history.val_perplexity[-1]:19.3f}"
        f"  {fair}  {history.tokens_per_s[-1]:8,.0f}"
    )

# %% [markdown]
# A held-out perplexity close to 1 would mean that the model is nearly certain of every next
# character of a text it has never seen, far better than the tuned n-gram and better than any
# human reader. When a number is that good, look for a leak first.
#
# The leak can be seen position by position. Average the loss over the 35 positions of
# held-out windows. The forward model's loss is highest at the first positions, where it has
# seen almost no context, and then levels off. The bidirectional model's loss is near zero at
# every position except the last one, the only position where the target is not part of its
# input.

# %%
position_loss = {name: np.zeros(35) for name in lm_histories}
num_windows = 0
for X_batch, Y_batch in lm_valid.take(10):
    num_windows += X_batch.shape[0]
    for name, logits_of in lm_logits.items():
        losses = keras.losses.sparse_categorical_crossentropy(
            Y_batch, logits_of(X_batch), from_logits=True
        )
        position_loss[name] += np.asarray(ops.sum(losses, axis=0))
fig, ax = plt.subplots(figsize=(6, 3))
for name, total in position_loss.items():
    ax.plot(np.arange(1, 36), total / num_windows, marker=".", label=name)
ax.set_xlabel("position in the 35-character window")
ax.set_ylabel("held-out loss (nats)")
ax.set_title("Where the bidirectional model can see its target")
ax.legend()
fig.tight_layout()
plt.show()
last = {name: total[-1] / num_windows for name, total in position_loss.items()}
rest = {name: total[:-1].mean() / num_windows for name, total in position_loss.items()}
for name in position_loss:
    print(f"{name:14s} positions 1-34: {rest[name]:.3f} nats   position 35: {last[name]:.3f} nats")

# %% [markdown]
# ### Generating by hand
#
# `generate` refuses the bidirectional model, but nothing stops us from writing a
# loop ourselves. There are two ways, and both show what the model really learned.
#
# 1. **Re-read the whole text at every step and use the last position.** This is honest: at the
#    last position the backward LSTM has read only the current character. But it costs a full
#    pass over the text for every new character (the backward states change whenever a
#    character is appended), and the model has had little practice there: only one position in
#    35 of a training window is honest, so it has seen 35 times fewer real prediction problems
#    than the forward model. The plot above shows the result: at position 35 its loss is
#    higher than the forward model's.
# 2. **Append a made-up next character and read the position before it.** That is the
#    position the model was trained to be good at, and it does exactly what it was trained to
#    do: it reads off the "next" character from its input, whatever we wrote there.
#
# For comparison, the forward model generates with `generate`, which carries the
# state from character to character; re-reading the text at every step gives the same text for
# a forward model, only slower.


# %%
def greedy_next(logits):
    """Most likely id, never <unk> (id 0)."""
    return int(np.argmax(np.asarray(logits)[1:])) + 1


def rereading_greedy(logits_of, prefix, num_chars, made_up=None):
    """Greedy text from the function `logits_of(ids)`: re-read everything at each step; with
    `made_up`, append that character and take the prediction at the position before it."""
    ids = data.vocab[list(prefix)]
    extra = [] if made_up is None else [data.vocab[made_up]]
    for _ in range(num_chars):
        logits = logits_of(np.asarray([ids + extra], dtype=np.int32))
        ids.append(greedy_next(logits[0, -1 - len(extra)]))
    return "".join(data.vocab.to_tokens(ids))


PREFIX, LENGTH = "the time traveller ", 50
samples = {
    "forward, generate": generate(honest_lm, data.vocab, PREFIX, LENGTH),
    "forward, re-reading": rereading_greedy(lm_logits["forward only"], PREFIX, LENGTH),
    "bidirectional, re-reading": rereading_greedy(lm_logits["bidirectional"], PREFIX, LENGTH),
    "bidirectional, made-up 'e'": rereading_greedy(
        lm_logits["bidirectional"], PREFIX, LENGTH, made_up="e"
    ),
    "bidirectional, made-up ' '": rereading_greedy(
        lm_logits["bidirectional"], PREFIX, LENGTH, made_up=" "
    ),
}
for name, sample in samples.items():
    print(f"{name:29s} {sample!r}")

# %% [markdown]
# With a made-up next character the bidirectional model just writes that character again and
# again: everywhere but at the last position, it is a copying machine, not a language model.
# Re-reading gives words, but greedy decoding soon falls into a loop. Greedy decoding loops for
# the small forward model too (it always takes the single most likely character; the sampling
# strategies of `generate` avoid that), so the text alone is not the verdict. The
# numbers are: the forward model, trained on the same budget, is still far from the n-gram
# baseline (chapter 7 trains bigger models longer), but its held-out perplexity is a fair
# number, it is better than the bidirectional model at the one position where both play fair,
# and it generates text the way it was trained, one character after the other.
#
# Bidirectional layers are for tasks where the whole input is known at prediction time and the
# target is *not* part of it: classifying or tagging a sequence, encoding a sentence to be
# translated, or filling in a gap that has been blanked out of the input.
#
# ## 8.5 Filling in a missing character
#
# A fair task for a bidirectional RNN: take a window of `WINDOW` = 21 characters, replace the
# middle one (position `CENTER` = 10, counting from 0) with a blank marker, and ask for the
# missing character. The blank marker is `<unk>` (id 0), which never occurs in the cleaned text.
# Now the target is *not* in the input, so there is nothing to copy: to fill the gap, a model
# has to combine what the characters on both sides tell it. Training windows come from the
# training text only, held-out windows from the validation tail only; held-out gaps are the
# same ones the counting guessers of section 8.1 were scored on.
#
# The input pipeline uses `tf.data`: every epoch draws `CLOZE_WINDOWS` start positions at random
# from the training text, and a `map` cuts out the windows and blanks out their centers.


# %%
def cloze_examples(ids, starts):
    """Windows ids[s : s + WINDOW] for every s in `starts`, the center set to BLANK, and the
    characters that were there: ``(inputs (n, WINDOW), targets (n,))``."""
    ids, starts = tf.convert_to_tensor(ids, tf.int32), tf.cast(starts, tf.int32)
    windows = tf.gather(ids, starts[:, None] + tf.range(WINDOW)[None, :])
    blank = tf.fill([tf.shape(windows)[0], 1], BLANK)
    inputs = tf.concat([windows[:, :CENTER], blank, windows[:, CENTER + 1 :]], axis=1)
    return inputs, windows[:, CENTER]


def cloze_batches(ids, num_windows, batch_size, seed):
    """A tf.data pipeline of cloze batches; each epoch draws new random windows of `ids`."""
    count = len(ids) - WINDOW + 1
    return (
        tf.data.Dataset.range(count)
        .shuffle(count, seed=seed, reshuffle_each_iteration=True)
        .take(num_windows)
        .batch(batch_size)
        .map(lambda starts: cloze_examples(ids, starts), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


cloze_train = cloze_batches(data.train, CLOZE_WINDOWS, batch_size=128, seed=0)
heldout_inputs, heldout_targets = cloze_examples(data.valid, tf.range(len(data.valid) - WINDOW + 1))
cloze_valid = tf.data.Dataset.from_tensor_slices((heldout_inputs, heldout_targets)).batch(1024)


def show_window(inputs, target=None):
    """A window as text: spaces as '_', the blank as '?'."""
    chars = ["?" if i == BLANK else data.vocab.to_tokens(int(i)) for i in np.asarray(inputs)]
    shown = "".join(chars).replace(" ", "_")
    return shown if target is None else f"{shown}   answer: {data.vocab.to_tokens(int(target))!r}"


# %%
# NBVAL_CHECK_OUTPUT
X_batch, Y_batch = next(iter(cloze_train))
print("training batch:", tuple(X_batch.shape), X_batch.dtype.name, tuple(Y_batch.shape))
print(
    f"training windows: {len(data.train) - WINDOW + 1:,} to draw from;"
    f" held-out windows: {len(heldout_targets):,}"
)
for i in (0, 5000, 10000):
    print(show_window(heldout_inputs[i], heldout_targets[i]))

# %% [markdown]
# ### Three LSTM readers
#
# All three models embed the characters (a learned 16-dimensional embedding), run an LSTM of 64
# units and put a dense softmax layer over the 28 characters on top. They differ only in how the
# LSTM reads the window, and that is the point of the comparison:
#
# - **left**: a forward LSTM reads the left context and the blank, and answers from its state
#   at the blank. This is a language model's view of the gap: everything before it, nothing
#   after. It has the same shape as the forward half of the bidirectional model.
# - **whole**: a forward LSTM reads the *whole* window, left to right, and answers from its
#   final state. It sees the same 20 characters as the bidirectional model, so this is the fair
#   comparison on information. But it has to keep the left context in its state while it reads
#   the ten characters after the gap, and only then answer.
# - **both**: a bidirectional LSTM (`keras.layers.Bidirectional`, concat merge) answers from the
#   merged states $[\overrightarrow{H}_{10}, \overleftarrow{H}_{10}]$ at the blank: the forward
#   state has just read the left context, the backward state has just read the right context.
#
# Same data, same batches, same optimizer (Adam, learning rate 0.005, gradient norm clipped to
# 1), same number of epochs. The bidirectional model has two LSTMs, so twice the recurrent
# parameters; exercise 5 asks whether a wider one-way model closes the gap.

# %%
CLOZE_UNITS, EMBED_DIM = 64, 16


def cloze_model(reader):
    """An LSTM that fills in the blank of a window; `reader` is "left", "whole" or "both"."""
    window = keras.Input((WINDOW,), dtype="int32", name="window")
    x = keras.layers.Embedding(V, EMBED_DIM, name="embedding")(window)
    if reader == "left":
        h = keras.layers.LSTM(CLOZE_UNITS)(x[:, : CENTER + 1])
    elif reader == "whole":
        h = keras.layers.LSTM(CLOZE_UNITS)(x)
    elif reader == "both":
        states = keras.layers.Bidirectional(keras.layers.LSTM(CLOZE_UNITS, return_sequences=True))
        h = states(x)[:, CENTER]
    else:
        raise ValueError(f"reader={reader!r} is not allowed: use 'left', 'whole' or 'both'")
    model = keras.Model(window, keras.layers.Dense(V, name="head")(h), name=f"cloze_{reader}")
    model.compile(
        optimizer=keras.optimizers.Adam(0.005, global_clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


READERS = ("left", "whole", "both")
cloze_models = {reader: cloze_model(reader) for reader in READERS}

# %%
# NBVAL_CHECK_OUTPUT
for reader, model in cloze_models.items():
    print(f"{reader:6s} {model.count_params():6,} parameters, output {model.output_shape}")

# %%
cloze_histories = {}
for reader, model in cloze_models.items():
    start = time.perf_counter()
    fit = model.fit(
        cloze_train, epochs=CLOZE_EPOCHS, validation_data=cloze_valid, verbose=0, shuffle=False
    )
    seconds = time.perf_counter() - start
    cloze_histories[reader] = fit.history
    print(
        f"{reader:6s} held-out accuracy {fit.history['val_accuracy'][-1]:.3f} after "
        f"{CLOZE_EPOCHS} x {CLOZE_WINDOWS:,} training windows ({seconds:.0f} s, "
        f"{CLOZE_EPOCHS * CLOZE_WINDOWS / seconds:,.0f} windows/s incl. validation)"
    )

# %% [markdown]
# The baselines, on the same held-out gaps: the most frequent character, the tuned Kneser–Ney
# model of section 8.4 asked for the most likely character after the characters left of the gap
# (as many as its order can use: chapter 3's best left-to-right model), and the counting
# guessers of section 8.1 with four characters of context.

# %%
# NBVAL_CHECK_OUTPUT
centers = range(CENTER, len(data.valid) - CENTER)
width = ngram.order - 1
kn_guesses = [
    int(np.argmax(ngram.distribution(data.valid[t - width : t].tolist()))) for t in centers
]
baselines = {
    "most frequent character": count_results[0][0],
    f"Kneser-Ney order {ngram.order}, left": float(
        np.mean(np.asarray(kn_guesses) == data.valid[CENTER:-CENTER])
    ),
    f"counting, {MAX_K} left": count_results[MAX_K][0],
    f"counting, {MAX_K} left + {MAX_K} right": count_results[MAX_K][1],
}
for name, accuracy in baselines.items():
    print(f"{name:32s} {accuracy:.1%}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
epochs = np.arange(1, CLOZE_EPOCHS + 1)
for reader, history in cloze_histories.items():
    ax.plot(epochs, history["val_accuracy"], marker="o", label=f"LSTM, {reader}")
baseline_colors = ("0.6", "tab:brown", "tab:olive", "tab:purple")
for (name, accuracy), color in zip(baselines.items(), baseline_colors, strict=True):
    ax.axhline(accuracy, color=color, linestyle="--", linewidth=1, label=name)
ax.set_xticks(epochs)
ax.set_ylim(0, 1)
ax.set_xlabel("epoch")
ax.set_ylabel("held-out accuracy")
ax.set_title("Filling in the middle character of a 21-character window")
ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()

# %% [markdown]
# A few held-out gaps, with every model's guess:

# %%
shown = list(range(1500, len(heldout_targets), 2500))
guesses = {
    reader: np.argmax(model.predict(tf.gather(heldout_inputs, shown), verbose=0), axis=-1)
    for reader, model in cloze_models.items()
}
print(f"{'window':23s} answer  " + "  ".join(f"{r:>5s}" for r in READERS) + "  counting")
for j, i in enumerate(shown):
    answer = data.vocab.to_tokens(int(heldout_targets[i]))
    counted = count_guess(valid_text, i + CENTER, both_tables, two_sided=True)
    row = "  ".join(f"{data.vocab.to_tokens(int(guesses[r][j]))!r:>5s}" for r in READERS)
    print(f"{show_window(heldout_inputs[i]):23s} {answer!r:>6s}  {row}  {counted!r:>8s}")

# %%
final = {reader: history["val_accuracy"][-1] for reader, history in cloze_histories.items()}
two_sided = baselines[f"counting, {MAX_K} left + {MAX_K} right"]
one_sided = baselines[f"counting, {MAX_K} left"]
winner = max(final, key=final.get)
display(
    Markdown(
        f"""
On the same data and budget the readers fill in {final["both"]:.1%} (bidirectional),
{final["whole"]:.1%} (whole window, one way) and {final["left"]:.1%} (left only) of the held-out
gaps: the best is **{winner}**.

- The **left** reader has a language model's information: without the right context it can
  only *predict* the gap, not fill it in. Compare it with the left-context count table
  ({one_sided:.1%}); a briefly trained LSTM language model is behind Kneser–Ney too.
- The **whole** reader has all the information, but it answers ten steps after the gap, so it
  must carry what it knew about the left context through the whole right context. It learns
  that slowly.
- The **bidirectional** reader gets each side fresh, right next to the gap: the forward state
  has just read the left context and the backward state has just read the right context.

The two-sided count table fills in {two_sided:.1%}. On one small book, a table of patterns with
{MAX_K} characters on each side knows most gaps by heart, while a network needs much longer
training to learn the same (exercise 5 gives it more). The story is the same for both kinds of
model: adding the right context lifts the counting guesser from {one_sided:.1%} to
{two_sided:.1%}, and the LSTM from {final["left"]:.1%} to {final["both"]:.1%}.
"""
    )
)

# %% [markdown]
# ## The test split, once
#
# The language models of section 8.4 on the test split (the bidirectional one is refused: it
# has no honest perplexity):

# %% tags=["headline"]
print(f"test perplexity, tuned n-gram ({baseline.name}): {baseline.test_perplexity:.3f}")
print(f"test perplexity, forward LSTM: {held_out_perplexity(honest_lm, data, split='test'):.3f}")

# %% [markdown]
# ## Summary
#
# - Filling in a gap is interpolation, not prediction: the context on the right decides as much
#   as the context on the left. A forward RNN cannot use it.
# - A bidirectional RNN runs a forward RNN ($\overrightarrow{H}_t$ from $X_1..X_t$) and a
#   backward RNN ($\overleftarrow{H}_t$ from $X_T..X_t$) with separate weights, and merges their
#   states step by step (concat, sum, ave, mul) before the output layer. It costs two RNNs and
#   needs the whole sequence first.
# - `rnnkit.layers.Bidirectional` and `keras.layers.Bidirectional` compute the same thing. A
#   `go_backwards` layer returns its outputs in reading order, so the wrapper flips them back in
#   time before merging.
# - Never train a bidirectional RNN as a next-token language model: $\overleftarrow{H}_t$ has
#   read $X_{t+1}$, the target. Its loss collapses towards 0 (perplexity 1) on training and on
#   held-out windows alike, and it cannot generate: it copies whatever "future" it is given.
#   The rnnkit helpers refuse such a model, and say why.
# - Where the target is not in the input, reading both ways pays off: on the fill-in-the-blank
#   task the BiLSTM beats a forward LSTM that reads the left context, and one that reads the
#   whole window, by a wide margin; count tables gain just as much from the right context.

# %% [markdown]
# ## Exercises
#
# Exercises 1 and 2 are coding exercises with instant feedback. In each exercise cell, replace
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

# One sequence of three steps and one unit: forward states 1, 2, 3; a go_backwards layer
# returned 10 (after reading step 3), 20, 30 (after reading step 1), in that order.
TOY_FORWARD = np.array([[[1.0], [2.0], [3.0]]])
TOY_BACKWARD = np.array([[[10.0], [20.0], [30.0]]])


@exercise(
    "birnn_merge",
    points=2,
    hint="Flip the backward outputs along the time axis (axis 1) first, so that step t holds the "
    "state that has just read step t; then concatenate on the last axis, add, average or "
    "multiply.",
)
def _check_birnn_merge(t, birnn_merge):
    t.close(
        t.call(birnn_merge, TOY_FORWARD, TOY_BACKWARD, "concat"),
        [[[1.0, 30.0], [2.0, 20.0], [3.0, 10.0]]],
    )
    t.close(t.call(birnn_merge, TOY_FORWARD, TOY_BACKWARD, "sum"), [[[31.0], [22.0], [13.0]]])


@exercise(
    "birnn_cloze_windows",
    points=2,
    hint="There are len(ids) - window + 1 windows; row i is ids[i : i + window] with the entry "
    "at window // 2 replaced by blank_id, and target i is the entry that was there.",
)
def _check_birnn_cloze_windows(t, birnn_cloze_windows):
    inputs, targets = t.call(birnn_cloze_windows, [5, 6, 7, 8, 9], 3, 0)
    t.equal(np.asarray(inputs), np.array([[5, 0, 7], [6, 0, 8], [7, 0, 9]]), tested=t.tested)
    t.equal(np.asarray(targets), np.array([6, 7, 8]), tested=t.tested)


# %% [markdown]
# ### Exercise 1: merging the two directions (2 points)
#
# Write `birnn_merge(forward, backward, mode)` in NumPy. `forward` holds the outputs of a forward
# RNN, shape `(batch, T, h)`, in time order. `backward` holds the outputs of a `go_backwards`
# RNN over the same input, also `(batch, T, h)`, **in the order it computed them**: `backward[:,
# 0]` has read only the last step. Return the merged sequence in time order, as
# `Bidirectional` does: for `mode` `"concat"` shape `(batch, T, 2h)` (forward first),
# for `"sum"`, `"ave"` and `"mul"` shape `(batch, T, h)`. Any other `mode` raises a `ValueError`
# whose message names `mode` and the allowed values.
#
# Example: with `forward = [[[1], [2], [3]]]` and `backward = [[[10], [20], [30]]]`, `"sum"`
# gives `[[[31], [22], [13]]]`.


# %% exercise="birnn_merge" points=2
def birnn_merge(forward, backward, mode):
    """Merge forward outputs with time-reversed backward outputs, aligned step by step."""
    ### BEGIN SOLUTION
    forward = np.asarray(forward)
    backward = np.asarray(backward)[:, ::-1]
    if mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "ave":
        return (forward + backward) / 2.0
    if mode == "mul":
        return forward * backward
    raise ValueError(f"mode={mode!r} is not allowed: use 'concat', 'sum', 'ave' or 'mul'")
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("birnn_merge", birnn_merge)

# %% [markdown]
# ### Exercise 2: cloze examples (2 points)
#
# Write `birnn_cloze_windows(ids, window, blank_id)` in NumPy: `ids` is a 1-D list or array of
# token ids and `window` a positive odd integer no larger than `len(ids)`. Return `(inputs,
# targets)`: `inputs` has one row for each of the `len(ids) - window + 1` windows
# `ids[i : i + window]`, with its middle entry (index `window // 2`) replaced by `blank_id`, and
# `targets[i]` is the id that was there. Do not change `ids` itself. An even `window`, or one
# that is not between 1 and `len(ids)`, raises a `ValueError` that names `window`.
#
# Example: `birnn_cloze_windows([5, 6, 7, 8, 9], 3, 0)` returns the inputs
# `[[5, 0, 7], [6, 0, 8], [7, 0, 9]]` and the targets `[6, 7, 8]`. On `data.valid` with
# `window=21` and `blank_id=BLANK` it gives the held-out examples of section 8.5.


# %% exercise="birnn_cloze_windows" points=2
def birnn_cloze_windows(ids, window, blank_id):
    """All windows of `ids` with the middle id blanked out, and the middle ids."""
    ### BEGIN SOLUTION
    ids = np.asarray(ids)
    if not isinstance(window, int) or window < 1 or window % 2 == 0 or window > len(ids):
        raise ValueError(
            f"window={window!r} is not allowed: use an odd integer between 1 and len(ids)"
        )
    inputs = np.lib.stride_tricks.sliding_window_view(ids, window).copy()
    targets = inputs[:, window // 2].copy()
    inputs[:, window // 2] = blank_id
    return inputs, targets
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("birnn_cloze_windows", birnn_cloze_windows)

# %% [markdown]
# ### More exercises and questions
#
# 3. **The lecture's gaps (question).** For each of the three sentences of section 8.1, which
#    words after the gap decide the answer? Write a sentence of your own where the deciding
#    word comes ten words after the gap. Which of the three LSTM readers of section 8.5 could in
#    principle use it, and which would find it hardest?
# 4. **Deep bidirectional RNNs (question).** Stack two bidirectional layers, the second reading
#    the merged states of the first. Can the *forward* direction of the second layer at step
#    $t$ see $X_{t+1}$? Draw the dependency grid of section 8.3 for it. What does that mean for
#    anyone who wants to use "the forward half" of a deep bidirectional model as a language
#    model?
# 5. **Fair in parameters.** The bidirectional cloze model has about twice the recurrent
#    parameters of the one-way ones. Pick a number of units for the **whole** reader that
#    matches the BiLSTM's parameter count, train it on the same budget and compare. Then give
#    all three models three times the budget. Which gaps close, which stay?
# 6. **Longer gaps.** Change `cloze_examples` so that it blanks out three characters in the
#    middle and asks for the middle one (or for all three, with three output heads). How do the
#    counting guessers and the three readers degrade? Try `merge_mode="sum"` and `"mul"` for the
#    BiLSTM: does the merge matter here?
# 7. **Two language models are not one bidirectional model (question).** Some systems train a
#    forward language model and a separate backward language model (which predicts $X_{t-1}$
#    from $X_T, \dots, X_t$), and only later combine their states for another task. Why does
#    neither of the two leak, although together they see the whole sequence? Which states of
#    the two models may be combined to fill the gap at step $t$ without ever reading $X_t$?
# 8. **Streaming (question).** A speech recognizer must show words while the speaker is still
#    talking. Why is a bidirectional RNN a poor fit, and what could you do instead if a delay of
#    a few steps is acceptable?
