"""The chapter format of exercises: cell metadata keys, solution and hidden-test markers.

In a chapter source a coding exercise is a code cell with jupytext metadata, e.g.
``# %% exercise="bpe_merge_step" points=2``, whose solution sits between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` lines; a hidden check is a cell ``# %% hidden_check="bpe_merge_step"``
whose body sits between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.
:func:`chapter_exercises` validates all of it. This module imports nothing heavy.
"""

import re
from dataclasses import dataclass

from rnnkit import validate

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
# What a released exercise holds instead of each solution.
STUB_LINES = ("# YOUR CODE HERE", "raise NotImplementedError")
# Cell metadata keys (jupytext writes them as key=value on the ``# %%`` line).
EXERCISE_KEY = "exercise"
POINTS_KEY = "points"
HIDDEN_KEY = "hidden_check"
# Notebook metadata key under which a student release records {"chapter": "NN_topic"}.
NOTEBOOK_KEY = "rnnkit"
_EXACT_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_MARKER_LIKE = re.compile(r"#+\s*(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS?)\b", re.IGNORECASE)


class MarkerError(ValueError):
    """A chapter whose exercise metadata or solution/hidden-test markers are wrong or unbalanced."""


@dataclass(frozen=True)
class ExerciseSpec:
    """An exercise as the instructor's chapter declares it."""

    name: str
    points: int


def _regions(lines: list[str], begin: str, end: str, where: str, problems: list) -> list:
    """(first, last) line indices of each begin...end region; problems get appended."""
    regions, start = [], None
    for number, line in enumerate(lines):
        text = line.strip()
        if text == begin:
            if start is not None:
                problems.append(f"{where}, line {number + 1}: {begin!r} inside an open region")
            start = number
        elif text == end:
            if start is None:
                problems.append(f"{where}, line {number + 1}: {end!r} without {begin!r}")
            else:
                regions.append((start, number))
                start = None
    if start is not None:
        problems.append(f"{where}, line {start + 1}: {begin!r} is never closed by {end!r}")
    if not regions and start is None:
        problems.append(f"{where}: needs a {begin!r} ... {end!r} region")
    return regions


def _stray_markers(lines: list[str], allowed: tuple, where: str, problems: list) -> None:
    for number, line in enumerate(lines):
        text = line.strip()
        if not _MARKER_LIKE.search(text) or text in allowed:
            continue
        if text in _EXACT_MARKERS:
            problems.append(f"{where}, line {number + 1}: {text!r} does not belong in this cell")
        else:
            problems.append(
                f"{where}, line {number + 1}: malformed marker {text!r}; markers are exactly "
                + ", ".join(repr(m) for m in _EXACT_MARKERS)
            )


def chapter_exercises(nb, origin: str = "chapter") -> list[ExerciseSpec]:
    """Validate a chapter's exercise cells and markers; return its exercises in order.

    Raises MarkerError listing every problem (cell numbers count from 1).
    """
    problems, specs, hidden = [], {}, []
    solution_pair, hidden_pair = (
        (SOLUTION_BEGIN, SOLUTION_END),
        (HIDDEN_BEGIN, HIDDEN_END),
    )
    for index, cell in enumerate(nb.cells):
        where = f"{origin}: cell {index + 1}"
        name, hidden_name = cell.metadata.get(EXERCISE_KEY), cell.metadata.get(HIDDEN_KEY)
        lines = cell.source.splitlines()
        if name is not None or hidden_name is not None:
            label = EXERCISE_KEY if name is not None else HIDDEN_KEY
            if cell.cell_type != "code":
                problems.append(f"{where}: {label}= metadata on a {cell.cell_type} cell")
                continue
            if name is not None and hidden_name is not None:
                problems.append(f"{where}: has both exercise= and hidden_check= metadata")
                continue
        if name is not None:
            points = cell.metadata.get(POINTS_KEY)
            if not isinstance(name, str) or not name.isidentifier():
                problems.append(f"{where}: exercise={name!r} must be a Python identifier")
            elif name in specs:
                problems.append(f"{where}: exercise {name!r} appears twice")
            try:
                points = validate.positive_integer(points, "points")
            except (TypeError, ValueError) as err:
                problems.append(f"{where}: exercise {name!r} needs points=N: {err}")
            else:
                if isinstance(name, str):
                    specs[name] = ExerciseSpec(name, points)
            _regions(lines, *solution_pair, where, problems)
            _stray_markers(lines, solution_pair, where, problems)
        elif hidden_name is not None:
            hidden.append((where, hidden_name))
            _regions(lines, *hidden_pair, where, problems)
            _stray_markers(lines, hidden_pair, where, problems)
        else:
            _stray_markers(lines, (), where, problems)
    for where, hidden_name in hidden:
        if hidden_name not in specs:
            problems.append(f"{where}: hidden_check={hidden_name!r} names no exercise cell")
    if problems:
        raise MarkerError("malformed exercise markers:\n  " + "\n  ".join(problems))
    return list(specs.values())
