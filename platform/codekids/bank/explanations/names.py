"""Names Python does not know, and names used the wrong way."""

from __future__ import annotations

import ast
import difflib
import functools
import re

from codekids.bank.explanations import Explanation, register, runtime, source
from codekids.bank.texts import _l

# The builtins a beginner meets (the sandbox allows these and a few more).
BEGINNER_BUILTINS = (
    "print input int float str bool len range list dict set tuple abs min max sum round "
    "sorted reversed enumerate zip ord chr any all map filter isinstance type True False None"
).split()


def _quoted(message: str) -> str | None:
    found = re.search(r"'([^']*)'", message)
    return found.group(1) if found else None


# A wrong submission is explained once per failing test, by two explanations each,
# always with the same source and the same unknown name: difflib's comparisons were a
# sixth of a wrong Submit's CPU. The search is pure, so its answers are kept.


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
class UsedBeforeDefined(Explanation):
    """A name Python does not know yet, because its ``def`` (or its value) comes further down."""

    kind = "used_before_def"
    priority = 8
    messages = {
        "default": _l(
            "The function %(name)s is defined on line %(def_line)s, below this line. Python "
            "reads from top to bottom, so here it does not know %(name)s yet. Move def "
            "%(name)s above line %(here)s."
        ),
        "variable": _l(
            "%(name)s gets its value only on line %(def_line)s, below this line. Python reads "
            "from top to bottom: give %(name)s its value before you use it."
        ),
    }

    def detect(self, ctx):
        name = _unknown_name(ctx)
        if not name or ctx.line is None:
            return None
        defined = source.definitions(ctx.source).get(name)
        if defined is not None and defined > ctx.line:
            return self.match(ctx, name=name, def_line=defined, here=ctx.line)
        if source.enclosing_function(ctx.source, ctx.line) is not None:
            return None
        later = [o for o in source.origins(ctx.source, name) if o.line > ctx.line]
        if later and not [o for o in source.origins(ctx.source, name) if o.line <= ctx.line]:
            return self.match(ctx, variant="variable", name=name, def_line=later[0].line)
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
        # Only names of the code itself (from its syntax tree: a NameError means the program
        # parsed): a word inside a text is no name to suggest.
        best = suggestion(name, source.code_names(ctx.source) | set(BEGINNER_BUILTINS))
        if best:
            return self.match(ctx, variant="suggestion", name=name, suggestion=best)
        return self.match(ctx, name=name)


