"""rnnkit: the helper package behind the RNN Workbook.

Five subpackages, each naming its public API: ``rnnkit.data`` (data sets, text, vocabularies,
BPE, batches), ``rnnkit.layers`` (scratch cells and wrappers), ``rnnkit.lm`` (n-grams, the RNN
language model, training, perplexity, generation), ``rnnkit.course`` (exercises, releases,
grading) and ``rnnkit.cli`` (the ``rnnkit`` command). For example
``from rnnkit.layers import GRUCell`` or ``from rnnkit.data import Vocab, load_text``.

A subpackage loads the module behind a public name only when the name is first used (PEP 562,
:func:`lazy_names`): ``from rnnkit.lm import RNNLM`` imports TensorFlow, but ``rnnkit.lm.ngrams``
and ``rnnkit.data.vocab`` load without it.
"""

import importlib

__version__ = "0.1.0"


def lazy_names(package: str, homes: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: each name of ``homes`` from its module."""

    def __getattr__(name):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    def __dir__():
        return sorted(homes)

    return __getattr__, __dir__
