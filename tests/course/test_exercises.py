"""The check registry, instant feedback, result recording and the chapter format validation."""

import subprocess
import sys

import nbformat
import numpy as np
import pytest

from rnnkit.course import exercises, markers
from rnnkit.course.exercises import ExerciseFailed, check, exercise, hidden_check


def _register_double():
    @exercise("double", points=2, hint="Multiply by two.")
    def _check_double(t, double):
        t.equal(t.call(double, 3), 6)
        t.equal(t.call(double, -1), -2)


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    """Each test starts with a registry that holds only "double", and records nothing."""
    monkeypatch.setattr(exercises, "_REGISTRY", {})
    monkeypatch.setattr(exercises, "_RECORDED", None)
    _register_double()


def test_passing_check_prints_feedback_and_returns_the_outcome(capsys):
    outcome = check("double", lambda x: 2 * x)
    assert outcome.passed and outcome.points == 2
    assert capsys.readouterr().out == "double: passed (2/2 points)\n"


def test_wrong_answer_shows_what_was_tested_expected_got_and_hint():
    def double(x):
        return x + 3

    with pytest.raises(ExerciseFailed) as info:
        check("double", double)
    assert not isinstance(info.value, AssertionError)
    outcome = info.value.outcome
    assert (outcome.status, outcome.tested, outcome.expected, outcome.got) == (
        "failed",
        "double(-1)",
        "-2",
        "2",
    )
    shown = info.value._render_traceback_()
    assert shown == [
        "double: not yet (0/2 points)",
        "  tested:   double(-1)",
        "  expected: -2",
        "  got:      2",
        "  hint:     Multiply by two.",
    ]
    assert str(info.value) == "double(-1): expected -2, got 2"


def test_exception_in_the_students_code_is_reported_not_raised():
    def double(x):
        return x / 0

    with pytest.raises(ExerciseFailed) as info:
        check("double", double)
    outcome = info.value.outcome
    assert outcome.status == "error"
    assert outcome.error == "your code raised ZeroDivisionError: division by zero"
    assert "  problem:  your code raised ZeroDivisionError" in outcome.feedback()


def test_starter_code_is_not_attempted_and_does_not_stop_the_notebook(capsys):
    def double(x):
        # YOUR CODE HERE
        raise NotImplementedError

    with exercises.recording() as records:
        _register_double()
        outcome = check("double", double)  # no ExerciseFailed: "Run all" goes on
        assert outcome.status == "not attempted" and not outcome.passed
        printed = capsys.readouterr().out
        assert printed.startswith(
            "double: not attempted (0/2 points): replace `raise NotImplementedError`"
        )
        with hidden_check("double") as t:
            t.call(double, 1)
    assert [record["status"] for record in records] == ["not attempted", "not attempted"]


def test_a_half_finished_answer_that_raises_something_else_is_an_error():
    def double(x):
        raise ValueError("not done")

    with pytest.raises(ExerciseFailed) as info:
        check("double", double)
    assert info.value.outcome.status == "error"


def test_answer_of_the_wrong_kind_is_an_error_with_a_reason():
    with pytest.raises(ExerciseFailed) as info:
        check("double", 42)
    assert info.value.outcome.status == "error"
    assert "your code raised TypeError" in info.value.outcome.error


def test_unknown_exercise_names_the_known_ones():
    with pytest.raises(ValueError, match=r"no exercise named 'triple'.*known: double"):
        check("triple", lambda x: 3 * x)


@pytest.mark.parametrize(
    ("name", "points", "error", "message"),
    [
        ("two words", 1, ValueError, "must be a Python identifier"),
        (3, 1, TypeError, "exercise name must be a str, got 3"),
        ("ok", 0, ValueError, "points of exercise 'ok' must be an integer >= 1, got 0"),
        ("ok", 1.5, TypeError, "points of exercise 'ok' must be an integer >= 1, got 1.5"),
        ("ok", True, TypeError, "got True"),
    ],
)
def test_bad_registrations_are_refused(name, points, error, message):
    with pytest.raises(error, match=message):
        exercise(name, points=points)


def test_registering_again_replaces_the_check():
    @exercise("double", points=1)
    def _accept_anything(t, double):
        pass

    assert check("double", None).points == 1


