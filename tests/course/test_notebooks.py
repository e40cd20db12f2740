"""The notebook builder behind `make workbook` and `make notebooks`."""

import nbformat
import pytest

from rnnkit import cli
from rnnkit.course import notebooks

TINY_CHAPTER = """# %% [markdown]
# # A tiny chapter

# %%
import os
print("mode", os.environ["RNNKIT_QUICK"], "data", os.environ.get("RNNKIT_DATA_DIR"))
# What TensorFlow's C++ start-up does: write to file descriptor 2 behind Python's back.
_ = os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on\\n")
"""

BROKEN_CHAPTER = """# %%
raise RuntimeError("this chapter is broken")
"""


@pytest.fixture
def chapters(tmp_path):
    (tmp_path / "01_tiny.py").write_text(TINY_CHAPTER)
    (tmp_path / "02_broken.py").write_text(BROKEN_CHAPTER)
    return tmp_path


def test_workbook_writes_notebooks_html_and_a_summary(chapters, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNNKIT_DATA_DIR", "/data/here")
    out = tmp_path / "build"
    status = notebooks.run_all(
        [chapters / "01_tiny.py", chapters / "02_broken.py"], out, quick=True, html=True
    )
    assert status == 1
    nb = nbformat.read(out / "01_tiny.ipynb", as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "mode 1 data /data/here\n"
    assert (out / "01_tiny.html").read_text().count("A tiny chapter") >= 1
    assert not (out / "02_broken.ipynb").exists(), "a failed chapter leaves no notebook behind"
    printed = capsys.readouterr().out
    assert "01_tiny" in printed and "02_broken" in printed and "FAILED" in printed
    assert "this chapter is broken" in printed


def test_kernel_start_up_noise_never_reaches_the_console(chapters, tmp_path, capfd):
    assert (
        notebooks.run_all([chapters / "01_tiny.py"], tmp_path / "out", quick=True, html=False) == 0
    )
    out, err = capfd.readouterr()
    assert "01_tiny" in out
    assert "oneDNN" not in out + err and "IPKernelApp" not in out + err, err
    nb = nbformat.read(tmp_path / "out" / "01_tiny.ipynb", as_version=4)
    assert [output["name"] for output in nb.cells[1].outputs] == ["stdout"]


def test_notebooks_are_rebuilt_next_to_their_source(chapters, monkeypatch):
    monkeypatch.delenv("RNNKIT_DATA_DIR", raising=False)
    assert notebooks.run_all([chapters / "01_tiny.py"], None, quick=False, html=False) == 0
    nb = nbformat.read(chapters / "01_tiny.ipynb", as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "mode 0 data None\n"
    assert nb.cells[1].execution_count == 1


def test_unknown_chapter_is_a_clear_error(capsys):
    assert cli.main(["notebooks", "no_such_chapter.py"]) == 2
    assert "no chapter source 'no_such_chapter.py'" in capsys.readouterr().err
