"""Facts about the child's program, read with Python's own tools (``tokenize``, ``ast``,
``compile``), never with regular expressions over the code.

Every function takes the source text and is cached: a wrong submission is explained once
per failing test, always with the same source. Nothing here runs the child's code:
``compile`` only parses it (the sandbox already did the same, so a source that reaches
here is at most the sandbox's source limit).
"""

from __future__ import annotations

import ast
import builtins
import functools
import io
import keyword
import tokenize
from dataclasses import dataclass

OPENING = {"(": ")", "[": "]", "{": "}"}
CLOSING = {v: k for k, v in OPENING.items()}


@dataclass(frozen=True)
class SyntaxFacts:
    """What ``compile`` says about a program it cannot read."""

    type: str
    msg: str
    lineno: int | None
    offset: int | None
    end_lineno: int | None
    end_offset: int | None


@functools.lru_cache(maxsize=32)
def syntax_error(source: str) -> SyntaxFacts | None:
    """CPython's own SyntaxError for ``source``, with all its positions (the sandbox
    reports only the line and column), or None when the program parses."""
    try:
        compile(source, "<child>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        return SyntaxFacts(type(exc).__name__, exc.msg or "", exc.lineno, exc.offset,
                           getattr(exc, "end_lineno", None), getattr(exc, "end_offset", None))
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


@functools.lru_cache(maxsize=32)
def tree(source: str) -> ast.Module | None:
    """The program's AST, or None when Python cannot read it."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=32)
def tokens(source: str) -> tuple[tokenize.TokenInfo, ...]:
    """The program's tokens, up to the first place ``tokenize`` gives up (an unclosed
    bracket or text at the end, an indentation it cannot follow)."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            found.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        pass
    return tuple(found)


def line_tokens(source: str, lineno: int) -> list[tokenize.TokenInfo]:
    """The tokens that start on line ``lineno`` (no NEWLINE, NL, COMMENT, INDENT...)."""
    skip = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
            tokenize.DEDENT, tokenize.ENDMARKER)
    return [t for t in tokens(source) if t.start[0] == lineno and t.type not in skip]


@functools.lru_cache(maxsize=32)
def code_words(source: str) -> frozenset[str]:
    """Every name written in the code itself: not inside a text, not in a comment."""
    return frozenset(t.string for t in tokens(source)
                     if t.type == tokenize.NAME and not keyword.iskeyword(t.string))


def _target_names(node: ast.AST):
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            yield sub.id


@functools.lru_cache(maxsize=32)
def bound_names(source: str) -> frozenset[str]:
    """The names the program gives a value: assigned, a loop's variable, a def, a class,
    a parameter, an import. From the AST when the program parses; otherwise from its
    tokens (a name before ``=``, after ``def``/``class``/``for``/``import``/``as``)."""
    parsed = tree(source)
    names: set[str] = set()
    if parsed is not None:
        for node in ast.walk(parsed):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                names.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
        return frozenset(names)
    toks = [t for t in tokens(source) if t.type not in (tokenize.NL, tokenize.COMMENT)]
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME or keyword.iskeyword(tok.string):
            continue
        before = toks[i - 1].string if i else ""
        after = toks[i + 1] if i + 1 < len(toks) else None
        if before in ("def", "class", "for", "import", "as", "global", "nonlocal"):
            names.add(tok.string)
        elif after is not None and after.type == tokenize.OP and after.string in (
                "=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", ":="):
            names.add(tok.string)
    return frozenset(names)


@dataclass(frozen=True)
class Bracket:
    char: str
    line: int
    column: int  # 1-based


@functools.lru_cache(maxsize=32)
def bracket_problem(source: str) -> tuple[str, Bracket, Bracket | None] | None:
    """The first bracket problem in the program, read from its tokens:
    ``("unclosed", opened, None)`` for a bracket never closed (the first of those left
    open, as CPython reports it), or ``("mismatched", opened, closing)`` /
    ``("unmatched", closing, None)`` for a closing bracket that does not fit."""
    stack: list[Bracket] = []
    for tok in tokens(source):
        if tok.type != tokenize.OP:
            continue
        here = Bracket(tok.string, tok.start[0], tok.start[1] + 1)
        if tok.string in OPENING:
            stack.append(here)
        elif tok.string in CLOSING:
            if not stack:
                return ("unmatched", here, None)
            opened = stack.pop()
            if OPENING[opened.char] != tok.string:
                return ("mismatched", opened, here)
    if stack:
        return ("unclosed", stack[0], None)
    return None