@register
class UnboundLocal(Explanation):
    kind = "unbound_local"
    priority = 15
    messages = {
        "default": _l(
            "Inside the function %(function)s, %(name)s gets a new value, so Python treats it "
            "as the function's own variable, but here it has no value yet. Give it a value "
            "inside %(function)s first, or pass it in between the brackets: "
            "def %(function)s(%(name)s)."
        ),
        "no_function": _l(
            "Here %(name)s has no value yet. Give it a value before this line."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "UnboundLocalError":
            return None
        name = _quoted(ctx.message) or "?"
        function = source.enclosing_function(ctx.source, ctx.line)
        if function is None:
            return self.match(ctx, variant="no_function", name=name)
        return self.match(ctx, name=name, function=function.name)


STR_METHODS = frozenset(m for m in dir(str) if not m.startswith("_"))
LIST_METHODS = frozenset(m for m in dir(list) if not m.startswith("_"))
DICT_METHODS = frozenset(m for m in dir(dict) if not m.startswith("_"))
METHODS = {"str": STR_METHODS, "list": LIST_METHODS, "dict": DICT_METHODS,
           "int": frozenset(), "float": frozenset(), "tuple": frozenset(("count", "index"))}
# Python's class name -> the variant of a message, for the kinds a child knows.
TYPE_VARIANT = {"str": "text", "list": "list", "dict": "dict", "int": "number",
                "float": "number", "tuple": "list"}


# What other languages (or a guess) call a method Python names otherwise.
OTHER_LANGUAGES = {("list", "add"): "append", ("list", "push"): "append",
                   ("str", "toUpperCase"): "upper", ("str", "toLowerCase"): "lower",
                   ("str", "trim"): "strip"}


def _attribute_error(ctx) -> tuple[str, str, str] | None:
    """``(type name, attribute, how the child wrote its owner)`` of an AttributeError."""
    if ctx.error_type != "AttributeError":
        return None
    found = re.match(r"'(\w+)' object has no attribute '(\w+)'", ctx.message)
    if not found:
        return None
    type_name, name = found.groups()
    return type_name, name, _owner(ctx, name)


def _owner(ctx, attribute: str) -> str:
    """How the child wrote the value before ``.attribute`` on the failing line."""
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Attribute) and node.attr == attribute:
            return runtime.text(ctx, node.value)
    return "?"


@register
class AttributeTypo(Explanation):
    """A method name with a slip in it: ``nume.uper()``."""

    kind = "attribute_typo"
    priority = 30
    messages = {
        "default": _l("%(owner)s has nothing called %(name)s. Check the spelling after the dot."),
        "suggestion": _l(
            "%(owner)s has nothing called %(name)s. Did you mean %(suggestion)s? Write "
            "%(owner)s.%(suggestion)s()."
        ),
    }

    def detect(self, ctx):
        found = _attribute_error(ctx)
        if not found:
            return None
        type_name, name, owner = found
        best = OTHER_LANGUAGES.get((type_name, name)) or suggestion(
            name, METHODS.get(type_name, ()))
        if best:
            return self.match(ctx, variant="suggestion", owner=owner, name=name,
                              suggestion=best)
        return self.match(ctx, owner=owner, name=name)


@register
class MethodOfAnotherKind(Explanation):
    """A list's method on a text, or a text's method on a list or a number."""

    kind = "method_of_another_kind"
    priority = 25
    messages = {
        "default": _l(
            "%(owner)s is a text, and %(name)s() works only on lists. A text cannot be "
            "changed; make a list from it with list(%(owner)s), or build a new text with +."
        ),
        "sort_text": _l(
            "%(owner)s is a text, and sort() works only on lists. sorted(%(owner)s) gives "
            "you its letters in order, as a list."
        ),
        "list": _l(
            "%(owner)s is a list, and %(name)s() works only on a text. Use it on each item "
            "of the list, with a loop: for x in %(owner)s:"
        ),
        "split_list": _l(
            "%(owner)s is already a list, so it has no split(). Use it as it is, or take one "
            "of its items: %(owner)s[0]."
        ),
        "number": _l(
            "%(owner)s is a number, and %(name)s() works only on a text or a list. Check "
            "what %(owner)s holds here."
        ),
    }

    def detect(self, ctx):
        found = _attribute_error(ctx)
        if not found:
            return None
        type_name, name, owner = found
        if type_name == "str" and name in LIST_METHODS | DICT_METHODS:
            return self.match(ctx, variant="sort_text" if name == "sort" else "default",
                              owner=owner, name=name)
        if type_name in ("list", "tuple") and name in STR_METHODS:
            return self.match(ctx, variant="split_list" if name == "split" else "list",
                              owner=owner, name=name)
        if type_name in ("int", "float") and name in STR_METHODS | LIST_METHODS:
            return self.match(ctx, variant="number", owner=owner, name=name)
        return None


def _none_origin(ctx, names) -> source.Origin | None:
    """Where one of ``names`` got None: a list method's result, or a function without
    return."""
    for name in names:
        found = source.origin(ctx.source, name, ctx.line)
        if found is not None and found.how in ("method", "call", "none"):
            return found
    return None


@register
class NothingThere(Explanation):
    """``None`` used as a value: what append/sort give back, or a function without return."""

    kind = "none_value"
    priority = 22
    messages = {
        "default": _l(
            "On line %(origin_line)s, %(name)s got what %(method)s() gives back, and that is "
            "nothing (None): %(method)s() changes the list itself. Write just "
            "%(owner)s.%(method)s(...), without %(name)s =."
        ),
        "function": _l(
            "On line %(origin_line)s, %(name)s got what %(function)s() gives back, but "
            "%(function)s has no return, so it gives back nothing (None). Add return to "
            "%(function)s."
        ),
        "plain": _l(
            "Here %(name)s holds nothing (None), so it cannot be used this way. Check where "
            "%(name)s gets its value."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type not in ("AttributeError", "TypeError") or "NoneType" not in ctx.message:
            return None
        names = [n for n in source.names_used(ctx.source, ctx.line)
                 if runtime.value(ctx, n).get("type") in (None, "none")]
        found = _none_origin(ctx, names)
        if found is not None and found.how == "method":
            owner = _method_owner(ctx, found) or found.name
            return self.match(ctx, name=found.name, origin_line=found.line,
                              method=found.detail, owner=owner)
        if found is not None and found.how == "call" and found.detail in \
                source.definitions(ctx.source):
            return self.match(ctx, variant="function", name=found.name,
                              origin_line=found.line, function=found.detail)
        known = [n for n in names if runtime.value(ctx, n).get("type") == "none"]
        if known or names:
            return self.match(ctx, variant="plain", name=(known or names)[0])
        return None


def _method_owner(ctx, found: source.Origin) -> str | None:
    for node in source.on_line(ctx.source, found.line):
        if isinstance(node, ast.Attribute) and node.attr == found.detail:
            return runtime.text(ctx, node.value)
    return None


def _called_name(ctx) -> str | None:
    """The name called on the failing line whose value is not a function."""
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            kind = runtime.value(ctx, node.func.id).get("type")
            if kind not in (None, "function"):
                return node.func.id
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                not runtime.value(ctx, node.func.id):
            found = source.origin(ctx.source, node.func.id, ctx.line)
            if found is not None and found.how not in ("def", "function"):
                return node.func.id
    return None


@register
class BuiltinOverwritten(Explanation):
    """``print = "salut"``, ``len = 3`` ... and then the name is called as Python's function."""

    kind = "builtin_overwritten"
    priority = 4
    messages = {
        "default": _l(
            "On line %(origin_line)s you gave %(name)s a new value, so here %(name)s is no "
            "longer Python's function %(name)s(). Choose another name for your variable, and "
            "%(name)s() works again."
        ),
        "refused": _l(
            "%(name)s is the name of Python's own function. If you give it a value here, "
            "%(name)s() no longer works. Choose another name for your variable."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status == "refused" and ctx.error.get("reason") == "name_not_allowed":
            name = ctx.error.get("name")
            if name in source.BUILTIN_FUNCTIONS and any(
                    o.line == ctx.line for o in source.origins(ctx.source, name)):
                return self.match(ctx, variant="refused", name=name)
            return None
        if ctx.error_type != "TypeError" or "object is not callable" not in ctx.message:
            return None
        name = _called_name(ctx)
        if name is None or name not in source.BUILTIN_FUNCTIONS:
            return None
        found = source.origin(ctx.source, name, ctx.line)
        if found is None:
            return None
        return self.match(ctx, name=name, origin_line=found.line)


@register
class FunctionNotCalled(Explanation):
    """``nume = input`` (no brackets): the name holds the function, not what it gives."""

    kind = "function_not_called"
    priority = 18
    messages = {
        "default": _l(
            "On line %(at)s you wrote %(name)s = %(function)s, without brackets, so "
            "%(name)s is the function %(function)s itself, not its answer. Write "
            "%(function)s() with brackets."
        ),
        "here": _l(
            "%(function)s is a function: to use its answer, call it with brackets: "
            "%(function)s()."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type not in ("TypeError", "AttributeError"):
            return None
        if "function" not in ctx.message and "builtin" not in ctx.message \
                and "method" not in ctx.message or "subscriptable" in ctx.message:
            return None
        for name in source.names_used(ctx.source, ctx.line):
            found = source.origin(ctx.source, name, ctx.line)
            if found is not None and found.how == "function":
                return self.match(ctx, line=found.line, at=found.line, name=name,
                                  function=found.detail)
        for name in source.names_used(ctx.source, ctx.line):
            if runtime.value(ctx, name).get("type") == "function" or (
                    name in source.function_names(ctx.source)
                    and not runtime.value(ctx, name)):
                if _used_as_value(ctx, name):
                    return self.match(ctx, variant="here", function=name)
        return None


def _used_as_value(ctx, name: str) -> bool:
    """``name`` appears on the failing line without being called."""
    called = {id(n.func) for n in runtime.nodes(ctx) if isinstance(n, ast.Call)}
    return any(isinstance(n, ast.Name) and n.id == name and id(n) not in called
               and isinstance(n.ctx, ast.Load) for n in runtime.nodes(ctx))


@register
class NotCallable(Explanation):
    kind = "not_callable"
    priority = 30
    messages = {
        "default": _l(
            "%(name)s is not a function, so it cannot be called with brackets (). Is a * "
            "missing, as in 2 * (3 + 4)? Or did a variable take the name of a function?"
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "TypeError" or "object is not callable" not in ctx.message:
            return None
        name = _called_name(ctx)
        if name is None:
            for node in runtime.nodes(ctx):
                if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
                    name = runtime.text(ctx, node.func)
                    break
        return self.match(ctx, name=name) if name else None
