"""Training: both training loops, stateful batches, divergence, resuming, bad arguments."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnkit.data import sequences
from rnnkit.data.vocab import Vocab
from rnnkit.lm import RNNLM, perplexity, training

# "abcabc..." as ids: <unk> = 0, a = 1, b = 2, c = 3.
ABC = np.array([1, 2, 3] * 200, dtype=np.int32)
V_ABC = 4
V = 11
RANDOM = np.random.default_rng(0).integers(0, V, size=400).astype(np.int32)
EPOCHS = 5


def gru_model(vocab_size=V, units=12, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    layer = keras.layers.GRU(units, return_sequences=True, return_state=True, **kwargs)
    return RNNLM(vocab_size, layer)


def abc_random_batches():
    return sequences.random_batches(ABC, batch_size=8, num_steps=6, seed=0)


def abc_fixed_batches():
    return sequences.sequential_batches(ABC, batch_size=8, num_steps=6, offset=0)


def custom_run(**kwargs):
    model = gru_model(V_ABC)
    history = training.train_custom(
        model, abc_random_batches(), EPOCHS, lr=0.05, clip=1.0, optimizer="adam", **kwargs
    )
    return model, history


def fit_run(**kwargs):
    model = gru_model(V_ABC)
    history = training.train_fit(
        model, abc_fixed_batches(), EPOCHS, lr=0.05, clip=1.0, optimizer="adam", **kwargs
    )
    return model, history


@pytest.fixture(scope="module")
def custom_trained():
    return custom_run(log_every=0)


@pytest.fixture(scope="module")
def fit_trained():
    return fit_run()


class Interrupt(Exception):
    pass


# --- the training loops --------------------------------------------------------------------


def test_custom_loop_learns_a_predictable_sequence_and_logs_everything(custom_trained):
    model, history = custom_trained
    assert history.epochs == EPOCHS
    assert history.perplexity[-1] < 1.1 < history.perplexity[0]
    assert history.perplexity == pytest.approx([math.exp(x) for x in history.loss])
    steps = EPOCHS * sequences.num_batches(len(ABC), 8, 6)
    assert len(history.step_loss) == len(history.step_grad_norm) == steps
    assert all(
        c <= min(g, 1.0) + 1e-6
        for g, c in zip(history.grad_norm, history.clipped_grad_norm, strict=True)
    )
    assert all(rate > 0 for rate in history.tokens_per_s)
    assert perplexity.evaluate_perplexity(model, ABC[300:], history=ABC[:300]) < 1.1


def test_fit_learns_a_predictable_sequence(fit_trained):
    _, history = fit_trained
    ppl = history.history["perplexity"]
    assert len(ppl) == EPOCHS and ppl[-1] < 1.1 < ppl[0]
    assert ppl == pytest.approx([math.exp(x) for x in history.history["loss"]], rel=1e-4)


def test_custom_loop_prints_one_line_per_logged_epoch(capsys):
    model = gru_model(V_ABC, units=4)
    training.train_custom(model, abc_fixed_batches(), 3, lr=0.1, clip=0.01, log_every=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["2/3", "3/3"]
    assert "perplexity" in lines[0] and "(clipped" in lines[0] and "tokens/s" in lines[0]


def test_custom_loop_reports_every_step_to_on_step_end():
    model = gru_model(V_ABC, units=4)
    seen = []
    history = training.train_custom(
        model,
        abc_fixed_batches(),
        2,
        lr=0.1,
        log_every=0,
        on_step_end=lambda step, loss: seen.append((step, loss)),
    )
    per_epoch = sequences.num_batches(len(ABC), 8, 6, offset=0)
    assert [step for step, _ in seen] == list(range(1, per_epoch + 1)) * 2
    assert [loss for _, loss in seen] == history.step_loss


def test_stateful_training_differs_from_stateless_only_after_the_first_batch():
    def run(stateful, epochs):
        data = sequences.sequential_batches(RANDOM, batch_size=4, num_steps=5, offset=0)
        # A learning rate far below float32 resolution keeps the weights fixed, so only the
        # initial states can make the losses differ.
        return training.train_custom(
            gru_model(), data, epochs, lr=1e-20, stateful=stateful, log_every=0
        )

    stateless, stateful = run(False, 1), run(True, 2)
    steps = len(stateless.step_loss)
    assert stateless.step_loss[0] == stateful.step_loss[0]
    assert stateless.step_grad_norm[0] == stateful.step_grad_norm[0]
    later = zip(stateless.step_loss[1:], stateful.step_loss[1:steps], strict=True)
    assert all(without != with_state for without, with_state in later)
    # The state is reset when an epoch starts: the second epoch repeats the first.
    assert stateful.step_loss[steps:] == stateful.step_loss[:steps]


def test_gradients_do_not_flow_into_the_batch_that_produced_the_state():
    model = gru_model()
    first, second = RANDOM[:12].reshape(2, 6), RANDOM[12:26].reshape(2, 7)
    inputs, labels = second[:, :-1], second[:, 1:]
    model(first)
    with tf.GradientTape(persistent=True) as tape:
        _, state = model(first, return_state=True)
        loss, grads, _ = training.loss_and_gradients(model, inputs, labels, state)
        logits = model(inputs, initial_state=state)
        full_loss = training.token_loss(labels, logits)
    # Seen from outside, the loss depends on the weights only through this batch.
    outside = tape.gradient(loss, model.trainable_variables)
    through_time = tape.gradient(full_loss, model.trainable_variables)
    assert float(loss) == pytest.approx(float(full_loss), rel=1e-6)
    for ours, seen in zip(grads, outside, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(seen), atol=1e-6)
    kernel = [v.path for v in model.trainable_variables].index(model.rnn.cell.kernel.path)
    assert not np.allclose(np.asarray(grads[kernel]), np.asarray(through_time[kernel]))


def test_custom_loop_resumes_after_an_interruption_as_if_never_stopped(tmp_path, custom_trained):
    straight_model, straight = custom_trained

    def interrupt(epoch, history):
        if epoch == 2:
            raise Interrupt

    # Interrupted after epoch 2 was checkpointed, then while epoch 3 was being finished.
    with pytest.raises(Interrupt):
        custom_run(checkpoint_dir=tmp_path, on_checkpoint=interrupt, log_every=0)
    with pytest.raises(Interrupt):
        custom_run(
            checkpoint_dir=tmp_path, on_epoch_end=lambda e, h: interrupt(e - 1, h), log_every=0
        )
    seen, restored = [], []
    model, history = custom_run(
        checkpoint_dir=tmp_path,
        on_epoch_end=lambda e, h: seen.append(e),
        on_checkpoint=lambda e, h: restored.append(e),
        log_every=0,
    )
    assert seen == [3, 4, 5] and restored == [2, 3, 4, 5]
    assert history.loss == straight.loss and history.step_loss == straight.step_loss
    for ours, theirs in zip(model.get_weights(), straight_model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_fit_resumes_after_an_interruption_with_the_same_final_weights(tmp_path, fit_trained):
    straight_model, straight = fit_trained

    class InterruptAfterSecondEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise Interrupt

    with pytest.raises(Interrupt):
        fit_run(backup_dir=tmp_path / "backup", callbacks=[InterruptAfterSecondEpoch()])
    model, history = fit_run(backup_dir=tmp_path / "backup")
    assert history.epoch == [2, 3, 4]
    assert history.history["loss"] == pytest.approx(straight.history["loss"][2:], rel=1e-6)
    for ours, theirs in zip(model.get_weights(), straight_model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


@pytest.mark.parametrize("train", [training.train_custom, training.train_fit])
def test_a_diverging_run_stops_with_a_clear_error(train):
    keras.utils.set_random_seed(0)
    layer = keras.layers.SimpleRNN(8, activation="relu", return_sequences=True, return_state=True)
    data = sequences.random_batches(RANDOM, batch_size=8, num_steps=6, seed=0)
    extra = {"log_every": 0} if train is training.train_custom else {}
    with pytest.raises(training.TrainingDivergedError) as info:
        train(RNNLM(V, layer), data, 2, lr=1e30, **extra)
    error = info.value
    assert error.epoch == 1 and error.step >= 2 and math.isfinite(error.last_loss)
    assert f"epoch 1, step {error.step}" in str(error) and "lower learning rate" in str(error)


def test_a_bidirectional_model_is_refused_unless_allowed_and_then_leaks():
    keras.utils.set_random_seed(0)
    layer = keras.layers.GRU(8, return_sequences=True, return_state=True)
    model = RNNLM(V, keras.layers.Bidirectional(layer))
    data = sequences.random_batches(RANDOM, batch_size=8, num_steps=6, seed=0)
    for train in (training.train_custom, training.train_fit):
        with pytest.raises(ValueError, match="allow_bidirectional=True"):
            train(model, data, 1, lr=0.1)
    with pytest.raises(ValueError, match="cannot be trained statefully"):
        training.train_custom(model, data, 1, lr=0.1, stateful=True, allow_bidirectional=True)
    with pytest.raises(ValueError, match="reads the sequence backwards"):
        perplexity.evaluate_perplexity(model, RANDOM[:20])
    history = training.train_fit(
        model, data, 6, lr=0.05, optimizer="adam", allow_bidirectional=True
    )
    # Random tokens cannot be predicted below log V nats from the past: the model reads ahead.
    assert history.history["loss"][-1] < 0.6 * math.log(V)


@pytest.mark.parametrize("train", [training.train_custom, training.train_fit])
@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"lr": 0}, "lr must be a finite number > 0, got 0"),
        ({"lr": -0.1}, "lr must be a finite number > 0, got -0.1"),
        ({"clip": 0.0}, "clip must be a finite number > 0, got 0.0"),
        ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of ['adam', 'sgd'], got 'rmsprop'"),
        ({"vocab": Vocab(list("abcdef"))}, "vocab_size=11 but the vocabulary has 7 tokens"),
        ({"dataset": RANDOM}, "dataset must be a tf.data.Dataset of (X, Y) batches"),
        ({"model": keras.Sequential()}, "model must be an rnnkit.lm.RNNLM, got Sequential"),
    ],
)
def test_bad_training_arguments_raise_clear_errors(train, kwargs, message):
    arguments = {
        "model": gru_model(),
        "dataset": sequences.random_batches(RANDOM, 8, 6),
        "epochs": 1,
        "lr": 0.1,
        **kwargs,
    }
    with pytest.raises(ValueError) as info:
        train(**arguments)
    assert message in str(info.value)


@pytest.mark.parametrize("train", [training.train_custom, training.train_fit])
@pytest.mark.parametrize("where", ["dataset", "valid"])
def test_token_ids_beyond_the_model_vocabulary_name_both_sizes(train, where):
    good = sequences.random_batches(RANDOM, 8, 6)
    bad = sequences.random_batches(np.arange(400) % 13, 8, 6)
    data = {"dataset": bad} if where == "dataset" else {"dataset": good, "valid": bad}
    with pytest.raises(ValueError) as info:
        train(gru_model(units=4), epochs=1, lr=0.1, **data)
    assert f"{where} holds token ids from 0 to 12, but the model has vocab_size=11" in str(
        info.value
    )


def test_a_huge_finite_loss_gives_an_infinite_perplexity_not_an_overflow():
    model = gru_model(V_ABC, units=4)
    # A dense head with enormous weights makes the cross-entropy finite but above log(max float).
    model.zero_state(1)
    rng = np.random.default_rng(0)
    for variable in model.head.weights:
        variable.assign(rng.normal(scale=1e4, size=variable.shape).astype("float32"))
    history = training.train_custom(
        model, abc_fixed_batches(), 1, lr=1e-30, optimizer="sgd", log_every=0
    )
    assert math.isfinite(history.loss[0]) and history.loss[0] > 710
    assert history.perplexity == [math.inf]
