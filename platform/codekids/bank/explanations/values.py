"""Values of the wrong kind, or missing: text and numbers, lists, dictionaries, division.

Each names what is in the child's program: the name, where it got its value, the value
the sandbox saw at the failing line (``runtime``), the sign used.
"""

from __future__ import annotations

import ast
import re

from codekids.bank.explanations import Explanation, register, runtime, source
from codekids.bank.texts import _l


def _type_error(ctx, pattern: str):
    return re.search(pattern, ctx.message) if ctx.error_type == "TypeError" else None


ADD = (ast.Add,)
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
NUMBER_FROM_INPUT = (
    r"can only concatenate str \(not \"(?:int|float)\"\) to str",
    r"unsupported operand type\(s\) for .+: '(?:str' and '(?:int|float)|(?:int|float)' and 'str)'",
    # Two texts read with input() and subtracted or divided: a + b would join them.
    r"unsupported operand type\(s\) for [^+:]+: 'str' and 'str'",
    r"'str' object cannot be interpreted as an integer",
    r"not supported between instances of '(?:str' and '(?:int|float)|(?:int|float)' and 'str)'",
    r"not all arguments converted during string formatting",
    r"can't multiply sequence by non-int of type 'str'",
)


@register
class InputNotANumber(Explanation):
    """``n = input()`` and then ``n + 1``, ``range(n)``, ``n > 5``, ``n % 2``, ``n * 2``."""

    kind = "input_not_number"
    priority = 17
    messages = {
        "default": _l(
            "%(name)s came from input() on line %(origin_line)s, so it is a text, even if "
            "it looks like a number. To count with it, turn it into a number: "
            "%(name)s = int(input())."
        ),
        "repeated": _l(
            "%(name)s came from input() on line %(origin_line)s, so it is a text: * repeats "
            "the text instead of multiplying the number. Write %(name)s = int(input())."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status == "ok":
            return self._repeated(ctx)
        if not any(_type_error(ctx, p) for p in NUMBER_FROM_INPUT):
            return None
        found = runtime.from_input(ctx, _operands(ctx))
        if found is None:
            return None
        name, origin = found
        return self.match(ctx, name=name, origin_line=origin.line)

    def _repeated(self, ctx):
        """``print(n * 2)`` prints 33 for 3: a wrong answer, not an error."""
        if ctx.test is None or getattr(ctx.test, "kind", "") != "io":
            return None
        if not isinstance(ctx.expected, str) or ctx.result.stdout == ctx.expected:
            return None
        for node in source.nodes(ctx.source):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(side, ast.Name) and isinstance(other, ast.Constant) and \
                            isinstance(other.value, int):
                        found = source.origin(ctx.source, side.id, node.lineno)
                        if found is not None and found.how == "input":
                            return self.match(ctx, line=node.lineno, name=side.id,
                                              origin_line=found.line)
        return None


def _operands(ctx) -> list[str]:
    """Names used directly as a number on the failing line: a side of + - * / % or of a
    comparison whose other side is not a text (or is also a text read with input()), or
    what range() gets. ``"Age " + len(name)`` uses len's answer, not ``name``."""
    found: list[str] = []

    def text_read(node) -> bool:
        return isinstance(node, ast.Name) and runtime.from_input(ctx, [node.id]) is not None

    pairs = [(b.left, b.right) for b in runtime.binops(ctx, ARITHMETIC)]
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            pairs.extend(zip(sides, sides[1:], strict=False))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("range", "chr"):
            found.extend(a.id for a in node.args if isinstance(a, ast.Name))
    for left, right in pairs:
        for side, other in ((left, right), (right, left)):
            if isinstance(side, ast.Name) and (runtime.kind_of(ctx, other) != "text"
                                               or text_read(other)):
                found.append(side.id)
    return found


def _where(ctx, node) -> tuple[str, int | None]:
    return runtime.described(ctx, node)


@register
class ConcatTextAndNumber(Explanation):
    kind = "concat_text_number"
    priority = 20
    messages = {
        "default": _l(
            "%(text)s is a text and %(number)s is a number, and + cannot join them. Write "
            "str(%(number)s) to make the number a text, or separate them with commas in "
            "print(...)."
        ),
        "named": _l(
            "%(number)s is a number (line %(number_line)s) and %(text)s is a text, and + "
            "cannot join them. Write str(%(number)s) to make the number a text, or separate "
            "them with commas in print(...)."
        ),
        "list": _l(
            "%(text)s is a text and %(number)s is a list, and + cannot join them. Write "
            "str(%(number)s), or separate them with commas: print(%(text)s, %(number)s)."
        ),
        "plain": _l(
            "You are joining a text and a number with +. Turn the number into text first with "
            "str(...), or print them with a comma between: print(\"Age:\", age)."
        ),
    }

    def detect(self, ctx):
        found = _type_error(ctx, r"can only concatenate str \(not \"(\w+)\"\) to str")
        if not found:
            return None
        other = {"int": "number", "float": "number", "bool": "number", "list": "list",
                 "tuple": "list"}.get(found.group(1))
        if other is None:
            return None  # None, a function...: the explanations of those say it better
        pair = runtime.operands(ctx, ADD, "text", "list" if other == "list" else "number")
        if pair is None:
            return self.match(ctx, variant="plain")
        (text, _), (number, number_line) = _where(ctx, pair[0]), _where(ctx, pair[1])
        if other == "list":
            return self.match(ctx, variant="list", text=text, number=number)
        if number_line is not None:
            return self.match(ctx, variant="named", text=text, number=number,
                              number_line=number_line)
        return self.match(ctx, text=text, number=number)


@register
class AddNumberAndText(Explanation):
    kind = "add_number_text"
    priority = 20
    messages = {
        "default": _l(
            "%(number)s is a number and %(text)s is a text, so %(sign)s cannot be used between "
            "them. Make both numbers with int(...), or both texts with str(...)."
        ),
        "named": _l(
            "%(number)s is a number and %(text)s is a text (line %(text_line)s), so %(sign)s "
            "cannot be used between them. Make both numbers with int(...), or both texts "
            "with str(...)."
        ),
        "plain": _l(
            "You are adding a number and a text. If the text comes from input(), turn it into a "
            "number first: int(input())."
        ),
    }

    def detect(self, ctx):
        found = _type_error(ctx, r"unsupported operand type\(s\) for ([^:]+): "
                                 r"'(int|float|str)' and '(int|float|str)'")
        if not found or "str" not in found.groups()[1:] or found.group(2) == found.group(3):
            return None
        sign = found.group(1).strip()
        number_first = found.group(2) != "str"
        wanted = ("number", "text") if number_first else ("text", "number")
        pair = runtime.operands(ctx, ARITHMETIC, *wanted)
        if pair is None:
            return self.match(ctx, variant="plain")
        number_node, text_node = pair if number_first else pair[::-1]
        (number, _), (text, text_line) = _where(ctx, number_node), _where(ctx, text_node)
        if text_line is not None:
            return self.match(ctx, variant="named", number=number, text=text,
                              text_line=text_line, sign=sign)
        return self.match(ctx, number=number, text=text, sign=sign)


def _call_args(ctx, names: tuple[str, ...]):
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in names and node.args:
            yield node.func.id, node.args


@register
class TextWhereNumberNeeded(Explanation):
    kind = "text_as_number"
    priority = 20
    messages = {
        "default": _l(
            "%(function)s() needs a whole number, but %(text)s is a text. Turn it into a "
            "number with int(%(text)s)."
        ),
        "plain": _l(
            "A whole number is needed here, but this is a text. If it comes from input(), use "
            "int(input())."
        ),
        "list": _l(
            "range() needs a number, but %(text)s is a list. To go through its items, write "
            "for x in %(text)s: (or range(len(%(text)s)) for their positions)."
        ),
    }

    def detect(self, ctx):
        if _type_error(ctx, r"'(?:list|tuple)' object cannot be interpreted as an integer"):
            for function, args in _call_args(ctx, ("range",)):
                for arg in args:
                    if runtime.kind_of(ctx, arg) in ("list", None):
                        return self.match(ctx, variant="list", function=function,
                                          text=runtime.text(ctx, arg))
            return None
        if not _type_error(ctx, r"'str' object cannot be interpreted as an integer|"
                                r"can't multiply sequence by non-int of type 'str'"):
            return None
        for function, args in _call_args(ctx, ("range", "chr", "round")):
            for arg in args:
                if runtime.kind_of(ctx, arg) == "text":
                    return self.match(ctx, function=function, text=runtime.text(ctx, arg))
        return self.match(ctx, variant="plain")


@register
class CompareTextAndNumber(Explanation):
    kind = "compare_text_number"
    priority = 20
    messages = {
        "default": _l(
            "You are comparing %(text)s, a text, with %(number)s, a number. Python cannot say "
            "which is bigger. Turn the text into a number first, with int(%(text)s)."
        ),
        "plain": _l(
            "You are comparing a text with a number. If the text comes from input(), turn it "
            "into a number first with int()."
        ),
    }

    def detect(self, ctx):
        if not _type_error(ctx, r"'[<>]=?' not supported between instances of "
                                r"(?:'str' and '(?:int|float)'|'(?:int|float)' and 'str')"):
            return None
        for node in runtime.nodes(ctx):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                for a, b in zip(sides, sides[1:], strict=False):
                    kinds = {runtime.kind_of(ctx, a): a, runtime.kind_of(ctx, b): b}
                    if "text" in kinds and "number" in kinds:
                        return self.match(ctx, text=runtime.text(ctx, kinds["text"]),
                                          number=runtime.text(ctx, kinds["number"]))
        return self.match(ctx, variant="plain")


@register
class UnsupportedOperand(Explanation):
    kind = "unsupported_operand"
    priority = 40
    messages = {
        "default": _l(
            "The sign %(op)s cannot be used between %(left)s and %(right)s. Check what kind of "
            "value each one is."
        ),
    }

    def detect(self, ctx):
        found = _type_error(ctx, r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'")
        if not found:
            found = _type_error(ctx, r"'([^']+)' not supported between instances of "
                                     r"'(\w+)' and '(\w+)'")
        if not found:
            return None
        op = found.group(1).strip()
        for node in runtime.nodes(ctx):
            if isinstance(node, ast.BinOp):
                return self.match(ctx, op=op, left=runtime.text(ctx, node.left),
                                  right=runtime.text(ctx, node.right))
            if isinstance(node, ast.Compare):
                return self.match(ctx, op=op, left=runtime.text(ctx, node.left),
                                  right=runtime.text(ctx, node.comparators[0]))
        return None


@register
class WrongArgumentCount(Explanation):
    kind = "wrong_argument_count"
    priority = 20
    messages = {
        "default": _l(
            "The function %(name)s got the wrong number of values. Give it as many values as there "
            "are names between the brackets of its def line."
        ),
        "counts": _l(
            "%(name)s() takes %(wanted)s values, def %(name)s(%(params)s), but here it got "
            "%(given)s. Give it one value for each name between the brackets."
        ),
        "missing": _l(
            "%(name)s() needs more values between its brackets than it got here: %(missing)s "
            "is missing. Separate the values with commas."
        ),
        "builtin": _l(
            "%(name)s() takes at most %(wanted)s values between its brackets, but here it got "
            "%(given)s. Check the commas: to join texts into one, use +."
        ),
    }

    def detect(self, ctx):
        found = _type_error(ctx, r"^(?:\w+\.)?(\w+)\(\) (?:missing \d+ required|takes \d+ positional"
                                 r"|takes from \d+ to \d+|takes no arguments|got an unexpected"
                                 r"|takes exactly one argument)")
        builtin = _type_error(ctx, r"^(\w+) expected at most (\d+) arguments?, got (\d+)")
        if not builtin:
            builtin = _type_error(ctx, r"^(\w+)\(\) takes (?:from \d+ to )?(\d+|exactly one) "
                                       r"(?:positional )?arguments? \(?but (\d+) (?:was|were) given"
                                       r"|^(\w+)\(\) takes (exactly one) argument \((\d+) given\)")
        if not found and not builtin:
            return None
        # The sandbox's own input() and print() are called _input, _print in messages.
        name = (found or builtin).group(1) or builtin.group(4)
        name = name.lstrip("_")
        tree = source.tree(ctx.source)
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name] \
            if tree else []
        calls = [n for n in runtime.nodes(ctx)
                 if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]
        if defs and calls:
            params = [a.arg for a in defs[0].args.args]
            return self.match(ctx, variant="counts", name=name, wanted=len(params),
                              params=", ".join(params),
                              given=len(calls[0].args) + len(calls[0].keywords))
        missing = re.search(r"missing \d+ required (?:positional |keyword-only )?arguments?: "
                            r"(.+)$", ctx.message)
        if missing and not defs:
            return self.match(ctx, variant="missing", name=name, missing=missing.group(1))
        if builtin and not defs:
            groups = [g for g in builtin.groups() if g is not None]
            wanted = "1" if groups[1] == "exactly one" else groups[1]
            return self.match(ctx, variant="builtin", name=name, wanted=wanted, given=groups[2])
        return self.match(ctx, name=name)


def _literal(text: str) -> str | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


@register
class TextToNumber(Explanation):
    kind = "number_from_text"
    priority = 20
    secret_params = ("text",)
    messages = {
        "default": _l(
            "int() and float() turn only a number written with digits into a number, but they "
            "got %(text)s, which is not one. Check what the program reads."
        ),
        "decimal": _l(
            "%(text)s has a decimal point, and int() takes only whole numbers. For a number "
            "with a point, use float(...) instead of int(...)."
        ),
        "comma": _l(
            "%(text)s has a comma: Python writes decimals with a point, as 3.5. Use "
            "float(...), and type the number with a point."
        ),
        "empty": _l(
            "int() got an empty text (\"\"): there was nothing to turn into a number. Was an "
            "empty line read, or is an input() one too many?"
        ),
        "spaces": _l(
            "%(text)s has more than one number in it, with spaces. int() takes one number; "
            "read them apart with input().split()."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "ValueError":
            return None
        found = re.match(r"(invalid literal for int\(\) with base \d+|"
                         r"could not convert string to float): (.*)$", ctx.message, re.S)
        if not found:
            return None
        shown = found.group(2)
        value = _literal(shown)
        if value is not None:
            plain = value.strip()
            if not plain:
                return self.match(ctx, variant="empty", text=shown)
            if found.group(1).startswith("invalid") and re.fullmatch(r"[+-]?\d+\.\d*", plain):
                return self.match(ctx, variant="decimal", text=shown)
            if re.fullmatch(r"[+-]?\d+,\d+", plain):
                return self.match(ctx, variant="comma", text=shown)
            if len(plain.split()) > 1 and all(re.fullmatch(r"[+-]?\d+(?:\.\d+)?", p)
                                               for p in plain.split()):
                return self.match(ctx, variant="spaces", text=shown)
        return self.match(ctx, text=shown)


def _positions(length: int) -> str:
    return ", ".join(str(i) for i in range(length)) if length <= 6 else f"0, 1, …, {length - 1}"


def _subscripts(ctx):
    for node in runtime.nodes(ctx):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            yield node


def _index_value(ctx, node: ast.AST):
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
            isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
        return -node.operand.value
    if isinstance(node, ast.Name):
        found = runtime.value(ctx, node.id).get("value")
        return found if isinstance(found, int) and not isinstance(found, bool) else None
    return None


@register
class IndexOutOfRange(Explanation):
    kind = "index_error"
    priority = 20
    secret_params = ("length", "positions", "index", "last")
    messages = {
        "default": _l(
            "%(name)s has %(length)s items, at positions %(positions)s, but you asked for "
            "position %(index)s. Positions start at 0, so the last one is %(last)s."
        ),
        "text": _l(
            "The text %(name)s has %(length)s letters, at positions %(positions)s, but you "
            "asked for position %(index)s. Positions start at 0."
        ),
        "empty": _l(
            "%(name)s is empty here: there is nothing at position %(index)s. Check that "
            "something is put in %(name)s before you read from it."
        ),
        "named": _l(
            "%(name)s has no item at position %(index)s. Positions start at 0, so the last "
            "one is len(%(name)s) - 1."
        ),
        "plain": _l(
            "There is nothing at this position. Positions start at 0, so the last one is "
            "len(...) - 1. Check the number between the square brackets."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "IndexError":
            return None
        fallback = None
        for node in _subscripts(ctx):
            name, info = node.value.id, runtime.value(ctx, node.value.id)
            index = _index_value(ctx, node.slice)
            length = info.get("len")
            shown_index = index if index is not None else runtime.text(ctx, node.slice)
            if isinstance(length, int):
                if index is not None and -length <= index < length:
                    continue  # this one is fine; another subscript on the line is not
                if length == 0:
                    return self.match(ctx, variant="empty", name=name, index=shown_index)
                variant = "text" if info.get("type") == "str" else "default"
                return self.match(ctx, variant=variant, name=name, length=length,
                                  positions=_positions(length), index=shown_index,
                                  last=f"{length - 1} (len({name}) - 1)")
            fallback = fallback or self.match(ctx, variant="named", name=name,
                                              index=shown_index)
        return fallback or self.match(ctx, variant="plain")


@register
class MissingKey(Explanation):
    kind = "key_error"
    priority = 20
    secret_params = ("key", "keys")
    messages = {
        "default": _l(
            "The dictionary has no key %(key)s. Check the spelling, or add the key before you "
            "read it."
        ),
        "keys": _l(
            "The dictionary %(name)s has no key %(key)s. Its keys are: %(keys)s. Check the "
            "spelling (small and capital letters count), or add the key first."
        ),
        "empty": _l(
            "The dictionary %(name)s is still empty, so it has no key %(key)s. Give the key a "
            "value first: %(name)s[%(key)s] = 0."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "KeyError":
            return None
        key = ctx.message or "?"
        for node in _subscripts(ctx):
            info = runtime.value(ctx, node.value.id)
            if info.get("type") == "dict" and isinstance(info.get("keys"), list):
                if not info["keys"]:
                    return self.match(ctx, variant="empty", name=node.value.id, key=key)
                keys = ", ".join(str(k) for k in info["keys"][:8])
                return self.match(ctx, variant="keys", name=node.value.id, key=key, keys=keys)
        return self.match(ctx, key=key)


@register
class DivisionByZero(Explanation):
    kind = "zero_division"
    priority = 20
    messages = {
        "default": _l(
            "You divided by zero, and nobody can do that, not even a computer. Check that the "
            "number you divide by is not 0."
        ),
        "named": _l(
            "%(divisor)s is 0 here, and you divide by it. Nobody can divide by zero, not even "
            "a computer. Check with if %(divisor)s != 0: before you divide."
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "ZeroDivisionError":
            return None
        divisions = [n for n in runtime.binops(ctx, (ast.Div, ast.FloorDiv, ast.Mod))]
        for node in divisions:
            right = node.right
            if isinstance(right, ast.Name) and runtime.value(ctx, right.id).get("value") == 0:
                return self.match(ctx, variant="named", divisor=right.id)
        for node in divisions:
            if not (isinstance(node.right, ast.Constant) and node.right.value != 0):
                return self.match(ctx, variant="named", divisor=runtime.text(ctx, node.right))
        return self.match(ctx)


@register
class CannotChange(Explanation):
    """``cuvant[0] = "M"`` on a text, ``t[0] = 5`` on a tuple."""

    kind = "cannot_change"
    priority = 20
    messages = {
        "default": _l(
            "%(name)s is a text, and a text cannot be changed letter by letter. Build a new "
            "text instead, for example %(name)s = \"M\" + %(name)s[1:]."
        ),
        "tuple": _l(
            "%(name)s is written with round brackets, so it cannot be changed. Write it with "
            "square brackets, as a list: [1, 2], and then you can change its items."
        ),
    }

    def detect(self, ctx):
        found = _type_error(ctx, r"^'(str|tuple)' object does not support item assignment")
        if not found:
            return None
        for node in runtime.nodes(ctx):
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                variant = "tuple" if found.group(1) == "tuple" else "default"
                return self.match(ctx, variant=variant, name=runtime.text(ctx, node.value))
        return None


@register
class LoopOverNumber(Explanation):
    """``for i in 5:``, ``for i in len(lista):``: a number is not a row of things."""

    kind = "loop_over_number"
    priority = 18
    messages = {"default": _l(
        "%(what)s is a number, and for can only walk through a list, a text or a range. To "
        "repeat that many times, write for %(var)s in range(%(what)s):"
    )}

    def detect(self, ctx):
        if not _type_error(ctx, r"'(?:int|float|bool)' object is not iterable"):
            return None
        statement = source.statement_at(ctx.source, ctx.line)
        loops = [statement] if isinstance(statement, ast.For) else []
        loops += [n for n in runtime.nodes(ctx) if isinstance(n, ast.comprehension)]
        for loop in loops:
            if runtime.kind_of(ctx, loop.iter) in ("number", None):
                return self.match(ctx, what=runtime.text(ctx, loop.iter),
                                  var=runtime.text(ctx, loop.target))
        return None


@register
class NotIndexable(Explanation):
    """``n[0]`` on a number; ``len(5)``; ``f[0]`` on a function."""

    kind = "not_indexable"
    priority = 24
    messages = {
        "default": _l(
            "%(name)s is a number here, so it has no positions: %(name)s[...] works only on a "
            "list or a text. Check what %(name)s holds."
        ),
        "function": _l(
            "%(name)s is a function: to call it, use round brackets, %(name)s(...), not square "
            "ones."
        ),
        "len": _l(
            "len() counts the items of a list or the letters of a text, but %(name)s is a "
            "number. Maybe you mean just %(name)s, or str(%(name)s)?"
        ),
    }

    def detect(self, ctx):
        if ctx.error_type != "TypeError":
            return None
        if re.search(r"^object of type '(?:int|float|bool)' has no len\(\)", ctx.message):
            for _, args in _call_args(ctx, ("len",)):
                return self.match(ctx, variant="len", name=runtime.text(ctx, args[0]))
            return None
        found = re.search(r"^'(\w+)' object is not subscriptable", ctx.message)
        if not found or found.group(1) == "NoneType":
            return None
        wanted = "function" if "function" in found.group(1) or found.group(1) in (
            "method", "type") else "number"
        for node in runtime.nodes(ctx):
            if isinstance(node, ast.Subscript) and runtime.kind_of(ctx, node.value) in (
                    wanted, None):
                variant = "function" if wanted == "function" else "default"
                return self.match(ctx, variant=variant, name=runtime.text(ctx, node.value))
        return None


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
