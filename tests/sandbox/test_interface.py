"""The interface other parts of the site depend on: names, fields, JSON, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from sandbox import ErrorInfo, Limits, RunResult
from sandbox.policy import REASONS

README = Path(__file__).resolve().parents[2] / "sandbox" / "README.md"


def test_result_fields_and_json(sandbox):
    r = sandbox.run("x = input('? ')\nprint(x * 2)", stdin="ab\n")
    assert isinstance(r, RunResult)
    d = json.loads(r.to_json())
    assert set(d) == {
        "status",
        "stdout",
        "stdout_truncated",
        "error",
        "value",
        "cpu_ms",
        "wall_ms",
        "turtle",
    }
    assert d["status"] == "ok" and d["stdout"] == "? abab\n"
    assert r.cpu_ms > 0 and r.wall_ms > 0
    assert RunResult.from_dict(d) == r


def test_error_reads_as_dict_and_attributes(sandbox):
    r = sandbox.run("a = 1\nb = 0\nprint(a / b)")
    assert isinstance(r.error, ErrorInfo)
    assert r.error["type"] == r.error.type == "ZeroDivisionError"
    assert r.error.message == "division by zero"
    assert (r.error.line, r.error.column) == (3, 7)
    assert r.error.reason is None


def test_line_numbers_refer_to_the_childs_source(sandbox):
    source = "def f(x):\n    return x[5]\n\n\nprint(f([1, 2]))\n"
    r = sandbox.run(source)
    assert (r.error.type, r.error.message, r.error.line) == (
        "IndexError",
        "list index out of range",
        2,
    )
    r = sandbox.run("print(1)\nif True\n    print(2)\n")
    assert (r.error.type, r.error.line) == ("SyntaxError", 2)


def test_every_refusal_reason_is_documented():
    text = README.read_text()
    for reason in REASONS:
        assert f"`{reason}`" in text, reason


def test_refusal_reasons(sandbox):
    cases = {
        "import os": "import_not_allowed",
        "open('f')": "name_not_allowed",
        "print((1).__class__)": "attribute_not_allowed",
        "print('{0.__class__}'.format(1))": "format_field_not_allowed",
        "x = " + "+".join(["1"] * 3000): "syntax_too_complex",
        "type('X', (), {})": "type_creation_not_allowed",
        "async def f():\n    pass": "syntax_not_allowed",
    }
    for source, reason in cases.items():
        r = sandbox.run(source)
        assert (r.status, r.error.reason) == ("refused", reason), (source, r)
        assert r.error.type == "Refused"


def test_source_limit(sandbox):
    r = sandbox.run("x = 1\n" * 20000)
    assert r.status == "refused" and r.error.reason == "source_too_large"


def test_run_many_isolates_each_input(sandbox):
    source = "import random\nn = int(input())\nprint(n, random.randint(1, 10 ** 9))"
    results = sandbox.run_many(source, [f"{i}\n" for i in range(6)])
    assert [r.stdout.split()[0] for r in results] == [str(i) for i in range(6)]
    # Same seed in every process: the random part repeats exactly.
    assert len({r.stdout.split()[1] for r in results}) == 1


def test_call_returns_json_values(sandbox):
    source = "def perechi(a, b):\n    return [(a, b), {'suma': a + b}]\n"
    r = sandbox.call(source, "perechi", [2, 3])
    assert r.status == "ok" and r.value == [[2, 3], {"suma": 5}]
    r = sandbox.call(source, "lipsa", [])
    assert r.status == "error" and r.error.type == "NameError"
    r = sandbox.call("def f():\n    return {1, 2}\n", "f", [])
    assert r.status == "error" and r.error.type == "TypeError"


def test_call_with_stdin(sandbox):
    source = (
        "nume = input('Nume? ')\n"
        "def salut(prefix):\n"
        "    varsta = int(input())\n"
        "    print(prefix, nume)\n"
        "    return {'nume': nume, 'varsta': varsta + 1}\n"
    )
    r = sandbox.call(source, "salut", ["Salut"], stdin="Ana\n9\n")
    assert r.status == "ok", r
    assert r.value == {"nume": "Ana", "varsta": 10}
    assert r.stdout == "Nume? Salut Ana\n"
    # Keyword, and with limits too; without stdin, input() meets EOF as in CPython.
    r = sandbox.call(source, "salut", ["Hei"], Limits(cpu_seconds=1), stdin="Dan\n1\n")
    assert (r.status, r.value) == ("ok", {"nume": "Dan", "varsta": 2})
    r = sandbox.call(source, "salut", ["Salut"])
    assert r.status == "error" and r.error.type == "EOFError"
    r = sandbox.call("def f():\n    return input()\n", "f", [], stdin="")
    assert r.status == "error" and r.error.type == "EOFError"


def test_limits_override_per_call(sandbox):
    r = sandbox.run("print('x' * 50)", limits=Limits(output_bytes=10))
    assert r.status == "output_limit" and r.stdout == "x" * 10
    r = sandbox.run("import random\nprint(random.random())", limits=Limits(random_seed=7))
    import random

    assert r.stdout == f"{random.Random(7).random()}\n"


def test_turtle_recording_format(sandbox):
    r = sandbox.run(
        "import turtle\nt = turtle.Turtle()\nt.color('Red')\nt.width(3)\nt.forward(50)\nt.left(90)\nt.penup()\nt.forward(10)\nt.pendown()\nt.forward(20)\nturtle.done()"
    )
    assert r.status == "ok"
    assert r.turtle == [
        {"x1": 0.0, "y1": 0.0, "x2": 50.0, "y2": 0.0, "color": "red", "width": 3},
        {"x1": 50.0, "y1": 10.0, "x2": 50.0, "y2": 30.0, "color": "red", "width": 3},
    ]
    assert sandbox.run("print(1)").turtle is None


def test_turtle_circle_matches_cpython_chords(sandbox):
    r = sandbox.run("from turtle import *\ncircle(60)")
    # CPython: 1 + int(min(11 + 60 / 6, 59)) = 22 chords, closing on the start.
    assert len(r.turtle) == 22
    assert (r.turtle[0]["x1"], r.turtle[0]["y1"]) == (0.0, 0.0)
    assert (r.turtle[-1]["x2"], r.turtle[-1]["y2"]) == (0.0, 0.0)


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_cli_run(tmp_path):
    (tmp_path / "p.py").write_text("n = int(input('n? '))\nprint(n * 2)\nprint(1 / 0)\n")
    (tmp_path / "in.txt").write_text("21\n")
    done = run_cli(
        "run", "p.py", "--stdin", "in.txt", "--time-limit", "1", "--memory-mb", "128", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "error" and result["stdout"] == "n? 42\n"
    assert result["error"]["type"] == "ZeroDivisionError" and result["error"]["line"] == 3


def test_cli_doctor(tmp_path):
    done = run_cli("doctor", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"seccomp\s+(active|absent)", done.stdout)
    assert re.search(r"language policy \(import os\)\s+blocked", done.stdout)
