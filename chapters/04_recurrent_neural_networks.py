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
# # Chapter 4: Recurrent neural networks
#
# The n-gram models of chapter 3 forget everything older than their last $n - 1$ tokens, and
# every extra token of context multiplies the number of counts they must estimate. A recurrent
# neural network (RNN) takes another route: it reads a text one token at a time and keeps a
# fixed-size summary of everything it has read so far, its *hidden state*. This chapter builds
# such a network from scratch, trains it as a character-level language model on *The Time
# Machine*, looks at why training it is delicate, and then does the same with Keras' built-in
# layer.
#
# **What you will learn**
#
# - the hidden-state update $H_t = \phi(X_t W_{xh} + H_{t-1} W_{hh} + b_h)$ and the output
#   $O_t = H_t W_{hq} + b_q$, and how they turn a network into a next-token predictor;
# - why a one-hot input times a weight matrix is just a table lookup (an embedding);
# - how to train an RNN language model, measure its perplexity fairly against the n-gram
#   baseline, and generate text with it;
# - backpropagation through time: why gradients vanish or explode over many steps, and how
#   gradient clipping keeps training stable;
# - random versus sequential (stateful) minibatches, and what carrying the state buys;
# - the concise version with `keras.layers.SimpleRNN`, and how its weights line up with ours.

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from rnnkit import runmode

MODE = runmode.setup(seed=0)
print("mode:", MODE)

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from matplotlib.ticker import MaxNLocator

from rnnkit.data import num_batches, random_batches, sequential_batches
from rnnkit.layers import RNNCell, to_keras
from rnnkit.lm import (
    RNNLM,
    WARMUP,
    TrainingDivergedError,
    char_corpus,
    clip_gradients,
    evaluate_perplexity,
    generate,
    global_norm,
    held_out_perplexity,
    kneser_ney_baseline,
    loss_and_gradients,
    token_loss,
    train_custom,
)

data = char_corpus()
vocab = data.vocab
V = len(vocab)

# Model and batch sizes are the same in both modes; only the amount of training changes.
HIDDEN = 256
BATCH_SIZE, NUM_STEPS = 32, 35
LR, CLIP = 0.005, 1.0
FULL_EPOCH = num_batches(len(data.train), BATCH_SIZE, NUM_STEPS)
BATCHES = runmode.pick(full=FULL_EPOCH, quick=6)  # batches per epoch
EPOCHS = runmode.pick(full=20, quick=2)  # the main scratch model and its Keras twin
SHORT_EPOCHS = runmode.pick(full=5, quick=2)  # the partitioning comparison
CLIP_DEMO_EPOCHS = runmode.pick(full=2, quick=1)  # the runs with and without clipping

# %% [markdown]
# ## 4.1 A hidden state
#
# A language model predicts token $t + 1$ from tokens $1, \dots, t$. Chapter 3 cut that history
# down to a fixed window. An RNN instead keeps a vector $H_t$ with $h$ numbers, the **hidden
# state**, and updates it with every token it reads. For a minibatch of $n$ sequences, with
# $X_t \in \mathbb{R}^{n \times d}$ the inputs at step $t$ and $H_{t-1} \in \mathbb{R}^{n \times h}$
# the state before it,
#
# $$H_t = \phi(X_t W_{xh} + H_{t-1} W_{hh} + b_h), \qquad O_t = H_t W_{hq} + b_q.$$
#
# - $W_{xh} \in \mathbb{R}^{d \times h}$ reads the new input, $W_{hh} \in \mathbb{R}^{h \times h}$
#   reads the previous state, $b_h \in \mathbb{R}^{1 \times h}$ is a bias, and $\phi$ is a
#   nonlinearity (here $\tanh$, which keeps every entry of $H_t$ in $(-1, 1)$).
# - $O_t \in \mathbb{R}^{n \times q}$ are the outputs; for a language model $q = V$, the vocabulary
#   size, and row $i$ of $O_t$ holds the logits of the next token of sequence $i$.
# - The **same** weights are used at every step. The number of parameters does not grow with the
#   length of the text, and what the network learns about "th" at one position it knows
#   everywhere.
#
# Drop the term $H_{t-1} W_{hh}$ and you get a plain MLP with one hidden layer applied to each
# token on its own: $H_t = \phi(X_t W_{xh} + b_h)$. Its prediction for token $t + 1$ depends
# only on token $t$, so at best it is a bigram model. The recurrent term is what lets
# information flow from step to step: $H_t$ depends on $X_t$ and on $H_{t-1}$, which depends on
# $X_{t-1}$ and $H_{t-2}$, and so on back to the start.
#
# Trained as a language model, the network reads the text and at every step guesses the next
# token. The targets are therefore the inputs shifted by one position:

# %%
# NBVAL_CHECK_OUTPUT
piece = data.text[:21]
print("step    " + "".join(f"{t:>3d}" for t in range(1, len(piece))))
print("input   " + "".join(f"{c:>3s}" for c in piece[:-1].replace(" ", "_")))
print("target  " + "".join(f"{c:>3s}" for c in piece[1:].replace(" ", "_")))

# %% [markdown]
# (The `_` marks a space, itself a token.) At step 5 the network has read "the t" and should
# predict "i"; to do so, $H_5$ must have kept enough about the earlier characters. The loss is
# the cross-entropy of every prediction, averaged over all steps and all sequences of the
# minibatch: exactly the quantity whose exponential is the perplexity of chapter 3.
#
# ## 4.2 Feeding tokens in: one-hot vectors
#
# The network needs vectors, the text gives token ids. The simplest encoding is the **one-hot
# vector**: token $i$ becomes the vector of length $V$ that is 1 at position $i$ and 0
# elsewhere. Our vocabulary has $V = 28$ tokens: `<unk>`, the space and the 26 letters.

# %%
# NBVAL_CHECK_OUTPUT
print(f"V = {V}: {vocab.to_tokens(list(range(V)))}")
ids = np.array(vocab[list("the")])
one_hot = keras.ops.one_hot(ids, V)
print("ids of 't', 'h', 'e':", ids.tolist())
print("one-hot shape:", tuple(one_hot.shape))
for char, row in zip("the", np.asarray(one_hot).astype(int), strict=True):
    print(f"  {char}: {''.join(map(str, row))}")

# %% [markdown]
# A one-hot row vector $e_i^\top$ times a matrix $W \in \mathbb{R}^{V \times d}$ is just row $i$
# of $W$: all the other rows are multiplied by zero. So the first term of the update,
# $X_t W_{xh}$, *looks up* one row of $W_{xh}$ per token, which is what an embedding layer does
# with a table. Here is the same table used both ways:

