"""Data: the data-set registry, cleaning and tokenizing text, vocabularies, BPE, batches.

No model code lives here. ``rnnkit.data.vocab`` and ``rnnkit.data.text`` never import TensorFlow;
``sequences`` builds ``tf.data`` pipelines.
"""

from rnnkit import lazy_names

_HOMES = {
    "load_text": "datasets",
    "DatasetError": "datasets",
    "clean": "text",
    "tokenize_chars": "text",
    "tokenize_words": "text",
    "Vocab": "vocab",
    "BytePairEncoding": "bpe",
    "SentencePieceBPE": "bpe",
    "train_sentencepiece_bpe": "bpe",
    "lag_windows": "sequences",
    "lag_dataset": "sequences",
    "train_valid_test_split": "splits",
    "num_batches": "splits",
    "random_batches": "sequences",
    "sequential_batches": "sequences",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
