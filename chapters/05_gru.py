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
# # Chapter 5: Gated recurrent units (GRU)
#
# The plain RNN of chapter 4 rewrites its whole hidden state at every step. Whatever it wants to
# remember has to survive one matrix multiplication and one $\tanh$ per character, and the
# gradient that should teach it what to remember shrinks or explodes on the way back. The
# **gated recurrent unit** (GRU) of Cho et al. (2014) adds two learned switches per hidden unit:
# one that lets a unit keep its value unchanged, and one that lets it drop the past and start
# afresh. This chapter builds it, checks it against Keras, trains it on *The Time Machine* and
# looks at what its switches do while it reads.
#
# **What you will learn**
#
# - the lecture's four equations: the reset gate $\mathbf{R}_t$, the update gate
#   $\mathbf{Z}_t$, the candidate state $\tilde{\mathbf{H}}_t$ and the new state
#   $\mathbf{H}_t$, and what happens when a gate is 0 or 1, on a two-unit GRU wired by hand;
# - the variant that Keras computes by default (`reset_after=True`, the form of NVIDIA's cuDNN
#   kernel), and why it exists;
# - that the scratch `GRUCell` of `rnnkit` computes exactly what `keras.layers.GRU` computes,
#   for both variants: outputs, final state and gradients;
# - how a GRU language model compares with a plain RNN trained the same way and with the
#   Kneser–Ney baseline of chapter 3, and what text it writes;
# - what the gates of the trained model do while it reads a sentence.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from keras import ops

from rnnkit.data import num_batches, random_batches, sequential_batches
from rnnkit.layers import GRUCell, RNNCell, fused_weights, to_keras
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

# Model and batch sizes are the same in both modes; only the amount of training changes.
HIDDEN = 256
BATCH_SIZE, NUM_STEPS = 64, 35
CLIP = 1.0
LR_GRID = (0.002, 0.005, 0.01, 0.02)  # each cell gets the one its validation score prefers
FULL_EPOCH = num_batches(len(data.train), BATCH_SIZE, NUM_STEPS)
BATCHES = runmode.pick(full=FULL_EPOCH, quick=6)  # batches per epoch
SEARCH_EPOCHS = runmode.pick(full=2, quick=1)  # per learning rate tried
EPOCHS = runmode.pick(full=8, quick=1)  # for the GRU and for the plain RNN it is compared with

# %% [markdown]
# ## 5.1 Paying attention to a sequence
#
# Recall the plain RNN: $\mathbf{H}_t = \phi(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1}
# \mathbf{W}_{hh} + \mathbf{b}_h)$. Every step computes the new state from scratch, and every
# step treats every input the same way. Not all observations are equally relevant, though, and
# the lecture names two situations that a plain RNN handles badly.
#
# - **An early observation matters for everything that follows.** The first letters of a word
#   decide which letters may come next until the word ends; in a story, who is speaking
#   matters for many sentences. We would like a unit to *store* such a fact when it appears and
#   then leave it alone, not copy it through a matrix product at every step. That is the job of
#   the **update gate**.
# - **There is a logical break.** A word ends and the next one begins, a chapter ends, a bull
#   market turns into a bear market. What came before is of little use after the break, and
#   may even mislead. We would like the state to be able to *forget*. That is the job of the
#   **reset gate**.
#
# Both gates are soft switches that the network learns: numbers between 0 and 1, one per
# example and per hidden unit, recomputed at every step from the current input and the previous
# state.
#
# ## 5.2 The four equations
#
# As in chapter 4, $\mathbf{X}_t \in \mathbb{R}^{n \times d}$ is a minibatch of $n$ inputs with
# $d$ features at step $t$ (one-hot characters here, so $d = 28$), and $\mathbf{H}_{t-1} \in
# \mathbb{R}^{n \times h}$ the state of the step before, with $h$ hidden units. The two gates
# are computed like a plain RNN layer, but with the logistic sigmoid $\sigma$, so every entry
# lies between 0 and 1:
#
# $$\mathbf{R}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xr} + \mathbf{H}_{t-1} \mathbf{W}_{hr}
#   + \mathbf{b}_r) \qquad \text{(reset gate)}$$
#
# $$\mathbf{Z}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xz} + \mathbf{H}_{t-1} \mathbf{W}_{hz}
#   + \mathbf{b}_z) \qquad \text{(update gate)}$$
#
# The **candidate state** is the plain RNN step, except that the old state is first multiplied,
# entry by entry ($\odot$), by the reset gate:
#
# $$\tilde{\mathbf{H}}_t = \tanh(\mathbf{X}_t \mathbf{W}_{xh}
#   + (\mathbf{R}_t \odot \mathbf{H}_{t-1}) \mathbf{W}_{hh} + \mathbf{b}_h).$$
#
# The **new state** mixes the old state and the candidate, unit by unit, in the proportion the
# update gate sets:
#
# $$\mathbf{H}_t = \mathbf{Z}_t \odot \mathbf{H}_{t-1} + (1 - \mathbf{Z}_t) \odot
#   \tilde{\mathbf{H}}_t.$$
#
# The weights $\mathbf{W}_{x\cdot} \in \mathbb{R}^{d \times h}$, $\mathbf{W}_{h\cdot} \in
# \mathbb{R}^{h \times h}$ and $\mathbf{b}_\cdot \in \mathbb{R}^{1 \times h}$ come in three sets
# (reset, update, candidate), so a GRU has three times the parameters of a plain RNN with as
# many units. What the gates do is clearest at their extremes:
#
# - $\mathbf{Z}_t = 1$: $\mathbf{H}_t = \mathbf{H}_{t-1}$. The unit keeps its value and
#   ignores the input.
# - $\mathbf{Z}_t = 0$: $\mathbf{H}_t = \tilde{\mathbf{H}}_t$. The unit is overwritten by the
#   candidate.
# - $\mathbf{R}_t = 1$: $\tilde{\mathbf{H}}_t = \tanh(\mathbf{X}_t \mathbf{W}_{xh} +
#   \mathbf{H}_{t-1} \mathbf{W}_{hh} + \mathbf{b}_h)$, the plain RNN step.
# - $\mathbf{R}_t = 0$: $\tilde{\mathbf{H}}_t = \tanh(\mathbf{X}_t \mathbf{W}_{xh} +
#   \mathbf{b}_h)$. The candidate is built from the input alone, as if the sequence started
#   here.
#
# With $\mathbf{Z}_t = 0$ and $\mathbf{R}_t = 1$ everywhere the GRU *is* the plain RNN of
# chapter 4. A GRU can do whatever a plain RNN does; the gates let it learn when to do
# something else. The update gate also helps training: where $\mathbf{Z}_t \approx 1$, the
# derivative $\partial \mathbf{H}_t / \partial \mathbf{H}_{t-1}$ of that unit is close to 1,
# so a gradient passes such steps almost unchanged instead of being multiplied by
# $\mathbf{W}_{hh}$ and $\tanh'$ at every step.
#
# Here are the four equations as code, reading the weights of a scratch cell from `rnnkit`
# (`GRUCell(units, reset_after=False)` is the lecture's form; section 5.3 explains the
# option). The function returns the gates as well as the new state, because section 5.7 plots
# them. It works on any number of rows: each row is one example, one step.


