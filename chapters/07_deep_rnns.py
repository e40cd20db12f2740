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
# # Chapter 7: Deep recurrent networks
#
# The networks of the last chapters had one recurrent layer: at every time step a single
# nonlinear update turns the previous state and the current input into the new state, and a
# linear map turns that state into a prediction. A multilayer perceptron gets more expressive by
# stacking layers; a recurrent network can do the same, by stacking recurrent layers on top of
# each other. This chapter builds such a deep RNN, checks it against Keras, asks how much depth
# pays on our small corpus, and then trains the strongest character network of the workbook
# and puts it against the tuned n-gram model of chapter 3, alone and mixed with it.
#
# **What you will learn**
#
# - the equations of a deep RNN, why depth adds nonlinearity at every time step, and what the
#   state of a deep RNN is (one state per layer);
# - where dropout goes in a stack: between the layers, never on the recurrent path;
# - two loop orders that compute the same stack (layer by layer, or time step by time step),
#   and `rnnkit.layers.Stacked` against Keras's `StackedRNNCells`, number for number;
# - how many parameters each extra layer costs;
# - what one, two and three layers buy on *The Time Machine*, in perplexity and in time;
# - a recipe for a strong network (dropout in the right places, learning-rate decay, keeping the
#   best epoch's weights), how it fares against the tuned n-gram on the test split, and whether a
#   mixture of the two, weighted on validation, beats both.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import dataclasses
import json
import math
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from IPython.display import Markdown, display
from matplotlib.ticker import MaxNLocator

from rnnkit import files
from rnnkit.data import num_batches, random_batches, sequential_batches
from rnnkit.layers import GRUCell, LSTMCell, RNNCell, Stacked, cells_of, fused_weights, to_keras
from rnnkit.lm import (
    RNNLM,
    char_corpus,
    generate,
    held_out_perplexity,
    kneser_ney_baseline,
    ngrams,
    token_log_probs,
    train_fit,
)

data = char_corpus()
VOCAB_SIZE = len(data.vocab)

# Budgets. Quick mode trains on a few batches only; every cell runs the same code.
COMPARE_EPOCHS = runmode.pick(full=5, quick=1)
MAX_BATCHES = runmode.pick(full=None, quick=3)  # batches per epoch (None: the whole text)
# How many validation characters the fair protocol scores (None: all of them).
EVAL_CHARS = runmode.pick(full=None, quick=300)

# %% [markdown]
# ## 7.1 From one recurrent layer to $L$
#
# A recurrent network with one hidden layer, as in chapters 4 to 6, computes
#
# $$\mathbf{H}_t = f(\mathbf{H}_{t-1}, \mathbf{X}_t), \qquad \mathbf{O}_t = g(\mathbf{H}_t),$$
#
# where $f$ is the update of an RNN, GRU or LSTM cell and $g$ is a linear output layer (followed
# by a softmax for a language model). A **deep RNN** puts $L$ recurrent layers on top of each
# other. Layer 1 reads the input, every higher layer reads the hidden state that the layer below
# has just computed *at the same time step*, and only the top layer feeds the output:
#
# $$\mathbf{H}_t^1 = f_1(\mathbf{H}_{t-1}^1, \mathbf{X}_t), \qquad
#   \mathbf{H}_t^j = f_j(\mathbf{H}_{t-1}^j, \mathbf{H}_t^{j-1}) \;\; (j = 2, \dots, L), \qquad
#   \mathbf{O}_t = g(\mathbf{H}_t^L).$$
#
# Each $f_j$ has its own weights, and its own width $h_j$: layer $j$ reads vectors of width
# $h_{j-1}$ (with $h_0 = d$, the input width).
#
# **Why go deeper?** In a one-layer network the way from "what I remember plus what I see now"
# to "what comes next" is short: one affine map of $[\mathbf{X}_t, \mathbf{H}_{t-1}]$ squashed by
# a $\tanh$ (or by a few gates computed side by side), then the affine map $g$. Per time step,
# that is a network with a single hidden layer. It can be made more expressive by making it wider,
# but, as for feed-forward networks, composing several nonlinear stages often represents a
# function with far fewer units than one very wide stage. In a deep RNN the input $\mathbf{X}_t$
# passes through $L$ nonlinear updates before it reaches $\mathbf{O}_t$, and each of them also
# mixes in its own memory. Lower layers can specialise in short patterns (letters that go
# together), higher layers in longer ones (words and phrases); nothing forces that split, but it
# is often what trained stacks show.
#
# **The state of a deep RNN** is the list of the states of all its layers:
# $(\mathbf{H}_t^1, \dots, \mathbf{H}_t^L)$, and for an LSTM also every layer's memory cell,
# $(\mathbf{H}_t^1, \mathbf{C}_t^1, \dots, \mathbf{H}_t^L, \mathbf{C}_t^L)$. Every layer carries
# its own state from one step to the next; when a language model continues a text, or is
# evaluated chunk by chunk, all of them must be carried.
#
# **Where dropout goes.** A deep network overfits more easily, and dropout is the usual remedy.
# In a stack it is applied to the *vertical* connections, to $\mathbf{H}_t^{j-1}$ before layer
# $j$ reads it (and to $\mathbf{H}_t^L$ before the output layer $g$ reads it), and not to the
# *horizontal* (recurrent) path from $\mathbf{H}_{t-1}^j$ to $\mathbf{H}_t^j$. The recurrent
# path is taken again at every step: fresh noise on it at each of $T$ steps would compound, and
# whatever a layer tried to remember would be wiped out bit by bit. A value that climbs the
# stack meets dropout at most $L$ times, however long the sequence. (Keras's
# `recurrent_dropout` does drop on the recurrent path, but with one mask kept fixed for the whole
# sequence, which avoids that compounding.) As always, dropout is active in training only.
#
# The figure shows a three-layer network unrolled over four steps; dropout sits on the dashed
# arrows.


