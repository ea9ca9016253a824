"""Input/output tests: the program reads ``stdin`` and must print ``stdout``."""

from __future__ import annotations

from codekids.bank.compare import first_difference, outputs_equal, visible
from codekids.bank.kinds import FieldErrors, TestKind, Verdict, register


@register
class InputOutput(TestKind):
    name = "io"
    fields = {"stdout"}

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        if "stdout" not in raw:
            errors.add("stdout", "missing (what the program must print)")
        elif not isinstance(raw["stdout"], str):
            errors.add("stdout", "must be text in quotes")
        return {"stdout": raw.get("stdout", "")}

    def judge(self, exercise, test, result) -> Verdict:
        expected = test.spec["stdout"]
        mode = exercise.compare_for(test)
        if outputs_equal(expected, result.stdout, mode, exercise.tolerance):
            return Verdict(True)
        diff = first_difference(expected, result.stdout, mode, exercise.tolerance)
        return Verdict(
            False,
            {
                "input": visible(test.stdin) if test.stdin else "",
                "expected": visible(expected),
                "actual": visible(result.stdout),
                "difference": diff.to_dict() if diff else None,
            },
            reason="output_differs",
        )
