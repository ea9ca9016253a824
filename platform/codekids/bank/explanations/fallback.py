"""Anything no other explanation recognises: what Python reported and where, in plain words.

No guess at a cause (a wrong guess misleads more than none), no Python class names.
"""

from __future__ import annotations

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l

# Python's error, told as what happened (not why): variant per family of errors.
PLAIN = {
    "TypeError": "kind",
    "ValueError": "value",
    "AttributeError": "dot",
    "IndexError": "position",
    "KeyError": "key",
    "NameError": "name",
    "UnboundLocalError": "name",
    "ZeroDivisionError": "value",
    "OverflowError": "big",
    "RecursionError": "again",
    "AssertionError": "assert",
}


@register
class Fallback(Explanation):
    kind = "other_error"
    priority = 1000
    secret_params = ("message",)
    messages = {
        "default": _l(
            "Python stopped on line %(at)s: something there went wrong. Look at each value "
            "this line uses."
        ),
        "kind": _l(
            "Python stopped on line %(at)s: a value there is not of the kind this line "
            "needs. Look at each value it uses."
        ),
        "value": _l(
            "Python stopped on line %(at)s: a value there cannot be used the way this line "
            "uses it."
        ),
        "dot": _l(
            "Python stopped on line %(at)s: a name after a dot does not exist for the value "
            "before the dot."
        ),
        "position": _l("Python stopped on line %(at)s: a position there does not exist."),
        "key": _l("Python stopped on line %(at)s: a key there is not in the dictionary."),
        "name": _l("Python stopped on line %(at)s: a name there has no value yet."),
        "big": _l("Python stopped on line %(at)s: a number there became too big."),
        "again": _l(
            "Python stopped on line %(at)s: a function called itself too many times."
        ),
        "assert": _l("Python stopped on line %(at)s: an assert there found its check false."),
        "raised": _l("Your program stopped itself on line %(at)s with raise: %(message)s"),
        "nowhere": _l("Python stopped your program with an error before it could run a line."),
        "sandbox": _l(
            "Your program could not be run just now. Wait a moment and try again."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status == "ok":
            return None
        if ctx.error_type in ("SandboxError", "SandboxBusy"):  # busy: "try again" reads the same
            return self.match(ctx, variant="sandbox")
        if ctx.line is None:
            return self.match(ctx, variant="nowhere")
        if ctx.line_text(ctx.line).lstrip().startswith("raise"):
            return self.match(ctx, variant="raised", at=ctx.line,
                              message=(ctx.message or "")[:60])
        return self.match(ctx, variant=PLAIN.get(ctx.error_type, "default"), at=ctx.line)
