"""Vocabulary: a fixed, deterministic mapping between tokens (str) and integer ids.

Id 0 is always ``"<unk>"``; the reserved tokens follow it; then every token seen at least
``min_freq`` times, most frequent first, with ties broken alphabetically so the same corpus
always gives the same ids. Unknown tokens map to the ``"<unk>"`` id instead of raising.

This module needs only the standard library and numpy, so importing it stays cheap.
"""

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from rnnkit import files, validate

UNK_TOKEN = "<unk>"
FILE_FORMAT = "rnnkit.vocab"
FILE_VERSION = 1
_FILE_KEYS = ("format", "version", "min_freq", "reserved_tokens", "idx_to_token", "token_freqs")


class Vocab:
    """Map tokens to ids and back.

    ``tokens`` is a flat list of str or a nested list (any depth, lists, tuples or numpy
    arrays) whose leaves are counted. ``min_freq`` drops tokens seen fewer times (0 and 1
    keep every token). ``reserved_tokens`` such as ``"<pad>"`` or ``"<eos>"`` get the ids
    right after ``"<unk>"`` whether or not they occur in ``tokens``.
    """

    def __init__(self, tokens: Iterable = (), min_freq: int = 1, reserved_tokens: Iterable = ()):
        if isinstance(tokens, str | bytes):
            raise TypeError(
                f"tokens is a single {type(tokens).__name__} ({validate.shown(tokens)}); pass a "
                "list of tokens instead, e.g. list(text) for characters or text.split() for words"
            )
        if not isinstance(tokens, Iterable):
            raise TypeError(
                f"tokens must be a list of str or nested lists of str, got "
                f"{type(tokens).__name__} {validate.shown(tokens)}"
            )
        if isinstance(tokens, Mapping):
            raise TypeError(
                f"tokens is a {type(tokens).__name__}; pass the tokens themselves "
                "(a list of str or nested lists of str), not a mapping"
            )
        counter: Counter = Counter()
        _count_leaves(tokens, counter)
        self._build(counter, min_freq, reserved_tokens)

    def _build(self, counter: Mapping, min_freq, reserved_tokens) -> None:
        self._min_freq = validate.integer(min_freq, "min_freq", minimum=0)
        reserved = _check_reserved(reserved_tokens)
        self._reserved = reserved
        self._token_freqs = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
        self._idx_to_token = [UNK_TOKEN, *reserved]
        taken = set(self._idx_to_token)
        for token, count in self._token_freqs:
            if count >= self._min_freq and token not in taken:
                self._idx_to_token.append(token)
                taken.add(token)
        self._token_to_idx = {token: idx for idx, token in enumerate(self._idx_to_token)}
        self._counts = dict(self._token_freqs)

    def __len__(self) -> int:
        """Number of ids, ``"<unk>"`` and reserved tokens included."""
        return len(self._idx_to_token)

    def __iter__(self):
        """Iterate over the tokens in id order."""
        return iter(self._idx_to_token)

    def __contains__(self, token) -> bool:
        """True when ``token`` has an id of its own (``"<unk>"`` and reserved tokens included)."""
        return isinstance(token, str) and token in self._token_to_idx

    def __getitem__(self, tokens):
        """Id of a token, or nested lists of ids for nested lists of tokens; unknown → ``unk``."""
        if isinstance(tokens, str):
            return self._token_to_idx.get(tokens, 0)
        if isinstance(tokens, np.ndarray):
            return self[tokens.tolist()]
        if isinstance(tokens, list | tuple):
            return [self[item] for item in tokens]
        raise TypeError(
            f"vocab[...] takes a token (str) or nested lists of tokens, got "
            f"{type(tokens).__name__} {validate.shown(tokens)}; to turn ids into tokens use "
            "vocab.to_tokens"
        )

    def to_tokens(self, ids):
        """Token of an id, or nested lists of tokens for nested lists (or arrays) of ids."""
        if isinstance(ids, np.ndarray):
            return self.to_tokens(ids.tolist())
        if isinstance(ids, list | tuple):
            return [self.to_tokens(item) for item in ids]
        idx = validate.integer(ids, "a token id")
        if not 0 <= idx < len(self._idx_to_token):
            raise IndexError(
                f"id {idx} is out of range: valid ids are 0..{len(self._idx_to_token) - 1} "
                f"(vocabulary size {len(self._idx_to_token)})"
            )
        return self._idx_to_token[idx]

    @property
    def unk(self) -> int:
        """Id of ``"<unk>"`` (always 0)."""
        return 0

    @property
    def unk_token(self) -> str:
        """The unknown token, ``"<unk>"``."""
        return UNK_TOKEN

    @property
    def min_freq(self) -> int:
        """Smallest count a corpus token needed to get an id."""
        return self._min_freq

    @property
    def reserved_tokens(self) -> list[str]:
        """Reserved tokens in id order (ids 1, 2, ...)."""
        return list(self._reserved)

    @property
    def idx_to_token(self) -> list[str]:
        """Tokens in id order (a copy)."""
        return list(self._idx_to_token)

    @property
    def token_to_idx(self) -> dict[str, int]:
        """Token → id for every token with an id (a copy)."""
        return dict(self._token_to_idx)

    @property
    def token_freqs(self) -> list[tuple[str, int]]:
        """``(token, count)`` for every token in the corpus, count descending, then token.

        Tokens dropped by ``min_freq`` are listed too, so the full frequency curve stays visible.
        """
        return list(self._token_freqs)

    def frequency(self, token: str) -> int:
        """How often ``token`` occurred in the corpus (0 if never)."""
        return self._counts.get(token, 0)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (
            self._idx_to_token == other._idx_to_token
            and self._token_freqs == other._token_freqs
            and self._min_freq == other._min_freq
            and self._reserved == other._reserved
        )

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, min_freq={self._min_freq}, reserved={self._reserved!r})"

    def save(self, path) -> Path:
        """Write the vocabulary to ``path`` as JSON, atomically; return the path.

        The text goes to a temporary file in the same folder which then replaces ``path`` in one
        step, so a crash leaves either the old file or the new one, never half of one.
        """
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(
                f"cannot save the vocabulary to {path}: folder {path.parent} does not exist"
            )
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "min_freq": self._min_freq,
            "reserved_tokens": list(self._reserved),
            "idx_to_token": list(self._idx_to_token),
            "token_freqs": [[token, count] for token, count in self._token_freqs],
        }
        files.write_json(path, payload)
        return path

    @classmethod
    def load(cls, path) -> "Vocab":
        """Read a vocabulary written by :meth:`save`; check it thoroughly."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(
                f"vocabulary file {path} does not exist; write one with Vocab.save(path) first"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _corrupt(path, f"not valid JSON ({err})") from None
        counts = _check_payload(path, data)
        vocab = cls.__new__(cls)
        try:
            vocab._build(counts, data["min_freq"], data["reserved_tokens"])
        except (TypeError, ValueError) as err:
            raise _corrupt(path, str(err)) from None
        if vocab._idx_to_token != data["idx_to_token"]:
            raise _corrupt(
                path,
                "idx_to_token does not match the order that token_freqs, min_freq and "
                "reserved_tokens give (the file was edited by hand or is damaged)",
            )
        return vocab


def _count_leaves(tokens, counter: Counter) -> None:
    """Add every str leaf of ``tokens`` (nested lists/tuples/arrays) to ``counter``."""
    if isinstance(tokens, list) and all(type(item) is str for item in tokens):
        # a flat list (e.g. every character of a book) is counted in C, several times faster
        counter.update(tokens)
        return
    for item in tokens:
        if isinstance(item, str):
            # numpy arrays yield np.str_; store plain str so ids, JSON and reprs stay clean
            counter[item if type(item) is str else str(item)] += 1
        elif isinstance(item, list | tuple | np.ndarray):
            _count_leaves(item, counter)
        else:
            raise TypeError(
                f"tokens must hold str tokens (possibly in nested lists), found "
                f"{type(item).__name__} {validate.shown(item)}"
            )


def _check_reserved(reserved_tokens) -> list[str]:
    """Validate ``reserved_tokens`` and return it as a list."""
    if isinstance(reserved_tokens, str | bytes):
        raise TypeError(
            f"reserved_tokens must be a list of str, got the single string {reserved_tokens!r}; "
            f"write reserved_tokens=[{reserved_tokens!r}]"
        )
    reserved = list(reserved_tokens)
    for token in reserved:
        if not isinstance(token, str):
            raise TypeError(
                f"reserved_tokens must be a list of str, found {type(token).__name__} {token!r}"
            )
    if UNK_TOKEN in reserved:
        raise ValueError(
            f"reserved_tokens must not contain {UNK_TOKEN!r}: it always has id 0 already"
        )
    repeated = sorted({token for token in reserved if reserved.count(token) > 1})
    if repeated:
        raise ValueError(f"reserved_tokens lists {repeated} more than once; list each token once")
    return reserved


def _check_payload(path: Path, data) -> dict[str, int]:
    """Check the structure of a loaded vocabulary file; return its token counts."""
    if not isinstance(data, dict):
        raise _corrupt(path, f"the top level is a JSON {type(data).__name__}, not an object")
    missing = [key for key in _FILE_KEYS if key not in data]
    if missing:
        raise _corrupt(path, f"missing keys {missing}")
    if data["format"] != FILE_FORMAT:
        raise _corrupt(path, f"format is {data['format']!r}, expected {FILE_FORMAT!r}")
    if data["version"] != FILE_VERSION:
        raise _corrupt(
            path,
            f"version {data['version']!r} is not supported (this rnnkit reads {FILE_VERSION})",
        )
    tokens = data["idx_to_token"]
    if not isinstance(tokens, list) or not all(isinstance(token, str) for token in tokens):
        raise _corrupt(path, "idx_to_token must be a list of str")
    if not tokens or tokens[0] != UNK_TOKEN:
        first = tokens[0] if tokens else None
        raise _corrupt(path, f"idx_to_token[0] must be {UNK_TOKEN!r}, found {first!r}")
    if len(set(tokens)) != len(tokens):
        repeated = sorted({token for token in tokens if tokens.count(token) > 1})
        raise _corrupt(path, f"idx_to_token lists {repeated} more than once")
    if not isinstance(data["reserved_tokens"], list):
        raise _corrupt(path, "reserved_tokens must be a list of str")
    if not isinstance(data["token_freqs"], list):
        raise _corrupt(path, "token_freqs must be a list of [token, count] pairs")
    counts: dict[str, int] = {}
    for pair in data["token_freqs"]:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and type(pair[1]) is int
            and pair[1] > 0
        ):
            raise _corrupt(
                path, f"token_freqs must hold [token, positive count] pairs, found {pair!r}"
            )
        if pair[0] in counts:
            raise _corrupt(path, f"token_freqs lists {pair[0]!r} more than once")
        counts[pair[0]] = pair[1]
    return counts


def _corrupt(path: Path, what: str) -> ValueError:
    """The error for a vocabulary file that exists but cannot be used."""
    return ValueError(f"{path} is not a valid rnnkit vocabulary file: {what}")
