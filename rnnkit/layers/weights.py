"""Copy weights between the scratch layers of ``rnnkit`` and their Keras built-in twins.

A scratch cell keeps one variable per gate (``W_xz``, ``W_hz``, ``b_z``, ...); the built-in
cell keeps fused ones (``kernel``, ``recurrent_kernel``, ``bias``) with the gates side by side.
Each scratch cell's ``keras_layout`` says which per-gate variables make up which fused one::

    SimpleRNN  kernel (d, u), recurrent_kernel (u, u), bias (u,)
    GRU        kernel (d, 3u) and recurrent_kernel (u, 3u) in gate order z | r | h;
               bias (2, 3u) = [input row, recurrent row] with reset_after=True, else (3u,)
    LSTM       kernel (d, 4u), recurrent_kernel (u, 4u), bias (4u,) in gate order i | f | c | o

``to_keras(scratch, built_in)`` and ``from_keras(built_in, scratch)`` copy from their first
argument into their second. Either argument may be a cell, a ``keras.layers.RNN`` around one
(``keras.layers.GRU`` counts), a ``keras.layers.StackedRNNCells``, an ``rnnkit.layers.Stacked``
or a ``Bidirectional`` (``rnnkit``'s or Keras'): they are matched cell by cell, bottom layer
first and forward direction before backward. Both sides must be built.
"""

import keras
import numpy as np

from rnnkit.layers import cells, wrappers

__all__ = ["to_keras", "from_keras", "fused_weights", "cells_of", "TWINS"]

TWINS = {
    cells.RNNCell: keras.layers.SimpleRNNCell,
    cells.GRUCell: keras.layers.GRUCell,
    cells.LSTMCell: keras.layers.LSTMCell,
}
"""Each scratch cell class and the built-in cell class that computes the same function."""


def _describe(layer):
    return f"{type(layer).__name__} {layer.name!r}"


def cells_of(layer):
    """List the cells inside ``layer`` in the order the copy functions pair them.

    Bottom layer first, forward direction before backward; a cell on its own is a list of one.
    """
    if isinstance(layer, (wrappers.Bidirectional, keras.layers.Bidirectional)):
        return cells_of(layer.forward_layer) + cells_of(layer.backward_layer)
    if isinstance(layer, wrappers.Stacked):
        return [cell for inner in layer.rnn_layers for cell in cells_of(inner)]
    if isinstance(layer, keras.layers.RNN):
        return cells_of(layer.cell)
    if isinstance(layer, keras.layers.StackedRNNCells):
        return [cell for inner in layer.cells for cell in cells_of(inner)]
    return [layer]


def fused_weights(cell, values=None):
    """Arrange a scratch cell's per-gate arrays the way its built-in twin stores them.

    Args:
        cell: a built cell from ``rnnkit.layers.cells``.
        values: ``{gate_name: array}`` to arrange instead of the cell's current weights, for
            example gradients keyed by variable name.

    Returns:
        ``{"kernel": ..., "recurrent_kernel": ..., "bias": ...}`` as NumPy arrays.
    """
    if not isinstance(cell, tuple(TWINS)):
        raise ValueError(
            f"cell={cell!r} is not a scratch cell: pass one of "
            f"{[klass.__name__ for klass in TWINS]} from rnnkit.layers.cells"
        )
    _check_built(cell)
    if values is None:
        values = {name: getattr(cell, name) for name in _gate_names(cell)}
    fused = {}
    for role, groups in cell.keras_layout.items():
        rows = [np.concatenate([np.asarray(values[n]) for n in names], axis=-1) for names in groups]
        fused[role] = rows[0] if len(rows) == 1 else np.stack(rows)
    return fused


def _gate_names(cell):
    return [name for groups in cell.keras_layout.values() for names in groups for name in names]


def _check_built(layer):
    if not layer.built:
        raise ValueError(
            f"{_describe(layer)} has no weights yet: build it first (call it on a batch, or "
            "call .build(input_shape))"
        )


