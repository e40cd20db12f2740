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
# # Chapter 6: Long short-term memory (LSTM)
#
# The GRU of chapter 5 gave the plain RNN gates, so that it can keep its state or overwrite it.
# The **long short-term memory** (LSTM) of Hochreiter and Schmidhuber (1997) is older and a little
# larger, and it splits the state in two. A **memory cell** $\mathbf{C}_t$ carries information
# from step to step and is only ever scaled and added to, never pushed through a weight matrix
# or a squashing function on the way. A **hidden state** $\mathbf{H}_t$ is what the rest of the
# network sees: a gated, squashed view of the memory. Three gates decide, at every step and for
# every unit, what to erase from the memory, what to write into it and what to show of it.
#
# **What you will learn**
#
# - the lecture's six equations: the input, forget and output gates, the candidate memory, the
#   memory cell and the hidden state, and what each gate does, on a one-unit LSTM wired by hand;
# - why the additive memory update lets gradients reach far back in time, and why Keras starts
#   the forget gate's bias at 1;
# - that the scratch `LSTMCell` of `rnnkit` computes exactly what `keras.layers.LSTM` computes:
#   outputs, both final states and gradients;
# - how well an LSTM language model does on *The Time Machine* against the Kneser–Ney baseline;
# - what the memory cells of a trained model do while it reads;
# - how RNN, GRU and LSTM compare on the same budget: perplexity, parameters and speed.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import math
import time

import keras
import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display

from rnnkit.data import random_batches
from rnnkit.layers import GRUCell, LSTMCell, RNNCell, fused_weights, to_keras
from rnnkit.lm import (
    RNNLM,
    char_corpus,
    generate,
    held_out_perplexity,
    kneser_ney_baseline,
    train_custom,
)

# Budgets: only these differ between full and quick mode.
LM_EPOCHS = runmode.pick(full=14, quick=1)  # the LSTM language model of section 6.5
COMPARE_EPOCHS = runmode.pick(full=4, quick=1)  # each model of the comparison in section 6.7
BATCHES_PER_EPOCH = runmode.pick(full=-1, quick=3)  # -1: every batch of the training text

# %% [markdown]
# ## 6.1 Three gates
#
# As in the previous chapters, $\mathbf{X}_t \in \mathbb{R}^{n \times d}$ is a minibatch of $n$
# inputs with $d$ features at step $t$, and $\mathbf{H}_{t-1} \in \mathbb{R}^{n \times h}$ is the
# hidden state of the step before, with $h$ hidden units. An LSTM computes three **gates** from
# them, each with its own weights and the logistic sigmoid $\sigma$:
#
# $$\mathbf{I}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xi} + \mathbf{H}_{t-1} \mathbf{W}_{hi}
#   + \mathbf{b}_i) \qquad \text{(input gate)}$$
#
# $$\mathbf{F}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xf} + \mathbf{H}_{t-1} \mathbf{W}_{hf}
#   + \mathbf{b}_f) \qquad \text{(forget gate)}$$
#
# $$\mathbf{O}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xo} + \mathbf{H}_{t-1} \mathbf{W}_{ho}
#   + \mathbf{b}_o) \qquad \text{(output gate)}$$
#
# with $\mathbf{W}_{x\cdot} \in \mathbb{R}^{d \times h}$, $\mathbf{W}_{h\cdot} \in
# \mathbb{R}^{h \times h}$ and $\mathbf{b}_\cdot \in \mathbb{R}^{1 \times h}$ (added to every
# row). Every entry of a gate lies between 0 and 1. A gate is a soft switch, one per example
# and per hidden unit, recomputed at every step from what the network reads now and what it
# showed one step ago. Gates never carry information forward themselves; they only decide
# what happens to the memory.
#
# ## 6.2 Candidate memory, memory cell and hidden state
#
# The **candidate memory** is what the LSTM could write at this step. It is computed like the
# new state of a plain RNN, with a $\tanh$, so its entries lie in $(-1, 1)$:
#
# $$\tilde{\mathbf{C}}_t = \tanh(\mathbf{X}_t \mathbf{W}_{xc} + \mathbf{H}_{t-1} \mathbf{W}_{hc}
#   + \mathbf{b}_c).$$
#
# The **memory cell** keeps the part of the old memory that the forget gate lets through and
# adds the part of the candidate that the input gate lets in ($\odot$ is the elementwise
# product):
#
# $$\mathbf{C}_t = \mathbf{F}_t \odot \mathbf{C}_{t-1} + \mathbf{I}_t \odot \tilde{\mathbf{C}}_t.$$
#
# The **hidden state**, the output of the step, is the memory squashed into $(-1, 1)$ and
# filtered by the output gate:
#
# $$\mathbf{H}_t = \mathbf{O}_t \odot \tanh(\mathbf{C}_t).$$
#
# Both $\mathbf{H}_t$ and $\mathbf{C}_t$ go on to the next step, starting from zeros. So each
# gate has one job:
#
# - the **forget gate** decides how much of the memory survives: $\mathbf{F}_t \approx 1$ keeps
#   it, $\mathbf{F}_t \approx 0$ resets it;
# - the **input gate** decides whether to take in the new data: $\mathbf{I}_t \approx 0$ ignores
#   the candidate, $\mathbf{I}_t \approx 1$ writes it;
# - the **output gate** decides what of the memory is shown: with $\mathbf{O}_t \approx 0$ a unit
#   keeps its memory to itself (the next step's gates do not see it either), with
#   $\mathbf{O}_t \approx 1$ it shows all of it.
#
# The GRU ties keeping and writing together ($\mathbf{Z}_t$ and $1 - \mathbf{Z}_t$) and shows its
# whole state. The LSTM's gates are independent: with $\mathbf{F}_t \approx \mathbf{I}_t \approx
# 1$ a unit adds up its candidates, so $\mathbf{C}_t$ can grow beyond $\pm 1$ and count, and with
# $\mathbf{O}_t \approx 0$ it can hold a memory for later without disturbing anything now. The
# price is one more gate: four weight blocks per step instead of the GRU's three.
#
# ### A one-unit LSTM wired by hand
#
# To watch the gates at work, take a single unit and choose its weights ourselves. Each input
# $\mathbf{X}_t$ has three features: a *value*, a *write* flag and a *read* flag. The weights
# below open the input gate and close the forget gate exactly when *write* is 1 (so the old
# memory is replaced by the candidate $\tanh(\text{value})$), and open the output gate exactly
# when *read* is 1. All the weights on $\mathbf{H}_{t-1}$ are zero: this unit keeps everything in
# its memory cell. Large pre-activations ($\pm 10$) make the sigmoid gates 0 or 1 to four
# decimals. We run `rnnkit.layers.LSTMCell` one step at a time: a cell maps
# $(\mathbf{X}_t, [\mathbf{H}_{t-1}, \mathbf{C}_{t-1}])$ to $(\mathbf{H}_t, [\mathbf{H}_t,
# \mathbf{C}_t])$.