def test_outcomes_are_recorded_only_while_the_grader_records():
    check("double", lambda x: 2 * x)  # a student's kernel: nothing is recorded
    with exercises.recording() as records:
        with pytest.raises(ValueError, match="no exercise named 'double'"):
            check("double", lambda x: 2 * x)  # a fresh registry for each recording
        _register_double()
        check("double", lambda x: 2 * x)
        with pytest.raises(ExerciseFailed):
            check("double", lambda x: x)
    assert exercises._RECORDED is None and "double" in exercises._REGISTRY
    first, second = records
    assert (first["exercise"], first["kind"], first["status"], first["points"]) == (
        "double",
        "visible",
        "passed",
        2,
    )
    assert second["status"] == "failed" and second["got"] == "3"


def test_hidden_check_records_its_outcome(capsys):
    with exercises.recording() as records:
        _register_double()
        with hidden_check("double") as t:
            t.equal(t.call(lambda x: 2 * x, 0), 0)
        assert capsys.readouterr().out == "hidden checks for double: passed (2/2 points)\n"
        with pytest.raises(ExerciseFailed) as info:
            with hidden_check("double") as t:
                t.equal(t.call(undefined_name, 0), 0)  # noqa: F821 - the student's function is missing
    assert info.value.outcome.reason() == (
        "hidden check: NameError: name 'undefined_name' is not defined while checking your answer"
    )
    assert [record["kind"] for record in records] == ["hidden", "hidden"]


def test_keyboard_interrupt_is_not_swallowed():
    with pytest.raises(KeyboardInterrupt):
        with hidden_check("double"):
            raise KeyboardInterrupt


def test_tester_compares_arrays_and_floats():
    t = exercises.Tester()
    t.equal(np.arange(3), [0, 1, 2])
    t.close([0.1 + 0.2], [0.3])
    with pytest.raises(exercises.CheckFailed, match="expected shape"):
        t.close(np.zeros(2), np.zeros(3))
    with pytest.raises(exercises.CheckFailed):
        t.equal(np.arange(3), [0, 1, 3])
    with pytest.raises(exercises.CheckFailed, match="the list is sorted does not hold"):
        t.true(False, "the list is sorted")


def test_import_is_cheap():
    code = (
        "import sys, rnnkit.course.exercises; "
        "print(sorted({'numpy', 'tensorflow'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _chapter(*cells):
    """A notebook of (metadata, source) code cells."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata=meta) for meta, source in cells]
    return nb


SOLVED = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
HIDDEN = "### BEGIN HIDDEN TESTS\npass\n### END HIDDEN TESTS"


def test_chapter_exercises_lists_exercises_in_order():
    nb = _chapter(
        ({"exercise": "b", "points": 2}, SOLVED),
        ({}, "print('between')"),
        ({"exercise": "a", "points": 1}, SOLVED),
        ({"hidden_check": "b"}, HIDDEN),
    )
    assert markers.chapter_exercises(nb) == [
        markers.ExerciseSpec("b", 2),
        markers.ExerciseSpec("a", 1),
    ]


def test_chapter_exercises_reports_every_problem_with_its_cell():
    nb = _chapter(
        ({"exercise": "a", "points": 1}, "### BEGIN SOLUTION\nx = 1"),
        ({"exercise": "b", "points": "two"}, SOLVED),
        ({"hidden_check": "c"}, HIDDEN),
        ({}, "# BEGIN HIDDEN TEST"),
        ({"exercise": "d", "points": 1, "hidden_check": "d"}, SOLVED),
    )
    with pytest.raises(markers.MarkerError) as info:
        markers.chapter_exercises(nb, "ch")
    message = str(info.value)
    assert "ch: cell 1, line 1: '### BEGIN SOLUTION' is never closed" in message
    assert "ch: cell 2: exercise 'b' needs points=N" in message
    assert "ch: cell 3: hidden_check='c' names no exercise cell" in message
    assert "ch: cell 4, line 1: malformed marker '# BEGIN HIDDEN TEST'" in message
    assert "ch: cell 5: has both exercise= and hidden_check= metadata" in message


def test_exercise_metadata_on_a_markdown_cell_is_refused():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(SOLVED, metadata={"exercise": "a", "points": 1})]
    with pytest.raises(markers.MarkerError, match="exercise= metadata on a markdown cell"):
        markers.chapter_exercises(nb)


def test_a_notebook_does_not_echo_the_outcome_after_the_feedback():
    import nbformat
    from nbclient import NotebookClient

    code = (
        "from rnnkit.course.exercises import check, exercise\n"
        "@exercise('echo_test', points=1)\n"
        "def _(t, answer):\n"
        "    t.equal(answer, 1)\n"
        "check('echo_test', 1)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    kinds = [output.output_type for output in nb.cells[0].outputs]
    assert kinds == ["stream"], f"expected only the printed feedback, got {kinds}"
