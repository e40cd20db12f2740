"""Generating text with a trained :class:`rnnkit.lm.RNNLM`, one token at a time.

The model first reads the prefix in one go, which leaves it in the state "having read the
prefix" and gives a distribution for the next token. Then it repeats: pick a token, feed that
single token from the current state, get the next distribution. The prefix is never re-read.

How the token is picked:

* ``"greedy"``: the most likely token (ties go to the lowest id). Deterministic, and prone to
  loops such as "the the the".
* ``"temperature"``: sample from ``softmax(logits / temperature)``. Below 1 the distribution
  sharpens towards greedy, above 1 it flattens towards uniform.
* ``"top-k"``: keep the ``top_k`` most likely tokens, then sample among them as above.

``"<unk>"`` and the vocabulary's reserved tokens (``"<pad>"``, ``"<eos>"``, ...) are never
produced: their logits are set to minus infinity before picking.
"""

import warnings

import numpy as np

from rnnkit import validate
from rnnkit.lm.rnnlm import RNNLM

STRATEGIES = ("greedy", "temperature", "top-k")


def _check_arguments(model, vocab, num_tokens, strategy, temperature, top_k):
    if not isinstance(model, RNNLM):
        raise ValueError(f"model must be an rnnkit.lm.RNNLM, got {type(model).__name__}")
    if not model.is_causal:
        raise ValueError(
            f"model cannot generate text: its recurrent layer {type(model.rnn).__name__} also "
            "reads the sequence backwards, so it was trained to see the very token it predicts, "
            "which does not exist yet when generating. Use a forward-only recurrent layer."
        )
    if len(vocab) != model.vocab_size:
        raise ValueError(
            f"the model has vocab_size={model.vocab_size} but the vocabulary has {len(vocab)} "
            "tokens: pass the vocabulary the model was trained with"
        )
    validate.integer(num_tokens, "num_tokens", minimum=0)
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    validate.positive_number(temperature, "temperature")
    if strategy == "top-k":
        validate.integer(top_k, "top_k", minimum=1, maximum=len(vocab))


def _pick(logits, strategy, temperature, top_k, rng):
    """Choose the next id from masked ``logits`` (float64, -inf for forbidden tokens)."""
    if strategy == "greedy":
        return int(np.argmax(logits))
    if strategy == "top-k":
        # A stable sort keeps ties in id order, so the same seed always gives the same text.
        keep = np.argsort(-logits, kind="stable")[:top_k]
        cut = np.full_like(logits, -np.inf)
        cut[keep] = logits[keep]
        logits = cut
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))


def generate(model, vocab, prefix, num_tokens, *options, tokenizer=list, separator="", **named):
    """Continue ``prefix`` by ``num_tokens`` tokens; return the prefix and its continuation.

    The arguments are those of :func:`stream`, which picks the tokens (``strategy``,
    ``temperature``, ``top_k``, ``seed``); ``separator`` joins the prefix's tokens and the new
    ones (``""`` for characters, ``" "`` for words).
    """
    new = list(stream(model, vocab, prefix, num_tokens, *options, tokenizer=tokenizer, **named))
    return separator.join(list(tokenizer(prefix)) + new)


def stream(
    model,
    vocab,
    prefix,
    num_tokens,
    strategy="greedy",
    temperature=1.0,
    top_k=5,
    seed=0,
    tokenizer=list,
):
    """Yield the ``num_tokens`` tokens that continue ``prefix``, each as soon as it is picked.

    ``tokenizer`` splits the prefix into tokens (characters by default; ``str.split`` for a word
    model). Prefix tokens missing from ``vocab`` are read as ``"<unk>"``, with a warning that
    names them. An empty prefix starts from the zero state and reads one start token, the
    vocabulary's most frequent token (the space, in a character vocabulary of English text).

    ``temperature`` applies to ``"temperature"`` and ``"top-k"``; ``top_k`` only to ``"top-k"``
    (and is only checked then). Sampling draws from a NumPy generator seeded with ``seed``: the
    same seed gives the same text, and no global random state is read or changed. Every argument
    is checked before the first token is yielded.
    """
    _check_arguments(model, vocab, num_tokens, strategy, temperature, top_k)
    if not isinstance(prefix, str):
        raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
    tokens = list(tokenizer(prefix))
    unknown = sorted({token for token in tokens if token not in vocab})
    if unknown:
        warnings.warn(
            f"prefix tokens {unknown} are not in the vocabulary; they are read as "
            f"{vocab.unk_token!r}",
            stacklevel=2,
        )
    if tokens:
        ids = vocab[tokens]
    else:
        if not vocab.token_freqs:
            raise ValueError(
                "prefix is empty and the vocabulary has no token counts to pick a start token "
                "from: pass a non-empty prefix"
            )
        ids = [vocab[vocab.token_freqs[0][0]]]
    allowed = np.ones(len(vocab), dtype=bool)
    allowed[: 1 + len(vocab.reserved_tokens)] = False
    if not allowed.any():
        raise ValueError(
            "the vocabulary holds only '<unk>' and reserved tokens: there is nothing to generate"
        )
    return _tokens(model, vocab, ids, num_tokens, allowed, strategy, temperature, top_k, seed)


def _tokens(model, vocab, ids, num_tokens, allowed, strategy, temperature, top_k, seed):
    """The generator behind :func:`stream`, started only once its arguments have been checked."""
    rng = np.random.default_rng(seed)
    logits, state = model.step(np.asarray([ids], dtype=np.int32))
    for index in range(num_tokens):
        last = np.where(allowed, np.asarray(logits[0, -1], dtype=np.float64), -np.inf)
        picked = _pick(last, strategy, temperature, top_k, rng)
        yield vocab.to_tokens([picked])[0]
        if index + 1 < num_tokens:  # the last token needs no step: nothing follows it
            logits, state = model.step(np.asarray([[picked]], dtype=np.int32), state)
