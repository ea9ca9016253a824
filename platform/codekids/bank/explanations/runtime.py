"""The failing line of a run, read together: Python's message, the values the sandbox saw
there (``error["values"]``, possibly absent) and the line's own ``ast``.

Regular expressions here read only Python's own messages, never the child's code.
"""

from __future__ import annotations

import ast
import re

from codekids.bank.explanations import source

# Python's class names, as a child says them (the messages choose their words per variant).
KIND = {"str": "text", "int": "number", "float": "number", "bool": "number", "list": "list",
        "tuple": "list", "dict": "dict", "set": "list", "NoneType": "none", "none": "none",
        "function": "function", "builtin_function_or_method": "function", "type": "function",
        "method": "function", "builtin_method": "function", "range": "list"}


def values(ctx) -> dict:
    found = ctx.error.get("values")
    return found if isinstance(found, dict) else {}


def value(ctx, name: str) -> dict:
    info = values(ctx).get(name)
    return info if isinstance(info, dict) else {}


def kind_of_value(ctx, name: str) -> str | None:
    info = value(ctx, name)
    return KIND.get(info.get("type", ""), None) if info else None


def kind_of_origin(origin: source.Origin | None) -> str | None:
    if origin is None:
        return None
    return {"input": "text", "str": "text", "text": "text", "int": "number",
            "float": "number", "number": "number", "list": "list", "dict": "dict",
            "none": "none", "method": "none", "function": "function",
            "def": "function"}.get(origin.how)


def quoted_in(message: str) -> list[str]:
    return re.findall(r"'([^']*)'", message)


def nodes(ctx) -> list[ast.AST]:
    return source.on_line(ctx.source, ctx.line)


def text(ctx, node: ast.AST) -> str:
    return source.excerpt(source.segment(ctx.source, node))


def kind_of(ctx, node: ast.AST) -> str | None:
    """What a child would call the value of ``node``: text, number, list, dict, none,
    function; from the values at the line, else from where the name got its value."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return "none"
        return {str: "text", int: "number", float: "number", bool: "number"}.get(
            type(node.value))
    if isinstance(node, (ast.List, ast.ListComp, ast.Tuple)):
        return "list"
    if isinstance(node, ast.Dict):
        return "dict"
    if isinstance(node, ast.JoinedStr):
        return "text"
    if isinstance(node, ast.Name):
        return kind_of_value(ctx, node.id) or kind_of_origin(
            source.origin(ctx.source, node.id, ctx.line))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return {"input": "text", "str": "text", "int": "number", "float": "number",
                "len": "number", "list": "list", "sorted": "list"}.get(node.func.id)
    return None


def binops(ctx, ops: tuple[type, ...]) -> list[ast.AST]:
    """The operations of kinds ``ops`` on the failing line (``a + b``, ``a += b``)."""
    found = []
    for node in nodes(ctx):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            found.append(node)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ops):
            found.append(ast.BinOp(left=node.target, op=node.op, right=node.value))
    return found


def operands(ctx, ops: tuple[type, ...], left_kind: str, right_kind: str):
    """The first ``left op right`` on the line whose sides are of those kinds (a side
    that cannot be known counts as fitting)."""
    candidates = binops(ctx, ops)
    for strict in (True, False):
        for node in candidates:
            kinds = (kind_of(ctx, node.left), kind_of(ctx, node.right))
            wanted = (left_kind, right_kind)
            if strict and kinds == wanted:
                return node.left, node.right
            if not strict and all(k in (None, w) for k, w in zip(kinds, wanted, strict=True)):
                return node.left, node.right
    return None


def from_input(ctx, names=None) -> tuple[str, source.Origin] | None:
    """A name on the failing line that holds a text read with input() (not turned into
    a number), with where it got it."""
    for name in names if names is not None else source.names_used(ctx.source, ctx.line):
        info = value(ctx, name)
        if info and info.get("type") != "str":
            continue
        found = source.origin(ctx.source, name, ctx.line)
        if found is not None and found.how == "input":
            return name, found
    return None


def described(ctx, node: ast.AST) -> tuple[str, int | None]:
    """How to name ``node`` to the child, and the line where it got its value (a name)."""
    if isinstance(node, ast.Name):
        found = source.origin(ctx.source, node.id, ctx.line)
        return node.id, found.line if found is not None else None
    return text(ctx, node), None
