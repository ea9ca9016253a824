"""Benchmark of the sandbox: ratios measured side by side in one run.

    .venv/bin/python bench/sandbox.py [--rounds N] [--seconds S]

1. Grading a 5-input submission with ``run_many`` (one process for the five)
   against running each input in a fresh ``python -I -S`` interpreter (one
   after the other, the design most graders use; a 2-worker variant of the
   baseline is shown too). Ours twice: **back to back** (submissions sent one
   after another with no pause, so the warm pool is refilled while runs are
   in flight) and **spaced** (a pause before each, so the pool is full).
   Target: at least 25x, both.
2. A trivial run's total CPU: ``pass`` run one after another; the CPU of the
   fork server, of its zygote (the process that forks the children) and of
   every child (reaped by the server: its children's times), read from
   ``/proc``, per run. Target: at most 2 ms.
   Beside it, the floor under it on this machine: the CPU of a bare
   ``fork()`` + ``_exit()`` of a process that imported what the zygote has
   (a fresh ``python -I -S`` importing ``sandbox.server``; parent + child).
3. Guard overhead: counting primes below 50,000 under the language policy
   (compiled by ``sandbox.policy``, run with the sandbox's guards) against
   the same source run by plain ``exec``, both in this process. Target: at
   most 1.3x.
4. Throughput with 2 client threads sharing one Sandbox (5-input
   submissions/s). Target: at least 200/s.

Rounds of the compared variants are interleaved, and medians are reported,
so a busy machine slows both sides alike (CPU times are not relative: on a
machine busy with other work they come out higher).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this file
# (bench/sandbox.py) would shadow the sandbox package it measures.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

from sandbox import Sandbox  # noqa: E402
from sandbox.policy import compile_program  # noqa: E402
from sandbox.runtime import RunState, module_names, run_code  # noqa: E402

SUBMISSION = """\
n = int(input())
total = 0
for i in range(1, n + 1):
    if i % 3 == 0 or i % 5 == 0:
        total += i
print("Suma:", total)
"""
INPUTS = ["10\n", "100\n", "1000\n", "7\n", "15\n"]

PRIMES = """\
count = 0
for n in range(2, 50000):
    is_prime = True
    i = 2
    while i * i <= n:
        if n % i == 0:
            is_prime = False
            break
        i += 1
    if is_prime:
        count += 1
print(count)
"""


def fresh_interpreter(program: Path, stdin: str) -> str:
    return subprocess.run(
        [sys.executable, "-I", "-S", str(program)],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


BACK_TO_BACK = 5  # submissions in a row per round
SPACING = 0.05  # seconds of pause before a spaced submission


def bench_grading(sb: Sandbox, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp) / "submission.py"
        program.write_text(SUBMISSION)
        expected = [fresh_interpreter(program, s) for s in INPUTS]
        assert [r.stdout for r in sb.run_many(SUBMISSION, INPUTS)] == expected
        pool = ThreadPoolExecutor(2)
        ours, spaced, sequential, parallel = [], [], [], []
        for _ in range(rounds):
            for _ in range(BACK_TO_BACK):
                t = time.perf_counter()
                results = sb.run_many(SUBMISSION, INPUTS)
                ours.append(time.perf_counter() - t)
                assert [r.stdout for r in results] == expected

            time.sleep(SPACING)
            t = time.perf_counter()
            results = sb.run_many(SUBMISSION, INPUTS)
            spaced.append(time.perf_counter() - t)
            assert [r.stdout for r in results] == expected

            t = time.perf_counter()
            outs = [fresh_interpreter(program, s) for s in INPUTS]
            sequential.append(time.perf_counter() - t)
            assert outs == expected

            t = time.perf_counter()
            outs = list(pool.map(lambda s: fresh_interpreter(program, s), INPUTS))
            parallel.append(time.perf_counter() - t)
            assert outs == expected
        pool.shutdown()
    m = statistics.median
    return {
        "ours": m(ours),
        "spaced": m(spaced),
        "sequential": m(sequential),
        "parallel": m(parallel),
    }


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int, with_children: bool) -> int:
    """utime + stime (+ cutime + cstime: its reaped children's) of ``pid``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])
    if with_children:
        used += int(fields[13]) + int(fields[14])
    return used


def _zygote_of(server_pid: int) -> int | None:
    with open(f"/proc/{server_pid}/task/{server_pid}/children") as f:
        children = f.read().split()
    for pid in children:
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "sandbox-zygote":
                    return int(pid)
        except OSError:
            pass
    return None


def bench_trivial_cpu(sb: Sandbox, runs: int) -> dict:
    """CPU per trivial run: the server, its zygote and the children it reaped.
    The warm pool is full before and after (its children have prepared,
    counted once reaped), so what is counted is what ``runs`` runs cost."""
    for _ in range(20):
        sb.run("pass")
    time.sleep(0.5)  # the pool refilled, the last children dismissed and reaped
    server, zygote = sb.server_pid, _zygote_of(sb.server_pid)
    s0 = _cpu_ticks(server, True)
    z0 = _cpu_ticks(zygote, False) if zygote else 0
    for _ in range(runs):
        r = sb.run("pass")
        assert r.status == "ok", r
    time.sleep(0.5)
    s1 = _cpu_ticks(server, True)
    z1 = _cpu_ticks(zygote, False) if zygote else 0
    assert sb.server_pid == server
    per_run = 1000 / TICKS / runs
    return {"server_and_children": (s1 - s0) * per_run, "zygote": (z1 - z0) * per_run}


FORK_FLOOR = """\
import gc, os, resource, sys
sys.path[:0] = {paths!r}
import sandbox.server  # noqa: F401 - the zygote's modules
gc.collect()
gc.freeze()
n = {runs}
r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
used = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
        + c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime)
print(used * 1000 / n)
"""


def bench_fork_floor(runs: int) -> float:
    """ms of CPU (parent + child) of a bare fork + exit of a zygote-sized process."""
    import sandbox

    paths = [str(Path(sandbox.__file__).resolve().parents[1])] + [p for p in sys.path if p]
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", FORK_FLOOR.format(paths=paths, runs=runs)],
        capture_output=True, text=True, check=True,
    ).stdout
    return float(out.strip())


