"""Exercises with instant feedback: the check registry, the checking helpers and the cell markers.

In a chapter source a coding exercise is a code cell with jupytext metadata, e.g.
``# %% exercise="bpe_merge_step" points=2``, whose solution sits between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` lines. The cell after it calls ``check("bpe_merge_step", bpe_merge_step)``,
which runs the check function registered with ``@exercise`` and prints what was tested, what was
expected, what came back and a hint. Hidden checks live only in the instructor's source, in cells
marked ``# %% hidden_check="bpe_merge_step"`` (body between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``) that use ``with hidden_check("bpe_merge_step") as t:``.

When the environment variable ``RNNKIT_GRADING_RESULTS`` names a file (the grader sets it), every
check also appends one JSON line with its outcome to that file. This module imports nothing heavy:
a check that needs numpy or TensorFlow imports it inside the check.
"""

import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

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
RESULTS_ENV = "RNNKIT_GRADING_RESULTS"
# The status of a check whose answer still raises NotImplementedError (the starter code).
NOT_ATTEMPTED = "not attempted"
# Notebook metadata key under which a student release records {"chapter": "NN_topic"}.
NOTEBOOK_KEY = "rnnkit"
_EXACT_MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
_MARKER_LIKE = re.compile(r"#+\s*(BEGIN|END)\s+(SOLUTION|HIDDEN\s+TESTS?)\b", re.IGNORECASE)
# Long values are cut so that one feedback block stays readable.
_MAX_REPR = 300


@dataclass(frozen=True)
class Exercise:
    """A registered exercise: its name, its points, a hint and the function that checks it."""

    name: str
    points: int
    hint: str
    check: Callable


@dataclass
class Outcome:
    """The result of one check: ``status`` is "passed", "failed", "error" or "not attempted".

    "not attempted" means the student's code raised ``NotImplementedError``, which is what the
    released starter code does until the student replaces it.
    """

    exercise: str
    kind: str
    status: str
    points: int
    tested: str = ""
    expected: str = ""
    got: str = ""
    error: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.status == "passed"

    def _ipython_display_(self):
        """Show nothing when a notebook cell ends with ``check(...)``: the feedback is printed."""

    def reason(self) -> str:
        """One line saying why the check did not pass (empty when it passed)."""
        if self.passed:
            return ""
        prefix = "hidden check: " if self.kind == "hidden" else ""
        where = f"{self.tested}: " if self.tested else ""
        if self.status == NOT_ATTEMPTED:
            return f"{prefix}{where}not attempted (the answer still raises NotImplementedError)"
        if self.error:
            return f"{prefix}{where}{self.error}"
        return f"{prefix}{where}expected {self.expected}, got {self.got}"

    def feedback(self) -> str:
        """The lines a student sees under the check cell."""
        label = "hidden checks for " if self.kind == "hidden" else ""
        unit = "point" if self.points == 1 else "points"
        if self.passed:
            return f"{label}{self.exercise}: passed ({self.points}/{self.points} {unit})"
        if self.status == NOT_ATTEMPTED:
            return (
                f"{label}{self.exercise}: not attempted (0/{self.points} {unit}): replace "
                "`raise NotImplementedError` with your solution and run this cell again"
            )
        verdict = "not yet" if self.status == "failed" else "error"
        lines = [f"{label}{self.exercise}: {verdict} (0/{self.points} {unit})"]
        if self.tested:
            lines.append(f"  tested:   {self.tested}")
        if self.error:
            lines.append(f"  problem:  {self.error}")
        else:
            lines.append(f"  expected: {self.expected}")
            lines.append(f"  got:      {self.got}")
        if self.hint:
            lines.append(f"  hint:     {self.hint}")
        return "\n".join(lines)


class CheckFailed(Exception):
    """Raised inside a check when the student's answer is wrong."""

    def __init__(self, tested: str, expected: str, got: str, detail: str = ""):
        super().__init__(detail or f"{tested}: expected {expected}, got {got}")
        self.tested, self.expected, self.got, self.detail = tested, expected, got, detail


class StudentCodeError(Exception):
    """Raised inside a check when the student's code raised an exception."""

    def __init__(self, tested: str, exc: BaseException):
        super().__init__(f"your code raised {_describe(exc)}")
        self.tested = tested