# %%
SHARP = 20.0  # weight of a flag: the gate's pre-activation is +-SHARP/2 = +-10
latch = LSTMCell(1)
latch.build((None, 3))  # inputs: [value, write, read]
wiring = {
    "W_xi": [[0.0], [SHARP], [0.0]],  # input gate: open only when write = 1
    "b_i": [-SHARP / 2],
    "W_xf": [[0.0], [-SHARP], [0.0]],  # forget gate: keep, except when write = 1
    "b_f": [SHARP / 2],
    "W_xc": [[1.0], [0.0], [0.0]],  # candidate: tanh(value)
    "b_c": [0.0],
    "W_xo": [[0.0], [0.0], [SHARP]],  # output gate: open only when read = 1
    "b_o": [-SHARP / 2],
}
for name in ("W_hi", "W_hf", "W_hc", "W_ho"):
    wiring[name] = [[0.0]]
for name, value in wiring.items():
    getattr(latch, name).assign(np.array(value, dtype="float32"))

# %%
# NBVAL_CHECK_OUTPUT
steps = np.array(
    [  # value, write, read
        [0.9, 1, 0],
        [-0.7, 0, 0],
        [0.3, 0, 1],
        [0.5, 0, 0],
        [-0.6, 1, 0],
        [0.8, 0, 1],
        [0.0, 0, 0],
        [0.2, 0, 1],
    ],
    dtype="float32",
)
state = latch.get_initial_state(batch_size=1)
rows = [" t  value  write  read     C_t     H_t"]
for t, x in enumerate(steps, start=1):
    H_t, state = latch(x[None, :], state)
    C_t = state[1]
    value, write, read = x
    # + 0.0 turns a rounded -0.0 into 0.0
    C_shown, H_shown = (round(float(v[0, 0]), 3) + 0.0 for v in (C_t, H_t))
    rows.append(f"{t:2d}  {value:5.1f}  {write:5.0f}  {read:4.0f}  {C_shown:6.3f}  {H_shown:6.3f}")
print("\n".join(rows))

# %% [markdown]
# Step 1 writes $\tanh(0.9) = 0.716$ into the memory. At steps 2 to 4 the value changes, but the
# input gate is shut, so the memory ignores it and keeps 0.716 unchanged; the hidden state is 0
# except at step 3, which reads: $\tanh(0.716) = 0.615$. Step 5 writes again: the forget gate
# erases the old memory and the input gate takes in $\tanh(-0.6) = -0.537$, which steps 6 and 8
# read out. A plain RNN has no way to hold a number untouched while its inputs change: every
# step mixes the input into the whole state. A trained LSTM does not learn such clean switches,
# but its gates play the same roles, softly.
#
# ## 6.3 Why an additive memory keeps gradients alive
#
# Training an RNN means backpropagating through time, and chapter 4 showed what goes wrong: in a
# plain RNN, $\mathbf{H}_t = \phi(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1} \mathbf{W}_{hh}
# + \mathbf{b}_h)$, the gradient that flows from $\mathbf{H}_T$ back to $\mathbf{H}_t$ is
# multiplied at every step by the Jacobian
#
# $$\frac{\partial \mathbf{H}_k}{\partial \mathbf{H}_{k-1}} = \operatorname{diag}(\phi'(\cdot))\,
#   \mathbf{W}_{hh}^\top,$$
#
# the same matrix again and again, times derivatives of $\tanh$ that are at most 1. A product of
# $T - t$ such factors typically shrinks or grows geometrically with the distance $T - t$:
# gradients from far away vanish (or explode, which is why we clip).
#
# In an LSTM, $\mathbf{C}_{t-1}$ reaches $\mathbf{C}_t$ along two kinds of path. The *direct*
# one is the sum $\mathbf{C}_t = \mathbf{F}_t \odot \mathbf{C}_{t-1} + \dots$: its Jacobian is
# just $\operatorname{diag}(\mathbf{F}_t)$, with no weight matrix and no squashing derivative.
# The *indirect* ones go through $\mathbf{H}_{t-1} = \mathbf{O}_{t-1} \odot
# \tanh(\mathbf{C}_{t-1})$ into the gates and the candidate, and behave like a plain RNN. Along
# the direct path alone, the gradient from step $T$ back to step $t$ is
#
# $$\left.\frac{\partial \mathbf{C}_T}{\partial \mathbf{C}_t}\right|_\text{direct}
#   = \operatorname{diag}(\mathbf{F}_{t+1} \odot \mathbf{F}_{t+2} \odot \dots \odot
#   \mathbf{F}_T),$$
#
# unit by unit the product of that unit's forget gates. A unit that has learned to keep its
# forget gate near 1 passes its gradient back over long distances almost unchanged, and the
# network decides *per unit and per step*, through its gates, how long to remember, instead of
# the decay being fixed by one weight matrix. (The first LSTM of 1997 had no forget gate at all:
# its memory was a pure sum, which Hochreiter and Schmidhuber called the *constant error
# carousel*; Gers, Schmidhuber and Cummins added the forget gate in 2000 so that a cell can also
# reset itself.) The same trick, adding to a state instead of replacing it, is what the residual
# connections of very deep feed-forward networks do.
#
# **Why the forget bias starts at 1.** At initialization the random weights spread the forget
# gate's pre-activations around $\mathbf{b}_f$, so $\mathbf{F}_t$ is typically about
# $\sigma(\mathbf{b}_f)$. With $\mathbf{b}_f = 0$ that is 0.5: the memory, and the gradient on
# the direct path, halve at every step, and a dependency ten characters back gets about a
# thousandth of the gradient before the model has had a chance to learn anything. Keras'
# `unit_forget_bias=True` (the default, and the default of `rnnkit.layers.LSTMCell` too) starts
# $\mathbf{b}_f$ at 1, as recommended by Jozefowicz, Zaremba and Sutskever (2015), so that a
# fresh LSTM leans towards remembering:

