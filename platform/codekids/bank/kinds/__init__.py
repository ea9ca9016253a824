"""Test kinds: a small registry, like CTFd's challenge types.

A kind is one module of this package, holding everything about its tests:

- which fields its tests have (``parse``);
- how the program is run for it (``request``: a plain run with some stdin, or a
  call of a function);
- whether a finished run passed (``judge``), and what it shows of a run that did
  not (the verdict's ``details``);
- its failure messages (``messages``) and how a verdict is said (``say``);
- what a hidden test of the kind tried, said without its data (``hidden_hint``);
- how its details are shown on a page: the macro ``details(test, reader)`` in
  ``templates/kinds/<name>.html``, called for a test the kind judged "failed"
  by ``templates/kinds/details.html``, the one macro the child's results and the
  librarian's cell detail call.

Adding a kind is that module (a ``TestKind`` subclass decorated with
``@register``) and its template; the grading core (``codekids.bank.grading``)
and the pages know nothing of any kind.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, ClassVar

from codekids.bank import texts
from codekids.bank.models import Exercise, Problem, TestCase

COMMON_FIELDS = {"kind", "hidden", "stdin", "compare"}
# A kind's messages are keyed "grading.<name>": they were grading's own before the
# kinds held them, and stored reports keep those keys (texts.py), so the prefix stays.
# Names are shared by every kind and the grading core: ``texts.register_keys`` refuses
# a name that is already another message.
MESSAGE_PREFIX = "grading"


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
    # Why it failed: the name of one of the kind's ``messages`` (see ``TestKind.say``).
    reason: str = ""


class FieldErrors:
    """Collects problems of one test, naming fields as ``tests[3].stdout``."""

    def __init__(self, path: str, prefix: str):
        self.path, self.prefix, self.problems = path, prefix, []

    def add(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.path, f"{self.prefix}.{name}", message))


def message(name: str, num: int | None = None, /, **params) -> dict:
    """A text of a kind's messages (or grading's), as the report stores it."""
    return texts.text(f"{MESSAGE_PREFIX}.{name}", num, **params)


class TestKind:
    name: ClassVar[str]
    fields: ClassVar[set[str]] = set()  # allowed besides COMMON_FIELDS
    compares: ClassVar[bool] = True  # whether `compare` means anything for this kind
    # Its failure messages, name -> msgid (``texts._l``) or (singular, plural) (``texts._ln``).
    messages: ClassVar[dict[str, Any]] = {}
    __test__ = False

    def parse(self, raw: dict, errors: FieldErrors) -> dict:
        """Check the kind's own fields; return the ``spec`` kept on the TestCase."""
        raise NotImplementedError

    def request(self, test: TestCase) -> Request:
        return Request(stdin=test.stdin)

    def judge(self, exercise: Exercise, test: TestCase, result) -> Verdict:
        raise NotImplementedError

    def expected(self, test: TestCase):
        """What the test expects, for the explanations (an output or a value); None if
        the kind expects neither."""
        return None

    def say(self, verdict: Verdict) -> dict:
        """The child's sentence for a failed verdict, as a text."""
        return message(verdict.reason)

    def hidden_hint(self, test: TestCase) -> str:
        """The name of grading's sentence for a hidden test of this kind that did not
        pass: what it tried, said plainly and only as far as it is true."""
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


KINDS: dict[str, TestKind] = {}


def register(cls: type[TestKind]) -> type[TestKind]:
    texts.register_keys(MESSAGE_PREFIX, cls.messages)
    KINDS[cls.name] = cls()
    return cls


def get_kind(name: str) -> TestKind:
    return KINDS[name]


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_load_all()
