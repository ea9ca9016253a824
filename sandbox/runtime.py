"""What a child's program runs with: guards, builtins, streaming print/input,
vetted wrapper modules, and the runner that turns what happened into a verdict.

Nothing here knows about processes: ``RunState`` is told how to write output
and how to stop, so the same code runs inside a forked child (where stopping
writes the verdict and exits at once, uncatchably) and in-process in tests.

Why guards look the way they do:

* attribute reads go through ``_getattr_``: names starting with ``_`` and the
  frame/generator/traceback/code introspection names are refused, real module
  objects, frames, code objects and tracebacks are refused whatever the name,
  and ``format``/``format_map`` of ``str`` come back as versions whose fields
  cannot walk attributes or items (CVE-2023-41039, CVE-2026-76825; also
  through ``super()`` and ``str.format`` unbound);
* ``AttributeError.obj`` is refused (CVE-2024-47532);
* modules are our own wrapper objects, never the real modules: the real
  ``random`` hands out ``_os``, the real ``turtle`` hands out ``sys``;
* iteration helpers the interpreter runs in C (sorted, zip, tuple, ...) call
  ``_getiter_`` on their arguments first, like a ``for`` loop does.
"""

from __future__ import annotations

import _string
import builtins as _builtins
import json
import math as _math
import operator
import os
import random as _random
import string as _string_mod
import sys
import types

from . import bounds
from .line_values import values_at_failure
from .policy import FILENAME, READABLE_DUNDER_ATTRIBUTES, REASONS, Refusal
from .turtle_recorder import Turtle, TurtleLimit, module_namespace, new_recording

try:  # RestrictedPython's list of introspection attributes, refused by name
    from RestrictedPython.transformer import INSPECT_ATTRIBUTES
except ImportError:  # pragma: no cover
    INSPECT_ATTRIBUTES = frozenset()

MESSAGE_LIMIT = bounds.MESSAGE_LIMIT
EXIT_REFUSAL_FAILED = 72  # the stop hook itself failed: the process ends anyway