# %%
# NBVAL_CHECK_OUTPUT
# Small integers: every product and sum is exact, on a CPU or on a GPU that uses TF32 matmuls.
table = np.random.default_rng(0).integers(-9, 10, size=(V, 5)).astype("float32")
embedding = keras.layers.Embedding(V, 5, embeddings_initializer=keras.initializers.Constant(table))
batch_ids = np.array(vocab[[list("time"), list("mach")]])  # a batch of 2 sequences of 4 tokens
by_matmul = keras.ops.matmul(keras.ops.one_hot(batch_ids, V), table)
by_lookup = embedding(batch_ids)
print("one_hot(ids) @ W shape:", tuple(by_matmul.shape), "  Embedding(ids) shape:", by_lookup.shape)
print("identical:", bool(np.array_equal(by_matmul, by_lookup)))

# %% [markdown]
# The two are the same function; they differ in cost. The matmul spends $V \times d$
# multiply-adds per token (almost all of them on zeros), the lookup copies $d$ numbers. With 28
# characters that does not matter, and one-hot inputs keep the model exactly as in the formulas,
# so this chapter uses them (`RNNLM(..., encoding="one_hot")`, the default). With a vocabulary of
# 10,000 words a learned embedding (`encoding="embedding"`) of a few hundred dimensions is far
# cheaper, and it lets the model choose the size $d$ of its input vectors.
#
# ## 4.3 One step by hand, then the language model
#
# Written with `keras.ops`, one step of the update is one line:


# %%
def rnn_step(X_t, H_prev, W_xh, W_hh, b_h):
    """One RNN step: H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h)."""
    return keras.ops.tanh(keras.ops.matmul(X_t, W_xh) + keras.ops.matmul(H_prev, W_hh) + b_h)


# %% [markdown]
# Let us run it on a tiny example: a batch of two sequences, "the" and "tim", and a hidden state
# of only $h = 3$ numbers, with weights drawn from a seeded NumPy generator. The state starts at
# zero, $H_0 = 0$. Then we give the same weights to `rnnkit.layers.RNNCell`, the scratch cell this
# workbook uses, and let `keras.layers.RNN` run it over the sequences. `RNNCell` stores its
# weights under the names of the formula, `W_xh`, `W_hh` and `b_h`.

# %%
rng = np.random.default_rng(1)
toy_W_xh = rng.normal(scale=0.5, size=(V, 3)).astype("float32")
toy_W_hh = rng.normal(scale=0.5, size=(3, 3)).astype("float32")
toy_b_h = np.array([0.1, 0.0, -0.1], dtype="float32")
toy_ids = np.array(vocab[[list("the"), list("tim")]])
toy_X = keras.ops.one_hot(toy_ids, V)  # (batch 2, steps 3, V)

H = keras.ops.zeros((2, 3))
by_hand = []
for t in range(3):
    H = rnn_step(toy_X[:, t], H, toy_W_xh, toy_W_hh, toy_b_h)
    by_hand.append(H)
    print(f"H_{t + 1} =", np.round(np.asarray(H, dtype="float64"), 4).tolist())

# %%
# NBVAL_CHECK_OUTPUT
toy_cell = RNNCell(3)
toy_layer = keras.layers.RNN(toy_cell, return_sequences=True, return_state=True)
toy_layer.build((None, 3, V))
for variable, value in (
    (toy_cell.W_xh, toy_W_xh),
    (toy_cell.W_hh, toy_W_hh),
    (toy_cell.b_h, toy_b_h),
):
    variable.assign(value)
H_1, _ = toy_cell(toy_X[:, 0], [keras.ops.zeros((2, 3))])
outputs, final_state = toy_layer(toy_X)
print("cell, one step == H_1 by hand:  ", np.allclose(H_1, by_hand[0], atol=1e-6))
print(
    "RNN layer outputs == H_1..H_3:  ", np.allclose(outputs, np.stack(by_hand, axis=1), atol=1e-6)
)
print("RNN layer final state == H_3:   ", np.allclose(final_state, by_hand[-1], atol=1e-6))

# %% [markdown]
# Both sequences start with "t", so $H_1$ is the same for both rows. At step 2 they read
# different letters and their states part ways; at step 3 the states differ both because the
# letters differ and because the previous states did.
#
# The language model wraps the recurrent layer between the one-hot encoding and a dense output
# layer (`rnnkit.lm.RNNLM`): token ids `(batch, T)` become one-hot vectors `(batch, T, V)`, the
# `keras.layers.RNN` over our cell turns them into hidden states `(batch, T, h)`, and the `head`
# (a `Dense(V)`, holding $W_{hq}$ and $b_q$) turns every state into next-token logits
# `(batch, T, V)`. `return_sequences=True` makes the layer return $H_t$ at every step, since we
# predict at every step; `return_state=True` also returns the last state, so that it can be
# carried into the next chunk of text (section 4.7, and text generation).
#
# We use $h = 256$ hidden units, minibatches of 32 sequences of 35 characters, and random
# partitioning (chapter 3) for training.


# %%
def make_scratch_lm():
    """A character language model around the scratch RNN cell with HIDDEN units."""
    layer = keras.layers.RNN(RNNCell(HIDDEN), return_sequences=True, return_state=True)
    return RNNLM(V, layer)


def random_train_batches(seed=0):
    """An epoch of random-partition training batches (BATCHES of them)."""
    return random_batches(data.train, BATCH_SIZE, NUM_STEPS, seed=seed).take(BATCHES)


model = make_scratch_lm()
X, Y = next(iter(random_train_batches()))
logits, state = model(X, return_state=True)

# %%
# NBVAL_CHECK_OUTPUT
print("X:", tuple(X.shape), " Y:", tuple(Y.shape), " logits:", tuple(logits.shape))
print("state:", [tuple(s.shape) for s in state])
print("X[0, 1:] == Y[0, :-1]:", bool(np.array_equal(X[0, 1:], Y[0, :-1])))
rnn_cell = model.rnn.cell
for name, variable in (
    ("W_xh", rnn_cell.W_xh),
    ("W_hh", rnn_cell.W_hh),
    ("b_h", rnn_cell.b_h),
    ("W_hq", model.head.kernel),
    ("b_q", model.head.bias),
):
    print(
        f"  {name:5s} {str(tuple(variable.shape)):11s} {int(np.prod(variable.shape)):6,} parameters"
    )
print(f"total: {model.count_params():,} parameters")

# %% [markdown]
# Four parameters in five sit in $W_{hh}$: $256^2 = 65{,}536$ numbers. An untrained model spreads
# its guesses almost evenly over the 28 tokens, so its perplexity should be close to $V = 28$:

# %%
untrained_loss = float(token_loss(Y, logits))
print(f"untrained: loss {untrained_loss:.3f} nats, perplexity {math.exp(untrained_loss):.2f}")

