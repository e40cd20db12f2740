"""Recurrent cells written from scratch: a plain RNN, a GRU and an LSTM, one gate per line.

Each cell is an ordinary ``keras.layers.Layer`` that computes a single time step, so it runs
anywhere a built-in cell runs: inside ``keras.layers.RNN`` (masks, ``go_backwards``,
``stateful``), ``keras.layers.StackedRNNCells``, ``keras.layers.Bidirectional`` and under
``jit_compile=True``. The code follows the lecture's notation::

    RNN   H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h)
    GRU   R_t = σ(X_t W_xr + H_{t-1} W_hr + b_r)        reset gate
          Z_t = σ(X_t W_xz + H_{t-1} W_hz + b_z)        update gate
          H̃_t = tanh(X_t W_xh + (R_t ⊙ H_{t-1}) W_hh + b_h)
          H_t = Z_t ⊙ H_{t-1} + (1 − Z_t) ⊙ H̃_t
    LSTM  I_t, F_t, O_t = σ(X_t W_x? + H_{t-1} W_h? + b_?)   input, forget, output gates
          C̃_t = tanh(X_t W_xc + H_{t-1} W_hc + b_c)
          C_t = F_t ⊙ C_{t-1} + I_t ⊙ C̃_t
          H_t = O_t ⊙ tanh(C_t)

Weights are stored per gate. Every matrix and bias in the formulas is its own variable with the
lecture's name (``cell.W_xr``, ``cell.b_z``, ...; also the variable names in ``cell.weights``),
so students can read and plot each gate. The built-in layers store one fused matrix per role
instead (``kernel`` = all ``W_x?`` side by side) and do one matmul for all gates. Per gate means
3-4 smaller matmuls per side and step, but they are independent, so TensorFlow can run them
side by side. On a quiet 2-core CPU (``benchmarks/throughput.py``, 256 units, batch 32, 35 steps,
one training step) the scratch/built-in ratio of tokens per second was, under ``tf.function``
and under XLA: RNN 0.99 and 1.03, GRU 1.59 and 1.05, LSTM 1.34 and 1.19. Only in eager mode,
where every op pays its dispatch cost, does the LSTM's 8 matmuls per step against 2 show (0.6).
Fusing the per-gate variables inside every step (a concatenate per step) was slower still. So
per-gate storage keeps the teaching value at the built-in's speed; ``docs/benchmarks.md`` has
the table.

The GRU's ``reset_after=True`` (the Keras default and what cuDNN computes) moves the reset gate
after the recurrent matmul and gives every gate separate input and recurrent biases::

    R_t = σ(X_t W_xr + b_xr + H_{t-1} W_hr + b_hr), Z_t likewise
    H̃_t = tanh(X_t W_xh + b_xh + R_t ⊙ (H_{t-1} W_hh + b_hh))

``reset_after=False`` is the lecture's formula exactly. Each cell's ``keras_layout`` says how
its per-gate variables line up with the built-in twin's fused ones; ``rnnkit.layers.weights``
uses it to copy weights both ways. Initializers are applied the way Keras applies them: to the whole
fused shape, whose slices then become the per-gate variables, so the initial scale (and, with a
seeded initializer, the exact values) matches the built-in layer.
"""

import keras
from keras import ops

from rnnkit import validate

__all__ = ["RNNCell", "GRUCell", "LSTMCell", "split_fused"]


def split_fused(fused, groups, units):
    """Cut a fused built-in weight into per-gate blocks; return ``{gate_name: block}``.

    ``groups`` is one entry of a cell's ``keras_layout``: a tuple of name tuples. With one group
    the names are the column blocks of ``fused`` (width ``units`` each, left to right); with
    several groups, group ``g`` holds the blocks of row ``fused[g]`` (the GRU's two bias rows).
    """
    rows = [fused] if len(groups) == 1 else [fused[g] for g in range(len(groups))]
    blocks = {}
    for row, names in zip(rows, groups, strict=True):
        for k, name in enumerate(names):
            blocks[name] = row[..., k * units : (k + 1) * units]
    return blocks