def bench_guards(rounds: int) -> dict:
    plain_code = compile(PRIMES, "<plain>", "exec")
    guarded_code = compile_program(PRIMES, module_names())
    plain, guarded = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        exec(plain_code, {"print": lambda *a: None})  # noqa: S102 - the baseline
        plain.append(time.perf_counter() - t)

        state = RunState("")
        t = time.perf_counter()
        verdict = run_code(guarded_code, state)
        guarded.append(time.perf_counter() - t)
        assert verdict["status"] == "ok" and state.stdout() == "5133\n", verdict
    m = statistics.median
    return {"plain": m(plain), "guarded": m(guarded)}


def bench_throughput(sb: Sandbox, seconds: float) -> float:
    count = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        nonlocal count
        while time.perf_counter() < deadline:
            results = sb.run_many(SUBMISSION, INPUTS)
            assert all(r.status == "ok" for r in results)
            with lock:
                count += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--trivial-runs", type=int, default=2000)
    args = parser.parse_args(argv)

    with Sandbox() as sb:
        sb.run_many(SUBMISSION, INPUTS)  # start-up and warm caches are not what we measure
        grading = bench_grading(sb, args.rounds)
        trivial = bench_trivial_cpu(sb, args.trivial_runs)
        floor = bench_fork_floor(args.trivial_runs)
        guards = bench_guards(max(5, args.rounds // 3))
        throughput = bench_throughput(sb, args.seconds)
        walls = {k: v for k, v in sb.walls.items() if v}

    ms = 1000
    print(f"sandbox benchmark — Python {sys.version.split()[0]}, walls: {', '.join(sorted(walls))}")
    print(f"{os.cpu_count()} cores, pool {sb.pool_size}, {sb.warm_size} warm children")
    print()
    print(f"{'measure':<58} {'value':>12} {'target':>10}")
    print("-" * 82)
    print(
        f"{'5-input submission, run_many, back to back (median)':<58} {grading['ours'] * ms:>10.2f}ms"
    )
    print(
        f"{'5-input submission, run_many, spaced (median)':<58} {grading['spaced'] * ms:>10.2f}ms"
    )
    print(
        f"{'5-input submission, fresh python -I -S, one by one':<58} {grading['sequential'] * ms:>10.2f}ms"
    )
    print(
        f"{'5-input submission, fresh python -I -S, 2 workers':<58} {grading['parallel'] * ms:>10.2f}ms"
    )
    for label, key in (("back to back", "ours"), ("spaced", "spaced")):
        speedup = grading["sequential"] / grading[key]
        line = f"  speed-up vs fresh interpreters one by one, {label}"
        print(f"{line:<58} {speedup:>11.1f}x {'>= 25x':>10}")
        speedup2 = grading["parallel"] / grading[key]
        line = f"  speed-up vs fresh interpreters on 2 workers, {label}"
        print(f"{line:<58} {speedup2:>11.1f}x")
    total = trivial["server_and_children"] + trivial["zygote"]
    line = "trivial run's CPU: server + children (reaped)"
    print(f"{line:<58} {trivial['server_and_children']:>10.2f}ms")
    line = "trivial run's CPU: zygote"
    print(f"{line:<58} {trivial['zygote']:>10.2f}ms")
    line = "  trivial run's total CPU"
    print(f"{line:<58} {total:>10.2f}ms {'<= 2 ms':>10}")
    line = "  the floor: bare fork + exit of a zygote-sized process"
    print(f"{line:<58} {floor:>10.2f}ms")
    line = "  trivial run's total CPU / the floor"
    print(f"{line:<58} {total / floor:>11.2f}x")
    print(f"{'primes below 50,000, plain exec (median)':<58} {guards['plain'] * ms:>10.1f}ms")
    print(
        f"{'primes below 50,000, under the guards (median)':<58} {guards['guarded'] * ms:>10.1f}ms"
    )
    overhead = guards["guarded"] / guards["plain"]
    print(f"{'  guard overhead':<58} {overhead:>11.2f}x {'<= 1.3x':>10}")
    line = "throughput, 2 client threads (5-input submissions/s)"
    print(f"{line:<58} {throughput:>11.1f}/s {'>= 200/s':>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