# %%
# NBVAL_CHECK_OUTPUT
print("forget bias  F = sigmoid(b)  share of the direct-path gradient left after k steps")
print("                              k=5      k=10     k=20     k=50")
for b_f in (0.0, 1.0, 2.0, 3.0):
    f = 1 / (1 + math.exp(-b_f))
    print(f"{b_f:11.0f}  {f:13.3f}  " + "".join(f"{f**k:9.2e}" for k in (5, 10, 20, 50)))

# %% [markdown]
# A bias of 1 is a gentle nudge, not a cure: training has to push the forget gates of the
# units that need long memories much closer to 1. Section 6.7 measures how far gradients reach
# in trained networks.
#
# ## 6.4 The scratch cell computes what `keras.layers.LSTM` computes
#
# `rnnkit.layers.LSTMCell` stores every matrix and bias of the equations above as its own
# variable, named as in the lecture (`W_xi`, `W_hf`, `b_o`, ...). `keras.layers.LSTM` stores
# the same numbers fused: a `kernel` of shape $(d, 4h)$ holding $\mathbf{W}_{xi}, \mathbf{W}_{xf},
# \mathbf{W}_{xc}, \mathbf{W}_{xo}$ side by side (gate order i | f | c | o), a
# `recurrent_kernel` $(h, 4h)$ and a `bias` $(4h,)$, so that one matrix product computes all four
# pre-activations. `to_keras` copies a scratch layer's weights into its built-in twin.
# If the two then agree on the outputs, on both final states and on every gradient, the
# scratch cell is a faithful LSTM. We compute in float64 here, so that no rounding (and no
# TF32 arithmetic on a GPU) can blur the comparison.
#
# The forget-gate biases start at 1 on both sides:

# %%
# NBVAL_CHECK_OUTPUT
UNITS, FEATURES = 4, 5
rng = np.random.default_rng(0)
X_check = tf.constant(rng.normal(size=(3, 9, FEATURES)))  # 3 sequences, 9 steps, 5 features
scratch_layer = keras.layers.RNN(
    LSTMCell(UNITS, dtype="float64"),
    return_sequences=True,
    return_state=True,
    dtype="float64",
)
keras_layer = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True, dtype="float64")
scratch_layer.build(X_check.shape)
keras_layer.build(X_check.shape)
bias = np.asarray(keras_layer.cell.bias)
print("scratch b_f:           ", np.asarray(scratch_layer.cell.b_f))
print("keras bias, f block:   ", bias[UNITS : 2 * UNITS])
print("keras bias, i|c|o:     ", np.delete(bias, np.s_[UNITS : 2 * UNITS]))
for role in ("kernel", "recurrent_kernel", "bias"):
    print(f"keras {role + ':':18s}", tuple(getattr(keras_layer.cell, role).shape))
for name in ("W_xi", "W_hi", "b_i"):
    shape = tuple(getattr(scratch_layer.cell, name).shape)
    print(f"scratch {name + ':':16s}", shape, "(one such variable per gate)")

# %% [markdown]
# Now copy the scratch weights into the built-in layer, run both on the same batch, and compare
# the output sequences, the final hidden states $\mathbf{H}_T$ and the final memory cells
# $\mathbf{C}_T$. For the gradients we need a scalar loss that depends on all three in a way
# that would expose a swapped gate or a wrong sign: a fixed random weighting of each. The
# gradients of the scratch layer come per gate; `fused_weights` lines them up the way
# the built-in layer stores its own, so the two can be compared entry by entry.


# %%
def outputs_and_gradients(layer, X, probes):
    """Run ``layer`` on ``X``; return its outputs, final H and C, and the gradients of a loss.

    The loss weights the outputs and both final states with the fixed arrays ``probes``; the
    gradients are taken with respect to ``X`` and to every weight of the layer, by name.
    """
    with tf.GradientTape() as tape:
        tape.watch(X)
        outputs, H_T, C_T = layer(X)
        loss = sum(tf.reduce_sum(p * v) for p, v in zip(probes, (outputs, H_T, C_T), strict=True))
    variables = layer.trainable_weights
    grads = tape.gradient(loss, [X, *variables])
    by_name = {v.name: g.numpy() for v, g in zip(variables, grads[1:], strict=True)}
    return (outputs.numpy(), H_T.numpy(), C_T.numpy()), grads[0].numpy(), by_name


# %%
# NBVAL_CHECK_OUTPUT
to_keras(scratch_layer, keras_layer)
probes = [rng.normal(size=shape) for shape in ((3, 9, UNITS), (3, UNITS), (3, UNITS))]
ours, d_X_ours, grads_ours = outputs_and_gradients(scratch_layer, X_check, probes)
theirs, d_X_theirs, grads_theirs = outputs_and_gradients(keras_layer, X_check, probes)


def report(what, a, b, tol=1e-10):
    """Print the shape of ``a`` and whether ``a`` and ``b`` agree to within ``tol``."""
    same = np.abs(a - b).max() < tol
    print(f"{what:30s} {str(a.shape):10s} max |scratch - keras| < {tol:g}: {same}")


for what, a, b in zip(("outputs", "final H", "final C"), ours, theirs, strict=True):
    report(what, a, b)
report("gradient wrt X", d_X_ours, d_X_theirs)
fused = fused_weights(scratch_layer.cell, values=grads_ours)
for role, grad in fused.items():
    report(f"gradient wrt {role}", grad, grads_theirs[role])

# %% [markdown]
# Every number agrees to within $10^{-10}$, on every gate's weights: the scratch cell and the
# built-in layer are the same function with the same gradients. (On a CPU even float32 gives
# identical results; on a GPU the built-in layer runs NVIDIA's cuDNN kernel, which rounds
# differently in the last digits.) So what we learn below with the scratch cell holds for
# `keras.layers.LSTM`, and a model trained with one can be copied into the other.
#
# ## 6.5 An LSTM language model of *The Time Machine*
#
# Now the real task of the previous chapters: predict the next character of *The Time
# Machine*. The data are those of chapters 4 and 5: the cleaned text (26 letters and the
# space), a vocabulary of 28 tokens, the first 80% of the characters for training, the next 10%
# for validation and the last 10% for the final test. The number to beat is the Kneser–Ney
# model that chapter 3 tuned on validation.