# %%
def gru_step(cell, X_t, H_prev):
    """One step of the lecture's GRU with the weights of ``cell``; returns R, Z, H_tilde and H."""
    R = ops.sigmoid(ops.matmul(X_t, cell.W_xr) + ops.matmul(H_prev, cell.W_hr) + cell.b_r)
    Z = ops.sigmoid(ops.matmul(X_t, cell.W_xz) + ops.matmul(H_prev, cell.W_hz) + cell.b_z)
    H_tilde = ops.tanh(ops.matmul(X_t, cell.W_xh) + ops.matmul(R * H_prev, cell.W_hh) + cell.b_h)
    H = Z * H_prev + (1.0 - Z) * H_tilde
    return {"R": R, "Z": Z, "H_tilde": H_tilde, "H": H}


# %% [markdown]
# The cell of `rnnkit` stores one variable per matrix and bias of the equations, under the
# lecture's names. On a random minibatch, our function and the cell's own `call` agree:

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
toy_cell = GRUCell(4, reset_after=False)
toy_cell.build((None, 3))
print("weights:", ", ".join(f"{v.name} {tuple(v.shape)}" for v in toy_cell.weights))
X_toy = rng.normal(size=(2, 3)).astype("float32")
H_toy = rng.normal(size=(2, 4)).astype("float32")
ours = gru_step(toy_cell, X_toy, H_toy)
theirs, _ = toy_cell(X_toy, [H_toy])
print("shapes:", {name: tuple(value.shape) for name, value in ours.items()})
print("gru_step equals GRUCell.call:", bool(np.max(np.abs(ours["H"] - theirs)) < 1e-6))

# %% [markdown]
# ### The gates at 0 and 1, by hand
#
# To see these four cases in numbers, take a GRU with one input and two units, set the
# candidate's weights by hand, and *force* the gates: with all gate weights at 0, a gate equals
# $\sigma(\mathbf{b})$, and $\sigma(20) = 1$ and $\sigma(-20) = 0$ to float32 precision. The old
# state is $\mathbf{H}_{t-1} = (0.75, -0.5)$ and the input is $x_t = 1$. (All numbers are
# short binary fractions, so every product is exact and the printout is the same on any
# hardware.)

# %%
# NBVAL_CHECK_OUTPUT
demo = GRUCell(2, reset_after=False)
demo.build((None, 1))
for name in ("W_xr", "W_hr", "W_xz", "W_hz"):
    variable = getattr(demo, name)
    variable.assign(np.zeros(variable.shape))
demo.W_xh.assign([[0.5, -1.0]])
demo.W_hh.assign([[1.0, 0.5], [-0.5, 1.0]])
demo.b_h.assign([0.0, 0.0])
x_t = np.array([[1.0]], dtype="float32")
h_prev = np.array([[0.75, -0.5]], dtype="float32")

W_xh, W_hh, b_h = (np.asarray(v) for v in (demo.W_xh, demo.W_hh, demo.b_h))
plain_rnn = np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)
input_only = np.tanh(x_t @ W_xh + b_h)
print(f"old state H_(t-1):            {np.round(h_prev[0], 3)}")
print(f"plain RNN step (chapter 4):   {np.round(plain_rnn[0], 3)}")
print(f"RNN step on the input alone:  {np.round(input_only[0], 3)}")
print()
print("R_t        Z_t        candidate H~_t     new state H_t")
for r_bias, z_bias in [
    ((20, 20), (-20, -20)),
    ((-20, -20), (-20, -20)),
    ((20, 20), (20, 20)),
    ((20, 20), (20, -20)),
]:
    demo.b_r.assign(np.array(r_bias, dtype="float32"))
    demo.b_z.assign(np.array(z_bias, dtype="float32"))
    step = gru_step(demo, x_t, h_prev)
    cols = [np.round(np.asarray(step[k][0]), 3) for k in ("R", "Z", "H_tilde", "H")]
    print(f"{cols[0]!s:10s} {cols[1]!s:10s} {cols[2]!s:18s} {cols[3]}")

