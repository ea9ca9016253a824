"""One process per graded submission, with the per-test fallback (Sandbox.grade).

Each test runs in a fresh namespace of the same child; a test that ends the
process gets its own verdict and the tests after it run one process each.
Sources start with a comment of their own, so no earlier test cached them.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from sandbox import Limits, Sandbox


def test_a_clean_submission_runs_in_one_process(sandbox):
    source = "# un proces\nn = int(input())\nprint(n * n)\n"
    results = sandbox.grade(source, [{"stdin": f"{i}\n"} for i in range(5)])
    assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(5)]
    assert results.processes == 1
    assert all(r.wall_ms > 0 and r.cpu_ms >= 0 for r in results)


def test_a_global_set_in_one_test_is_not_seen_in_the_next(sandbox):
    source = (
        "# globale\ntry:\n    print('seen', vazut)\nexcept NameError:\n    print('fresh')\n"
        "vazut = input()\n"
    )
    results = sandbox.grade(source, [{"stdin": "a\n"}, {"stdin": "b\n"}, {"stdin": "c\n"}])
    assert [r.stdout for r in results] == ["fresh\n"] * 3
    assert results.processes == 1


def test_random_gives_the_same_numbers_in_every_test(sandbox):
    source = "# aleator\nimport random\nprint(random.randint(1, 10**9), random.random())\n"
    results = sandbox.grade(source, [{"stdin": ""}] * 4)
    assert len({r.stdout for r in results}) == 1 and results[0].stdout
    assert results[0].stdout == sandbox.run(source).stdout


def test_each_test_gets_its_own_turtle_drawing(sandbox):
    source = "# desen\nimport turtle\nn = int(input())\nfor _ in range(n):\n    turtle.forward(10)\n"
    results = sandbox.grade(source, [{"stdin": "1\n"}, {"stdin": "3\n"}, {"stdin": "0\n"}])
    assert [r.status for r in results] == ["ok"] * 3
    segments = [len(r.turtle or []) for r in results]
    assert segments[0] < segments[1] and segments[2] == 0, segments


def test_an_endless_loop_in_test_two_of_four_times_out_alone(sandbox):
    source = "# bucla\nn = int(input())\nwhile n == 2:\n    pass\nprint(n)\n"
    tests = [{"stdin": f"{i}\n"} for i in (1, 2, 3, 4)]
    results = sandbox.grade(source, tests, Limits(cpu_seconds=0.3))
    assert [r.status for r in results] == ["ok", "timeout", "ok", "ok"]
    assert [r.stdout for r in results] == ["1\n", "", "3\n", "4\n"]
    assert results[1].error.type == "TimeLimit"
    assert results[1].cpu_ms >= 250  # its own budget, not test one's leftovers
    # Tests 3 and 4 re-ran in processes of their own.
    assert results.processes == 3


def test_a_wall_limit_in_one_test_falls_back_for_the_rest(sandbox):
    # input() of a test that waits forever cannot happen; a long CPU-free wait can:
    # the server's own wall clock, per test.
    source = "# perete\nn = int(input())\nif n == 1:\n    while True:\n        pass\nprint(n)\n"
    limits = Limits(cpu_seconds=5, wall_seconds=0.4)
    results = sandbox.grade(source, [{"stdin": f"{i}\n"} for i in range(3)], limits)
    assert [r.status for r in results] == ["ok", "timeout", "ok"]
    assert results[1].error.limit == "wall"
    assert results[2].stdout == "2\n"


def test_a_memory_bomb_in_one_test_keeps_the_later_tests(sandbox):
    source = "# memorie\nn = int(input())\nif n == 1:\n    x = [0] * (10 ** 10)\nprint(n)\n"
    results = sandbox.grade(source, [{"stdin": f"{i}\n"} for i in range(4)])
    assert [r.status for r in results] == ["ok", "memory", "ok", "ok"]
    assert [r.stdout for r in results] == ["0\n", "", "2\n", "3\n"]
    assert results.processes == 3


def test_an_output_flood_in_one_test_keeps_the_later_tests(sandbox):
    source = "# potop\nn = int(input())\nwhile n == 0:\n    print('x' * 1000)\nprint(n)\n"
    results = sandbox.grade(source, [{"stdin": f"{i}\n"} for i in range(3)])
    assert [r.status for r in results] == ["output_limit", "ok", "ok"]
    assert results[0].stdout_truncated and len(results[0].stdout) <= Limits().output_bytes
    assert [r.stdout for r in results[1:]] == ["1\n", "2\n"]


def test_a_refusal_at_run_time_in_one_test_keeps_the_later_tests(sandbox):
    source = "# refuz\nn = int(input())\nif n == 1:\n    print('{0.real}'.format(n))\nprint(n)\n"
    results = sandbox.grade(source, [{"stdin": f"{i}\n"} for i in range(3)])
    assert [r.status for r in results] == ["ok", "refused", "ok"]
    assert results[2].stdout == "2\n"


def _running_child(server_pid, timeout=5.0):
    """The server's child that has used a fifth of a second of CPU (the one
    spinning in a test; warm children use almost none)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in os.listdir(f"/proc/{server_pid}/task"):
            with open(f"/proc/{server_pid}/task/{task}/children") as f:
                for pid in f.read().split():
                    try:
                        with open(f"/proc/{pid}/stat") as st:
                            fields = st.read().rsplit(")", 1)[1].split()
                        if int(fields[11]) >= os.sysconf("SC_CLK_TCK") // 5:  # utime
                            return int(pid)
                    except OSError:
                        pass
        time.sleep(0.01)
    raise AssertionError("no child is running")


