"""Text a child meant to show: written without quotes (``print(Bună ziua!)``,
``print(Salut)``), or with quotes pasted from a document (``„Bună”``).

Which words are the child's own names is read from the program (``source``); the text
between the brackets is shown back to the child with quotes around it.
"""

from __future__ import annotations

import keyword
import re
import tokenize

from codekids.bank.explanations import Explanation, register, source
from codekids.bank.explanations.spelling import (
    BUILTINS,
    closest,
    misspelt_builtin,
)
from codekids.bank.texts import _l

# Quotes from word processors and keyboards in other languages, and what to type instead.
DOUBLE = "„”“‟″«»"
SINGLE = "‘’‚‛′‹›´`"
# Signs that may stand between the words of a sentence.
PUNCTUATION = set(",.!?:;-") | {"'"}
CALLS = ("print", "input")


def _fixed_quotes(text: str) -> str:
    return "".join('"' if c in DOUBLE else "'" if c in SINGLE else c for c in text)


def _quote(text: str) -> str:
    return f"'{text}'" if '"' in text else f'"{text}"'


@register
class TypographicQuote(Explanation):
    kind = "typographic_quote"
    priority = 5
    messages = {"default": _l(
        "The sign %(char)s is a quote from a text editor, and Python does not know it. Use "
        "the quotes from the keyboard, \" or ': %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if facts is None:
            return None
        found = re.match(r"invalid character '(.)'", facts.msg)
        char = found.group(1) if found else None
        if char is None and facts.msg.startswith("invalid syntax") and facts.offset:
            text = ctx.line_text(facts.lineno)
            char = text[facts.offset - 1: facts.offset] or None
        if not char or char not in DOUBLE + SINGLE:
            return None
        fixed = _fixed_quotes(ctx.line_text(facts.lineno))
        return self.match(ctx, line=facts.lineno, char=char, fixed=source.excerpt(fixed))


def _unknown(word: str, program: str) -> bool:
    """A word that is no name of the program's (nothing gives it a value) nor Python's."""
    bound = source.bound_names(program)
    return (word not in bound and word not in BUILTINS
            and not closest(word, tuple(sorted(bound))) and not misspelt_builtin(word, program))


def _region(toks, column: int | None):
    """The tokens a child's sentence may be in: inside the brackets of a call that hold
    ``column`` (or of the first call on the line), else after the line's first ``=``.
    Returns (tokens, start column, end column, the call's name or None)."""
    stack = []
    pairs = []
    for i, tok in enumerate(toks):
        if tok.type == tokenize.OP and tok.string in source.OPENING:
            stack.append(i)
        elif tok.type == tokenize.OP and tok.string in source.CLOSING and stack:
            pairs.append((stack.pop(), i))
    pairs += [(i, len(toks)) for i in stack]  # brackets still open at the end of the line
    calls = [(o, c) for o, c in pairs
             if toks[o].string == "(" and o and toks[o - 1].type == tokenize.NAME
             and not keyword.iskeyword(toks[o - 1].string)
             and not (o > 1 and toks[o - 2].string in ("def", "class"))]
    if column is not None:
        holding = [(o, c) for o, c in calls
                   if toks[o].start[1] < column and (c == len(toks) or column <= toks[c].end[1])]
        calls = sorted(holding, key=lambda p: p[1] - p[0]) or calls
    if calls:
        o, c = calls[0]
        end = toks[c].start[1] if c < len(toks) else toks[-1].end[1]
        return toks[o + 1: c], toks[o].end[1], end, toks[o - 1].string
    for i, tok in enumerate(toks):
        if tok.type == tokenize.OP and tok.string == "=" and i + 1 < len(toks):
            rest = toks[i + 1:]
            return rest, tok.end[1], rest[-1].end[1], None
    return None


def _sentence(toks, program: str) -> bool:
    """Words and numbers (and a sentence's signs) with more unknown words than names
    the program knows: a sentence, not code."""
    words = [t for t in toks if t.type in (tokenize.NAME, tokenize.NUMBER)]
    for tok in toks:
        if tok.type in (tokenize.NAME, tokenize.NUMBER):
            continue
        if tok.type in (tokenize.OP, tokenize.ERRORTOKEN) and tok.string.strip() in PUNCTUATION:
            continue
        if tok.type == tokenize.ERRORTOKEN and not tok.string.strip():
            continue
        return False
    names = [t.string for t in words if t.type == tokenize.NAME]
    unknown = [n for n in names if keyword.iskeyword(n) or _unknown(n, program)]
    return bool(unknown) and len(unknown) * 2 >= len(names) and len(toks) >= 2


def _alone(inside, tok) -> bool:
    """``tok`` is a whole argument by itself: commas (or the brackets) on both sides."""
    i = inside.index(tok)
    before = inside[i - 1].string if i else ","
    after = inside[i + 1].string if i + 1 < len(inside) else ","
    return before == "," and after == ","


@register
class TextWithoutQuotes(Explanation):
    kind = "text_without_quotes"
    priority = 6
    messages = {"default": _l(
        "To show a text, put it between quotes, otherwise Python thinks %(word)s is a "
        "name from your program. Write: %(fixed)s"
    )}

    def detect(self, ctx):
        if ctx.is_syntax_error:
            return self._syntax(ctx)
        if ctx.error_type == "NameError":
            return self._name(ctx)
        return None

    def _answer(self, ctx, lineno, region, word):
        toks, start, end, _ = region
        text = ctx.line_text(lineno)
        raw = text[start:end]
        inside = raw.strip()
        lead = raw[: len(raw) - len(raw.lstrip())]
        fixed = text[:start] + lead + _quote(inside) + text[start + len(lead) + len(inside):]
        return self.match(ctx, line=lineno, word=word, fixed=source.excerpt(fixed, 50))

    def _syntax(self, ctx):
        facts = ctx.syntax
        if facts is None or facts.type != "SyntaxError":
            return None
        if not facts.msg.startswith("invalid syntax"):
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        region = _region(toks, facts.offset)
        if region is None or not region[0] or not _sentence(region[0], ctx.source):
            return None
        first = next(t.string for t in region[0] if t.type == tokenize.NAME)
        return self._answer(ctx, facts.lineno, region, first)

    def _name(self, ctx):
        found = re.search(r"name '([^']+)' is not defined", ctx.message)
        if not found or ctx.line is None:
            return None
        word = found.group(1)
        if not _unknown(word, ctx.source):
            return None
        toks = source.line_tokens(ctx.source, ctx.line)
        for tok in toks:
            if tok.type != tokenize.NAME or tok.string != word:
                continue
            region = _region(toks, tok.start[1] + 1)
            if region is None or not any(t.string == word for t in region[0]):
                continue
            inside, _, _, call = region
            words = [t for t in inside if t.string != ","]
            if call in CALLS and all(t.type == tokenize.NAME and _unknown(t.string, ctx.source)
                                     for t in words):
                return self._answer(ctx, ctx.line, region, word)
            if call in CALLS and _alone(inside, tok):  # print("Salut", nume): this word only
                return self._answer(ctx, ctx.line, ([tok], tok.start[1], tok.end[1], call),
                                    word)
            if (call is None and len(inside) == 1
                    and (word[0].isupper() or not word.isascii())):
                return self._answer(ctx, ctx.line, region, word)
        return None
