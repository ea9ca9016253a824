"""Names Python does not know, and names used the wrong way."""

from __future__ import annotations

import difflib
import functools
import re

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l

# The builtins a beginner meets (the sandbox allows these and a few more).
BEGINNER_BUILTINS = (
    "print input int float str bool len range list dict set tuple abs min max sum round "
    "sorted reversed enumerate zip ord chr any all map filter isinstance type True False None"
).split()
# The two a child types most; a slip in these gets its own, gentler message.
FIRST_WORDS = ("print", "input")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEYWORDS = set("if elif else for while def return in and or not import from as pass break "
               "continue True False None".split())


def _quoted(message: str) -> str | None:
    found = re.search(r"'([^']*)'", message)
    return found.group(1) if found else None


# A wrong submission is explained once per failing test, by two explanations each,
# always with the same source and the same unknown name: difflib's comparisons were a
# sixth of a wrong Submit's CPU. Both functions are pure, so their answers are kept.


@functools.lru_cache(maxsize=64)
def program_names(source: str) -> frozenset[str]:
    return frozenset(n for n in IDENTIFIER.findall(source) if n not in KEYWORDS)


def suggestion(name: str, candidates) -> str | None:
    return _closest(name, frozenset(candidates))


@functools.lru_cache(maxsize=256)
def _closest(name: str, candidates: frozenset[str]) -> str | None:
    others = sorted(c for c in candidates if c != name)
    for c in others:
        if c.casefold() == name.casefold():
            return c
    close = difflib.get_close_matches(name, others, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown_name(ctx) -> str | None:
    if ctx.error_type != "NameError":
        return None
    return _quoted(ctx.message)


@register
class FunctionMissing(Explanation):
    """A function test calls a function the program never defines."""

    kind = "function_missing"
    priority = 5
    messages = {"default": _l(
        "Your program has no function called %(name)s. The exercise asks you to write it: "
        "def %(name)s(...):"
    )}

    def detect(self, ctx):
        name = _unknown_name(ctx)
        call = getattr(ctx.test, "spec", {}).get("function") if ctx.test else None
        if name and name == call and ctx.line is None:
            return self.match(ctx, line=None, name=name)
        return None


@register
class NameErrorExplained(Explanation):
    kind = "name_error"
    priority = 20
    messages = {
        "default": _l(
            "Python does not know the name %(name)s. Give it a value before you use it "
            "(for example %(name)s = 0), or put it in quotes if it is a text: \"%(name)s\"."
        ),
        "suggestion": _l("Python does not know the name %(name)s. Did you mean %(suggestion)s?"),
    }

    def detect(self, ctx):
        name = _unknown_name(ctx)
        if not name:
            return None
        best = suggestion(name, program_names(ctx.source) | set(BEGINNER_BUILTINS))
        if best:
            return self.match(ctx, variant="suggestion", name=name, suggestion=best)
        return self.match(ctx, name=name)


@register
class UnboundLocal(Explanation):
    kind = "unbound_local"
    priority = 15
    messages = {"default": _l(
        "Inside the function, %(name)s gets a new value, so Python treats it as the function's "
        "own variable, but here it is used before it has one. Give it a value inside the "
        "function first, or pass it in between the brackets."
    )}

    def detect(self, ctx):
        if ctx.error_type != "UnboundLocalError":
            return None
        return self.match(ctx, name=_quoted(ctx.message) or "?")


@register
class AttributeTypo(Explanation):
    kind = "attribute_typo"
    priority = 30
    messages = {
        "default": _l("A %(type)s has nothing called %(name)s. Check the spelling."),
        "suggestion": _l("A %(type)s has nothing called %(name)s. Did you mean %(suggestion)s?"),
    }

    def detect(self, ctx):
        if ctx.error_type != "AttributeError":
            return None
        found = re.match(r"'(\w+)' object has no attribute '(\w+)'", ctx.message)
        if not found:
            return None
        type_name, name = found.groups()
        methods = {"str": dir(str), "list": dir(list), "dict": dir(dict), "int": dir(int),
                   "float": dir(float), "tuple": dir(tuple), "set": dir(set)}.get(type_name, [])
        best = suggestion(name, [m for m in methods if not m.startswith("_")])
        if best:
            return self.match(ctx, variant="suggestion", type=type_name, name=name,
                              suggestion=best)
        return self.match(ctx, type=type_name, name=name)


@register
class NotCallable(Explanation):
    kind = "not_callable"
    priority = 30
    messages = {"default": _l(
        "A %(type)s is not a function, so it cannot be called with brackets (). Did you give a "
        "variable the name of a function (like int = 5)? Or is a * missing, as in 2 * (3 + 4)?"
    )}

    def detect(self, ctx):
        if ctx.error_type != "TypeError":
            return None
        found = re.match(r"'(\w+)' object is not callable", ctx.message)
        return self.match(ctx, type=found.group(1)) if found else None