# %%
# NBVAL_CHECK_OUTPUT
data = char_corpus()
baseline = kneser_ney_baseline(data)
print(
    f"vocabulary: {len(data.vocab)} tokens; {len(data.train):,} training, "
    f"{len(data.valid):,} validation and {len(data.test):,} test characters"
)
print(f"baseline: {baseline.name}, validation perplexity {baseline.valid_perplexity:.3f}")

# %% [markdown]
# The model is `rnnkit.lm.RNNLM`: each character id is looked up in a learned embedding of 32
# numbers (instead of being fed as a one-hot vector of 28), the LSTM layer reads the sequence,
# and a dense layer turns each hidden state $\mathbf{H}_t$ into 28 logits for the next
# character. The recurrent layer is `keras.layers.RNN` around our scratch `LSTMCell` with 256
# units. Training uses random partitioning (every batch of 32 rows of 64 characters starts
# from zero states), Adam with learning rate 0.003 and gradients clipped to a global norm of 1.
# The validation perplexity printed during training is measured the same way, on batches of
# the held-out text that each start from zero states.

# %%
HIDDEN, EMBEDDING_DIM = 256, 32
BATCH_SIZE, NUM_STEPS, LR, CLIP = 32, 64, 3e-3, 1.0


def lm_batches(ids, seed):
    """Random-partition batches of ``ids``, cut to the epoch budget of this run mode."""
    batches = random_batches(ids, BATCH_SIZE, NUM_STEPS, seed=seed)
    return batches.take(BATCHES_PER_EPOCH)


def char_lm(cell):
    """A character language model with an embedding, ``cell`` inside ``keras.layers.RNN``."""
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    return RNNLM(len(data.vocab), layer, encoding="embedding", embedding_dim=EMBEDDING_DIM)


train_batches = lm_batches(data.train, seed=1)
valid_batches = random_batches(data.valid, BATCH_SIZE, NUM_STEPS, seed=2)
keras.utils.set_random_seed(6)  # the same initial weights however often this cell is run
lstm_model = char_lm(LSTMCell(HIDDEN))
start = time.perf_counter()
history = train_custom(
    lstm_model,
    train_batches,
    epochs=LM_EPOCHS,
    lr=LR,
    clip=CLIP,
    optimizer="adam",
    valid=valid_batches,
    log_every=3,
)
print(f"trained for {LM_EPOCHS} epoch(s) in {time.perf_counter() - start:.0f} s")

# %%
epochs = np.arange(1, history.epochs + 1)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(epochs, history.perplexity, "o-", ms=3, label="training batches")
ax.plot(epochs, history.val_perplexity, "s-", ms=3, label="validation batches (zero states)")
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
ax.set_ylabel("perplexity")
ax.set_yscale("log")
ax.set_yticks([3, 4, 5, 6, 8, 10, 15])
ax.yaxis.set_major_formatter(ticker.ScalarFormatter())
ax.yaxis.set_minor_formatter(ticker.NullFormatter())
ax.set_title(f"LSTM-{HIDDEN} language model")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
best_epoch = int(np.argmin(history.val_perplexity)) + 1
display(
    Markdown(
        f"""
The training perplexity falls throughout, while the validation curve is lowest after epoch
{best_epoch} of {history.epochs} ({min(history.val_perplexity):.3f}) and ends at
{history.val_perplexity[-1]:.3f}: once the two part, the model is memorising its
{len(data.train):,} training characters rather than learning more about English. That is about
as long as a single layer of this size should train without regularisation. (Chapter 7 stacks
layers and adds dropout between them.)
"""
    )
)

# %% [markdown]
# The validation curve above is pessimistic in one way: every batch starts from zero states, so
# the first characters of each 64-character row are predicted with almost no context. The fair
# protocol of chapter 3, the one the n-gram baseline was scored with, predicts every held-out
# character from all the text before it: the model reads the held-out text as one long
# sequence, carrying its states along, after first reading the end of the training text to
# warm up. That is `held_out_perplexity(model, data)`, as in chapters 4 and 5:

# %%
lstm_ppl = held_out_perplexity(lstm_model, data)
print("validation perplexity, fair protocol (every character from all the text before it):")
print(f"  LSTM-{HIDDEN}: {lstm_ppl:.3f}   {baseline.name}: {baseline.valid_perplexity:.3f}")
sample = generate(
    lstm_model, data.vocab, "the time traveller ", 120, strategy="temperature", temperature=0.6
)
print("sample:", sample)

# %%
display(
    Markdown(
        f"""
With its full context the LSTM scores {lstm_ppl:.3f}, against {history.val_perplexity[-1]:.3f} on
the zero-state batches. The tuned Kneser–Ney model scores {baseline.valid_perplexity:.3f} by the
same protocol: a single LSTM layer of {HIDDEN} units, trained for a few minutes on a CPU,
{"beats" if lstm_ppl < baseline.valid_perplexity else "has not beaten"} a well-smoothed counting
model on a book this small. The sample (drawn with temperature 0.6, so it prefers likely
characters) is mostly made of real words and plausible word sequences, without much sense.
"""
    )
)

# %% [markdown]
# ## 6.6 Inside the memory cell
#
# What do the 256 memory cells hold while the trained model reads? To find out, feed the
# model one held-out character at a time with `model.step`, which returns the states
# $[\mathbf{H}_t, \mathbf{C}_t]$ after each character, and keep $\mathbf{C}_t$.


# %%
def memory_trace(model, ids):
    """Feed ``ids`` to ``model`` one at a time from zero states; return C_t, shape (T, units)."""
    state = model.zero_state(1)
    trace = []
    for token in ids:
        _, state = model.step(np.array([[token]], dtype=np.int32), state)
        trace.append(state[1][0].numpy())
    return np.array(trace)


READ = 3000  # held-out characters to read
read_ids = data.valid[:READ]
valid_text = "".join(data.vocab.to_tokens(read_ids.tolist()))
C_trace = memory_trace(lstm_model, read_ids)
print("memory cells:", C_trace.shape, f" range {C_trace.min():.1f} to {C_trace.max():.1f}")

# %% [markdown]
# Most units are hard to put into words, but some track simple properties of the text. We
# compute three such properties for every character read (1 or 0, or a count) and look for
# the unit whose memory correlates best with each:
#
# - *space*: is the character just read a space?
# - *letters into the word*: how many letters of the current word have been read (0 at a space);
# - *inside "the"*: is the character one of the letters of the word "the"?


