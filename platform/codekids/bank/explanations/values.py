"""Values of the wrong kind, or missing: text and numbers, lists, dictionaries, division."""

from __future__ import annotations

import re

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


def _type_error(ctx, pattern: str):
    return re.search(pattern, ctx.message) if ctx.error_type == "TypeError" else None


@register
class ConcatTextAndNumber(Explanation):
    kind = "concat_text_number"
    priority = 20
    messages = {"default": _l(
        "You are joining a text and a number with +. Turn the number into text first with "
        "str(...), or print them with a comma between: print(\"Age:\", age)."
    )}

    def detect(self, ctx):
        return self.match(ctx) if _type_error(ctx, r"can only concatenate str") else None


@register
class AddNumberAndText(Explanation):
    kind = "add_number_text"
    priority = 20
    messages = {"default": _l(
        "You are adding a number and a text. If the text comes from input(), turn it into a "
        "number first: int(input())."
    )}

    def detect(self, ctx):
        found = _type_error(ctx, r"unsupported operand type\(s\) for [+-]=?: '(int|float)' and 'str'")
        return self.match(ctx) if found else None


@register
class TextWhereNumberNeeded(Explanation):
    kind = "text_as_number"
    priority = 20
    messages = {"default": _l(
        "A whole number is needed here, but this is a text. If it comes from input(), use "
        "int(input())."
    )}

    def detect(self, ctx):
        found = _type_error(ctx, r"'str' object cannot be interpreted as an integer|"
                                 r"can't multiply sequence by non-int of type 'str'")
        return self.match(ctx) if found else None


@register
class CompareTextAndNumber(Explanation):
    kind = "compare_text_number"
    priority = 20
    messages = {"default": _l(
        "You are comparing a text with a number. If the text comes from input(), turn it into "
        "a number first with int()."
    )}

    def detect(self, ctx):
        found = _type_error(ctx, r"'[<>]=?' not supported between instances of "
                                 r"(?:'str' and '(?:int|float)'|'(?:int|float)' and 'str')")
        return self.match(ctx) if found else None


@register
class UnsupportedOperand(Explanation):
    kind = "unsupported_operand"
    priority = 40
    messages = {"default": _l(
        "The sign %(op)s cannot be used between a %(left)s and a %(right)s. Check what kind of "
        "value each one is."
    )}

    def detect(self, ctx):
        found = _type_error(ctx, r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'")
        if not found:
            found = _type_error(ctx, r"'([^']+)' not supported between instances of "
                                     r"'(\w+)' and '(\w+)'")
        if not found:
            return None
        op, left, right = found.groups()
        return self.match(ctx, op=op, left=left, right=right)


@register
class WrongArgumentCount(Explanation):
    kind = "wrong_argument_count"
    priority = 20
    messages = {"default": _l(
        "The function %(name)s got the wrong number of values. Give it as many values as there "
        "are names between the brackets of its def line."
    )}

    def detect(self, ctx):
        found = _type_error(ctx, r"^(\w+)\(\) (?:missing \d+ required|takes \d+ positional"
                                 r"|takes from \d+ to \d+|takes no arguments|got an unexpected)")
        return self.match(ctx, name=found.group(1)) if found else None


@register
class TextToNumber(Explanation):
    kind = "number_from_text"
    priority = 20
    secret_params = ("text",)
    messages = {"default": _l(
        "int() and float() can turn only digits into a number, but they got %(text)s. Check "
        "what the program reads, and that you read the right line."
    )}

    def detect(self, ctx):
        if ctx.error_type != "ValueError":
            return None
        found = re.match(r"(?:invalid literal for int\(\) with base \d+|"
                         r"could not convert string to float): (.*)$", ctx.message, re.S)
        return self.match(ctx, text=found.group(1)) if found else None


@register
class IndexOutOfRange(Explanation):
    kind = "index_error"
    priority = 20
    messages = {"default": _l(
        "There is nothing at this position. Positions start at 0, so the last one is "
        "len(...) - 1. Check the number between the square brackets."
    )}

    def detect(self, ctx):
        return self.match(ctx) if ctx.error_type == "IndexError" else None


@register
class MissingKey(Explanation):
    kind = "key_error"
    priority = 20
    secret_params = ("key",)
    messages = {"default": _l(
        "The dictionary has no key %(key)s. Check the spelling, or add the key before you "
        "read it."
    )}

    def detect(self, ctx):
        return self.match(ctx, key=ctx.message or "?") if ctx.error_type == "KeyError" else None


@register
class DivisionByZero(Explanation):
    kind = "zero_division"
    priority = 20
    messages = {"default": _l(
        "You divided by zero, and nobody can do that, not even a computer. Check that the "
        "number you divide by is not 0."
    )}

    def detect(self, ctx):
        return self.match(ctx) if ctx.error_type == "ZeroDivisionError" else None


@register
class EndlessRecursion(Explanation):
    kind = "recursion_error"
    priority = 20
    messages = {"default": _l(
        "The function calls itself again and again and never stops. It needs a case where it "
        "returns without calling itself."
    )}

    def detect(self, ctx):
        return self.match(ctx) if ctx.error_type == "RecursionError" else None
