"""What passes between the grader and a student's kernel: plain data, never an object.

The grader asks the kernel to call a student's function on some arguments, or to tell what one
of its names holds; the kernel answers with plain data only. Both directions use one encoding:
JSON for None, booleans, integers, strings and lists; tagged JSON objects for floats that JSON
cannot hold (inf, nan), tuples, sets, dicts (with any such keys) and NumPy arrays and scalars
(as ``np.save`` bytes, read back with ``allow_pickle=False``). Nothing is unpickled and nothing
of the student's is ever instantiated in the grader: a value of any other type arrives as an
:class:`Unreadable` that names its type and equals nothing.

:func:`serve` is the kernel's half. It runs in the student's process, so a student can replace
it, but all it could then do is claim that their function returned some value, which the
function could have done itself: the verdict is reached in the grader, from expected values
that never enter the kernel. This module never imports TensorFlow.
"""

import base64
import io
import json
import math

MIME = "application/vnd.rnnkit.answer+json"
# The deepest nesting and the most items one answer may hold: beyond them it is unreadable.
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000


class Unreadable:
    """A value the grader cannot read: only the name of its type came across."""

    def __init__(self, type_name: str, why: str = ""):
        self.type_name, self.why = str(type_name)[:100], str(why)[:200]

    def __eq__(self, other):
        return False

    __hash__ = None

    def __repr__(self):
        why = f" ({self.why})" if self.why else ""
        return f"<a {self.type_name} the grader cannot read{why}>"


class _TooBig(ValueError):
    pass


def encode(value, *, arrays_from_objects=False, refs=None, strict=False) -> object:
    """``value`` as JSON-ready plain data.

    ``arrays_from_objects`` (the kernel's side) turns anything with ``__array__``, a TensorFlow
    tensor say, into a NumPy array first. ``refs(value)`` (the grader's side) may return a
    tagged reference for a value that stands for something in the kernel, or None. ``strict``
    raises TypeError for a value that is not plain data instead of marking it unreadable.
    """
    budget = [MAX_ITEMS]
    return _encode(value, 0, budget, arrays_from_objects, refs, strict)


def _encode(value, depth, budget, arrays_from_objects, refs, strict):
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig("it is nested too deeply or holds too many items")
    if refs is not None:
        ref = refs(value)
        if ref is not None:
            return ref
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    again = lambda item: _encode(item, depth + 1, budget, arrays_from_objects, refs, strict)  # noqa: E731
    if type(value) is list:
        return [again(item) for item in value]
    if type(value) is tuple:
        return {"$t": [again(item) for item in value]}
    if type(value) in (set, frozenset):
        return {"$s": [again(item) for item in value], "frozen": type(value) is frozenset}
    if type(value) is dict:
        return {"$d": [[again(k), again(v)] for k, v in value.items()]}
    import numpy as np

    if arrays_from_objects and not isinstance(value, np.ndarray | np.generic):
        if hasattr(value, "__array__") or hasattr(value, "numpy"):
            try:
                value = np.asarray(value)
            except Exception as exc:
                return {"$x": type(value).__name__, "why": f"np.asarray raised {exc!r}"[:200]}
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        budget[0] -= array.size
        if budget[0] < 0:
            raise _TooBig("it holds too many items")
        buffer = io.BytesIO()
        try:
            np.save(buffer, array, allow_pickle=False)
        except ValueError:  # an array of Python objects
            return {"$x": f"NumPy array of dtype {array.dtype}"}
        tag = "$a" if isinstance(value, np.ndarray) else "$n"
        return {tag: base64.b64encode(buffer.getvalue()).decode("ascii")}
    # Subclasses of the plain types (which may override anything) are not plain data.
    if strict:
        raise TypeError(f"a {type(value).__name__}, which is not plain data,")
    return {"$x": type(value).__name__}


def rebuildable(value) -> dict | None:
    """A grader-side object the kernel can rebuild from plain data (None if there is none).

    A vocabulary (its counts, ``min_freq`` and reserved tokens), a NumPy generator (its bit
    generator's state) and a Keras layer or cell (its config and weights) are what the
    workbook's checks hand to students' functions.
    """
    import sys

    import numpy as np

    from rnnkit.data.vocab import Vocab

    keras = sys.modules.get("keras")  # a check that made a layer has imported Keras already
    if keras is not None and isinstance(value, keras.layers.Layer):
        config = keras.saving.serialize_keras_object(value)
        return {
            "$obj": "keras",
            "config": json.loads(json.dumps(config)),
            "weights": encode(value.get_weights(), strict=True),
        }

    if type(value) is Vocab:
        return {
            "$obj": "vocab",
            "freqs": encode(value.token_freqs, strict=True),
            "min_freq": value.min_freq,
            "reserved": list(value.reserved_tokens),
        }
    if type(value) is np.random.Generator:
        state = value.bit_generator.state
        return {"$obj": "rng", "state": encode(state, strict=True)}
    return None


