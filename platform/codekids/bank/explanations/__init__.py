"""Friendly explanations of errors: a registry keyed by error kind.

Each explanation is a small class: ``detect(ctx)`` looks at one finished run
(its ``RunResult``, the child's source and, when known, the test) and returns
a ``Match`` naming the line, or None. ``explain`` asks them in ``priority``
order (specific before general; the fallback last), so the first that
recognises the error wins. Messages are English msgids translated through the
site's catalogs; adding an explanation is one class in one module here.

What a submission stores is language-free (``describe``): the kind, the line and
the message as a text of ``codekids.bank.texts``, keyed ``explanation.<kind>.<variant>``
with the match's parameters. ``render`` gives it words in the reader's locale.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from codekids.bank import texts
from codekids.bank.texts import _l, translate

SYNTAX_TYPES = ("SyntaxError", "IndentationError", "TabError")


@dataclass
class Context:
    result: Any  # sandbox.RunResult
    source: str
    test: Any = None  # codekids.bank.models.TestCase, when grading
    expected: Any = None  # expected stdout (io) or value (function)
    # What a free Run read: the child's own input box (None when graded, or when the page
    # has no input box), so "nothing to read" can say that the box is empty.
    stdin: str | None = None

    @property
    def error(self) -> dict:
        return dict(self.result.error or {})

    @property
    def error_type(self) -> str:
        return self.error.get("type") or ""

    @property
    def is_syntax_error(self) -> bool:
        return self.error_type in SYNTAX_TYPES

    @property
    def syntax(self):
        """CPython's own error for a program it cannot read, with all its positions (the
        sandbox sends only the line and column); None for any other run."""
        if not self.is_syntax_error:
            return None
        from codekids.bank.explanations import source

        facts = source.syntax_error(self.source)
        return facts if facts is not None and facts.lineno else None

    @property
    def message(self) -> str:
        return self.error.get("message") or ""

    @property
    def line(self) -> int | None:
        return self.error.get("line")

    @property
    def lines(self) -> list[str]:
        return self.source.splitlines()

    def line_text(self, number: int | None) -> str:
        if number is None or not 1 <= number <= len(self.lines):
            return ""
        return self.lines[number - 1]

    def find_line(self, pattern: str) -> int | None:
        regex = re.compile(pattern)
        for number, text in enumerate(self.lines, 1):
            if regex.search(text):
                return number
        return None


@dataclass
class Match:
    kind: str
    line: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    variant: str = "default"


class Explanation:
    kind: ClassVar[str]
    priority: ClassVar[int] = 50
    # msgid per variant; "default" is required.
    messages: ClassVar[dict[str, str]]
    # Params that may carry a test's data (a key, a text read from input): never
    # shown for a hidden test.
    secret_params: ClassVar[tuple[str, ...]] = ()

    def detect(self, ctx: Context) -> Match | None:
        raise NotImplementedError

    def match(self, ctx: Context, line: int | None = None, variant: str = "default",
              **params) -> Match:
        return Match(self.kind, ctx.line if line is None else line, params, variant)


REGISTRY: dict[str, Explanation] = {}

LINE = _l("Line %(line)s")
HIDDEN_VALUE = "…"


def register(cls: type[Explanation]) -> type[Explanation]:
    if cls.kind in REGISTRY:
        raise ValueError(f"two explanations for {cls.kind!r}")
    REGISTRY[cls.kind] = cls()
    texts.register_keys(f"explanation.{cls.kind}", cls.messages)
    return cls


def ordered() -> list[Explanation]:
    return sorted(REGISTRY.values(), key=lambda e: (e.priority, e.kind))


def detect(ctx: Context) -> Match | None:
    for explanation in ordered():
        found = explanation.detect(ctx)
        if found is not None:
            return found
    return None


def describe(found: Match, *, hidden: bool = False) -> dict:
    """The explanation as it is stored: kind, line, and its message as a text (a key and
    the match's parameters). A hidden test's secret parameters are blanked here, so
    they never reach the database."""
    explanation = REGISTRY[found.kind]
    params = {k: (HIDDEN_VALUE if hidden and k in explanation.secret_params else v)
              for k, v in found.params.items()}
    variant = found.variant if found.variant in explanation.messages else "default"
    return {"kind": found.kind, "line": found.line,
            "message": texts.text(f"explanation.{found.kind}.{variant}", **params)}


def blank(kind: str) -> dict | None:
    """The default explanation of ``kind`` with its parameters blank, for a submission
    that stored no words of its own (None for a kind this version does not know)."""
    explanation = REGISTRY.get(kind)
    if explanation is None:
        return None
    return {"kind": kind, "line": None,
            "message": {"key": f"explanation.{kind}.default"}}


def render(stored: dict, locale: str, *, written_in: str | None = None) -> dict:
    """A stored explanation as a reader in ``locale`` reads it: kind, line, "Line 3", message.

    ``written_in`` is the locale of the report it comes from. A row from before
    explanations were stored as keys holds the child's words: shown as they were to a
    reader of that language, and to any other as the kind's default message with its
    blanks marked (what the child named cannot be read back out of translated words).
    """
    line = stored.get("line")
    message = stored.get("message")
    if isinstance(message, str) and written_in != locale and stored.get("kind") in REGISTRY:
        message = blank(stored["kind"])["message"]
    return {
        "kind": stored.get("kind"),
        "line": line,
        "where": translate(locale, LINE, line=line) if line else "",
        "message": texts.render_text(message, locale),
    }


def explain(result, source: str, locale: str, *, test=None, expected=None,
            hidden: bool = False, stdin: str | None = None) -> dict | None:
    """The explanation of a run, rendered in ``locale`` (a free Run: shown, not stored)."""
    found = detect(Context(result, source, test, expected, stdin))
    return render(describe(found, hidden=hidden), locale) if found else None


def stored_explanation(result, source: str, *, test=None, expected=None,
                       hidden: bool = False) -> dict | None:
    """The explanation of a graded test, language-free, as the report stores it."""
    found = detect(Context(result, source, test, expected))
    return describe(found, hidden=hidden) if found else None


def _load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_load_all()