# %%
def draw_deep_rnn(num_layers=3, num_steps=4):
    """Draw the unrolled computation graph of a deep RNN; dashed arrows carry dropout."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    rows = ["$X_t$"] + [f"$H_t^{j}$" for j in range(1, num_layers + 1)] + ["$O_t$"]
    arrow = {"arrowstyle": "->", "color": "0.3", "shrinkA": 9, "shrinkB": 9}
    for t in range(num_steps):
        for r, label in enumerate(rows):
            hidden = 0 < r <= num_layers
            ax.scatter(t, r, s=420, color="tab:blue" if hidden else "0.85", zorder=2)
            name = label.replace("_t", f"_{t + 1}")
            color = "white" if hidden else "black"
            ax.text(t, r, name, color=color, ha="center", va="center", zorder=3)
            if r > 0:
                style = dict(arrow, linestyle="--" if r > 1 else "-")
                ax.annotate("", (t, r), (t, r - 1), arrowprops=style)
            if 0 < r <= num_layers and t > 0:
                ax.annotate("", (t, r), (t - 1, r), arrowprops=dict(arrow, color="tab:red"))
    ax.set_xlim(-0.6, num_steps - 0.4)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("time step (red: recurrent path, no dropout)")
    ax.set_ylabel("layer")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("A deep RNN unrolled in time (dashed: dropout)")
    fig.tight_layout()
    plt.show()


draw_deep_rnn()

# %% [markdown]
# The graph also shows the order in which the states may be computed. $\mathbf{H}_t^j$ needs
# only the node to its left and the node below it. So one may go **time step by time step**
# (at step $t$, update layer 1, then layer 2, ..., then move on to $t + 1$), or **layer by
# layer** (run layer 1 over the whole sequence, then run layer 2 over the sequence of layer 1's
# outputs, ...). Both orders fill the grid with the same numbers.
#
# ## 7.2 A stack, layer by layer
#
# The layer-by-layer order needs nothing new: a `keras.layers.RNN` already runs one cell over a
# whole sequence, and with `return_sequences=True` it returns all the hidden states, which are
# exactly the input sequence of the next layer. The function below runs a list of such layers
# and collects every layer's final state.


# %%
def run_stack(rnn_layers, inputs):
    """Run recurrent layers bottom to top; return the top outputs and every layer's states.

    Each layer must return its sequence of hidden states and its final state(s)
    (``return_sequences=True, return_state=True``).
    """
    outputs, states = inputs, []
    for layer in rnn_layers:
        outputs, *layer_states = layer(outputs)
        states.append(layer_states)
    return outputs, states


# %% [markdown]
# `rnnkit.layers.Stacked` is the same loop packaged as a Keras layer, with masks, initial
# states, a config, and optional dropout on the sequence each layer hands to the next. Give it
# a list of cells (or of `keras.layers.RNN` layers) and it wraps each one; with
# `return_state=True` it returns the top layer's outputs followed by the final states of all
# layers, flattened bottom first. Here are three LSTM layers of widths 8, 6 and 4
# from the scratch cells of chapter 6, on a batch of 2 sequences of 7 steps with 5 features. We
# run the very same layers through `run_stack` and compare.

# %%
# NBVAL_CHECK_OUTPUT
WIDTHS = (8, 6, 4)
X = np.random.default_rng(0).normal(size=(2, 7, 5)).astype("float32")

stack = Stacked([LSTMCell(units) for units in WIDTHS], return_sequences=True, return_state=True)
top, *stack_states = stack(X)
print("top outputs:", tuple(top.shape))
for j in range(len(WIDTHS)):
    h, c = stack_states[2 * j : 2 * j + 2]
    print(f"layer {j + 1}: H {tuple(h.shape)}, C {tuple(c.shape)}")

by_hand, hand_states = run_stack(stack.rnn_layers, X)
flat_hand_states = [s for layer_states in hand_states for s in layer_states]
diff = max(
    float(np.max(np.abs(a - b)))
    for a, b in zip([top, *stack_states], [by_hand, *flat_hand_states], strict=True)
)
print("max |Stacked - run_stack| < 1e-6:", diff < 1e-6)

# %% [markdown]
# A two-layer LSTM stack of this kind therefore has four state tensors, a three-layer one six.
# `Stacked` hands them out in the order Keras uses, which is also the order in which it accepts
# them back as `initial_state`.
#
# Dropout between layers only acts in training. With `training=False` a stack with dropout must
# give exactly what the same weights give without it; with `training=True` the outputs change,
# but the bottom layer's final state does not, because no dropout stands between the input and
# layer 1.

# %%
# NBVAL_CHECK_OUTPUT
with_dropout = Stacked(
    [GRUCell(6), GRUCell(6)], dropout=0.5, return_sequences=True, return_state=True
)
without = Stacked([GRUCell(6), GRUCell(6)], dropout=0.0, return_sequences=True, return_state=True)
for layer in (with_dropout, without):
    layer.build(X.shape)
without.set_weights(with_dropout.get_weights())

inference = with_dropout(X, training=False)
plain = without(X)
trained = with_dropout(X, training=True)
same = all(np.allclose(a, b, atol=1e-6) for a, b in zip(inference, plain, strict=True))
print("training=False: same as no dropout:", same)
print("training=True:  top outputs differ:", not np.allclose(trained[0], plain[0]))
print("training=True:  layer 1 state unchanged:", np.allclose(trained[1], plain[1], atol=1e-6))

# %% [markdown]
# ## 7.3 `Stacked` against Keras's `StackedRNNCells`
#
# Keras builds deep RNNs the other way round. `keras.layers.StackedRNNCells([cell_1, ...,
# cell_L])` glues the cells into one big cell whose state is the list of all the layers'
# states; `keras.layers.RNN` then runs that big cell time step by time step, each step climbing
# the whole stack. To compare the two we build the Keras twin from built-in `LSTMCell`s of the
# same widths and copy our weights into it with `to_keras` (chapters 5 and 6 showed
# how the per-gate matrices of a scratch cell line up with the fused `kernel`,
# `recurrent_kernel` and `bias` of a built-in one). Keras returns the final states nested per
# layer; we flatten them.

# %%
# NBVAL_CHECK_OUTPUT
twin = keras.layers.RNN(
    keras.layers.StackedRNNCells([keras.layers.LSTMCell(units) for units in WIDTHS]),
    return_sequences=True,
    return_state=True,
)
twin.build(X.shape)
to_keras(stack, twin)

keras_top, *keras_states = twin(X)
print("Keras final states per layer:", [len(layer_states) for layer_states in keras_states])
flat_keras_states = [s for layer_states in keras_states for s in layer_states]
print("max |Stacked - Keras| outputs < 1e-5:", float(np.max(np.abs(top - keras_top))) < 1e-5)
for j in range(len(WIDTHS)):
    pair = zip(stack_states[2 * j : 2 * j + 2], flat_keras_states[2 * j : 2 * j + 2], strict=True)
    state_diff = max(float(np.max(np.abs(a - b))) for a, b in pair)
    print(f"max |Stacked - Keras| layer {j + 1} (H, C) < 1e-5:", state_diff < 1e-5)

# %% [markdown]
# Same forward pass; what about training? Take a loss that depends on every output and every
# final state, and differentiate it with respect to all weights of both stacks. Keras stores
# each layer's gradient fused like its weights, so we arrange our per-gate gradients the same
# way with `fused_weights(cell, values=...)` before comparing.

# %%
# NBVAL_CHECK_OUTPUT
target = np.random.default_rng(1).normal(size=top.shape).astype("float32")


def stack_loss(outputs_and_states):
    """A loss that touches the top outputs and every final state."""
    outputs, *states = keras.tree.flatten(outputs_and_states)
    return tf.reduce_mean((outputs - target) ** 2) + sum(tf.reduce_mean(s**2) for s in states)


with tf.GradientTape(persistent=True) as tape:
    scratch_loss = stack_loss(stack(X))
    keras_loss = stack_loss(twin(X))
print("same loss:", abs(float(scratch_loss) - float(keras_loss)) < 1e-5)

for j, (scratch_cell, keras_cell) in enumerate(zip(cells_of(stack), cells_of(twin), strict=True)):
    scratch_grads = tape.gradient(scratch_loss, scratch_cell.trainable_variables)
    by_gate = {
        v.name: g for v, g in zip(scratch_cell.trainable_variables, scratch_grads, strict=True)
    }
    fused = fused_weights(scratch_cell, values=by_gate)
    worst = 0.0
    for role, grad in fused.items():
        keras_grad = tape.gradient(keras_loss, getattr(keras_cell, role))
        worst = max(worst, float(np.max(np.abs(grad - keras_grad))))
    print(f"layer {j + 1}: max |gradient difference| < 1e-5:", worst < 1e-5)
del tape

# %% [markdown]
# Both loop orders give the same function and the same gradients. Layer by layer is what
# `Stacked` (and a chain of Keras `LSTM` layers) does: each layer is one `RNN` call, so each
# can use its fastest implementation (cuDNN on a GPU) and dropout acts on whole sequences. Time
# step by time step is what you need when the next input depends on the last output, as in
# generating text one character at a time; exercise 2 asks you to write that loop.
#
# ## 7.4 What a layer costs
#
# Layer $j$ of width $h_j$ reading vectors of width $h_{j-1}$ has, per gate or candidate, an
# input matrix of shape $h_{j-1} \times h_j$, a recurrent matrix $h_j \times h_j$ and a bias of
# length $h_j$:
#
# | cell | parameters of one layer |
# |---|---|
# | RNN | $h_j\,(h_{j-1} + h_j + 1)$ |
# | GRU (`reset_after=True`, the default: 2 biases per gate) | $3\,h_j\,(h_{j-1} + h_j + 2)$ |
# | LSTM | $4\,h_j\,(h_{j-1} + h_j + 1)$ |
#
# A language model adds the embedding ($V \times e$ numbers for $V$ tokens and width $e$) and
# the output layer ($h_L V + V$). With equal widths $h$, every layer above the first costs
# about $3 \cdot 2h^2$ (GRU) or $4 \cdot 2h^2$ (LSTM): depth grows the parameter count, and the
# compute per token, linearly.
#
# Section 7.5 compares GRU language models with 1, 2 and 3 layers of 128 units, dropout 0.2
# between layers (so none in the one-layer model), an embedding of width 32, Adam with a
# learning rate of 0.01 (small models take large steps well) and gradients clipped to norm 1.
# Their sizes:

# %%
# NBVAL_CHECK_OUTPUT
COMPARE = {
    "units": 128,
    "embedding_dim": 32,
    "dropout": 0.2,
    "lr": 1e-2,
    "clip": 1.0,
    "batch_size": 64,
    "num_steps": 64,
}
DEPTHS = (1, 2, 3)


def gru_language_model(num_layers, seed=0):
    """A character LM: embedding, `num_layers` built-in GRU layers (with dropout), dense head."""
    keras.utils.set_random_seed(seed)
    stack = Stacked(
        [keras.layers.GRU(COMPARE["units"]) for _ in range(num_layers)],
        dropout=COMPARE["dropout"],
        return_sequences=True,
        return_state=True,
    )
    model = RNNLM(VOCAB_SIZE, stack, encoding="embedding", embedding_dim=COMPARE["embedding_dim"])
    model.zero_state(1)  # builds the weights
    return model


compare_models = {depth: gru_language_model(depth) for depth in DEPTHS}
print("layers  recurrent  embedding + head     total")
for depth, model in compare_models.items():
    recurrent, total = model.rnn.count_params(), model.count_params()
    print(f"{depth:6d}  {recurrent:9,}  {total - recurrent:16,}  {total:8,}")

# %% [markdown]
# Each extra 128-unit GRU layer adds 99,072 parameters, about 1.6 times the whole first layer
# (which reads only 32-wide embeddings).
#
# ## 7.5 One, two or three layers
#
# Now the three models are trained the same way: the same data (random partitioning, 64
# sequences of 64 characters per batch), the same optimizer and the same number of epochs.
# After every epoch Keras reports a quick validation perplexity on the held-out text, cut into
# windows of 256 characters that each start from a zero state; that is cheap, and good enough
# to draw learning curves. The number in the table is the workbook's fair protocol of chapter
# 3, the one the n-gram baselines were scored with: every validation character is predicted
# from all the text before it (the model first reads the end of the training text to warm up
# its state, then carries its state through the validation text): `held_out_perplexity`, on
# the whole validation text (in quick mode on its first `EVAL_CHARS` characters only).


# %%
def training_batches(batch_size, num_steps, seed=0):
    """Random-partitioning batches of the training text, and how many an epoch has."""
    count = num_batches(len(data.train), batch_size, num_steps)
    if MAX_BATCHES is not None:
        count = min(count, MAX_BATCHES)
    batches = random_batches(data.train, batch_size, num_steps, seed=seed)
    return batches.take(count), count


train_batches, batches_per_epoch = training_batches(COMPARE["batch_size"], COMPARE["num_steps"])
valid_windows = sequential_batches(data.valid, 16, 256, offset=0)


comparison = {}
for depth, model in compare_models.items():
    start = time.perf_counter()
    history = train_fit(
        model,
        train_batches,
        COMPARE_EPOCHS,
        COMPARE["lr"],
        clip=COMPARE["clip"],
        optimizer="adam",
        valid=valid_windows,
    )
    seconds = time.perf_counter() - start
    tokens = COMPARE_EPOCHS * batches_per_epoch * COMPARE["batch_size"] * COMPARE["num_steps"]
    comparison[depth] = {
        "curve": history.history["val_perplexity"],
        "seconds": seconds,
        "tokens_per_s": tokens / seconds,
        "held_out": held_out_perplexity(model, data, limit=EVAL_CHARS),
    }
    print(f"{depth} layer(s) trained in {seconds:.0f} s", flush=True)

# %%
print(f"GRU, {COMPARE['units']} units per layer, {COMPARE_EPOCHS} epochs")
print("layers  parameters  train time  tokens/s  held-out perplexity")
for depth, row in comparison.items():
    print(
        f"{depth:6d}  {compare_models[depth].count_params():10,}  {row['seconds']:8.0f} s"
        f"  {row['tokens_per_s']:8,.0f}  {row['held_out']:19.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3))
for depth, row in comparison.items():
    epochs = np.arange(1, len(row["curve"]) + 1)
    ax.plot(epochs, row["curve"], marker="o", label=f"{depth} layer(s)")
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("validation perplexity (windows)")
ax.set_title(f"GRU-{COMPARE['units']} language models of different depths")
ax.legend()
fig.tight_layout()
plt.show()

# %%
ppl = {depth: row["held_out"] for depth, row in comparison.items()}
secs = {depth: row["seconds"] for depth, row in comparison.items()}
# A GRU layer reading d inputs with u units has 3 (d u + u^2 + 2 u) weights (reset_after=True):
# solve 3 (u^2 + (d + 2) u) = weights of the two-layer stack for u.
d = COMPARE["embedding_dim"]
stack_size = compare_models[2].rnn.count_params()
same_size_units = round((-(d + 2) + np.sqrt((d + 2) ** 2 + 4 * stack_size / 3)) / 2)
if ppl[2] < ppl[1] and ppl[3] >= ppl[2]:
    depth_words = "The second layer paid at this budget; the third did not."
elif ppl[3] < ppl[2] < ppl[1]:
    depth_words = "Each layer paid at this budget."
else:
    depth_words = "At this budget, depth did not pay."
display(
    Markdown(
        f"""
