"""Submissions of the fixture chapter that grading tests share (not a test module)."""

import copy
from pathlib import Path

from rnnkit.course import editions, notebooks

CHAPTERS = Path(__file__).resolve().parents[1] / "fixtures" / "chapters"
CHAPTER = CHAPTERS / "01_exercise_fixture.py"
POINTS = {"vowel_count": 1, "pair_counts": 2, "moving_average": 3}

GOOD = {
    "vowel_count": (
        'TEXT = "the cat sat on the mat"\nvowel_count = len([c for c in TEXT if c in "aeiou"])'
    ),
    "pair_counts": (
        "from collections import Counter\n\n\n"
        "def pair_counts(tokens):\n"
        "    return dict(Counter(zip(tokens, tokens[1:])))"
    ),
    "moving_average": (
        "def moving_average(values, k):\n"
        "    v = np.asarray(values, dtype=float)\n"
        "    return np.array([v[i : i + k].mean() for i in range(len(v) - k + 1)])"
    ),
}
# Counts every pair once: the visible check shows expected and got.
SET_OF_PAIRS = "def pair_counts(tokens):\n    return {p: 1 for p in zip(tokens, tokens[1:])}"
# Right for k=2 only: passes the visible check, fails the hidden one.
ONLY_K2 = (
    "def moving_average(values, k):\n"
    "    v = np.asarray(values, dtype=float)\n"
    "    return (v[1:] + v[:-1]) / 2"
)
SYNTAX_ERROR = "def pair_counts(tokens):\n    return {(a, b): for a in tokens}"
RAISES = "def pair_counts(tokens):\n    return len(tokens) / 0"
ENDLESS = "def moving_average(values, k):\n    while True:\n        pass"
KILLS_KERNEL = "import os\n\nos._exit(1)"
SLEEPS = "import time\n\ntime.sleep(30)"


def submission(released, answers=GOOD, drop=(), rename=None, keep_metadata=True):
    nb = copy.deepcopy(released)
    cells = []
    for cell in nb.cells:
        name = cell.metadata.get("exercise")
        if name in drop:
            continue
        if name in answers:
            cell.source = answers[name]
        if rename and name in rename:
            cell.metadata["exercise"] = rename[name]
        cells.append(cell)
    nb.cells = cells
    if not keep_metadata:
        del nb.metadata["rnnkit"]
    return nb


def released_copy():
    """The student edition of the fixture chapter, as a student receives it."""
    return editions.student_copy(notebooks.read_source(CHAPTER), "01_exercise_fixture")
