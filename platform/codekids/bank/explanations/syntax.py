"""Programs Python cannot read: indentation, colons, brackets, quotes, = and ==.

Each rule starts from CPython's own SyntaxError (its message, line and columns, read
again with ``source.syntax_error`` since the sandbox sends only the line) and the
program's tokens; regular expressions read only Python's message.
"""

from __future__ import annotations

import keyword
import re
import tokenize

from codekids.bank.explanations import Explanation, register, source
from codekids.bank.texts import _l

WORDS = (tokenize.NAME, tokenize.NUMBER, tokenize.STRING)
# Signs from other keyboards and what Python writes instead.
SIGNS = {"×": "*", "÷": "/", "–": "-", "—": "-", "−": "-", "≤": "<=", "≥": ">=", "≠": "!=",
         "\u00a0": " ", "·": "*"}


def _line(ctx, lineno):
    return source.excerpt(ctx.line_text(lineno))


def _first(toks):
    return toks[0] if toks else None


def _has_tab_and_spaces(ctx) -> bool:
    indents = [line[: len(line) - len(line.lstrip())] for line in ctx.lines if line.strip()]
    return any("\t" in i for i in indents) and any(" " in i for i in indents)


@register
class UnclosedBracketEarlier(Explanation):
    """A bracket opened and never closed: Python may trip on a later line, or inside it
    on a sign that only makes sense outside (``if (x > 3:``). The child's mistake is where
    the bracket opened."""

    kind = "unclosed_bracket"
    priority = 3
    messages = {"default": _l(
        "The bracket %(bracket)s opened on this line is never closed. Every ( needs a ), "
        "every [ a ] and every { a }. Look here: %(code)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        problem = source.bracket_problem(ctx.source) if facts else None
        if not problem or problem[0] != "unclosed" or facts.msg.startswith(
                ("unterminated", "invalid character", "invalid non-printable")):
            return None  # the tokens stopped at the text or the sign Python reports
        opened = problem[1]
        if (opened.line, opened.column) >= (facts.lineno, facts.offset or 0) and not (
                facts.msg.endswith("was never closed")):
            return None
        return self.match(ctx, line=opened.line, bracket=opened.char,
                          code=_line(ctx, opened.line))


@register
class MismatchedBracket(Explanation):
    kind = "mismatched_bracket"
    priority = 20
    messages = {
        "default": _l(
            "The bracket %(bracket)s on this line has no partner. Check that every ( is "
            "closed with ), every [ with ] and every { with }, in the right order."
        ),
        "pair": _l(
            "The bracket %(opened)s (line %(opened_line)s) is closed here with %(bracket)s. "
            "Close it with %(partner)s, or open with the bracket that fits."
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts:
            return None
        found = re.match(r"(?:closing parenthesis|unmatched) '([)\]}])'", facts.msg)
        if not found:
            return None
        problem = source.bracket_problem(ctx.source)
        if problem and problem[0] == "mismatched":
            opened, closing = problem[1], problem[2]
            return self.match(ctx, line=closing.line, variant="pair", bracket=closing.char,
                              opened=opened.char, opened_line=opened.line,
                              partner=source.OPENING[opened.char])
        return self.match(ctx, bracket=found.group(1))


@register
class UnknownSign(Explanation):
    kind = "unknown_sign"
    priority = 5
    messages = {"default": _l(
        "Python does not know the sign %(char)s. Write %(instead)s instead: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        found = re.match(r"invalid (?:non-printable )?character '?(.)", facts.msg) if facts else None
        if not found:
            return None
        text = ctx.line_text(facts.lineno)
        char = text[facts.offset - 1] if facts.offset and facts.offset <= len(text) else ""
        if char not in SIGNS:
            return None
        fixed = "".join(SIGNS.get(c, c) for c in text)
        return self.match(ctx, line=facts.lineno, char=char if char.strip() else "␣",
                          instead=SIGNS[char].strip() or "␣", fixed=source.excerpt(fixed))


@register
class TabsAndSpaces(Explanation):
    kind = "tabs_and_spaces"
    priority = 9
    messages = {"default": _l(
        "This line is moved to the right with a Tab, and the lines around it with spaces. "
        "Python counts them differently: use only spaces (4 for each step)."
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts:
            return None
        if facts.type == "TabError" or (
                "unindent does not match" in facts.msg and _has_tab_and_spaces(ctx)):
            return self.match(ctx, line=facts.lineno)
        return None


@register
class IndentationExpected(Explanation):
    kind = "indentation_expected"
    priority = 10
    messages = {
        "default": _l(
            "After a line that ends with a colon (:), the lines that belong to it must be "
            "moved to the right with spaces (usually 4). Indent this line."
        ),
        "after": _l(
            "The lines that belong to line %(above)s (%(code)s) must be moved to the right "
            "with 4 spaces. Indent this line."
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("expected an indented"):
            return None
        found = re.search(r"on line (\d+)", facts.msg)
        if found:
            above = int(found.group(1))
            return self.match(ctx, line=facts.lineno, variant="after", above=above,
                              code=_line(ctx, above))
        return self.match(ctx, line=facts.lineno)


@register
class IndentationUnexpected(Explanation):
    kind = "indentation_unexpected"
    priority = 10
    messages = {"default": _l(
        "This line is moved to the right, but nothing above asks for it. Move it back to "
        "the left, in line with the line above: %(code)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if facts and facts.msg.startswith("unexpected indent"):
            return self.match(ctx, line=facts.lineno, code=_line(ctx, facts.lineno))
        return None


@register
class IndentationMismatch(Explanation):
    kind = "indentation_mismatch"
    priority = 10
    messages = {"default": _l(
        "This line does not line up with the lines above. Use the same number of spaces "
        "as the other lines of its block: %(code)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if facts and "unindent does not match" in facts.msg:
            return self.match(ctx, line=facts.lineno, code=_line(ctx, facts.lineno))
        return None


@register
class ElseWithCondition(Explanation):
    kind = "else_with_condition"
    priority = 8
    messages = {"default": _l(
        "After else comes only a colon: else means \"in every other case\". To check "
        "another condition, write elif: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or facts.msg != "expected ':'":
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        if len(toks) < 2 or toks[0].string != "else" or toks[1].string == ":":
            return None
        rest = toks[2:] if toks[1].string == "if" else toks[1:]
        text = ctx.line_text(facts.lineno)
        condition = text[rest[0].start[1]:].rstrip() if rest else ""
        if not condition.endswith(":"):
            condition += ":"
        return self.match(ctx, line=facts.lineno, fixed="elif " + source.excerpt(condition))


@register
class ElseWithoutIf(Explanation):
    kind = "else_without_if"
    priority = 8
    messages = {"default": _l(
        "This %(word)s has no if above it. An %(word)s belongs right after the lines of an "
        "if, lined up with that if."
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("invalid syntax"):
            return None
        first = _first(source.line_tokens(ctx.source, facts.lineno))
        toks = source.line_tokens(ctx.source, facts.lineno)
        after = toks[1].string if len(toks) > 1 else ""
        if first is not None and first.string in ("else", "elif") and after != "=" and (
                facts.offset == first.start[1] + 1):
            return self.match(ctx, line=facts.lineno, word=first.string)
        return None


@register
class MissingColon(Explanation):
    kind = "missing_colon"
    priority = 20
    messages = {
        "default": _l(
            "A colon (:) is missing at the end of this line. Lines that start with if, elif, "
            "else, for, while or def end with a colon."
        ),
        "word": _l(
            "A line that starts with %(word)s ends with a colon (:). Add it at the end: "
            "%(fixed)s"
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("expected ':'"):
            return None
        first = _first(source.line_tokens(ctx.source, facts.lineno))
        if first is not None and keyword.iskeyword(first.string):
            fixed = ctx.line_text(facts.lineno).rstrip() + ":"
            return self.match(ctx, line=facts.lineno, variant="word", word=first.string,
                              fixed=source.excerpt(fixed))
        return self.match(ctx, line=facts.lineno)


@register
class DefWithoutBrackets(Explanation):
    kind = "def_without_brackets"
    priority = 20
    messages = {"default": _l(
        "After the name of a function come brackets, even when it takes nothing: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or facts.msg != "expected '('":
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        if len(toks) < 2 or toks[0].string != "def" or toks[1].type != tokenize.NAME:
            return None
        return self.match(ctx, line=facts.lineno, fixed=f"def {toks[1].string}():")


@register
class CallWithoutBrackets(Explanation):
    """``range 5``, ``int input()``: a function written before its value, without the
    brackets that would give it the value."""

    kind = "call_without_brackets"
    priority = 20
    messages = {"default": _l(
        "%(name)s needs brackets around what it works on: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("invalid syntax") or not facts.offset:
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        for before, tok in zip(toks, toks[1:], strict=False):
            if tok.start[1] + 1 != facts.offset:
                continue
            if (before.type == tokenize.NAME and before.string in CALLABLE
                    and tok.type in WORDS and not keyword.iskeyword(tok.string)):
                text = ctx.line_text(facts.lineno)
                end = _argument_end(toks, tok)
                fixed = f"{before.string}({text[tok.start[1]:end].strip()})"
                return self.match(ctx, line=facts.lineno, name=before.string, fixed=fixed)
        return None


CALLABLE = ("range", "int", "float", "str", "len", "input", "abs", "sum", "min", "max",
            "round", "sorted", "list")


def _argument_end(toks, start):
    """Where a call's value would end: the rest of the line up to a colon, or one
    word and the brackets right after it (``int input()``)."""
    i = toks.index(start)
    depth = 0
    for tok in toks[i:]:
        if tok.type == tokenize.OP and tok.string in source.OPENING:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in source.CLOSING:
            depth -= 1
            if depth < 0:
                return tok.start[1]
        elif depth == 0 and tok.type == tokenize.OP and tok.string in (":", ","):
            return tok.start[1]
    return toks[-1].end[1]


@register
class AssignInCondition(Explanation):
    kind = "assign_in_condition"
    priority = 20
    messages = {
        "default": _l(
            "To check whether two things are equal, use == (two equal signs). A single = "
            "gives a value to a variable."
        ),
        "named": _l(
            "To check whether two things are equal, use == (two equal signs). A single = "
            "gives a value to a variable. Write: %(fixed)s"
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or "Maybe you meant '=='" not in facts.msg:
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        first = _first(toks)
        if "cannot assign" in facts.msg and (first is None or first.string not in (
                "if", "elif", "while")):
            return None  # x + 1 = y: a value given to something that is not a name
        text = ctx.line_text(facts.lineno)
        equals = [t for t in toks if t.type == tokenize.OP and t.string == "="]
        if not equals:
            return self.match(ctx, line=facts.lineno)
        fixed = text
        for tok in reversed(equals):
            fixed = fixed[: tok.start[1]] + "==" + fixed[tok.end[1]:]
        return self.match(ctx, line=facts.lineno, variant="named",
                          fixed=source.excerpt(fixed))


@register
class AssignToExpression(Explanation):
    kind = "assign_to_expression"
    priority = 20
    messages = {
        "default": _l(
            "On the left of = goes only the name of a variable, the one that gets the value. "
            "%(left)s is not a name. Perhaps: %(fixed)s"
        ),
        "plain": _l(
            "On the left of = goes only the name of a variable, the one that gets the value. "
            "%(left)s is not a name."
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("cannot assign to"):
            return None
        text = ctx.line_text(facts.lineno)
        toks = source.line_tokens(ctx.source, facts.lineno)
        equals = [t for t in toks if t.type == tokenize.OP and t.string == "="]
        if len(equals) != 1:
            return None
        left = text[: equals[0].start[1]].strip()
        right = text[equals[0].end[1]:].strip()
        right_toks = [t for t in toks if t.start[1] >= equals[0].end[1]]
        if len(right_toks) == 1 and right_toks[0].type == tokenize.NAME:
            return self.match(ctx, line=facts.lineno, left=left,
                              fixed=source.excerpt(f"{right} = {left}"))
        return self.match(ctx, line=facts.lineno, variant="plain", left=left)


@register
class KeywordAsName(Explanation):
    kind = "keyword_as_name"
    priority = 15
    messages = {"default": _l(
        "%(word)s is one of Python's own words (like if, for and while), so it cannot be the "
        "name of a variable. Choose another name."
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith(("invalid syntax", "cannot assign to")):
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        for tok, after in zip(toks, toks[1:], strict=False):
            if (keyword.iskeyword(tok.string) and after.type == tokenize.OP
                    and after.string in ("=", "+=", "-=")):
                return self.match(ctx, line=facts.lineno, word=tok.string)
        return None


@register
class PlusPlus(Explanation):
    kind = "plus_plus"
    priority = 15
    messages = {"default": _l(
        "Python has no %(sign)s. To change %(name)s by 1, write: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("invalid syntax"):
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        for a, b, c in zip(toks, toks[1:], toks[2:], strict=False):
            if (a.type == tokenize.NAME and b.string == c.string and b.string in "+-"
                    and b.end == c.start):
                sign = b.string * 2
                return self.match(ctx, line=facts.lineno, sign=sign, name=a.string,
                                  fixed=f"{a.string} {b.string}= 1")
        return None


@register
class MissingComma(Explanation):
    kind = "missing_comma"
    priority = 20
    messages = {"default": _l(
        "Between %(left)s and %(right)s a comma is missing. Separate the things in a list or "
        "between brackets with commas: %(fixed)s"
    )}

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or "Perhaps you forgot a comma" not in facts.msg:
            return None
        toks = source.line_tokens(ctx.source, facts.lineno)
        start = facts.offset or 0
        end = facts.end_offset if facts.end_lineno == facts.lineno else None
        # Each token with the bracket it stands in: the commas go between the things of
        # the bracket where Python missed the first one.
        stack, where = [None], []
        for i, tok in enumerate(toks):
            if tok.type == tokenize.OP and tok.string in source.CLOSING and len(stack) > 1:
                stack.pop()
            where.append(stack[-1])
            if tok.type == tokenize.OP and tok.string in source.OPENING:
                stack.append(i)

        def missing(i):
            a, b = toks[i], toks[i + 1]
            return (where[i] == where[i + 1] and (a.type in WORDS or a.string in source.CLOSING)
                    and b.type in WORDS and not keyword.iskeyword(a.string)
                    and not keyword.iskeyword(b.string))

        found = [i for i in range(len(toks) - 1) if missing(i)]
        first = [i for i in found if toks[i].start[1] + 1 >= start
                 and (end is None or toks[i + 1].end[1] <= end)]
        if not first:
            return None
        pairs = [(toks[i], toks[i + 1]) for i in found if where[i] == where[first[0]]]
        text = ctx.line_text(facts.lineno)
        fixed = text
        for a, _ in reversed(pairs):
            fixed = fixed[: a.end[1]] + "," + fixed[a.end[1]:]
        return self.match(ctx, line=facts.lineno, left=pairs[0][0].string,
                          right=pairs[0][1].string, fixed=source.excerpt(fixed, 50))


@register
class UnterminatedString(Explanation):
    kind = "unterminated_string"
    priority = 20
    messages = {
        "default": _l(
            "A text starts with a quote on this line but never ends. Close it with the same "
            "quote: \"like this\"."
        ),
        "quote": _l(
            "The text that starts with %(quote)s here never ends. Close it with the same "
            "sign, %(quote)s, where the text ends: %(code)s"
        ),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith(("unterminated string",
                                                  "unterminated triple-quoted")):
            return None
        text = ctx.line_text(facts.lineno)
        start = (facts.offset or 1) - 1
        rest = text[start:]
        for quote in ('"""', "'''", '"', "'"):
            if rest.lstrip("rbfuRBFU").startswith(quote):
                return self.match(ctx, line=facts.lineno, variant="quote", quote=quote,
                                  code=source.excerpt(text))
        return self.match(ctx, line=facts.lineno)


@register
class PrintWithoutBrackets(Explanation):
    kind = "print_without_brackets"
    priority = 20
    messages = {
        "default": _l("print needs brackets around what it prints: print(\"Hello\")."),
        "fixed": _l("print needs brackets around what it prints: %(fixed)s"),
    }

    def detect(self, ctx):
        facts = ctx.syntax
        if not facts or not facts.msg.startswith("Missing parentheses in call to 'print'"):
            return None
        text = ctx.line_text(facts.lineno).strip()
        if text.startswith("print") and text[5:6].isspace():
            return self.match(ctx, line=facts.lineno, variant="fixed",
                              fixed=source.excerpt(f"print({text[5:].strip()})", 50))
        return self.match(ctx, line=facts.lineno)


@register
class SyntaxErrorGeneral(Explanation):
    """No rule knows this error: say where Python stopped reading, and guess no cause."""

    kind = "syntax_error"
    priority = 90
    messages = {
        "default": _l("Python cannot read this line. It stopped here: %(near)s"),
        "line": _l("Python cannot read this line: %(code)s"),
    }

    def detect(self, ctx):
        if not ctx.is_syntax_error:
            return None
        facts = ctx.syntax
        lineno = facts.lineno if facts and facts.lineno else ctx.line
        text = ctx.line_text(lineno)
        if not text.strip():
            return self.match(ctx, line=lineno, variant="line", code="…")
        column = (facts.offset if facts else None) or 0
        near = text[column - 1:].strip() if 1 <= column <= len(text) else ""
        if near:
            return self.match(ctx, line=lineno, near=source.excerpt(near, 20))
        return self.match(ctx, line=lineno, variant="line", code=source.excerpt(text))