What to look for (your numbers depend on the budget and the machine; these are from this run
of {COMPARE_EPOCHS} epochs):

- **Time.** Every layer adds about as much compute per token as the layer below it: training
  took {secs[1]:.0f} s, {secs[2]:.0f} s and {secs[3]:.0f} s for one, two and three layers.
- **Perplexity.** The held-out perplexity went from {ppl[1]:.3f} (one layer) to {ppl[2]:.3f}
  (two) and {ppl[3]:.3f} (three). In the curves, the deepest model is the slowest starter: the
  gradient has to pass through more layers, and a top layer learns little while the layers
  below it still produce near-random features.
- **Per parameter.** A one-layer GRU with as many recurrent parameters as the two-layer stack
  would have about {same_size_units} units. Whether depth or width is the better use of
  parameters is exercise 5.

{depth_words} On a corpus of {len(data.train):,} training characters, deeper stacks pay only with
more data, longer training and residual connections between the layers (exercise 6).
"""
    )
)

# %% [markdown]
# ## 7.6 The strongest character model of the workbook
#
# Chapter 3 tuned a Kneser–Ney model on the validation split and scored it once on the test
# split. Here is that baseline again (the same search, a few seconds):

# %%
# NBVAL_CHECK_OUTPUT
baseline = kneser_ney_baseline(data)
print(f"tuned n-gram: {baseline.name}")
print(f"validation perplexity {baseline.valid_perplexity:.3f}, test {baseline.test_perplexity:.3f}")

# %% [markdown]
# The network we put against it is deeper and wider than in section 7.5, with more
# regularization and two training aids:
#
# - **two LSTM layers of 384 units** on a 32-wide embedding, with **dropout 0.5** between the
#   layers and before the output layer: the network has more capacity than the data can fill,
#   and dropout keeps it from memorising the training text;
# - **Adam** with learning rate 0.003 and the global gradient norm clipped to 1 (chapter 4);
# - **learning-rate decay**: `ReduceLROnPlateau` halves the learning rate whenever the
#   validation loss did not improve in an epoch. Large steps are good early on, small steps help
#   the model settle into a minimum at the end;
# - **keeping the best epoch** (early stopping): `EarlyStopping(restore_best_weights=True)`
#   remembers the weights of the epoch with the lowest validation loss, stops when three epochs
#   in a row bring no improvement, and restores the best weights at the end.
#
# Every one of these settings was chosen by comparing validation perplexities of variants
# (less dropout, dropout between the layers only, other widths), never test ones. Both aids
# watch the quick validation windows of section 7.5, so the epoch we keep is also chosen on
# validation; the test split stays untouched until the end of the section.
#
# **Dropout before the output layer.** `Stacked(dropout=...)` drops the connections between the
# layers of the stack. The connection from the top layer to the output layer is a vertical one
# too, and a model of this size needs dropout there as well. `RNNLM` has no option for it, so we
# add it in a small subclass that changes one line of `call`.
#
# **Budget.** Full mode trains for at most `STRONG_EPOCHS` epochs, a few minutes on a two-core
# CPU. That is not enough for this model to reach its best; subsection "How long the network
# alone needs" below shows the measured long run (`RNNKIT_LONG=1` before starting Jupyter, or
# `LONG_BUDGET = True` below, trains for up to 30 epochs with exactly the same recipe).

# %%
LONG_BUDGET = os.environ.get("RNNKIT_LONG", "0") == "1"
RECIPE = {
    "cell": "LSTM",
    "layers": 2,
    "units": 384,
    "embedding_dim": 32,
    "dropout": 0.5,  # between the two layers (Stacked)
    "output_dropout": 0.5,  # between the top layer and the output layer
    "lr": 3e-3,
    "clip": 1.0,  # global gradient norm
    "batch_size": 64,
    "num_steps": 64,
    "lr_decay_factor": 0.5,  # ReduceLROnPlateau: halve the learning rate ...
    "lr_decay_patience": 1,  # ... after 1 epoch without a better validation loss
    "min_lr": 1e-4,
    "stop_patience": 3,  # EarlyStopping: stop after 3 epochs without improvement
}
STRONG_EPOCHS = runmode.pick(full=30 if LONG_BUDGET else 6, quick=1)
print(f"long budget: {LONG_BUDGET}, at most {STRONG_EPOCHS} epoch(s)")


# %%
class OutputDropoutLM(RNNLM):
    """An `RNNLM` that also drops the top layer's outputs, in training, before the output layer."""

    def __init__(self, vocab_size, recurrent_layer, output_dropout, **kwargs):
        super().__init__(vocab_size, recurrent_layer, **kwargs)
        self.output_dropout = keras.layers.Dropout(output_dropout)

    def call(self, ids, initial_state=None, return_state=False, training=None):
        """As `RNNLM.call`, with dropout between the recurrent layer and the head."""
        outputs = self.rnn(self.encode(ids), initial_state=initial_state, training=training)
        logits = self.head(self.output_dropout(outputs[0], training=training))
        return (logits, list(outputs[1:])) if return_state else logits


