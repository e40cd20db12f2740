"""Training a recurrent language model: two training loops, divergence, resuming.

* :func:`train_custom` is an explicit ``tf.GradientTape`` loop that logs the gradient norm
  before and after clipping and can carry the state from batch to batch (``stateful=True``).
* :func:`train_fit` does the same job with ``model.compile`` and ``model.fit``.

Both clip with the rule of :func:`rnnkit.lm.clipping.clip_gradients` and log
:class:`rnnkit.lm.perplexity.Perplexity`. Both loops stop with :class:`TrainingDivergedError`
as soon as the loss is NaN or infinite, and both can be interrupted and resumed from a folder
(``checkpoint_dir=`` / ``backup_dir=``).
"""

import math
import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
import tensorflow as tf

from rnnkit import validate
from rnnkit.lm import batch_checks
from rnnkit.lm.checkpoints import Checkpoint
from rnnkit.lm.clipping import clip_gradients, global_norm
from rnnkit.lm.perplexity import Perplexity, from_loss
from rnnkit.lm.rnnlm import check_language_model

OPTIMIZERS = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}


class TrainingDivergedError(RuntimeError):
    """The training loss became NaN or infinite; ``epoch``, ``step`` and ``last_loss`` say where."""

    def __init__(self, epoch, step, last_loss):
        self.epoch, self.step, self.last_loss = epoch, step, last_loss
        last = "no finite loss yet" if last_loss is None else f"last finite loss {last_loss:.4f}"
        super().__init__(
            f"training diverged at epoch {epoch}, step {step}: the loss is NaN or infinite "
            f"({last}). Try a lower learning rate, or clip the gradients (clip=1.0, say)."
        )


# ---------------------------------------------------------------------------------------------
# Checks shared by the training loops and the evaluation
# ---------------------------------------------------------------------------------------------


def _checked_arguments(
    model, dataset, valid, vocab, epochs, lr, clip, allow_bidirectional, stateful=False
):
    """Check what both loops take; return ``(epochs, lr, clip, train_data, valid_data)``.

    The datasets come back wrapped by :func:`rnnkit.lm.batch_checks.id_batches`, so that a token
    id the model has no row for stops training (see
    :func:`rnnkit.lm.batch_checks.bad_ids_explained`).
    """
    check_language_model(model, allow_bidirectional, stateful)
    validate.vocab_matches(vocab, model.vocab_size)
    epochs = validate.positive_integer(epochs, "epochs")
    lr = validate.positive_number(lr, "lr")
    clip = None if clip is None else validate.positive_number(clip, "clip")
    train_data = batch_checks.id_batches(dataset, model.vocab_size, "dataset")
    valid_data = (
        None if valid is None else batch_checks.id_batches(valid, model.vocab_size, "valid")
    )
    return epochs, lr, clip, train_data, valid_data


def _make_optimizer(optimizer, lr, global_clipnorm=None):
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    return OPTIMIZERS[optimizer](learning_rate=lr, global_clipnorm=global_clipnorm)


# ---------------------------------------------------------------------------------------------
# Path 1: an explicit training loop
# ---------------------------------------------------------------------------------------------


def token_loss(labels, logits):
    """Mean cross-entropy (nats per token) of ``logits`` for integer ``labels``, over all tokens."""
    return keras.ops.mean(
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    )


def loss_and_gradients(model, inputs, labels, initial_state=None):
    """Return ``(loss, gradients, final_state)`` for one batch.

    ``initial_state`` (None = zeros) enters as a constant (``tf.stop_gradient``): gradients
    reach back to the first step of this batch and no further, never into the batches that
    produced the state. That is truncated backpropagation through time.
    """
    if initial_state is not None:
        initial_state = keras.tree.map_structure(tf.stop_gradient, initial_state)
    with tf.GradientTape() as tape:
        logits, final_state = model(
            inputs, initial_state=initial_state, return_state=True, training=True
        )
        loss = token_loss(labels, logits)
    return loss, tape.gradient(loss, model.trainable_variables), final_state