# %% [markdown]
# Row by row:
#
# 1. $\mathbf{R} = 1, \mathbf{Z} = 0$: the new state is the plain RNN step. This GRU is the
#    RNN of chapter 4.
# 2. $\mathbf{R} = 0, \mathbf{Z} = 0$: the candidate ignores the old state, and the new state
#    is the RNN step on $x_t$ alone: the unit has forgotten everything before $t$.
# 3. $\mathbf{Z} = 1$: the new state is the old state, whatever the candidate says. The units
#    hold their values, and the input has no effect.
# 4. $\mathbf{Z} = (1, 0)$: the gates are per unit. The first unit keeps $0.75$ while the second
#    takes the candidate. A trained GRU mixes both within one step, and uses values between 0
#    and 1 most of the time.
#
# ## 5.3 Keras's variant: `reset_after=True`
#
# `keras.layers.GRU` computes the lecture's equations only when asked to with
# `reset_after=False`. Its default, `reset_after=True`, moves the reset gate *after* the
# recurrent matrix product and gives every gate two biases, one on the input side and one on
# the recurrent side:
#
# $$\mathbf{R}_t = \sigma(\mathbf{X}_t \mathbf{W}_{xr} + \mathbf{b}_{xr} + \mathbf{H}_{t-1}
#   \mathbf{W}_{hr} + \mathbf{b}_{hr}), \qquad \mathbf{Z}_t \text{ likewise},$$
#
# $$\tilde{\mathbf{H}}_t = \tanh\big(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{b}_{xh}
#   + \mathbf{R}_t \odot (\mathbf{H}_{t-1} \mathbf{W}_{hh} + \mathbf{b}_{hh})\big),$$
#
# and $\mathbf{H}_t$ as before. What changes:
#
# - The reset gate now scales the *result* of $\mathbf{H}_{t-1} \mathbf{W}_{hh}$ rather than its
#   input. Both forms can switch the old state's contribution off ($\mathbf{R}_t = 0$) or leave
#   it whole ($\mathbf{R}_t = 1$); in between they differ, so they are different functions, and
#   weights trained in one form cannot be used in the other (`to_keras` refuses to copy
#   between them).
# - For $\mathbf{R}_t$ and $\mathbf{Z}_t$ the two biases simply add up, so one of them is
#   redundant. For the candidate the recurrent bias $\mathbf{b}_{hh}$ sits inside the product
#   with $\mathbf{R}_t$, so it is gated and cannot be merged with $\mathbf{b}_{xh}$. The variant
#   has $3h$ more parameters: a second row of biases.
#
# Why bother? Speed. With the reset after the product, the three recurrent products
# $\mathbf{H}_{t-1} \mathbf{W}_{hz}$, $\mathbf{H}_{t-1} \mathbf{W}_{hr}$ and $\mathbf{H}_{t-1}
# \mathbf{W}_{hh}$ no longer depend on $\mathbf{R}_t$, so a step needs just one matrix product
# with the three matrices side by side, $\mathbf{H}_{t-1} [\mathbf{W}_{hz} \mid \mathbf{W}_{hr}
# \mid \mathbf{W}_{hh}]$. In the lecture's form the candidate's product has to wait for
# $\mathbf{R}_t$: two products one after the other, at every step. NVIDIA's cuDNN GRU kernel
# computes the reset-after form, and Keras runs a GRU through cuDNN on a GPU only when
# `reset_after=True` (and the activations and a few other options are left at their
# defaults). On a CPU both variants run the same step-by-step loop.
#
# Keras also stores the weights differently from our cells: one `kernel` holding
# $[\mathbf{W}_{xz} \mid \mathbf{W}_{xr} \mid \mathbf{W}_{xh}]$ (gate order z, r, h), one
# `recurrent_kernel` with the $\mathbf{W}_{h\cdot}$ in the same order, and a `bias` with one row
# (`reset_after=False`) or two rows, input biases then recurrent biases (`reset_after=True`).
# Here are both layouts, for $d = 5$ inputs and $h = 3$ units:

# %%
# NBVAL_CHECK_OUTPUT
for reset_after in (False, True):
    scratch_cell = GRUCell(3, reset_after=reset_after)
    scratch_cell.build((None, 5))
    keras_cell = keras.layers.GRUCell(3, reset_after=reset_after)
    keras_cell.build((None, 5))
    print(f"reset_after={reset_after}")
    print("  rnnkit:", ", ".join(f"{v.name} {tuple(v.shape)}" for v in scratch_cell.weights))
    print("  Keras: ", ", ".join(f"{v.name} {tuple(v.shape)}" for v in keras_cell.weights))
    print(f"  parameters: rnnkit {scratch_cell.count_params()}, Keras {keras_cell.count_params()}")

# %% [markdown]
# ## 5.4 The scratch GRU computes what `keras.layers.GRU` computes
#
# Put the scratch cell in a `keras.layers.RNN`, build a `keras.layers.GRU` of the same size,
# copy the weights over with `to_keras`, and run both on the same random sequences.
# If the two are the same function they must agree on the outputs at every step, on the final
# state, and, since training only ever sees gradients, on the gradients with respect to the
# inputs and the weights (the scratch cell's per-gate gradients are arranged into Keras's fused
# layout with `fused_weights`). The loss weights every output and the final state with
# its own random factor, so that a mix-up of steps or units would show.
#
# We compare in float64. In float32 the differences on a CPU are around $10^{-7}$, but a GPU
# may run float32 matrix products in TensorFloat-32, with about three significant digits, and
# the two layers round differently. In float64 every difference is at rounding level on any
# hardware, and a real bug still shows as a difference of order 0.1.


# %%
def compare_with_keras(reset_after, batch=4, steps=9, d=6, h=5, seed=0):
    """Max |scratch - Keras| of outputs, final state and gradients, after copying weights.

    Also returns the output difference before the copy, to show that the check can fail.
    """
    rng = np.random.default_rng(seed)
    X = tf.constant(rng.normal(size=(batch, steps, d)))
    output_factors = rng.normal(size=(batch, steps, h))
    state_factors = rng.normal(size=(batch, h))
    scratch = keras.layers.RNN(
        GRUCell(h, reset_after=reset_after, dtype="float64"),
        return_sequences=True,
        return_state=True,
        dtype="float64",
    )
    builtin = keras.layers.GRU(
        h, reset_after=reset_after, return_sequences=True, return_state=True, dtype="float64"
    )
    before = np.max(np.abs(np.asarray(scratch(X)[0]) - np.asarray(builtin(X)[0])))
    to_keras(scratch, builtin)
    results = []
    for layer in (scratch, builtin):
        with tf.GradientTape() as tape:
            tape.watch(X)
            outputs, state = layer(X)
            loss = tf.reduce_sum(outputs * output_factors) + tf.reduce_sum(state * state_factors)
        grad_X, grad_W = tape.gradient(loss, [X, layer.trainable_weights])
        pairs = zip(layer.trainable_weights, grad_W, strict=True)
        named = {v.name: np.asarray(g) for v, g in pairs}
        results.append((np.asarray(outputs), np.asarray(state), np.asarray(grad_X), named))
    (out_s, state_s, gx_s, gw_s), (out_k, state_k, gx_k, gw_k) = results
    gw_s = fused_weights(scratch.cell, values=gw_s)  # per gate -> kernel, ... like Keras
    return {
        "outputs": np.max(np.abs(out_s - out_k)),
        "final state": np.max(np.abs(state_s - state_k)),
        "gradient w.r.t. inputs": np.max(np.abs(gx_s - gx_k)),
        "gradient w.r.t. weights": max(np.max(np.abs(gw_s[k] - gw_k[k])) for k in gw_k),
        "outputs before copying weights": before,
    }


