"""Tests for rnnkit.lm.checkpoints: saving and restoring a training loop's model and optimizer."""

import keras
import numpy as np

from rnnkit.lm.checkpoints import Checkpoint


def model_and_optimizer(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    optimizer = keras.optimizers.Adam(learning_rate=0.1)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def test_an_empty_folder_restores_nothing(tmp_path):
    assert Checkpoint(tmp_path, *model_and_optimizer(0)).restore() == (0, {})


def test_restore_brings_back_weights_optimizer_epochs_and_history(tmp_path):
    model, optimizer = model_and_optimizer(0)
    checkpoint = Checkpoint(tmp_path, model, optimizer)
    for epoch in (1, 2, 3):
        grads = [np.full(v.shape, 0.5 * epoch, "float32") for v in model.trainable_variables]
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        checkpoint.save(epoch, {"loss": [4.0, 3.0, 2.5][:epoch]})
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.index")) == ["ckpt-2.index", "ckpt-3.index"]

    fresh_model, fresh_optimizer = model_and_optimizer(1)
    done, history = Checkpoint(tmp_path, fresh_model, fresh_optimizer).restore()
    assert done == 3 and history == {"loss": [4.0, 3.0, 2.5]}
    for ours, saved in zip(fresh_model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, saved)
    assert int(fresh_optimizer.iterations) == 3
    for ours, saved in zip(fresh_optimizer.variables, optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(saved))
