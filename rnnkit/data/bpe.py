"""Byte-pair encoding: subword tokens between characters and whole words.

Two implementations of the same idea:

* :class:`BytePairEncoding` is written from scratch in plain Python so every merge can be
  watched. It works on characters (not bytes) and marks the end of each word.
* :func:`train_sentencepiece_bpe` and :class:`SentencePieceBPE` use the sentencepiece
  library: a fast trainer, and a tokenizer that runs inside TensorFlow graphs and
  ``tf.data`` pipelines.
"""

import io
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise

import sentencepiece

from rnnkit import validate

END_OF_WORD = "</w>"

WordFreqs = dict[tuple[str, ...], int]
Pair = tuple[str, str]


def count_pairs(word_freqs: WordFreqs) -> Counter:
    """Count every pair of adjacent symbols, weighted by how often its word occurs."""
    pairs = Counter()
    for symbols, freq in word_freqs.items():
        for pair in pairwise(symbols):
            pairs[pair] += freq
    return pairs


def most_frequent_pair(pair_counts: Counter) -> Pair:
    """Return the pair with the highest count; ties go to the alphabetically smallest pair.

    Breaking ties by the pair itself (not by insertion order) makes the merges depend only
    on the word counts, never on the order the words came in.
    """
    if not pair_counts:
        raise ValueError("pair_counts is empty: there is no pair to merge")
    return min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))


def merge_symbols(symbols: tuple[str, ...], pair: Pair) -> tuple[str, ...]:
    """Join each occurrence of ``pair`` in ``symbols``, scanning left to right."""
    merged = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            merged.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)


def apply_merge(word_freqs: WordFreqs, pair: Pair) -> WordFreqs:
    """Return new word counts in which every occurrence of ``pair`` is one symbol."""
    first, second = pair
    # Most words do not hold the pair; the membership test is much cheaper than a rescan.
    return {
        (merge_symbols(symbols, pair) if first in symbols and second in symbols else symbols): freq
        for symbols, freq in word_freqs.items()
    }


def merge_step(word_freqs: WordFreqs) -> tuple[Pair | None, WordFreqs]:
    """Do one BPE training step: find the most frequent adjacent pair and merge it.

    Returns ``(pair, new_word_freqs)``, or ``(None, word_freqs)`` when every word is already
    a single symbol and nothing is left to merge.
    """
    pairs = count_pairs(word_freqs)
    if not pairs:
        return None, word_freqs
    pair = most_frequent_pair(pairs)
    return pair, apply_merge(word_freqs, pair)


def _words(words_or_text) -> list[str]:
    if isinstance(words_or_text, str):
        return words_or_text.split()
    if not isinstance(words_or_text, Iterable):
        raise TypeError(
            f"words_or_text must be a str or an iterable of str, got {type(words_or_text).__name__}"
        )
    words = []
    for item in words_or_text:
        if not isinstance(item, str):
            raise TypeError(f"words_or_text must hold str items, got {type(item).__name__}")
        words.extend(item.split())
    return words


class BytePairEncoding:
    """A byte-pair-encoding tokenizer learned from word counts, one merge at a time.

    Each word starts as its characters followed by ``end_of_word``; training repeatedly
    joins the most frequent adjacent pair of symbols. After ``fit``, ``merges`` lists the
    learned pairs in order and ``vocabulary`` lists every symbol: the single characters
    seen in training, then one new symbol per merge.

    Feed it cleaned text (see :func:`rnnkit.data.text.clean`): words are whatever ``str.split``
    returns.
    """

    def __init__(self, end_of_word: str = END_OF_WORD):
        if not isinstance(end_of_word, str) or end_of_word.split() != [end_of_word]:
            raise ValueError(
                f"end_of_word={end_of_word!r} must be a non-empty str without whitespace, "
                f"e.g. {END_OF_WORD!r}"
            )
        self.end_of_word = end_of_word
        self.merges: list[Pair] = []
        self.vocabulary: list[str] = []
        self._ranks: dict[Pair, int] = {}
        self._cache: dict[str, list[str]] = {}

    def _check_word(self, word: str) -> None:
        # A word holding the marker itself could not be told apart from two words on decode.
        if self.end_of_word in word:
            raise ValueError(
                f"the word {word!r} contains the end-of-word marker {self.end_of_word!r}: "
                f"clean the text or pick another end_of_word"
            )

    def word_frequencies(self, words_or_text) -> WordFreqs:
        """Count the words and split each into characters plus the end-of-word marker."""
        counts = Counter(_words(words_or_text))
        for word in counts:
            self._check_word(word)
        return {(*word, self.end_of_word): freq for word, freq in counts.items()}

    def fit(self, words_or_text, num_merges: int) -> "BytePairEncoding":
        """Learn up to ``num_merges`` merges from a text or an iterable of words/lines.

        Stops early when every word has become a single symbol. Returns ``self``.
        """
        validate.integer(num_merges, "num_merges", minimum=0)
        word_freqs = self.word_frequencies(words_or_text)
        if not word_freqs:
            raise ValueError("words_or_text holds no words: pass a non-empty text")
        characters = sorted({symbol for symbols in word_freqs for symbol in symbols})
        merges = []
        for _ in range(num_merges):
            pair, word_freqs = merge_step(word_freqs)
            if pair is None:
                break
            merges.append(pair)
        self.merges = merges
        self.vocabulary = characters + ["".join(pair) for pair in merges]
        self._ranks = {pair: rank for rank, pair in enumerate(merges)}
        self._cache = {}
        return self

    @property
    def symbols(self) -> list[str]:
        """Alias of ``vocabulary``."""
        return self.vocabulary

    def encode_word(self, word: str) -> list[str]:
        """Split one word into learned symbols, the last one ending with the marker."""
        if word not in self._cache:
            self._check_word(word)
            symbols = (*word, self.end_of_word)
            # Merging the earliest-learned pair present, again and again, gives the same
            # result as trying every merge in learned order: a merge creates only pairs that
            # were learned after it. This way merges absent from the word cost nothing.
            while len(symbols) > 1:
                present = [pair for pair in pairwise(symbols) if pair in self._ranks]
                if not present:
                    break
                symbols = merge_symbols(symbols, min(present, key=self._ranks.__getitem__))
            self._cache[word] = list(symbols)
        return list(self._cache[word])

    def encode(self, text: str) -> list[str]:
        """Tokenize ``text`` word by word; characters never seen in training stay single."""
        if not self.vocabulary:
            raise RuntimeError("this BytePairEncoding is not fitted yet: call fit() first")
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        return [token for word in text.split() for token in self.encode_word(word)]

    def decode(self, tokens: Iterable[str]) -> str:
        """Join tokens back into text: the inverse of ``encode`` on cleaned text.

        ``decode(encode(text)) == " ".join(text.split())``; a last word without its
        end-of-word marker (for example a truncated sample) is kept.
        """
        words, pieces = [], []
        for token in tokens:
            # Only the last token of a word can end with the marker: words may not contain it.
            if token.endswith(self.end_of_word):
                pieces.append(token.removesuffix(self.end_of_word))
                words.append("".join(pieces))
                pieces = []
            else:
                pieces.append(token)
        if pieces:
            words.append("".join(pieces))
        return " ".join(words)