@dataclass
class TrainingHistory:
    """What :func:`train_custom` measured: one entry per epoch, or per step for ``step_*``.

    ``grad_norm`` is the mean global gradient norm of an epoch before clipping and
    ``clipped_grad_norm`` after it (equal when there is no clipping). ``val_*`` stay empty
    without validation data. ``tokens_per_s`` includes tracing time in the first epoch.
    ``notes`` holds what a caller's ``on_epoch_end`` appends (a JSON-able dict per epoch, say a
    validation perplexity measured its own way); checkpoints keep it with the rest.
    """

    loss: list = field(default_factory=list)
    perplexity: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_perplexity: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    clipped_grad_norm: list = field(default_factory=list)
    tokens_per_s: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    step_grad_norm: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.loss)


def _compile_train_step(model, optimizer, clip, jit_compile):
    def train_step(inputs, labels, state):
        loss, grads, final_state = loss_and_gradients(model, inputs, labels, state)
        if clip is None:
            norm = global_norm(grads)
            clipped_norm = norm
        else:
            grads, norm = clip_gradients(grads, clip)
            # ||min(1, theta/||g||) g|| = min(||g||, theta)
            clipped_norm = tf.minimum(norm, clip)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss, norm, clipped_norm, final_state

    return tf.function(train_step, jit_compile=jit_compile, reduce_retracing=True)


def _compile_eval_step(model):
    def eval_step(inputs, labels, state):
        logits, final_state = model(inputs, initial_state=state, return_state=True)
        losses = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return tf.reduce_sum(losses), final_state

    return tf.function(eval_step, reduce_retracing=True)


class _States:
    """Hands out the initial state of each batch: zeros, or the last batch's final state."""

    def __init__(self, model, stateful):
        self.model, self.stateful = model, stateful
        self.zeros = {}
        self.carried = None

    def reset(self):
        self.carried = None

    def initial(self, batch_size):
        if self.carried is not None:
            carried_size = keras.tree.flatten(self.carried)[0].shape[0]
            if carried_size != batch_size:
                raise ValueError(
                    f"stateful training needs batches of one size, got {carried_size} then "
                    f"{batch_size}: use rnnkit.data.sequences.sequential_batches"
                )
            return self.carried
        if batch_size not in self.zeros:
            self.zeros[batch_size] = self.model.zero_state(batch_size)
        return self.zeros[batch_size]

    def update(self, final_state):
        if self.stateful:
            self.carried = final_state


def _dataset_loss(eval_step, dataset, states):
    states.reset()
    total, count = 0.0, 0
    for inputs, labels in dataset:
        loss_sum, final_state = eval_step(inputs, labels, states.initial(inputs.shape[0]))
        states.update(final_state)
        total += float(loss_sum)
        count += int(tf.size(labels))
    return total / count


