"""Every result number in a chapter's prose is one its committed outputs show.

A number typed into the text goes stale the moment an experiment changes; a number printed by
the notebook cannot. So a number next to a result word (perplexity, accuracy, speed, ...) in a
markdown cell must appear in some output of the same notebook. Write such sentences with an
f-string in a code cell (``IPython.display.Markdown``), or print the number and refer to it.
"""

import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
RESULT_WORDS = re.compile(
    r"perplexit|accura|\bF1\b|precision|recall|tokens/s|speed|faster|slower|"
    r"\bloss|bits per|seconds|minutes|error|correlation|\bwins?\b|\bbeats?\b",
    re.IGNORECASE,
)
# A measured number: a decimal (3.749), a count with thousands separators (60,229) or a
# percentage (26.7%). Plain small integers are mostly settings and section numbers.
NUMBER = re.compile(r"(?<![\w.$\\])(\d+(?:\.\d+)?%|\d{1,3}(?:,\d{3})+|\d+\.\d+)(?![\w$])")
# Section numbers are references, not results: "section 3.5", "## 7.6".
REFERENCE = re.compile(r"(section|sections|chapter|#)\s*$", re.IGNORECASE)
# How far (in characters, within the same paragraph) a number may sit from a result word.
NEAR = 60


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append(output["text"])
            for key in ("text/plain", "text/markdown", "text/html"):
                parts.append(output.get("data", {}).get(key, ""))
    return "\n".join(parts)


def _math_free(text: str) -> str:
    # Formulas ($...$) and inline code (`...`) hold definitions and settings, not results.
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return re.sub(r"`[^`]*`", " ", text)


def claims(markdown: str):
    """``(number, context)`` for each measured number near a result word in ``markdown``."""
    for paragraph in _math_free(markdown).split("\n\n"):
        flat = " ".join(paragraph.split())
        for match in NUMBER.finditer(flat):
            if REFERENCE.search(flat[max(0, match.start() - 12) : match.start()]):
                continue
            window = flat[max(0, match.start() - NEAR) : match.end() + NEAR]
            if RESULT_WORDS.search(window):
                yield match.group(1), window


def _shown(number: str, outputs: str) -> bool:
    """Whether ``number`` stands whole in ``outputs`` (``3.749`` is not in ``3.7490``)."""
    variants = {number, number.replace(",", ""), number.rstrip("%")}
    return any(re.search(rf"(?<![\d.]){re.escape(v)}(?![\d])", outputs) for v in variants)


def test_claims_finds_numbers_near_result_words_only():
    text = (
        "The model reached a perplexity of 3.749 after 27 epochs.\n\n"
        "We use $D = 0.75$ and `lr=0.003`.\n\n"
        "It ran at 60,229 tokens/s, 26.7% faster.\n\n"
        "Section 7.5 trains three stacks; see section 3.5 for the perplexity."
    )
    assert [number for number, _ in claims(text)] == ["3.749", "60,229", "26.7%"]
    assert _shown("60,229", "tokens/s 60229") and not _shown("3.749", "3.7490")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_result_number_in_the_prose_is_in_an_output(path):
    nb = nbformat.read(path, as_version=4)
    outputs = _outputs_text(nb)
    missing = [
        f"cell {index}: {number!r} in '...{context}...'"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown"
        for number, context in claims(cell.source)
        if not _shown(number, outputs)
    ]
    assert not missing, "numbers in the prose that no output shows:\n" + "\n".join(missing)
