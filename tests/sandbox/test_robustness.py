"""Every way a run can go wrong still ends in a verdict, and the server lives on.

Signal-killed children, a crashed interpreter, hung children, a flooded pipe,
a fork server that dies mid-run, and no zombies after 10,000 runs.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from sandbox import Limits, Sandbox

QUICK = Limits(cpu_seconds=1, wall_seconds=2)


def still_serves(sb):
    r = sb.run("print(1 + 1)")
    assert (r.status, r.stdout) == ("ok", "2\n"), r


def test_child_killed_by_a_signal_is_a_verdict(raw_sandbox):
    # kill() is denied to children by seccomp where it is active; abort() raises SIGABRT.
    r = raw_sandbox.run_unrestricted("import os\nprint('before', flush=True)\nos.abort()")
    assert r.status == "error"
    assert r.error.type == "Crash"
    assert r.error.signal == "SIGABRT"
    assert r.stdout == "before\n"
    still_serves(raw_sandbox)


def test_child_that_exits_without_a_result_is_a_verdict(raw_sandbox):
    r = raw_sandbox.run_unrestricted("import os\nos._exit(3)")
    assert r.status == "error" and r.error.type == "Crash" and r.error.exit_code == 3


def test_segfaulting_interpreter_is_a_verdict(sandbox):
    # hash() of a deeply nested tuple overflows the C stack in CPython 3.11.
    source = (
        "t = ()\nfor i in range(1000000):\n    t = (t,)\nprint('built')\nhash(t)\nprint('hashed')"
    )
    r = sandbox.run(source, limits=Limits(cpu_seconds=3, wall_seconds=6))
    assert r.status == "error", r
    assert r.error.type == "Crash" and r.error.signal == "SIGSEGV"
    assert r.stdout == "built\n"
    still_serves(sandbox)


def test_cpu_bound_child_is_told_then_stopped(sandbox):
    r = sandbox.run(
        "print('start')\nwhile True:\n    pass", limits=Limits(cpu_seconds=0.3, wall_seconds=3)
    )
    assert r.status == "timeout"
    assert r.error.limit == "cpu"
    assert r.stdout == "start\n"
    assert 250 <= r.cpu_ms < 1500


def test_catching_everything_does_not_escape_the_cpu_limit(sandbox):
    source = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        print('caught')"
    r = sandbox.run(source, limits=Limits(cpu_seconds=0.3, wall_seconds=3))
    assert r.status == "timeout"
    assert "caught" not in r.stdout


def test_cpu_spent_in_c_code_hits_the_hard_limit(sandbox):
    # One long C call: the soft-limit handler cannot run, the kernel's hard limit kills.
    r = sandbox.run(
        "x = 10 ** 10 ** 7\nprint('done')", limits=Limits(cpu_seconds=0.2, wall_seconds=5)
    )
    assert r.status == "timeout", r


def test_hung_child_is_killed_at_the_wall_limit(raw_sandbox):
    start = time.monotonic()
    r = raw_sandbox.run_unrestricted(
        "import time\nprint('zzz', flush=True)\ntime.sleep(60)", limits=Limits(wall_seconds=0.5)
    )
    assert time.monotonic() - start < 5
    assert r.status == "timeout" and r.error.limit == "wall"
    assert r.stdout == "zzz\n"


def test_hung_restricted_child_waiting_on_nothing(sandbox):
    # A program blocked in input() never blocks: stdin is in memory, EOF comes at once.
    r = sandbox.run("while True:\n    input()", stdin="a\nb\n")
    assert r.status == "error" and r.error.type == "EOFError"


def test_flooding_the_pipe_keeps_what_came_before(sandbox):
    limits = Limits(output_bytes=1000)
    r = sandbox.run("print('first')\nwhile True:\n    print('x' * 100)", limits=limits)
    assert r.status == "output_limit"
    assert r.stdout.startswith("first\nxxxx")
    assert r.stdout_truncated is True
    assert len(r.stdout.encode()) == 1000


def test_raw_child_flooding_the_pipe_is_cut_by_the_server(raw_sandbox):
    r = raw_sandbox.run_unrestricted(
        "import os\nwhile True:\n    os.write(1, b'y' * 65536)", limits=Limits(output_bytes=5000)
    )
    assert r.status == "output_limit"
    assert r.stdout_truncated and len(r.stdout) == 5000


def test_huge_single_print_is_truncated_on_a_character_boundary(sandbox):
    r = sandbox.run("print('ă' * 100000)", limits=Limits(output_bytes=1001))
    assert r.status == "output_limit"
    assert r.stdout == "ă" * 500


def test_memory_bomb_is_a_memory_verdict(sandbox):
    r = sandbox.run("x = 'a' * (10 ** 10)")
    assert r.status == "memory" and r.error.type == "MemoryError"
    still_serves(sandbox)


def test_fork_server_death_is_survived():
    with Sandbox(limits=QUICK) as sb:
        first_pid = sb.server_pid
        results = {}

        def slow_run():
            results["slow"] = sb.run(
                "print('running')\nwhile True:\n    pass",
                limits=Limits(cpu_seconds=4, wall_seconds=6),
            )

        t = threading.Thread(target=slow_run)
        t.start()
        time.sleep(0.3)
        os.kill(first_pid, signal.SIGKILL)
        t.join(10)
        assert not t.is_alive(), "the run in flight was left hanging"
        r = results["slow"]
        assert r.status == "error" and r.error.type == "SandboxError"
        # Transparently restarted for the next run.
        still_serves(sb)
        assert sb.server_pid != first_pid
        assert sb.restarts == 1


def test_children_die_with_the_server():
    with Sandbox(limits=Limits(cpu_seconds=5, wall_seconds=8), allow_raw=True) as sb:
        pid_file = f"/proc/{sb.server_pid}/task/{sb.server_pid}/children"
        t = threading.Thread(target=sb.run_unrestricted, args=("import time\ntime.sleep(30)",))
        t.start()
        deadline = time.monotonic() + 5
        children = []
        while time.monotonic() < deadline and not children:
            children = open(pid_file).read().split()
            time.sleep(0.02)
        assert children
        os.kill(sb.server_pid, signal.SIGKILL)
        t.join(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists(f"/proc/{children[0]}"):
            with open(f"/proc/{children[0]}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    break  # dead; reaped by init
            time.sleep(0.02)
        if os.path.exists(f"/proc/{children[0]}"):
            with open(f"/proc/{children[0]}/stat") as f:
                assert f.read().split(") ")[1].startswith("Z")


def _zombies_of(pid):
    zombies = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == pid:
            zombies.append(int(entry))
    return zombies


def _children_of(pid):
    """The server's children, its zygote (the process that forks them) aside."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split() if not _is_zygote(int(p))]


