"""What the bank holds: sets, exercises, their tests, and the problems found loading them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Every text of the bank is written in all three languages: `codekids exercises
# check` reports any text missing in one of them. A file without Romanian or
# English is left out; one missing only Hungarian still loads and is shown in
# Romanian (texts.localized), so a coordinator's new exercise reaches Romanian
# clubs while its translation is being written.
LOCALES = ("ro", "en", "hu")
LOADING_LOCALES = ("ro", "en")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where, which field, what is wrong."""

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}" if self.field else (
            f"{self.path}: {self.message}"
        )


@dataclass
class TestCase:
    """One test of an exercise. ``spec`` holds the fields of its kind, checked by the kind."""

    index: int  # position in the file, from 1
    kind: str
    hidden: bool = False
    stdin: str = ""
    compare: str | None = None  # per-test override of the exercise's compare mode
    spec: dict[str, Any] = field(default_factory=dict)

    __test__ = False  # not a pytest class, despite the name


@dataclass
class Exercise:
    id: str
    set_id: str
    order: int
    title: dict[str, str]
    statement: dict[str, str]
    hints: dict[str, list[str]]
    solution: str
    tests: list[TestCase]
    starter: str = ""
    tags: list[str] = field(default_factory=list)
    compare: str = "trailing_whitespace"
    tolerance: float = 1e-6
    max_lines: int = 10
    path: Path | None = None
    # Worked out once, when the exercise is made (at bank load), from its data:
    # whether the exercise's programs read input (the page shows the input box
    # only then), and what a starter that reads input needs to run at once.
    reads_input: bool = field(init=False, default=False)
    starter_stdin: str = field(init=False, default="")

    def __post_init__(self) -> None:
        starter_reads = calls_input(self.starter)
        self.reads_input = (any(t.stdin for t in self.tests) or starter_reads
                            or calls_input(self.solution))
        if starter_reads:
            first = next((t for t in self.tests if not t.hidden and t.stdin), None)
            self.starter_stdin = first.stdin if first else ""

    def compare_for(self, test: TestCase) -> str:
        return test.compare or self.compare


@dataclass
class ExerciseSet:
    id: str
    order: int
    level: int
    title: dict[str, str]
    description: dict[str, str]
    folder: Path
    exercises: list[Exercise] = field(default_factory=list)


@dataclass
class Bank:
    """The valid sets and exercises, and every problem met on the way."""

    root: Path
    sets: list[ExerciseSet] = field(default_factory=list)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, exercise_id: str) -> Exercise | None:
        return self.exercises.get(exercise_id)

    def get_set(self, set_id: str) -> ExerciseSet | None:
        return next((s for s in self.sets if s.id == set_id), None)


def calls_input(source: str) -> bool:
    """Whether the program calls ``input()`` (read from its syntax tree, never run)."""
    if "input" not in (source or ""):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
               and node.func.id == "input" for node in ast.walk(tree))


def code_lines(source: str) -> int:
    """Lines that hold code: not blank, not only a comment (DESIGN.md §4)."""
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


def default_max_lines(solution: str) -> int:
    return max(10, 3 * code_lines(solution))
