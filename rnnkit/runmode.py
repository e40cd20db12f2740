"""Run modes (full or quick), seeds and determinism for chapters, tests and benchmarks.

Quick mode is chosen with the environment variable ``RNNKIT_QUICK=1``. It only shrinks
budgets (epochs, data sizes); every cell runs the same code in both modes.
"""

import os

QUICK_ENV = "RNNKIT_QUICK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_quick() -> bool:
    """Return True when ``RNNKIT_QUICK`` asks for quick mode."""
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV}={value!r} is not understood: "
        "use 1 for quick mode, or 0 (or leave it unset) for full mode"
    )


def mode_name() -> str:
    """Return ``"quick"`` or ``"full"``."""
    return "quick" if is_quick() else "full"


def pick(full, quick):
    """Return ``quick`` in quick mode and ``full`` otherwise (a budget, never a code path)."""
    return quick if is_quick() else full


def setup(seed: int = 0) -> str:
    """Seed Python, NumPy and TensorFlow, make TF ops deterministic, and return the mode name.

    Call it at the top of every chapter, before any model is built.
    """
    # Must be in the environment before TensorFlow's C++ runtime logs anything.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    # TensorFloat-32 matmuls on recent GPUs keep ~3 decimal digits: results would depend on the
    # hardware, and the notebooks' checked outputs must not.
    tf.config.experimental.enable_tensor_float_32_execution(False)
    return mode_name()