# %% [markdown]
# ## 4.4 Backpropagation through time, and gradient clipping
#
# To train, we need the gradient of the loss with respect to the shared weights. Unroll the
# network over the $T$ steps of a sequence: it becomes a deep feed-forward network with $T$
# layers that all share $W_{xh}$, $W_{hh}$ and $b_h$. Backpropagation through this unrolled graph
# is called **backpropagation through time** (BPTT). Keras does it for us, but its structure
# explains the main difficulty of RNNs.
#
# Take the loss $\ell_T$ of the prediction at the last step. It depends on an earlier state
# $H_t$ only through the chain $H_t \to H_{t+1} \to \dots \to H_T$. Write one example's state as
# a column vector $h_s$, so that $h_s = \phi(a_s)$ with $a_s = W_{hh}^\top h_{s-1} +
# W_{xh}^\top x_s + b_h$. The chain rule gives
#
# $$\frac{\partial \ell_T}{\partial h_t} =
#   \Big(\prod_{s=t+1}^{T} J_s\Big)^{\!\top} \frac{\partial \ell_T}{\partial h_T},
#   \qquad J_s = \frac{\partial h_s}{\partial h_{s-1}} = \operatorname{diag}\big(\phi'(a_s)\big)
#   W_{hh}^\top,$$
#
# with the product ordered $J_T J_{T-1} \cdots J_{t+1}$. That is a product of $T - t$ matrices,
# and such products behave like powers: their norm grows or shrinks roughly geometrically,
# $\gamma^{T-t}$ for some per-step factor $\gamma$.
#
# - If $\gamma < 1$, gradients **vanish**: what happened 30 steps ago has almost no influence on
#   the gradient, so the network cannot learn that it matters. Since $|\tanh'| \le 1$, this is
#   guaranteed when the largest singular value of $W_{hh}$ is below 1, and saturated units
#   ($\tanh' \approx 0$) push $\gamma$ further down.
# - If $\gamma > 1$, gradients **explode**: a few distant steps dominate, and one gradient can
#   be millions of times larger than the one before it. A gradient step that large throws the
#   weights far away from anything sensible.
#
# The gradient with respect to $W_{hh}$ itself is a sum over all steps of terms that contain
# these products, so it inherits both problems.
#
# Two practical remedies come with every RNN training loop:
#
# - **Truncated BPTT.** Backpropagate through at most `num_steps` steps (35 here): the
#   minibatches are chunks of 35 characters, and no gradient flows across a chunk boundary.
#   That bounds the cost and the memory of a step, at the price of never learning from
#   dependencies longer than the chunk through the gradient.
# - **Gradient clipping.** Treat all gradients of all weights as one long vector $g$ and rescale
#   it when its norm exceeds a threshold $\theta$:
#
# $$g \leftarrow \min\Big(1, \frac{\theta}{\lVert g \rVert}\Big)\, g.$$
#
# Clipping keeps the direction of the step and caps its length at $\theta$ times the learning
# rate. It does nothing against vanishing gradients (that needs the gated cells of the next
# chapters), but it turns a catastrophic exploding step into an ordinary one. Written with
# TensorFlow ops:


# %%
def clip_gradients_by_hand(grads, theta):
    """Rescale all gradients together to global norm at most theta; return (clipped, norm)."""
    norm = tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(g)) for g in grads]))
    scale = tf.minimum(1.0, theta / norm)
    return [g * scale for g in grads], norm


# %% [markdown]
# `rnnkit.lm.clip_gradients` is the workbook's version (it also skips `None` gradients of
# unused variables), and TensorFlow ships the same rule as `tf.clip_by_global_norm`. Let us check
# all three on the real gradients of the untrained model on one minibatch, once with a threshold
# below the norm (the gradients get scaled down) and once above it (nothing changes):

# %%
# NBVAL_CHECK_OUTPUT
_, grads, _ = loss_and_gradients(model, X, Y)
norm = float(global_norm(grads))
for theta in (0.5 * norm, 2.0 * norm):
    mine, my_norm = clip_gradients_by_hand(grads, theta)
    rnnkit_clipped, rnnkit_norm = clip_gradients(grads, theta)
    tf_clipped, tf_norm = tf.clip_by_global_norm(grads, theta)
    gap_rnnkit, gap_tf = (
        max(float(tf.reduce_max(tf.abs(a - b))) for a, b in zip(mine, other, strict=True))
        for other in (rnnkit_clipped, tf_clipped)
    )
    new_norm = float(global_norm(mine))
    print(f"theta = {theta / norm:.1f} x norm:")
    same_norms = [abs(float(n) - norm) < 1e-5 * norm for n in (my_norm, rnnkit_norm, tf_norm)]
    print("  same norm by hand, in rnnkit and in tf:", all(same_norms))
    print(
        "  same clipped gradients as rnnkit and tf:", gap_rnnkit < 1e-6 * norm, gap_tf < 1e-6 * norm
    )
    print("  norm after clipping = min(norm, theta):", abs(new_norm - min(norm, theta)) < 1e-5)

# %% [markdown]
# ## 4.5 Training the scratch RNN language model
#
# Training is a loop over minibatches. For each one: run the model on the inputs, take the mean
# cross-entropy against the next characters, let `tf.GradientTape` compute its gradients (that
# is BPTT over the 35 steps), clip them, and take an optimizer step. Every minibatch starts from
# the zero state, since its rows come from random places in the book. Here is that loop, written
# out, for a few batches:


# %%
def train_by_hand(lm_model, batches, lr, theta):
    """Truncated BPTT, written out: loss, gradients, clipping, one Adam step per minibatch."""
    optimizer = keras.optimizers.Adam(lr)
    losses = []
    for X_batch, Y_batch in batches:
        with tf.GradientTape() as tape:
            batch_logits = lm_model(X_batch, training=True)
            loss = keras.ops.mean(
                keras.losses.sparse_categorical_crossentropy(
                    Y_batch, batch_logits, from_logits=True
                )
            )
        grads = tape.gradient(loss, lm_model.trainable_variables)
        grads, _ = clip_gradients_by_hand(grads, theta)
        optimizer.apply_gradients(zip(grads, lm_model.trainable_variables, strict=True))
        losses.append(float(loss))
    return losses


# %% [markdown]
# `train_custom` from `rnnkit.lm` is this same loop, compiled with `tf.function` and with what
# a long run needs around it: it records the loss and gradient norm of every step and the
# perplexity of every epoch (on the training batches and on batches cut the same way from the
# validation text), stops with a clear error if the loss becomes NaN, can carry the state from
# batch to batch, and can save and resume from checkpoints. Trained from the same starting
# weights on the same batches, the two take the same steps:

# %%
# Four fixed minibatches (a random-batch dataset draws new ones each time it is read).
demo_X, demo_Y = zip(*random_train_batches(seed=5).take(4), strict=True)
demo_batches = tf.data.Dataset.from_tensor_slices((np.stack(demo_X), np.stack(demo_Y)))
twins = [make_scratch_lm() for _ in range(2)]
twins[0](X)
twins[1](X)
twins[1].set_weights(twins[0].get_weights())
by_hand = train_by_hand(twins[0], demo_batches, LR, CLIP)
library = train_custom(twins[1], demo_batches, 1, LR, clip=CLIP, optimizer="adam", log_every=0)
print("step losses by hand:   ", " ".join(f"{x:.4f}" for x in by_hand))
print("step losses of rnnkit: ", " ".join(f"{x:.4f}" for x in library.step_loss))
weight_gap = max(
    float(np.max(np.abs(a - b)))
    for a, b in zip(twins[0].get_weights(), twins[1].get_weights(), strict=True)
)
print("same losses:", np.allclose(by_hand, library.step_loss, atol=1e-4))
print("same weights afterwards:", weight_gap < 1e-4)

# %% [markdown]
# Now the real run, with `train_custom`: Adam, learning rate `LR`, clipping at $\theta = 1$.


# %%
def train_char_lm(lm_model):
    """This chapter's training recipe: EPOCHS of random batches, Adam at LR, clipping at CLIP."""
    return train_custom(
        lm_model,
        random_train_batches(),
        EPOCHS,
        LR,
        clip=CLIP,
        optimizer="adam",
        valid=random_batches(data.valid, BATCH_SIZE, NUM_STEPS, seed=1),
        vocab=vocab,
        log_every=5,
    )


history = train_char_lm(model)

# %% [markdown]
# The validation perplexity of that log is a quick check, not the number we report: every
# validation chunk starts from a zero state, so its first characters are predicted with no
# context at all. We report the **held-out perplexity by the protocol of chapter 3**, the one the
# n-gram baselines were measured with: the model reads the validation text as one long sequence,
# right after the end of the training text (it warms up its state on the last `WARMUP`
# training characters), and every validation character is predicted from everything before
# it. The baseline is the Kneser–Ney model that chapter 3 tuned on the validation split.
#
# Written out, the protocol reads the history to build up the state, then walks through the
# scored text in chunks, carrying the state from one chunk to the next, and adds up the log
# probability of every character that belongs to the scored text:


# %%
def fair_perplexity_by_hand(lm_model, tokens, history, chunk=2048):
    """Perplexity of `tokens`, each character predicted from `history` and all before it."""
    text = np.concatenate([history, tokens])
    inputs, targets = text[:-1], text[1:]
    scored = np.arange(len(targets)) >= len(history) - 1  # targets that belong to `tokens`
    state = lm_model.zero_state(1)
    total = 0.0
    for start in range(0, len(inputs), chunk):
        chunk_logits, state = lm_model.step(inputs[None, start : start + chunk], state)
        log_p = np.asarray(tf.nn.log_softmax(chunk_logits[0]), dtype=np.float64)
        picked = log_p[np.arange(len(log_p)), targets[start : start + chunk]]
        total += picked[scored[start : start + chunk]].sum()
    return math.exp(-total / scored.sum())


# %% [markdown]
# `evaluate_perplexity(model, tokens, history, warmup=WARMUP)` from `rnnkit.lm` is the same
# computation (it reads only the last `WARMUP` characters of the history: the state has
# forgotten anything older), and `held_out_perplexity(model, data)` is that call on this
# chapter's validation split. The rest of the workbook uses it, so every chapter scores the same
# way.

# %%
baseline = kneser_ney_baseline(data)
scratch_ppl = held_out_perplexity(model, data)
by_hand = fair_perplexity_by_hand(model, data.valid, data.train[-WARMUP:])
same = evaluate_perplexity(model, data.valid, history=data.train, warmup=WARMUP)
print(f"warm-up: the last {WARMUP:,} training characters")
print("by hand and rnnkit agree:", abs(by_hand - scratch_ppl) < 1e-4 * scratch_ppl)
assert same == scratch_ppl
for name, ppl in (
    ("uniform guess", V),
    (f"{baseline.name} (chapter 3)", baseline.valid_perplexity),
    (f"scratch RNN, {EPOCHS} epochs", scratch_ppl),
):
    print(f"{name:40s} validation perplexity {ppl:.3f}")