# %%
# NBVAL_CHECK_OUTPUT
keras.utils.set_random_seed(0)
strong = OutputDropoutLM(
    VOCAB_SIZE,
    Stacked(
        [keras.layers.LSTM(RECIPE["units"]) for _ in range(RECIPE["layers"])],
        dropout=RECIPE["dropout"],
        return_sequences=True,
        return_state=True,
    ),
    output_dropout=RECIPE["output_dropout"],
    encoding="embedding",
    embedding_dim=RECIPE["embedding_dim"],
)
strong_state = strong.zero_state(1)
print(f"parameters: {strong.count_params():,}")
print("state tensors (H and C of each layer):", [tuple(s.shape) for s in strong_state])


# %% [markdown]
# Training prints one line per epoch; the last column is the learning rate the epoch used.


# %%
class EpochLine(keras.callbacks.Callback):
    """Print one short line per epoch: losses as perplexities, the learning rate, the time."""

    def on_epoch_begin(self, epoch, logs=None):
        self.lr = float(self.model.optimizer.learning_rate)
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        print(
            f"epoch {epoch + 1:2d}  train perplexity {logs['perplexity']:6.3f}  "
            f"validation (windows) {logs['val_perplexity']:6.3f}  lr {self.lr:.1e}  "
            f"{time.perf_counter() - self.start:4.0f} s",
            flush=True,
        )