def _check_pair(scratch, built_in):
    """Raise ValueError unless the two cells are twins that can hold the same weights."""
    twin = TWINS.get(type(scratch))
    if twin is None:
        raise ValueError(
            f"{_describe(scratch)} is not a scratch cell: expected one of "
            f"{[klass.__name__ for klass in TWINS]} from rnnkit.layers.cells"
        )
    if type(built_in) is not twin:
        raise ValueError(
            f"{_describe(built_in)} is not the twin of {_describe(scratch)}: expected a "
            f"keras.layers.{twin.__name__}"
        )
    _check_built(scratch)
    _check_built(built_in)
    if isinstance(scratch, cells.GRUCell) and scratch.reset_after != built_in.reset_after:
        raise ValueError(
            f"{_describe(scratch)} has reset_after={scratch.reset_after} but "
            f"{_describe(built_in)} has reset_after={built_in.reset_after}: build both the same way"
        )
    for role in scratch.keras_layout:
        variable = getattr(built_in, role, None)
        if variable is None:
            raise ValueError(
                f"{_describe(built_in)} has no {role} (use_bias=False?), but {_describe(scratch)} "
                f"does: build the built-in layer with use_bias=True"
            )


def _pairs(source, target, direction):
    """Pair the leaf cells of ``source`` and ``target``; return (scratch, built_in) tuples."""
    source_cells, target_cells = cells_of(source), cells_of(target)
    if len(source_cells) != len(target_cells):
        raise ValueError(
            f"{direction}: {_describe(source)} holds {len(source_cells)} cell(s) but "
            f"{_describe(target)} holds {len(target_cells)}: the two must have the same layers"
        )
    if direction == "to_keras":
        pairs = list(zip(source_cells, target_cells, strict=True))
    else:
        pairs = list(zip(target_cells, source_cells, strict=True))
    for scratch, built_in in pairs:
        _check_pair(scratch, built_in)
    return pairs


def _shape_error(direction, scratch, built_in, role, scratch_shape, built_in_shape):
    return ValueError(
        f"{direction}: cannot copy {role}: {_describe(scratch)} has shape "
        f"{tuple(scratch_shape)} but {_describe(built_in)} has shape {tuple(built_in_shape)} "
        "(check units and input size)"
    )


def to_keras(scratch, built_in):
    """Copy the weights of a scratch layer (or cell) into its built-in twin, in place.

    Raises ValueError when the two do not correspond: different cell types or counts, GRUs with
    different ``reset_after``, unbuilt layers, or shapes that differ (message names both).
    """
    pairs = _pairs(scratch, built_in, "to_keras")
    # Validate every pair before assigning anything, so a failure leaves the target untouched.
    plans = []
    for scratch_cell, built_in_cell in pairs:
        for role, value in fused_weights(scratch_cell).items():
            variable = getattr(built_in_cell, role)
            if tuple(variable.shape) != value.shape:
                raise _shape_error(
                    "to_keras", scratch_cell, built_in_cell, role, value.shape, variable.shape
                )
            plans.append((variable, value))
    for variable, value in plans:
        variable.assign(value)


def from_keras(built_in, scratch):
    """Copy the weights of a built-in layer (or cell) into its scratch twin, in place.

    Raises ValueError like ``to_keras``.
    """
    pairs = _pairs(built_in, scratch, "from_keras")
    plans = []
    for scratch_cell, built_in_cell in pairs:
        current = fused_weights(scratch_cell)
        for role, groups in scratch_cell.keras_layout.items():
            value = np.asarray(getattr(built_in_cell, role))
            shape = current[role].shape
            if value.shape != shape:
                raise _shape_error(
                    "from_keras", scratch_cell, built_in_cell, role, shape, value.shape
                )
            blocks = cells.split_fused(value, groups, scratch_cell.units)
            plans.extend((getattr(scratch_cell, name), block) for name, block in blocks.items())
    for variable, value in plans:
        variable.assign(value)
