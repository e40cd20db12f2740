"""A recurrent language model: token ids in, next-token logits out, with a state to carry.

:class:`RNNLM` wraps any Keras recurrent layer (``SimpleRNN``, ``GRU``, ``LSTM``,
``keras.layers.RNN`` over a scratch cell, stacks and bidirectional wrappers)::

    ids (batch, T) -> one-hot or embedding (batch, T, d) -> recurrent layer (batch, T, h)
                   -> Dense (batch, T, vocab_size) logits

Output ``t`` is the model's guess for token ``t + 1``. The state reached at the end of one chunk
of text can be passed as the initial state of the next chunk, which is what stateful training,
fair evaluation and text generation need: ``model(ids, initial_state=s, return_state=True)``
returns ``(logits, final_state)``, and :meth:`RNNLM.step` does the same as a compiled function.

A state is whatever the recurrent layer returns after its output: ``[h]`` for ``SimpleRNN`` and
``GRU``, ``[h, c]`` for ``LSTM``, nested lists for stacked cells, forward then backward states
for ``Bidirectional``. This module treats it as an opaque (possibly nested) list of tensors.
"""

import keras
import tensorflow as tf

from rnnkit import validate

ENCODINGS = ("one_hot", "embedding")


def reads_the_future(layer) -> bool:
    """True when ``layer`` (or a layer inside it) reads its input backwards in time.

    That covers ``Bidirectional`` wrappers (Keras's and any class named ``*Bidirectional*``)
    and any recurrent layer built with ``go_backwards=True``. Such a layer sees token ``t + 1``
    when it computes output ``t``, so it cannot be a next-token language model: its training
    loss drops towards 0 because the answer is part of its input, and it cannot generate text.
    """
    # _flatten_layers is the walk Keras itself uses for summaries; it reaches wrapped layers.
    for inner in layer._flatten_layers(include_self=True, recursive=True):
        if "Bidirectional" in type(inner).__name__ or getattr(inner, "go_backwards", False):
            return True
    return False


