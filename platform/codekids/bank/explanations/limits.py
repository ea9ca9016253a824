"""Limits the program reached: time, memory, output, and input it did not get."""

from __future__ import annotations

import re

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


@register
class TimeLimit(Explanation):
    kind = "time_limit"
    priority = 1
    messages = {"default": _l(
        "Your program ran longer than %(seconds)s seconds. Is there a loop that never ends? "
        "Check that the loop's condition becomes false at some point."
    )}

    def detect(self, ctx):
        if ctx.result.status != "timeout":
            return None
        found = re.search(r"(\d+(?:\.\d+)?) seconds?", ctx.message)
        seconds = found.group(1) if found else "2"
        seconds = seconds[:-2] if seconds.endswith(".0") else seconds
        return self.match(ctx, line=ctx.find_line(r"^\s*while\b"), seconds=seconds)


@register
class MemoryLimit(Explanation):
    kind = "memory_limit"
    priority = 1
    messages = {"default": _l(
        "Your program used too much memory. Is a list growing forever, or is a number or a "
        "text enormous?"
    )}

    def detect(self, ctx):
        if ctx.result.status == "memory" or ctx.error_type == "MemoryError":
            return self.match(ctx)
        return None


@register
class OutputLimit(Explanation):
    kind = "output_limit"
    priority = 1
    messages = {"default": _l(
        "Your program printed far too much. Is there a print inside a loop that never ends?"
    )}

    def detect(self, ctx):
        if ctx.result.status == "output_limit":
            return self.match(ctx, line=ctx.find_line(r"^\s*while\b"))
        return None


@register
class TooManyInputs(Explanation):
    kind = "too_many_inputs"
    priority = 20
    messages = {"default": _l(
        "The program asks for more input than it gets: input() is called more times than there "
        "are lines to read. Check how many times input() runs."
    )}

    def detect(self, ctx):
        return self.match(ctx) if ctx.error_type == "EOFError" else None
