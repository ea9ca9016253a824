"""Facts about the child's program, read with Python's own tools (``tokenize``, ``ast``,
``compile``), never with regular expressions over the code.

Every function takes the source text and is cached: a wrong submission is explained once
per failing test, always with the same source. Nothing here runs the child's code:
``compile`` only parses it (the sandbox already did the same, so a source that reaches
here is at most the sandbox's source limit).
"""

from __future__ import annotations

import ast
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
