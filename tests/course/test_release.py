"""Student releases of a chapter, on the fixture chapter in tests/fixtures/chapters."""

import copy
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from rnnkit import cli
from rnnkit.course import editions, markers, notebooks, release

CHAPTER = Path(__file__).parents[1] / "fixtures" / "chapters" / "01_exercise_fixture.py"
POINTS = {"vowel_count": 1, "pair_counts": 2, "moving_average": 3}


def _solution_lines(source: str) -> list[str]:
    """The non-blank lines inside solution and hidden-test regions."""
    found, inside = [], False
    for line in source.splitlines():
        if line.strip() in (markers.SOLUTION_BEGIN, markers.HIDDEN_BEGIN):
            inside = True
        elif line.strip() in (markers.SOLUTION_END, markers.HIDDEN_END):
            inside = False
        elif inside and line.strip():
            found.append(line.strip())
    return found


def _solution_lines_outside(source: Path) -> list[str]:
    """The non-blank lines of a chapter outside its solution and hidden-test regions."""
    inside_lines = _solution_lines(source.read_text())
    outside = [line.strip() for line in source.read_text().splitlines() if line.strip()]
    for line in inside_lines:
        outside.remove(line)
    return outside


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    release.release([CHAPTER], out)
    return out


@pytest.fixture(scope="module")
def released(student_dir):
    return nbformat.read(student_dir / "01_exercise_fixture.ipynb", as_version=4)


def test_release_leaks_no_solution_and_no_hidden_check(student_dir, released):
    solution = _solution_lines(CHAPTER.read_text())
    assert len(solution) >= 8
    for path in (student_dir / "01_exercise_fixture.ipynb", student_dir / "01_exercise_fixture.py"):
        text = path.read_text()
        leaked = [line for line in solution if line in text]
        assert leaked == [], f"{path.name} leaks {leaked}"
        for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "with hidden_check("):
            assert marker not in text
    assert not any("hidden_check" in cell.metadata for cell in released.cells)
    stubs = [cell.source for cell in released.cells if "exercise" in cell.metadata]
    assert len(stubs) == 3
    assert all("# YOUR CODE HERE\n" in s and "raise NotImplementedError" in s for s in stubs)
    assert "    # YOUR CODE HERE\n    raise NotImplementedError" in stubs[1], "indentation kept"


def test_release_keeps_exercise_metadata_and_names_the_chapter(student_dir, released):
    assert released.metadata["rnnkit"] == {"chapter": "01_exercise_fixture"}
    exercise_cells = [c.metadata for c in released.cells if "exercise" in c.metadata]
    assert {m["exercise"]: m["points"] for m in exercise_cells} == POINTS
    from_py = jupytext.read(student_dir / "01_exercise_fixture.py")
    assert [c.source for c in from_py.cells] == [c.source for c in released.cells]


def test_student_copy_clears_outputs():
    nb = notebooks.read_source(CHAPTER)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="6\n")]
            cell.execution_count = 3
    student = editions.student_copy(nb, "01_exercise_fixture")
    code = [cell for cell in student.cells if cell.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_student_notebook_stops_at_its_first_exercise(released, tmp_path):
    nb = copy.deepcopy(released)
    with pytest.raises(CellExecutionError, match="NotImplementedError"):
        notebooks.execute(nb, tmp_path, quick=True)
    failed = [
        i for i, c in enumerate(nb.cells) if any(o.get("ename") for o in c.get("outputs", []))
    ]
    first_exercise = next(i for i, c in enumerate(nb.cells) if "exercise" in c.metadata)
    assert failed == [first_exercise]
    assert nb.cells[first_exercise].outputs[-1]["ename"] == "NotImplementedError"


MALFORMED = {
    "unclosed": ("### END SOLUTION\n", "", "is never closed"),
    "end without begin": ("### BEGIN SOLUTION\nvowel_count", "vowel_count", "without"),
    "typo": ("### BEGIN SOLUTION", "## BEGIN SOLUTION", "malformed marker"),
    "unknown hidden": ('hidden_check="pair_counts"', 'hidden_check="pairs"', "names no exercise"),
    "no points": ('exercise="vowel_count" points=1', 'exercise="vowel_count"', "needs points"),
    "twice": ('exercise="pair_counts"', 'exercise="vowel_count"', "appears twice"),
    "stray": ('check("vowel_count", vowel_count)', "### END SOLUTION", "does not belong"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_release_refuses_malformed_markers(case, tmp_path):
    old, new, message = MALFORMED[case]
    text = CHAPTER.read_text()
    assert old in text
    source = tmp_path / "01_bad.py"
    source.write_text(text.replace(old, new, 1))
    out = tmp_path / "student"
    with pytest.raises(markers.MarkerError, match=message) as info:
        release.release([source], out)
    assert re.search(r"cell \d+", str(info.value))
    assert not out.exists(), "nothing is written for a malformed chapter"
    assert cli.main(["release", str(source), "--out", str(out)]) == 2


def test_release_command_writes_the_student_copies(tmp_path, capsys):
    assert cli.main(["release", str(CHAPTER), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "01_exercise_fixture.ipynb").exists()
    assert (tmp_path / "01_exercise_fixture.py").exists()
    assert "01_exercise_fixture.ipynb" in capsys.readouterr().out


@pytest.mark.parametrize("source", notebooks.chapter_sources(), ids=lambda p: p.stem)
def test_real_chapter_release_leaks_nothing(source):
    """The chapters' own solutions and hidden checks stay out of their student copies."""
    student = editions.student_copy(notebooks.read_source(source), source.stem)
    lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    text = "\n".join(cell.source for cell in student.cells)
    # A line inside a solution that also appears outside it (a loop header, say) is no leak.
    secret = set(_solution_lines(source.read_text())) - set(_solution_lines_outside(source))
    leaked = sorted(secret & lines)
    assert leaked == [], f"{source.name}: the student copy contains {leaked[:3]}"
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert not any("hidden_check" in cell.metadata for cell in student.cells)
    stubs = [cell.source for cell in student.cells if "exercise" in cell.metadata]
    if source.stem >= "02":
        assert len(stubs) >= 2, f"{source.name} should have at least two graded exercises"
    assert all("raise NotImplementedError" in stub for stub in stubs)