def _rebuild(tag: dict):
    """The kernel's copy of an object :func:`rebuildable` described."""
    import numpy as np

    if tag["$obj"] == "vocab":
        from rnnkit.data.vocab import Vocab

        vocab = Vocab.__new__(Vocab)
        vocab._build(dict(decode(tag["freqs"])), tag["min_freq"], tag["reserved"])
        return vocab
    if tag["$obj"] == "keras":
        import keras

        layer = keras.saving.deserialize_keras_object(tag["config"])  # built from its config
        layer.set_weights(decode(tag["weights"]))
        return layer
    if tag["$obj"] == "rng":
        state = decode(tag["state"])
        bit_generator = getattr(np.random, state["bit_generator"])()
        bit_generator.state = state
        return np.random.Generator(bit_generator)
    return Unreadable(str(tag["$obj"]))


def decode(data, resolve=None) -> object:
    """The value that :func:`encode` encoded; ``resolve(tag, data)`` handles references."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        return [decode(item, resolve) for item in data]
    if type(data) is not dict:
        return Unreadable(type(data).__name__)
    if "$f" in data:
        text = data["$f"]
        return float(text) if text in ("inf", "-inf", "nan") else Unreadable("float")
    try:
        if "$t" in data:
            return tuple(decode(item, resolve) for item in _items(data["$t"]))
        if "$s" in data:
            items = [decode(item, resolve) for item in _items(data["$s"])]
            return frozenset(items) if data.get("frozen") else set(items)
    except TypeError:  # not a list, or an item that cannot be in a set
        return Unreadable("tuple" if "$t" in data else "set")
    if "$d" in data:
        try:
            return {decode(k, resolve): decode(v, resolve) for k, v in _items(data["$d"])}
        except (TypeError, ValueError):  # a key that is not hashable, or a malformed pair
            return Unreadable("dict")
    if "$a" in data or "$n" in data:
        import numpy as np

        try:
            raw = base64.b64decode(data.get("$a") or data.get("$n"), validate=True)
            array = np.load(io.BytesIO(raw), allow_pickle=False)
        except Exception:
            return Unreadable("NumPy array")
        return array if "$a" in data else array[()]
    if "$x" in data:
        return Unreadable(data["$x"], data.get("why", ""))
    if resolve is not None:
        return resolve(data)
    return Unreadable("object")


def _items(value) -> list:
    if type(value) is not list:
        raise TypeError("not a list")
    return value


def to_json(value, **options) -> str:
    """JSON text of :func:`encode`'s result (nan and inf are already tagged)."""
    return json.dumps(encode(value, **options), allow_nan=False, separators=(",", ":"))


def serve(namespace: dict, request: str) -> None:
    """The kernel's half: do what ``request`` asks in ``namespace`` and publish the answer.

    A request is ``{"id", "op": "describe", "name"}`` (what a name of the student's holds: a
    function, plain data, or something that can only be referred to) or ``{"id", "op": "call",
    "fn", "args", "kwargs"}`` (call a student's function; arguments are plain data, references
    to names of the kernel, or source text the grader's check wrote). The answer is published
    as display data of type :data:`MIME`.
    """
    from IPython.display import publish_display_data

    asked = json.loads(request)
    try:
        answer = _answer(namespace, asked)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
        answer = _raised(exc)
    publish_display_data({MIME: {"id": asked.get("id"), **answer}})


def _raised(exc: BaseException) -> dict:
    message = str(exc).strip().splitlines()
    return {
        "raised": type(exc).__name__,
        "message": message[0][:300] if message else "",
        "bases": [cls.__name__ for cls in type(exc).__mro__][:20],
        "not_implemented": isinstance(exc, NotImplementedError)
        or isinstance(exc.__cause__, NotImplementedError),
    }


def _answer(namespace: dict, asked: dict) -> dict:
    if asked["op"] == "describe":
        try:
            value = eval(asked["name"], namespace)  # noqa: S307 - an expression of the grader's
        except NameError as exc:
            return {"missing": str(exc)[:300]}
        if callable(value):
            return {"kind": "callable"}
        try:
            sent = encode(value, arrays_from_objects=True)
        except _TooBig:
            return {"kind": "ref"}
        # Something that is not plain data (a vocabulary, a corpus) can still be passed on.
        return {"kind": "ref"} if isinstance(sent, dict) and "$x" in sent else {"value": sent}

    def resolve(tag):
        if "$ref" in tag:
            return eval(tag["$ref"], namespace)  # noqa: S307 - a name the grader's check used
        if "$src" in tag:
            return eval(tag["$src"], namespace)  # noqa: S307 - source text of the grader's check
        if "$obj" in tag:
            return _rebuild(tag)
        if "$def" in tag:  # a function a check cell defined, by its source
            scope = dict(namespace)
            exec(tag["$def"], scope)  # noqa: S102 - source text of the grader's check
            return scope[tag["name"]]
        return Unreadable("object")

    fn = eval(asked["fn"], namespace)  # noqa: S307 - the name of the student's function
    args = decode(asked["args"], resolve)
    kwargs = decode(asked["kwargs"], resolve)
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the student's code raised: report it
        return _raised(exc)
    try:
        sent = encode(result, arrays_from_objects=True)
    except _TooBig as exc:
        sent = {"$x": type(result).__name__, "why": str(exc)}
    try:
        after = encode(list(args), arrays_from_objects=True)
    except _TooBig:
        after = None
    return {"result": sent, "args_after": after}