@keras.saving.register_keras_serializable(package="rnnkit")
class RNNLM(keras.Model):
    """Character- or word-level language model around one Keras recurrent layer.

    ``recurrent_layer`` must be built with ``return_sequences=True`` (the model predicts a token
    at every step) and ``return_state=True`` (so the state can be carried from one chunk of text
    to the next), for example ``keras.layers.GRU(64, return_sequences=True, return_state=True)``.

    ``encoding="one_hot"`` feeds each id as a one-hot vector of length ``vocab_size``. That is
    exactly an embedding lookup in a fixed identity matrix: row ``i`` of ``I`` is the one-hot
    vector of ``i``, and ``one_hot(i) @ W`` picks row ``i`` of the recurrent layer's input
    weights ``W``. ``encoding="embedding"`` learns a dense ``(vocab_size, embedding_dim)`` table
    instead, which is cheaper when the vocabulary is large (words rather than characters).

    A model whose recurrent layer reads the future (see :func:`reads_the_future`) can be built
    and trained, to show how it cheats, but :attr:`is_causal` is False and the training,
    evaluation and generation helpers refuse it unless told otherwise.
    """

    def __init__(
        self, vocab_size, recurrent_layer, encoding="one_hot", embedding_dim=None, **kwargs
    ):
        super().__init__(**kwargs)
        vocab_size = validate.integer(vocab_size, "vocab_size", minimum=2)
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
        if encoding == "embedding":
            if embedding_dim is None:
                raise ValueError("encoding='embedding' needs embedding_dim, a positive integer")
            embedding_dim = validate.positive_integer(embedding_dim, "embedding_dim")
        elif embedding_dim is not None:
            raise ValueError(
                f"embedding_dim={embedding_dim!r} is only used with encoding='embedding'; "
                f"one-hot vectors always have vocab_size={vocab_size} entries"
            )
        _check_recurrent_layer(recurrent_layer)
        self.vocab_size = vocab_size
        self.encoding = encoding
        self.embedding_dim = embedding_dim
        self.embedding = (
            keras.layers.Embedding(vocab_size, embedding_dim, name="embedding")
            if encoding == "embedding"
            else None
        )
        self.rnn = recurrent_layer
        self.head = keras.layers.Dense(vocab_size, name="head")

    def build(self, input_shape):
        """Create the weights for ids of shape ``(batch, T)``, layer by layer.

        Building each layer directly (rather than by a symbolic trial run of ``call``) keeps
        every weight created eagerly, which also suits cells that draw initial values in
        ``build``.
        """
        width = self.vocab_size if self.embedding is None else self.embedding_dim
        sequence_shape = (*tuple(input_shape), width)
        if self.embedding is not None:
            self.embedding.build(tuple(input_shape))
        self.rnn.build(sequence_shape)
        outputs = self.rnn.compute_output_spec(keras.KerasTensor(sequence_shape))
        self.head.build(tuple(outputs[0].shape))
        self.built = True

    @property
    def is_causal(self) -> bool:
        """True when output ``t`` depends only on tokens ``0..t`` (a valid next-token LM)."""
        return not reads_the_future(self.rnn)

    def encode(self, ids):
        """Token ids ``(batch, T)`` → input vectors ``(batch, T, d)``."""
        if self.embedding is None:
            return keras.ops.one_hot(ids, self.vocab_size)
        return self.embedding(ids)

    def call(self, ids, initial_state=None, return_state=False, training=None):
        """Logits ``(batch, T, vocab_size)``; with ``return_state=True``, ``(logits, state)``.

        ``initial_state=None`` starts from the layer's zero state.
        """
        outputs = self.rnn(self.encode(ids), initial_state=initial_state, training=training)
        logits = self.head(outputs[0])
        if return_state:
            return logits, list(outputs[1:])
        return logits

    def zero_state(self, batch_size):
        """The state the model starts from, for ``batch_size`` sequences (all zeros)."""
        _, state = self(keras.ops.zeros((batch_size, 1), dtype="int32"), return_state=True)
        return keras.tree.map_structure(keras.ops.zeros_like, state)

    def step(self, ids, state=None):
        """Run one chunk of ``ids`` ``(batch, T)`` from ``state``; return ``(logits, state)``.

        The same as ``self(ids, initial_state=state, return_state=True)`` in inference mode,
        compiled with ``tf.function`` so that calling it token by token stays fast.
        ``state=None`` means the zero state.
        """
        ids = tf.convert_to_tensor(ids, dtype=tf.int32)
        if state is None:
            state = self.zero_state(ids.shape[0])
        if getattr(self, "_compiled_step", None) is None:
            # One trace for every batch size and chunk length: only the feature sizes are fixed.
            signature = [
                tf.TensorSpec([None, None], tf.int32),
                keras.tree.map_structure(
                    lambda t: tf.TensorSpec([None, *t.shape[1:]], t.dtype), state
                ),
            ]
            self._compiled_step = tf.function(self._step, input_signature=signature)
        return self._compiled_step(ids, state)

    def _step(self, ids, state):
        return self(ids, initial_state=state, return_state=True, training=False)

    def get_config(self):
        """Config for ``.keras`` files; the recurrent layer is stored with its own config."""
        config = super().get_config()
        config.update(
            vocab_size=self.vocab_size,
            recurrent_layer=keras.saving.serialize_keras_object(self.rnn),
            encoding=self.encoding,
            embedding_dim=self.embedding_dim,
        )
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild the model, recurrent layer included, from :meth:`get_config`."""
        config = dict(config)
        config["recurrent_layer"] = keras.saving.deserialize_keras_object(config["recurrent_layer"])
        return cls(**config)


def check_language_model(model, allow_bidirectional=False, stateful=False) -> None:
    """Refuse anything but an :class:`RNNLM` that predicts the next token from the past only.

    A bidirectional model is refused unless ``allow_bidirectional=True`` (to show its leak),
    and always when it would be trained statefully.
    """
    if not isinstance(model, RNNLM):
        raise ValueError(f"model must be an rnnkit.lm.RNNLM, got {type(model).__name__}")
    if model.is_causal:
        return
    reason = (
        f"its recurrent layer {type(model.rnn).__name__} reads the sequence backwards too, so "
        "output t already sees token t + 1, the very token it should predict"
    )
    if stateful:
        raise ValueError(
            f"model cannot be trained statefully: {reason}, and a backward state cannot be "
            "carried forward to the next batch"
        )
    if not allow_bidirectional:
        raise ValueError(
            f"model is not a next-token language model: {reason}. Its loss would fall towards 0 "
            "by copying its input. Pass allow_bidirectional=True to train it anyway (to watch "
            "that leak)."
        )


def _check_recurrent_layer(layer) -> None:
    """Raise ValueError unless ``layer`` is a recurrent layer that returns sequences and state."""
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(
            f"recurrent_layer must be a Keras layer such as keras.layers.GRU(64, "
            f"return_sequences=True, return_state=True), got {type(layer).__name__}"
        )
    name = type(layer).__name__
    missing = [
        flag for flag in ("return_sequences", "return_state") if not getattr(layer, flag, False)
    ]
    if missing:
        wanted = ", ".join(f"{flag}=True" for flag in missing)
        raise ValueError(
            f"recurrent_layer {name} must be built with {wanted}: the model predicts a token at "
            "every step (return_sequences) and carries its state from one chunk of text to the "
            "next (return_state); e.g. keras.layers.GRU(64, return_sequences=True, "
            "return_state=True)"
        )