# %%
def text_features(text):
    """Per-character properties of ``text``: space, letters into the word, inside "the"."""
    chars = np.array(list(text))
    into_word = np.zeros(len(text))
    for i, ch in enumerate(text):
        into_word[i] = 0 if ch == " " else (into_word[i - 1] + 1 if i else 1)
    in_the = np.zeros(len(text))
    for i in range(len(text) - 4):
        if text[i : i + 5] == " the ":
            in_the[i + 1 : i + 4] = 1
    return {
        "space": (chars == " ").astype(float),
        "letters into the word": into_word,
        'inside "the"': in_the,
    }


def correlations(trace, feature):
    """Pearson correlation of every unit's memory (a column of ``trace``) with ``feature``."""
    z_trace = (trace - trace.mean(0)) / (trace.std(0) + 1e-9)
    z_feature = (feature - feature.mean()) / feature.std()
    return (z_trace * z_feature[:, None]).mean(0)


features = text_features(valid_text)
chosen = {}
for name, feature in features.items():
    r = correlations(C_trace, feature)
    unit = int(np.argmax(np.abs(r)))
    chosen[name] = unit
    print(f"{name:22s} best unit {unit:3d}, correlation {r[unit]:+.2f}")

# %%
SHOW = slice(1737, 1841)  # a passage with several words "the"
shown = list(valid_text[SHOW].replace(" ", "_"))
spaces = [i for i, ch in enumerate(shown) if ch == "_"]
fig, axes = plt.subplots(len(chosen), 1, figsize=(11, 5.5), sharex=True)
for ax, (name, unit) in zip(axes, chosen.items(), strict=True):
    for i in spaces:
        ax.axvspan(i - 0.5, i + 0.5, color="0.9", lw=0)
    ax.plot(C_trace[SHOW, unit], ".-", ms=3, lw=1)
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_ylabel(f"C, unit {unit}", fontsize=8)
    ax.set_title(f"the unit that tracks {name}", fontsize=9, loc="left")
axes[-1].set_xticks(range(len(shown)))
axes[-1].set_xticklabels(shown, fontsize=7, family="monospace")
axes[-1].set_xlabel("held-out text (a space is shown as _ and shaded)")
fig.tight_layout()
plt.show()

