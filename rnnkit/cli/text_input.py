"""Reading ``--data``: a registered data set or a user's file, checked, decoded and cleaned.

A user's file may be empty, binary, huge or in another encoding; each is refused with a message
that says what it is and what to do (UTF-16 or UTF-32 with a byte-order mark is read). None of
this imports TensorFlow, so a mistake here is answered at once.
"""

import codecs
from pathlib import Path

from rnnkit.cli.errors import CommandError
from rnnkit.data import datasets, splits, text

# rnnkit train holds the text, its characters and their ids in memory, about 10 bytes a byte.
MAX_DATA_BYTES = 256 * 2**20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(raw: bytes, what: str) -> str:
    """The text of a file's bytes: UTF-8, or UTF-16/32 with a byte-order mark; else why not."""
    if not raw:
        raise CommandError(f"{what} is empty: give a file that holds some text")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as err:
                raise CommandError(
                    f"{what} starts like {encoding.upper()} text but is not valid {encoding} "
                    f"(at byte {err.start}): convert it to UTF-8 first"
                ) from None
    if b"\0" in raw:
        # UTF-16 without a byte-order mark has a zero byte next to every ASCII character.
        head = raw[:4096]
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if max(odd, even) > len(head) // 4:
            order = "LE" if odd > even else "BE"
            raise CommandError(
                f"{what} looks like UTF-16{order} text without a byte-order mark: convert it to "
                f"UTF-8 first (for example: iconv -f UTF-16{order} -t UTF-8)"
            )
        raise CommandError(f"{what} holds NUL bytes: it is a binary file, not text")
    try:
        # utf-8-sig drops the byte-order mark some editors put first.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CommandError(
            f"{what} is not UTF-8 text (byte {raw[err.start]:#04x} at offset {err.start}): "
            "convert it to UTF-8 first"
        ) from None


def load_data(data: str) -> tuple[str, str]:
    """Return ``(text, source)`` for ``--data``: a registered data set's name, or a file's path.

    A registered name wins over a file of the same name (write ``./name`` for the file).
    ``source`` is the name, or the file's absolute path.
    """
    known = datasets.known()
    if data in known:
        try:
            return datasets.load_text(data), data
        except datasets.DatasetError as err:
            raise CommandError(str(err)) from None
    path = Path(data).expanduser()
    if path.is_file():
        size = path.stat().st_size
        if size > MAX_DATA_BYTES:
            raise CommandError(
                f"--data {data} holds {size / 2**20:,.0f} MiB, more than the "
                f"{MAX_DATA_BYTES // 2**20} MiB rnnkit train reads (it keeps the text in "
                "memory): train on a part of it"
            )
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise CommandError(f"--data {data} cannot be read ({err.strerror or err})") from None
        return _decode(raw, f"--data {data}"), str(path.resolve())
    what = "is a folder" if path.is_dir() else "is neither a file nor a registered data set"
    raise CommandError(
        f"--data {data!r} {what}: give a UTF-8 text file or one of the registered data sets: "
        f"{', '.join(known)}"
    )


def clean_chars(raw: str, keep_case: bool, keep_punctuation: bool, what: str) -> list[str]:
    """The characters of ``raw`` after :func:`rnnkit.data.text.clean`; refuse a text left empty.

    With ``keep_punctuation`` line breaks are kept too (``keep_newlines``), so that a model of
    verse or code learns where lines end.
    """
    cleaned = text.clean(
        raw, keep_case=keep_case, keep_punctuation=keep_punctuation, keep_newlines=keep_punctuation
    )
    if not cleaned:
        if keep_punctuation:
            raise CommandError(f"{what} holds no text once cleaned: it is all whitespace")
        raise CommandError(
            f"{what} holds no text once cleaned: without --keep-punctuation only the ASCII "
            "letters a-z and spaces are kept, and it has none. For text in another script, or "
            "made of digits and signs, pass --keep-punctuation to keep every character"
        )
    return list(cleaned)


def split(ids, valid_fraction, test_fraction):
    """Train, validation and test ids: the workbook's split by position (80/10/10 by default).

    ``CommandError`` names the two options when they leave a part empty.
    """
    try:
        return splits.train_valid_test_split(ids, valid_fraction, test_fraction)
    except ValueError as err:
        raise CommandError(
            f"--valid-fraction {valid_fraction} --test-fraction {test_fraction}: {err}"
        ) from None
