"""What the sandbox refuses: modules, names and attributes locked for safety."""

from __future__ import annotations

from codekids.bank.explanations import Explanation, register
from codekids.bank.texts import _l


def _refused(ctx, reason: str) -> bool:
    return ctx.result.status == "refused" and ctx.error.get("reason") == reason


@register
class ImportRefused(Explanation):
    kind = "import_refused"
    priority = 5
    messages = {"default": _l(
        "The module %(name)s cannot be used here. You can use math, random, string and turtle."
    )}

    def detect(self, ctx):
        if _refused(ctx, "import_not_allowed"):
            return self.match(ctx, name=ctx.error.get("name") or "?")
        return None


@register
class NameRefused(Explanation):
    kind = "name_refused"
    priority = 5
    messages = {"default": _l(
        "%(name)s is locked here, to keep the computer safe. Solve the exercise without it."
    )}

    def detect(self, ctx):
        if _refused(ctx, "name_not_allowed"):
            return self.match(ctx, name=ctx.error.get("name") or "?")
        return None


@register
class AttributeRefused(Explanation):
    kind = "attribute_refused"
    priority = 5
    messages = {"default": _l(
        "Names that start with an underscore (_) cannot be used here. Choose another name."
    )}

    def detect(self, ctx):
        return self.match(ctx) if _refused(ctx, "attribute_not_allowed") else None


@register
class Refused(Explanation):
    kind = "refused"
    priority = 6
    messages = {"default": _l(
        "This part of the program is not allowed here. Try to solve the exercise in a simpler "
        "way."
    )}

    def detect(self, ctx):
        return self.match(ctx) if ctx.result.status == "refused" else None
