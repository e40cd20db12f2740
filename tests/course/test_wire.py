"""The plain-data channel between the grader and a student's kernel, and the grader's namespace."""

import base64
import io
import json
import pickle

import nbformat
import numpy as np
import pytest

from rnnkit.course import exercises, kernel_link, remote, wire
from rnnkit.data.vocab import Vocab


def _round_trip(value, **options):
    return wire.decode(json.loads(wire.to_json(value, **options)))


def test_plain_data_crosses_unchanged_with_its_types():
    value = {
        ("a", 1): [1, 2.5, float("inf"), -float("inf"), None, True, "x"],
        "tuple": (1, (2, 3)),
        "set": {1, 2},
        "frozen": frozenset({"a"}),
        "array": np.arange(6, dtype=np.int16).reshape(2, 3)[:, ::2],
        "scalar": np.float32(2.5),
    }
    back = _round_trip(value)
    assert back.keys() == value.keys()
    assert back[("a", 1)][:2] == [1, 2.5] and back[("a", 1)][2:4] == [float("inf"), -float("inf")]
    assert type(back["tuple"]) is tuple and back["tuple"] == (1, (2, 3))
    assert type(back["set"]) is set and type(back["frozen"]) is frozenset
    assert back["array"].dtype == np.int16 and np.array_equal(back["array"], [[0, 2], [3, 5]])
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 2.5
    assert np.isnan(_round_trip(float("nan")))


def test_objects_and_subclasses_arrive_unreadable_and_equal_nothing():
    class Sneaky(int):
        def __eq__(self, other):
            return True

    for value in (Sneaky(3), object(), np.array([object()]), lambda: 1):
        back = _round_trip(value)
        assert isinstance(back, wire.Unreadable) and back != back and back != 3
        assert "the grader cannot read" in repr(back)
    with pytest.raises(TypeError, match="not plain data"):
        wire.encode([object()], strict=True)


def test_tensors_become_arrays_only_on_the_kernels_side():
    class Tensor:
        def __array__(self, dtype=None, copy=None):
            return np.ones(2)

    assert np.array_equal(_round_trip(Tensor(), arrays_from_objects=True), [1.0, 1.0])
    assert isinstance(_round_trip(Tensor()), wire.Unreadable)


def test_the_decoder_never_unpickles():
    class Boom:
        def __reduce__(self):
            return (print, ("unpickled!",))

    buffer = io.BytesIO()
    np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    forged = {"$a": base64.b64encode(buffer.getvalue()).decode()}
    assert isinstance(wire.decode(forged), wire.Unreadable)
    raw = {"$a": base64.b64encode(pickle.dumps([1, 2])).decode()}
    assert isinstance(wire.decode(raw), wire.Unreadable)


@pytest.mark.parametrize(
    "data",
    [
        {"$d": [[[1, 2], 3]]},  # a list as a key
        {"$d": "no pairs"},
        {"$t": 5},
        {"$f": "1e308"},
        {"$a": "not base64!"},
        {"unknown": 1},
    ],
)
def test_malformed_answers_are_unreadable_not_errors(data):
    assert isinstance(wire.decode(data), wire.Unreadable)


def test_deep_or_huge_answers_are_refused():
    nested = []
    for _ in range(wire.MAX_DEPTH + 5):
        nested = [nested]
    with pytest.raises(ValueError, match="nested too deeply"):
        wire.encode(nested)


def test_a_vocabulary_and_a_generator_are_rebuilt_in_the_kernel():
    vocab = Vocab(["x", "y", "x"], reserved_tokens=["<pad>"])
    tag = json.loads(json.dumps(wire.rebuildable(vocab)))
    rebuilt = wire._rebuild(tag)
    assert rebuilt == vocab and rebuilt.idx_to_token == vocab.idx_to_token
    rng = np.random.default_rng(5)
    rng.random()  # the state, not the seed, crosses
    copy = wire._rebuild(json.loads(json.dumps(wire.rebuildable(rng))))
    assert copy.random() == rng.random()
    assert wire.rebuildable(object()) is None


class _FakeKernel:
    """A kernel namespace answering the grader's requests through wire.serve, in process."""

    def __init__(self, **names):
        self.names = dict(names)
        self.requests = []

    def run_code(self, code):
        request = code.split("serve(globals(), ", 1)[1].rsplit(")", 1)[0]
        self.requests.append(json.loads(eval(request)))
        published = []
        import IPython.display

        original = IPython.display.publish_display_data
        IPython.display.publish_display_data = lambda data: published.append(data)
        try:
            wire.serve(self.names, eval(request))
        finally:
            IPython.display.publish_display_data = original
        return [nbformat.v4.new_output("display_data", data=d) for d in published]


def _namespace(kernel):
    imports = {
        "np": "import numpy as np",
        "check": "from rnnkit.course import check",
        "hidden_check": "from rnnkit.course import hidden_check",
    }
    return remote.Namespace(kernel_link.Link(kernel.run_code), imports)