# %%
# NBVAL_CHECK_OUTPUT
for reset_after in (True, False):
    print(f"reset_after={reset_after}: max |scratch - keras.layers.GRU| < 1e-5?")
    for what, diff in compare_with_keras(reset_after).items():
        print(f"  {what:32s} {bool(diff < 1e-5)}")

# %% [markdown]
# Everything agrees once the weights are shared, and nothing agrees before: the two layers
# start from different random weights. The scratch cell is the GRU of the lecture (or of Keras,
# with `reset_after=True`), written one gate per line.
#
# ## 5.5 A GRU language model of *The Time Machine*
#
# We train the same kind of character-level model as in chapter 4: one-hot characters, one
# recurrent layer of 256 units, a dense layer to 28 logits (`RNNLM`). The recurrent layer is
# the **scratch** GRU in the lecture's form, `keras.layers.RNN(GRUCell(256,
# reset_after=False))`, for two reasons: it is the model whose equations we wrote down, and
# its per-gate weights let section 5.6 read the gates of the trained model. On a CPU it costs
# nothing: `keras.layers.GRU` runs the same kind of step-by-step loop there (the docstring of
# `rnnkit.layers` gives measurements). On a GPU the built-in with `reset_after=True` would use
# cuDNN and be many times faster; that is the one reason to prefer it.
#
# For comparison we train a plain RNN of the same width (the scratch `RNNCell` of chapter 4)
# with the same data, optimizer and budget: random minibatches of 64 rows of 35 characters,
# each starting from the zero state, Adam, gradients clipped to global norm 1, and the same
# number of epochs. One setting must not be shared: the **learning rate**. A rate that suits
# the GRU makes the plain RNN's gradient explode on almost every step, so that clipping, not the
# gradient, sets the size of its updates; a fair comparison gives each cell the rate that is
# best *for it*. So first a short search: each cell trains for `SEARCH_EPOCHS` epochs with each
# rate of `LR_GRID`, and keeps the rate with the lowest validation perplexity.


# %%
def make_lm(cell_class):
    """A character language model around a fresh scratch cell (one-hot inputs, dense head)."""
    keras.utils.set_random_seed(0)
    cell = cell_class(HIDDEN, reset_after=False) if cell_class is GRUCell else cell_class(HIDDEN)
    return RNNLM(V, keras.layers.RNN(cell, return_sequences=True, return_state=True))


def train(model, lr, epochs, log_every=1):
    """Train ``model`` with the settings of this section; return its TrainingHistory."""
    return train_custom(
        model,
        random_batches(data.train, BATCH_SIZE, NUM_STEPS, seed=0).take(BATCHES),
        epochs,
        lr,
        clip=CLIP,
        optimizer="adam",
        valid=sequential_batches(data.valid, BATCH_SIZE, NUM_STEPS, offset=0),
        vocab=data.vocab,
        log_every=log_every,
    )


cells = {"GRU": GRUCell, "plain RNN": RNNCell}
search = {name: {} for name in cells}
for name, cell_class in cells.items():
    for lr in LR_GRID:
        run = train(make_lm(cell_class), lr, SEARCH_EPOCHS, log_every=0)
        clipped = np.mean(np.asarray(run.step_grad_norm) > CLIP)
        search[name][lr] = run.val_perplexity[-1]
        print(
            f"{name:9s} lr {lr:<6g} validation perplexity {run.val_perplexity[-1]:7.3f}  "
            f"steps clipped {clipped:6.1%}"
        )
best_lr = {name: min(scores, key=scores.get) for name, scores in search.items()}
print("chosen:", ", ".join(f"{name} lr {lr:g}" for name, lr in best_lr.items()))

# %% [markdown]
# Now each cell trains for `EPOCHS` epochs at its own rate:

# %%
gru_lm, rnn_lm = make_lm(GRUCell), make_lm(RNNCell)
print(f"GRU (lr {best_lr['GRU']:g}):")
gru_history = train(gru_lm, best_lr["GRU"], EPOCHS)
print(f"plain RNN (lr {best_lr['plain RNN']:g}):")
rnn_history = train(rnn_lm, best_lr["plain RNN"], EPOCHS)

# %% [markdown]
# The validation perplexity of the log is only a progress check: each validation chunk of 35
# characters starts from a zero state, so its first characters are guessed with no context. We
# report the **held-out perplexity by the protocol of chapter 3**, the one the n-gram baselines
# were scored with: the model reads the validation text as one long sequence right after the
# training text (warmed up on its last characters), and every validation character is
# predicted from everything before it. Chapter 4 spelled that call out; here it is
# `held_out_perplexity(model, data)`.

# %%
baseline = kneser_ney_baseline(data)
held_out = {
    "plain RNN": held_out_perplexity(rnn_lm, data),
    "GRU": held_out_perplexity(gru_lm, data),
}
histories = {"plain RNN": rnn_history, "GRU": gru_history}
models = {"plain RNN": rnn_lm, "GRU": gru_lm}
# The first epoch includes tracing the training step, so it is left out when there are more.
speeds = {
    name: float(np.median(h.tokens_per_s[1:] or h.tokens_per_s)) for name, h in histories.items()
}
clipped_share = {
    name: float(np.mean(np.asarray(h.step_grad_norm) > CLIP)) for name, h in histories.items()
}
print(
    f"{EPOCHS} epoch(s) each, {HIDDEN} units   parameters  validation perplexity  tokens/s", end=""
)
print("  clipped")
print(f"{'tuned Kneser-Ney (chapter 3)':29s}  {'-':>10s}  {baseline.valid_perplexity:21.3f}")
for name in histories:
    print(
        f"{name:29s}  {models[name].count_params():10,}  {held_out[name]:21.3f}  "
        f"{speeds[name]:8,.0f}  {clipped_share[name]:7.1%}"
    )