# %%
epochs = np.arange(1, history.epochs + 1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(epochs, history.perplexity, marker="o", label="training batches")
ax.plot(epochs, history.val_perplexity, marker="o", label="validation batches")
ax.axhline(scratch_ppl, color="C2", linestyle=":", label="held out, chapter-3 protocol")
ax.axhline(baseline.valid_perplexity, color="gray", linestyle="--", label="tuned Kneser-Ney")
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("perplexity")
ax.set_title("Scratch RNN language model")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Training and validation perplexity fall together at first. Later the validation curve
# flattens while the training curve keeps falling: the model starts to learn the particulars of
# its training text rather than of English, and more epochs would buy little. The held-out
# perplexity is better than the chunked validation number, because it gives the model context
# for every character. After a minute or two of training on a CPU the plain RNN is far better
# than the uniform guess but, as the table shows, still well short of the tuned Kneser–Ney
# baseline. The gated cells of the next chapters narrow that gap.
#
# ### Generating text
#
# `generate` reads a prefix, then repeatedly feeds the model its own last output.
# *Greedy* decoding always takes the most likely character; *sampling* draws the next character
# from the softmax of the logits divided by a temperature (below 1 sharpens the distribution).

# %%
for prefix in ("time traveller", "the machine"):
    greedy = generate(model, vocab, prefix, 60)
    sampled = generate(model, vocab, prefix, 60, "temperature", temperature=0.7, seed=0)
    print(f"greedy:  {greedy!r}")
    print(f"sampled: {sampled!r}")

# %% [markdown]
# Greedy decoding produces words and even short phrases of the book, but it soon falls into a
# loop: once the state repeats, so does everything after it. Sampling avoids the loops at the
# price of invented words. Both show what the model learned: spelling, common words, spaces in
# the right places, and little grammar beyond a few words.

#
# ## 4.6 Vanishing and exploding gradients, measured
#
# ### How far back does the gradient reach?
#
# We now measure $\lVert \partial \ell_T / \partial H_t \rVert$ in the trained model. We take 16
# stretches of 80 validation characters, run our `rnn_step` over them in a Python loop with the
# trained weights, and compute the loss $\ell_T$ of the prediction after the last character only.
# `tf.GradientTape` gives the gradient with respect to every intermediate state if we ask it to
# *watch* those states. To see the role of $W_{hh}$, we repeat this with $W_{hh}$ rescaled to
# other spectral radii $\rho$ (the largest absolute eigenvalue). The computation runs in float64,
# so that tiny and huge values do not underflow or overflow.

# %%
GRAD_STEPS = 80
starts = np.arange(16) * 1000
stretches = np.stack([data.valid[s : s + GRAD_STEPS + 1] for s in starts])


def hidden_state_gradient_norms(W_hh, ids):
    """Mean norm of d loss_T / d H_t over the rows of ids, indexed by the distance T - t."""
    W_xh, b_h, W_hq, b_q = (
        tf.cast(v, tf.float64)
        for v in (rnn_cell.W_xh, rnn_cell.b_h, model.head.kernel, model.head.bias)
    )
    X = tf.one_hot(ids[:, :-1], V, dtype=tf.float64)
    H = tf.zeros((ids.shape[0], HIDDEN), dtype=tf.float64)
    states = []
    with tf.GradientTape() as tape:
        for t in range(ids.shape[1] - 1):
            H = rnn_step(X[:, t], H, W_xh, W_hh, b_h)
            tape.watch(H)
            states.append(H)
        loss = token_loss(ids[:, -1], H @ W_hq + b_q)
    grads = tape.gradient(loss, states)
    norms = [float(tf.reduce_mean(tf.norm(g, axis=-1))) for g in grads]
    return np.array(norms[::-1])  # entry k: distance T - t = k


trained_W_hh = tf.cast(rnn_cell.W_hh, tf.float64)
rho = float(np.max(np.abs(np.linalg.eigvals(trained_W_hh.numpy()))))
radii = {"rho = 0.5": 0.5, "rho = 1": 1.0, f"trained, rho = {rho:.2f}": rho, "2 x trained": 2 * rho}
gradient_norms = {
    label: hidden_state_gradient_norms(trained_W_hh * (radius / rho), stretches)
    for label, radius in radii.items()
}
distance = np.arange(GRAD_STEPS)
print("W_hh            gradient norm at distance 0, 10, 40      factor per step")
for label, norms in gradient_norms.items():
    # The slope of log(norm) over distances 10..end is the per-step factor gamma.
    gamma = math.exp(np.polyfit(distance[10:], np.log(norms[10:]), 1)[0])
    print(f"{label:22s} {norms[0]:9.2e} {norms[10]:9.2e} {norms[40]:9.2e}      {gamma:.2f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for label, norms in gradient_norms.items():
    ax.semilogy(distance, norms, label=label)
ax.set_xlabel("distance T - t (characters back)")
ax.set_ylabel("||d loss_T / d H_t||")
ax.set_title("Gradient reaching back in time")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# On a log scale each curve is close to a straight line: the gradient is multiplied by roughly
# the same factor $\gamma$ for every step back, as the product formula predicts.
#
# - With $\rho = 0.5$ or $\rho = 1$ the gradient vanishes fast: every step back costs far more
#   than a factor of $\rho$, because $\tanh'$ is below 1 too.
# - The trained $W_{hh}$ has a spectral radius well above 1, and still its gradient shrinks with
#   every step back: after 40 characters it is several orders of magnitude below the gradient of
#   the last step. Training pushes $\rho$ up to carry information further, but saturated units eat
#   the gain. For the weights, a character 40 positions back barely exists.
# - Doubling the trained $W_{hh}$ tips $\gamma$ above 1, and the gradient explodes: it *grows*
#   with distance, so the oldest characters dominate the gradient.
#
# The trained network sits on the vanishing side of the edge, which is typical: a plain RNN
# learns short-range structure (spelling, common words) well and long-range structure badly.
#
# ### Training without clipping
#
# Our main model used Adam, whose steps are normalized per parameter, with clipping on top. Plain
# SGD takes the gradient as it is, so an exploding gradient becomes an exploding step. Here are
# two runs of SGD with learning rate 1, one without clipping and one with $\theta = 1$, on the
# same batches and from the same initial weights. (If the loss ever became NaN or infinite,
# `train_custom` would stop with a `TrainingDivergedError`, which we catch and print.)

# %%
clip_runs = {}
initial_weights = make_scratch_lm()
initial_weights.zero_state(1)  # builds the model, so that its weights can be copied
for clip in (None, CLIP):
    sgd_model = make_scratch_lm()
    sgd_model.zero_state(1)
    sgd_model.set_weights(initial_weights.get_weights())
    try:
        clip_runs[clip] = train_custom(
            sgd_model, random_train_batches(seed=2), CLIP_DEMO_EPOCHS, 1.0, clip=clip, log_every=1
        )
    except TrainingDivergedError as err:
        print(f"clip={clip}: {err}")
for clip, run in clip_runs.items():
    print(
        f"clip={clip}: largest step gradient norm {max(run.step_grad_norm):.3g}, "
        f"loss of the last 10 steps {np.mean(run.step_loss[-10:]):.3f}"
    )

# %% [markdown]
# Training records the global gradient norm of every step *before* clipping
# (`history.step_grad_norm`); after clipping it is $\min(\lVert g \rVert, \theta)$. The per-epoch
# means are `history.grad_norm` and `history.clipped_grad_norm`.

# %%
fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(8, 3))
for clip, run in clip_runs.items():
    steps = np.arange(1, len(run.step_loss) + 1)
    label = "no clipping" if clip is None else f"clipped at {clip:g}"
    ax_loss.semilogy(steps, run.step_loss, label=label)
    ax_norm.semilogy(steps, run.step_grad_norm, label=f"{label}: before clipping")
    if clip is not None:
        ax_norm.semilogy(steps, np.minimum(run.step_grad_norm, clip), label=f"{label}: after")
ax_loss.axhline(math.log(V), color="gray", linestyle="--", label="uniform guess")
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("training loss (nats)")
ax_loss.legend(fontsize=7)
ax_norm.set_xlabel("step")
ax_norm.set_ylabel("global gradient norm")
ax_norm.legend(fontsize=7)
fig.suptitle("SGD with learning rate 1", fontsize=10)
fig.tight_layout()
plt.show()
for clip, run in clip_runs.items():
    print(
        f"clip={clip}: mean gradient norm per epoch before clipping "
        f"{np.round(run.grad_norm, 3).tolist()}, "
        f"after {np.round(run.clipped_grad_norm, 3).tolist()}"
    )

# %% [markdown]
# Without clipping, the first steps look ordinary, but with learning rate 1 every large gradient
# becomes an equally large step, which leads to a larger gradient still: within a few dozen steps
# the norm is tens of times its starting value. The model lands in a region where its logits are
# huge and confidently wrong, the loss shoots far above the $\log 28 \approx 3.33$ nats of a
# uniform guess, and it stays far above it for the rest of the run: plain SGD has no quick way
# back from such a jump. The clipped run meets gradient
# spikes too (its norm before clipping jumps as well), but each step moves the weights by at most
# $\theta$ times the learning rate, so a spike costs one mediocre step and training goes on.
# Once the model has settled, its gradients rarely exceed $\theta$ and clipping is rarely
# active: it is insurance against the rare cliff, not a change of the optimizer.
#
# ## 4.7 Random or sequential minibatches
#
# So far every minibatch started from the zero state, because random partitioning puts unrelated
# pieces of the book next to each other. With **sequential partitioning** (chapter 3), row $b$ of
# one minibatch continues exactly where row $b$ of the previous one ended. The model can then
# start each minibatch from the state the previous one ended in (`stateful=True`):
#
# - no chunk starts cold: in training, the first characters of each chunk are predicted with
#   context, just as at test time;
# - the state can carry information further back than `num_steps` characters.
#
# The state is carried as a constant, though: `train_custom` wraps it in `tf.stop_gradient`
# (see `loss_and_gradients`), so gradients stop at the chunk boundary. Without this
# *detach*, the gradient of one minibatch would reach back through all earlier minibatches of
# the epoch: the cost and memory of a step would grow without bound, and the exploding and
# vanishing products above would run over thousands of steps. Truncated BPTT keeps each step
# at 35 steps of backpropagation; only the forward pass sees the longer past.
#
# The price of sequential batches is correlation: consecutive minibatches read neighbouring text,
# so the gradient estimates are less independent than with random batches. Let us compare the two
# with the same budget and the same hyperparameters. Validation batches are cut the same way as
# the training batches, and the held-out perplexity uses the common protocol.

# %%
partition_runs = {}
for name, partition, stateful in (
    ("random, state reset", random_batches, False),
    ("sequential, state carried", sequential_batches, True),
):
    part_model = make_scratch_lm()
    part_history = train_custom(
        part_model,
        partition(data.train, BATCH_SIZE, NUM_STEPS, seed=0).take(BATCHES),
        SHORT_EPOCHS,
        LR,
        clip=CLIP,
        optimizer="adam",
        stateful=stateful,
        valid=partition(data.valid, BATCH_SIZE, NUM_STEPS, seed=1),
        log_every=0,
    )
    partition_runs[name] = (part_history, held_out_perplexity(part_model, data))

print(f"{SHORT_EPOCHS} epochs each   training batches  validation batches  held out (chapter 3)")
for name, (part_history, ppl) in partition_runs.items():
    print(
        f"{name:26s} {part_history.perplexity[-1]:10.3f} {part_history.val_perplexity[-1]:19.3f}"
        f" {ppl:20.3f}"
    )

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for i, (name, (part_history, _)) in enumerate(partition_runs.items()):
    part_epochs = np.arange(1, part_history.epochs + 1)
    ax.plot(part_epochs, part_history.perplexity, color=f"C{i}", marker="o", label=f"{name}: train")
    ax.plot(part_epochs, part_history.val_perplexity, color=f"C{i}", linestyle="--", marker="s",
            label=f"{name}: valid")  # fmt: skip
ax.set_xlabel("epoch")
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set_ylabel("perplexity")
ax.set_title("Random versus sequential partitioning")
ax.legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# The per-batch numbers flatter the stateful model: its training and validation chunks start
# warm, while the stateless model has to guess the first characters of every chunk blind. The
# held-out perplexity takes that difference away, since both models read the text as one long
# sequence. What is left is the difference in what they learned, and it is modest. The stateful
# model trains the way it is tested: every prediction has context, and none of its training
# signal goes into guessing from a zero state, a situation that never occurs when reading a
# whole text. Longer memory is not what it gains: the gradient measurements showed that a plain
# RNN forgets most of what it read a few dozen characters ago, so context beyond 35 characters
# has little to offer it. Carrying the state pays off more for models that can use long
# context: the gated cells of the next chapters.
#
# ## 4.8 The concise version: `keras.layers.SimpleRNN`
#
# Keras ships this layer as `keras.layers.SimpleRNN`; it computes the same update with fused
# variables named `kernel` ($W_{xh}$), `recurrent_kernel` ($W_{hh}$) and `bias` ($b_h$), and the
# same `tanh`. It drops into the same `RNNLM`. First, a check that it really is the same
# function: we copy the trained scratch weights into a fresh `SimpleRNN` model with
# `to_keras` (and the output layer with `set_weights`) and compare the logits on a
# validation batch.


# %%
def make_concise_lm():
    """The same language model around keras.layers.SimpleRNN."""
    return RNNLM(V, keras.layers.SimpleRNN(HIDDEN, return_sequences=True, return_state=True))


# %%
# NBVAL_CHECK_OUTPUT
copied = make_concise_lm()
X_valid, _ = next(iter(random_batches(data.valid, BATCH_SIZE, NUM_STEPS, seed=1)))
copied(X_valid)  # builds the model
to_keras(model.rnn, copied.rnn)
copied.head.set_weights(model.head.get_weights())
print("kernel = W_xh:          ", np.array_equal(copied.rnn.cell.kernel, rnn_cell.W_xh))
print("recurrent_kernel = W_hh:", np.array_equal(copied.rnn.cell.recurrent_kernel, rnn_cell.W_hh))
scratch_logits = np.asarray(model(X_valid))
gap = np.max(np.abs(np.asarray(copied(X_valid)) - scratch_logits)) / np.max(np.abs(scratch_logits))
print("logits agree to within 1e-3 of the largest logit:", gap < 1e-3)
print("same number of parameters:", copied.count_params() == model.count_params())

# %% [markdown]
# Now we train a `SimpleRNN` model from scratch with exactly the budget and the settings of the
# scratch model of section 4.5 (the same `train_char_lm`), and compare. Throughput is the median
# tokens per second over the epochs after the first (the first includes tracing the training
# step). Absolute rates depend on the machine and on whatever else runs on it; the ratio between
# two models measured in the same run is the more meaningful number.

# %%
concise = make_concise_lm()
concise_history = train_char_lm(concise)
concise_ppl = held_out_perplexity(concise, data)


def throughput(run):
    """Median tokens per second, leaving out the first epoch when there are others."""
    return float(np.median(run.tokens_per_s[1:] if run.epochs > 1 else run.tokens_per_s))


rows = [
    ("scratch RNNCell in keras.layers.RNN", model, scratch_ppl, throughput(history)),
    ("keras.layers.SimpleRNN", concise, concise_ppl, throughput(concise_history)),
]
print(f"{EPOCHS} epochs each                     parameters  validation perplexity  tokens/s")
print(f"{'tuned Kneser-Ney (chapter 3)':36s} {'-':>10s} {baseline.valid_perplexity:22.3f}")
for name, lm_model, ppl, rate in rows:
    print(f"{name:36s} {lm_model.count_params():10,} {ppl:22.3f} {rate:9,.0f}")
print(f"throughput SimpleRNN / scratch: {rows[1][3] / rows[0][3]:.2f}")

# %% [markdown]
# The two models reach about the same held-out perplexity: they compute the same function and
# start from the same kind of initialization (Glorot-uniform input weights, orthogonal recurrent
# weights, zero biases), so only the random draws differ. On a CPU both run the same generic
# loop over time steps and the same matrix products, so their speeds should be close too; on a
# shared machine the measured ratio moves from run to run, so read the throughput column as
# "the same, within noise" (`docs/benchmarks.md` measures it more carefully). The built-in
# layers get their real advantage on a GPU, where Keras hands the gated layers of the next
# chapters to cuDNN.
#
# Nothing in this chapter was chosen by looking at these models' validation scores beyond the
# settings above, so here, once, are the test perplexities (chapter 3's protocol on the last
# 10% of the book, read after all the text before it):

# %% tags=["headline"]
for name, ppl in (
    (f"tuned n-gram ({baseline.name})", baseline.test_perplexity),
    ("scratch RNN", held_out_perplexity(model, data, split="test")),
    ("keras.layers.SimpleRNN", held_out_perplexity(concise, data, split="test")),
):
    print(f"test perplexity, {name}: {ppl:.3f}")

# %% [markdown]
#
# ## Summary
#
# - An RNN keeps a hidden state, $H_t = \phi(X_t W_{xh} + H_{t-1} W_{hh} + b_h)$, and predicts from
#   it, $O_t = H_t W_{hq} + b_q$. The same weights serve every step; the recurrent term is what
#   separates it from an MLP that sees one token at a time.
# - One-hot inputs times $W_{xh}$ are an embedding lookup in disguise.
# - As a character language model, a plain RNN with 256 units beats the uniform guess after a
#   short training, but not the tuned Kneser–Ney baseline of chapter 3.
# - Backpropagation through time multiplies one Jacobian per step. The product shrinks or grows
#   geometrically: gradients vanish (the usual case for a trained tanh RNN) or explode.
#   Truncating BPTT bounds the cost, and clipping the global gradient norm,
#   $g \leftarrow \min(1, \theta / \lVert g \rVert)\, g$, turns exploding steps into ordinary ones.
# - Sequential partitioning with a carried (but detached) state gives every chunk a warm start;
#   for a plain RNN the gain on the held-out text is small.
# - `keras.layers.SimpleRNN` is the same model with fused weights; `to_keras` copies ours
#   into it and the logits agree.

# %% [markdown]
# ## Exercises
#
# Exercises 1 to 3 are coding exercises with instant feedback. In each exercise cell, replace
# `# YOUR CODE HERE` and `raise NotImplementedError` with your code and run the cell; then run
# the cell after it: `check(...)` tests your function on a small example and says what it
# tried, what it expected and what came back, with a hint. Use NumPy only (no Keras or
# TensorFlow) in your answers. The exercises after them are open questions.
#
# The next cell defines the checks the exercises use. Run it first; you may read it, it shows
# exactly what is tested. (Your instructor may run a few more tests of the same kind when
# grading.)

# %%
from rnnkit.course import check, exercise


def forward_reference(ids, H_0, W_xh, W_hh, b_h):
    """All states (n, T, h) and the last one, from rnnkit's RNNCell inside keras.layers.RNN.

    In float64, so that the reference is exact on GPUs too (they may run float32 matmuls in TF32).
    """
    W_xh = np.asarray(W_xh, dtype="float64")
    cell = RNNCell(W_xh.shape[1], dtype="float64")
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True, dtype="float64")
    layer.build((None, None, W_xh.shape[0]))
    for variable, value in ((cell.W_xh, W_xh), (cell.W_hh, W_hh), (cell.b_h, b_h)):
        variable.assign(np.asarray(value, dtype="float64"))
    inputs = keras.ops.one_hot(np.asarray(ids), W_xh.shape[0], dtype="float64")
    states, last = layer(inputs, initial_state=[np.asarray(H_0, dtype="float64")])
    return np.asarray(states), np.asarray(last)


