"""Grading a submission: every test through the sandbox in one batch, then kind feedback.

    report = grade(exercise, source, "ro")

Every test of an exercise (io, turtle and function tests) goes in one
``Sandbox.grade``: one process for the submission, each test in a fresh
namespace with its own verdict (plain tests with the same input share a run).
A hidden test's data (its input, expected
output, what the program printed for it, data-bearing error messages) never
reaches the report.

The report is language-free: every message in it is a text of
``codekids.bank.texts`` (a key and its parameters), stored as it is; whoever reads
it later gets it through ``render_report(report, locale)`` in their own language.
``grade``'s locale is only recorded, as the language the child had.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from codekids.bank import explanations, texts
from codekids.bank.compare import visible
from codekids.bank.kinds import get_kind
from codekids.bank.models import Exercise, TestCase
from codekids.bank.texts import _l, _ln

PASSED, FAILED, ERROR = "passed", "failed", "error"
TIMEOUT, MEMORY, OUTPUT_LIMIT = "timeout", "memory", "output_limit"
STATUSES = (PASSED, FAILED, ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT)
_RUN_STATUS = {"ok": PASSED, "error": ERROR, "refused": ERROR, "timeout": TIMEOUT,
               "memory": MEMORY, "output_limit": OUTPUT_LIMIT}

MESSAGES = {
    "passed": _l("Test passed."),
    "output_differs": _l("The program printed something different from what was expected."),
    "value_differs": _l("The function gave back a different value than expected."),
    "returned_none": _l("The function gave back nothing (None)."),
    # The drawing's differences, counted: "%(missing)s" and "%(extra)s" are the two
    # counted texts below, each in its own plural form.
    "drawing_differs": _l("The drawing is different: %(missing)s and %(extra)s."),
    "drawing_missing": _l("The drawing is different: %(missing)s."),
    "drawing_extra": _l("The drawing is different: %(extra)s."),
    "lines_missing": _ln("%(num)s line is missing", "%(num)s lines are missing"),
    "lines_extra": _ln("%(num)s line is extra", "%(num)s lines are extra"),
    "error": _l("The program stopped with an error."),
    "timeout": _l("The program ran too long and was stopped."),
    "memory": _l("The program used too much memory and was stopped."),
    "output_limit": _l("The program printed too much and was stopped."),
    "hidden": _l("A hidden test did not pass."),
    # What a hidden test tried, said plainly and only as far as it is true: the
    # numbers or answers it typed, the values it called the function with, or, for a
    # program that reads nothing, just one more check.
    "hidden_numbers": _l("I also tried your program with other numbers, which I am not "
                         "showing you. Does it work for any number?"),
    "hidden_inputs": _l("I also tried your program with other answers to its questions, which "
                        "I am not showing you. Does it work for any answer?"),
    "hidden_values": _l("I also called your function with other values, which I am not "
                        "showing you. Does it work for any value?"),
    "hidden_check": _l("I also checked your program in a test I am not showing you. Read "
                       "the task again: does your program do exactly what it asks?"),
    "difference_at": _l("First difference: line %(line)s, column %(column)s."),
}
texts.register_keys("grading", MESSAGES)


def message(name: str, num: int | None = None, /, **params) -> dict:
    """One of grading's own messages, as the report stores it."""
    return texts.text(f"grading.{name}", num, **params)