strong_batches, _ = training_batches(RECIPE["batch_size"], RECIPE["num_steps"])
start = time.perf_counter()
strong_history = train_fit(
    strong,
    strong_batches,
    STRONG_EPOCHS,
    RECIPE["lr"],
    clip=RECIPE["clip"],
    optimizer="adam",
    valid=valid_windows,
    callbacks=[
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss",
            factor=RECIPE["lr_decay_factor"],
            patience=RECIPE["lr_decay_patience"],
            min_lr=RECIPE["min_lr"],
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=RECIPE["stop_patience"], restore_best_weights=True
        ),
        EpochLine(),
    ],
)
strong_minutes = (time.perf_counter() - start) / 60
best_epoch = int(np.argmin(strong_history.history["val_loss"])) + 1
print(f"trained in {strong_minutes:.1f} min; kept the weights of epoch {best_epoch}")

# %% [markdown]
# The verdict on validation, with the fair protocol for both models. The curves are the quick
# windows the callbacks watched; the star and the dashed line are the fair protocol, which is
# the one to compare.

# %%
strong_valid = held_out_perplexity(strong, data, limit=EVAL_CHARS)
print(
    f"validation perplexity: two-layer LSTM-384 {strong_valid:.3f}, "
    f"tuned n-gram {baseline.valid_perplexity:.3f}"
)

fig, ax = plt.subplots(figsize=(6, 3))
epochs = np.arange(1, len(strong_history.history["val_perplexity"]) + 1)
ax.plot(epochs, strong_history.history["perplexity"], marker="o", label="training (dropout on)")
ax.plot(epochs, strong_history.history["val_perplexity"], marker="o", label="validation windows")
ax.plot(best_epoch, strong_valid, "*", markersize=14, label="validation, fair protocol")
ax.axhline(baseline.valid_perplexity, color="0.4", linestyle="--", label="tuned n-gram, fair")
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("perplexity")
ax.set_title("Two-layer LSTM-384")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### What wins in full mode: the network and the n-gram together
#
# The two models are good at different things. The n-gram has memorised every 7-gram or so of
# the book and is sharp wherever the text repeats a phrase; the network generalises across
# similar contexts and can use more than a few characters of history. A **mixture** of the two
# often beats both:
#
# $$p_\text{mix}(w \mid h) = \lambda\, p_\text{LSTM}(w \mid h) + (1 - \lambda)\,
#   p_\text{n-gram}(w \mid h).$$
#
# Both models predict every character from all the text before it, so the mixture does too,
# and its perplexity follows from the two per-character probabilities (`token_log_probs` of
# `rnnkit.lm` and `ngrams.token_log_probs`, the terms whose mean gives each model's
# perplexity). The weight $\lambda$ is one more hyperparameter, so we choose it on validation.

# %%
ngram = baseline.build(VOCAB_SIZE).fit(data.train.tolist())
valid_ids, valid_history = data.held_out("valid")
if EVAL_CHARS is not None:
    valid_ids = valid_ids[:EVAL_CHARS]
log_p = {
    "LSTM": token_log_probs(strong, valid_ids, history=valid_history),
    "n-gram": ngrams.token_log_probs(ngram, valid_ids.tolist(), history=valid_history.tolist()),
}


def mixture_perplexity(weight, lstm_log_p, ngram_log_p):
    """Perplexity of weight * p_LSTM + (1 - weight) * p_ngram, from per-character log probs."""
    mixed = np.logaddexp(np.log(weight) + lstm_log_p, np.log1p(-weight) + ngram_log_p)
    return math.exp(-mixed.mean())


