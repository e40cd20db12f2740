"""Layers: scratch RNN, GRU and LSTM cells, Bidirectional and Stacked wrappers, weight copying.

Plain Keras layers that know nothing of text; each is checked against its Keras built-in twin
(outputs, states and gradients) once weights are copied with :func:`to_keras`.
"""

from rnnkit import lazy_names

_HOMES = {
    "RNNCell": "cells",
    "GRUCell": "cells",
    "LSTMCell": "cells",
    "Bidirectional": "wrappers",
    "Stacked": "wrappers",
    "to_keras": "weights",
    "from_keras": "weights",
    "fused_weights": "weights",
    "cells_of": "weights",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
