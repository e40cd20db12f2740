"""Every committed chapter notebook is the executed student edition of its py:percent source.

The student edition (rnnkit.course.editions) stubs every solution and leaves out the hidden
checks; these tests also look for any solution or hidden-check line that could have leaked into
a committed notebook or a release.
"""

import nbformat
import pytest

from rnnkit.course import editions, markers, notebooks, release

SOURCES = notebooks.chapter_sources()
MIN_LEAK_LINE = 12  # shorter lines ("return x", "pass") say nothing about a solution


def _cells(nb):
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def _region_lines(cell, begin, end):
    lines, inside = [], False
    for line in cell.source.splitlines():
        text = line.strip()
        if text in (begin, end):
            inside = text == begin
        elif inside:
            lines.append(text)
    return lines


def secret_lines(source) -> set[str]:
    """Non-trivial lines of the solutions and hidden checks that no public cell contains.

    A line the lecture itself shows (the same idiom in a worked example) is public anyway.
    """
    instructor = notebooks.read_source(source)
    secret, public = set(), set()
    for cell in instructor.cells:
        if markers.HIDDEN_KEY in cell.metadata:
            secret.update(line.strip() for line in cell.source.splitlines())
        elif markers.EXERCISE_KEY in cell.metadata:
            secret.update(_region_lines(cell, markers.SOLUTION_BEGIN, markers.SOLUTION_END))
        else:
            public.update(line.strip() for line in cell.source.splitlines())
    return {
        line
        for line in secret - public
        if len(line) >= MIN_LEAK_LINE
        and not line.startswith("#")
        and line not in markers.STUB_LINES
    }


def leaks(nb, source) -> list[str]:
    """Hidden-check cells and secret lines of ``source`` found in the notebook ``nb``."""
    found = [
        f"cell {i}: a hidden check"
        for i, c in enumerate(nb.cells)
        if markers.HIDDEN_KEY in c.metadata
    ]
    secret = secret_lines(source)
    for index, cell in enumerate(nb.cells):
        found += [
            f"cell {index}: {line!r}"
            for line in (line.strip() for line in cell.source.splitlines())
            if line in secret
        ]
    return found


def test_there_are_chapters():
    assert SOURCES, "no chapters/NN_*.py found"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_the_student_edition_of_its_source(source):
    notebook = source.with_suffix(".ipynb")
    assert notebook.exists(), f"{notebook.name} is missing: run `make notebooks CHAPTER={source}`"
    expected = _cells(editions.student_copy(notebooks.read_source(source), source.stem))
    committed = _cells(nbformat.read(notebook, as_version=4))
    for index, (want, have) in enumerate(zip(expected, committed, strict=False)):
        assert want == have, (
            f"{source.stem}: cell {index} differs from the student edition of the .py "
            f"(edition starts {want[1][:60]!r}, .ipynb starts {have[1][:60]!r}); "
            f"regenerate with `make notebooks CHAPTER={source}`"
        )
    assert len(expected) == len(committed), (
        f"{source.stem}: the student edition has {len(expected)} cells, the .ipynb "
        f"{len(committed)}; regenerate with `make notebooks CHAPTER={source}`"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_solution_or_hidden_check_in_committed_notebook(source):
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert not leaks(nb, source)
    assert nb.cells[0].source.startswith("[![Open In Colab]"), "the Colab badge comes first"
    # Paired with its .py by jupytext, the notebook would show (or overwrite) the solutions.
    assert "jupytext" not in nb.metadata
    assert nb.metadata["rnnkit"] == {"chapter": source.stem}


def test_no_solution_or_hidden_check_in_the_release(tmp_path):
    written = release.release(SOURCES, tmp_path)
    for source, path in zip(SOURCES, written, strict=True):
        nb = nbformat.read(path, as_version=4)
        assert not leaks(nb, source), path.name
        script = {line.strip() for line in path.with_suffix(".py").read_text().splitlines()}
        assert not secret_lines(source) & script, path.with_suffix(".py").name


def test_the_leak_check_finds_a_leak():
    source = next(s for s in SOURCES if secret_lines(s))
    instructor = editions.instructor_copy(notebooks.read_source(source), source.stem)
    assert leaks(instructor, source), "the instructor edition must count as leaking"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_was_executed_in_order(source):
    nb = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{source.stem}: the committed notebook was not executed top to bottom in one kernel "
        f"(execution counts {counts}); run `make notebooks CHAPTER={source}`"
    )
    assert any(cell.outputs for cell in code), f"{source.stem}: the notebook has no outputs"
    errors = [
        i for i, cell in enumerate(code) if any(o.output_type == "error" for o in cell.outputs)
    ]
    assert not errors, f"{source.stem}: code cells {errors} end in an error"
