"""Bounded under load, the same on every server: the queue, uids, string hashing.

A full queue answers SandboxBusy at once to the newest runs; time spent in the
queue never counts against a run's limits or its caller's deadline; two fork
servers on one host never share a child uid and hash strings alike.
"""

from __future__ import annotations

import threading

from sandbox import Limits, Sandbox

SPIN = "while True:\n    pass\n"


def _run_all(sb, sources, limits):
    results = [None] * len(sources)

    def one(i):
        results[i] = sb.run(sources[i], limits=limits)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(sources))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_seventy_five_endless_loops_and_an_innocent_run():
    with Sandbox(pool_size=2) as sb:
        server = sb.server_pid
        limits = Limits(cpu_seconds=0.2, wall_seconds=1)
        results = _run_all(sb, [SPIN] * 75 + ["print('nevinovat')\n"], limits)
        innocent = results[-1]
        assert innocent.status == "ok" and innocent.stdout == "nevinovat\n" or (
            innocent.error.type == "SandboxBusy"
        ), innocent
        kinds = {r.error.type for r in results[:-1]}
        assert kinds <= {"TimeLimit", "SandboxBusy"}, kinds
        assert "SandboxBusy" in kinds  # 75 cannot all wait behind 2 slots
        assert (sb.server_pid, sb.restarts) == (server, 0)
        assert sb.run("print(1)").stdout == "1\n"


def test_busy_reads_as_an_error_the_child_may_retry():
    sb = Sandbox(pool_size=1)
    sb._server_options["queue"] = 1  # runs waiting before the newest hear "busy"
    with sb:
        results = _run_all(sb, [SPIN] * 6, Limits(cpu_seconds=0.2, wall_seconds=1))
        busy = [r for r in results if r.error.type == "SandboxBusy"]
        assert busy and all(r.status == "error" and r.error.message for r in busy)
        assert all(r.wall_ms == 0.0 for r in busy)  # answered at once, never run


def test_time_in_the_queue_never_counts_against_the_deadline():
    # Forty 0.2 s loops behind one slot wait 8 s in all, far past the caller's
    # own deadline (wall 0.3 s, grace 0.5 s): counted from the queue, the caller
    # would declare the server broken and kill it with every run in flight.
    sb = Sandbox(pool_size=1)
    sb._server_options["queue"] = 100
    sb.answer_grace = 0.5
    with sb:
        results = _run_all(sb, [SPIN] * 40, Limits(cpu_seconds=0.2, wall_seconds=0.3))
        assert {r.status for r in results} == {"timeout"}, {r.error.type for r in results}
        assert sb.restarts == 0


def test_two_servers_never_share_a_child_uid():
    a, b = Sandbox(allow_raw=True), Sandbox(allow_raw=True)
    with a, b:
        (a0, an), (b0, bn) = a.uid_range, b.uid_range
        assert set(range(a0, a0 + an)).isdisjoint(range(b0, b0 + bn))
        probe = "import os\nprint(os.getuid())\n"
        uids_a = {int(a.run_unrestricted(probe).stdout) for _ in range(3)}
        uids_b = {int(b.run_unrestricted(probe).stdout) for _ in range(3)}
        if a.walls.get("uid"):  # children drop to their own uid (the server runs as root)
            assert uids_a <= set(range(a0, a0 + an)) and uids_b <= set(range(b0, b0 + bn))
            assert uids_a.isdisjoint(uids_b)


def test_a_printed_set_reads_the_same_on_every_server():
    source = "print({'mere', 'pere', 'prune', 'caise', 'nuci', 'gutui', 'visine'})\n"
    outputs = set()
    for _ in range(2):
        with Sandbox() as sb:
            outputs.add(sb.run(source).stdout)
            outputs.add(sb.grade(source, [{"stdin": ""}])[0].stdout)
    assert len(outputs) == 1, outputs
