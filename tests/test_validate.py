"""rnnkit.validate: one rule for each check (TypeError for a type, ValueError for a value)."""

import math
import re
import subprocess
import sys

import numpy as np
import pytest

from rnnkit import validate

# --- numbers -------------------------------------------------------------------------------


def test_positive_number_returns_a_float():
    assert validate.positive_number(3, "lr") == 3.0
    assert isinstance(validate.positive_number(3, "lr"), float)
    assert validate.positive_number(np.float32(0.5), "clip") == 0.5


@pytest.mark.parametrize("value", [0, -0.1, math.nan, math.inf, -math.inf])
def test_positive_number_refuses_a_bad_value_with_value_error(value):
    with pytest.raises(ValueError) as info:
        validate.positive_number(value, "theta")
    assert str(info.value) == f"theta must be a finite number > 0, got {float(value)!r}"


@pytest.mark.parametrize("value", [True, "1", None, [1.0], 1j])
def test_positive_number_refuses_a_bad_type_with_type_error(value):
    with pytest.raises(TypeError) as info:
        validate.positive_number(value, "theta")
    assert str(info.value).startswith(f"theta must be a finite number > 0, got {value!r} (")


def test_positive_integer_returns_an_int():
    assert validate.positive_integer(np.int64(4), "epochs") == 4
    assert type(validate.positive_integer(np.int64(4), "epochs")) is int


@pytest.mark.parametrize("value", [0, -2, np.int8(-1)])
def test_positive_integer_refuses_values_below_one(value):
    with pytest.raises(
        ValueError, match=re.escape(f"chunk_size must be an integer >= 1, got {value!r}")
    ):
        validate.positive_integer(value, "chunk_size")


@pytest.mark.parametrize("value", [1.0, 2.5, True, np.bool_(True), "3", None])
def test_positive_integer_refuses_anything_but_an_integer(value):
    with pytest.raises(TypeError, match="chunk_size must be an integer >= 1, got "):
        validate.positive_integer(value, "chunk_size")


@pytest.mark.parametrize(
    ("check", "good", "bad", "allowed"),
    [
        (validate.probability, [0, 0.5, 1], [-0.01, 1.01], "a finite number in [0, 1]"),
        (validate.fraction, [0.01, 0.99], [0, 1], "a finite number in (0, 1)"),
        (validate.rate, [0, 0.5], [1, -0.5], "a finite number in [0, 1)"),
    ],
)
def test_ranges_say_which_ends_are_allowed(check, good, bad, allowed):
    for value in good:
        assert check(value, "p") == value
    for value in bad:
        with pytest.raises(ValueError) as info:
            check(value, "p")
        assert str(info.value) == f"p must be {allowed}, got {float(value)!r}"


def test_integer_bounds_on_both_sides():
    assert validate.integer(3, "order", minimum=1, maximum=10) == 3
    with pytest.raises(ValueError, match=r"order must be an integer in \[1, 10\], got 11"):
        validate.integer(11, "order", minimum=1, maximum=10)
    assert validate.integer(-5, "offset") == -5


def test_flag_takes_only_true_or_false():
    assert validate.flag(False, "reset_after") is False
    for value in (0, 1, "yes", None):
        with pytest.raises(TypeError, match="reset_after must be True or False"):
            validate.flag(value, "reset_after")


def test_vocab_matches_compares_sizes_and_skips_a_missing_vocabulary():
    validate.vocab_matches(None, 5)
    validate.vocab_matches(list("abcde"), 5)
    with pytest.raises(ValueError, match="vocab_size=5 but the vocabulary has 3 tokens"):
        validate.vocab_matches(list("abc"), 5)


def test_import_loads_neither_numpy_nor_tensorflow():
    code = "import sys, rnnkit.validate; print(sorted({'numpy', 'tensorflow'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- token ids in an array -----------------------------------------------------------------


def test_token_ids_returns_int32_and_accepts_an_empty_sequence():
    ids = validate.token_ids([0, 3, 2], "tokens", 4)
    assert ids.dtype == np.int32 and ids.tolist() == [0, 3, 2]
    empty = validate.token_ids([], "history", 4)
    assert empty.dtype == np.int32 and empty.shape == (0,)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([[1, 2], [3, 0]], "tokens must be a 1-D sequence of integer token ids"),
        ([0.0, 1.0], "got an array of shape (2,) and dtype float64"),
        ([0, 4], "tokens holds token ids from 0 to 4, but the model has vocab_size=4 (ids 0..3)"),
        ([-3, 1], "tokens holds token ids from -3 to 1"),
    ],
)
def test_token_ids_refuses_shapes_types_and_ids_the_model_cannot_read(values, message):
    with pytest.raises((TypeError, ValueError)) as info:
        validate.token_ids(values, "tokens", 4)
    assert message in str(info.value)
