"""Misspelt words: a keyword (``whiel``, ``esle``, ``fro``) Python cannot read, and a
builtin (``pritn``, ``imput``, ``Range``, ``true``) Python does not know when it runs.

A word is never "corrected" when the program gives it a value itself (``elsa = 3``) or
when it appears only inside a text: the facts come from ``source`` (tokens and AST).
A keyword is only suggested when Python itself can read the line with it.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
import tokenize

from codekids.bank.explanations import Explanation, register, source
from codekids.bank.texts import _l

# The builtins a beginner meets, and the three constants a child writes in lower case.
BUILTINS = (
    "print input int float str bool len range list dict set tuple abs min max sum round "
    "sorted reversed enumerate zip ord chr any all map filter isinstance type True False None"
).split()
# Misspellings too far from the word for the distance rule, but common.
KNOWN = {"lenght": "len", "length": "len", "lengh": "len", "lenth": "len",
         "imput": "input", "inpt": "input", "prnt": "print"}
KEYWORDS = [k for k in keyword.kwlist if k not in ("True", "False", "None")]


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, change, swap two neighbours) from ``a`` to ``b``."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def close(word: str, candidate: str, *, checked: bool = False) -> bool:
    """``word`` is a slip of ``candidate``: other capitals, or one edit (two for long
    words). A short candidate admits only two swapped letters, unless the slip is
    ``checked`` otherwise (a keyword is proposed only if Python can then read the line)."""
    if word == candidate:
        return False
    if word.casefold() == candidate.casefold():
        return True
    if min(len(word), len(candidate)) < 2:
        return False
    a, b = word.casefold(), candidate.casefold()
    if checked and distance(a, b) == 1:
        return True
    if len(candidate) <= 3:  # short words are close to many others: only two letters swapped
        return sorted(a) == sorted(b) and distance(a, b) == 1
    return distance(a, b) <= (2 if len(candidate) >= 6 else 1)


@functools.lru_cache(maxsize=256)
def closest(word: str, candidates: tuple[str, ...]) -> str | None:
    if word in KNOWN and KNOWN[word] in candidates:
        return KNOWN[word]
    for c in candidates:  # capitals first: Print is print
        if c != word and c.casefold() == word.casefold():
            return c
    found = [c for c in candidates if close(word, c)]
    return min(found, key=lambda c: distance(word.casefold(), c.casefold())) if found else None


def misspelt_builtin(word: str, program: str) -> str | None:
    """The builtin ``word`` is a slip of, unless the word is the program's own (it gets a
    value somewhere) or is as close to one of the program's own names."""
    bound = source.bound_names(program)
    if word in bound or word in BUILTINS:
        return None
    if closest(word, tuple(sorted(bound))):
        return None
    return closest(word, tuple(BUILTINS))


def _quoted(message: str) -> str | None:
    found = re.search(r"'([^']*)'", message)
    return found.group(1) if found else None


@register
class MisspeltFirstWords(Explanation):
    kind = "misspelt_builtin"
    priority = 10
    messages = {"default": _l(
        "You wrote %(name)s, but Python knows %(suggestion)s. Python is picky: every letter "
        "counts, and small and capital letters are different."
    )}

    def detect(self, ctx):
        if ctx.error_type != "NameError":
            return None
        name = _quoted(ctx.message)
        best = misspelt_builtin(name, ctx.source) if name else None
        if not best:
            return None
        if best.casefold() != name.casefold() and best[0].islower() and not _called(
                ctx, name):
            return None  # lista, suma: more likely a variable never given a value
        return self.match(ctx, name=name, suggestion=best)


def _called(ctx, name: str) -> bool:
    """``name`` is followed by an opening bracket somewhere on the failing line."""
    toks = source.line_tokens(ctx.source, ctx.line) if ctx.line else []
    return any(a.string == name and a.type == tokenize.NAME and b.string == "("
               for a, b in zip(toks, toks[1:], strict=False))


def _depths(toks):
    depth = 0
    for tok in toks:
        if tok.type == tokenize.OP and tok.string in source.CLOSING:
            depth -= 1
        yield tok, depth
        if tok.type == tokenize.OP and tok.string in source.OPENING:
            depth += 1


def _reads_further(program: str, lineno: int, tok, word: str, before) -> str | None:
    """The line with ``tok`` replaced by ``word``, when Python then reads the program
    further than before (no error, or a later one)."""
    lines = program.splitlines(keepends=True)
    text = lines[lineno - 1]
    fixed = text[: tok.start[1]] + word + text[tok.end[1]:]
    lines[lineno - 1] = fixed
    try:
        compile("".join(lines), "<child>", "exec", dont_inherit=True, flags=ast.PyCF_ONLY_AST)
    except SyntaxError as exc:
        if (exc.lineno or 0, exc.offset or 0) <= (before.lineno or 0, before.offset or 0):
            return None
    except (ValueError, RecursionError, MemoryError):
        return None
    return fixed.strip()


@register
class MisspeltKeyword(Explanation):
    kind = "misspelt_keyword"
    priority = 8
    messages = {"default": _l(
        "You wrote %(name)s, but Python knows the word %(suggestion)s. Every letter counts, "
        "and small and capital letters are different: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if facts is None or facts.type != "SyntaxError":
            return None
        lineno = facts.lineno
        toks = source.line_tokens(ctx.source, lineno)
        bound = source.bound_names(ctx.source)
        for tok, depth in _depths(toks):
            word = tok.string
            if (tok.type != tokenize.NAME or depth or keyword.iskeyword(word)
                    or word in bound or word in BUILTINS):
                continue
            for candidate in sorted((k for k in KEYWORDS if close(word, k, checked=True)),
                                    key=lambda k: distance(word.casefold(), k)):
                fixed = _reads_further(ctx.source, lineno, tok, candidate, facts)
                if fixed:
                    return self.match(ctx, line=lineno, name=word, suggestion=candidate,
                                      fixed=source.excerpt(fixed))
        return None