def train_custom(
    model,
    dataset,
    epochs,
    lr,
    clip=None,
    optimizer="sgd",
    stateful=False,
    valid=None,
    vocab=None,
    checkpoint_dir=None,
    on_epoch_end=None,
    on_step_end=None,
    log_every=1,
    jit_compile=False,
    allow_bidirectional=False,
    on_checkpoint=None,
):
    """Train ``model`` with an explicit ``tf.GradientTape`` loop; return a :class:`TrainingHistory`.

    ``dataset`` (and ``valid``) yield ``(X, Y)`` batches of token ids, ``Y`` being ``X`` shifted
    by one token (:mod:`rnnkit.data.sequences`). Each step computes the mean cross-entropy, its
    gradients, clips them to global norm ``clip`` with :func:`clip_gradients` (no clipping when
    None) and takes an ``optimizer`` step (``"sgd"`` or ``"adam"``) with learning rate ``lr``.
    The step is compiled with ``tf.function`` (and XLA with ``jit_compile=True``).

    ``stateful=False`` starts every batch from the zero state (right for random batches).
    ``stateful=True`` (for ``sequential_batches``) starts each batch from the final state of the
    batch before, as a constant: no gradient flows into earlier batches. The state is reset to
    zeros at the start of every epoch and of every validation pass.

    With ``checkpoint_dir``, the model, the optimizer, the epoch count and the history are saved
    at the end of every epoch, and a later call with the same folder continues after the last
    saved epoch. Each dataset is iterated once per epoch, so on resuming it is first iterated
    (without reading) once per finished epoch: a dataset that redraws its cuts every epoch, like
    those of :mod:`rnnkit.data.sequences`, then gives the same epochs as an uninterrupted run.

    ``on_epoch_end(epoch, history)`` is called after each epoch (1-based), before it is
    checkpointed (what it adds to ``history.notes`` is saved with it; an exception it raises
    leaves the epoch unsaved), ``on_checkpoint(epoch, history)`` once the checkpoint is complete,
    and on resuming once for the restored epoch; ``on_step_end(step, loss)`` after each batch
    (``step`` counts from 1 in every epoch);
    ``log_every=k`` prints a line every ``k`` epochs and after the last (0: never). A NaN or
    infinite loss raises :class:`TrainingDivergedError`. ``vocab`` (optional) is checked against
    the model's vocabulary size. A bidirectional model is refused unless
    ``allow_bidirectional=True`` (see :attr:`rnnkit.lm.RNNLM.is_causal`).
    """
    epochs, lr, clip, train_data, valid_data = _checked_arguments(
        model, dataset, valid, vocab, epochs, lr, clip, allow_bidirectional, stateful
    )
    validate.integer(log_every, "log_every", minimum=0)
    opt = _make_optimizer(optimizer, lr)
    states = _States(model, stateful)
    states.initial(1)  # builds the model, so that the optimizer and a checkpoint can see it
    opt.build(model.trainable_variables)
    checkpoint = None if checkpoint_dir is None else Checkpoint(checkpoint_dir, model, opt)
    done, saved = (0, {}) if checkpoint is None else checkpoint.restore()
    history = TrainingHistory(**saved)
    if done and on_checkpoint is not None:
        on_checkpoint(done, history)  # files derived from the checkpoint may lag behind it
    for _ in range(done):
        iter(train_data)
        if valid_data is not None:
            iter(valid_data)
    train_step = _compile_train_step(model, opt, clip, jit_compile)
    eval_step = _compile_eval_step(model) if valid_data is not None else None
    for epoch in range(done + 1, epochs + 1):
        with batch_checks.bad_ids_explained(model.vocab_size, dataset=dataset, valid=valid):
            _run_epoch(train_step, train_data, states, history, epoch, on_step_end)
            if valid_data is not None:
                val_loss = _dataset_loss(eval_step, valid_data, states)
                history.val_loss.append(val_loss)
                history.val_perplexity.append(from_loss(val_loss))
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        if checkpoint is not None:
            checkpoint.save(epoch, asdict(history))
            if on_checkpoint is not None:
                on_checkpoint(epoch, history)
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(_log_line(epoch, epochs, history), flush=True)
    return history


def _run_epoch(train_step, dataset, states, history, epoch, on_step_end=None):
    states.reset()
    losses, norms, clipped_norms, tokens = [], [], [], 0
    last_finite = history.step_loss[-1] if history.step_loss else None
    start = time.perf_counter()
    for step, (inputs, labels) in enumerate(dataset, start=1):
        loss, norm, clipped_norm, final_state = train_step(
            inputs, labels, states.initial(inputs.shape[0])
        )
        loss = float(loss)
        if not math.isfinite(loss):
            raise TrainingDivergedError(epoch, step, last_finite)
        last_finite = loss
        states.update(final_state)
        losses.append(loss)
        norms.append(float(norm))
        clipped_norms.append(float(clipped_norm))
        tokens += int(tf.size(inputs))
        if on_step_end is not None:
            on_step_end(step, loss)
    seconds = time.perf_counter() - start
    mean_loss = float(np.mean(losses))
    history.loss.append(mean_loss)
    history.perplexity.append(from_loss(mean_loss))
    history.grad_norm.append(float(np.mean(norms)))
    history.clipped_grad_norm.append(float(np.mean(clipped_norms)))
    history.tokens_per_s.append(tokens / seconds)
    history.step_loss.extend(losses)
    history.step_grad_norm.extend(norms)


