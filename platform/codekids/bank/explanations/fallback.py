"""Anything no other explanation recognises still gets a kind, specific-enough word."""

from __future__ import annotations

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


@register
class Fallback(Explanation):
    kind = "other_error"
    priority = 1000
    messages = {
        "default": _l(
            "Your program stopped with an error (%(type)s). Look at this line and check the "
            "values used there."
        ),
        "sandbox": _l(
            "Your program could not be run just now. Wait a moment and try again."
        ),
    }

    def detect(self, ctx):
        if ctx.result.status == "ok":
            return None
        if ctx.error_type == "SandboxError":
            return self.match(ctx, variant="sandbox", type="")
        return self.match(ctx, type=ctx.error_type or ctx.result.status)
