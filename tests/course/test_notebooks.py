"""The notebook builder behind `make workbook` and `make notebooks`, and the chapter editions."""

import io

import nbformat
import pytest

from rnnkit import cli
from rnnkit.course import editions, notebooks, workbook

TINY_CHAPTER = """# %% [markdown]
# # A tiny chapter

# %%
import os
print("mode", os.environ["RNNKIT_QUICK"], "data", os.environ.get("RNNKIT_DATA_DIR"))
# What TensorFlow's C++ start-up does: write to file descriptor 2 behind Python's back.
_ = os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on\\n")

# %% tags=["headline"]
print("details first")
print("headline: 42 widgets")
"""

BROKEN_CHAPTER = """# %%
x = 1

# %%
y = 2
raise RuntimeError("this chapter is broken")
"""

# A chapter with an exercise whose hidden check lives in chapters/hidden/, and a later cell
# that still runs when the exercise is unsolved.
EXERCISE_CHAPTER = """# %%
from rnnkit.course import check, exercise, hidden_check


@exercise("double", points=1)
def _check_double(t, fn):
    t.equal(t.call(fn, 2), 4)


# %% exercise="double" points=1
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %%
check("double", double)

# %%
print("the chapter goes on")
"""
HIDDEN = """# hidden checks of 03_exercise

# %% hidden_check="double"
### BEGIN HIDDEN TESTS
with hidden_check("double") as t:
    t.equal(t.call(double, -3), -6)
### END HIDDEN TESTS
"""


@pytest.fixture
def chapters(tmp_path):
    (tmp_path / "01_tiny.py").write_text(TINY_CHAPTER)
    (tmp_path / "02_broken.py").write_text(BROKEN_CHAPTER)
    (tmp_path / "03_exercise.py").write_text(EXERCISE_CHAPTER)
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "03_exercise.py").write_text(HIDDEN)
    return tmp_path


def _stdout(nb, index):
    return "".join(o.get("text", "") for o in nb.cells[index].outputs)


def test_workbook_writes_notebooks_html_and_a_summary(chapters, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNNKIT_DATA_DIR", "/data/here")
    out = tmp_path / "build"
    status = workbook.run_all(
        [chapters / "01_tiny.py", chapters / "02_broken.py"], out, quick=True, html=True
    )
    assert status == 1
    nb = nbformat.read(out / "01_tiny.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("[![Open In Colab]"), "the badge comes first"
    assert _stdout(nb, 3) == "mode 1 data /data/here\n"
    assert (out / "01_tiny.html").read_text().count("A tiny chapter") >= 1
    assert not (out / "02_broken.ipynb").exists(), "a failed chapter leaves no notebook behind"
    printed = capsys.readouterr().out
    summary = printed[printed.index("chapter ") :]
    assert "01_tiny" in summary and "headline: 42 widgets" in summary, summary
    assert "02_broken" in summary and "FAILED" in summary
    # The failing cell's source and its error, not only the last line of a traceback.
    assert 'raise RuntimeError("this chapter is broken")' in summary
    assert "RuntimeError: this chapter is broken" in summary
    assert "x = 1" not in summary


def test_kernel_start_up_noise_never_reaches_the_console(chapters, tmp_path, capfd):
    assert workbook.run_all([chapters / "01_tiny.py"], tmp_path / "out", True, False) == 0
    out, err = capfd.readouterr()
    assert "01_tiny" in out
    assert "oneDNN" not in out + err and "IPKernelApp" not in out + err, err
    nb = nbformat.read(tmp_path / "out" / "01_tiny.ipynb", as_version=4)
    assert [output["name"] for output in nb.cells[3].outputs] == ["stdout"]


def test_notebooks_are_rebuilt_next_to_their_source(chapters, monkeypatch):
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)
    assert workbook.run_all([chapters / "01_tiny.py"], None, quick=False, html=False) == 0
    nb = nbformat.read(chapters / "01_tiny.ipynb", as_version=4)
    assert _stdout(nb, 3) == "mode 0 data None\n"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]


def test_student_edition_runs_to_the_end_and_says_not_attempted(chapters, tmp_path):
    assert workbook.run_all([chapters / "03_exercise.py"], tmp_path, True, False) == 0
    nb = nbformat.read(tmp_path / "03_exercise.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "return 2 * x" not in text and "hidden_check(" not in text.replace("import", "")
    outputs = [_stdout(nb, i) for i in range(len(nb.cells)) if nb.cells[i].cell_type == "code"]
    assert any("double: not attempted (0/1 point)" in o for o in outputs), outputs
    assert outputs[-1] == "the chapter goes on\n"


def test_instructor_edition_runs_the_hidden_checks_from_their_own_file(chapters, tmp_path):
    assert workbook.run_all([chapters / "03_exercise.py"], tmp_path, True, False, True) == 0
    nb = nbformat.read(tmp_path / "03_exercise.ipynb", as_version=4)
    hidden = [i for i, c in enumerate(nb.cells) if "hidden_check" in c.metadata]
    assert len(hidden) == 1
    assert 'check("double", double)' in nb.cells[hidden[0] - 1].source, "after the visible check"
    assert "hidden checks for double: passed" in _stdout(nb, hidden[0])


def test_a_wrong_hidden_check_file_is_refused(chapters):
    (chapters / "hidden" / "03_exercise.py").write_text("# %%\nprint('not a hidden check')\n")
    with pytest.raises(ValueError, match="needs hidden_check= metadata"):
        notebooks.read_source(chapters / "03_exercise.py")


def test_progress_prints_plain_lines_in_a_log(monkeypatch):
    stream = io.StringIO()  # not a terminal
    monkeypatch.setattr(workbook, "PLAIN_EVERY_S", 0.0)
    progress = workbook.Progress("07_deep_rnns", 80, stream=stream)
    progress.cell_started(3)
    progress.cell_started(4)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("  07_deep_rnns: cell 3 of 80, ") and lines[0].endswith(" s")
    assert "\r" not in stream.getvalue() and len(lines) == 2


def test_editions_share_every_cell_but_solutions_and_hidden_checks(chapters):
    instructor = notebooks.read_source(chapters / "03_exercise.py")
    student = editions.student_copy(instructor, "03_exercise")
    teacher = editions.instructor_copy(instructor, "03_exercise")
    assert len(teacher.cells) == len(student.cells) + 1
    assert student.metadata["rnnkit"] == teacher.metadata["rnnkit"] == {"chapter": "03_exercise"}
    assert "raise NotImplementedError" in student.cells[3].source
    assert "return 2 * x" in teacher.cells[3].source


def test_unknown_chapter_is_a_clear_error(capsys):
    assert cli.main(["notebooks", "no_such_chapter.py"]) == 2
    assert "no chapter source 'no_such_chapter.py'" in capsys.readouterr().err
