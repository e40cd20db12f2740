"""The grader's side of a check: check cells run here, the student's names live in the kernel.

When the grader runs a submission, the instructor's check cells (the visible ``check(...)``
cells and the hidden checks) are executed in the grader's own process, never in the student's
kernel. Their names resolve, in order, to what the check cells themselves define, Python's
builtins, the instructor's imports (the chapter's ``import`` lines, run here), and last to the
student's kernel: a name found nowhere else is the student's. The kernel then says what it
holds: a function becomes a Remote (rnnkit.course.kernel_link) that only ``t.call`` can call
(the call runs in the kernel and only its result comes back, as plain data, rnnkit.course.wire);
plain data is copied here; anything else (a corpus, say) stays a reference that can be passed to
``t.call``.

A check therefore computes its expected values here, from its own inputs and trusted code; a
Remote used in any other way than as ``t.call``'s function or argument, or as the answer a check
compares, raises ChapterBug. This module never imports TensorFlow.
"""

import ast
import builtins
import contextlib
import io
import itertools
import linecache

from rnnkit.course import exercises as ex
from rnnkit.course import kernel_link, markers

# Cell metadata the grader adds to the instructor's check cells of a graded notebook.
GRADER_KEY = "rnnkit_runs"
IN_GRADER = "grader"  # visible and hidden check cells: the kernel never sees them
IN_BOTH = "both"  # the cell that defines the checks: the kernel needs its helpers too


def where_it_runs(cell) -> str:
    """IN_GRADER, IN_BOTH or "" (the kernel) for one of the instructor's cells."""
    if cell.cell_type != "code":
        return ""
    if markers.HIDDEN_KEY in cell.metadata:
        return IN_GRADER
    if markers.EXERCISE_KEY in cell.metadata:
        return ""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return ""
    if tree.body and all(_is_check_call(statement) for statement in tree.body):
        return IN_GRADER
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(map(_is_exercise, node.decorator_list)):
            return IN_BOTH
    return ""


def _is_check_call(statement) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and isinstance(statement.value.func, ast.Name)
        and statement.value.func.id == "check"
    )


def _is_exercise(decorator) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "exercise"


def instructor_imports(nb) -> dict[str, str]:
    """Name -> the import statement that binds it, over the instructor's code cells."""
    imports = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or markers.EXERCISE_KEY in cell.metadata:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
                for alias in node.names:
                    if alias.name != "*":
                        imports[(alias.asname or alias.name).split(".")[0]] = ast.unparse(node)
    return imports


class Namespace(dict):
    """The globals of the check cells: a missing name is imported, or looked up in the kernel."""

    def __init__(self, link: kernel_link.Link, imports: dict[str, str]):
        super().__init__()
        self._link, self._imports = link, imports

    def __missing__(self, name):
        if name.startswith("__") or hasattr(builtins, name):
            raise KeyError(name)  # Python goes on to the builtins
        if name in self._imports:
            scope: dict = {}
            exec(self._imports[name], scope)  # noqa: S102 - the instructor's own import line
            self[name] = scope[name]
            return scope[name]
        return self._link.describe(name)  # the student's: asked afresh each time


_CELL_NUMBERS = itertools.count()


def run_check_cell(source: str, namespace: Namespace) -> tuple[list, kernel_link.KernelGone | None]:
    """Execute one check cell here; return its outputs and the KernelGone it ended with, if any.

    Feedback the checks print becomes the cell's stdout; an exception other than a failed
    check becomes an error output, as the kernel would have shown it.
    """
    import nbformat

    printed, outputs, gone = io.StringIO(), [], None
    filename = f"{kernel_link.CELL_PREFIX}{next(_CELL_NUMBERS)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - the instructor's
    except kernel_link.KernelGone as exc:
        gone = exc
    except ex.ExerciseFailed as exc:
        printed.write(exc.outcome.feedback() + "\n")
    except Exception as exc:  # a check that could not run: shown as the kernel shows errors
        name = exc.type_name if isinstance(exc, kernel_link.RemoteRaised) else type(exc).__name__
        outputs.append(nbformat.v4.new_output("error", ename=name, evalue=str(exc), traceback=[]))
    if printed.getvalue():
        outputs.insert(0, nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue()))
    return outputs, gone
