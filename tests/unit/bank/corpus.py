"""The harness behind the explanation corpora (test_corpus_*.py): beginner programs, each
run in the real sandbox and in plain CPython, each asserting the explanation a child gets.

A ``Case`` is one program as a child writes it. ``check(case, sandbox)`` asserts:
- CPython itself reports the error at ``cpython_line`` (by default the case's ``line``): the
  corpus is anchored on what Python really says, not on what we think it says;
- the explanation chosen has ``kind`` and points at ``line`` (which may differ from CPython's
  line on purpose: an unclosed bracket is reported later than where it was opened);
- the ro, en and hu messages are three different texts and each names every string in
  ``names``: the child's own name, value or symbol;
- no message uses words a 9-year-old does not know, and the fallbacks stay short.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from codekids.bank.explanations import Context, detect, explain
from codekids.bank.models import TestCase

LOCALES = ("ro", "en", "hu")
SAME = "same as line"  # cpython_line's default
UNCHECKED = "not checked"  # a program CPython would run forever, or a wrong answer (no error)

# Words of Python's own jargon that a child's explanation must not use (any language).
JARGON = ("NoneType", "Traceback", "traceback", "SyntaxError", "TypeError", "NameError",
          "ValueError", "IndexError", "KeyError", "iterable", "subscriptable", "instance",
          "apelat", "de tip list", "de tip str", "de tip int", "obiect", "object", "objektum")
FALLBACK_KINDS = ("other_error", "syntax_error")
FALLBACK_WORDS = 25
MAX_WORDS = 50

_CPYTHON = r"""
import json, sys, traceback
source, stdin, call = json.loads(sys.stdin.read())
import io
sys.stdin = io.StringIO(stdin)
sys.stdout = io.StringIO()
line = None
try:
    code = compile(source, "<child>", "exec")
    glb = {"__name__": "__main__"}
    exec(code, glb)
    if call is not None:
        glb[call[0]](*call[1])
except SyntaxError as exc:
    line = exc.lineno
except BaseException as exc:
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<child>":
            line = frame.lineno
sys.__stdout__.write(json.dumps(line))
"""


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    kind: str
    line: int | None
    names: tuple[str, ...]
    stdin: str = ""
    cpython_line: Any = SAME
    test: TestCase | None = None
    expected: Any = None

    def __repr__(self) -> str:  # pytest ids and failure messages stay short
        return f"Case({self.id!r})"


def cpython_error_line(source: str, stdin: str = "", call=None) -> int | None:
    """The line plain CPython reports for ``source`` (None: it ran without an error)."""
    done = subprocess.run([sys.executable, "-I", "-c", _CPYTHON], check=True, timeout=20,
                          input=json.dumps([source, stdin, call]), capture_output=True,
                          text=True)
    return json.loads(done.stdout)


def run_case(case: Case, sandbox):
    if case.test is not None and case.test.kind == "function":
        spec = case.test.spec
        return sandbox.call(case.source, spec["function"], spec.get("args", []),
                            stdin=case.stdin)
    return sandbox.run(case.source, stdin=case.stdin)


def check(case: Case, sandbox) -> None:
    if case.cpython_line != UNCHECKED:
        want = case.line if case.cpython_line == SAME else case.cpython_line
        call = None
        if case.test is not None and case.test.kind == "function":
            call = [case.test.spec["function"], case.test.spec.get("args", [])]
        assert cpython_error_line(case.source, case.stdin, call) == want, (
            f"{case.id}: CPython reports another line than the case says")
    result = run_case(case, sandbox)
    found = detect(Context(result, case.source, case.test, case.expected))
    assert found is not None, f"{case.id}: no explanation for {result.status} {result.error}"
    assert (found.kind, found.line) == (case.kind, case.line), (
        f"{case.id}: got {found.kind} at line {found.line}; error was {result.error}")
    texts = {loc: explain(result, case.source, loc, test=case.test, expected=case.expected)
             for loc in LOCALES}
    messages = {loc: t["message"] for loc, t in texts.items()}
    assert len(set(messages.values())) == len(LOCALES), f"{case.id}: not translated {messages}"
    for loc, message in messages.items():
        for name in case.names:
            assert name in message, f"{case.id} [{loc}] does not name {name!r}: {message}"
        for word in JARGON:
            assert word not in message, f"{case.id} [{loc}] uses {word!r}: {message}"
        limit = FALLBACK_WORDS if case.kind in FALLBACK_KINDS else MAX_WORDS
        assert len(message.split()) <= limit, f"{case.id} [{loc}] is too long: {message}"
        if case.line is not None:
            assert str(case.line) in texts[loc]["where"], f"{case.id} [{loc}]: {texts[loc]}"