def lm_step_reference(ids, H_prev, W_xh, W_hh, b_h, W_hq, b_q):
    """One step of the RNN language model, (H_t, O_t), from a one-step forward_reference."""
    _, H = forward_reference(np.asarray(ids)[:, None], H_prev, W_xh, W_hh, b_h)
    return H, H @ W_hq + b_q


def clip_reference(grads, theta):
    """Global-norm clipping with tf.clip_by_global_norm (None entries stay None)."""
    present = [g for g in grads if g is not None]
    clipped, norm = tf.clip_by_global_norm([tf.constant(g, tf.float64) for g in present], theta)
    clipped = iter(c.numpy() for c in clipped)
    return [None if g is None else next(clipped) for g in grads], float(norm)


def check_arrays(t, got, expected, what):
    """Compare two lists of arrays (or None) entry by entry."""
    t.equal(len(got), len(expected), tested=f"the number of {what} of {t.tested}")
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        if e is None:
            t.equal(g is None, True, tested=f"{what} {i} of {t.tested} is None")
        else:
            t.close(g, e, tested=f"{what} {i} of {t.tested}")


TOY = {
    "W_xh": np.array([[0.5, -0.5], [1.0, 0.0], [0.0, 1.0]]),
    "W_hh": np.array([[0.5, 0.2], [-0.3, 0.8]]),
    "b_h": np.array([0.1, -0.1]),
    "W_hq": np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]),
    "b_q": np.array([0.0, 0.1, 0.2]),
}