def excerpt(text: str, limit: int = 40) -> str:
    """A short piece of a line, as the child wrote it, for a message."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---- where names get their values, loops, lines (for the run-time explanations) ----

# Methods that change a list in place and give back None.
IN_PLACE = ("append", "extend", "insert", "remove", "sort", "reverse", "clear")


@functools.lru_cache(maxsize=32)
def _nodes(source: str) -> tuple[ast.AST, ...]:
    parsed = tree(source)
    return tuple(ast.walk(parsed)) if parsed is not None else ()


def nodes(source: str) -> tuple[ast.AST, ...]:
    """Every node of the program (none when it does not parse)."""
    return _nodes(source)


def segment(source: str, node: ast.AST) -> str:
    """The child's own text for ``node`` (one line, as written)."""
    text = ast.get_source_segment(source, node) or ""
    return " ".join(text.split())


def on_line(source: str, line: int | None) -> tuple[ast.AST, ...]:
    """The nodes of the statement at ``line`` (not of its body), outermost first."""
    return () if line is None else _on_line(source, line)


# Several explanations ask about the same failing line of the same program.
@functools.lru_cache(maxsize=64)
def _on_line(source: str, line: int) -> tuple[ast.AST, ...]:
    found: list[ast.AST] = []
    for node in nodes(source):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or line):
            parts = _own_parts(node)
            if any(getattr(p, "lineno", None) is not None
                   and p.lineno <= line <= (p.end_lineno or p.lineno) for p in parts) \
                    or node.lineno == line:
                found.extend(n for p in parts for n in ast.walk(p))
    return tuple(found)