# %%
unit = chosen["letters into the word"]
into_word = np.minimum(features["letters into the word"], 10).astype(int)
positions = np.arange(into_word.max() + 1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.boxplot([C_trace[into_word == k, unit] for k in positions], positions=positions, sym=".")
ax.set_xlabel("letters of the current word read so far (10 = 10 or more)")
ax.set_ylabel(f"memory cell C, unit {unit}")
ax.set_title(f"unit {unit} over {READ:,} held-out characters", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# In our full-mode run the clearest case is the unit picked for *letters into the word*
# (correlation about $-0.76$; the sign of a unit means nothing, the next layer can flip it).
# The box plot shows what it does: its memory sits near $+1$ at a space, stays high after the
# first letter of a word, and then sinks with every further letter, fast at first and slowly
# after about five letters. It behaves like a counter of the position in the word, not a
# linear one, reset at every space. That is useful to a character model: which letters are
# likely next, and whether a space is due, depend on how far into a word it is. The *space*
# unit (correlation about $-0.64$) drops to about $-1$ at almost every space and climbs back
# inside the words, a simpler signal that many units carry in part. The unit picked for
# *inside "the"* correlates only weakly (about $-0.35$). In the passage above it dips at the
# "th" of every "the", but just as much at the "th" of "that": it reacts to a word that starts
# with "th", which is not the property we had in mind.
#
# Two warnings before reading too much into such plots. Most of the 256 units do not line up
# with anything we can name; they mix many signals. And the three units were picked *because*
# they correlate with properties we thought of, on the same stretch of text we then show.
# Exercise 6 asks you to test them on other text.
#
# ## 6.7 RNN, GRU and LSTM on the same budget
#
# How much do the gates buy? Train the three scratch cells of `rnnkit.layers` the same way:
# 256 hidden units, the same embedding, data, optimizer and number of epochs, a short budget
# for each. First their sizes. A plain RNN layer has one block of weights
# $\mathbf{W}_{xh}, \mathbf{W}_{hh}, \mathbf{b}_h$; a GRU has three such blocks (with Keras'
# `reset_after=True`, each also gets a second bias), and an LSTM four. Exercise 2 turns this
# into a formula.

# %%
# NBVAL_CHECK_OUTPUT
CELL_TYPES = {"RNN": RNNCell, "GRU": GRUCell, "LSTM": LSTMCell}
contenders = {}
for name, cell_type in CELL_TYPES.items():
    keras.utils.set_random_seed(7)
    contenders[name] = char_lm(cell_type(HIDDEN))
    contenders[name].zero_state(1)  # builds the weights
rnn_size = contenders["RNN"].rnn.count_params()
print("model  recurrent layer  relative to the RNN  whole model")
for name, model in contenders.items():
    size = model.rnn.count_params()
    print(f"{name:5s}  {size:15,}  {size / rnn_size:19.2f}  {model.count_params():11,}")

# %% [markdown]
# The embedding (28 × 32) and the output layer (256 × 28 + 28) are the same for all three; the
# LSTM's recurrent layer is four times the RNN's, and a third larger than the GRU's. Each
# model now trains for the same number of epochs on the same batches (a fresh dataset with the
# same seed for each), and we record the fair held-out perplexity and the training speed.
# Tokens per second leave out the first epoch, which includes tracing the training step.

# %%
results = {}
for name, model in contenders.items():
    start = time.perf_counter()
    run = train_custom(
        model,
        lm_batches(data.train, seed=3),
        epochs=COMPARE_EPOCHS,
        lr=LR,
        clip=CLIP,
        optimizer="adam",
        log_every=0,
    )
    speeds = run.tokens_per_s[1:] or run.tokens_per_s
    results[name] = {
        "perplexity": held_out_perplexity(model, data),
        "tokens/s": float(np.median(speeds)),
        "seconds": time.perf_counter() - start,
    }
print(f"{COMPARE_EPOCHS} epoch(s) each, {HIDDEN} hidden units\n")
print("model  parameters  held-out perplexity  tokens/s  wall time")
for name, row in results.items():
    print(
        f"{name:5s}  {contenders[name].rnn.count_params():10,}  {row['perplexity']:19.3f}  "
        f"{row['tokens/s']:8,.0f}  {row['seconds']:7.0f} s"
    )
print(
    f"{baseline.name}: {baseline.valid_perplexity:.3f}; "
    f"LSTM of section 6.5 ({LM_EPOCHS} epochs): {lstm_ppl:.3f}"
)

# %% [markdown]
# Section 6.3 argued that the memory cell lets gradients reach further back than a plain RNN's
# hidden state. With the three trained models we can measure it. Put a gradient of length 1,
# in a random direction $\mathbf{v}$, on the last state of a 100-character stretch of held-out
# text, backpropagate it through the cell, and record how long the gradient is when it arrives
# at the state $k$ steps earlier: $\lVert \mathbf{v}^\top \partial \mathbf{S}_T / \partial
# \mathbf{S}_{T-k} \rVert$, with $\mathbf{S}$ the hidden state $\mathbf{H}$ for the RNN and
# the GRU and the memory cell $\mathbf{C}$ for the LSTM. This is the full derivative, through
# every path, not only the direct one. One stretch of text could be a lucky or unlucky one, so
# we average over `REACH_STRETCHES` stretches spread over the validation text, each with 16
# random directions (run as one batch of 16 copies of the stretch). The three models were
# trained alike but do not reach the same loss; the table above gives each one's perplexity,
# so keep it in mind when reading the plot.


# %%
def gradient_reach(model, ids, state_index, probes=16, seed=0):
    """Mean norm of the gradient arriving k steps back from a random unit gradient at the end.

    Runs the model's cell over ``ids`` step by step, puts a random unit-length gradient on the
    state ``state_index`` (0: H, 1: C for an LSTM) after the last step and backpropagates it.
    Entry k of the result is the mean, over ``probes`` random directions, of the norm of the
    gradient at that state k steps before the end.
    """
    cell = model.rnn.cell
    inputs = model.encode(np.tile(np.asarray(ids)[None, :], (probes, 1)))
    directions = np.random.default_rng(seed).normal(size=(probes, cell.units))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    state = cell.get_initial_state(batch_size=probes)
    tracked = []
    with tf.GradientTape() as tape:
        for t in range(len(ids)):
            _, state = cell(inputs[:, t], state)
            tracked.append(state[state_index])
        target = tf.reduce_sum(directions.astype("float32") * tracked[-1])
    grads = tape.gradient(target, tracked)
    return np.array([np.linalg.norm(g.numpy(), axis=1).mean() for g in reversed(grads)])


REACH_STRETCHES = runmode.pick(full=8, quick=2)
starts = np.linspace(0, len(data.valid) - 101, REACH_STRETCHES).astype(int)
stretches = [data.valid[start : start + 101] for start in starts]
probed = {"RNN: H": ("RNN", 0), "GRU: H": ("GRU", 0), "LSTM: C": ("LSTM", 1)}
reach = {
    label: np.mean(
        [
            gradient_reach(contenders[name], piece, index, seed=i)
            for i, piece in enumerate(stretches)
        ],
        axis=0,
    )
    for label, (name, index) in probed.items()
}
fig, ax = plt.subplots(figsize=(6, 3.2))
for name, values in reach.items():
    ax.semilogy(np.arange(values.size), values, label=name)
ax.set_xlabel("distance k (characters back)")
ax.set_ylabel("gradient norm arriving")
ax.set_title("how far back a gradient reaches (trained models)", fontsize=10)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
for name, values in reach.items():
    print(f"{name:8s}" + "".join(f"  k={k}: {values[k]:.1e}" for k in (5, 20, 50, 100)))

# %%
ranking = sorted(results, key=lambda name: results[name]["perplexity"])
speed_ratio = results["RNN"]["tokens/s"] / results["LSTM"]["tokens/s"]
at_50 = {label: values[50] for label, values in reach.items()}
order_50 = sorted(at_50, key=at_50.get, reverse=True)
display(
    Markdown(
        rf"""
What the table and the plot say, for this run:

- **Perplexity.** On this short budget the order is {", ".join(ranking)} (best first), all three
  behind the LSTM of section 6.5, which trained {LM_EPOCHS} epochs instead of {COMPARE_EPOCHS}.
  Large comparisons (Chung et al. 2014, Jozefowicz et al. 2015) found no clear winner between
  the GRU and the LSTM across tasks.
- **Parameters and speed.** Every gate is another pair of weight matrices. Here the plain RNN
  processed {speed_ratio:.2f} times as many tokens per second as the LSTM; on a shared machine
  that ratio moves from run to run (`docs/benchmarks.md` measures it more carefully).
- **Gradients.** 50 characters back, the gradient that arrives is largest for
  {order_50[0]} ({at_50[order_50[0]]:.1e}), then {order_50[1]} ({at_50[order_50[1]]:.1e}) and
  {order_50[2]} ({at_50[order_50[2]]:.1e}), averaged over {REACH_STRETCHES} stretches. An
  additive update (the LSTM's memory cell, the GRU's interpolation) makes a long memory
  *possible*, but the gates have to learn to use it, by keeping $\mathbf{{F}}_t$ (or
  $\mathbf{{Z}}_t$) close to 1; the LSTM starts out with its forget gates leaning that way
  (`unit_forget_bias`), the GRU does not. A gradient that fades is also what a model that
  needs little long-range memory *should* show, so this measures what each trained model uses,
  not what it could learn.
"""
    )
)

# %% [markdown]
# ## The test split, once
#
# The test perplexities of this chapter's character models, by chapter 3's protocol:

# %% tags=["headline"]
print(f"test perplexity, tuned n-gram ({baseline.name}): {baseline.test_perplexity:.3f}")
lstm_test = held_out_perplexity(lstm_model, data, split="test")
print(f"test perplexity, LSTM-{HIDDEN} of section 6.5: {lstm_test:.3f}")
for name, model in contenders.items():
    test_ppl = held_out_perplexity(model, data, split="test")
    print(f"test perplexity, {name} ({COMPARE_EPOCHS} epochs): {test_ppl:.3f}")

# %% [markdown]
# ## Summary
#
# - An LSTM keeps a memory cell $\mathbf{C}_t$ next to its hidden state $\mathbf{H}_t$. Three
#   sigmoid gates computed from $\mathbf{X}_t$ and $\mathbf{H}_{t-1}$ decide what to forget
#   ($\mathbf{F}_t$), what to write ($\mathbf{I}_t$, applied to the candidate
#   $\tilde{\mathbf{C}}_t$) and what to show ($\mathbf{O}_t$, in
#   $\mathbf{H}_t = \mathbf{O}_t \odot \tanh(\mathbf{C}_t)$).
# - The memory update $\mathbf{C}_t = \mathbf{F}_t \odot \mathbf{C}_{t-1} + \mathbf{I}_t \odot
#   \tilde{\mathbf{C}}_t$ is a gated sum. Along it, a gradient is only multiplied by forget
#   gates, so units that learn to keep $\mathbf{F}_t$ near 1 carry gradients over long
#   distances. Keras starts $\mathbf{b}_f$ at 1 (`unit_forget_bias=True`) so that a new LSTM
#   leans towards remembering.
# - The scratch `LSTMCell` and `keras.layers.LSTM` compute the same outputs, final states and
#   gradients; the built-in layer only stores the four gates' weights side by side
#   (i | f | c | o).
# - A single-layer LSTM with 256 units, trained for a few minutes, is measured against the tuned
#   Kneser–Ney baseline on *The Time Machine* (section 6.5 prints both) and starts to overfit.
#   Some of its memory cells track readable properties of the text, such as the position in a
#   word.
# - At the same size and budget, an LSTM has four times the recurrent weights of a plain RNN.
#   Section 6.7 measures what that buys and costs on a short budget: perplexity, tokens per
#   second, and how far back a gradient reaches in each trained model.

# %% [markdown]
# ## Exercises
#
# Exercises 1 to 3 are coding exercises with instant feedback. In each exercise cell, replace
# `# YOUR CODE HERE` and `raise NotImplementedError` with your code and run the cell; then run
# the cell after it: `check(...)` tests your answer on a small example and says what it tried,
# what it expected and what came back, with a hint. The exercises after them are open
# questions and projects without automatic checks.
#
# The next cell defines the checks the exercises use. Run it first; you may read it, it shows
# exactly what is tested. (Your instructor may run a few more tests of the same kind when
# grading.)

# %%
from rnnkit.course import check, exercise


def random_lstm_params(d, h, seed, scale=0.5):
    """Per-gate LSTM weights as float32 NumPy arrays, named as in ``LSTMCell``."""
    rng = np.random.default_rng(seed)
    params = {}
    for gate in "ifco":
        params[f"W_x{gate}"] = rng.normal(scale=scale, size=(d, h)).astype("float32")
        params[f"W_h{gate}"] = rng.normal(scale=scale, size=(h, h)).astype("float32")
        params[f"b_{gate}"] = rng.normal(scale=scale, size=(h,)).astype("float32")
    return params


def lstm_cell_with(params):
    """A built ``LSTMCell`` holding ``params`` (a dict of per-gate arrays)."""
    d, h = np.shape(params["W_xi"])
    cell = LSTMCell(h)
    cell.build((None, d))
    for name, value in params.items():
        getattr(cell, name).assign(np.asarray(value, dtype="float32"))
    return cell


def check_lstm_step(t, lstm_step, n, d, h, seed, scale=0.5):
    """Compare one step of the student's ``lstm_step`` with ``LSTMCell``."""
    rng = np.random.default_rng(seed + 1)
    params = random_lstm_params(d, h, seed, scale)
    X, H, C = (rng.normal(size=shape).astype("float32") for shape in ((n, d), (n, h), (n, h)))
    got = t.call(lstm_step, X, H, C, params)
    call = t.tested
    t.true(isinstance(got, tuple) and len(got) == 2, "lstm_step returns a pair (H_t, C_t)")
    _, (H_t, C_t) = lstm_cell_with(params)(tf.constant(X), [tf.constant(H), tf.constant(C)])
    t.close(got[0], H_t.numpy(), atol=1e-5, tested=f"H_t returned by {call}")
    t.close(got[1], C_t.numpy(), atol=1e-5, tested=f"C_t returned by {call}")


def keras_lstm_param_count(d, h):
    """Number of weights of ``keras.layers.LSTM(h)`` on inputs with ``d`` features."""
    layer = keras.layers.LSTM(h)
    layer.build((None, None, d))
    return layer.count_params()


def count_with_lstm(params, text):
    """Run a one-unit LSTM with ``params`` over ``text`` (one-hot a/b); return the final C."""
    cell = lstm_cell_with(params)
    onehot = np.array([[ch == "a", ch == "b"] for ch in text], dtype="float32")[None]
    _, _, C_T = keras.layers.RNN(cell, return_state=True)(onehot)
    return float(C_T[0, 0])


def check_counter(t, counter_weights, texts):
    """Require that the final memory is half the number of a's, for every text in ``texts``."""
    params = t.call(counter_weights)
    t.true(isinstance(params, dict), "counter_weights() returns a dict")
    reference = random_lstm_params(2, 1, seed=0)
    for name, value in reference.items():
        t.true(name in params, f"the dict has an entry {name!r}")
        t.equal(np.shape(params[name]), value.shape, tested=f"the shape of {name}")
    for text in texts:
        t.close(
            count_with_lstm(params, text),
            0.5 * text.count("a"),
            atol=0.05,
            tested=f"the final memory C_T after reading {text!r}",
        )


@exercise(
    "lstm_step",
    points=3,
    hint="Compute the three gates with a sigmoid and the candidate with tanh, each as "
    "X @ W_x? + H @ W_h? + b_?; then C_t = F * C + I * C_tilde and H_t = O * tanh(C_t). "
    "Return (H_t, C_t) in that order.",
)
def _check_lstm_step(t, lstm_step):
    check_lstm_step(t, lstm_step, n=2, d=3, h=4, seed=0)


@exercise(
    "lstm_param_count",
    points=1,
    hint="Four blocks (i, f, c, o), each with an input matrix d x h, a recurrent matrix h x h "
    "and a bias of h.",
)
def _check_lstm_param_count(t, lstm_param_count):
    for d, h in ((32, 256), (3, 2)):
        t.equal(t.call(lstm_param_count, d, h), keras_lstm_param_count(d, h))


@exercise(
    "lstm_counter",
    points=2,
    hint="Keep the forget gate at 1 whatever the input (a large b_f), open the input gate only "
    "for 'a' (a large positive weight in W_xi for 'a', a large negative one for 'b'), make the "
    "candidate 0.5 for 'a' (tanh(w) = 0.5 means w = atanh(0.5)), and set every weight on H to 0.",
)
def _check_lstm_counter(t, counter_weights):
    check_counter(t, counter_weights, ["ab", "aaab", "bbbb", "abababab"])


# %% [markdown]
# ### Exercise 1: one LSTM step in NumPy (3 points)
#
# Write `lstm_step(X, H, C, params)` with NumPy only: one step of an LSTM, the six equations of
# sections 6.1 and 6.2. `X` has shape `(n, d)`, `H` and `C` (the previous hidden state and
# memory cell) have shape `(n, h)`, and `params` is a dict of NumPy arrays with the names of
# `LSTMCell`: `W_xi, W_xf, W_xc, W_xo` of shape `(d, h)`, `W_hi, W_hf, W_hc, W_ho` of
# shape `(h, h)` and `b_i, b_f, b_c, b_o` of shape `(h,)`. Return the pair `(H_t, C_t)`.
#
# The check compares your step with `LSTMCell` holding the same weights.
#
# Not graded: run your step in a loop over the first 20 characters of `data.valid` (embedded
# with `lstm_model.embedding`), with the weights of the trained `lstm_model.rnn.cell`
# (`{v.name: v.numpy() for v in lstm_model.rnn.cell.weights}`), and check that your final
# `C_t` matches `memory_trace(lstm_model, data.valid[:20])[-1]`.


# %% exercise="lstm_step" points=3
def lstm_step(X, H, C, params):
    """One LSTM step: return (H_t, C_t) from X_t, H_{t-1}, C_{t-1} and per-gate weights."""
    ### BEGIN SOLUTION

    def pre_activation(gate):
        return X @ params[f"W_x{gate}"] + H @ params[f"W_h{gate}"] + params[f"b_{gate}"]

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    I_t = sigmoid(pre_activation("i"))
    F_t = sigmoid(pre_activation("f"))
    O_t = sigmoid(pre_activation("o"))
    C_tilde = np.tanh(pre_activation("c"))
    C_t = F_t * C + I_t * C_tilde
    return O_t * np.tanh(C_t), C_t
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("lstm_step", lstm_step)

# %% [markdown]
# ### Exercise 2: the size of an LSTM layer (1 point)
#
# Write `lstm_param_count(d, h)`: the number of trainable numbers in an LSTM layer with `h`
# hidden units reading inputs of `d` features (as `keras.layers.LSTM(h)` counts them). Use it
# to check the parameter table of section 6.7.


# %% exercise="lstm_param_count" points=1
def lstm_param_count(d, h):
    """Weights and biases of an LSTM layer: four gate blocks of input, recurrent and bias."""
    ### BEGIN SOLUTION
    return 4 * h * (d + h + 1)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("lstm_param_count", lstm_param_count)

# %% [markdown]
# ### Exercise 3: an LSTM that counts (2 points)
#
# Wire a one-unit LSTM by hand, as in section 6.2, so that it counts: its inputs are the
# one-hot vectors of the letters `a` (`[1, 0]`) and `b` (`[0, 1]`), and after reading a string
# of a's and b's its memory cell must hold half the number of a's it has read:
# $C_T = 0.5 \times (\text{number of a's})$, to within 0.05, for strings of up to 40 letters.
#
# Write `counter_weights()`, returning a dict with the twelve weights of `LSTMCell(1)`
# for inputs of 2 features: `W_xi, W_xf, W_xc, W_xo` of shape `(2, 1)`, `W_hi, W_hf, W_hc, W_ho`
# of shape `(1, 1)` and `b_i, b_f, b_c, b_o` of shape `(1,)` (lists or NumPy arrays). The
# check runs `LSTMCell` with your weights, through `count_with_lstm`.
#
# Not graded: why is this impossible for a GRU unit, whose state is
# $\mathbf{Z}_t \odot \mathbf{H}_{t-1} + (1 - \mathbf{Z}_t) \odot \tilde{\mathbf{H}}_t$?


# %% exercise="lstm_counter" points=2
def counter_weights():
    """Weights of a one-unit LSTM whose memory adds 0.5 for every 'a' and ignores every 'b'."""
    ### BEGIN SOLUTION
    big = 12.0  # sigmoid(12) = 1 - 6e-6: a gate fully open; sigmoid(-12) fully shut
    params = {name: np.zeros((1, 1)) for name in ("W_hi", "W_hf", "W_hc", "W_ho")}
    params.update(
        W_xi=np.array([[big], [-big]]),  # write only when the letter is 'a'
        b_i=np.zeros(1),
        W_xf=np.zeros((2, 1)),  # never forget
        b_f=np.array([big]),
        W_xc=np.array([[np.arctanh(0.5)], [0.0]]),  # the candidate is 0.5 for 'a'
        b_c=np.zeros(1),
        W_xo=np.zeros((2, 1)),
        b_o=np.zeros(1),
    )
    return params
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("lstm_counter", counter_weights)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Counting with a GRU (question).** Answer the question of exercise 3: show that a GRU
#    unit's state always stays between $-1$ and $1$ and that keeping and writing trade off
#    against each other. Which part of the LSTM's design lifts both limits?
# 5. **The forget bias.** Train the model of section 6.5 again with
#    `LSTMCell(HIDDEN, unit_forget_bias=False)`, for the same number of epochs, and plot
#    both held-out curves. Does the difference last, or does training catch up? Run
#    `gradient_reach` on both models after the first epoch.
# 6. **Is the unit real?** Section 6.6 picked units on the held-out text it then showed. Run
#    `memory_trace` on 3,000 *training* characters, compute the correlations of the three chosen
#    units there, and decide whether they generalise. Then look for a unit that tracks
#    something else, such as "the last letter was a vowel" or "inside the word *and*".
# 7. **Gradients at initialization.** Run `gradient_reach` on freshly built (untrained) RNN and
#    LSTM models of section 6.7. Which one reaches further now, and why? (Think of the
#    orthogonal initial $\mathbf{W}_{hh}$, the slope of $\tanh$ near 0, and $\sigma(1)$.) What
#    does training change?
# 8. **Speed (question).** Per step, a GRU does three and an LSTM four times the matrix work of
#    a plain RNN of the same size. Compare that with the tokens per second of section 6.7 (rerun
#    it a few times: how much do the numbers vary?). Does the matrix work explain the ratios?
#    What else does every step and every batch cost, and which of those costs are the same for
#    all three models?
# 9. **Beat the baseline.** Within 10 minutes of training, how close to the Kneser–Ney
#    baseline can a single-layer LSTM get? Try 384 or 512 units, a smaller learning rate for
#    the last epochs, or `keras.layers.LSTM` instead of the scratch cell (section 6.4 showed
#    they compute the same function). Report the fair held-out perplexity.
