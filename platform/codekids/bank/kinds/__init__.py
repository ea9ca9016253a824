"""Test kinds: a small registry, like CTFd's challenge types.

A kind knows three things: which fields its tests have (``parse``), how the
program is run for it (``request``: a plain run with some stdin, or a call of
a function), and whether a finished run passed (``judge``). Adding a kind is
one new module in this package that defines a ``TestKind`` subclass decorated
with ``@register``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, ClassVar

from codekids.bank.models import Exercise, Problem, TestCase

COMMON_FIELDS = {"kind", "hidden", "stdin", "compare"}


@dataclass
class Request:
    """How to run the program for one test: ``call`` is None for a plain run."""

    stdin: str = ""
    call: tuple[str, list] | None = None


@dataclass
class Verdict:
    passed: bool
    # Shown to the child for a visible test only (never for a hidden one).
    details: dict[str, Any] = field(default_factory=dict)
    # Why it failed, as a message key of grading.FAILURE_MESSAGES.
    reason: str = ""


class FieldErrors:
    """Collects problems of one test, naming fields as ``tests[3].stdout``."""

    def __init__(self, path: str, prefix: str):
        self.path, self.prefix, self.problems = path, prefix, []

    def add(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, f"{self.prefix}.{name}", message))


class TestKind:
    name: ClassVar[str]
    fields: ClassVar[set[str]] = set()  # allowed besides COMMON_FIELDS
    compares: ClassVar[bool] = True  # whether `compare` means anything for this kind
    __test__ = False

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        """Check the kind's own fields; return the ``spec`` kept on the TestCase."""
        raise NotImplementedError

    def request(self, test: TestCase) -> Request:
        return Request(stdin=test.stdin)

    def judge(self, exercise: Exercise, test: TestCase, result) -> Verdict:
        raise NotImplementedError


KINDS: dict[str, TestKind] = {}


def register(cls: type[TestKind]) -> type[TestKind]:
    KINDS[cls.name] = cls()
    return cls


def get_kind(name: str) -> TestKind:
    return KINDS[name]


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_load_all()
