"""Input/output tests: the program reads ``stdin`` and must print ``stdout``.

Shown by ``templates/kinds/io.html``: the input, both outputs and the first difference.
"""

from __future__ import annotations

from codekids.bank.compare import first_difference, needs_legend, outputs_equal, visible
from codekids.bank.kinds import FieldErrors, TestKind, Verdict, message, register
from codekids.bank.texts import _l


@register
class InputOutput(TestKind):
    name = "io"
    fields = {"stdout"}
    messages = {
        "output_differs": _l("The program printed something different from what was expected."),
        "difference_at": _l("First difference: line %(line)s, column %(column)s."),
    }

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        if "stdout" not in raw:
            errors.add("stdout", "missing (what the program must print)")
        elif not isinstance(raw["stdout"], str):
            errors.add("stdout", "must be text in quotes")
        return {"stdout": raw.get("stdout", "")}

    def expected(self, test):
        return test.spec["stdout"]

    def judge(self, exercise, test, result) -> Verdict:
        expected = test.spec["stdout"]
        mode = exercise.compare_for(test)
        if outputs_equal(expected, result.stdout, mode, exercise.tolerance):
            return Verdict(True)
        diff = first_difference(expected, result.stdout, mode, exercise.tolerance)
        details = {
            "input": visible(test.stdin) if test.stdin else "",
            "expected": visible(expected),
            "actual": visible(result.stdout),
            "difference": diff.to_dict() if diff else None,
        }
        if diff:
            details["difference_text"] = message("difference_at", line=diff.line,
                                                 column=diff.column)
        if needs_legend(details["expected"], details["actual"],
                        difference=details["difference"]):
            details["whitespace"] = True
        return Verdict(False, details, reason="output_differs")
