"""Programs Python cannot read: indentation, colons, brackets, quotes, = and ==."""

from __future__ import annotations

import re

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


def _syntax(ctx) -> bool:
    return ctx.error_type in ("SyntaxError", "IndentationError", "TabError")


@register
class IndentationExpected(Explanation):
    kind = "indentation_expected"
    priority = 10
    messages = {"default": _l(
        "After a line that ends with a colon (:), the lines that belong to it must be moved to "
        "the right with spaces (usually 4). Indent this line."
    )}

    def detect(self, ctx):
        if ctx.error_type == "IndentationError" and ctx.message.startswith("expected an indented"):
            return self.match(ctx)
        return None


@register
class IndentationUnexpected(Explanation):
    kind = "indentation_unexpected"
    priority = 10
    messages = {"default": _l(
        "This line is moved to the right, but nothing above asks for it. Move it back to the "
        "left, in line with the line above."
    )}

    def detect(self, ctx):
        if ctx.error_type == "IndentationError" and ctx.message.startswith("unexpected indent"):
            return self.match(ctx)
        return None


@register
class IndentationMismatch(Explanation):
    kind = "indentation_mismatch"
    priority = 10
    messages = {"default": _l(
        "This line does not line up with the lines above. Use the same number of spaces as "
        "the other lines of its block."
    )}

    def detect(self, ctx):
        if ctx.error_type in ("IndentationError", "TabError") and (
            "unindent does not match" in ctx.message or "inconsistent use of tabs" in ctx.message
        ):
            return self.match(ctx)
        return None


@register
class MissingColon(Explanation):
    kind = "missing_colon"
    priority = 20
    messages = {"default": _l(
        "A colon (:) is missing at the end of this line. Lines that start with if, elif, else, "
        "for, while or def end with a colon."
    )}

    def detect(self, ctx):
        if _syntax(ctx) and ctx.message.startswith("expected ':'"):
            return self.match(ctx)
        return None


@register
class AssignInCondition(Explanation):
    kind = "assign_in_condition"
    priority = 20
    messages = {"default": _l(
        "To check whether two things are equal, use == (two equal signs). A single = gives a "
        "value to a variable."
    )}

    def detect(self, ctx):
        if _syntax(ctx) and "Maybe you meant '=='" in ctx.message:
            return self.match(ctx)
        return None


@register
class UnclosedBracket(Explanation):
    kind = "unclosed_bracket"
    priority = 20
    messages = {"default": _l(
        "The bracket %(bracket)s opened on this line is never closed. Every ( needs a ), every "
        "[ a ] and every { a }."
    )}

    def detect(self, ctx):
        found = re.match(r"'([(\[{])' was never closed", ctx.message) if _syntax(ctx) else None
        return self.match(ctx, bracket=found.group(1)) if found else None


@register
class MismatchedBracket(Explanation):
    kind = "mismatched_bracket"
    priority = 20
    messages = {"default": _l(
        "The bracket %(bracket)s on this line has no partner. Check that every ( is closed "
        "with ), every [ with ] and every { with }, in the right order."
    )}

    def detect(self, ctx):
        if not _syntax(ctx):
            return None
        found = re.match(r"(?:closing parenthesis|unmatched) '([)\]}])'", ctx.message)
        return self.match(ctx, bracket=found.group(1)) if found else None


@register
class UnterminatedString(Explanation):
    kind = "unterminated_string"
    priority = 20
    messages = {"default": _l(
        "A text starts with a quote on this line but never ends. Close it with the same quote: "
        "\"like this\"."
    )}

    def detect(self, ctx):
        if _syntax(ctx) and ctx.message.startswith(("unterminated string",
                                                    "unterminated triple-quoted")):
            return self.match(ctx)
        return None


@register
class PrintWithoutBrackets(Explanation):
    kind = "print_without_brackets"
    priority = 20
    messages = {"default": _l(
        "print needs brackets around what it prints: print(\"Hello\")."
    )}

    def detect(self, ctx):
        if _syntax(ctx) and ctx.message.startswith("Missing parentheses in call to 'print'"):
            return self.match(ctx)
        return None


@register
class SyntaxErrorGeneral(Explanation):
    kind = "syntax_error"
    priority = 90
    messages = {"default": _l(
        "Python cannot read this line. Look for a missing or extra sign: a bracket, a quote, a "
        "comma or a colon. Sometimes the mistake is at the end of the line above."
    )}

    def detect(self, ctx):
        return self.match(ctx) if _syntax(ctx) else None