@exercise(
    "rnn_step",
    points=2,
    hint="One-hot times W_xh is the row W_xh[ids]; then H_t = tanh(W_xh[ids] + H_prev @ W_hh + "
    "b_h) and O_t = H_t @ W_hq + b_q.",
)
def _check_rnn_step(t, rnn_lm_step):
    args = (np.array([2, 0]), np.array([[0.0, 0.0], [0.5, -0.5]]), *TOY.values())
    got = t.call(rnn_lm_step, *args)
    t.equal(len(got), 2, tested=f"the number of values returned by {t.tested}")
    expected = lm_step_reference(*args)
    t.close(got[0], expected[0], tested=f"H_t of {t.tested}")
    t.close(got[1], expected[1], tested=f"O_t of {t.tested}")


@exercise(
    "rnn_forward",
    points=2,
    hint="Loop over t = 0 .. T-1: H = tanh(W_xh[ids[:, t]] + H @ W_hh + b_h), collect every H, "
    "then np.stack(states, axis=1).",
)
def _check_rnn_forward(t, rnn_forward):
    ids = np.array([[0, 1, 2], [2, 2, 1]])
    args = (ids, np.zeros((2, 2)), TOY["W_xh"], TOY["W_hh"], TOY["b_h"])
    got = t.call(rnn_forward, *args)
    t.equal(len(got), 2, tested=f"the number of values returned by {t.tested}")
    states, last = forward_reference(*args)
    t.close(got[0], states, tested=f"the states of {t.tested}")
    t.close(got[1], last, tested=f"the last state of {t.tested}")