weights = np.linspace(0.05, 0.95, 19)
mix_valid = [mixture_perplexity(w, log_p["LSTM"], log_p["n-gram"]) for w in weights]
best_weight = float(weights[int(np.argmin(mix_valid))])
print(f"chosen on validation: lambda = {best_weight:.2f}, perplexity {min(mix_valid):.3f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(weights, mix_valid, marker=".")
ax.axhline(math.exp(-log_p["n-gram"].mean()), color="0.4", linestyle="--", label="n-gram alone")
ax.axhline(math.exp(-log_p["LSTM"].mean()), color="C1", linestyle=":", label="LSTM alone")
ax.set_xlabel("weight of the LSTM, lambda")
ax.set_ylabel("validation perplexity")
ax.set_title("Mixing the LSTM and the tuned n-gram")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### How long the network alone needs: the long budget
#
# Run with the long budget, this chapter writes what it measured (the time and the scores of
# every epoch, and the final validation and test perplexities) to `07_long_budget.json` next to
# the notebook; the committed file is the record of such a run, and every run prints it. The
# machine that made it is the one named in the file.

# %%
LONG_RECORD = Path("07_long_budget.json")
if LONG_BUDGET:
    strong_test = held_out_perplexity(strong, data, split="test")
    files.write_json(
        LONG_RECORD,
        {
            "recipe": RECIPE,
            "machine": f"{os.cpu_count()} CPU cores",
            "measured": time.strftime("%Y-%m-%d"),
            "epochs": [
                {
                    "epoch": k + 1,
                    "train_perplexity": strong_history.history["perplexity"][k],
                    "valid_windows_perplexity": strong_history.history["val_perplexity"][k],
                }
                for k in range(len(strong_history.history["loss"]))
            ],
            "kept_epoch": best_epoch,
            "training_minutes": strong_minutes,
            "valid_perplexity": strong_valid,
            "test_perplexity": strong_test,
            "baseline": baseline.name,
            "baseline_test_perplexity": baseline.test_perplexity,
        },
    )
if LONG_RECORD.exists():
    record = json.loads(LONG_RECORD.read_text(encoding="utf-8"))
    print(f"long budget, {record['measured']} ({record['machine']}):", end=" ")
    print(f"{len(record['epochs'])} epochs", end=" ")
    print(f"in {record['training_minutes']:.1f} min, kept epoch {record['kept_epoch']}")
    print("epoch  train  validation windows")
    for row in record["epochs"]:
        print(
            f"{row['epoch']:5d}  {row['train_perplexity']:5.3f}  "
            f"{row['valid_windows_perplexity']:18.3f}"
        )
    print(f"validation perplexity (fair): {record['valid_perplexity']:.3f}")
    print(f"test perplexity, two-layer LSTM-384, long budget: {record['test_perplexity']:.3f}")
    print(f"test perplexity, {record['baseline']}: {record['baseline_test_perplexity']:.3f}")
else:
    print("no long-budget record yet: run this chapter once with RNNKIT_LONG=1")

# %% [markdown]
# Perplexity is an average; the text the model writes shows what it has learned. Here is a
# continuation sampled at temperature 0.6 (chapters 4 and 5):

# %%
print(
    generate(
        strong, data.vocab, "the time traveller ", 160, strategy="temperature", temperature=0.6
    )
)

# %% [markdown]
# ### The test split, once
#
# Every choice of this chapter (depths, recipe, epochs, the mixing weight) was made on
# validation. Now each model is scored once on the test split, read after all the text before it:

# %% tags=["headline"]
test_ppl = {f"tuned n-gram ({baseline.name})": baseline.test_perplexity}
for depth, model in compare_models.items():
    test_ppl[f"GRU-{COMPARE['units']}, {depth} layer(s)"] = held_out_perplexity(
        model, data, split="test", limit=EVAL_CHARS
    )
test_ids, test_history = data.held_out("test")
if EVAL_CHARS is not None:
    test_ids = test_ids[:EVAL_CHARS]
test_log_p = {
    "LSTM": token_log_probs(strong, test_ids, history=test_history),
    "n-gram": ngrams.token_log_probs(ngram, test_ids.tolist(), history=test_history.tolist()),
}
test_ppl["two-layer LSTM-384"] = math.exp(-test_log_p["LSTM"].mean())
test_ppl[f"LSTM + n-gram mixture (lambda {best_weight:.2f})"] = mixture_perplexity(
    best_weight, test_log_p["LSTM"], test_log_p["n-gram"]
)
for name, value in test_ppl.items():
    print(f"test perplexity, {name}: {value:.3f}")

# %%
lstm_test = test_ppl["two-layer LSTM-384"]
mix_test = test_ppl[f"LSTM + n-gram mixture (lambda {best_weight:.2f})"]
# The n-gram on exactly the characters the LSTM was scored on (all of the test split in full
# mode, where this is the baseline's test perplexity; its first EVAL_CHARS in quick mode).
ngram_test = math.exp(-test_log_p["n-gram"].mean())
lstm_wins = lstm_test < ngram_test
if LONG_RECORD.exists():
    long_test = record["test_perplexity"]
    long_verdict = (
        f"With the long budget ({record['training_minutes']:.0f} minutes of training, table "
        f"above) the network alone reaches {long_test:.3f} on test, "
        + ("below the n-gram." if long_test < record["baseline_test_perplexity"] else
           f"still above the n-gram's {record['baseline_test_perplexity']:.3f}, although on "
           f"validation it came to {record['valid_perplexity']:.3f}: the epochs and the "
           "learning-rate schedule were chosen on validation, which flatters that number.")
    )  # fmt: skip
else:
    long_verdict = "There is no long-budget record to compare with yet."
if mix_test < min(ngram_test, lstm_test):
    mix_verdict = "Mixing them combines what each does best: the mixture wins on this budget."
else:
    mix_verdict = "Here even the mixture does not beat the better of its two parts."
display(
    Markdown(
        f"""
**The verdict.** On the test split the tuned n-gram scores {ngram_test:.3f} and the two-layer
LSTM, after this run's {len(strong_history.history["loss"])} epoch(s), {lstm_test:.3f}:
{"the network alone wins" if lstm_wins else "the network alone does not win"} within this
budget. The mixture of the two, with its weight chosen on validation, scores {mix_test:.3f},
{"below" if mix_test < ngram_test else "not below"} the n-gram.
A character n-gram sees only a few characters of context but has memorised every such n-gram of
the book; the LSTM can, in principle, use the whole history and generalise across similar
contexts, but it has to learn all of that from {len(data.train):,} characters. {long_verdict}
{mix_verdict}
"""
    )
)

# %% [markdown]
# ### Why the n-gram is so hard to beat here: a learning curve
#
# The verdict depends on how much text there is. A learning curve shows it: train both models
# on the last 1/8, 1/4, 1/2 and all of the training split (the part next to the validation
# text), and score each on the same test split. At every size the n-gram is tuned again on
# validation (order and discount, the search of chapter 3), and the network is the two-layer
# GRU-128 of section 7.5 trained for the same number of gradient steps (a smaller part gets more
# epochs), keeping the epoch with the best validation loss. Only the amount of training text
# changes.

# %%
CURVE_FRACTIONS = runmode.pick(full=(0.125, 0.25, 0.5, 1.0), quick=(0.5, 1.0))
CURVE_ORDERS = runmode.pick(full=range(1, 11), quick=range(1, 4))  # the n-gram search
curve_steps = COMPARE_EPOCHS * batches_per_epoch
learning_curve = []
start = time.perf_counter()
for fraction in CURVE_FRACTIONS:
    size = int(len(data.train) * fraction)
    part = dataclasses.replace(data, train=data.train[-size:])
    part_ngram = kneser_ney_baseline(part, orders=CURVE_ORDERS)
    part_batches_per_epoch = num_batches(size, COMPARE["batch_size"], COMPARE["num_steps"])
    if MAX_BATCHES is not None:
        part_batches_per_epoch = min(part_batches_per_epoch, MAX_BATCHES)
    part_batches = random_batches(part.train, COMPARE["batch_size"], COMPARE["num_steps"], seed=0)
    part_model = gru_language_model(2)
    train_fit(
        part_model,
        part_batches.take(part_batches_per_epoch),
        math.ceil(curve_steps / part_batches_per_epoch),
        COMPARE["lr"],
        clip=COMPARE["clip"],
        optimizer="adam",
        valid=valid_windows,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=10**6,
                                                 restore_best_weights=True)],
    )  # fmt: skip
    learning_curve.append(
        {
            "characters": size,
            "n-gram": part_ngram.test_perplexity,
            "n-gram order": part_ngram.order,
            "GRU": held_out_perplexity(part_model, part, split="test", limit=EVAL_CHARS),
        }
    )
    print(f"{size:7,} training characters done ({time.perf_counter() - start:.0f} s)", flush=True)

print("training characters  n-gram (order)  two-layer GRU-128   (test perplexity)")
for row in learning_curve:
    print(
        f"{row['characters']:19,}  {row['n-gram']:7.3f} ({row['n-gram order']:2d})"
        f"  {row['GRU']:17.3f}"
    )

