"""Student release and autograder, run on a tiny fixture chapter (tests/fixtures/chapters)."""

import contextlib
import io
import json
import re
import time

import nbformat
import pytest
from grading_cases import (
    CHAPTER,
    CHAPTERS,
    ENDLESS,
    GOOD,
    KILLS_KERNEL,
    ONLY_K2,
    POINTS,
    RAISES,
    SET_OF_PAIRS,
    SLEEPS,
    SYNTAX_ERROR,
    released_copy,
    submission,
)

from rnnkit import cli
from rnnkit.course import grades, grading


@pytest.fixture(scope="module")
def released():
    return released_copy()


@pytest.fixture(scope="module")
def batch(released, tmp_path_factory):
    """Grade one submission per case through the command line, two at a time."""
    subs = tmp_path_factory.mktemp("submissions")
    cases = {
        "alice.ipynb": submission(released),
        "bob.ipynb": submission(
            released, {**GOOD, "pair_counts": SET_OF_PAIRS, "moving_average": ONLY_K2}
        ),
        "carol/01_exercise_fixture.ipynb": submission(released, {}, keep_metadata=False),
        "erin.ipynb": submission(released, {**GOOD, "pair_counts": SYNTAX_ERROR}),
        "frank.ipynb": submission(released, {**GOOD, "pair_counts": RAISES}),
        "gina.ipynb": submission(released, {**GOOD, "moving_average": ENDLESS}),
        "hank.ipynb": submission(released, {**GOOD, "vowel_count": KILLS_KERNEL}),
        "ivan.ipynb": submission(
            released, drop=("pair_counts",), rename={"moving_average": "moving_avg"}
        ),
    }
    paths = []
    for name, nb in cases.items():
        path = subs / name
        path.parent.mkdir(exist_ok=True)
        nbformat.write(nb, path)
        paths.append(path)
    (subs / "dave_01_exercise_fixture.ipynb").write_text("{ this is not json")
    (subs / "kim.ipynb").write_text('{"cells": "not a list"}')
    paths += [subs / "dave_01_exercise_fixture.ipynb", subs / "kim.ipynb"]
    before = {p: p.read_bytes() for p in paths}
    csv_path, json_path = subs / "grades.csv", subs / "grades.json"
    argv = ["grade", *map(str, paths), "--out", str(csv_path), "--json", str(json_path)]
    argv += ["--jobs", "2", "--cell-timeout", "5", "--timeout", "60", "--chapters", str(CHAPTERS)]
    printed = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        status = cli.main(argv)
    seconds = time.perf_counter() - start
    rows = json.loads(json_path.read_text())
    return {
        "status": status,
        "rows": rows,
        "csv": csv_path.read_text(),
        "printed": printed.getvalue(),
        "seconds": seconds,
        "unchanged": all(p.read_bytes() == data for p, data in before.items()),
    }


def _of(batch, student):
    return {row["exercise"]: row for row in batch["rows"] if row["student"] == student}


def _total(batch, student):
    return sum(row["points"] for row in batch["rows"] if row["student"] == student)


def test_instructor_chapter_passes_all_its_checks():
    rows = grading.verify(CHAPTER, cell_timeout=10, timeout=60)
    assert [(r.exercise, r.status, r.points) for r in rows] == [
        (name, "passed", points) for name, points in POINTS.items()
    ]


def test_release_refuses_a_chapter_whose_points_disagree_with_its_checks(tmp_path, capsys):
    source = tmp_path / "01_exercise_fixture.py"
    text = CHAPTER.read_text()
    source.write_text(
        text.replace('exercise="vowel_count" points=1', 'exercise="vowel_count" points=4')
    )
    out = tmp_path / "student"
    assert cli.main(["release", str(source), "--out", str(out), "--verify"]) == 1
    printed = capsys.readouterr().out
    assert "vowel_count: error: chapter bug: the cell metadata gives 4 points" in printed
    assert "the registered check gives 1" in printed
    assert re.search(
        r"^instructor\s+01_exercise_fixture\s+5/9\s+vowel_count \(error\)$", printed, re.M
    )
    assert not out.exists()


def test_batch_grades_every_submission_without_touching_them(batch):
    assert batch["status"] == 0
    assert batch["unchanged"]
    students = {row["student"] for row in batch["rows"]}
    assert students == {
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "gina",
        "hank",
        "ivan",
        "kim",
    }
    header = batch["csv"].splitlines()[0]
    assert header == "student,chapter,exercise,points,max_points,status,reason"
    assert all(row["status"] in grades.STATUSES for row in batch["rows"])
    for student in students - {"kim"}:
        assert {e: r["max_points"] for e, r in _of(batch, student).items()} == POINTS, student


