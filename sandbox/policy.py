"""Layer 1, the language policy: what a child's program may say.

The child's source is parsed and transformed here with RestrictedPython's
transformer, adapted for beginners:

* augmented assignment on items and attributes (``v[0] += 1``, ``self.n += 1``)
  is rewritten into calls of guarded helpers instead of being refused;
  augmented assignment on plain names is left native (it cannot reach
  anything new, and a naive ``_inplacevar_`` makes loops ~1.8x slower);
* ``print`` is an ordinary builtin that streams, not RestrictedPython's
  ``PrintCollector`` (which loses what is printed inside functions);
* the safe dunder methods beginners write in classes may be defined;
* tuple unpacking stays native: our guards are about names and types, not
  per-item access checks, so ``_unpack_sequence_`` would only cost time;
* imports are checked statically against the allowed modules, and
  ``from turtle import *`` is expanded into explicit names;
* every refusal carries a stable ``reason`` key the site can translate.

This module runs inside the limited child process (the compile step is
hostile input too), so it must stay importable without anything but the
standard library and RestrictedPython.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

FILENAME = "<program>"

ALLOWED_MODULES = ("math", "random", "string", "turtle")

# Dunder methods a beginner's class may define. Each is called by the
# interpreter with ordinary values only. Left out on purpose: attribute
# hooks (__getattr__, __getattribute__, __setattr__, __delattr__), descriptor
# and class-creation hooks (__get__, __set__, __set_name__, __init_subclass__,
# __class_getitem__, __new__), __del__, pickling hooks and __exit__ (it is
# handed a traceback object).
ALLOWED_DUNDER_METHODS = frozenset(
    f"__{name}__"
    for name in (
        "init str repr eq ne lt le gt ge len contains iter next getitem setitem "
        "delitem bool hash call add sub mul truediv floordiv mod pow neg pos abs "
        "radd rsub rmul rtruediv rfloordiv rmod rpow iadd isub imul itruediv "
        "ifloordiv imod ipow and or xor rand ror rxor invert index int float "
        "round reversed"
    ).split()
)

# Dunder attributes a program may *read*: the methods above (``super().__init__``,
# ``Parent.__init__(self)``) and ``__name__`` (a str). All of them are methods
# or strings; none leads to classes, frames, globals or code.
READABLE_DUNDER_ATTRIBUTES = ALLOWED_DUNDER_METHODS | {"__name__"}

# Builtins a child cannot use; naming them is refused at compile time (unless
# the program binds the name itself, e.g. ``dir = "left"``).
FORBIDDEN_BUILTINS = frozenset(
    "open exec eval compile breakpoint help exit quit globals locals vars dir "
    "getattr setattr delattr hasattr memoryview input_raw copyright credits "
    "license __import__ __build_class__ __loader__ __spec__".split()
)

# Stable refusal reasons, documented in README.md.
REASONS = {
    "import_not_allowed": "this module cannot be used here",
    "name_not_allowed": "this name cannot be used here",
    "attribute_not_allowed": "this attribute cannot be used here",
    "syntax_not_allowed": "this kind of statement cannot be used here",
    "syntax_too_complex": "the program is too deeply nested or too long to compile",
    "source_too_large": "the program is longer than the allowed size",
    "format_field_not_allowed": "format fields may not look up attributes or items",
    "type_creation_not_allowed": "classes must be made with the class statement",
}


@dataclass
class Refusal:
    reason: str
    message: str
    line: int | None = None
    column: int | None = None
    name: str | None = None

    def as_error(self) -> dict:
        return {
            "type": "Refused",
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "reason": self.reason,
            "name": self.name,
        }


class CompileRefused(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


def _reason_for(info: str) -> str:
    if "invalid attribute name" in info or "is a restricted name" in info:
        return "attribute_not_allowed"
    if "imports are not allowed" in info or "import statements" in info:
        return "import_not_allowed"
    if (
        "invalid variable name" in info
        or "reserved name" in info
        or "calls are not allowed" in info
    ):
        return "name_not_allowed"
    return "syntax_not_allowed"


def _quoted_name(info: str) -> str | None:
    if info.count('"') >= 2:
        return info.split('"')[1]
    return None


_VISITORS: dict = {}  # node class -> BeginnerPolicy's visit_X function (or generic_visit)


class BeginnerPolicy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with the beginner adaptations above."""

    def __init__(self, *args, module_names: dict[str, tuple[str, ...]] | None = None, **kw):
        super().__init__(*args, **kw)
        self._visitors = _VISITORS
        self.refusals: list[Refusal] = []
        self.module_names = module_names or {}

    # -- walking -------------------------------------------------------
    def visit(self, node):
        """``NodeVisitor.visit``, its visitor looked up once per node class."""
        cls = node.__class__
        method = self._visitors.get(cls)
        if method is None:
            method = self._visitors[cls] = getattr(
                type(self), "visit_" + cls.__name__, type(self).generic_visit
            )
        return method(self, node)

    def node_contents_visit(self, node):
        """``ast.NodeTransformer.generic_visit`` (what RestrictedPython calls to
        visit a node's children), its ``iter_fields`` generator inlined: the
        transformer visits every node of a program through here, and the
        generator was most of a compile's time in Python."""
        AST, visit = ast.AST, self.visit
        for field in node._fields:
            old_value = getattr(node, field, None)
            if isinstance(old_value, list):
                new_values = []
                for value in old_value:
                    if isinstance(value, AST):
                        value = visit(value)
                        if value is None:
                            continue
                        if not isinstance(value, AST):
                            new_values.extend(value)
                            continue
                    new_values.append(value)
                old_value[:] = new_values
            elif isinstance(old_value, AST):
                new_node = visit(old_value)
                if new_node is None:
                    delattr(node, field)
                else:
                    setattr(node, field, new_node)
        return node

    # -- refusals with reasons -------------------------------------------
    def error(self, node, info):
        super().error(node, info)
        col = getattr(node, "col_offset", None)
        self.refusals.append(
            Refusal(
                _reason_for(info),
                info,
                getattr(node, "lineno", None),
                None if col is None else col + 1,
                _quoted_name(info),
            )
        )

    def refuse(self, node, reason, message, name=None):
        self.errors.append(f"Line {getattr(node, 'lineno', None)}: {message}")
        col = getattr(node, "col_offset", None)
        self.refusals.append(
            Refusal(
                reason,
                message,
                getattr(node, "lineno", None),
                None if col is None else col + 1,
                name,
            )
        )

    def check_name(self, node, name, allow_magic_methods=False):
        if (
            allow_magic_methods
            and name in ALLOWED_DUNDER_METHODS
            and getattr(node, "col_offset", 0) != 0
        ):
            return
        # ``print`` is our own streaming builtin: it may be used, but a child
        # may still not rebind it (FORBIDDEN_FUNC_NAMES keeps that rule).
        super().check_name(node, name, allow_magic_methods=False)

    def visit_Attribute(self, node):
        if node.attr in READABLE_DUNDER_ATTRIBUTES and isinstance(node.ctx, ast.Load):
            node = self.node_contents_visit(node)
            new_node = ast.Call(
                func=ast.Name("_getattr_", ast.Load()),
                args=[node.value, ast.Constant(node.attr)],
                keywords=[],
            )
            return ast.copy_location(new_node, node)
        return super().visit_Attribute(node)

    # -- print streams: no PrintCollector ----------------------------------
    def inject_print_collector(self, node, position=0):
        return None

    def visit_Name(self, node):
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            self.used_names[node.id] = True
            if node.id in ("print", "printed"):
                return node
        self.check_name(node, node.id)
        return node

    # -- iteration and unpacking stay native (see module docstring) -------
    def guard_iter(self, node):
        node = self.node_contents_visit(node)
        new_iter = ast.Call(func=ast.Name("_getiter_", ast.Load()), args=[node.iter], keywords=[])
        ast.copy_location(new_iter, node.iter)
        node.iter = new_iter
        return node

    def visit_Assign(self, node):
        return self.node_contents_visit(node)

    def visit_With(self, node):
        return self.node_contents_visit(node)

    def visit_Nonlocal(self, node):
        for name in node.names:
            self.check_name(node, name)
        return self.node_contents_visit(node)

    # -- augmented assignment ---------------------------------------------
    def visit_AugAssign(self, node):
        op = type(node.op).__name__
        target = node.target
        if isinstance(target, ast.Name):
            self.check_name(target, target.id)
            node.value = self.visit(node.value)
            return node
        if isinstance(target, ast.Attribute):
            # ``a.b += v`` -> ``_inplace_attr_(a, "b", "Add", v)``: the helper
            # reads through _getattr_ and writes through _write_, so a value
            # with __radd__ can never be handed a forbidden attribute.
            self._check_attribute_name(target)
            call = ast.Call(
                func=ast.Name("_inplace_attr_", ast.Load()),
                args=[
                    self.visit(target.value),
                    ast.Constant(target.attr),
                    ast.Constant(op),
                    self.visit(node.value),
                ],
                keywords=[],
            )
        elif isinstance(target, ast.Subscript):
            key = target.slice
            if isinstance(key, ast.Slice):
                key = ast.Call(
                    func=ast.Name("slice", ast.Load()),
                    args=[
                        k if k is not None else ast.Constant(None)
                        for k in (key.lower, key.upper, key.step)
                    ],
                    keywords=[],
                )
            call = ast.Call(
                func=ast.Name("_inplace_item_", ast.Load()),
                args=[
                    self.visit(target.value),
                    self.visit(key),
                    ast.Constant(op),
                    self.visit(node.value),
                ],
                keywords=[],
            )
        else:  # pragma: no cover - the grammar allows nothing else
            self.not_allowed(node)
            return node
        new = ast.Expr(value=call)
        ast.copy_location(new, node)
        ast.fix_missing_locations(new)
        return new

    def _check_attribute_name(self, node):
        if node.attr.startswith("_") or node.attr.endswith("__roles__"):
            self.error(
                node, f'"{node.attr}" is an invalid attribute name because it starts with "_".'
            )
        elif node.attr in INSPECT_ATTRIBUTES:
            self.error(
                node,
                f'"{node.attr}" is a restricted name, that is forbidden to access in RestrictedPython.',
            )

    # -- imports ------------------------------------------------------------
    def _check_module(self, node, module):
        top = (module or "").split(".")[0]
        if module not in ALLOWED_MODULES:
            self.refuse(
                node, "import_not_allowed", f'importing "{module}" is not allowed', top or module
            )
            return False
        return True

    def visit_Import(self, node):
        for alias in node.names:
            self._check_module(node, alias.name)
        return self.check_import_names(node)

    def visit_ImportFrom(self, node):
        if node.level:
            self.refuse(node, "import_not_allowed", "relative imports are not allowed", node.module)
            return node
        if not self._check_module(node, node.module):
            return node
        if any(alias.name == "*" for alias in node.names):
            names = self.module_names.get(node.module, ())
            node.names = [ast.alias(name=n, asname=None) for n in names]
            for alias in node.names:
                ast.copy_location(alias, node)
        return self.check_import_names(node)

    def visit_TryStar(self, node):  # CVE-2025-22153
        self.refuse(node, "syntax_not_allowed", "try/except* is not allowed")


