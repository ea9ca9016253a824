"""Limits the program reached: time, memory, output, and input it did not get."""

from __future__ import annotations

import re

from codekids.bank.explanations import Explanation, register, source
from codekids.bank.texts import _l

LOOP_MESSAGES = {
    "unchanged": _l(
        "The loop on line %(loop_line)s, while %(condition)s, never ends: nothing inside it "
        "changes %(name)s, so the condition stays true. Change %(name)s inside the loop, "
        "for example %(name)s = %(name)s + 1."
    ),
    "forever": _l(
        "The loop on line %(loop_line)s, while %(condition)s, never stops by itself. Put a break "
        "inside it, under an if, to leave the loop."
    ),
}


def endless_loop(ctx) -> tuple[str, dict, int] | None:
    """The while loop that surely never ends: its condition's names never change in its
    body, or it is ``while True`` without a break. (variant, params, line)"""
    for loop in source.while_loops(ctx.source):
        if loop.leaves:
            continue
        if loop.unchanged:
            return "unchanged", {"condition": loop.condition, "name": loop.unchanged[0],
                                 "loop_line": loop.line}, loop.line
        if loop.always:
            return "forever", {"condition": loop.condition, "loop_line": loop.line}, loop.line
    return None


@register
class TimeLimit(Explanation):
    kind = "time_limit"
    priority = 1
    messages = {"default": _l(
        "Your program ran longer than %(seconds)s seconds. Is there a loop that never ends? "
        "Check that the loop's condition becomes false at some point."
    ), **LOOP_MESSAGES}

    def detect(self, ctx):
        if ctx.result.status != "timeout":
            return None
        found = re.search(r"(\d+(?:\.\d+)?) seconds?", ctx.message)
        seconds = found.group(1) if found else "2"
        seconds = seconds[:-2] if seconds.endswith(".0") else seconds
        loop = endless_loop(ctx)
        if loop is not None:
            variant, params, line = loop
            return self.match(ctx, line=line, variant=variant, seconds=seconds, **params)
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
    ), **LOOP_MESSAGES}

    def detect(self, ctx):
        if ctx.result.status != "output_limit":
            return None
        loop = endless_loop(ctx)
        if loop is not None:
            variant, params, line = loop
            return self.match(ctx, line=line, variant=variant, **params)
        return self.match(ctx, line=ctx.find_line(r"^\s*while\b"))


@register
class TooManyInputs(Explanation):
    kind = "too_many_inputs"
    priority = 20
    messages = {
        "default": _l(
            "input() on line %(at)s found nothing left to read: the program asks for more "
            "lines than it gets. Check how many times input() runs."
        ),
        # A free Run reads the box under the program: the commonest case is that it is empty.
        "empty_box": _l(
            "input() on line %(at)s has nothing to read: the box under the program, for the "
            "answers it reads, is empty. Write there what the program should read, one answer "
            "per line."
        ),
        "short_box": _l(
            "input() on line %(at)s found nothing left to read: the program asks for more "
            "answers than there are lines in the box under it. Add the missing answer there, "
            "one per line."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "EOFError":
            return None
        if ctx.test is None and ctx.stdin is not None:
            variant = "short_box" if ctx.stdin.strip() else "empty_box"
            return self.match(ctx, at=ctx.line, variant=variant)
        return self.match(ctx, at=ctx.line)
