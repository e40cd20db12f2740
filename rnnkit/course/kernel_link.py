"""The grader's link to a student's kernel: requests, the student's names, what they raised.

:class:`Link` sends one request to rnnkit.course.wire.serve in the kernel and reads its answer.
:class:`Remote` stands for a function or object of the student's: only ``t.call`` may call it
(the call runs in the kernel; its result comes back as plain data), and using it any other way
in a check raises :class:`ChapterBug`. This module never imports TensorFlow.
"""

import inspect
import json
import secrets
import textwrap
import types

from rnnkit.course import wire


class ChapterBug(Exception):
    """A check uses the student's kernel in a way that would let the student decide its result."""


class AnswerLost(Exception):
    """The kernel gave no readable answer (the submission broke the channel or flooded it)."""


class KernelGone(BaseException):  # noqa: N818 - not an error of the check: it must go through
    """The kernel timed out or died during a call; not an Exception, so no check catches it."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


class RemoteRaised(Exception):
    """The student's function raised, in the kernel; this is its type's name and message."""

    def __init__(self, answer: dict):
        self.type_name = str(answer.get("raised", "Exception"))
        self.bases = [str(name) for name in answer.get("bases", [])] or [self.type_name]
        self.message = str(answer.get("message", ""))
        super().__init__(self.message)

    def described(self) -> str:
        """``Type: message``, as a student would read it."""
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


class RemoteNotImplemented(RemoteRaised, NotImplementedError):
    """The student's function still raises NotImplementedError (the starter code)."""


class Link:
    """Requests to the kernel; ``run_code(code)`` runs code there and returns its outputs."""

    def __init__(self, run_code=None):
        self.run_code = run_code

    def ask(self, op: str, **fields) -> dict:
        """Send one request to rnnkit.course.wire.serve in the kernel; return its answer."""
        ident = secrets.token_hex(8)
        request = json.dumps({"id": ident, "op": op, **fields}, allow_nan=False)
        code = f"__import__('rnnkit.course.wire', fromlist=['serve']).serve(globals(), {request!r})"
        outputs = self.run_code(code)
        for output in outputs:
            payload = output.get("data", {}).get(wire.MIME)
            if isinstance(payload, dict) and payload.get("id") == ident:
                # nbclient hands over NotebookNodes; the decoder reads plain dicts and lists only.
                return json.loads(json.dumps(payload))
        errors = [o for o in outputs if o.get("output_type") == "error"]
        why = f": {errors[0].get('ename')}: {errors[0].get('evalue', '')}" if errors else ""
        raise AnswerLost(f"the kernel gave no answer{why}"[:300])

    def describe(self, expression: str):
        """What ``expression`` holds in the kernel: a Remote, or a copy of its plain data."""
        answer = self.ask("describe", name=expression)
        if "missing" in answer:
            raise NameError(answer["missing"])
        if "raised" in answer:
            raise RemoteRaised(answer)
        if answer.get("kind") == "callable":
            return Remote(self, expression, callable_=True)
        if answer.get("kind") == "ref":
            return Remote(self, expression, callable_=False)
        return wire.decode(answer.get("value"))


# How the file names of the check cells' code begin (so that inspect can read a function back).
CELL_PREFIX = "<rnnkit check cell "


def _refs(value):
    """How an argument that is not plain data crosses to the kernel (None: as plain data).

    A function a check cell defined with ``def`` (not a closure) crosses as its source; an object
    with a ``_wire_source_()`` method as the expression it returns.
    """
    if isinstance(value, Remote):
        return {"$ref": value._expression}
    if isinstance(value, types.FunctionType):
        code = value.__code__
        if code.co_filename.startswith(CELL_PREFIX) and not code.co_freevars:
            if value.__name__ != "<lambda>":
                return {"$def": textwrap.dedent(inspect.getsource(value)), "name": value.__name__}
        return None  # refused as not plain data: a lambda, a closure, a library function
    source = getattr(type(value), "_wire_source_", None)
    if source is not None:
        return {"$src": str(source(value))}
    return wire.rebuildable(value)


class Remote:
    """A function or object of the student's kernel, named by its expression there."""

    def __init__(self, link: Link, expression: str, callable_: bool):
        self._link, self._expression, self._callable = link, expression, callable_
        self.__name__ = expression

    def __repr__(self):
        return self._expression

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Remote(self._link, f"({self._expression}).{name}", callable_=False)

    def __getitem__(self, key):
        if type(key) not in (int, str):
            raise ChapterBug(f"{self._expression}[...] takes an int or str key in a check")
        return Remote(self._link, f"({self._expression})[{key!r}]", callable_=False)

    def invoke(self, args: tuple, kwargs: dict):
        """Call the student's function in the kernel; return (result, the arguments after it)."""
        if not self._callable:
            raise TypeError(f"{self._expression} is not a function")
        try:
            sent_args = wire.encode(list(args), refs=_refs, strict=True)
            sent_kwargs = wire.encode(dict(kwargs), refs=_refs, strict=True)
        except TypeError as exc:
            raise ChapterBug(f"a check passed {exc} to {self._expression}") from None
        answer = self._link.ask("call", fn=self._expression, args=sent_args, kwargs=sent_kwargs)
        if "raised" in answer:
            cls = RemoteNotImplemented if answer.get("not_implemented") else RemoteRaised
            raise cls(answer)
        if "result" not in answer:
            raise AnswerLost("the kernel's answer holds no result")
        after = wire.decode(answer.get("args_after"))
        return wire.decode(answer["result"]), tuple(after) if isinstance(after, list) else args

    def fetch(self):
        """The plain data this name holds now (an Unreadable when it holds none)."""
        value = self._link.describe(self._expression)
        if isinstance(value, Remote):
            kind = "function" if value._callable else "object"
            return wire.Unreadable(kind, f"{self._expression} is not plain data")
        return value

    def _misused(self, *args, **kwargs):
        raise ChapterBug(
            f"a check used {self._expression}, which lives in the student's kernel, directly; "
            "call it with t.call, or compute expected values in the check itself"
        )

    __call__ = __array__ = __bool__ = __len__ = __iter__ = __eq__ = __lt__ = __gt__ = _misused
    __le__ = __ge__ = __add__ = __radd__ = __sub__ = __mul__ = __float__ = __int__ = _misused
    __hash__ = None