def test_correct_submission_gets_full_marks(batch):
    rows = _of(batch, "alice")
    assert all(r["status"] == "passed" and r["reason"] == "" for r in rows.values())
    assert _total(batch, "alice") == 6


def test_partly_correct_submission_gets_the_exact_score(batch):
    rows = _of(batch, "bob")
    assert rows["vowel_count"]["status"] == "passed"
    pair = rows["pair_counts"]
    assert pair["status"] == "failed"
    assert "pair_counts(['l', 'o', 'w', 'l', 'o'])" in pair["reason"]
    assert "expected {('l', 'o'): 2" in pair["reason"] and "got {('l', 'o'): 1" in pair["reason"]
    assert rows["moving_average"]["status"] == "failed"
    assert rows["moving_average"]["reason"].startswith("hidden check: moving_average(")
    assert _total(batch, "bob") == 1


def test_unsolved_release_scores_zero_and_names_the_chapter_from_the_path(batch):
    rows = _of(batch, "carol")
    assert rows["vowel_count"]["status"] == "error"
    assert rows["vowel_count"]["reason"].startswith("your exercise cell raised NotImplementedError")
    assert "not attempted" in rows["pair_counts"]["reason"]
    assert rows["pair_counts"]["status"] == "not attempted"
    assert _total(batch, "carol") == 0


def test_unreadable_files_are_invalid(batch):
    dave = _of(batch, "dave")
    assert all(r["status"] == "invalid" and r["points"] == 0 for r in dave.values())
    assert "not a Jupyter notebook" in dave["pair_counts"]["reason"]
    assert "is not JSON" in dave["pair_counts"]["reason"]
    (kim,) = [row for row in batch["rows"] if row["student"] == "kim"]
    assert (kim["status"], kim["points"], kim["chapter"]) == ("invalid", 0, "?")
    assert "JSON but not a notebook" in kim["reason"] and "'cells'" in kim["reason"]


def test_syntax_error_and_exception_cost_only_their_exercise(batch):
    erin = _of(batch, "erin")
    assert erin["pair_counts"]["status"] == "error"
    assert erin["pair_counts"]["reason"].startswith("your exercise cell raised SyntaxError")
    assert _total(batch, "erin") == 4
    frank = _of(batch, "frank")
    assert frank["pair_counts"]["status"] == "error"
    assert "your code raised ZeroDivisionError: division by zero" in frank["pair_counts"]["reason"]
    assert _total(batch, "frank") == 4


def test_endless_loop_times_out_and_later_exercises_still_count(batch):
    gina = _of(batch, "gina")
    assert gina["moving_average"]["status"] == "timeout"
    assert "longer than 5 s" in gina["moving_average"]["reason"]
    assert _total(batch, "gina") == 3


def test_dying_kernel_costs_only_its_exercise(batch):
    hank = _of(batch, "hank")
    assert hank["vowel_count"]["status"] == "error"
    assert "kernel died" in hank["vowel_count"]["reason"]
    assert hank["pair_counts"]["status"] == hank["moving_average"]["status"] == "passed"
    assert _total(batch, "hank") == 5


def test_deleted_or_renamed_exercise_cells_are_missing(batch):
    ivan = _of(batch, "ivan")
    for name in ("pair_counts", "moving_average"):
        assert ivan[name]["status"] == "missing"
        assert f"no exercise cell '{name}'" in ivan[name]["reason"]
    assert _total(batch, "ivan") == 1


def test_summary_lists_each_student_total(batch):
    printed = batch["printed"]
    assert re.search(r"alice\s+01_exercise_fixture\s+6/6", printed)
    assert re.search(r"bob\s+01_exercise_fixture\s+1/6\s+pair_counts \(failed\)", printed)
    assert "graded 10 submission(s)" in printed


def test_notebook_budget_stops_a_slow_submission(released, tmp_path):
    path = tmp_path / "lena.ipynb"
    nbformat.write(submission(released, {**GOOD, "vowel_count": SLEEPS}), path)
    start = time.perf_counter()
    rows = grading.grade_submission(path, CHAPTERS, cell_timeout=10, timeout=4)
    assert time.perf_counter() - start < 12
    assert [r.status for r in rows] == ["timeout"] * 3
    assert "used up its 4 s budget" in rows[0].reason
    assert all(r.points == 0 for r in rows)


def test_bad_arguments_are_refused(tmp_path, capsys):
    with pytest.raises(ValueError, match="jobs=0"):
        grading.grade([], CHAPTERS, jobs=0)
    with pytest.raises(ValueError, match="timeout=-1"):
        grading.grade([], CHAPTERS, timeout=-1)
    assert cli.main(["grade", str(tmp_path / "nobody.ipynb")]) == 2
    assert "no such submission" in capsys.readouterr().err