class ExerciseFailed(Exception):
    """Raised by a check that did not pass; Jupyter shows its feedback instead of a traceback."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.reason())
        self.outcome = outcome

    def _render_traceback_(self):
        # IPython calls this hook in place of printing a traceback.
        return self.outcome.feedback().splitlines()


class Tester:
    """Handed to check functions: runs the student's code and compares what comes back."""

    def __init__(self):
        self.tested = ""

    def call(self, fn, *args, **kwargs):
        """Call the student's ``fn``; an exception becomes feedback naming the call."""
        self.tested = _call_text(fn, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise StudentCodeError(self.tested, exc) from exc

    def equal(self, got, expected, tested: str = "") -> None:
        """Require ``got == expected`` (arrays: same shape and elements)."""
        tested = tested or self.tested
        if not _same(got, expected):
            raise CheckFailed(tested, _short(expected), _short(got))

    def close(
        self, got, expected, atol: float = 1e-6, rtol: float = 1e-5, tested: str = ""
    ) -> None:
        """Require numbers or arrays equal up to a tolerance (and arrays of the same shape)."""
        import numpy as np

        tested = tested or self.tested
        try:
            got_a, expected_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(tested, _short(expected), _short(got)) from None
        if got_a.shape != expected_a.shape:
            detail = f"expected shape {expected_a.shape}, got shape {got_a.shape}"
            raise CheckFailed(tested, _short(expected), _short(got), detail)
        if not np.allclose(got_a, expected_a, atol=atol, rtol=rtol):
            raise CheckFailed(tested, _short(expected), _short(got))

    def true(self, condition, what: str) -> None:
        """Require ``condition``; ``what`` says in words what should hold."""
        if not condition:
            raise CheckFailed(self.tested, "", "", f"{what} does not hold")


_REGISTRY: dict[str, Exercise] = {}


def exercise(name: str, points: int, hint: str = ""):
    """Register the decorated ``check(t, *answers)`` function as the check of exercise ``name``.

    Registering a name again replaces the earlier check, so re-running a cell is harmless.
    """
    if not isinstance(name, str):
        raise TypeError(f"exercise name must be a str, got {validate.shown(name)}")
    if not name.isidentifier():
        raise ValueError(f"exercise name={name!r} must be a Python identifier such as 'bpe_merge'")
    validate.positive_integer(points, f"points of exercise {name!r}")

    def register(check_fn: Callable) -> Callable:
        _REGISTRY[name] = Exercise(name, points, hint, check_fn)
        return check_fn

    return register


def registered(name: str) -> Exercise:
    """The exercise registered as ``name``; ValueError naming the known ones if there is none."""
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none yet"
        raise ValueError(
            f"no exercise named {name!r} is registered (known: {known}); run the cell that "
            "defines the chapter's checks first"
        )
    return _REGISTRY[name]


def check(name: str, *answers) -> Outcome:
    """Check the answer(s) to exercise ``name``, print feedback, and return the outcome.

    A wrong answer raises ExerciseFailed, whose feedback Jupyter shows in place of a traceback,
    so that "Run all" stops at it. An answer that is still the starter code (it raises
    ``NotImplementedError``) is reported as not attempted and does not stop the notebook: a
    student can read and run a whole chapter before solving its exercises.
    """
    ex = registered(name)
    tester = Tester()
    try:
        ex.check(tester, *answers)
        outcome = Outcome(ex.name, "visible", "passed", ex.points)
    except Exception as exc:
        outcome = _outcome_from(ex, "visible", tester, exc)
    return _report(outcome)


class hidden_check:  # lower case: it reads like a function, ``with hidden_check("name") as t:``
    """Context manager for a hidden check: records and reports whatever its body raises."""

    def __init__(self, name: str):
        self.exercise = registered(name)
        self.tester = Tester()

    def __enter__(self) -> Tester:
        return self.tester

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and not isinstance(exc, Exception):
            return False  # KeyboardInterrupt and SystemExit must go through
        ex = self.exercise
        if exc is None:
            outcome = Outcome(ex.name, "hidden", "passed", ex.points)
        else:
            outcome = _outcome_from(ex, "hidden", self.tester, exc)
        _report(outcome)
        return True


def _outcome_from(ex: Exercise, kind: str, tester: Tester, exc: Exception) -> Outcome:
    if isinstance(exc, CheckFailed):
        return Outcome(
            ex.name,
            kind,
            "failed",
            ex.points,
            exc.tested,
            exc.expected,
            exc.got,
            exc.detail,
            ex.hint,
        )
    if isinstance(exc, NotImplementedError) or isinstance(exc.__cause__, NotImplementedError):
        return Outcome(ex.name, kind, NOT_ATTEMPTED, ex.points, tester.tested, hint=ex.hint)
    if isinstance(exc, StudentCodeError):
        return Outcome(ex.name, kind, "error", ex.points, exc.tested, error=str(exc), hint=ex.hint)
    # Raised outside Tester.call: the answer is missing or of the wrong kind (a NameError, or a
    # TypeError from calling something that is not a function).
    error = f"{_describe(exc)} while checking your answer"
    return Outcome(ex.name, kind, "error", ex.points, tester.tested, error=error, hint=ex.hint)


def _report(outcome: Outcome) -> Outcome:
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as results:
            results.write(json.dumps(asdict(outcome)) + "\n")
    if outcome.status in ("failed", "error"):
        raise ExerciseFailed(outcome)
    print(outcome.feedback())
    return outcome


def _describe(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _call_text(fn, args, kwargs) -> str:
    name = getattr(fn, "__name__", type(fn).__name__)
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _same(got, expected) -> bool:
    if hasattr(got, "__array__") or hasattr(expected, "__array__"):
        import numpy as np

        try:
            return bool(np.array_equal(np.asarray(got), np.asarray(expected)))
        except (TypeError, ValueError):
            return False
    try:
        return bool(got == expected)
    except Exception:  # an answer whose == raises (or returns an array) is simply not equal
        return False


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
