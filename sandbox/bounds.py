"""Every field a run returns, validated and cut: one checker, used twice.

The child calls ``check_verdict`` when it writes its verdict (``runtime.verdict``)
and the server calls it again on whatever arrived in the child's ``R`` frame
(``server._compose``): a program that escaped the language layer can write any
frame, so the server never trusts the child's checker to have run. The checker
rebuilds the verdict from the fields it knows, never passes a child's object
on, and bounds each field:

* ``status``: one of ``STATUSES``;
* ``error.type``: a name from ``ERROR_TYPES`` (the builtin exception names and
  the sandbox's own ``Refused``, ``TimeLimit``, ``OutputLimit``, the turtle's
  ``TurtleGraphicsError``). In the child
  ``exception_type_name`` gives a class the program defined the name of its
  nearest builtin base (a child's ``SandboxError(Exception)`` is ``Exception``);
  ``SandboxError`` and ``Crash`` are written by the server only, never
  accepted from a child;
* ``error.message``: an exact ``str`` (a subclass's ``__len__``/``__str__`` may
  lie; ``exact_text`` copies its characters through ``str`` itself), cut to
  ``MESSAGE_LIMIT`` characters; ``reason`` from ``policy.REASONS``, ``name``
  and ``limit`` short exact strings; ``values`` by ``line_values.check_values``;
* ``line``/``column``: ints in ``0..POSITION_LIMIT`` or None;
* ``value`` (a ``call``'s return value): JSON-able, at most ``VALUE_BYTES`` of
  JSON, at most ``VALUE_DEPTH`` deep;
* ``turtle``: at most ``MAX_TURTLE_SEGMENTS`` segments, each four coordinates,
  a colour from ``turtle_recorder``'s table and a width, so a drawing is at
  most ``MAX_TURTLE_SEGMENTS * SEGMENT_BYTES`` bytes;
* ``stdout_truncated``: a bool.

Strictly standard JSON: NaN and the infinities, wherever a float may appear
(turtle coordinates and widths, ``call`` values), are the strings ``"nan"``,
``"inf"`` and ``"-inf"`` (as in ``line_values``); ``dumps`` encodes with
``allow_nan=False``.

Frames: a child's result frame is at most ``RESULT_FRAME_BYTES``; stdout at
most ``min(Limits.output_bytes, MAX_OUTPUT_BYTES)`` bytes; one test's result
at most ``RESULT_BYTES``; an answer frame from the server to the client (the
results of all a request's tests) at most ``ANSWER_FRAME_BYTES``, written by
``answer_bytes`` and checked again by the client.
"""

from __future__ import annotations

import builtins as _builtins
import json
import math

from . import line_values
from .policy import REASONS
from .turtle_recorder import TurtleGraphicsError, is_color

STATUSES = frozenset(("ok", "error", "refused", "timeout", "memory", "output_limit"))
MESSAGE_LIMIT = 2000
NAME_LIMIT = 100
POSITION_LIMIT = 10_000_000
VALUE_BYTES = 256 * 1024
VALUE_DEPTH = 50
MAX_TURTLE_SEGMENTS = 50_000  # a ceiling on Limits.max_turtle_segments
SEGMENT_BYTES = 256  # the JSON of one checked segment is shorter than this
MAX_OUTPUT_BYTES = 4 * 1024 * 1024  # a ceiling on Limits.output_bytes
RESULT_FRAME_BYTES = MAX_TURTLE_SEGMENTS * SEGMENT_BYTES + VALUE_BYTES + 64 * 1024
# JSON may write a byte of stdout as up to 6 ("\u001b"): one test's result.
RESULT_BYTES = RESULT_FRAME_BYTES + 6 * MAX_OUTPUT_BYTES + 64 * 1024
# One answer of the server (all the tests of a request): results beyond it
# are replaced by an output_limit result (``answer_bytes``).
ANSWER_FRAME_BYTES = 64 * 1024 * 1024
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
CONSTANT_TEXT = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}  # for json.loads

