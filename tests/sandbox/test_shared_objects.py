"""What one test of a submission changes, the next never sees.

The tests of a submission share one process (DESIGN.md §3): each gets fresh
globals, a fresh ``random``, a fresh turtle, but the classes and functions of
the sandbox itself (``turtle.Turtle``, ``string.capwords``, ``print``...) are
one object for all of them. A program trying to change one is refused, and
the test after it runs against the original.
"""

from __future__ import annotations

import pytest

from sandbox import Limits
from sandbox.bounds import MAX_OUTPUT_BYTES

# what: (the attack, in test 1), (a check, in test 2), what the check prints
ATTACKS = {
    "a method of turtle.Turtle": (
        "import turtle\nturtle.Turtle.forward = 5",
        "import turtle\nt = turtle.Turtle()\nt.forward(10)\nprint(t.xcor())",
        "10.0",
    ),
    "a method through an alias": (
        "import turtle\nT = turtle.Turtle\nT.color = None",
        "import turtle\nprint(callable(turtle.Turtle.color))",
        "True",
    ),
    "the turtle error class": (
        "import turtle\nturtle.TurtleGraphicsError.extra = 1",
        "import turtle\ntry:\n    print(turtle.TurtleGraphicsError.extra)\nexcept AttributeError:\n    print(0)",
        "0",
    ),
    "a function of string": (
        "import string\nstring.capwords.seen = 1",
        "import string\ntry:\n    print(string.capwords.seen)\nexcept AttributeError:\n    print(0)",
        "0",
    ),
    "the print builtin": (
        "print.seen = 1",
        "try:\n    print(print.seen)\nexcept AttributeError:\n    print(0)",
        "0",
    ),
    "a method of a builtin type": ("str.upper = 5", "print('a'.upper())", "A"),
}


@pytest.mark.parametrize("what", sorted(ATTACKS))
def test_changing_a_shared_class_or_function_is_refused(sandbox, what):
    attack, check, printed = ATTACKS[what]
    # The attack runs in test 1 only; test 2, in the same process, checks.
    body = "n = int(input())\nif n == 1:\n" + "".join(
        f"    {line}\n" for line in attack.split("\n")
    )
    body += check + "\n"
    first, second = sandbox.run_many(body, ["1\n", "2\n"])
    assert first.status == "refused", first
    assert first.error.reason == "attribute_not_allowed"
    assert (second.status, second.stdout) == ("ok", printed + "\n"), second


def test_the_programs_own_classes_and_functions_stay_its_own(sandbox):
    body = (
        "import turtle\n"
        "n = int(input())\n"
        "class Robot(turtle.Turtle):\n    name = '-'\n"
        "def greet():\n    return 'hi'\n"
        "class Box:\n    size = 1\n"
        "greet.times = 0\n"
        "if n == 1:\n    Box.size = 5\n    greet.times = 3\n    Robot.name = 'R1'\n"
        "print(Box.size, greet.times, Robot.name)\n"
    )
    first, second = sandbox.run_many(body, ["1\n", "2\n"])
    assert (first.status, first.stdout) == ("ok", "5 3 R1\n")
    assert (second.status, second.stdout) == ("ok", "1 0 -\n")


def test_a_caller_asking_more_output_than_the_ceiling_gets_the_ceiling(sandbox):
    r = sandbox.run(
        "s = 'x' * 100000\nwhile True:\n    print(s)\n",
        limits=Limits(output_bytes=10**12, cpu_seconds=5.0, wall_seconds=10.0),
    )
    assert r.status == "output_limit"
    assert MAX_OUTPUT_BYTES // 2 < len(r.stdout.encode()) <= MAX_OUTPUT_BYTES


def test_limits_that_are_not_numbers_are_refused_by_the_server(sandbox):
    r = sandbox.run("print(1)", limits=Limits(memory_mb="lots"))  # type: ignore[arg-type]
    assert r.status == "error"
    assert r.error.type == "SandboxError"
    assert "memory_mb" in r.error.message
    assert sandbox.run("print(2)").stdout == "2\n"  # the server lives on
