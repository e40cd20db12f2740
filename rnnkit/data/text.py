"""Text preprocessing: cleaning raw text, and splitting it into characters or words.

Cleaning decides which symbols a model will ever see; tokenizing decides what one time step
of the sequence is. Vocabularies (token <-> index) live in :mod:`rnnkit.data.vocab`, subword
tokenizers in :mod:`rnnkit.data.bpe`.
"""

import re

WORD_METHODS = ("whitespace", "unicode_script")

_NOT_ASCII_LETTERS = re.compile(r"[^A-Za-z]+")
_WHITESPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[^\S\n]+")  # whitespace other than line breaks
_LINE_BREAKS = re.compile(r" ?\n[\s]*")  # a line break and any blank lines or spaces after it


def _check_str(text, name: str = "text") -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}: decode bytes first")


def clean(
    text: str, keep_case: bool = False, keep_punctuation: bool = False, keep_newlines: bool = False
) -> str:
    """Normalize raw text before tokenizing.

    By default every run of characters that are not ASCII letters (digits, punctuation,
    accented letters, newlines) becomes a single space, and the result is lower-cased and
    stripped, leaving 26 letters plus the space. ``keep_case=True`` keeps capitals.
    ``keep_punctuation=True`` keeps every non-space character and only collapses runs of
    whitespace (newlines included) into one space. With ``keep_punctuation=True``,
    ``keep_newlines=True`` keeps line breaks too: a run of whitespace that holds one or more
    line breaks becomes a single ``"\\n"`` (Windows line ends included), any other run a space.
    """
    _check_str(text)
    if keep_newlines and not keep_punctuation:
        raise ValueError("keep_newlines=True needs keep_punctuation=True")
    # Substitute before lower-casing: str.lower() maps a few non-ASCII capitals
    # (the Kelvin sign, dotted I) onto ASCII letters, which must not sneak through.
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        cleaned = _LINE_BREAKS.sub("\n", _SPACES.sub(" ", text)).strip()
    else:
        pattern = _WHITESPACE if keep_punctuation else _NOT_ASCII_LETTERS
        cleaned = pattern.sub(" ", text).strip()
    return cleaned if keep_case else cleaned.lower()


def tokenize_chars(text: str) -> list[str]:
    """Split ``text`` into a list of single characters (spaces included)."""
    _check_str(text)
    return list(text)


def _word_tokenizer(method: str):
    if method not in WORD_METHODS:
        raise ValueError(f"method={method!r} is not a word tokenizer: use one of {WORD_METHODS}")
    # Imported here so that clean() and tokenize_chars() work without loading TensorFlow.
    import tensorflow_text

    if method == "whitespace":
        return tensorflow_text.WhitespaceTokenizer()
    return tensorflow_text.UnicodeScriptTokenizer()


def tokenize_words(text: str, method: str = "whitespace") -> list[str]:
    """Split ``text`` into words with a tensorflow_text tokenizer.

    ``method="whitespace"`` splits on whitespace only, so "fun." stays one token;
    ``method="unicode_script"`` also splits where the Unicode script changes, so
    punctuation becomes its own token ("fun", ".").
    """
    _check_str(text)
    tokenizer = _word_tokenizer(method)
    return [token.decode("utf-8") for token in tokenizer.tokenize(text).numpy()]