# %%
fig, ax = plt.subplots(figsize=(6, 3.3))
for i, (name, history) in enumerate(histories.items()):
    epochs = np.arange(1, history.epochs + 1)
    ax.plot(epochs, history.perplexity, color=f"C{i}", marker="o", label=f"{name}, training")
    ax.plot(epochs, history.val_perplexity, color=f"C{i}", linestyle="--", label=f"{name}, valid")
    ax.plot(epochs[-1], held_out[name], color=f"C{i}", marker="*", markersize=12, linestyle="")
ax.axhline(baseline.valid_perplexity, color="gray", linestyle=":", label="tuned Kneser-Ney")
ax.set_xlabel("epoch")
ax.set_ylabel("perplexity")
ax.set_title("GRU and plain RNN on The Time Machine (stars: held out)")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()
plt.show()

# %%
gap = held_out["plain RNN"] - held_out["GRU"]
ratio = speeds["GRU"] / speeds["plain RNN"]
beats = [name for name in held_out if held_out[name] < baseline.valid_perplexity]
if ratio < 1 / 2.5:
    cost_words = "The extra arithmetic shows in full."
elif ratio < 1:
    cost_words = (
        "It is slower, but by less than its threefold arithmetic suggests: at 256 units on a "
        "CPU much of each step goes to the loop over time steps (one small step after another, "
        "each with its overhead), not to the products."
    )
else:
    cost_words = (
        "The extra arithmetic does not show at this size: on a CPU much of each step goes to "
        "the loop over time steps, not to the products."
    )
display(
    Markdown(
        f"""
**What the table says.** Each with its own learning rate and the same {EPOCHS} epochs, the GRU
reaches a validation perplexity of {held_out["GRU"]:.3f} and the plain RNN
{held_out["plain RNN"]:.3f}: the GRU is {"ahead" if gap > 0 else "behind"} by {abs(gap):.3f}.
The plain RNN's gradient norm was above the clipping threshold on {clipped_share["plain RNN"]:.0%}
of its steps, the GRU's on {clipped_share["GRU"]:.0%}: the gates give the GRU an easy path,
since a unit can copy its state forward and a gradient can flow back through it.

**Cost.** A GRU step does three matrix products on each side where the plain RNN does one, plus
more elementwise work; here the GRU ran at {ratio:.2f} times the plain RNN's tokens per second.
{cost_words} Exercise 6 races the two for the same time instead of the same epochs.

**The baseline.** {" and ".join(beats) or "Neither cell"} beat{"s" if len(beats) < 2 else ""} the
tuned Kneser–Ney model ({baseline.valid_perplexity:.3f} on validation). Without
regularization the GRU's training perplexity keeps falling after its validation perplexity has
stopped improving: with {gru_lm.count_params():,} parameters it starts to memorise a training
text of {len(data.train):,} characters. Chapter 7 trains deeper models longer, with dropout and a
learning-rate schedule.
"""
    )
)

# %% [markdown]
# ## 5.6 Generating text
#
# Two ways to continue "time traveller" (`generate`): always take the most likely
# character (greedy), or sample each character from the model's distribution, sharpened with a
# temperature below 1.

# %%
for strategy, temperature in (("greedy", 1.0), ("temperature", 0.6), ("temperature", 1.0)):
    text = generate(
        gru_lm, data.vocab, "time traveller", 100, strategy, temperature=temperature, seed=0
    )
    label = strategy if strategy == "greedy" else f"sampled at T = {temperature}"
    print(f"{label}:\n  {text}")

# %% [markdown]
# Greedy decoding writes real words, but soon falls into a loop of the most common phrases:
# after a few words the most likely continuation of its own text leads back to where it has
# been. Sampling at temperature 0.6 gives more varied text made mostly of English words; at
# temperature 1 the model's full uncertainty shows, with more invented words. Whatever the
# strategy, the spelling is good and the grammar is local: a character model of this size
# knows words and short phrases, not sentences.
#
# ## 5.7 What the gates do while the model reads
#
# Run the trained cell step by step over a sentence, with `gru_step` from section 5.2, and
# keep $\mathbf{R}_t$ and $\mathbf{Z}_t$ at every step. First we check that stepping by hand
# gives the states the recurrent layer computes in one call.

# %%
gru_cell = gru_lm.rnn.cell
sentence = "the time traveller looked at the old clock again"
X_sentence = ops.one_hot(np.array(data.vocab[list(sentence)]), V)  # (steps, 28)
H = ops.zeros((1, HIDDEN))
gates = {"R": [], "Z": []}
states = []
for t in range(len(sentence)):
    step = gru_step(gru_cell, X_sentence[t : t + 1], H)
    H = step["H"]
    states.append(np.asarray(H[0]))
    for name in gates:
        gates[name].append(np.asarray(step[name][0]))
gates = {name: np.stack(values) for name, values in gates.items()}  # (steps, units)
layer_states = np.asarray(gru_lm.rnn(X_sentence[None])[0][0])
print("gates:", {name: value.shape for name, value in gates.items()})
print("stepping by hand gives the layer's states:", np.allclose(states, layer_states, atol=1e-5))

# %% [markdown]
# Which of the 256 units should we look at? Gates depend only on $\mathbf{X}_t$ and
# $\mathbf{H}_{t-1}$, so once the layer has computed the states of the whole validation text
# in one pass, `gru_step` gives the gates of every step at once (one row per step). Over that
# text we pick 8 units that keep their state most (the highest mean update gate) and 8 units
# whose update gate differs most between spaces and letters.

# %%
valid_chars = data.vocab.to_tokens(data.valid.tolist())
X_valid = ops.one_hot(data.valid, V)


# Compiled, the layer runs its loop inside TensorFlow; called eagerly, each of the 17,000 steps
# would go through Python.
@tf.function(autograph=False)
def states_of(X):
    """The states H_1, ..., H_T of the trained GRU layer on inputs X, from the zero state."""
    return gru_lm.rnn(X)[0]