@dataclass
class TestResult:
    index: int
    kind: str
    hidden: bool
    status: str
    message: dict  # a text (codekids.bank.texts): rendered by render_report
    # Visible tests only: input, expected, actual (whitespace made visible), difference,
    # and difference_text (a text); a hidden test's only detail is its hint (a text).
    details: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # type, line (and message for a visible test)
    explanation: dict[str, Any] | None = None  # explanations.describe(): kind, line, message

    __test__ = False

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class GradeReport:
    exercise_id: str
    locale: str
    tests: list[TestResult]
    explanation: dict[str, Any] | None = None  # for the first test that did not pass

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def solved(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise_id,
            "locale": self.locale,
            "solved": self.solved,
            "passed": self.passed,
            "total": self.total,
            "explanation": self.explanation,
            "tests": [asdict(t) for t in self.tests],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def rendered(self, locale: str) -> dict:
        return render_report(self.to_dict(), locale)


def render_report(report: dict | None, locale: str) -> dict:
    """A stored report (``GradeReport.to_dict()``, as a submission keeps it) with every
    message in the reader's ``locale``: the same shape, strings where texts were, and
    each explanation with its "where" ("Line 3"). Rows stored before messages were keys
    hold strings: those are shown as they were written (see ``texts.render_text`` and
    ``explanations.render``)."""
    if not report:
        return {}
    written_in = report.get("locale")

    def explanation(stored):
        return explanations.render(stored, locale, written_in=written_in) if stored else None

    tests = []
    for test in report.get("tests") or []:
        shown = dict(test)
        shown["message"] = texts.render_text(test.get("message"), locale)
        details = dict(test.get("details") or {})
        for name in ("hint", "difference_text"):
            if name in details:
                details[name] = texts.render_text(details[name], locale)
        shown["details"] = details
        shown["explanation"] = explanation(test.get("explanation"))
        tests.append(shown)
    return {**report, "explanation": explanation(report.get("explanation")), "tests": tests}


def run_tests(sandbox, exercise: Exercise, source: str) -> list:
    """One RunResult per test, in order, from one ``grade`` of the submission."""
    requests = [get_kind(t.kind).request(t) for t in exercise.tests]
    tests: list[dict] = []
    plain: dict[str, int] = {}  # stdin -> its run, for plain tests
    where = []
    for r in requests:
        if r.call is None and r.stdin in plain:
            where.append(plain[r.stdin])
            continue
        if r.call is None:
            plain[r.stdin] = len(tests)
            tests.append({"stdin": r.stdin})
        else:
            tests.append({"call": [r.call[0], list(r.call[1])], "stdin": r.stdin})
        where.append(len(tests) - 1)
    results = sandbox.grade(source, tests) if tests else []
    return [results[i] for i in where]


def grade(exercise: Exercise, source: str, locale: str = "ro", *, sandbox=None) -> GradeReport:
    """Run every test of ``exercise`` on ``source`` and say, kindly, how it went."""
    if sandbox is None:
        from codekids.sandbox_client import get_sandbox

        sandbox = get_sandbox()
    results = run_tests(sandbox, exercise, source)
    tests = [_judge(exercise, t, r, source)
             for t, r in zip(exercise.tests, results, strict=True)]
    first = next((t for t in tests if not t.passed and t.explanation), None)
    return GradeReport(exercise.id, locale, tests, first.explanation if first else None)


def _judge(exercise: Exercise, test: TestCase, result, source: str) -> TestResult:
    status = _RUN_STATUS.get(result.status, ERROR)
    expected = test.spec.get("stdout", test.spec.get("expected"))
    verdict = None
    if status == PASSED:
        verdict = get_kind(test.kind).judge(exercise, test, result)
        status = PASSED if verdict.passed else FAILED
    explanation = None
    if status != PASSED:
        explanation = explanations.stored_explanation(result, source, test=test,
                                                      expected=expected, hidden=test.hidden)
    error = None
    if result.error and status != PASSED and status != FAILED:
        error = {"type": result.error.get("type"), "line": result.error.get("line")}
        if not test.hidden:
            error["message"] = result.error.get("message")

    if status == PASSED:
        return TestResult(test.index, test.kind, test.hidden, status, message("passed"))
    if test.hidden:
        # Only the kind of failure and the line in the child's own code: nothing of the test.
        details = {"hint": message(_hidden_hint(test))}
        return TestResult(test.index, test.kind, True, status, message("hidden"), details,
                          error, explanation)
    details: dict[str, Any] = {}
    if verdict is not None:
        details = dict(verdict.details)
        said = _verdict_message(verdict)
        diff = details.get("difference")
        if diff:
            details["difference_text"] = message("difference_at", line=diff["line"],
                                                 column=diff["column"])
    else:
        said = message(status)
        if test.stdin:
            details["input"] = visible(test.stdin)
        if result.stdout:
            details["actual"] = visible(result.stdout)
    if _about_whitespace(details):
        details["whitespace"] = True
    return TestResult(test.index, test.kind, False, status, said, details, error, explanation)


def _hidden_hint(test: TestCase) -> str:
    if test.spec.get("function") or test.spec.get("args"):
        return "hidden_values"
    answers = [a.strip() for a in test.stdin.splitlines() if a.strip()]
    if not answers:
        return "hidden_check"
    if all(_is_number(a) for a in answers):
        return "hidden_numbers"
    return "hidden_inputs"


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


_WHITESPACE_MARKS = frozenset(" \t\u2423\u21b5\u2192")  # space, tab, ␣, ↵, →


def _about_whitespace(details: dict) -> bool:
    """Whether what is shown needs the ↵ ␣ ∅ legend: the first difference is at a space,
    a tab or a line's end, or a shown output is ∅ (nothing printed)."""
    if any(details.get(k) == "\u2205" for k in ("expected", "actual", "printed")):
        return True
    diff = details.get("difference") or {}
    column = diff.get("column") or 0
    for line in (diff.get("expected_line"), diff.get("actual_line")):
        if line is not None and (column > len(line) or (column >= 1 and line[column - 1]
                                                          in _WHITESPACE_MARKS)):
            return True
    return False


def _verdict_message(verdict) -> dict:
    if verdict.reason != "drawing_differs":
        return message(verdict.reason)
    missing, extra = verdict.details["missing"], verdict.details["extra"]
    counted = {"missing": message("lines_missing", missing), "extra": message("lines_extra", extra)}
    if missing and extra:
        return message("drawing_differs", **counted)
    if missing:
        return message("drawing_missing", missing=counted["missing"])
    return message("drawing_extra", extra=counted["extra"])
