"""The runs of one submission share a compile (sandbox/server.py, "Compiling once").

While a child compiles a source, the other runs of that source wait for its
compiled code; a source that does not compile is answered, for every input,
from the one child that tried. Each input still runs in a process of its own.
Every source here starts with a comment of its own, so no earlier test has put
it in the server's caches.
"""

from __future__ import annotations

from sandbox import Limits


def test_a_program_that_does_not_compile_is_compiled_by_one_child(sandbox):
    source = "# nu se compileaza 1\nprint('a')\nif True print('b')\n"
    results = sandbox.run_many(source, [f"{i}\n" for i in range(5)])
    assert all(r.status == "error" and r.error.type == "SyntaxError" and r.error.line == 3
               for r in results), results
    assert len({r.error.message for r in results}) == 1
    # One child compiled and failed; the four others were answered without a process.
    ran = [r for r in results if r.wall_ms > 0]
    assert len(ran) == 1 and ran[0].cpu_ms > 0
    # Asked again later: answered at once, the same way.
    again = sandbox.run(source, stdin="9\n")
    assert (again.status, again.error.line, again.wall_ms) == ("error", 3, 0.0)


def test_a_refused_program_is_refused_for_every_input(sandbox):
    source = "# refuzat 1\nimport os\nprint(os.getcwd())\n"
    results = sandbox.run_many(source, ["1\n", "2\n", "3\n"])
    assert [(r.status, r.error.reason) for r in results] == [("refused", "import_not_allowed")] * 3
    assert sum(r.wall_ms > 0 for r in results) == 1


def test_runs_of_a_source_being_compiled_wait_for_its_code(sandbox):
    # Slow to compile, quick to run: four compiles would cost four times one.
    body = "".join(f"x{i} = {i}\n" for i in range(2500)) + "print(input())\n"
    alone = sandbox.run("# o data\n" + body, stdin="7\n")
    assert alone.status == "ok" and alone.stdout == "7\n"
    results = sandbox.run_many("# de patru ori\n" + body, [f"{i}\n" for i in range(4)])
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(4)]
    assert all(r.wall_ms > 0 for r in results)  # each input ran, in a process of its own
    # One run paid for the compile (~100 ms here); the others ran its code (~3 ms).
    compiled = [r for r in results if r.cpu_ms > alone.cpu_ms / 3]
    assert len(compiled) == 1, (alone.cpu_ms, [r.cpu_ms for r in results])


def test_an_error_that_depends_on_the_input_is_not_shared(sandbox):
    # It happens while running, after the compile: never answered for other inputs.
    source = "# depinde de intrare\nx = int(input())\nprint(10 // x)\n"
    results = sandbox.run_many(source, ["0\n", "5\n", "0\n", "2\n"])
    assert [r.status for r in results] == ["error", "ok", "error", "ok"]
    assert [r.stdout for r in results] == ["", "2\n", "", "5\n"]
    assert results[0].error.type == "ZeroDivisionError"


def test_a_compile_stopped_by_a_limit_is_not_shared(sandbox):
    # Stopped by the CPU limit while compiling: not a verdict about the program, so
    # the runs held back for it compile for themselves (and are each answered).
    source = "# prea lent\n" + "x = 1\n" * 10000
    results = sandbox.run_many(source, ["1\n", "2\n", "3\n"], limits=Limits(cpu_seconds=0.05))
    assert len(results) == 3
    assert all(r.status in ("timeout", "ok") for r in results), results
    assert all(r.wall_ms > 0 for r in results)
    # With an ordinary limit the same program runs.
    assert sandbox.run(source).status == "ok"
