"""Gentle warnings after a run that worked: programs that surely do not do what was meant.

A small registry like ``explanations/``: each kind of advice is one class whose
``find(program)`` looks at the program's syntax tree (``ast``; never regular
expressions over the source) and returns what it found, each with its line and
the thing from the child's own program it names. Warnings are never graded and
never count against the child; they are shown after Run only.

    advice_for(source, "ro")  ->  [{"kind", "line", "message"}, ...]  (at most 3)
"""

from __future__ import annotations

import ast
import builtins
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

from codekids.bank.texts import _l, translate

MAX_WARNINGS = 3
CODE_LIMIT = 40

# Methods that give back a new value and change nothing (mostly those of str):
# ``nume.upper()`` alone on a line throws its result away.
PURE_METHODS = frozenset(
    "upper lower strip lstrip rstrip replace capitalize title swapcase casefold center "
    "ljust rjust zfill split rsplit splitlines join removeprefix removesuffix expandtabs "
    "partition rpartition startswith endswith find rfind isdigit isalpha isalnum isspace "
    "isupper islower isnumeric isdecimal istitle format count index".split()
)
# Builtins that only work out a value (``sorted(lista)`` alone does not sort it).
PURE_BUILTINS = frozenset(
    "len int str float abs round sorted max min sum bool list tuple set dict range repr "
    "chr ord reversed type".split()
)
BUILTIN_NAMES = frozenset(name for name in dir(builtins) if not name.startswith("_"))


@dataclass
class Program:
    """The parsed program and what every kind of advice asks about it."""

    source: str
    tree: ast.Module
    function_tests: bool = False
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)  # names the program assigns or defines
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)

    @classmethod
    def parse(cls, source: str, function_tests: bool = False) -> Program | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "invalid escape sequence" and friends
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        program = cls(source, tree, function_tests)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                program.parents[child] = node
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                program.bound.add(node.name)
                if not isinstance(node, ast.ClassDef):
                    program.functions.setdefault(node.name, node)
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                program.bound.add(node.id)
            elif isinstance(node, ast.arg):
                program.bound.add(node.arg)
            elif isinstance(node, ast.alias):
                program.bound.add((node.asname or node.name).split(".")[0])
        return program

    def text(self, node: ast.AST) -> str:
        """The child's own text of ``node``, on one line, cut to CODE_LIMIT characters."""
        segment = ast.get_source_segment(self.source, node) or ast.unparse(node)
        return cut(" ".join(segment.split()))

    def is_builtin(self, name: str) -> bool:
        return name in BUILTIN_NAMES and name not in self.bound

    def inside(self, node: ast.AST, ancestor: ast.AST) -> bool:
        while node is not None:
            if node is ancestor:
                return True
            node = self.parents.get(node)
        return False


def cut(text: str, limit: int = CODE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Found:
    kind: str
    node: ast.AST
    variant: str = "default"
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)


class Advice:
    kind: ClassVar[str]
    messages: ClassVar[dict[str, str]]  # msgid per variant; "default" is required

    def find(self, program: Program) -> list[Found]:
        raise NotImplementedError

    def found(self, node, variant="default", **params) -> Found:
        return Found(self.kind, node, variant, params)


REGISTRY: list[Advice] = []


def register(cls: type[Advice]) -> type[Advice]:
    REGISTRY.append(cls())
    return cls


def _call_text(name: str, function: ast.FunctionDef | None) -> str:
    if name == "input" and function is None:
        return "input()"
    if function is not None and not (
        function.args.args or function.args.posonlyargs or function.args.kwonlyargs
        or function.args.vararg or function.args.kwarg
    ):
        return f"{name}()"
    return f"{name}(...)"