def _own_parts(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions of a statement, without the statements in its body."""
    parts = []
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "decorator_list"):
            continue
        if isinstance(value, ast.AST):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, ast.stmt))
    return parts


def statement_at(source: str, line: int | None) -> ast.stmt | None:
    """The innermost statement that starts at ``line``."""
    best = None
    for node in nodes(source):
        if isinstance(node, ast.stmt) and node.lineno == line:
            if best is None or node.col_offset >= best.col_offset:
                best = node
    return best


@dataclass(frozen=True)
class Origin:
    """Where a name gets a value: ``how`` is one of input, int, float, str, number, text,
    list, dict, none, function (the name of a function, not a call), method (the result of
    a list method changing a list in place), call, loop, def, parameter, other."""

    name: str
    line: int
    how: str
    detail: str = ""  # the function or method named, or the value's text


def _origin_of(value: ast.AST, name: str, line: int, source: str) -> Origin:
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            if func.id == "input":
                return Origin(name, line, "input")
            if func.id in ("int", "float", "str", "len", "list", "dict"):
                how = "number" if func.id == "len" else func.id
                if func.id in ("int", "float", "str") and value.args and isinstance(
                        value.args[0], ast.Call) and getattr(value.args[0].func, "id", "") == "input":
                    return Origin(name, line, func.id, "input")
                return Origin(name, line, how, func.id)
            return Origin(name, line, "call", func.id)
        if isinstance(func, ast.Attribute):
            if func.attr in IN_PLACE:
                return Origin(name, line, "method", func.attr)
            inner = func.value
            # input().strip(), input().lower(): still a text read from input
            if isinstance(inner, ast.Call) and getattr(inner.func, "id", "") == "input":
                return Origin(name, line, "input")
            return Origin(name, line, "call", func.attr)
    if isinstance(value, ast.Constant):
        if value.value is None:
            return Origin(name, line, "none")
        if isinstance(value.value, bool):
            return Origin(name, line, "other", repr(value.value))
        if isinstance(value.value, (int, float)):
            return Origin(name, line, "number", repr(value.value))
        if isinstance(value.value, str):
            return Origin(name, line, "text", repr(value.value))
    if isinstance(value, (ast.List, ast.ListComp)):
        return Origin(name, line, "list", segment(source, value))
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return Origin(name, line, "dict", segment(source, value))
    if isinstance(value, ast.Name) and value.id in function_names(source):
        return Origin(name, line, "function", value.id)
    if isinstance(value, ast.JoinedStr):
        return Origin(name, line, "text", segment(source, value))
    return Origin(name, line, "other", segment(source, value))


@functools.lru_cache(maxsize=32)
def _all_origins(source: str) -> tuple[Origin, ...]:
    found: list[Origin] = []
    for node in nodes(source):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.append(_origin_of(node.value, target.id, node.lineno, source))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            if node.value is not None:
                how = "other" if isinstance(node, ast.AugAssign) else None
                origin = _origin_of(node.value, node.target.id, node.lineno, source)
                found.append(Origin(origin.name, origin.line, how or origin.how, origin.detail))
        elif isinstance(node, (ast.For, ast.comprehension)):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    found.append(Origin(target.id, getattr(node, "lineno", 0) or
                                        node.target.lineno, "loop"))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(Origin(node.name, node.lineno, "def"))
            for arg in node.args.args + node.args.kwonlyargs:
                found.append(Origin(arg.arg, node.lineno, "parameter", node.name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found.append(Origin((alias.asname or alias.name).split(".")[0], node.lineno,
                                    "other"))
    return tuple(sorted(found, key=lambda o: o.line))


def origins(source: str, name: str) -> list[Origin]:
    """Every place ``name`` gets a value, top to bottom."""
    return [o for o in _all_origins(source) if o.name == name]


def origin(source: str, name: str, line: int | None = None) -> Origin | None:
    """Where ``name`` last got a value at or above ``line`` (or anywhere, without a line)."""
    found = origins(source, name)
    if line is not None:
        above = [o for o in found if o.line <= line]
        found = above or []
    return found[-1] if found else None


@functools.lru_cache(maxsize=32)
def definitions(source: str) -> dict[str, int]:
    """``def`` name -> its line."""
    return {n.name: n.lineno for n in nodes(source)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


BUILTIN_FUNCTIONS = frozenset(n for n in dir(builtins)
                              if not n.startswith("_") and callable(getattr(builtins, n))
                              and not isinstance(getattr(builtins, n), type)
                              or n in ("int", "float", "str", "list", "dict", "set", "tuple",
                                       "bool", "range"))


def function_names(source: str) -> set[str]:
    return set(definitions(source)) | BUILTIN_FUNCTIONS


def code_names(source: str) -> set[str]:
    """The names the program's code uses or gives values to (not words inside its texts)."""
    found = set()
    for node in nodes(source):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
            found.update(a.arg for a in node.args.args)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def enclosing_function(source: str, line: int | None) -> ast.FunctionDef | None:
    best = None
    for node in nodes(source):
        if isinstance(node, ast.FunctionDef) and line is not None and \
                node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def assigned_in(body: list[ast.stmt]) -> set[str]:
    """Names a block gives values to (or may change with a method, as lista.append(...))."""
    found = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                found.add(node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name):
                found.add(node.func.value.id)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                found.update(node.names)
    return found


@dataclass(frozen=True)
class Loop:
    line: int
    condition: str  # as the child wrote it
    names: tuple[str, ...]  # names in the condition, in order
    unchanged: tuple[str, ...]  # of those, the ones the body never changes
    always: bool  # while True (or another constant that is true)
    leaves: bool  # the body has a break or a return


def while_loops(source: str) -> list[Loop]:
    found = []
    for node in nodes(source):
        if not isinstance(node, ast.While):
            continue
        names = []
        calls = False
        for part in ast.walk(node.test):
            if isinstance(part, ast.Name) and part.id not in names:
                names.append(part.id)
            # A call in the condition may change by itself (input(), a function of the
            # child's): only Python's own len(), abs() ... of unchanged names do not.
            calls = calls or isinstance(part, ast.Call) and not (
                isinstance(part.func, ast.Name) and part.func.id in BUILTIN_FUNCTIONS
                and part.func.id != "input")
        changed = assigned_in(node.body)
        inner_calls = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                          and n.func.id in definitions(source)
                          for stmt in node.body for n in ast.walk(stmt))
        leaves = any(isinstance(n, (ast.Break, ast.Return))
                     for stmt in node.body for n in ast.walk(stmt))
        unchanged = () if calls or inner_calls else tuple(
            n for n in names if n not in changed and n not in BUILTIN_FUNCTIONS)
        always = isinstance(node.test, ast.Constant) and bool(node.test.value)
        found.append(Loop(node.lineno, segment(source, node.test), tuple(names), unchanged,
                          always, leaves))
    return sorted(found, key=lambda lp: lp.line)


def names_used(source: str, line: int | None) -> list[str]:
    """The names read on ``line``'s statement, in the order they are written."""
    seen: list[str] = []
    for node in sorted((n for n in on_line(source, line) if isinstance(n, ast.Name)),
                       key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(node.ctx, ast.Load) and node.id not in seen:
            seen.append(node.id)
    return seen
