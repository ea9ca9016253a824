"""The values of the names used on the line where a child's program failed.

Two halves, one contract (``error["values"]``, documented in README.md):

* ``values_at_failure(exc, builtins_names)`` runs in the child, after the
  program's code has stopped and before its verdict is written. It never
  calls a method of the child's own objects: every value is looked at
  through exact type checks (``type(v) is int``), so a class whose
  ``__repr__``, ``__len__``, ``__eq__``, ``__hash__`` or ``__iter__`` prints,
  raises or loops is never run; anything not plainly built in is
  ``{"type": "other", "repr": "…"}``.
* ``check_values(values)`` runs in the server on whatever the child sent:
  it rebuilds the block from the fields it knows, with their types and
  lengths checked, and drops what does not fit. A child that escaped the
  language layer can forge the first half, never the second.

Both bound the block the same way: at most ``MAX_NAMES`` names, str values
cut to ``STR_LIMIT`` characters, at most ``ITEM_LIMIT`` items of a container
(each at most ``ITEM_REPR_LIMIT`` characters), the whole block at most
``BLOCK_LIMIT`` bytes of standard JSON (NaN and infinities are strings).
"""

from __future__ import annotations

import dis
import json
import math
import types

MAX_NAMES = 8
STR_LIMIT = 60
REPR_LIMIT = 60
ITEM_LIMIT = 5
ITEM_REPR_LIMIT = 30
BLOCK_LIMIT = 2048
NAME_LIMIT = 100
INT_DIGITS_LIMIT = 60
CUT = "…"