@exercise(
    "rnn_clip",
    points=2,
    hint="norm = sqrt of the sum of squares of every entry of every array that is not None; "
    "multiply each array by min(1, theta / norm), and take care when norm is 0.",
)
def _check_rnn_clip(t, clip_global_norm):
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
    got = t.call(clip_global_norm, grads, 1.0)
    t.equal(len(got), 2, tested=f"the number of values returned by {t.tested}")
    t.close(got[1], 13.0, tested=f"the norm returned by {t.tested}")
    check_arrays(t, got[0], clip_reference(grads, 1.0)[0], "clipped array")
    got = t.call(clip_global_norm, grads, 20.0)  # below the threshold: nothing changes
    check_arrays(t, got[0], grads, "clipped array")


# %% [markdown]
# ### Exercise 1: one step of the language model (2 points)
#
# Write `rnn_lm_step(ids, H_prev, W_xh, W_hh, b_h, W_hq, b_q)` in NumPy. `ids` is a 1-D integer
# array of `n` token ids (one per sequence of the batch), `H_prev` the states `(n, h)`, and the
# weights have the shapes of section 4.1 (`W_xh` is `(V, h)`, `b_h` is `(h,)`, `W_hq` is
# `(h, V)`, `b_q` is `(V,)`). Return the pair `(H_t, O_t)`: the new states `(n, h)` with
# $\phi = \tanh$, and the logits `(n, V)`. Do not build one-hot vectors: use what section 4.2
# showed they amount to.
#
# Example: with `ids = [2, 0]`, `H_prev = 0` and the weights of `TOY` in the checks cell, the
# first row of `H_t` is $\tanh([0.0, 1.0] + [0.1, -0.1]) = [0.0997, 0.7163]$.


# %% exercise="rnn_step" points=2
def rnn_lm_step(ids, H_prev, W_xh, W_hh, b_h, W_hq, b_q):
    """One RNN language-model step in NumPy: return (H_t, O_t)."""
    ### BEGIN SOLUTION
    H_t = np.tanh(np.asarray(W_xh)[np.asarray(ids)] + np.asarray(H_prev) @ W_hh + b_h)
    return H_t, H_t @ W_hq + b_q
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("rnn_step", rnn_lm_step)

# %% [markdown]
# ### Exercise 2: a whole sequence (2 points)
#
# Write `rnn_forward(ids, H_0, W_xh, W_hh, b_h)` in NumPy: `ids` is an integer array
# `(n, T)`, `H_0` the initial states `(n, h)`. Run the update of section 4.1 over the `T` steps
# and return `(states, H_T)`: all the states $H_1, \dots, H_T$ stacked as an array `(n, T, h)`,
# and the last one `(n, h)`. This is what `keras.layers.RNN(RNNCell(h),
# return_sequences=True, return_state=True)` returns.


# %% exercise="rnn_forward" points=2
def rnn_forward(ids, H_0, W_xh, W_hh, b_h):
    """Run the RNN over ids (n, T) from H_0; return (all states (n, T, h), last state)."""
    ### BEGIN SOLUTION
    ids, H = np.asarray(ids), np.asarray(H_0)
    states = []
    for t in range(ids.shape[1]):
        H = np.tanh(np.asarray(W_xh)[ids[:, t]] + H @ W_hh + b_h)
        states.append(H)
    return np.stack(states, axis=1), H
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("rnn_forward", rnn_forward)

# %% [markdown]
# ### Exercise 3: gradient clipping (2 points)
#
# Write `clip_global_norm(grads, theta)` in NumPy: `grads` is a list of arrays of any shapes,
# some entries may be `None` (a variable the loss does not depend on), and `theta > 0`. Return
# `(clipped, norm)`: `norm` is the global norm $\lVert g \rVert$ of all the arrays taken together
# (a float), and `clipped` the list with every array multiplied by $\min(1, \theta / \lVert g
# \rVert)$ and every `None` kept as `None`. All-zero gradients must come back as zeros, not NaN.
#
# Example: `clip_global_norm([np.array([3.0, 4.0]), np.array([[12.0]])], 1.0)` has norm 13 and
# returns the arrays divided by 13.


# %% exercise="rnn_clip" points=2
def clip_global_norm(grads, theta):
    """Scale all arrays by min(1, theta / global norm); return (clipped list, norm)."""
    ### BEGIN SOLUTION
    norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads if g is not None))
    scale = 1.0 if norm <= theta else theta / norm
    return [None if g is None else np.asarray(g) * scale for g in grads], norm
    ### END SOLUTION


# %%
# NBVAL_CHECK_OUTPUT
check("rnn_clip", clip_global_norm)

# %% [markdown]
# ### More exercises and questions
#
# 4. **Uniform perplexity (question).** Show that a model that gives every one of $V$ tokens the
#    probability $1/V$ has perplexity exactly $V$, whatever the text. Our vocabulary has 28
#    tokens, but `<unk>` never occurs in the cleaned text: what is the best perplexity a model
#    can reach that knows only *that*? Compare with the untrained model of section 4.3.
# 5. **Truncation length (question and experiment).** Training uses chunks of `NUM_STEPS = 35`.
#    What does a step cost, in time and memory, as a function of `NUM_STEPS`? What can a model
#    learn through the gradient with `NUM_STEPS = 5`, and what does the plot of section 4.6 say
#    about the benefit of `NUM_STEPS = 200` for a plain RNN? Train with 10 and 100 (same number
#    of tokens per epoch: change `BATCH_SIZE` too) and compare held-out perplexities.
# 6. **The MLP without a state.** Replace the RNN layer by
#    `keras.layers.Dense(HIDDEN, activation="tanh")` applied to each one-hot vector (you will
#    need a small model of your own, since `RNNLM` expects a recurrent layer). Which n-gram model
#    of chapter 3 should it match at best, and does it?
# 7. **Initialization.** `RNNCell` starts $W_{hh}$ as an orthogonal matrix (all eigenvalues of
#    modulus 1). Measure the gradient curves of section 4.6 for the *untrained* model, then train
#    with `recurrent_initializer=keras.initializers.Orthogonal(gain=3.0)` and with gain 0.3, with
#    and without clipping. What happens, and why?
# 8. **Temperature.** Generate from the trained model with temperatures 0.3, 0.7, 1.0 and 1.5.
#    Relate what you see to the entropy of `softmax(logits / temperature)`. Which temperature
#    produces text whose perplexity under the model is closest to the model's held-out
#    perplexity?
