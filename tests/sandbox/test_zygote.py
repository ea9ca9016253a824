"""The zygote: the still process that forks the server's children.

Its children are the server's (clone with CLONE_PARENT), so reaping, limits
and the warm pool work as before; refills happen while runs are in flight;
a zygote that dies or hangs leaves the server forking on its own; the server
keeps working, and its memory stays put, over many runs; no child inherits
what the server allocated after the zygote was forked (its code cache).
Behaviour only: speed is measured by bench/sandbox.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from sandbox import Limits, Sandbox

DRY = "no warm child ready"


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def _status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name == key:
                return value.strip()
    raise KeyError(key)


def _kb(pid, key):
    return int(_status(pid, key).split()[0])


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1].split()[0]
    except OSError:
        return "gone"


def _zygote(sb, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _children(sb.server_pid):
            if _comm(pid) == "sandbox-zygote":
                return pid
        time.sleep(0.02)
    raise AssertionError(f"no zygote among {_children(sb.server_pid)}")


def _warm(sb, timeout=5.0):
    """The warm children once the pool is full (the zygote aside)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        warm = [p for p in _children(sb.server_pid) if _comm(p) == "sandbox-child"]
        if len(warm) == sb.warm_size and all(_state(p) == "S" for p in warm):
            return warm
        time.sleep(0.02)
    raise AssertionError(f"warm pool not full: {_children(sb.server_pid)}")


def ok(sb, n=7):
    r = sb.run("n = int(input())\nprint(n * 6)", stdin=f"{n}\n")
    assert (r.status, r.stdout) == ("ok", f"{n * 6}\n"), r


def test_the_zygote_forks_children_of_the_server():
    with Sandbox() as sb:
        zygote = _zygote(sb)
        warm = _warm(sb)
        for pid in warm:
            # The server's own children (it reaps them), with their own uid.
            assert int(_status(pid, "PPid")) == sb.server_pid
            if sb.walls.get("uid"):
                assert _status(pid, "Uid").split()[0] != _status(zygote, "Uid").split()[0]
        assert int(_status(zygote, "PPid")) == sb.server_pid
        ok(sb)
        assert sb.restarts == 0