class Stop(BaseException):
    """Ends a program from a guard or a limit (in-process use only)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class RunState:
    """Everything one run owns: output, input, limits, its verdict so far."""

    def __init__(
        self, stdin="", output_limit=65536, write=None, stop=None, max_segments=50_000, seed=0
    ):
        text = stdin.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.splitlines(keepends=True)
        self.line_index = 0
        self.output_limit = output_limit
        self.output_count = 0
        self.truncated = False
        self.chunks: list[bytes] | None = None
        if write is None:
            self.chunks = []
            write = self.chunks.append
        self.emit = write
        self._stop = stop
        self.refusal: Refusal | None = None
        self.status_override: str | None = None
        self.max_segments = min(max_segments, bounds.MAX_TURTLE_SEGMENTS)  # a drawing's bytes
        self.recording = None  # made when the program imports turtle
        self.modules: dict[str, SafeModule] = {}
        self.seed = seed

    # -- output -----------------------------------------------------------
    def write(self, text: str) -> None:
        if self.status_override == "output_limit":
            self.stop("output_limit")
        data = text.encode("utf-8")
        room = self.output_limit - self.output_count
        if len(data) > room:
            part = data[:room].decode("utf-8", "ignore").encode("utf-8")
            if part:
                self.emit(part)
            self.output_count += len(part)
            self.truncated = True
            self.stop("output_limit")
        if data:
            self.emit(data)
            self.output_count += len(data)

    def stdout(self) -> str:
        return b"".join(self.chunks or ()).decode("utf-8", "replace")

    def read_line(self) -> str | None:
        if self.line_index >= len(self.lines):
            return None
        line = self.lines[self.line_index]
        self.line_index += 1
        return line

    # -- stopping ---------------------------------------------------------
    def stop(self, status: str):
        self.status_override = self.status_override or status
        if self._stop is not None:
            # The hook writes the verdict and ends the process; it must never
            # return into the program, whatever fails inside it (the recursion
            # limit reached just now, memory): one retry with some stack to
            # spare, then the process ends without a verdict.
            try:
                self._stop(self)
            except BaseException:  # noqa: BLE001
                try:
                    sys.setrecursionlimit(sys.getrecursionlimit() + 200)
                    self._stop(self)
                except BaseException:  # noqa: BLE001, S110
                    pass
            os._exit(EXIT_REFUSAL_FAILED)
        raise Stop(status)

    def refuse(self, reason: str, message: str, name: str | None = None):
        # Whatever fails while the refusal is described (a recursion limit hit
        # at this depth, memory), the program still ends refused: it never
        # catches an exception from here and goes on.
        try:
            if self.refusal is None:
                line, column = _current_program_position()
                self.refusal = Refusal(reason, message, line, column, name)
        except BaseException:  # noqa: BLE001
            if self.refusal is None:
                self.refusal = Refusal(reason, REASONS.get(reason, "this cannot be used here"))
        self.stop("refused")


def _current_program_position():
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == FILENAME:
            return frame.f_lineno, None
        frame = frame.f_back
    return None, None


# ---------------------------------------------------------------------------
# Wrapper modules


class SafeModule:
    """A vetted stand-in for a module: only the listed names are reachable."""

    __slots__ = ("_name", "_attrs", "_known")

    def __init__(self, name, attrs, known=()):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_attrs", dict(attrs))
        object.__setattr__(self, "_known", frozenset(known))

    def __getattr__(self, attr):
        attrs = object.__getattribute__(self, "_attrs")
        if attr in attrs:
            return attrs[attr]
        name = object.__getattribute__(self, "_name")
        if attr in object.__getattribute__(self, "_known"):
            _STATE.refuse(
                "attribute_not_allowed", f'"{name}.{attr}" cannot be used here', f"{name}.{attr}"
            )
        raise AttributeError(f"module '{name}' has no attribute '{attr}'")

    def __setattr__(self, attr, value):
        raise AttributeError(f"module '{object.__getattribute__(self, '_name')}' is read-only here")

    __delattr__ = __setattr__

    def __repr__(self):
        return f"<module '{object.__getattribute__(self, '_name')}'>"

    def public_names(self):
        return tuple(n for n in object.__getattribute__(self, "_attrs") if not n.startswith("_"))


_MATH_NAMES = tuple(n for n in dir(_math) if not n.startswith("_"))
_STRING_NAMES = (
    "ascii_letters ascii_lowercase ascii_uppercase digits hexdigits octdigits "
    "punctuation printable whitespace capwords"
).split()
_RANDOM_NAMES = (
    "random randint randrange choice choices shuffle sample uniform gauss seed "
    "triangular normalvariate expovariate betavariate getrandbits"
).split()
_TURTLE_NAMESPACE_NAMES = tuple(module_namespace())


def module_names() -> dict[str, tuple[str, ...]]:
    """Public names of each allowed module (used to expand ``import *``)."""
    return {
        "math": _MATH_NAMES,
        "string": tuple(_STRING_NAMES),
        "random": tuple(_RANDOM_NAMES),
        "turtle": _TURTLE_NAMESPACE_NAMES,
    }


_MATH_ATTRS = {n: getattr(_math, n) for n in _MATH_NAMES}
_STRING_ATTRS = {n: getattr(_string_mod, n) for n in _STRING_NAMES}
_STRING_KNOWN = frozenset(dir(_string_mod))
_RANDOM_KNOWN = frozenset(dir(_random))
_TURTLE_KNOWN = frozenset(
    ("Pen", "RawTurtle", "TurtleScreen", "RawPen", "Vec2D", "getcanvas", "getscreen")
)


def _make_module(state: RunState, name: str) -> SafeModule:
    """Made on first import, per run (a fresh seeded Random, a fresh drawing)."""
    if name == "math":
        return SafeModule("math", _MATH_ATTRS)
    if name == "string":
        return SafeModule("string", _STRING_ATTRS, _STRING_KNOWN)
    if name == "random":
        rng = _random.Random(state.seed)
        return SafeModule("random", {n: getattr(rng, n) for n in _RANDOM_NAMES}, _RANDOM_KNOWN)
    state.recording = new_recording(state.max_segments)
    return SafeModule("turtle", module_namespace(), _TURTLE_KNOWN)


# ---------------------------------------------------------------------------
# Guards

_STATE: RunState  # the run in progress (one per child process)

BLOCKED_TYPES = frozenset({types.ModuleType, types.FrameType, types.CodeType, types.TracebackType})
_FORMAT_NAMES = frozenset({"format", "format_map"})


def _check_format_string(fmt, depth=0):
    """Refuse format fields that walk attributes or items: ``{0.x}``,
    ``{0[0]}``, ``{p[x]}``. Only a plain name or index is allowed (``{}``,
    ``{0}``, ``{nume}``); a child indexes in the program itself (``p[0]``)."""
    if depth > 4:
        return
    try:
        parsed = list(_string.formatter_parser(fmt))
    except (ValueError, TypeError):
        return  # malformed: the real str.format reports it the CPython way
    for _literal, field, spec, _conv in parsed:
        if field is not None:
            try:
                _first, rest = _string.formatter_field_name_split(field)
                walks = next(iter(rest), None) is not None
            except (ValueError, TypeError):
                walks = False
            if walks:
                _STATE.refuse(
                    "format_field_not_allowed",
                    f"the format field {{{field}}} looks up an attribute or an item",
                    field,
                )
        if spec:
            _check_format_string(spec, depth + 1)


def _safe_format_for(s):
    def format(*args, **kwargs):
        _check_format_string(s)
        return str.format(s, *args, **kwargs)

    def format_map(mapping):
        _check_format_string(s)
        return str.format_map(s, mapping)

    return format, format_map


def _str_format(self, *args, **kwargs):
    if isinstance(self, str):
        _check_format_string(self)
    return str.format(self, *args, **kwargs)


def _str_format_map(self, mapping):
    if isinstance(self, str):
        _check_format_string(self)
    return str.format_map(self, mapping)


def _safe_format_attribute(name, value):
    """Replace any route to the real str.format/format_map by a checked one."""
    if value is str.format:
        return _str_format
    if value is str.format_map:
        return _str_format_map
    owner = getattr(value, "__self__", None)
    if isinstance(owner, str) and isinstance(value, types.BuiltinMethodType):
        fmt, fmt_map = _safe_format_for(owner)
        return fmt if name == "format" else fmt_map
    return value


def _getattr_(obj, name, *default):
    if type(name) is not str:
        raise TypeError("attribute name must be string")
    if (name[:1] == "_" and name not in READABLE_DUNDER_ATTRIBUTES) or name in INSPECT_ATTRIBUTES:
        _STATE.refuse("attribute_not_allowed", f'"{name}" cannot be used here', name)
    if type(obj) in BLOCKED_TYPES:
        _STATE.refuse(
            "attribute_not_allowed",
            f"attributes of {type(obj).__name__} objects cannot be used here",
            name,
        )
    if name in _FORMAT_NAMES:
        return _safe_format_attribute(name, getattr(obj, name, *default))
    if name == "obj" and isinstance(obj, AttributeError):  # CVE-2024-47532
        _STATE.refuse("attribute_not_allowed", '"AttributeError.obj" cannot be used here', name)
    return getattr(obj, name, *default)


def _write_(obj):
    if type(obj) in BLOCKED_TYPES or isinstance(obj, SafeModule):
        _STATE.refuse(
            "attribute_not_allowed", f"{type(obj).__name__} objects cannot be changed here"
        )
    if isinstance(obj, (type, types.FunctionType)) and obj.__module__ != "__main__":
        # A class or function of the sandbox (turtle.Turtle, string.capwords,
        # print): one object for every test of a submission, so a change made
        # by one test would be seen by the next. The program's own classes and
        # functions (``__module__`` "__main__", which it cannot rename) are
        # made again by each test and stay its own to change.
        _STATE.refuse(
            "attribute_not_allowed", f"{obj.__name__} belongs to Python here and cannot be changed"
        )
    return obj


def _getiter_(obj):
    if type(obj) in BLOCKED_TYPES:
        _STATE.refuse("attribute_not_allowed", f"{type(obj).__name__} objects cannot be used here")
    return iter(obj)


_getitem_ = operator.getitem

_IOPS = {
    "Add": operator.iadd,
    "Sub": operator.isub,
    "Mult": operator.imul,
    "Div": operator.itruediv,
    "FloorDiv": operator.ifloordiv,
    "Mod": operator.imod,
    "Pow": operator.ipow,
    "LShift": operator.ilshift,
    "RShift": operator.irshift,
    "BitOr": operator.ior,
    "BitXor": operator.ixor,
    "BitAnd": operator.iand,
    "MatMult": operator.imatmul,
}


def _inplace_attr_(obj, name, op, value):
    result = _IOPS[op](_getattr_(obj, name), value)
    setattr(_write_(obj), name, result)


def _inplace_item_(obj, key, op, value):
    result = _IOPS[op](_getitem_(obj, key), value)
    _write_(obj)[key] = result


def _apply_(func, *args, **kwargs):
    return func(*args, **kwargs)


# ---------------------------------------------------------------------------
# Builtins


def _print(*args, sep=" ", end="\n", file=None, flush=False):
    if sep is None:
        sep = " "
    elif not isinstance(sep, str):
        raise TypeError(f"sep must be None or a string, not {type(sep).__name__}")
    if end is None:
        end = "\n"
    elif not isinstance(end, str):
        raise TypeError(f"end must be None or a string, not {type(end).__name__}")
    text = sep.join([str(a) for a in args]) + end
    if file is not None:
        _getattr_(file, "write")(text)
        return
    _STATE.write(text)


def _input(prompt=""):
    if prompt != "":
        _STATE.write(str(prompt))
    line = _STATE.read_line()
    if line is None:
        raise EOFError("EOF when reading a line")
    return line[:-1] if line.endswith("\n") else line


def _type(*args):
    if len(args) != 1:
        _STATE.refuse(
            "type_creation_not_allowed", "type() with three arguments cannot be used here", "type"
        )
    t = type(args[0])
    return _type if t is type else t


def _sorted(iterable, /, *, key=None, reverse=False):
    return sorted(_getiter_(iterable), key=key, reverse=reverse)


def _zip(*iterables, strict=False):
    return zip(*[_getiter_(i) for i in iterables], strict=strict)


def _tuple(iterable=(), /):
    return tuple(_getiter_(iterable))


def _reversed(seq, /):
    if type(seq) in BLOCKED_TYPES:
        _getiter_(seq)
    return reversed(seq)


_ALLOWED_MODULES = frozenset(module_names())


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if level != 0 or name not in _ALLOWED_MODULES:
        _STATE.refuse("import_not_allowed", f'importing "{name}" is not allowed', name)
    modules = _STATE.modules
    module = modules.get(name)
    if module is None:
        module = modules[name] = _make_module(_STATE, name)
    return module


_SAFE_BUILTIN_NAMES = (
    "abs all any ascii bin bool callable chr complex dict divmod enumerate filter float "
    "format frozenset hash hex id int isinstance issubclass iter len list map max min next "
    "object oct ord pow property range repr round set slice staticmethod classmethod str "
    "sum super bytes bytearray"
).split()
_EXCEPTIONS = {
    name: obj
    for name, obj in vars(_builtins).items()
    if isinstance(obj, type)
    and issubclass(obj, BaseException)
    and not issubclass(obj, BaseExceptionGroup)  # CVE-2025-22153
}


def _make_builtins() -> dict:
    b = {name: getattr(_builtins, name) for name in _SAFE_BUILTIN_NAMES}
    b.update(_EXCEPTIONS)
    b.update(
        print=_print,
        input=_input,
        type=_type,
        sorted=_sorted,
        zip=_zip,
        tuple=_tuple,
        reversed=_reversed,
        __import__=_import,
        __build_class__=_builtins.__build_class__,
    )
    b["NotImplemented"] = NotImplemented
    b["Ellipsis"] = Ellipsis
    return b


# Built once: a child cannot reach this dict (``__builtins__`` is refused by
# name), so every run can share it, and a forked child touches fewer pages.
_BUILTINS = _make_builtins()


def make_globals(state: RunState) -> dict:
    global _STATE
    _STATE = state
    return {
        "__builtins__": _BUILTINS,
        "__name__": "__main__",
        "__metaclass__": type,
        "_getattr_": _getattr_,
        "_getitem_": _getitem_,
        "_getiter_": _getiter_,
        "_write_": _write_,
        "_apply_": _apply_,
        "_inplace_attr_": _inplace_attr_,
        "_inplace_item_": _inplace_item_,
    }


# ---------------------------------------------------------------------------
# Running and verdicts


def _position(exc):
    line = column = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == FILENAME:
            line = tb.tb_lineno
            column = None
            try:
                positions = list(code.co_positions())
                pos = positions[tb.tb_lasti // 2]
                if pos[0] == line and pos[2] is not None:
                    column = pos[2] + 1
            except (IndexError, ValueError):
                pass
        tb = tb.tb_next
    return line, column


def _message(exc) -> str:
    """``str(exc)``, read as an exact str and cut (``bounds.exact_text``: a str
    subclass's ``__len__`` or ``__str__`` never decides what is kept)."""
    try:
        text = bounds.exact_text(str(exc))
    except BaseException:  # noqa: BLE001 - a child's __str__ may fail in any way
        text = None
    if text is None:
        text = f"<{bounds.exception_type_name(exc)} object: str() failed>"
    return text


def error_from_exception(exc) -> dict:
    """The error of a program that stopped with ``exc``. ``values`` holds what
    the names on the failing line held (see ``line_values``; ``{}`` for a
    syntax error, a memory error, or when describing them went wrong)."""
    line, column = _position(exc)
    values = {}
    if isinstance(exc, SyntaxError) and exc.filename == FILENAME:
        # Also a SyntaxError the program raised itself, its args chosen by it:
        # each field is checked and cut (bounds.check_error), never passed on.
        line, column = exc.lineno, exc.offset
        message = bounds.exact_text(exc.msg) or _message(exc)
    else:
        if type(exc) is not MemoryError:
            # Before _message: a child's __str__ must not change what we read.
            values = values_at_failure(exc, FILENAME, _BUILTINS)
        message = _message(exc)
    return bounds.check_error(
        {
            "type": bounds.exception_type_name(exc),
            "message": message,
            "line": line,
            "column": column,
            "values": values,
        }
    )


def verdict(state: RunState, status: str, error: dict | None, value=None) -> dict:
    """The child's result frame (the server adds stdout, times and cpu)."""
    if state.refusal is not None:
        status, error = "refused", state.refusal.as_error()
    elif state.recording is not None and state.recording.over:
        status = "output_limit"
        error = {
            "type": "OutputLimit",
            "message": "the drawing has too many lines",
            "line": None,
            "column": None,
        }
    elif state.status_override is not None:
        status = state.status_override
        if status == "output_limit":
            error = {
                "type": "OutputLimit",
                "message": "the program printed more than the output limit",
                "line": None,
                "column": None,
            }
    rec = state.recording
    turtle = rec.segments if rec is not None and rec.used else None
    # The same checker the server applies again (bounds.py): fixed statuses
    # and type names, exact and cut strings, standard JSON, bounded sizes.
    return bounds.check_verdict(
        {
            "status": status,
            "error": error,
            "value": value,
            "turtle": turtle,
            "stdout_truncated": state.truncated,
        },
        state.max_segments,
    )


def run_code(code, state: RunState, call: dict | None = None) -> dict:
    """Run compiled child code to a verdict. Catches BaseException: SystemExit
    and KeyboardInterrupt must not escape the runner."""
    glb = make_globals(state)
    status, error, value = "ok", None, None
    try:
        exec(code, glb)  # noqa: S102 - compiled by the policy, run with guards
        if call is not None:
            fn = glb.get(call["function"])
            if fn is None:
                raise NameError(f"name '{call['function']}' is not defined")
            result = fn(*call.get("args", ()))
            try:
                value = json.loads(json.dumps(result))
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{call['function']}() returned a value that cannot be compared: {exc}"
                ) from None
    except Stop:
        pass
    except TurtleLimit:
        pass
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status, error = "error", error_from_exception(exc)
    except MemoryError as exc:
        status, error = "memory", error_from_exception(exc)
    except BaseException as exc:  # noqa: BLE001 - every way a program can end
        status, error = "error", error_from_exception(exc)
    return verdict(state, status, error, value)


def refusal_verdict(state: RunState, refusal: Refusal) -> dict:
    state.refusal = refusal
    return verdict(state, "refused", None)


__all__ = ["RunState", "run_code", "make_globals", "module_names", "Turtle"]