_LOAD_OPS = frozenset(
    ("LOAD_NAME", "LOAD_GLOBAL", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_DEREF", "LOAD_CLASSDEREF")
)
_LOAD_OPS |= {"LOAD_FROM_DICT_OR_DEREF", "LOAD_FROM_DICT_OR_GLOBALS", "LOAD_FAST_LOAD_FAST"}
_SCALAR_TYPES = {bool: "bool", int: "int", float: "float", type(None): "none"}
_CONTAINER_TYPES = {list: "list", tuple: "tuple", set: "set"}
_INFO_TYPES = frozenset(
    ("int", "float", "bool", "none", "str", "list", "tuple", "set", "dict", "function", "other")
)
_NON_FINITE = ("nan", "inf", "-inf")


# ---------------------------------------------------------------------------
# In the child


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + CUT


def _clean(text: str) -> str:
    """Lone surrogates cannot cross as UTF-8: they become "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _float_text(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _int_fits(v: int) -> bool:
    # 190 bits is at most 58 decimal digits: repr() is cheap and short.
    return v.bit_length() <= 190


def _short_repr(v, depth: int, limit: int) -> str:
    """A repr built here, from exact built-in types only, never longer than
    ``limit``; containers show ``ITEM_LIMIT`` items, ``depth`` levels deep."""
    t = type(v)
    if v is None or t is bool:
        return repr(v)
    if t is int:
        return _cut(repr(v), limit) if _int_fits(v) else CUT
    if t is float:
        return _cut(_float_text(v), limit)
    if t is str:
        return _cut(_clean(repr(v[: limit + 1])), limit)
    if t in _CONTAINER_TYPES or t is dict:
        if depth <= 0:
            return CUT
        if t is list:
            opening, closing = "[", "]"
        elif t is tuple:
            opening, closing = "(", ")"
        else:
            if not v:
                return "set()" if t is set else "{}"
            opening, closing = "{", "}"
        parts = []
        size = len(opening) + len(closing)
        shown = 0
        pairs = v.items() if t is dict else v
        for item in pairs:
            if shown == ITEM_LIMIT or size > limit:
                break
            if t is dict:
                key, value = item
                part = (
                    _short_repr(key, depth - 1, ITEM_REPR_LIMIT)
                    + ": "
                    + _short_repr(value, depth - 1, ITEM_REPR_LIMIT)
                )
            else:
                part = _short_repr(item, depth - 1, ITEM_REPR_LIMIT)
            parts.append(part)
            size += len(part) + 2
            shown += 1
        if shown < len(v):
            parts.append(CUT)
        text = ", ".join(parts)
        if t is tuple and len(v) == 1:
            text += ","
        return _cut(opening + text + closing, limit)
    return CUT


def _function_info(v, public_names: dict) -> dict | None:
    """Functions and built-in callables; ``None`` for anything else.
    ``public_names`` maps id() of each builtin the program was given to its
    name, so the sandbox's own wrappers (``_print``) read as ``print``."""
    t = type(v)
    public = public_names.get(id(v))
    if public is not None:
        return {"type": "function", "repr": public, "name": public, "builtin": True}
    if t is types.FunctionType:
        # A def or lambda of the child's (the name is the child's, not a class's).
        name = _cut(_clean(v.__code__.co_name), REPR_LIMIT)
        return {"type": "function", "repr": name, "name": name, "builtin": False}
    if t is types.MethodType and type(v.__func__) is types.FunctionType:
        name = _cut(_clean(v.__func__.__code__.co_name), REPR_LIMIT)
        return {"type": "function", "repr": name, "name": name, "builtin": False}
    if t is types.BuiltinFunctionType:
        # len, abs, "abc".upper, random.randint's bound C parts: all ours.
        name = v.__name__
        if type(name) is not str:
            return None
        name = _cut(_clean(name), REPR_LIMIT)
        return {"type": "function", "repr": name, "name": name, "builtin": True}
    return None


def describe(v, public_names: dict | None = None) -> dict:
    """The info of one value (see the contract in README.md)."""
    t = type(v)
    if v is None:
        return {"type": "none", "repr": "None", "value": None}
    if t is bool:
        return {"type": "bool", "repr": repr(v), "value": v}
    if t is int:
        if _int_fits(v):
            return {"type": "int", "repr": repr(v), "value": v}
        return {"type": "int", "repr": CUT, "value": None, "cut": True}
    if t is float:
        text = _float_text(v)
        return {"type": "float", "repr": text, "value": text if text in _NON_FINITE else v}
    if t is str:
        value = _clean(v[:STR_LIMIT])
        info = {"type": "str", "repr": _short_repr(v, 1, REPR_LIMIT), "value": value, "len": len(v)}
        if len(v) > STR_LIMIT:
            info["cut"] = True
        return info
    if t in _CONTAINER_TYPES:
        items = []
        for item in v:
            if len(items) == ITEM_LIMIT:
                break
            items.append(_short_repr(item, 1, ITEM_REPR_LIMIT))
        return {
            "type": _CONTAINER_TYPES[t],
            "repr": _short_repr(v, 2, REPR_LIMIT),
            "len": len(v),
            "items": items,
        }
    if t is dict:
        keys = []
        for key in v:
            if len(keys) == ITEM_LIMIT:
                break
            keys.append(_short_repr(key, 1, ITEM_REPR_LIMIT))
        return {"type": "dict", "repr": _short_repr(v, 2, REPR_LIMIT), "len": len(v), "keys": keys}
    info = _function_info(v, public_names or {})
    if info is not None:
        return info
    return {"type": "other", "repr": CUT}


def _names_on_line(code, line: int) -> list[str]:
    names: list[str] = []
    for ins in dis.get_instructions(code):
        pos = ins.positions
        if pos is None or pos.lineno != line or ins.opname not in _LOAD_OPS:
            continue
        found = ins.argval if type(ins.argval) is tuple else (ins.argval,)
        for name in found:
            # "_" names are RestrictedPython's guards (a child cannot use them).
            # ".0" is a comprehension's hidden argument.
            if (
                type(name) is str
                and name.isidentifier()
                and not name.startswith("_")
                and name not in names
            ):
                names.append(name)
                if len(names) == MAX_NAMES:
                    return names
    return names


_MISSING = object()


def _lookup(name: str, mappings):
    for mapping in mappings:
        # Only real dicts: their keys are the program's names (str), so a
        # lookup compares str with str and runs none of the child's code.
        if type(mapping) is dict:
            value = mapping.get(name, _MISSING)
            if value is not _MISSING:
                return value
    return _MISSING


def _failing_frame(exc, filename: str):
    """The innermost traceback entry in the child's own program."""
    tb = BaseException.__dict__["__traceback__"].__get__(exc)
    found = None
    while type(tb) is types.TracebackType:
        if tb.tb_frame.f_code.co_filename == filename:
            found = tb
        tb = tb.tb_next
    return found


def values_at_failure(exc, filename: str, builtins: dict) -> dict:
    """``name -> info`` for the names the failing line loads, bounded; ``{}``
    whenever anything at all goes wrong."""
    try:
        tb = _failing_frame(exc, filename)
        if tb is None:
            return {}
        frame = tb.tb_frame
        names = _names_on_line(frame.f_code, tb.tb_lineno)
        if not names:
            return {}
        public = {id(v): k for k, v in builtins.items() if not k.startswith("_")}
        mappings = (frame.f_locals, frame.f_globals, frame.f_builtins)
        values = {}
        for name in names:
            value = _lookup(name, mappings)
            if value is not _MISSING:
                values[name] = describe(value, public)
        return bound_block(values)
    except BaseException:  # noqa: BLE001 - describing must never fail a run
        return {}


def block_size(values: dict) -> int:
    """Bytes of the block as standard JSON in UTF-8 (raises on NaN)."""
    return len(json.dumps(values, ensure_ascii=False, allow_nan=False).encode("utf-8"))


def bound_block(values: dict) -> dict:
    """Drop entries from the end until the block is at most BLOCK_LIMIT."""
    values = dict(values)
    while values and block_size(values) > BLOCK_LIMIT:
        values.popitem()
    return values


# ---------------------------------------------------------------------------
# In the server


def _str_ok(v, limit: int) -> bool:
    return type(v) is str and len(v) <= limit


def _check_info(info) -> dict | None:
    if type(info) is not dict:
        return None
    kind = info.get("type")
    if kind not in _INFO_TYPES or not _str_ok(info.get("repr"), REPR_LIMIT):
        return None
    # "other" never carries a text of the child's (a class name it chose).
    out = {"type": kind, "repr": CUT if kind == "other" else info["repr"]}
    value = info.get("value")
    if kind == "none":
        if value is not None:
            return None
        out["value"] = None
    elif kind == "bool":
        if type(value) is not bool:
            return None
        out["value"] = value
    elif kind == "int":
        if value is None and info.get("cut") is True:
            out.update(value=None, cut=True)
        elif type(value) is int and abs(value) < 10**INT_DIGITS_LIMIT:
            out["value"] = value
        else:
            return None
    elif kind == "float":
        if type(value) is float and math.isfinite(value):
            out["value"] = value
        elif value in _NON_FINITE and type(value) is str:
            out["value"] = value
        else:
            return None
    elif kind == "str":
        length = info.get("len")
        if not _str_ok(value, STR_LIMIT) or type(length) is not int or length < len(value):
            return None
        out.update(value=value, len=length)
        if info.get("cut") is True:
            out["cut"] = True
    elif kind in ("list", "tuple", "set", "dict"):
        length = info.get("len")
        field = "keys" if kind == "dict" else "items"
        items = info.get(field)
        if type(length) is not int or length < 0 or type(items) is not list:
            return None
        if len(items) > ITEM_LIMIT or len(items) > length:
            return None
        if not all(_str_ok(i, ITEM_REPR_LIMIT) for i in items):
            return None
        out.update({"len": length, field: list(items)})
    elif kind == "function":
        name, builtin = info.get("name"), info.get("builtin")
        if not _str_ok(name, REPR_LIMIT) or type(builtin) is not bool:
            return None
        out.update(repr=name, name=name, builtin=builtin)
    return out


def check_values(values) -> dict:
    """The server's check of a child's ``values`` block: rebuilt from the
    fields of the contract, each checked; what does not fit is dropped."""
    if type(values) is not dict:
        return {}
    out = {}
    for name, info in values.items():
        if len(out) == MAX_NAMES:
            break
        if not _str_ok(name, NAME_LIMIT) or not name.isidentifier():
            continue
        checked = _check_info(info)
        if checked is not None:
            out[name] = checked
    try:
        return bound_block(out)
    except ValueError:  # pragma: no cover - every float above is finite
        return {}