def _nodes(tree: ast.AST) -> list:
    """Every node of ``tree``, in ``ast.walk``'s order (breadth first), without
    its two generators per node: the compile of a child's program walks its
    tree in Python several times, and ``ast.walk`` was a third of it."""
    AST = ast.AST
    out = [tree]
    append = out.append
    for node in out:  # grows while it is read: each node's children join the end
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, AST):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        append(item)
    return out


def _forbidden_load(nodes) -> ast.Name | None:
    """The first name a program reads (in walk order) that is a forbidden
    builtin it did not bind itself (assigned, defined, an argument, imported,
    an ``except ... as`` name): one pass over the nodes for both."""
    bound = set()
    loads = []
    Name, Load = ast.Name, ast.Load
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for n in nodes:
        if isinstance(n, Name):
            if isinstance(n.ctx, Load):
                if n.id in FORBIDDEN_BUILTINS:
                    loads.append(n)
            else:
                bound.add(n.id)
        elif isinstance(n, defs):
            bound.add(n.name)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    for n in loads:
        if n.id not in bound:
            return n
    return None


def _fix_missing_locations(tree: ast.AST) -> None:
    """``ast.fix_missing_locations`` without recursion or generators: a node
    with no position takes its parent's (the transformer's new nodes)."""
    AST = ast.AST
    stack = [(tree, 1, 0, 1, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, line, col, end_line, end_col = pop()
        attributes = node._attributes
        if "lineno" in attributes:
            if hasattr(node, "lineno"):
                line = node.lineno
            else:
                node.lineno = line
        if "end_lineno" in attributes:
            if getattr(node, "end_lineno", None) is None:
                node.end_lineno = end_line
            else:
                end_line = node.end_lineno
        if "col_offset" in attributes:
            if hasattr(node, "col_offset"):
                col = node.col_offset
            else:
                node.col_offset = col
        if "end_col_offset" in attributes:
            if getattr(node, "end_col_offset", None) is None:
                node.end_col_offset = end_col
            else:
                end_col = node.end_col_offset
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, AST):
                push((value, line, col, end_line, end_col))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push((item, line, col, end_line, end_col))


def compile_program(source: str, module_names: dict[str, tuple[str, ...]] | None = None):
    """Compile a child's program. Returns a code object.

    Raises SyntaxError exactly as CPython would, CompileRefused for anything
    the policy refuses, and turns the compiler's RecursionError/MemoryError
    on monstrous sources into a ``syntax_too_complex`` refusal.
    """
    try:
        tree = ast.parse(source, FILENAME, "exec")
        n = _forbidden_load(_nodes(tree))
        if n is not None:
            raise CompileRefused(
                Refusal(
                    "name_not_allowed",
                    f'"{n.id}" cannot be used here',
                    n.lineno,
                    n.col_offset + 1,
                    n.id,
                )
            )
        # An attribute in INSPECT_ATTRIBUTES is refused by the transformer, with its line.
        policy = BeginnerPolicy([], [], {}, module_names=module_names)
        tree = policy.visit(tree)
        if policy.refusals:
            raise CompileRefused(policy.refusals[0])
        _fix_missing_locations(tree)
        return compile(tree, FILENAME, "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        raise CompileRefused(
            Refusal("syntax_too_complex", REASONS["syntax_too_complex"], None, None)
        ) from None
