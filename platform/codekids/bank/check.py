"""Checking the whole bank: what loading checks, plus running every exercise.

The reference solution must pass every test and the starter code must fail at
least one; a solution longer than the exercise's line cap is also reported.
Used by ``codekids exercises check`` (and so by CI).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from codekids.bank.grading import PASSED, grade
from codekids.bank.models import Bank, Exercise, Problem, code_lines

WORKERS = 4


def _where(bank: Bank, exercise: Exercise) -> str:
    try:
        return str(exercise.path.relative_to(bank.root.parent))
    except (ValueError, AttributeError):
        return str(exercise.path)


def check_exercise(bank: Bank, exercise: Exercise, sandbox) -> list[Problem]:
    path = _where(bank, exercise)
    problems = []
    report = grade(exercise, exercise.solution, "en", sandbox=sandbox)
    for result in report.rendered("en")["tests"]:
        if result["status"] == "passed":
            continue
        reason = result["message"]
        details, explanation, error = result["details"], result["explanation"], result["error"]
        if explanation:
            line = explanation.get("where")
            reason += f" {line + ': ' if line else ''}{explanation['message']}"
        if error and error.get("message"):
            reason += f" [{error['type']}: {error['message']}]"
        elif error:
            reason += f" [{error['type']}]"
        diff = details.get("difference") or {}
        if diff:
            reason += (f" (line {diff['line']}: expected {diff['expected_line']!r}, "
                       f"printed {diff['actual_line']!r})")
        elif "expected" in details:
            reason += f" (expected {details['expected']}, got {details['actual']})"
        problems.append(Problem(path, f"tests[{result['index']}]",
                                f"the solution does not pass ({result['status']}): {reason}"))
    if code_lines(exercise.solution) > exercise.max_lines:
        problems.append(Problem(path, "max_lines",
                                f"{exercise.max_lines} is less than the solution's "
                                f"{code_lines(exercise.solution)} code lines"))
    starter = grade(exercise, exercise.starter, "en", sandbox=sandbox)
    if all(t.status == PASSED for t in starter.tests):
        problems.append(Problem(path, "starter",
                                "the starter code passes every test; it must fail at least one"))
    return problems


def check_bank(bank: Bank, sandbox, progress: Callable[[Exercise], None] | None = None
               ) -> list[Problem]:
    """Every problem of the bank: its loading problems, then each exercise's runs."""
    problems = list(bank.problems)
    exercises = [e for s in bank.sets for e in s.exercises]

    def one(exercise: Exercise) -> list[Problem]:
        found = check_exercise(bank, exercise, sandbox)
        if progress:
            progress(exercise)
        return found

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for found in pool.map(one, exercises):
            problems.extend(found)
    return problems