def test_a_crash_in_one_test_gives_the_fallback():
    # A restricted program cannot crash its interpreter (that is the point), so
    # the crash comes from outside: SIGSEGV to the child while test 2 runs.
    with Sandbox() as sb:
        source = "# crash\nn = int(input())\nwhile n == 1:\n    pass\nprint(n)\n"
        tests = [{"stdin": f"{i}\n"} for i in range(4)]
        answer = []
        t = threading.Thread(target=lambda: answer.append(sb.grade(source, tests)))
        t.start()
        os.kill(_running_child(sb.server_pid), signal.SIGSEGV)
        t.join()
        (results,) = answer
        assert [r.status for r in results] == ["ok", "error", "ok", "ok"]
        assert results[1].error.type == "Crash" and results[1].error.signal == "SIGSEGV"
        assert [r.stdout for r in results] == ["0\n", "", "2\n", "3\n"]
        assert results.processes == 3


def test_an_exception_does_not_end_the_process(sandbox):
    source = "# exceptie\nn = int(input())\nprint(n)\n"
    results = sandbox.grade(source, [{"stdin": "1\n"}, {"stdin": "x\n"}, {"stdin": "3\n"}])
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert results.processes == 1


def test_a_function_test_and_an_io_test_in_one_submission(sandbox):
    source = "# amestec\ndef dublu(x):\n    return 2 * x\nprint('Salut', input())\n"
    tests = [
        {"stdin": "Ana\n"},
        {"call": ["dublu", [21]], "stdin": "Bob\n"},
        {"call": ["dublu", ["ab"]], "stdin": "Cia\n"},
        {"call": ["lipsa", []], "stdin": "Dan\n"},
    ]
    results = sandbox.grade(source, tests)
    assert [r.status for r in results] == ["ok", "ok", "ok", "error"]
    assert [r.value for r in results[:3]] == [None, 42, "abab"]
    assert [r.stdout for r in results] == [f"Salut {n}\n" for n in ("Ana", "Bob", "Cia", "Dan")]
    assert results[3].error.type == "NameError"
    assert results.processes == 1


def test_a_program_that_does_not_compile_fails_every_test_without_running(sandbox):
    source = "# nu merge\nprint('a'\n"
    results = sandbox.grade(source, [{"stdin": ""}, {"call": ["f", []], "stdin": ""}])
    assert [r.error.type for r in results] == ["SyntaxError", "SyntaxError"]
    assert results.processes == 1


def test_run_many_and_call_keep_their_answers(sandbox):
    source = "# vechi\ndef f(a):\n    return a + 1\nprint(input())\n"
    assert [r.stdout for r in sandbox.run_many(source, ["1\n", "2\n"])] == ["1\n", "2\n"]
    assert sandbox.call(source, "f", [1], stdin="x\n").value == 2
    assert sandbox.run(source, "z\n").stdout == "z\n"


def test_a_test_cannot_read_the_output_or_input_of_another(sandbox):
    source = "# separat\nx = input()\nprint(x)\nprint(input())\n"
    results = sandbox.grade(source, [{"stdin": "a\n"}, {"stdin": "b\nc\n"}])
    assert results[0].status == "error" and results[0].stdout == "a\n"
    assert results[1].stdout == "b\nc\n"
