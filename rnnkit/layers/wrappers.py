"""Wrappers that combine recurrent layers: a bidirectional RNN and a deep (stacked) RNN.

``Bidirectional`` runs one recurrent layer forward in time and a copy of it backward, realigns
the backward outputs with the forward ones, and merges them. ``Stacked`` feeds each layer's
sequence of hidden states to the next one: H_t^j = f_j(H_{t-1}^j, H_t^{j-1}), with
H_t^0 = X_t. Both accept any ``keras.layers.RNN`` (a built-in ``GRU``/``LSTM``/``SimpleRNN``
or ``keras.layers.RNN`` around a cell from ``rnnkit.layers.cells``) and give the same numbers as
``keras.layers.Bidirectional`` and ``keras.layers.RNN(keras.layers.StackedRNNCells(...))``.
"""

import keras
from keras import ops

from rnnkit import validate

__all__ = ["Bidirectional", "Stacked", "MERGE_MODES"]

MERGE_MODES = ("concat", "sum", "ave", "mul", None)


def _check_rnn(layer, argument):
    if not isinstance(layer, keras.layers.RNN):
        raise ValueError(
            f"{argument}={layer!r} is not a recurrent layer: pass a keras.layers.RNN "
            "(for example keras.layers.GRU(8) or keras.layers.RNN(rnnkit.layers.GRUCell(8)))"
        )


def _output_size(cell):
    """A cell's output width; Keras lets a cell omit ``output_size`` when it is its first state."""
    size = getattr(cell, "output_size", None)
    return size if size is not None else keras.tree.flatten(cell.state_size)[0]


def _realign(outputs, layer):
    """Put a layer's sequence outputs back in time order if it read the input backwards."""
    return ops.flip(outputs, axis=1) if layer.go_backwards and layer.return_sequences else outputs


@keras.saving.register_keras_serializable(package="rnnkit")
class Bidirectional(keras.layers.Layer):
    """Run a recurrent layer forward and a copy of it backward over the sequence; merge both.

    Args:
        layer: the forward ``keras.layers.RNN``; used as is (not copied), so its weights are
            the wrapper's forward weights.
        backward_layer: the backward layer. By default a fresh copy of ``layer``'s config with
            ``go_backwards`` flipped (new weights, same settings).
        merge_mode: how the two directions are combined: ``"concat"`` (last axis), ``"sum"``,
            ``"ave"``, ``"mul"``, or None for the list ``[forward, backward]``.

    ``return_sequences``, ``return_state`` and ``stateful`` follow the wrapped layer; both
    directions must agree on them. Backward sequence outputs are flipped back, so position t of
    the output sees the whole input around t. With ``return_state`` the result is the merged
    output followed by the forward states, then the backward states. As in
    ``keras.layers.Bidirectional``, when ``return_sequences`` both layers are switched to
    ``zero_output_for_mask=True``: masked positions read zeros, not a stale state.
    """

    def __init__(self, layer, backward_layer=None, merge_mode="concat", **kwargs):
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"merge_mode={merge_mode!r} is not allowed: use one of {list(MERGE_MODES)}"
            )
        _check_rnn(layer, "layer")
        if backward_layer is None:
            config = keras.saving.serialize_keras_object(layer)
            config["config"]["go_backwards"] = not layer.go_backwards
            config["config"]["name"] = f"backward_{layer.name}"
            backward_layer = keras.saving.deserialize_keras_object(config)
        _check_rnn(backward_layer, "backward_layer")
        if backward_layer.go_backwards == layer.go_backwards:
            raise ValueError(
                f"backward_layer.go_backwards={backward_layer.go_backwards} equals "
                f"layer.go_backwards: the two directions must read the sequence opposite ways"
            )
        for attribute in ("return_sequences", "return_state", "stateful"):
            forward_value = getattr(layer, attribute)
            backward_value = getattr(backward_layer, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    f"backward_layer.{attribute}={backward_value} but layer.{attribute}="
                    f"{forward_value}: build both directions with the same {attribute}"
                )
        super().__init__(**kwargs)
        self.forward_layer = layer
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        for direction in (layer, backward_layer):
            direction.zero_output_for_mask = direction.return_sequences
        self.supports_masking = True

    def build(self, sequences_shape, initial_state_shape=None):
        """Build both directions for inputs of shape ``(batch, time, features)``."""
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction.build(sequences_shape)
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """Run both directions; ``initial_state`` lists the forward states, then the backward."""
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        forward = self.forward_layer(
            sequences, initial_state=forward_state, mask=mask, training=training
        )
        backward = self.backward_layer(
            sequences, initial_state=backward_state, mask=mask, training=training
        )
        states = []
        if self.return_state:
            states = list(forward[1:]) + list(backward[1:])
            forward, backward = forward[0], backward[0]
        forward = _realign(forward, self.forward_layer)
        backward = _realign(backward, self.backward_layer)
        if self.merge_mode is None:
            return [forward, backward] + states
        if self.merge_mode == "concat":
            merged = ops.concatenate([forward, backward], axis=-1)
        elif self.merge_mode == "sum":
            merged = forward + backward
        elif self.merge_mode == "ave":
            merged = (forward + backward) / 2.0
        else:
            merged = forward * backward
        return [merged] + states if self.return_state else merged

    def compute_mask(self, sequences, mask=None):
        """Pass the time mask on to sequence outputs; states and last outputs carry none."""
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if not self.return_state:
            return masks if self.merge_mode is None else output_mask
        states = len(self.forward_layer.state_size) + len(self.backward_layer.state_size)
        return masks + [None] * states

    def reset_state(self):
        """Zero the carried states of both directions (stateful layers only)."""
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        """The same as :meth:`reset_state`, the other spelling Keras' layers accept."""
        self.reset_state()

    def get_config(self):
        """Return both directions' configs and the merge mode."""
        return {
            **super().get_config(),
            "layer": keras.saving.serialize_keras_object(self.forward_layer),
            "backward_layer": keras.saving.serialize_keras_object(self.backward_layer),
            "merge_mode": self.merge_mode,
        }

    @classmethod
    def from_config(cls, config):
        """Rebuild both directions from their configs."""
        config = dict(config)
        layer = keras.saving.deserialize_keras_object(config.pop("layer"))
        backward_layer = keras.saving.deserialize_keras_object(config.pop("backward_layer"))
        return cls(layer, backward_layer=backward_layer, **config)


