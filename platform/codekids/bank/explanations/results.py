"""Programs that finish but answer wrongly in a typical way: None printed, a question printed."""

from __future__ import annotations

import ast
import re

from codekids.bank.explanations import Explanation, register, source
from codekids.bank.texts import _l


def _prints_in(function: ast.FunctionDef) -> int | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
            return node.lineno
    return None


@register
class MissingReturn(Explanation):
    kind = "missing_return"
    priority = 30
    messages = {
        "default": _l(
            "Your function gives back nothing (None). Use return to give the result back, "
            "instead of print."
        ),
        "prints": _l(
            "Your function %(name)s prints its answer (line %(print_line)s) but gives back "
            "nothing. The test needs it given back: write return instead of print there."
        ),
        "printed": _l(
            "Your program printed None. That happens when you print what a function gives back, "
            "but the function has no return."
        ),
        "printed_named": _l(
            "Your program printed None: it prints what %(name)s() gives back, but %(name)s has "
            "no return, so it gives back nothing. Add return to %(name)s."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status != "ok" or ctx.test is None:
            return None
        if ctx.test.kind == "function":
            if ctx.result.value is None and ctx.expected is not None:
                name = ctx.test.spec.get("function", "")
                function = next((n for n in source.nodes(ctx.source)
                                 if isinstance(n, ast.FunctionDef) and n.name == name), None)
                line = ctx.find_line(rf"^\s*def\s+{name}\b") if function is None \
                    else function.lineno
                printed = _prints_in(function) if function is not None else None
                if printed is not None:
                    return self.match(ctx, line=line, variant="prints", name=name,
                                      print_line=printed)
                return self.match(ctx, line=line)
            return None
        if isinstance(ctx.expected, str):
            printed = [line.strip() for line in ctx.result.stdout.splitlines()]
            if "None" in printed and "None" not in ctx.expected.split():
                for node in source.nodes(ctx.source):
                    if isinstance(node, ast.FunctionDef) and not any(
                            isinstance(n, ast.Return) and n.value is not None
                            for n in ast.walk(node)):
                        return self.match(ctx, line=node.lineno, variant="printed_named",
                                          name=node.name)
                return self.match(ctx, line=ctx.find_line(r"^\s*def\s"), variant="printed")
        return None


@register
class PrintedMethodResult(Explanation):
    """``print(lista.sort())`` prints None: sort changes the list and gives back nothing."""

    kind = "printed_method_result"
    priority = 28
    messages = {"default": _l(
        "%(owner)s.%(method)s() changes the list itself and gives back nothing, so print "
        "shows None. First write %(owner)s.%(method)s() on its own line, then print(%(owner)s)."
    )}

    def detect(self, ctx):
        if ctx.result.status != "ok" or "None" not in ctx.result.stdout.split():
            return None
        if isinstance(ctx.expected, str) and "None" in ctx.expected.split():
            return None
        for node in source.nodes(ctx.source):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                for arg in node.args:
                    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
                            arg.func.attr in source.IN_PLACE:
                        owner = source.excerpt(source.segment(ctx.source, arg.func.value))
                        return self.match(ctx, line=node.lineno, owner=owner,
                                          method=arg.func.attr)
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
