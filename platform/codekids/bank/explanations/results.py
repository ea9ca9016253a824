"""Programs that finish but answer wrongly in a typical way: None printed, a question printed."""

from __future__ import annotations

import re

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


@register
class MissingReturn(Explanation):
    kind = "missing_return"
    priority = 30
    messages = {
        "default": _l(
            "Your function gives back nothing (None). Use return to give the result back, "
            "instead of print."
        ),
        "printed": _l(
            "Your program printed None. That happens when you print what a function gives back, "
            "but the function has no return."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status != "ok" or ctx.test is None:
            return None
        if ctx.test.kind == "function":
            if ctx.result.value is None and ctx.expected is not None:
                name = ctx.test.spec.get("function", "")
                return self.match(ctx, line=ctx.find_line(rf"^\s*def\s+{name}\b"))
            return None
        if isinstance(ctx.expected, str):
            printed = [line.strip() for line in ctx.result.stdout.splitlines()]
            if "None" in printed and "None" not in ctx.expected.split():
                return self.match(ctx, line=ctx.find_line(r"^\s*def\s"), variant="printed")
        return None


@register
class PromptInOutput(Explanation):
    """``input("Name: ")`` prints its question, which the expected output does not have."""

    kind = "input_prompt"
    priority = 25
    messages = {"default": _l(
        "input() prints the question between its brackets, and this exercise does not expect "
        "it. Write input() with empty brackets."
    )}

    def detect(self, ctx):
        if ctx.result.status != "ok" or ctx.test is None or ctx.test.kind != "io":
            return None
        if not isinstance(ctx.expected, str):
            return None
        for number, line in enumerate(ctx.lines, 1):
            for prompt in re.findall(r"input\(\s*(['\"])(.+?)\1\s*\)", line):
                text = prompt[1]
                if text.strip() and text in ctx.result.stdout and text not in ctx.expected:
                    return self.match(ctx, line=number)
        return None
