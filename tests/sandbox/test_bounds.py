"""Every dimension of a run's answer is bounded: each test tries an attack an
attacker measured (issue 14) and asserts it failed (sandbox/bounds.py)."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from sandbox import Limits, bounds


def _strict(text: str):
    """Parse as strictly standard JSON: NaN and infinities are refused."""

    def refuse(name):
        raise ValueError(f"non-standard JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _size(result) -> int:
    return len(result.to_json().encode())


# -- messages and type names ---------------------------------------------------------


def test_a_str_subclass_that_lies_about_its_length_is_cut(sandbox):
    source = (
        "class S(str):\n"
        "    def __len__(self):\n"
        "        return 0\n"
        "class E(Exception):\n"
        "    def __str__(self):\n"
        "        return S('x' * 5_000_000)\n"
        "raise E()\n"
    )
    r = sandbox.run(source)
    assert r.status == "error"
    assert type(r.error.message) is str and len(r.error.message) <= bounds.MESSAGE_LIMIT + 1
    assert r.error.type == "Exception"  # E is the program's own class
    assert _size(r) < 20_000


def test_a_str_subclass_as_the_exceptions_argument_is_cut(sandbox):
    source = (
        "class S(str):\n"
        "    def __len__(self):\n"
        "        return 0\n"
        "    def __str__(self):\n"
        "        return self\n"
        "raise ValueError(S('y' * 5_000_000))\n"
    )
    r = sandbox.run(source)
    assert r.status == "error" and r.error.type == "ValueError"
    assert len(r.error.message) <= bounds.MESSAGE_LIMIT + 1
    assert _size(r) < 20_000


@pytest.mark.parametrize(
    "raise_it",
    [
        "raise SyntaxError('m', ('<program>', big, 1, 'x'))",
        "raise SyntaxError('m', ('<program>', 1, big, big))",
        "raise SyntaxError(big, ('<program>', 1, 1, 'x'))",
        "raise SyntaxError(*big)",
    ],
)
def test_a_syntax_error_carrying_four_million_items_gives_a_bounded_result(sandbox, raise_it):
    source = f"big = [0] * 4_000_000\n{raise_it}\n"
    tracemalloc.start()
    try:
        results = sandbox.run_many(source, ["", "a", "b", "c"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for r in results:
        assert r.status in ("error", "memory"), r
        assert r.error.line is None or type(r.error.line) is int
        assert r.error.column is None or type(r.error.column) is int
        assert type(r.error.message) is str and len(r.error.message) <= bounds.MESSAGE_LIMIT + 1
        assert _size(r) < 20_000
    assert peak < 8 * 1024 * 1024  # the caller's memory for the 4 answers (was 1.1 GB)


def test_a_class_the_program_named_sandboxerror_is_never_the_sandboxs_error(sandbox, tmp_path):
    source = "class SandboxError(Exception):\n    pass\nraise SandboxError('the sandbox broke')\n"
    r = sandbox.run(source)
    assert r.status == "error" and r.error.type == "Exception"
    assert r.error.message == "the sandbox broke"
    from sandbox.__main__ import main

    program = tmp_path / "p.py"
    program.write_text(source)
    assert main(["run", str(program)]) == 0  # the CLI: the sandbox did its job


def test_a_subclass_of_a_builtin_exception_is_named_by_that_builtin(sandbox):
    r = sandbox.run("class Rau(KeyError):\n    pass\nraise Rau('k')\n")
    assert r.error.type == "KeyError"


def test_the_checker_names_only_types_from_its_table():
    assert bounds.check_error({"type": "SandboxError", "message": "m"})["type"] == "Exception"
    assert bounds.check_error({"type": "Crash", "message": "m"})["type"] == "Exception"
    assert bounds.check_error({"type": "Refused", "reason": "nope"})["reason"] in (
        "syntax_not_allowed",
    )
    assert bounds.check_error({"type": "ZeroDivisionError"})["type"] == "ZeroDivisionError"


# -- forged frames ----------------------------------------------------------------------

FORGE = """
import json, os, struct
verdict = {VERDICT}
payload = json.dumps(verdict).encode()
os.write(3, b"R" + struct.pack("!I", len(payload)) + payload)
os._exit(0)
"""


def _forged(raw_sandbox, verdict: str):
    return raw_sandbox.run_unrestricted(FORGE.replace("{VERDICT}", verdict))


def test_a_forged_frame_is_rebuilt_by_the_server(raw_sandbox):
    r = _forged(
        raw_sandbox,
        '{"index": 0, "end": True, "stdout_bytes": 0, "status": "error", "stdout_truncated": "yes",'
        ' "error": {"type": "SandboxError", "message": {"a": [1] * 1000}, "line": "12",'
        ' "column": [1, 2], "values": "junk", "extra": "x" * 100000},'
        ' "value": float("nan"), "turtle": [{"x1": "junk"}, 5]}',
    )
    assert r.status == "error"
    assert r.error.type == "Exception"
    assert r.error.message == ""
    assert r.error.line is None and r.error.column is None
    assert "extra" not in r.error and r.error["values"] == {}
    assert r.stdout_truncated is False
    assert r.turtle == []
    assert r.value == "nan"
    _strict(r.to_json())


def test_a_forged_status_is_not_passed_on(raw_sandbox):
    r = _forged(raw_sandbox, '{"index": 0, "end": True, "stdout_bytes": 0, "status": "hacked"}')
    assert r.status in bounds.STATUSES and r.status != "ok"


def test_a_forged_huge_value_is_refused(raw_sandbox):
    r = _forged(
        raw_sandbox,
        '{"index": 0, "end": True, "stdout_bytes": 0, "status": "ok", "value": "v" * 3_000_000}',
    )
    assert r.status == "error" and r.value is None
    assert _size(r) < 20_000


# -- standard JSON ------------------------------------------------------------------------


def test_nan_and_infinity_in_turtle_coordinates_are_standard_json(sandbox):
    source = (
        "import turtle\n"
        "turtle.forward(10)\n"
        "turtle.goto(float('nan'), 5)\n"
        "turtle.goto(float('inf'), float('-inf'))\n"
        "turtle.pensize(float('inf'))\n"
        "turtle.forward(1)\n"
    )
    r = sandbox.run(source)
    assert r.status == "ok", r
    data = _strict(r.to_json())
    coords = [seg[k] for seg in data["turtle"] for k in ("x1", "y1", "x2", "y2")]
    assert "nan" in coords and "inf" in coords and "-inf" in coords
    assert all(type(c) is float or c in bounds.NON_FINITE for c in coords)


def test_nan_and_infinity_in_a_call_value_are_standard_json(sandbox):
    source = "def f():\n    return [float('nan'), float('inf'), -float('inf'), {'k': 1.5}]\n"
    r = sandbox.call(source, "f", [])
    assert r.status == "ok", r
    assert r.value == ["nan", "inf", "-inf", {"k": 1.5}]
    _strict(r.to_json())


def test_a_call_value_too_large_to_compare_is_an_error(sandbox):
    r = sandbox.call("def f():\n    return 'x' * 1_000_000\n", "f", [])
    assert r.status == "error" and r.value is None
    assert _size(r) < 20_000


# -- turtle ---------------------------------------------------------------------------------


def test_a_13_mb_colour_string_is_refused_as_cpythons_turtle_does(sandbox):
    r = sandbox.run("import turtle\nturtle.color('r' * 13_000_000)\nturtle.forward(10)\n")
    assert r.status == "error"
    assert r.error.type == "TurtleGraphicsError"
    assert r.error.message.startswith("bad color string: ")
    assert _size(r) < 20_000


@pytest.mark.parametrize("colour", ["notacolour", "#12", "#ggg", "red; stroke: url(x)", "#1234"])
def test_a_colour_outside_the_table_is_refused(sandbox, colour):
    r = sandbox.run(f"import turtle\nturtle.pencolor({colour!r})\n")
    assert r.status == "error" and r.error.type == "TurtleGraphicsError"


def test_the_colours_a_beginner_uses_are_recorded(sandbox):
    r = sandbox.run(
        "import turtle\n"
        "for c in ['Red', 'light blue', 'DarkGreen', '#abc', '#A0B1C2', (1, 0.5, 0)]:\n"
        "    turtle.color(c)\n"
        "    turtle.forward(10)\n"
    )
    assert r.status == "ok", r
    assert [s["color"] for s in r.turtle] == [
        "red",
        "lightblue",
        "darkgreen",
        "#abc",
        "#a0b1c2",
        "#ff8000",
    ]


def test_a_drawing_is_bounded_in_segments_and_bytes(sandbox):
    limits = Limits(max_turtle_segments=10**9)  # asked for more than the ceiling
    r = sandbox.run(
        "import turtle\nturtle.color('lightgoldenrodyellow')\nturtle.pensize(123456.78)\n"
        "while True:\n    turtle.forward(-123456789.123)\n    turtle.left(1.2345)\n",
        limits=limits,
    )
    assert r.status == "output_limit"
    assert len(r.turtle) <= bounds.MAX_TURTLE_SEGMENTS
    assert _size(r) <= bounds.MAX_TURTLE_SEGMENTS * bounds.SEGMENT_BYTES


def test_a_forged_drawing_is_cut_by_the_server(raw_sandbox):
    r = _forged(
        raw_sandbox,
        '{"index": 0, "end": True, "stdout_bytes": 0, "status": "ok", "turtle": [{"x1": 1,'
        ' "y1": 2, "x2": 3, "y2": 4, "color": "c" * 30, "width": 10 ** 40}] * 60000}',
    )
    assert r.status == "ok"
    assert len(r.turtle) <= Limits().max_turtle_segments
    assert all(s["color"] == "black" and s["width"] == 1e40 for s in r.turtle)


def test_a_result_frame_over_its_cap_is_never_read(raw_sandbox):
    r = _forged(
        raw_sandbox,
        '{"index": 0, "end": True, "stdout_bytes": 0, "status": "ok",'
        ' "turtle": [{"color": "c" * 1000}] * 200000}',
    )
    assert r.status == "error" and r.turtle is None
    assert _size(r) < 20_000


# -- the refusal path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "refused",
    ["type('A', (), {})", "'{0.real}'.format(1)", "import string\nstring.Formatter"],
)
def test_a_refusal_ends_the_program_even_at_the_recursion_limit(sandbox, refused):
    body = "\n".join("            " + line for line in refused.splitlines())
    source = (
        "def f(n):\n"
        "    try:\n"
        "        f(n + 1)\n"
        "    except RecursionError:\n"
        "        pass\n"
        "    if True:\n"
        "        try:\n"
        f"{body}\n"
        "        except BaseException as e:\n"
        "            print('went on', type(e))\n"
        "f(0)\n"
        "print('went on at the end')\n"
    )
    r = sandbox.run(source)
    # Deepest down, the guard itself cannot be entered (a RecursionError as
    # CPython gives for any call); once a refusal is decided the run ends there.
    assert "went on at the end" not in r.stdout
    assert r.status in ("refused", "error")
    assert r.status == "refused" or r.error.type == "Crash", r


def test_a_refusal_whose_position_cannot_be_read_still_refuses(monkeypatch):
    from sandbox import runtime

    def no_stack():
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(runtime, "_current_program_position", no_stack)
    state = runtime.RunState()
    runtime.make_globals(state)
    with pytest.raises(runtime.Stop):
        state.refuse("import_not_allowed", 'importing "os" is not allowed', "os")
    assert state.refusal.reason == "import_not_allowed"
    assert runtime.verdict(state, "ok", None)["status"] == "refused"


def test_a_refusal_whose_description_fails_still_ends_the_run():
    from sandbox import runtime

    state = runtime.RunState()
    runtime.make_globals(state)
    calls = []

    def broken_stop(s):
        calls.append(s.status_override)
        raise RecursionError("no stack left while writing the verdict")

    state._stop = broken_stop
    import os

    exits = []
    real_exit = os._exit
    os._exit = lambda code: (exits.append(code), (_ for _ in ()).throw(SystemExit(code)))
    try:
        with pytest.raises(SystemExit):
            state.refuse("attribute_not_allowed", "m")
    finally:
        os._exit = real_exit
    assert calls == ["refused", "refused"]  # tried, retried with stack to spare
    assert exits == [runtime.EXIT_REFUSAL_FAILED]  # then the process ends, never returns


# -- the answer frame -------------------------------------------------------------------------


def test_the_servers_answer_is_bounded_and_standard():
    big = {"status": "ok", "stdout": "x" * (bounds.ANSWER_FRAME_BYTES // 3), "value": None}
    data = bounds.answer_bytes({"id": 1, "results": [big, big, big, big, {"value": float("nan")}]})
    assert len(data) <= bounds.ANSWER_FRAME_BYTES
    parsed = _strict(data)
    assert parsed["results"][-1]["value"] == "nan"
    assert any(r["status"] == "output_limit" for r in parsed["results"])


# -- the code cache ------------------------------------------------------------------------------


def _cache_filler(variant: int) -> str:
    """A small source that compiles to ~5 MB of constants (folded by the compiler)."""
    words = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
    items = ",".join(f"'{w}'*2000" for w in words)
    return f"# variant {variant}\nt = ({items})\nprint(len(t))\n"


def test_cache_filling_programs_never_make_another_runs_list_fail(sandbox):
    from sandbox import Sandbox

    limits = Limits(memory_mb=160)
    with Sandbox(limits=limits, pool_size=1) as sb:
        for variant in range(24):  # ~120 MB of compiled code asked to be kept
            r = sb.run(_cache_filler(variant))
            assert r.status == "ok", r
        r = sb.run("x = [0] * 5_000_000\nprint(len(x))\n")  # a 40 MB list
        assert r.status == "ok", r
        assert r.stdout == "5000000\n"


def test_a_compile_refused_under_a_small_memory_limit_is_not_the_answer_under_a_larger(sandbox):
    source = _cache_filler(999)
    small = sandbox.run(source, limits=Limits(memory_mb=18))  # the compiler runs out
    assert small.status == "refused" and small.error.reason == "syntax_too_complex", small
    large = sandbox.run(source, limits=Limits(memory_mb=256))
    assert large.status == "ok", large
    again = sandbox.run(source, limits=Limits(memory_mb=18))
    assert again.status == "refused"