def test_the_zygote_dies_with_the_server():
    with Sandbox() as sb:
        zygote = _zygote(sb)
        _warm(sb)
        os.kill(sb.server_pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _state(zygote) not in ("gone", "Z"):
            time.sleep(0.02)
        assert _state(zygote) in ("gone", "Z")
        ok(sb)  # a new server for the next run


def test_a_killed_zygote_leaves_the_server_forking_on_its_own():
    with Sandbox() as sb:
        zygote = _zygote(sb)
        _warm(sb)
        os.kill(zygote, signal.SIGKILL)
        # More runs than warm children: the later ones need new forks.
        for i in range(3 * sb.warm_size):
            ok(sb, i)
        results = sb.run_many("print(input())", [str(i) for i in range(12)])
        assert [r.stdout for r in results] == [f"{i}\n" for i in range(12)]
        warm = _warm(sb)
        assert all(int(_status(p, "PPid")) == sb.server_pid for p in warm)
        assert _state(zygote) == "gone"  # reaped by the server
        assert sb.restarts == 0


def test_a_stuck_zygote_leaves_the_server_forking_on_its_own():
    with Sandbox(pool_size=1) as sb:
        zygote = _zygote(sb)
        _warm(sb)
        os.kill(zygote, signal.SIGSTOP)
        try:
            for i in range(sb.warm_size + 2):
                ok(sb, i)
        finally:
            try:
                os.kill(zygote, signal.SIGCONT)
            except ProcessLookupError:
                pass
        # The server killed (and reaped) the zygote that stopped answering.
        assert _state(zygote) == "gone"
        assert sb.restarts == 0


def test_back_to_back_runs_never_find_the_pool_dry(capfd):
    # debug: the server says on its stderr when a job found no warm child.
    with Sandbox(debug=True) as sb:
        _warm(sb)
        capfd.readouterr()
        for i in range(150):
            ok(sb, i)
        errors = []

        def client(k):
            for i in range(40):
                results = sb.run_many("print(int(input()) + 1)", [str(k * 100 + i)] * 5)
                if [r.stdout for r in results] != [f"{k * 100 + i + 1}\n"] * 5:
                    errors.append(results)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert DRY not in capfd.readouterr().err
        assert sb.restarts == 0


def test_a_dry_pool_is_said_in_debug(capfd):
    # The message the test above looks for does appear when the pool is dry.
    sb = Sandbox(debug=True)
    sb._server_options["warm"] = 0  # no warm children at all
    with sb:
        ok(sb)
        ok(sb)
        assert capfd.readouterr().err.count(DRY) == 2


def test_the_server_keeps_working_and_its_memory_stays_over_many_runs():
    with Sandbox() as sb:
        sources = ["print(input())", "x = 1 / 0", "import os", "s = 0\nfor i in range(50):\n    s += i"]
        for source in sources:
            sb.run(source, stdin="1\n")
        _warm(sb)
        server_rss, zygote = _kb(sb.server_pid, "VmRSS"), _zygote(sb)
        zygote_rss = _kb(zygote, "VmRSS")
        statuses = set()
        for k in range(2000):
            r = sb.run(sources[k % 4], stdin=f"{k}\n")
            statuses.add(r.status)
        assert statuses == {"ok", "error", "refused"}
        _warm(sb)
        ok(sb)
        # gc.freeze'd heap, no leak per run: a few pages of slack, not 2,000 runs' worth.
        assert _kb(sb.server_pid, "VmRSS") - server_rss < 4096
        assert _kb(zygote, "VmRSS") - zygote_rss < 1024
        assert sb.restarts == 0


def test_children_do_not_inherit_the_servers_code_cache():
    # Sources of 16 KB compiling to ~4 MB of code each (folded string
    # constants), all cached by the server: the server grows, the zygote and
    # the children it forks do not.
    body = "".join(f"v = 'a' * {4000 + i}\n" for i in range(1000)) + "print(len(v))\n"
    with Sandbox(limits=Limits(cpu_seconds=5, wall_seconds=10)) as sb:
        _warm(sb)
        zygote = _zygote(sb)
        before = _kb(zygote, "VmSize")
        server_before = _kb(sb.server_pid, "VmRSS")
        for k in range(12):
            for _ in range(2):  # the second run of a source starts from the cache
                r = sb.run(f"# {k}\n" + body)
                assert (r.status, r.stdout) == ("ok", "4999\n"), r
        assert _kb(sb.server_pid, "VmRSS") - server_before > 4 * 1024  # the cache
        warm = _warm(sb)
        assert _kb(zygote, "VmSize") - before < 2048
        for pid in warm:
            assert _kb(pid, "VmSize") - before < 4096, (pid, _kb(pid, "VmSize"), before)


def test_a_run_sent_right_after_the_server_died_runs_in_a_new_one():
    # The client's reader thread sees the end of the dead server's pipe in its
    # own time; a run sent before it has must not be answered "the sandbox
    # stopped while this program was running": that server never had it.
    with Sandbox() as sb:
        for n in range(15):
            ok(sb, n)
            pid = sb.server_pid
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _state(pid) not in ("gone", "Z"):
                time.sleep(0.001)
            ok(sb, n + 1)
            assert sb.server_pid != pid


def _switches(pid):
    return int(_status(pid, "voluntary_ctxt_switches"))


def _live_warm(sb):
    return [p for p in _children(sb.server_pid) if _comm(p) == "sandbox-child"]


def test_the_pool_is_refilled_in_bursts_once_it_runs_low_or_idle():
    # refill_idle: how long no run must be in flight before the pool is topped
    # up (2 ms by default); long here, so that only running low refills it.
    sb = Sandbox(pool_size=2)
    sb._server_options.update(warm=6, refill_idle=30.0)
    with sb:
        zygote = _zygote(sb)
        _warm(sb)
        for i in range(3):
            ok(sb, i)
        time.sleep(0.3)
        # 3 of 6 left, more than the pool (2) needs: no refill while "busy".
        assert len(_live_warm(sb)) == 3
        before = _switches(zygote)
        ok(sb)  # 2 left: low, the 4 missing are asked for at once
        warm = _warm(sb)
        assert len(warm) == 6
        # One burst: the zygote woke once (or twice) for it, not four times.
        assert _switches(zygote) - before <= 2
        assert len({_status(p, "Uid").split()[0] for p in warm}) == (6 if sb.walls.get("uid") else 1)
        assert sb.restarts == 0


def test_an_idle_pool_is_topped_up():
    sb = Sandbox(pool_size=2)
    sb._server_options.update(warm=6, refill_idle=0.2)
    with sb:
        _warm(sb)
        ok(sb)
        # One gone, 5 left: refilled only once no run was in flight for 0.2 s.
        assert len(_warm(sb)) == 6
        assert sb.restarts == 0


def _minor_faults(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(") ", 1)[1].split()[7])


def _faults_after_idle(prefault_idle):
    sb = Sandbox(pool_size=1)
    sb._server_options.update(warm=3, prefault_idle=prefault_idle)
    with sb:
        ok(sb)
        time.sleep(0.3)  # the run's own child dismissed, the pool refilled
        warm = _warm(sb)
        before = {p: _minor_faults(p) for p in warm}
        time.sleep(1.5)
        after = {p: _minor_faults(p) for p in warm}
        # The warm children then run jobs as before: no output of the prefault
        # run, nothing of it on the job's CPU clock.
        for i in range(4):
            r = sb.run("print(input())", stdin=f"x{i}\n")
            assert (r.status, r.stdout) == ("ok", f"x{i}\n"), r
            assert r.cpu_ms < 500
        assert sb.restarts == 0
        return [after[p] - before[p] for p in warm]


def test_idle_warm_children_prefault_and_then_run_jobs_as_before():
    # Nothing to do for prefault_idle (1 s here, 25 ms by default): each
    # warm child walks a job's path once, taking its copy-on-write faults.
    assert all(d > 50 for d in _faults_after_idle(1.0))
    # Off: a waiting child takes no fault at all.
    assert all(d == 0 for d in _faults_after_idle(None))