def _sentences(text_or_lines) -> list[str]:
    if isinstance(text_or_lines, str):
        lines = text_or_lines.splitlines()
    elif isinstance(text_or_lines, Iterable):
        lines = list(text_or_lines)
        for line in lines:
            if not isinstance(line, str):
                raise TypeError(f"text_or_lines must hold str lines, got {type(line).__name__}")
    else:
        raise TypeError(
            f"text_or_lines must be a str or an iterable of str, got {type(text_or_lines).__name__}"
        )
    return [line for line in lines if line.strip()]


def train_sentencepiece_bpe(
    text_or_lines, vocab_size: int, character_coverage: float = 1.0
) -> bytes:
    """Train a sentencepiece BPE model in memory and return its serialized model proto.

    ``text_or_lines`` is a text (split into lines) or an iterable of lines. The ids are laid
    out for padded batches: 0 is ``<pad>``, 1 ``<unk>``, 2 ``<s>`` and 3 ``</s>``, so
    ``vocab_size`` counts these four, every character kept (all of them with the default
    ``character_coverage=1.0``) and the learned merges. Training is single-threaded, so the
    same input gives the same bytes, and it logs nothing.
    """
    validate.positive_integer(vocab_size, "vocab_size")
    validate.number(character_coverage, "character_coverage", low=0, high=1, low_open=True)
    sentences = _sentences(text_or_lines)
    if not sentences:
        raise ValueError("text_or_lines holds no non-blank line: pass a non-empty text")
    # Lines longer than max_sentence_length are silently skipped by sentencepiece;
    # raise the limit so a text cleaned into a single long line still counts.
    longest = max(len(line.encode("utf-8")) for line in sentences)
    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=model,
            model_type="bpe",
            vocab_size=vocab_size,
            character_coverage=character_coverage,
            max_sentence_length=max(4192, longest + 1),
            pad_id=0,
            unk_id=1,
            bos_id=2,
            eos_id=3,
            num_threads=1,
            minloglevel=2,
        )
    except RuntimeError as err:
        # sentencepiece reports "Vocabulary size too high/smaller than required_chars"
        # after a source location; keep only the human part.
        reason = str(err).split("] ", 1)[-1]
        raise ValueError(f"vocab_size={vocab_size} does not fit this text: {reason}") from err
    return model.getvalue()


class SentencePieceBPE:
    """A trained sentencepiece model as TensorFlow ops (usable in ``tf.data.Dataset.map``).

    Build it from the bytes :func:`train_sentencepiece_bpe` returns. A scalar string gives a
    1-D tensor of ids, a batch of strings a ``tf.RaggedTensor``; ``ids.to_tensor()`` pads
    with ``pad_id``, which decodes to nothing.
    """

    def __init__(self, model: bytes):
        import tensorflow as tf
        import tensorflow_text

        if not isinstance(model, bytes):
            raise TypeError(
                "model must be the bytes of a sentencepiece model proto, "
                f"got {type(model).__name__}"
            )
        try:
            processor = sentencepiece.SentencePieceProcessor(model_proto=model)
        except RuntimeError as err:
            raise ValueError(
                "model is not a sentencepiece model proto: pass what "
                "train_sentencepiece_bpe() returns"
            ) from err
        self.model = model
        self.vocab_size = processor.get_piece_size()
        self.pad_id = processor.pad_id()
        self.unk_id = processor.unk_id()
        self._tokenizer = tensorflow_text.SentencepieceTokenizer(model=model, out_type=tf.int32)

    def tokenize(self, strings):
        """Map strings to int32 ids (a RaggedTensor for a batch, a 1-D tensor for a scalar)."""
        return self._tokenizer.tokenize(strings)

    def tokenize_pieces(self, strings):
        """Map strings to their pieces as byte strings; "▁" marks the start of a word."""
        return self._tokenizer.id_to_string(self.tokenize(strings))

    def detokenize(self, ids):
        """Map ids back to strings; padding ids are dropped."""
        return self._tokenizer.detokenize(ids)