def _log_line(epoch, epochs, history):
    line = f"epoch {epoch}/{epochs}  loss {history.loss[-1]:.4f}  "
    line += f"perplexity {history.perplexity[-1]:.3f}"
    if history.val_perplexity:
        line += f"  valid perplexity {history.val_perplexity[-1]:.3f}"
    line += f"  grad norm {history.grad_norm[-1]:.3g}"
    if history.clipped_grad_norm[-1] != history.grad_norm[-1]:
        line += f" (clipped {history.clipped_grad_norm[-1]:.3g})"
    return line + f"  {history.tokens_per_s[-1]:,.0f} tokens/s"


# ---------------------------------------------------------------------------------------------
# Path 2: compile and fit
# ---------------------------------------------------------------------------------------------


class _DivergenceGuard(keras.callbacks.Callback):
    """Raise :class:`TrainingDivergedError` as soon as fit's running loss is NaN or infinite."""

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.last_finite = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if not math.isfinite(loss):
            raise TrainingDivergedError(self.epoch, batch + 1, self.last_finite)
        self.last_finite = loss


def train_fit(
    model,
    dataset,
    epochs,
    lr,
    clip=None,
    optimizer="sgd",
    valid=None,
    vocab=None,
    backup_dir=None,
    callbacks=(),
    verbose=0,
    jit_compile=False,
    allow_bidirectional=False,
):
    """Train ``model`` with ``compile`` + ``fit``; return Keras's ``History``.

    The optimizer clips with ``global_clipnorm=clip`` (the same rule as :func:`clip_gradients`),
    the loss is ``SparseCategoricalCrossentropy(from_logits=True)`` and :class:`Perplexity` is
    logged as ``perplexity`` (and ``val_perplexity`` with ``valid``). Every batch starts from the
    zero state. ``verbose`` is passed to ``fit`` (2 prints one stable line per epoch).

    With ``backup_dir``, ``keras.callbacks.BackupAndRestore`` saves the weights, the optimizer
    and the epoch count after every epoch; rerunning after an interruption continues from the
    next epoch (the returned ``History`` then holds only the epochs of this run), and the folder
    is deleted once training finishes. Unlike :func:`train_custom`, ``fit`` starts a dataset's
    sequence of random draws afresh, so with datasets that redraw their cuts every epoch the
    resumed epochs see other (equally random) cuts than an uninterrupted run would.

    A NaN or infinite loss raises :class:`TrainingDivergedError`; ``vocab`` and
    ``allow_bidirectional`` work as in :func:`train_custom`.
    """
    epochs, lr, clip, train_data, valid_data = _checked_arguments(
        model, dataset, valid, vocab, epochs, lr, clip, allow_bidirectional
    )
    opt = _make_optimizer(optimizer, lr, global_clipnorm=clip)
    model.compile(
        optimizer=opt,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[Perplexity()],
        jit_compile=jit_compile,
    )
    model.zero_state(1)  # BackupAndRestore needs a built model
    # The backup goes first, so an epoch is saved before any user callback can interrupt.
    all_callbacks = [_DivergenceGuard(), *callbacks]
    if backup_dir is not None:
        all_callbacks.insert(0, keras.callbacks.BackupAndRestore(str(backup_dir)))
    with batch_checks.bad_ids_explained(model.vocab_size, dataset=dataset, valid=valid):
        return model.fit(
            train_data,
            epochs=epochs,
            validation_data=valid_data,
            callbacks=all_callbacks,
            verbose=verbose,
            # The datasets of rnnkit.data.sequences already shuffle; fit would only warn about it.
            shuffle=False,
        )
