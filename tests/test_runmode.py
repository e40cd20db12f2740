"""Run modes and determinism."""

import numpy as np
import pytest

from rnnkit import runmode


@pytest.mark.parametrize(
    ("value", "quick"), [("1", True), ("true", True), ("0", False), ("", False), ("no", False)]
)
def test_quick_mode_comes_from_the_environment(monkeypatch, value, quick):
    monkeypatch.setenv(runmode.QUICK_ENV, value)
    assert runmode.is_quick() is quick
    assert runmode.pick(full=100, quick=2) == (2 if quick else 100)
    assert runmode.mode_name() == ("quick" if quick else "full")


def test_unset_means_full_mode(monkeypatch):
    monkeypatch.delenv(runmode.QUICK_ENV, raising=False)
    assert runmode.mode_name() == "full"


def test_a_value_that_is_not_understood_is_an_error(monkeypatch):
    monkeypatch.setenv(runmode.QUICK_ENV, "maybe")
    with pytest.raises(ValueError, match="RNNKIT_QUICK='maybe'"):
        runmode.is_quick()


def test_setup_makes_training_repeatable(monkeypatch):
    monkeypatch.delenv(runmode.QUICK_ENV, raising=False)
    import keras

    def train_once():
        runmode.setup(seed=3)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        x = np.random.rand(64, 4).astype("float32")
        y = np.random.rand(64, 1).astype("float32")
        return model.fit(x, y, epochs=2, batch_size=16, verbose=0).history["loss"]

    assert train_once() == train_once()


def test_setup_turns_off_tensorfloat32(monkeypatch):
    monkeypatch.delenv(runmode.QUICK_ENV, raising=False)
    import tensorflow as tf

    runmode.setup(seed=0)
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