@keras.saving.register_keras_serializable(package="rnnkit")
class Stacked(keras.layers.Layer):
    """A deep RNN: each layer reads the hidden states of the layer below, step by step.

    Args:
        layers_or_cells: a list of RNN cells (each is wrapped in ``keras.layers.RNN``) or of
            ``keras.layers.RNN`` layers, bottom first; mixing both is fine. Layers are used as
            given, except that ``Stacked`` sets their ``return_sequences`` (True below the
            top) and ``return_state`` (always True) itself.
        dropout: fraction of each lower layer's outputs dropped before the next layer reads them,
            in training only (0 turns it off).
        return_sequences: return the top layer's output at every step (True) or the last one.
        return_state: also return the final states of every layer, flattened bottom first in
            the order ``keras.layers.StackedRNNCells`` keeps them (an LSTM gives H, then C).

    ``initial_state``, when passed to a call, is a flat list in that same order. The stack
    follows the lecture's H_t^j = f_j(H_{t-1}^j, H_t^{j-1}) and matches
    ``keras.layers.RNN(keras.layers.StackedRNNCells(cells))`` number for number.
    """

    def __init__(
        self, layers_or_cells, dropout=0.0, return_sequences=False, return_state=False, **kwargs
    ):
        if not isinstance(layers_or_cells, (list, tuple)) or not layers_or_cells:
            raise ValueError(
                f"layers_or_cells={layers_or_cells!r} is not allowed: pass a non-empty list of "
                "RNN cells or keras.layers.RNN layers"
            )
        dropout = validate.rate(dropout, "dropout")
        super().__init__(**kwargs)
        self.rnn_layers = [self._as_layer(item, j) for j, item in enumerate(layers_or_cells)]
        for layer in self.rnn_layers[:-1]:
            layer.return_sequences = True
        self.rnn_layers[-1].return_sequences = return_sequences
        for layer in self.rnn_layers:
            layer.return_state = True
        self.dropout = float(dropout)
        self.dropout_layer = keras.layers.Dropout(self.dropout) if self.dropout else None
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.supports_masking = True

    @staticmethod
    def _as_layer(item, index):
        if isinstance(item, keras.layers.RNN):
            if item.go_backwards:
                raise ValueError(
                    f"layers_or_cells[{index}] has go_backwards=True: a deep RNN reads forward; "
                    "wrap the stack's layers in rnnkit.layers.Bidirectional for both directions"
                )
            return item
        if isinstance(item, keras.layers.Layer) and hasattr(item, "state_size"):
            return keras.layers.RNN(item, return_sequences=True, return_state=True)
        raise ValueError(
            f"layers_or_cells[{index}]={item!r} is neither an RNN cell (a layer with a "
            "state_size) nor a keras.layers.RNN"
        )

    def _state_counts(self):
        return [len(keras.tree.flatten(layer.state_size)) for layer in self.rnn_layers]

    def build(self, sequences_shape, initial_state_shape=None):
        """Build every layer in turn, each for the output shape of the one below."""
        shape = tuple(sequences_shape)
        for layer in self.rnn_layers:
            if not layer.built:
                layer.build(shape)
            shape = shape[:2] + (_output_size(layer.cell),)
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        """Run the layers bottom to top; return the top output (and all final states)."""
        states = []
        offset = 0
        outputs = sequences
        for j, (layer, count) in enumerate(zip(self.rnn_layers, self._state_counts(), strict=True)):
            if j > 0 and self.dropout_layer is not None:
                outputs = self.dropout_layer(outputs, training=training)
            layer_state = None
            if initial_state is not None:
                flat = list(initial_state[offset : offset + count])
                layer_state = keras.tree.pack_sequence_as(layer.state_size, flat)
                offset += count
            outputs, *layer_states = layer(
                outputs, initial_state=layer_state, mask=mask, training=training
            )
            states.extend(keras.tree.flatten(layer_states))
        return [outputs] + states if self.return_state else outputs

    def compute_mask(self, sequences, mask=None):
        """Pass the time mask on to sequence outputs; states and last outputs carry none."""
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * sum(self._state_counts())
        return output_mask

    def reset_state(self):
        """Zero the carried states of every stateful layer in the stack."""
        for layer in self.rnn_layers:
            if layer.stateful:
                layer.reset_state()

    def reset_states(self):
        """The same as :meth:`reset_state`, the other spelling Keras' layers accept."""
        self.reset_state()

    def get_config(self):
        """Return the layers' configs and the stack's settings."""
        return {
            **super().get_config(),
            "layers_or_cells": [keras.saving.serialize_keras_object(x) for x in self.rnn_layers],
            "dropout": self.dropout,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
        }

    @classmethod
    def from_config(cls, config):
        """Rebuild the stack from its layers' configs."""
        config = dict(config)
        layers = [keras.saving.deserialize_keras_object(x) for x in config.pop("layers_or_cells")]
        return cls(layers, **config)
