"""Every committed chapter notebook matches its py:percent source and has been executed."""

import nbformat
import pytest

from rnnkit.course.notebooks import chapter_sources, read_source

SOURCES = chapter_sources()


def _cells(nb):
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def test_there_are_chapters():
    assert SOURCES, "no chapters/NN_*.py found"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_source(source):
    notebook = source.with_suffix(".ipynb")
    assert notebook.exists(), f"{notebook.name} is missing: run `make notebooks CHAPTER={source}`"
    from_py = _cells(read_source(source))
    from_nb = _cells(nbformat.read(notebook, as_version=4))
    for index, (py_cell, nb_cell) in enumerate(zip(from_py, from_nb, strict=False)):
        assert py_cell == nb_cell, (
            f"{source.stem}: cell {index} differs between .py and .ipynb "
            f"(.py starts {py_cell[1][:60]!r}, .ipynb starts {nb_cell[1][:60]!r}); "
            f"regenerate with `make notebooks CHAPTER={source}`"
        )
    assert len(from_py) == len(from_nb), (
        f"{source.stem}: .py has {len(from_py)} cells, .ipynb has {len(from_nb)}; "
        f"regenerate with `make notebooks CHAPTER={source}`"
    )


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