BUILTIN_EXCEPTIONS = {
    name: obj
    for name, obj in vars(_builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException)
}
# The sandbox's own exception classes a program may meet (matched by identity).
KNOWN_EXCEPTIONS = dict(BUILTIN_EXCEPTIONS, TurtleGraphicsError=TurtleGraphicsError)
CHILD_TYPES = frozenset(("Refused", "TimeLimit", "OutputLimit"))
SERVER_TYPES = frozenset(("SandboxError", "Crash"))
ERROR_TYPES = frozenset(KNOWN_EXCEPTIONS) | CHILD_TYPES
LIMIT_NAMES = frozenset(("cpu", "wall", "memory", "output"))

_MRO = vars(type)["__mro__"]  # read through type itself: a class cannot shadow it


def exception_type_name(exc) -> str:
    """The name of the nearest builtin class of ``exc`` (never a name the
    program chose)."""
    try:
        for cls in _MRO.__get__(type(exc)):
            name = vars(type)["__name__"].__get__(cls)
            if type(name) is str and KNOWN_EXCEPTIONS.get(name) is cls:
                return name
    except BaseException:  # noqa: BLE001, S110 - a hostile class: fall through
        pass
    return "Exception"


def exact_text(text, limit: int = MESSAGE_LIMIT) -> str | None:
    """``text`` as an exact ``str`` of at most ``limit`` characters (plus "…"),
    read through ``str``'s own methods: a subclass's ``__len__``, ``__str__``
    or ``__getitem__`` never runs. None when it is not a str at all."""
    if not isinstance(text, str):
        return None
    if type(text) is not str:
        text = str.__str__(text)  # an exact copy of the characters
    if len(text) > limit:
        text = text[:limit] + "…"
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates


def _position(v):
    return v if type(v) is int and 0 <= v <= POSITION_LIMIT else None


def _short(v, limit=NAME_LIMIT):
    return exact_text(v, limit) if type(v) is str else None


def check_error(error) -> dict | None:
    """A verdict's ``error``, rebuilt from the fields of the contract."""
    if type(error) is not dict:
        return None
    kind = error.get("type")
    out = {
        "type": kind if type(kind) is str and kind in ERROR_TYPES else "Exception",
        "message": exact_text(error.get("message")) or "",
        "line": _position(error.get("line")),
        "column": _position(error.get("column")),
    }
    if out["type"] == "Refused":
        reason = error.get("reason")
        out["reason"] = (
            reason if type(reason) is str and reason in REASONS else "syntax_not_allowed"
        )
        out["name"] = _short(error.get("name"))
    limit = error.get("limit")
    if type(limit) is str and limit in LIMIT_NAMES:
        out["limit"] = limit
    if "values" in error:
        out["values"] = line_values.check_values(error["values"])
    return out


def finite(value, depth: int = 0):
    """A JSON value with NaN and infinities as "nan"/"inf"/"-inf"; raises
    ValueError for anything that is not plain JSON (or too deep)."""
    if depth > VALUE_DEPTH:
        raise ValueError("the value is nested too deeply")
    t = type(value)
    if value is None or t is bool or t is int:
        return value
    if t is float:
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if t is str:
        return value
    if t is list or t is tuple:
        return [finite(v, depth + 1) for v in value]
    if t is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                raise ValueError("a dictionary key is not a text")
            out[k] = finite(v, depth + 1)
        return out
    raise ValueError(f"a {t.__name__} is not a plain value")


def check_value(value):
    """``(value, None)`` when ``value`` crosses as standard JSON within
    ``VALUE_BYTES``, else ``(None, why)``."""
    try:
        value = finite(value)
        size = len(dumps(value).encode("utf-8", "surrogatepass"))
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        return None, str(exc)
    if size > VALUE_BYTES:
        return None, f"it is more than {VALUE_BYTES} bytes"
    return value, None


