"""Exercises with instant feedback: the check registry and the checking helpers.

In a chapter source a coding exercise is a code cell with jupytext metadata, e.g.
``# %% exercise="bpe_merge_step" points=2``, whose solution sits between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` lines. The cell after it calls ``check("bpe_merge_step", bpe_merge_step)``,
which runs the check function registered with ``@exercise`` and prints what was tested, what was
expected, what came back and a hint. Hidden checks live only in the instructor's source, in cells
marked ``# %% hidden_check="bpe_merge_step"`` (body between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``) that use ``with hidden_check("bpe_merge_step") as t:``.

When the grader runs the checks (in its own process, rnnkit.course.remote), it records every
outcome with :func:`recording`; the student's kernel never reports a grade. This module imports
nothing heavy: a check that needs numpy or TensorFlow imports it inside the check.
"""

import contextlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

from rnnkit import validate
from rnnkit.course import kernel_link

# The status of a check whose answer still raises NotImplementedError (the starter code).
NOT_ATTEMPTED = "not attempted"
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
        remote = isinstance(exc, kernel_link.RemoteRaised)
        described = exc.described() if remote else _describe(exc)
        super().__init__(f"your code raised {described}")
        self.tested = tested


def _fetched(value, role: str = "got"):
    """A Remote answer's plain data; a Remote expected value is a bug of the check."""
    if not isinstance(value, kernel_link.Remote):
        return value
    if role == "expected":
        raise kernel_link.ChapterBug(
            f"an expected value comes from the student's kernel ({value!r}); compute it in "
            "the check"
        )
    return value.fetch()


class ExerciseFailed(Exception):
    """Raised by a check that did not pass; Jupyter shows its feedback instead of a traceback."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.reason())
        self.outcome = outcome

    def _render_traceback_(self):
        # IPython calls this hook in place of printing a traceback.
        return self.outcome.feedback().splitlines()


class Tester:
    """Handed to check functions: runs the student's code and compares what comes back.

    ``arguments`` holds the positional arguments of the last call as they were after it, so
    that a check can require that the student's function left its inputs alone.
    """

    def __init__(self):
        self.tested = ""
        self.arguments = ()

    def _run(self, fn, args, kwargs):
        if isinstance(fn, kernel_link.Remote):  # the grader's side: the call runs in the kernel
            result, self.arguments = fn.invoke(args, kwargs)
            return result
        self.arguments = args
        return fn(*args, **kwargs)

    def call(self, fn, *args, **kwargs):
        """Call the student's ``fn``; an exception becomes feedback naming the call."""
        self.tested = _call_text(fn, args, kwargs)
        try:
            return self._run(fn, args, kwargs)
        except kernel_link.ChapterBug:
            raise
        except Exception as exc:
            raise StudentCodeError(self.tested, exc) from exc

    def raises(self, exception: type, fn, *args, **kwargs) -> str:
        """Require that ``fn(*args, **kwargs)`` raises ``exception`` (or a subclass of it).

        Returns the message, for a check that also wants it to say something.
        """
        self.tested = _call_text(fn, args, kwargs)
        try:
            self._run(fn, args, kwargs)
        except kernel_link.ChapterBug:
            raise
        except kernel_link.RemoteRaised as exc:
            names, message, got = exc.bases, exc.message, exc.described()
        except Exception as exc:
            names = [cls.__name__ for cls in type(exc).__mro__]
            message, got = str(exc), _describe(exc)
        else:
            raise CheckFailed(self.tested, f"a {exception.__name__}", "no error") from None
        if exception.__name__ not in names:
            raise CheckFailed(self.tested, f"a {exception.__name__}", got)
        return message

    def equal(self, got, expected, tested: str = "") -> None:
        """Require ``got == expected`` (arrays: same shape and elements)."""
        tested = tested or self.tested
        got, expected = _fetched(got), _fetched(expected, "expected")
        if not _same(got, expected):
            raise CheckFailed(tested, _short(expected), _short(got))

    def close(
        self, got, expected, atol: float = 1e-6, rtol: float = 1e-5, tested: str = ""
    ) -> None:
        """Require numbers or arrays equal up to a tolerance (and arrays of the same shape)."""
        import numpy as np

        tested = tested or self.tested
        got, expected = _fetched(got), _fetched(expected, "expected")
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
        if not _fetched(condition):
            raise CheckFailed(self.tested, "", "", f"{what} does not hold")


_REGISTRY: dict[str, Exercise] = {}
# The outcomes the grader is recording (None in a student's kernel: nothing is recorded there).
_RECORDED: list | None = None


@contextlib.contextmanager
def recording():
    """Record every check's outcome (as a dict) in the list this yields, with a fresh registry.

    The grader wraps each run of a submission in it, so that one run's checks and outcomes never
    mix with another's in the same process.
    """
    global _REGISTRY, _RECORDED
    saved = _REGISTRY, _RECORDED
    _REGISTRY, _RECORDED = {}, []
    try:
        yield _RECORDED
    finally:
        _REGISTRY, _RECORDED = saved


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
    except kernel_link.ChapterBug:
        raise  # the check itself is wrong: not the student's answer
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
        if isinstance(exc, kernel_link.ChapterBug):
            return False  # the check itself is wrong: not the student's answer
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
    if _RECORDED is not None:
        _RECORDED.append(asdict(outcome))
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