H_valid = np.asarray(states_of(X_valid[None])[0])
H_before = np.concatenate([np.zeros((1, HIDDEN), "float32"), H_valid[:-1]])
valid_gates = gru_step(gru_cell, X_valid, H_before)
Z_valid, R_valid = np.asarray(valid_gates["Z"]), np.asarray(valid_gates["R"])
is_space = np.array([c == " " for c in valid_chars])
print(f"validation text: {len(valid_chars):,} steps, {is_space.sum():,} of them spaces")
print("mean gate value     at spaces  at letters")
for name, values in (("update gate Z_t", Z_valid), ("reset gate R_t", R_valid)):
    print(f"{name:18s}  {values[is_space].mean():9.3f}  {values[~is_space].mean():10.3f}")
print(
    f"share of update gates below 0.1: {np.mean(Z_valid[is_space] < 0.1):.0%} at spaces, "
    f"{np.mean(Z_valid[~is_space] < 0.1):.0%} at letters"
)

keepers = np.argsort(Z_valid.mean(axis=0))[-8:][::-1]
contrast = Z_valid[~is_space].mean(axis=0) - Z_valid[is_space].mean(axis=0)
switchers = [u for u in np.argsort(contrast)[::-1] if u not in keepers][:8]
units = np.concatenate([keepers, switchers])

# %%
fig, axes = plt.subplots(
    3,
    1,
    figsize=(9, 6.5),
    sharex=True,
    gridspec_kw={"height_ratios": [3, 3, 1.6]},
    layout="constrained",
)
for ax, name, title in (
    (axes[0], "Z", "update gate Z_t: 8 units that keep their state, 8 that switch at spaces"),
    (axes[1], "R", "reset gate R_t of the same units"),
):
    image = ax.imshow(gates[name][:, units].T, aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(units)), [str(u) for u in units], fontsize=6)
    ax.set_ylabel("unit")
    ax.axhline(7.5, color="white", linewidth=1)
    ax.set_title(title, fontsize=9)
for t, c in enumerate(sentence):
    if c == " ":
        axes[2].axvspan(t - 0.5, t + 0.5, color="0.9")
axes[2].plot(gates["Z"].mean(axis=1), marker=".", label="mean Z_t")
axes[2].plot(gates["R"].mean(axis=1), marker=".", label="mean R_t")
axes[2].set_ylim(0, 1)
axes[2].set_ylabel("mean of\n256 units")
axes[2].legend(fontsize=7, loc="upper right")
axes[2].set_xticks(range(len(sentence)), [c if c != " " else "_" for c in sentence])
axes[2].set_xlabel("character read at step t (space shown as _)")
fig.colorbar(image, ax=axes.tolist(), shrink=0.6, label="gate value")
plt.show()

# %% [markdown]
# What to look for (the exact units and numbers come from your training run):
#
# - **Spaces are logical breaks.** At a space the mean reset gate drops close to 0: the
#   candidate is built almost from the space alone, and what the model knew about the word it
#   just finished barely enters it. The update gate is lower at spaces too (on average, and
#   in the share of units below 0.1), so more units take that fresh candidate: the model
#   starts each word with a partly cleared state. The lower 8 rows show the units that do this
#   most: bright at many letters inside words, dark at almost every `_` (the shaded columns of
#   the bottom panel). This is the lecture's "logical break",
#   learned from the data without anyone marking where words end.
# - **Some units keep their state.** The upper 8 rows have update gates well above one half at
#   most steps: these units change slowly and carry information across characters and words,
#   the lecture's "early observation that matters later". Nothing here says what they store;
#   that would need experiments of its own (exercise 8).
# - **Most gates are neither 0 nor 1.** The hand-wired example of section 5.2 used the
#   extremes; a trained GRU mixes old state and candidate in varying proportions, and the
#   reset gate is small at most steps: this model builds its candidates mostly from the current
#   character and carries its memory through the update gate.
#
# ## The test split, once
#
# Both models were trained with settings chosen on validation (their learning rates); the test
# split has played no part. Here are their test perplexities, by chapter 3's protocol:

# %% tags=["headline"]
print(f"test perplexity, tuned n-gram ({baseline.name}): {baseline.test_perplexity:.3f}")
for name, lm_model in models.items():
    print(f"test perplexity, {name}: {held_out_perplexity(lm_model, data, split='test'):.3f}")

# %% [markdown]
# ## Summary
#
# - A GRU adds two gates to the plain RNN. The update gate $\mathbf{Z}_t$ decides, per unit,
#   how much of the old state to keep ($\mathbf{Z}_t = 1$: copy); the reset gate $\mathbf{R}_t$
#   decides how much of the old state enters the candidate ($\mathbf{R}_t = 0$: start afresh).
#   With $\mathbf{Z}_t = 0$ and $\mathbf{R}_t = 1$ it is the plain RNN.
# - Keras computes `reset_after=True` by default: the reset gate after the recurrent product
#   and a second bias row. It is a slightly different function, chosen because one fused
#   recurrent product per step is faster and is what cuDNN implements.
# - The scratch `GRUCell` matches `keras.layers.GRU` in outputs, states and gradients for
#   both variants, once the weights are copied with `to_keras`.
# - Each with its own learning rate and trained for the same number of epochs, the GRU language
#   model and the plain RNN compare as section 5.5 measured; the gates keep the GRU's gradients
#   tame where the plain RNN's are clipped on most steps. Without regularization the GRU
#   overfits this small book and stays behind the tuned Kneser–Ney baseline.
# - In the trained model, spaces act as logical breaks (reset gates close to 0, many update
#   gates low), while a few units keep their state across characters and words.

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

GRU_WEIGHT_NAMES = ("W_xr", "W_hr", "b_r", "W_xz", "W_hz", "b_z", "W_xh", "W_hh", "b_h")


def keras_gru_param_count(d, h, reset_after):
    """The number of parameters of a keras.layers.GRU with h units on d input features."""
    # Zero initializers: the count does not depend on the values, and drawing an orthogonal
    # 256 x 768 matrix would take most of the check's time.
    layer = keras.layers.GRU(
        h, reset_after=reset_after, kernel_initializer="zeros", recurrent_initializer="zeros"
    )
    layer.build((None, None, d))
    return layer.count_params()