def _is_zygote(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "sandbox-zygote"
    except OSError:
        return False


def _states(pids):
    states = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                states[pid] = f.read().rsplit(") ", 1)[1].split()[0]
        except OSError:
            states[pid] = "gone"
    return states


def test_no_zombies_after_ten_thousand_runs():
    with Sandbox() as sb:
        sources = ["print(input())", "x = 1 / 0", "import os", "while True:\n    pass"]
        done = 0
        statuses = set()
        # Free runs, one process each (a run_many is one process for all its inputs).
        while done < 10_000:
            source = sources[(done // 500) % 3]
            ts = [threading.Thread(target=lambda s=source: statuses.add(sb.run(s, "1").status))
                  for _ in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            done += 8
        # A few timeouts too: killed children must be reaped as well.
        for r in sb.run_many(sources[3], [""] * 4, limits=Limits(cpu_seconds=0.05, wall_seconds=1)):
            statuses.add(r.status)
        assert statuses == {"ok", "error", "refused", "timeout"}
        # Answers are sent when the verdict arrives; the last children may still
        # be exiting. Reaped means: gone within a moment, nothing piles up;
        # what remains is the warm pool of children waiting for a job. The count
        # alone can match by chance for an instant (up to 2 x pool finished
        # children wait to be dismissed until the last runs end, beside a pool
        # not yet refilled; their dismissal then makes zombies for a moment), so
        # the state must hold for half a second.
        deadline = time.monotonic() + 5
        clean_since = None
        while time.monotonic() < deadline:
            if not _zombies_of(sb.server_pid) and len(_children_of(sb.server_pid)) == sb.warm_size:
                clean_since = clean_since or time.monotonic()
                if time.monotonic() - clean_since >= 0.5:
                    break
            else:
                clean_since = None
            time.sleep(0.05)
        zombies = _zombies_of(sb.server_pid)
        assert zombies == [], _diagnose(sb.server_pid, zombies)
        assert _zombies_of(os.getpid()) == []
        children = _children_of(sb.server_pid)
        assert len(children) == sb.warm_size > 0, _diagnose(sb.server_pid, [])
        assert sb.restarts == 0


def _diagnose(server_pid, zombies):
    """What each zombie and each child of the server was doing, and the
    server itself (its state and where it sleeps), for a failure message."""
    lines = []
    for label, pids in (
        ("zombie", zombies),
        ("child", _children_of(server_pid)),
        ("server", [server_pid]),
    ):
        for pid in pids:
            info = {}
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        key, _, value = line.partition(":")
                        if key in ("Name", "State", "PPid", "Uid", "SigQ", "VmRSS"):
                            info[key] = value.strip()
                with open(f"/proc/{pid}/wchan") as f:
                    info["wchan"] = f.read().strip()
            except OSError as exc:
                info["error"] = str(exc)
            lines.append(f"{label} {pid}: {info}")
    return "\n".join(lines)


@pytest.mark.parametrize("threads", [2, 4])
def test_one_sandbox_shared_by_threads(sandbox, threads):
    errors = []

    def worker(k):
        for i in range(20):
            r = sandbox.run("n = int(input())\nprint(n * n)", stdin=f"{k * 100 + i}\n")
            if r.stdout != f"{(k * 100 + i) ** 2}\n":
                errors.append(r)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


# -- the warm pool: pre-forked children waiting for one job each -------------


def _wait_for_warm_pool(sb, exclude=(), timeout=5.0):
    """The server's children once the warm pool is full again (none in ``exclude``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = _children_of(sb.server_pid)
        fresh = [p for p in children if p not in exclude]
        if len(fresh) == sb.warm_size and not _zombies_of(sb.server_pid):
            return fresh
        time.sleep(0.02)
    raise AssertionError(f"warm pool not refilled: {_children_of(sb.server_pid)}")


def _kill_all(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def test_warm_children_wait_and_are_never_reused():
    with Sandbox() as sb:
        assert sb.warm_size >= 5  # a 5-input submission starts without a fork
        warm = _wait_for_warm_pool(sb)
        results = [sb.run("print(input())", str(i)) for i in range(len(warm))]
        assert [r.stdout for r in results] == [f"{i}\n" for i in range(len(warm))]
        # Each free run used up one warm child: the pool is made of new ones.
        _wait_for_warm_pool(sb, exclude=warm)
        assert sb.restarts == 0


def test_warm_children_that_died_while_waiting_are_replaced():
    with Sandbox() as sb:
        warm = _wait_for_warm_pool(sb)
        _kill_all(warm)
        # Right after the kill, before the server may have noticed: the job
        # still runs (in a live child).
        r = sb.run("print(6 * 7)")
        assert (r.status, r.stdout) == ("ok", "42\n"), r
        _wait_for_warm_pool(sb, exclude=warm)
        assert _zombies_of(sb.server_pid) == []
        still_serves(sb)
        assert sb.restarts == 0


def test_job_handed_to_a_child_that_dies_before_taking_it_runs_elsewhere():
    with Sandbox(pool_size=1) as sb:
        warm = _wait_for_warm_pool(sb)
        _kill_all(warm, signal.SIGSTOP)  # they cannot read the job handed to them
        results = {}
        t = threading.Thread(target=lambda: results.update(r=sb.run("print('still here')")))
        t.start()
        time.sleep(0.3)  # the job now sits unread in a stopped child's pipe
        assert t.is_alive()
        _kill_all(warm)
        t.join(10)
        r = results["r"]
        assert (r.status, r.stdout) == ("ok", "still here\n"), r
        _wait_for_warm_pool(sb, exclude=warm)
        assert _zombies_of(sb.server_pid) == []
        assert sb.restarts == 0


def test_warm_pool_refills_after_bursts_without_zombies():
    with Sandbox() as sb:
        for _ in range(5):
            results = sb.run_many("print(sum(range(int(input()))))", ["10"] * 12)
            assert {(r.status, r.stdout) for r in results} == {("ok", "45\n")}
        _wait_for_warm_pool(sb)
        assert _zombies_of(sb.server_pid) == []