def test_check_cells_resolve_names_here_first_and_the_students_in_the_kernel():
    kernel = _FakeKernel(double=lambda x: 2 * x, answer=6, np="the student's np")
    namespace = _namespace(kernel)
    with exercises.recording() as records:
        exercises.exercise("double", points=1)(lambda t, fn: t.equal(t.call(fn, 3), 6))
        outputs, gone = remote.run_check_cell("check('double', double)", namespace)
        assert gone is None and "double: passed" in outputs[0]["text"]
        # np is the instructor's import (run here), not the kernel's name of the same spelling.
        remote.run_check_cell("assert np.__name__ == 'numpy' and answer == 6", namespace)
    assert [r["status"] for r in records] == ["passed"]
    assert [r["op"] for r in kernel.requests] == ["describe", "call", "describe"]


def test_a_student_function_that_raises_or_is_unsolved_is_reported_as_such():
    def unsolved(x):
        raise NotImplementedError

    kernel = _FakeKernel(bad=lambda x: 1 / 0, unsolved=unsolved)
    namespace = _namespace(kernel)
    with exercises.recording() as records:
        exercises.exercise("e", points=1)(lambda t, fn: t.equal(t.call(fn, 3), 6))
        remote.run_check_cell("check('e', bad)", namespace)
        remote.run_check_cell("check('e', unsolved)", namespace)
        # As in the kernel: the cell fails before check() runs, and grading says so.
        outputs, _ = remote.run_check_cell("check('e', missing_name)", namespace)
    assert [r["status"] for r in records] == ["error", "not attempted"]
    assert "ZeroDivisionError: division by zero" in records[0]["error"]
    assert outputs[-1]["ename"] == "NameError" and "missing_name" in outputs[-1]["evalue"]


def test_raises_and_arguments_work_across_the_channel():
    def appends(items):
        items.append(0)
        raise ValueError("window must be odd")

    kernel = _FakeKernel(appends=appends)
    tester = exercises.Tester()
    namespace = _namespace(kernel)
    fn = namespace["appends"]
    assert tester.raises(ValueError, fn, [1]) == "window must be odd"
    with pytest.raises(exercises.CheckFailed):
        tester.raises(KeyError, fn, [1])


def test_a_check_that_misuses_the_kernel_is_a_chapter_bug_not_a_students_zero():
    kernel = _FakeKernel(student_fn=lambda x: x, data=object())
    namespace = _namespace(kernel)
    for source in (
        "student_fn(3)",  # a direct call would run the student's code as the reference
        "np.asarray(data)",  # data that would let the student choose the expected value
        "with hidden_check('e') as t:\n    t.equal(3, data)",
    ):
        with exercises.recording():
            exercises.exercise("e", points=1)(lambda t, fn: None)
            outputs, _ = remote.run_check_cell(source, namespace)
        assert outputs[-1]["output_type"] == "error", source
        assert outputs[-1]["ename"] == "ChapterBug", (source, outputs)


@pytest.mark.parametrize(
    ("source", "metadata", "runs_in"),
    [
        ("check('x', x)", {}, remote.IN_GRADER),
        ("# NBVAL_CHECK_OUTPUT\ncheck('x', x)\ncheck('y', y)", {}, remote.IN_GRADER),
        ("with hidden_check('x') as t:\n    pass", {"hidden_check": "x"}, remote.IN_GRADER),
        ("@exercise('x', points=1)\ndef _c(t, x):\n    pass", {}, remote.IN_BOTH),
        ("check('x', x)\nprint(1)", {}, ""),
        ("x = 1", {"exercise": "x"}, ""),
        ("def broken(:", {}, ""),
    ],
)
def test_which_cells_run_in_the_grader(source, metadata, runs_in):
    cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    assert remote.where_it_runs(cell) == runs_in


def test_functions_of_a_check_cell_and_keras_cells_are_rebuilt_in_the_kernel():
    keras = pytest.importorskip("keras")
    from rnnkit.layers import GRUCell

    cell = GRUCell(3)
    inputs, state = np.ones((2, 4), "float32"), [np.zeros((2, 3), "float32")]
    expected = np.asarray(cell(inputs, state)[0])
    kernel = _FakeKernel(apply=lambda fn, x, s: np.asarray(fn(x, s)[0]))
    namespace = _namespace(kernel)
    namespace.update(cell=cell, inputs=inputs, state=state, expected=expected)
    source = (
        "def twice(x, s):\n"
        "    return 2 * x, s\n"
        "t = exercises.Tester()\n"
        "assert np.allclose(t.call(apply, cell, inputs, state), expected)\n"
        "assert np.allclose(t.call(apply, twice, inputs, state), 2 * inputs)\n"
    )
    namespace["exercises"] = exercises
    outputs, _ = remote.run_check_cell(source, namespace)
    assert outputs == [], outputs
    calls = [r for r in kernel.requests if r["op"] == "call"]
    assert calls[0]["args"][0]["$obj"] == "keras"  # the cell crossed as config and weights
    assert calls[1]["args"][0]["name"] == "twice"
    # A closure or a lambda cannot cross: that is the check's mistake.
    outputs, _ = remote.run_check_cell(
        "exercises.Tester().call(apply, lambda x, s: (x, s), inputs, state)", namespace
    )
    assert outputs[-1]["ename"] == "ChapterBug", outputs
    assert keras.layers.Layer  # keras was importable