# The checks compute in float64: a GPU may run float32 products in TensorFloat-32, whose
# rounding (about 1e-3) would hide a correct answer behind a tolerance of 1e-5.
def lecture_gru_cell(params, d, h):
    """A float64 GRUCell(h, reset_after=False) on d inputs holding the arrays of params."""
    cell = GRUCell(h, reset_after=False, dtype="float64")
    cell.build((None, d))
    for name in GRU_WEIGHT_NAMES:
        getattr(cell, name).assign(np.asarray(params[name], dtype="float64"))
    return cell


def check_gru_as_rnn_on(t, gru_as_rnn, d, h, seed):
    """Check that the GRU weights from ``gru_as_rnn`` compute the plain RNN step."""
    rng = np.random.default_rng(seed)
    W_xh = rng.normal(size=(d, h)).round(2)
    W_hh = (0.5 * rng.normal(size=(h, h))).round(2)
    b_h = rng.normal(size=h).round(2)
    params = t.call(gru_as_rnn, W_xh, W_hh, b_h)
    t.true(isinstance(params, dict), "the result is a dict")
    t.equal(sorted(params), sorted(GRU_WEIGHT_NAMES), tested=f"the keys of {t.tested}")
    expected_shapes = {"W_x": (d, h), "W_h": (h, h)}
    for name in GRU_WEIGHT_NAMES:
        expected = expected_shapes.get(name[:3], (h,))
        t.equal(np.shape(params[name]), expected, tested=f"the shape of params[{name!r}]")
    cell = lecture_gru_cell(params, d, h)
    X, H = rng.normal(size=(3, d)), rng.normal(size=(3, h))
    got = np.asarray(cell(X, [H])[0])
    t.close(
        got,
        np.tanh(X @ W_xh + H @ W_hh + b_h),
        atol=1e-5,
        tested=f"a GRUCell({h}) on {d} inputs holding gru_as_rnn(W_xh, W_hh, b_h), on random "
        "X_t and H_(t-1), against the plain RNN step tanh(X_t W_xh + H_(t-1) W_hh + b_h)",
    )


def keras_gru_cell(d, h, seed):
    """A built float64 keras.layers.GRUCell (reset_after=True) with random weights and biases."""
    cell = keras.layers.GRUCell(
        h,
        dtype="float64",
        kernel_initializer=keras.initializers.RandomNormal(seed=seed),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seed + 1),
        bias_initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed + 2),
    )
    cell.build((None, d))
    return cell