fig, ax = plt.subplots(figsize=(5, 3))
sizes = [row["characters"] for row in learning_curve]
ax.plot(sizes, [row["n-gram"] for row in learning_curve], marker="o", label="tuned n-gram")
ax.plot(sizes, [row["GRU"] for row in learning_curve], marker="o", label="two-layer GRU-128")
ax.set_xscale("log", base=2)
ax.set_xlabel("training characters (log scale)")
ax.set_ylabel("test perplexity")
ax.set_title("Learning curves on The Time Machine")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
first, last = learning_curve[0], learning_curve[-1]
doublings = math.log2(last["characters"] / first["characters"])
gain = {name: (first[name] - last[name]) / doublings for name in ("n-gram", "GRU")}
gap_first, gap_last = first["GRU"] - first["n-gram"], last["GRU"] - last["n-gram"]
# Slopes within a tenth of each other are the same within what one run can tell apart.
parallel = abs(gain["GRU"] - gain["n-gram"]) < 0.1 * max(abs(gain["GRU"]), abs(gain["n-gram"]))
if gap_last <= 0:
    trend = "At the full size the network is already ahead of the n-gram."
elif parallel:
    trend = (
        "The two curves run almost parallel: every doubling helped both by about the same "
        "amount, so over this range the gap hardly changed."
    )
elif gain["GRU"] > gain["n-gram"]:
    # Straight lines on the log-size axis, continued: where would they meet?
    doublings_to_meet = gap_last / (gain["GRU"] - gain["n-gram"])
    trend = (
        f"Continued as straight lines on this log axis (an extrapolation, not a measurement), "
        f"the curves would meet after about {doublings_to_meet:.0f} more doublings of the text."
    )
else:
    trend = "The n-gram gained more from each doubling, so the gap grew with the text."
if gain["GRU"] > gain["n-gram"] and not parallel:
    lesson = (
        "The network gains more from every doubling than the n-gram does, the pattern behind "
        "the success of recurrent networks on large corpora: an n-gram only counts what it has "
        "seen, while a network generalises across similar contexts."
    )
else:
    lesson = (
        "So this curve does not show the small network catching up on more of the same text. "
        "What makes recurrent networks win on large corpora is more data together with larger "
        "models and longer training (the long-budget run above), which a one-novel, "
        "few-minute budget cannot show."
    )
display(
    Markdown(
        f"""
From {first["characters"]:,} to {last["characters"]:,} training characters, each doubling of
the text lowered the n-gram's test perplexity by {gain["n-gram"]:.3f} on average and the
network's by {gain["GRU"]:.3f}. The network's lag behind the n-gram went from {gap_first:.3f} to
{gap_last:.3f}. {trend} {lesson}
"""
    )
)

# %% [markdown]
# ## Summary
#
# - A deep RNN stacks recurrent layers: $\mathbf{H}_t^j = f_j(\mathbf{H}_{t-1}^j,
#   \mathbf{H}_t^{j-1})$, and only the top layer feeds the output. Each time step then passes
#   through $L$ nonlinear updates instead of one.
# - Its state is the list of every layer's state (two tensors per layer for an LSTM), all of
#   which must be carried from step to step.
# - Dropout goes on the vertical connections (between the layers, and before the output layer),
#   never on the recurrent path.
# - The stack can be computed layer by layer (`rnnkit.layers.Stacked`, a chain of Keras
#   layers) or time step by time step (`keras.layers.StackedRNNCells`); both give the same
#   outputs, states and gradients.
# - Each layer adds about $2 \cdot g\, h^2$ parameters ($g$ = 3 for a GRU, 4 for an LSTM) and a
#   layer's worth of compute per token. On a small corpus, two layers are usually the sweet
#   spot.
# - Section 7.6 puts two LSTM layers of 384 units (dropout, learning-rate decay, the best
#   epoch's weights) against the tuned Kneser–Ney n-gram on the test split, alone and mixed with
#   the n-gram (the weight chosen on validation); its verdict says which wins on the budget, and
#   the long-budget table how long the network alone needs.
# - The learning curve shows how both models improve with more training text, which is what
#   decides the contest on a corpus as small as one novel.

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

BUILT_IN_LAYERS = {
    "rnn": keras.layers.SimpleRNN,
    "gru": keras.layers.GRU,
    "lstm": keras.layers.LSTM,
}
SCRATCH_CELLS = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}


def keras_param_count(kind, vocab_size, embedding_dim, widths):
    """Parameters of an RNNLM over a stack of built-in Keras layers, as Keras counts them."""
    stack = Stacked(
        [BUILT_IN_LAYERS[kind](units) for units in widths],
        return_sequences=True,
        return_state=True,
    )
    model = RNNLM(vocab_size, stack, encoding="embedding", embedding_dim=embedding_dim)
    model.build((None, None))
    return model.count_params()


def stack_reference(kinds, widths, inputs, initial_state, seed):
    """A Stacked of scratch cells, its per-layer cells, and what it computes from the state."""
    keras.utils.set_random_seed(seed)
    stack = Stacked(
        [SCRATCH_CELLS[k](u) for k, u in zip(kinds, widths, strict=True)],
        return_sequences=True,
        return_state=True,
    )
    flat_state = [s for layer_state in initial_state for s in layer_state]
    outputs, *final = stack(inputs, initial_state=flat_state)
    return [layer.cell for layer in stack.rnn_layers], np.asarray(outputs), final


def check_stack_forward(t, deep_stack_forward, step_fns, inputs, states, outputs, final):
    """Compare deep_stack_forward's outputs and per-layer final states with the expected ones."""
    got = t.call(deep_stack_forward, step_fns, inputs, states)
    call = t.tested
    t.true(isinstance(got, (tuple, list)) and len(got) == 2, "the result is (outputs, states)")
    got_outputs, got_states = got
    t.close(np.asarray(got_outputs), outputs, atol=1e-5, tested=f"the outputs of {call}")
    t.equal(len(got_states), len(states), tested=f"the number of layer states of {call}")
    flat = [np.asarray(s) for layer_state in got_states for s in layer_state]
    t.equal(len(flat), len(final), tested=f"the number of state tensors of {call}")
    for i, (a, b) in enumerate(zip(flat, final, strict=True)):
        t.close(a, np.asarray(b), atol=1e-5, tested=f"final state tensor {i} of {call}")


def random_state(kinds, widths, batch, rng):
    """A random initial state per layer: [h] for RNN and GRU, [h, c] for LSTM."""
    return [
        [rng.normal(size=(batch, u)).astype("float32") for _ in range(2 if k == "lstm" else 1)]
        for k, u in zip(kinds, widths, strict=True)
    ]