class _ScratchCell(keras.layers.Layer):
    """Shared plumbing: units, initializers, per-gate weight creation, state and config.

    A subclass defines ``call`` and ``keras_layout``: a dict from each fused variable of the
    built-in twin (``kernel``, ``recurrent_kernel``, ``bias``) to the per-gate names it holds.
    """

    def __init__(
        self,
        units,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = validate.positive_integer(units, "units")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def state_size(self):
        """One ``units``-wide hidden state (the LSTM overrides this with two)."""
        return self.units

    @property
    def output_size(self):
        """Each step outputs its new hidden state H_t."""
        return self.units

    def _previous_state(self, states):
        """``(H_prev, listed)`` from ``states``: a one-element list or tuple, or a bare tensor.

        Keras' own cells accept both; a bare tensor indexed as ``states[0]`` would silently be
        its first batch row. ``listed`` says whether to return the new state as a list too.
        """
        if keras.tree.is_nested(states):
            states = keras.tree.flatten(states)
            if len(states) != 1:
                raise ValueError(
                    f"{type(self).__name__} takes one state tensor (or a list of one), got "
                    f"{len(states)}"
                )
            return states[0], True
        return states, False

    def _fused_initializer(self, role):
        return {
            "kernel": self.kernel_initializer,
            "recurrent_kernel": self.recurrent_initializer,
            "bias": self.bias_initializer,
        }[role]

    def build(self, input_shape):
        """Create every per-gate variable as a slice of one draw of the built-in's fused shape."""
        leading = {"kernel": (input_shape[-1],), "recurrent_kernel": (self.units,), "bias": ()}
        for role, groups in self.keras_layout.items():
            stack = (len(groups),) if len(groups) > 1 else ()
            fused_shape = stack + leading[role] + (len(groups[0]) * self.units,)
            draw = self._lazy_draw(role, fused_shape, groups)
            block_shape = stack[1:] + leading[role] + (self.units,)
            for names in groups:
                for name in names:
                    # Default arguments pin this name and role; a closure would see the last.
                    variable = self.add_weight(
                        shape=block_shape,
                        initializer=lambda shape, dtype=None, name=name, draw=draw: ops.cast(
                            draw(name), dtype
                        ),
                        name=name,
                    )
                    setattr(self, name, variable)
        self.built = True

    def _lazy_draw(self, role, fused_shape, groups):
        """Return ``block(name)``: draw the fused shape and cut out that gate's block.

        Each variable draws inside its own initializer call, not in ``build``: Keras may build a
        layer while tracing a graph and initialize the variables elsewhere, where a tensor drawn
        during the trace is out of scope. A seeded initializer gives the same draw every call,
        so the blocks still match the built-in layer exactly; an unseeded one gives each block
        its own draw from the same distribution.
        """

        def block(name):
            fused = self._fused_initializer(role)(fused_shape, dtype=self.variable_dtype)
            return split_fused(fused, groups, self.units)[name]

        return block

    def get_initial_state(self, batch_size=None):
        """Return the all-zero states H_0 (and C_0 for the LSTM) as a list."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes]

    def get_config(self):
        """Return the constructor arguments so the cell can be saved and rebuilt."""
        config = super().get_config()
        config.update(
            units=self.units,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            recurrent_initializer=keras.initializers.serialize(self.recurrent_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="rnnkit")
class RNNCell(_ScratchCell):
    """Plain (Elman) RNN step: H_t = φ(X_t W_xh + H_{t-1} W_hh + b_h); twin of ``SimpleRNNCell``.

    Args:
        units: size of the hidden state H_t.
        activation: φ, any Keras activation (name or callable); ``"tanh"`` by default.
        kernel_initializer, recurrent_initializer, bias_initializer: as in Keras.
    """

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(units, **kwargs)
        self.activation = keras.activations.get(activation)

    @property
    def keras_layout(self):
        """SimpleRNN stores W_xh as ``kernel``, W_hh as ``recurrent_kernel``, b_h as ``bias``."""
        return {"kernel": (("W_xh",),), "recurrent_kernel": (("W_hh",),), "bias": (("b_h",),)}

    def call(self, inputs, states, training=None):
        """One step: return ``(H_t, [H_t])`` (``(H_t, H_t)`` for a bare state tensor)."""
        H_prev, listed = self._previous_state(states)
        X_t = inputs
        H_t = self.activation(ops.matmul(X_t, self.W_xh) + ops.matmul(H_prev, self.W_hh) + self.b_h)
        return H_t, [H_t] if listed else H_t

    def get_config(self):
        """Return the constructor arguments, the activation included."""
        return {**super().get_config(), "activation": keras.activations.serialize(self.activation)}


@keras.saving.register_keras_serializable(package="rnnkit")
class GRUCell(_ScratchCell):
    """Gated recurrent unit step with a reset gate R_t and an update gate Z_t; twin of ``GRUCell``.

    Args:
        units: size of the hidden state H_t.
        reset_after: apply R_t after the recurrent matmul, with separate input and recurrent
            biases (Keras' default, True), or before it as in the lecture (False).
        kernel_initializer, recurrent_initializer, bias_initializer: as in Keras.
    """

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = validate.flag(reset_after, "reset_after")

    @property
    def keras_layout(self):
        """The built-in GRU orders gates z | r | h; with reset_after its bias has two rows."""
        if self.reset_after:
            bias = (("b_xz", "b_xr", "b_xh"), ("b_hz", "b_hr", "b_hh"))
        else:
            bias = (("b_z", "b_r", "b_h"),)
        return {
            "kernel": (("W_xz", "W_xr", "W_xh"),),
            "recurrent_kernel": (("W_hz", "W_hr", "W_hh"),),
            "bias": bias,
        }

    def call(self, inputs, states, training=None):
        """One step: return ``(H_t, [H_t])`` (``(H_t, H_t)`` for a bare state tensor)."""
        H_prev, listed = self._previous_state(states)
        X_t = inputs
        if self.reset_after:
            R_t = ops.sigmoid(
                ops.matmul(X_t, self.W_xr) + self.b_xr + ops.matmul(H_prev, self.W_hr) + self.b_hr
            )
            Z_t = ops.sigmoid(
                ops.matmul(X_t, self.W_xz) + self.b_xz + ops.matmul(H_prev, self.W_hz) + self.b_hz
            )
            H_tilde = ops.tanh(
                ops.matmul(X_t, self.W_xh)
                + self.b_xh
                + R_t * (ops.matmul(H_prev, self.W_hh) + self.b_hh)
            )
        else:
            R_t = ops.sigmoid(ops.matmul(X_t, self.W_xr) + ops.matmul(H_prev, self.W_hr) + self.b_r)
            Z_t = ops.sigmoid(ops.matmul(X_t, self.W_xz) + ops.matmul(H_prev, self.W_hz) + self.b_z)
            H_tilde = ops.tanh(
                ops.matmul(X_t, self.W_xh) + ops.matmul(R_t * H_prev, self.W_hh) + self.b_h
            )
        H_t = Z_t * H_prev + (1.0 - Z_t) * H_tilde
        return H_t, [H_t] if listed else H_t

    def get_config(self):
        """Return the constructor arguments, ``reset_after`` included."""
        return {**super().get_config(), "reset_after": self.reset_after}


@keras.saving.register_keras_serializable(package="rnnkit")
class LSTMCell(_ScratchCell):
    """LSTM step: input, forget and output gates I_t, F_t, O_t and a memory cell C_t.

    Args:
        units: size of the hidden state H_t and of the memory cell C_t.
        unit_forget_bias: start b_f at 1 so the cell remembers by default (as Keras does).
        kernel_initializer, recurrent_initializer, bias_initializer: as in Keras.

    Twin of ``keras.layers.LSTMCell``.
    """

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = validate.flag(unit_forget_bias, "unit_forget_bias")

    @property
    def state_size(self):
        """Two states: the hidden state H_t and the memory cell C_t, in that order."""
        return [self.units, self.units]

    @property
    def keras_layout(self):
        """The built-in LSTM orders gates i | f | c | o."""
        return {
            "kernel": (("W_xi", "W_xf", "W_xc", "W_xo"),),
            "recurrent_kernel": (("W_hi", "W_hf", "W_hc", "W_ho"),),
            "bias": (("b_i", "b_f", "b_c", "b_o"),),
        }

    def _fused_initializer(self, role):
        if role != "bias" or not self.unit_forget_bias:
            return super()._fused_initializer(role)
        units, initializer = self.units, self.bias_initializer

        # Same three draws as the built-in (i, then ones for f, then c|o), so seeds agree.
        def forget_bias_initializer(shape, dtype=None):
            return ops.concatenate(
                [
                    initializer((units,), dtype=dtype),
                    ops.ones((units,), dtype=dtype),
                    initializer((2 * units,), dtype=dtype),
                ]
            )

        return forget_bias_initializer

    def call(self, inputs, states, training=None):
        """One step: return ``(H_t, [H_t, C_t])``."""
        if not keras.tree.is_nested(states) or len(keras.tree.flatten(states)) != 2:
            raise ValueError(
                "LSTMCell takes its state as a list [H, C] of two tensors; a single tensor would "
                "be read row by row"
            )
        (H_prev, C_prev), X_t = keras.tree.flatten(states), inputs
        I_t = ops.sigmoid(ops.matmul(X_t, self.W_xi) + ops.matmul(H_prev, self.W_hi) + self.b_i)
        F_t = ops.sigmoid(ops.matmul(X_t, self.W_xf) + ops.matmul(H_prev, self.W_hf) + self.b_f)
        O_t = ops.sigmoid(ops.matmul(X_t, self.W_xo) + ops.matmul(H_prev, self.W_ho) + self.b_o)
        C_tilde = ops.tanh(ops.matmul(X_t, self.W_xc) + ops.matmul(H_prev, self.W_hc) + self.b_c)
        C_t = F_t * C_prev + I_t * C_tilde
        H_t = O_t * ops.tanh(C_t)
        return H_t, [H_t, C_t]

    def get_config(self):
        """Return the constructor arguments, ``unit_forget_bias`` included."""
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}