def check_gru_keras_step_on(t, gru_keras_step, n, d, h, seed):
    """Compare ``gru_keras_step`` with a Keras GRUCell on one random step."""
    cell = keras_gru_cell(d, h, seed)
    rng = np.random.default_rng(seed)
    X, H = rng.normal(size=(n, d)), rng.normal(size=(n, h))
    fused = [np.asarray(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]
    got = t.call(gru_keras_step, X, H, *fused)
    expected = np.asarray(cell(X, [H])[0])
    t.close(
        np.asarray(got, dtype=float),
        expected,
        atol=1e-5,
        tested=f"gru_keras_step(X, H_prev, kernel, recurrent_kernel, bias) on {n} row(s), for a "
        f"random keras.layers.GRUCell({h}) on {d} inputs",
    )


@exercise(
    "gru_param_count",
    points=2,
    hint="Each of the three parts (update gate, reset gate, candidate) has a d x h input matrix, "
    "an h x h recurrent matrix and h biases; reset_after=True adds a second row of h biases "
    "to each part.",
)
def _check_gru_param_count(t, gru_param_count):
    for reset_after in (False, True):
        got = t.call(gru_param_count, 28, 256, reset_after)
        t.equal(got, keras_gru_param_count(28, 256, reset_after))


@exercise(
    "gru_as_rnn",
    points=2,
    hint="Set all four gate matrices to zeros, so that each gate is sigmoid(bias); a bias of "
    "-20 makes a gate 0 and +20 makes it 1 (to float32 precision). Which gate must be 0 and "
    "which 1? Keep W_xh, W_hh and b_h as they are.",
)
def _check_gru_as_rnn(t, gru_as_rnn):
    check_gru_as_rnn_on(t, gru_as_rnn, d=3, h=4, seed=0)


@exercise(
    "gru_keras_step",
    points=3,
    hint="Cut kernel and recurrent_kernel into three blocks of h columns, in the order z, r, h "
    "(kernel[:, :h] is W_xz); bias[0] holds the input biases and bias[1] the recurrent ones, in "
    "the same order. The reset gate multiplies (H_prev @ W_hh + b_hh), after the product.",
)
def _check_gru_keras_step(t, gru_keras_step):
    check_gru_keras_step_on(t, gru_keras_step, n=2, d=3, h=4, seed=0)


# %% [markdown]
# ### Exercise 1: the size of a GRU layer (2 points)
#
# Write `gru_param_count(d, h, reset_after)`: the number of trainable parameters of a
# `keras.layers.GRU(h, reset_after=reset_after)` layer that reads $d$ input features, for
# `reset_after` either `True` or `False`. Compute it from the shapes of section 5.2 and 5.3,
# without building a layer.
#
# Example: `gru_param_count(5, 3, False)` is 81 and `gru_param_count(5, 3, True)` is 90 (the
# table of section 5.3).
#
# Not graded: how many parameters does the GRU of section 5.5 have, and how many a plain RNN
# with the same number of parameters (how many units would it need)?


# %% exercise="gru_param_count" points=2
def gru_param_count(d, h, reset_after):
    """Trainable parameters of a Keras GRU layer with h units on d input features."""
    ### BEGIN SOLUTION
    biases = 2 * h if reset_after else h
    return 3 * (d * h + h * h + biases)
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("gru_param_count", gru_param_count)

# %% [markdown]
# ### Exercise 2: a GRU that is a plain RNN (2 points)
#
# Section 5.2 claims that a GRU with $\mathbf{Z}_t = 0$ and $\mathbf{R}_t = 1$ is the plain
# RNN of chapter 4. Prove it in code. Write `gru_as_rnn(W_xh, W_hh, b_h)`: it receives the
# weights of a plain RNN with $d$ inputs and $h$ units (NumPy arrays of shapes $(d, h)$,
# $(h, h)$ and $(h,)$) and returns a dict with the nine weights of a lecture GRU
# (`GRUCell(h, reset_after=False)`), under the keys `"W_xr"`, `"W_hr"`, `"b_r"`,
# `"W_xz"`, `"W_hz"`, `"b_z"`, `"W_xh"`, `"W_hh"`, `"b_h"`, with the same shapes as in the
# cell (matrices $(d, h)$ or $(h, h)$, biases $(h,)$). A GRU cell holding these weights must
# compute $\tanh(\mathbf{X}_t \mathbf{W}_{xh} + \mathbf{H}_{t-1} \mathbf{W}_{hh} +
# \mathbf{b}_h)$ for every input and state, to within $10^{-5}$.
#
# Not graded: what would happen with $\mathbf{R}_t = 0$ instead? And why can no choice of
# weights make a GRU compute a plain RNN step with a ReLU in place of the $\tanh$?


# %% exercise="gru_as_rnn" points=2
def gru_as_rnn(W_xh, W_hh, b_h):
    """The nine weights of a lecture GRU that computes the plain RNN step of (W_xh, W_hh, b_h)."""
    ### BEGIN SOLUTION
    d, h = W_xh.shape
    return {
        "W_xr": np.zeros((d, h)),
        "W_hr": np.zeros((h, h)),
        "b_r": np.full(h, 20.0),
        "W_xz": np.zeros((d, h)),
        "W_hz": np.zeros((h, h)),
        "b_z": np.full(h, -20.0),
        "W_xh": W_xh,
        "W_hh": W_hh,
        "b_h": b_h,
    }
    ### END SOLUTION


# %%
check("gru_as_rnn", gru_as_rnn)

# %% [markdown]
# ### Exercise 3: one step of Keras's GRU from its fused weights (3 points)
#
# Write `gru_keras_step(X, H_prev, kernel, recurrent_kernel, bias)` in NumPy: one step of
# `keras.layers.GRUCell(h)` with its default `reset_after=True`, from the cell's own
# weights. `X` has shape $(n, d)$ and `H_prev` $(n, h)$; `kernel` $(d, 3h)$,
# `recurrent_kernel` $(h, 3h)$ and `bias` $(2, 3h)$ are stored as section 5.3 describes (gate
# order z, r, h; input biases in row 0, recurrent biases in row 1). Return the new state
# $\mathbf{H}_t$, shape $(n, h)$, using the reset-after equations of section 5.3. The check
# compares your result with the Keras cell's on random weights and inputs.
#
# Not graded: change one line to get the lecture's form instead, and compare with
# `keras.layers.GRUCell(h, reset_after=False)`, whose `bias` has shape $(3h,)$.


# %% exercise="gru_keras_step" points=3
def gru_keras_step(X, H_prev, kernel, recurrent_kernel, bias):
    """One step of keras.layers.GRUCell (reset_after=True) from its fused weights."""
    ### BEGIN SOLUTION
    h = H_prev.shape[1]

    def sigmoid(a):
        return 1.0 / (1.0 + np.exp(-a))

    from_x = X @ kernel + bias[0]  # (n, 3h): z, r, h blocks
    from_h = H_prev @ recurrent_kernel + bias[1]
    Z = sigmoid(from_x[:, :h] + from_h[:, :h])
    R = sigmoid(from_x[:, h : 2 * h] + from_h[:, h : 2 * h])
    H_tilde = np.tanh(from_x[:, 2 * h :] + R * from_h[:, 2 * h :])
    return Z * H_prev + (1.0 - Z) * H_tilde
    ### END SOLUTION


# %%
check("gru_keras_step", gru_keras_step)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Gates at the extremes (question).** For each of the four extreme settings listed in
#    section 5.2, say what $\partial \mathbf{H}_t / \partial \mathbf{H}_{t-1}$ is (assume the
#    gates are saturated, so that their own derivatives vanish). Which setting lets a gradient
#    pass 100 steps unchanged? Which one cuts it off completely? Relate your answer to the
#    vanishing gradients of chapter 4.
# 5. **The two variants.** Train the language model of section 5.5 with
#    `GRUCell(HIDDEN, reset_after=True)` and compare the held-out perplexity and the
#    tokens per second with the lecture's form. Then train `keras.layers.GRU(HIDDEN,
#    return_sequences=True, return_state=True)` instead of the scratch cell. If you have a GPU
#    (Colab, say), compare the speed of the two there, and explain the difference.
# 6. **A fair race.** Section 5.5 gave both models the same number of epochs, not the same
#    time. Measure how long each took, train each for the same number of *seconds* (the faster
#    one gets more epochs), and compare held-out perplexities. Which comparison is the right one
#    if you have a fixed computing budget? If you have a fixed number of parameters?
# 7. **Overfitting and size.** The GRU's training perplexity keeps falling after its validation
#    perplexity has stopped. Train GRUs of 64, 128 and 512 units for the same number of epochs
#    and plot held-out perplexity against the number of parameters. Is 256 units the best size
#    for this book and this budget?
# 8. **What do the units store? (project)** Pick a unit with a high mean update gate from
#    section 5.7 and plot its *state* (not its gate) over a few hundred validation characters.
#    Does it change at spaces, at the ends of common words, after particular letters? Try to
#    find a unit whose state tracks the position inside a word.
# 9. **Carrying the state (experiment).** Train the GRU with `sequential_batches` and
#    `train_custom(..., stateful=True)`, so that the state flows from batch to batch as in
#    chapter 4. Compare the training and held-out perplexities after each epoch with those of
#    random batches. Which one overfits sooner, and why might that be?
# 10. **Biasing the update gate (question and experiment).** Chapter 6 explains why Keras
#    starts an LSTM's forget-gate bias at 1. What is the GRU's analogue? Start $\mathbf{b}_z$ at
#    $+1$ and at $-1$ (assign to `cell.b_z` after building the model) and compare the first
#    epochs of training with the default 0.
