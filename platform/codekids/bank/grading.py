"""Grading a submission: every test through the sandbox in one batch, then kind feedback.

    report = grade(exercise, source, "ro")

Every test of an exercise (whatever its kind: codekids.bank.kinds) goes in one
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
from codekids.bank.compare import needs_legend, visible
from codekids.bank.kinds import get_kind
from codekids.bank.models import Exercise, TestCase
from codekids.bank.texts import _l

PASSED, FAILED, ERROR = "passed", "failed", "error"
TIMEOUT, MEMORY, OUTPUT_LIMIT = "timeout", "memory", "output_limit"
STATUSES = (PASSED, FAILED, ERROR, TIMEOUT, MEMORY, OUTPUT_LIMIT)
_RUN_STATUS = {"ok": PASSED, "error": ERROR, "refused": ERROR, "timeout": TIMEOUT,
               "memory": MEMORY, "output_limit": OUTPUT_LIMIT}

# Grading's own messages: those of any test. A kind's failure messages live in its
# module (codekids.bank.kinds), under the same "grading." keys.
MESSAGES = {
    "passed": _l("Test passed."),
    "error": _l("The program stopped with an error."),
    "timeout": _l("The program ran too long and was stopped."),
    "memory": _l("The program used too much memory and was stopped."),
    "output_limit": _l("The program printed too much and was stopped."),
    "hidden": _l("A hidden test did not pass."),
    # What a hidden test tried, said plainly and only as far as it is true: the
    # numbers or answers it typed, or, for a program that reads nothing, just one more
    # check (a kind may say better: TestKind.hidden_hint).
    "hidden_numbers": _l("I also tried your program with other numbers, which I am not "
                         "showing you. Does it work for any number?"),
    "hidden_inputs": _l("I also tried your program with other answers to its questions, which "
                        "I am not showing you. Does it work for any answer?"),
    "hidden_check": _l("I also checked your program in a test I am not showing you. Read "
                       "the task again: does your program do exactly what it asks?"),
}
texts.register_keys("grading", MESSAGES)


def message(name: str, /, **params) -> dict:
    """One of grading's own messages, as the report stores it."""
    return texts.text(f"grading.{name}", **params)


@dataclass
class TestResult:
    index: int
    kind: str
    hidden: bool
    status: str
    message: dict  # a text (codekids.bank.texts): rendered by render_report
    # Visible tests only: what the kind's judge shows (kinds/: the input, what was
    # expected and what came, whitespace made visible), or, for a run that stopped, its
    # input and output; "whitespace" when they need the legend. A hidden test's only
    # detail is its hint (a text). A detail that is a text is rendered by render_report.
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
        shown["details"] = {name: texts.render_text(value, locale) if texts.is_text(value)
                            else value for name, value in (test.get("details") or {}).items()}
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
    kind = get_kind(test.kind)
    status = _RUN_STATUS.get(result.status, ERROR)
    verdict = None
    if status == PASSED:
        verdict = kind.judge(exercise, test, result)
        status = PASSED if verdict.passed else FAILED
    explanation = None
    if status != PASSED:
        explanation = explanations.stored_explanation(result, source, test=test,
                                                      expected=kind.expected(test),
                                                      hidden=test.hidden)
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
    if verdict is not None:
        return TestResult(test.index, test.kind, False, status, kind.say(verdict),
                          dict(verdict.details), error, explanation)
    # The run stopped (an error, a limit) before the kind could judge it: what it was
    # given and what it printed until then.
    details: dict[str, Any] = {}
    if test.stdin:
        details["input"] = visible(test.stdin)
    if result.stdout:
        details["actual"] = visible(result.stdout)
    if needs_legend(details.get("actual")):
        details["whitespace"] = True
    return TestResult(test.index, test.kind, False, status, message(status), details, error,
                      explanation)


def _hidden_hint(test: TestCase) -> str:
    return get_kind(test.kind).hidden_hint(test)