@register
class UncalledFunction(Advice):
    """``def salut(): ...`` and ``salut`` used nowhere else in the program."""

    kind = "uncalled_function"
    messages = {
        "default": _l(
            "You made the function %(name)s, but the program never calls it, so its "
            "code never runs. To run it, write %(call)s."
        ),
    }

    def find(self, program):
        if program.function_tests:  # the tests call the functions
            return []
        used: list[ast.Name] = [
            n for n in ast.walk(program.tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        ]
        found = []
        for node in ast.walk(program.tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(program.parents.get(node), ast.ClassDef):
                continue  # methods are called in ways a beginner does not write out
            # A call inside its own body (recursion) does not make it run.
            if any(n.id == node.name and not program.inside(n, node) for n in used):
                continue
            found.append(self.found(node, name=node.name, call=_call_text(node.name, node)))
        return found


@register
class ThrownAwayValue(Advice):
    """An expression alone on a line whose value nothing keeps: ``x + 1``,
    ``x == 5``, ``nume.upper()``, ``print`` without brackets."""

    kind = "value_thrown_away"
    messages = {
        "default": _l(
            "%(code)s works out a value, but the program does not keep it or show it. "
            "Store it in a variable, or show it with print(...)."
        ),
        "needs_brackets": _l("%(name)s needs brackets to do something: %(call)s"),
        "name_alone": _l(
            "%(name)s alone on a line does nothing. To see its value, write print(%(name)s)."
        ),
        "compare": _l(
            "%(code)s only checks whether the two are equal; it changes nothing. To give "
            "%(name)s a value, use a single = sign: %(fixed)s"
        ),
        "new_text": _l(
            "%(code)s makes a new value, but %(name)s stays as it was. To keep the new "
            "value, write %(name)s = %(code)s"
        ),
        "in_function": _l(
            "%(code)s works out a value, but the function throws it away. To give it "
            "back, write return %(code)s"
        ),
    }

    def find(self, program):
        found = []
        for node in ast.walk(program.tree):
            if isinstance(node, ast.Expr):
                one = self._check(program, node)
                if one is not None:
                    found.append(one)
        return found

    def _check(self, program, stmt: ast.Expr) -> Found | None:
        value = stmt.value
        if isinstance(value, (ast.Await, ast.Yield, ast.YieldFrom)):
            return None
        if isinstance(value, ast.Constant) and (
            isinstance(value.value, str) or value.value is Ellipsis
        ):
            return None  # a docstring, a text used as a comment, the ``...`` placeholder
        if isinstance(value, ast.Call) and not self._pure_call(program, value):
            return None
        if isinstance(value, ast.Name):
            name = value.id
            if name in program.functions or program.is_builtin(name):
                call = _call_text(name, program.functions.get(name))
                return self.found(stmt, "needs_brackets", name=name, call=call)
            return self.found(stmt, "name_alone", name=name)
        if isinstance(value, ast.Attribute):
            name = program.text(value)
            return self.found(stmt, "needs_brackets", name=name, call=cut(f"{name}(...)"))
        code = program.text(value)
        parent = program.parents.get(stmt)
        if (
            isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef))
            and parent.body[-1] is stmt
        ):
            return self.found(stmt, "in_function", code=code)
        if (
            isinstance(value, ast.Compare)
            and len(value.ops) == 1
            and isinstance(value.ops[0], ast.Eq)
            and isinstance(value.left, ast.Name)
        ):
            fixed = cut(f"{value.left.id} = {program.text(value.comparators[0])}")
            return self.found(stmt, "compare", code=code, name=value.left.id, fixed=fixed)
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name)
        ):
            return self.found(stmt, "new_text", code=code, name=value.func.value.id)
        return self.found(stmt, code=code)

    @staticmethod
    def _pure_call(program, call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute):
            return func.attr in PURE_METHODS
        if isinstance(func, ast.Name):
            return func.id in PURE_BUILTINS and program.is_builtin(func.id)
        return False


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value is not None and not isinstance(node.value, bool) and (
            node.value is not Ellipsis
        )
    return isinstance(node, (ast.JoinedStr, ast.List, ast.Tuple, ast.Dict, ast.Set))


@register
class IsWithLiteral(Advice):
    """``x is 5``, ``nume is not "Ana"``: ``is`` asks whether two are one and the same thing in memory,
    which a beginner never means (and which CPython answers differently for 5 and 500)."""

    kind = "is_literal"
    messages = {
        "default": _l(
            "%(code)s uses %(op)s, which does not compare values the way you think: it can "
            "say no even when they are equal. To compare values, use %(better)s: %(fixed)s"
        ),
    }

    def find(self, program):
        found = []
        for node in ast.walk(program.tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            for index, op in enumerate(node.ops):
                if not isinstance(op, (ast.Is, ast.IsNot)):
                    continue
                left, right = operands[index], operands[index + 1]
                if not (_literal(left) or _literal(right)):
                    continue
                word, better = ("is", "==") if isinstance(op, ast.Is) else ("is not", "!=")
                fixed = cut(f"{program.text(left)} {better} {program.text(right)}")
                found.append(self.found(
                    node, code=program.text(node), op=word, better=better, fixed=fixed,
                ))
                break
        return found


def find_all(source: str, *, function_tests: bool = False) -> list[Found]:
    """Every warning of the program, in line order, one a line (not yet cut to 3)."""
    program = Program.parse(source, function_tests) if isinstance(source, str) else None
    if program is None:
        return []
    found = [f for advice in REGISTRY for f in advice.find(program)]
    found.sort(key=lambda f: (f.line, getattr(f.node, "col_offset", 0), f.kind))
    one_a_line, lines = [], set()
    for f in found:  # ``x is 5`` alone: one warning for the line, not two
        if f.line not in lines:
            lines.add(f.line)
            one_a_line.append(f)
    return one_a_line


def render(found: Found, locale: str) -> dict:
    advice = next(a for a in REGISTRY if a.kind == found.kind)
    msgid = advice.messages.get(found.variant, advice.messages["default"])
    return {
        "kind": found.kind,
        "line": found.line,
        "message": translate(locale, msgid, **found.params),
    }


def advice_for(source: str, locale: str, *, function_tests: bool = False) -> list[dict]:
    """At most MAX_WARNINGS warnings for a program that ran without error, in line
    order; ``[]`` for a program that does not parse. Never graded."""
    return [render(f, locale) for f in find_all(source, function_tests=function_tests)
            [:MAX_WARNINGS]]
