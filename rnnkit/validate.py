"""Argument checks for every part of rnnkit: numbers, flags, vocabularies, token ids.

One rule for every check: a value of the wrong type raises ``TypeError``, a value of the right
type but outside what is allowed raises ``ValueError``; both messages name the argument, what
came and what is allowed. Each check hands back the value in the form the caller goes on with
(an ``int``, a ``float``, an int32 array). A ``bool`` is never taken for a number, although
Python counts it as one: ``units=True`` is a typo, not one unit.

This module never imports TensorFlow, and NumPy only inside :func:`token_ids`, so that the
command line and the course tools can check their arguments without waiting for either.
"""

import math
import numbers


def shown(value, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, so that a huge input makes a short message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value, kind) -> bool:
    """True for an instance of ``kind`` (``numbers.Integral`` or ``numbers.Real``), bools not."""
    return isinstance(value, kind) and not isinstance(value, bool)


def integer(value, name, minimum=None, maximum=None) -> int:
    """``value`` as an int in ``minimum..maximum`` (None: unbounded on that side)."""
    allowed = _range_words("an integer", minimum, maximum, False, False)
    if not _is_number(value, numbers.Integral):
        raise TypeError(f"{name} must be {allowed}, got {shown(value)} ({type(value).__name__})")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}")
    return int(value)


def positive_integer(value, name) -> int:
    """``value`` as an int >= 1."""
    return integer(value, name, minimum=1)


def number(value, name, low=None, high=None, low_open=False, high_open=False) -> float:
    """``value`` as a finite float between ``low`` and ``high`` (each open or closed)."""
    allowed = _range_words("a finite number", low, high, low_open, high_open)
    if not _is_number(value, numbers.Real):
        raise TypeError(f"{name} must be {allowed}, got {shown(value)} ({type(value).__name__})")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        raise ValueError(f"{name} must be {allowed}, got {shown(value)}")
    return value


def positive_number(value, name) -> float:
    """``value`` as a finite float > 0."""
    return number(value, name, low=0, low_open=True)


def probability(value, name) -> float:
    """``value`` as a float in [0, 1]."""
    return number(value, name, low=0, high=1)


def fraction(value, name) -> float:
    """``value`` as a float strictly between 0 and 1 (a share of a text to hold out, say)."""
    return number(value, name, low=0, high=1, low_open=True, high_open=True)


def rate(value, name) -> float:
    """``value`` as a float in [0, 1): a dropout rate, where 1 would drop everything."""
    return number(value, name, low=0, high=1, high_open=True)


def flag(value, name) -> bool:
    """``value``, which must be exactly True or False (not 0, 1 or a string)."""
    if not isinstance(value, bool):
        raise TypeError(
            f"{name} must be True or False, got {shown(value)} ({type(value).__name__})"
        )
    return value


def _range_words(kind, low, high, low_open, high_open) -> str:
    """``'an integer >= 1'``, ``'a finite number in [0, 1)'``, ...: what a check allows."""
    if low is not None and high is not None:
        return f"{kind} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high}"
    return kind


def vocab_matches(vocab, vocab_size) -> None:
    """Refuse a vocabulary (None: nothing to check) whose size is not the model's ``vocab_size``."""
    if vocab is not None and len(vocab) != vocab_size:
        raise ValueError(
            f"the model has vocab_size={vocab_size} but the vocabulary has {len(vocab)} "
            f"tokens: build the model with RNNLM(len(vocab), ...)"
        )


def token_ids(values, name, vocab_size):
    """``values`` as a 1-D int32 NumPy array of ids in ``0..vocab_size - 1`` (empty is allowed)."""
    import numpy as np

    ids = np.asarray(values)
    if ids.size == 0:
        return np.zeros(0, dtype=np.int32)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(
            f"{name} must be a 1-D sequence of integer token ids (use vocab[list(text)]), got "
            f"an array of shape {ids.shape} and dtype {ids.dtype}"
        )
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(
            f"{name} holds token ids from {ids.min()} to {ids.max()}, but the model has "
            f"vocab_size={vocab_size} (ids 0..{vocab_size - 1}): encode the text with the "
            "vocabulary the model was trained with"
        )
    return ids.astype(np.int32)
