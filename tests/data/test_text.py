"""Tests for rnnkit.data.text: cleaning and character/word tokenization."""

import pytest

from rnnkit.data.text import WORD_METHODS, clean, tokenize_chars, tokenize_words

RAW = "  The Time-Traveller (for so it will\nbe convenient to speak of him), 1895!  "


def test_clean_default_keeps_only_lowercase_letters_and_single_spaces():
    cleaned = clean(RAW)
    assert cleaned == "the time traveller for so it will be convenient to speak of him"
    assert set(cleaned) <= set("abcdefghijklmnopqrstuvwxyz ")


def test_clean_keep_case():
    assert clean("Hello, World! 42", keep_case=True) == "Hello World"


def test_clean_keep_punctuation_collapses_whitespace_only():
    assert clean("Hello,\n\n  World!\t42 ", keep_punctuation=True) == "hello, world! 42"
    assert clean(RAW, keep_case=True, keep_punctuation=True) == " ".join(RAW.split())


def test_clean_unicode():
    # Accented letters are not ASCII letters, so the default drops them; the Kelvin sign
    # lower-cases to "k" and must not sneak in as a letter.
    assert clean("Café déjà vu \u212a") == "caf d j vu"
    assert clean("Café  déjà\u00a0vu", keep_punctuation=True) == "café déjà vu"


@pytest.mark.parametrize("options", [{}, {"keep_case": True}, {"keep_punctuation": True}])
def test_clean_empty_and_blank(options):
    assert clean("", **options) == ""
    assert clean(" \n\t ", **options) == ""


def test_clean_rejects_non_str():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        clean(b"bytes")


def test_tokenize_chars():
    assert tokenize_chars("ab c") == ["a", "b", " ", "c"]
    assert tokenize_chars("") == []
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize_chars(["a"])


def test_tokenize_words_whitespace_keeps_punctuation_attached():
    assert tokenize_words("Deep learning is fun.") == ["Deep", "learning", "is", "fun."]
    assert tokenize_words("  a\tb\nc ") == ["a", "b", "c"]


def test_tokenize_words_unicode_script_splits_punctuation():
    tokens = tokenize_words("Deep learning is fun.", method="unicode_script")
    assert tokens == ["Deep", "learning", "is", "fun", "."]
    assert tokenize_words("naïve, café", method="unicode_script") == ["naïve", ",", "café"]


@pytest.mark.parametrize("method", WORD_METHODS)
def test_tokenize_words_empty(method):
    assert tokenize_words("", method=method) == []


def test_tokenize_words_errors():
    with pytest.raises(ValueError, match=r"method='spaces'.*'whitespace', 'unicode_script'"):
        tokenize_words("a b", method="spaces")
    with pytest.raises(TypeError, match="text must be a str"):
        tokenize_words(None)