def _coord(v):
    if type(v) is int and -(10**15) < v < 10**15:
        return float(v)
    if type(v) is float:
        return round(v, 2) if math.isfinite(v) else finite(v)
    if type(v) is str and v in NON_FINITE:
        return v
    return None


def check_turtle(segments, max_segments: int = MAX_TURTLE_SEGMENTS):
    """A drawing: at most ``max_segments`` (and ``MAX_TURTLE_SEGMENTS``) checked
    segments; a malformed segment is dropped, an unknown colour is "black"."""
    if type(segments) is not list:
        return None
    cap = min(int(max_segments), MAX_TURTLE_SEGMENTS)
    out = []
    for seg in segments[:cap]:
        if type(seg) is not dict:
            continue
        coords = [_coord(seg.get(k)) for k in ("x1", "y1", "x2", "y2")]
        width = _coord(seg.get("width"))
        if any(c is None for c in coords) or width is None:
            continue
        if type(width) is float and width.is_integer() and abs(width) < 10**6:
            width = int(width)
        color = seg.get("color")
        color = color if type(color) is str and is_color(color) else "black"
        x1, y1, x2, y2 = coords
        out.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2, "color": color, "width": width})
    return out


def check_verdict(verdict, max_segments: int = MAX_TURTLE_SEGMENTS) -> dict:
    """A result frame's verdict, rebuilt; a frame that is not one is an error."""
    if type(verdict) is not dict or verdict.get("status") not in STATUSES:
        return {
            "status": "error",
            "error": {
                "type": "Exception",
                "message": "the program gave a result the sandbox cannot read",
                "line": None,
                "column": None,
            },
            "value": None,
            "turtle": None,
            "stdout_truncated": False,
        }
    value, why = check_value(verdict.get("value"))
    status, error = verdict["status"], check_error(verdict.get("error"))
    if why is not None:
        status = "error"
        error = {
            "type": "TypeError",
            "message": exact_text(f"the function returned a value that cannot be compared: {why}"),
            "line": None,
            "column": None,
        }
    return {
        "status": status,
        "error": error,
        "value": value,
        "turtle": check_turtle(verdict.get("turtle"), max_segments),
        "stdout_truncated": verdict.get("stdout_truncated") is True,
    }


def dumps(obj) -> str:
    """Strictly standard JSON (raises ValueError on NaN or infinities)."""
    return json.dumps(obj, allow_nan=False)


def _no_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def loads(data):
    """Parse strictly standard JSON: NaN, Infinity and -Infinity are refused."""
    return json.loads(data, parse_constant=_no_constant)


def _standard(obj, depth=0):
    """``obj`` with every non-finite float as its documented string."""
    if type(obj) is float and not math.isfinite(obj):
        return finite(obj)
    if depth > 2 * VALUE_DEPTH:
        return None
    if isinstance(obj, dict):
        return {k: _standard(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_standard(v, depth + 1) for v in obj]
    return obj


TOO_LARGE = {
    "status": "output_limit",
    "stdout": "",
    "stdout_truncated": True,
    "error": {
        "type": "OutputLimit",
        "message": "the program's results are too large to send",
        "line": None,
        "column": None,
    },
    "value": None,
    "turtle": None,
}


def answer_bytes(message: dict) -> bytes:
    """The server's answer as strictly standard JSON of at most
    ``ANSWER_FRAME_BYTES``: the largest results give way first."""
    try:
        data = dumps(message).encode()
    except ValueError:
        message = _standard(message)
        data = dumps(message).encode()
    results = message.get("results") if isinstance(message, dict) else None
    if len(data) <= ANSWER_FRAME_BYTES or not isinstance(results, list):
        return data
    sizes = sorted(((len(dumps(r)), i) for i, r in enumerate(results)), reverse=True)
    total = len(data)
    results = list(results)
    for size, i in sizes:
        if total <= ANSWER_FRAME_BYTES:
            break
        small = dict(TOO_LARGE, cpu_ms=results[i].get("cpu_ms", 0.0))
        results[i] = small
        total -= size - len(dumps(small))
    return dumps(dict(message, results=results)).encode()
