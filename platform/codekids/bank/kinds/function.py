"""Function tests: call a named function with arguments, compare what it returns.

Shown by ``templates/kinds/function.html``: the call, both values and what it printed.
"""

from __future__ import annotations

import json

from codekids.bank.compare import needs_legend, values_equal
from codekids.bank.kinds import FieldErrors, Request, TestKind, Verdict, register
from codekids.bank.texts import _l


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@register
class FunctionCall(TestKind):
    name = "function"
    fields = {"function", "args", "expected"}
    messages = {
        "value_differs": _l("The function gave back a different value than expected."),
        "returned_none": _l("The function gave back nothing (None)."),
        "hidden_values": _l("I also called your function with other values, which I am not "
                            "showing you. Does it work for any value?"),
    }

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        function = raw.get("function")
        if function is None:
            errors.add("function", "missing (the name of the function to call)")
        elif not isinstance(function, str) or not function.isidentifier():
            errors.add("function", "must be the name of a function, e.g. \"dublu\"")
        args = raw.get("args", [])
        if not isinstance(args, list):
            errors.add("args", "must be a list of arguments, e.g. [3] or [\"Ana\", 2]")
            args = []
        if "expected" not in raw:
            errors.add("expected", "missing (the value the function must return)")
        try:
            json.dumps(args), json.dumps(raw.get("expected"))
        except (TypeError, ValueError):
            errors.add("args", "arguments and expected value must be numbers, text, "
                               "true/false, lists or tables (no dates)")
        return {"function": function, "args": args, "expected": raw.get("expected")}

    def request(self, test) -> Request:
        return Request(stdin=test.stdin, call=(test.spec["function"], test.spec["args"]))

    def expected(self, test):
        return test.spec["expected"]

    def hidden_hint(self, test) -> str:
        return "hidden_values"

    def judge(self, exercise, test, result) -> Verdict:
        expected = test.spec["expected"]
        mode = exercise.compare_for(test)
        if values_equal(expected, result.value, mode, exercise.tolerance):
            return Verdict(True)
        args = ", ".join(_shown(a) for a in test.spec["args"])
        details = {
            "call": f"{test.spec['function']}({args})",
            "expected": _shown(expected),
            "actual": _shown(result.value),
            "printed": result.stdout,
        }
        if needs_legend(details["expected"], details["actual"], details["printed"]):
            details["whitespace"] = True
        return Verdict(False, details,
                       reason="returned_none" if result.value is None else "value_differs")