@exercise(
    "deep_param_count",
    points=2,
    hint="Layer j reads vectors of width widths[j - 1] (embedding_dim for the first layer); "
    "per gate it has an input matrix, a recurrent matrix and a bias (a GRU with "
    "reset_after=True has two biases per gate). Add the embedding table and the output layer "
    "(a weight matrix and a bias).",
)
def _check_deep_param_count(t, deep_param_count):
    got = t.call(deep_param_count, "gru", 10, 5, [4, 3])
    t.equal(got, keras_param_count("gru", 10, 5, [4, 3]))


@exercise(
    "deep_stack_forward",
    points=3,
    hint="Loop over time steps outside and over layers inside: at step t, x = inputs[:, t]; for "
    "each layer j, x, states[j] = step_fns[j](x, states[j]). Collect the top x of every step "
    "and stack them along axis 1.",
)
def _check_deep_stack_forward(t, deep_stack_forward):
    rng = np.random.default_rng(0)
    kinds, widths = ("gru", "lstm"), (4, 3)
    inputs = rng.normal(size=(2, 5, 3)).astype("float32")
    states = random_state(kinds, widths, 2, rng)
    step_fns, outputs, final = stack_reference(kinds, widths, inputs, states, seed=0)
    check_stack_forward(t, deep_stack_forward, step_fns, inputs, states, outputs, final)


# %% [markdown]
# ### Exercise 1: the size of a deep language model (2 points)
#
# Write `deep_param_count(kind, vocab_size, embedding_dim, widths)`: the number of trainable
# parameters of a character language model like those of this chapter, an embedding of width
# `embedding_dim` for `vocab_size` tokens, then a stack of Keras recurrent layers of type `kind`
# (`"rnn"` for `SimpleRNN`, `"gru"` for `GRU` with the default `reset_after=True`, `"lstm"` for
# `LSTM`) whose widths, bottom first, are listed in `widths`, then a dense output layer with
# `vocab_size` outputs. Use the formulas of section 7.4; do not build a Keras layer.
#
# Example: `deep_param_count("gru", 10, 5, [4, 3])` is
# $10 \cdot 5 + 3 \cdot 4 \cdot (5 + 4 + 2) + 3 \cdot 3 \cdot (4 + 3 + 2) + (3 \cdot 10 + 10)
# = 50 + 132 + 81 + 40 = 303$.
#
# Not graded: with your function, find the width $h$ of a one-layer GRU language model that has
# as many parameters as the three-layer model of section 7.4.


# %% exercise="deep_param_count" points=2
def deep_param_count(kind, vocab_size, embedding_dim, widths):
    """Trainable parameters of embedding + stacked `kind` layers (bottom first) + output layer."""
    ### BEGIN SOLUTION
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
    biases = 2 if kind == "gru" else 1
    total, previous = vocab_size * embedding_dim, embedding_dim
    for units in widths:
        total += gates * units * (previous + units + biases)
        previous = units
    return total + previous * vocab_size + vocab_size
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("deep_param_count", deep_param_count)

# %% [markdown]
# ### Exercise 2: a deep RNN, time step by time step (3 points)
#
# Write `deep_stack_forward(step_fns, inputs, states)`, which runs a deep RNN in the time-major
# order of `keras.layers.StackedRNNCells`:
#
# - `step_fns` is a list of $L$ step functions, bottom layer first. `step_fns[j](x, state)`
#   takes the input of layer $j$ at one time step, of shape `(batch, width)`, and the layer's
#   state (a list of tensors: `[h]` for an RNN or a GRU, `[h, c]` for an LSTM) and returns
#   `(output, new_state)`. The cells of `rnnkit.layers` are such functions: `cell(x, [h])`.
# - `inputs` has shape `(batch, T, d)`; `states` is a list of the $L$ layers' initial states.
# - Return `(outputs, final_states)`: `outputs` of shape `(batch, T, h_L)` holds the top
#   layer's output at every step, and `final_states` is the list of every layer's state after
#   the last step, in the same format as `states`.
#
# Do not use `keras.layers.RNN` or `Stacked`; a Python loop over the time steps is what is
# asked. The check compares your function with `Stacked` over the same cells.
#
# Not graded: time your function and `Stacked` on a batch of 64 sequences of 100 steps. Why is
# the Python loop so much slower, and what would `tf.function` change?


# %% exercise="deep_stack_forward" points=3
def deep_stack_forward(step_fns, inputs, states):
    """Run per-layer step functions over `inputs`, time step by time step; carry every state."""
    ### BEGIN SOLUTION
    states = list(states)
    outputs = []
    for t in range(inputs.shape[1]):
        x = inputs[:, t]
        for j, step in enumerate(step_fns):
            x, states[j] = step(x, states[j])
        outputs.append(x)
    return np.stack([np.asarray(o) for o in outputs], axis=1), states
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("deep_stack_forward", deep_stack_forward)

# %% [markdown]
# ### More exercises and questions
#
# 3. **Dropout on the recurrent path (question).** Suppose a fresh dropout mask with rate 0.4
#    were applied to $\mathbf{H}_{t-1}^j$ at every step before layer $j$ reads it. What fraction
#    of a single hidden unit's value survives 10 steps untouched? Explain why that hurts memory,
#    and why Keras's `recurrent_dropout`, which keeps one mask for a whole sequence, does not
#    have the same problem. Train the model of section 7.5 with `keras.layers.GRU(128,
#    recurrent_dropout=0.2)` and compare speed and perplexity (on a GPU, `recurrent_dropout`
#    also disables cuDNN).
# 4. **Which layer remembers longer?** Take the trained `strong` model, feed it a stretch of
#    validation text twice, once unchanged and once with one character replaced, and plot, for
#    each layer, the distance between the two runs' hidden states over the following steps.
#    Does the upper layer keep the change longer than the lower one?
# 5. **Width against depth.** With `deep_param_count`, pick a one-layer GRU with as many
#    parameters as the two-layer GRU-128 of section 7.5 and train both for the same number of
#    epochs. Which is better per parameter, which per second of training?
# 6. **Residual connections.** Write a small layer that runs a stack of equal-width GRU layers
#    and adds each layer's input to its output ($\mathbf{H}_t^j + \mathbf{H}_t^{j-1}$ instead of
#    $\mathbf{H}_t^j$ for $j \ge 2$). Does a three- or four-layer stack train faster with them?
#    Why do they help gradients reach the lower layers?
# 7. **Stateful training.** Train the recipe of section 7.6 with
#    `train_custom(..., stateful=True)` on `sequential_batches`, so each batch
#    starts from the state the previous batch ended in. With a deep model, how many tensors does
#    the training loop have to carry? Does the held-out perplexity improve?
# 8. **Tuning the recipe.** Change one ingredient of `RECIPE` at a time (dropout 0.2 or 0.5,
#    three layers, no learning-rate decay, no early stopping) and record the held-out
#    perplexity. Which ingredient matters most? Why should you not compare the variants by their
#    training perplexity?
