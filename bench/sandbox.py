"""Benchmark of the sandbox: ratios measured side by side in one run.

    .venv/bin/python bench/sandbox.py [--rounds N] [--seconds S]

1. Grading a 5-input submission with ``run_many`` against running each input
   in a fresh ``python -I -S`` interpreter (one after the other, the design
   most graders use; a 2-worker variant of the baseline is shown too).
   Target: at least 15x.
2. Guard overhead: counting primes below 50,000 under the language policy
   (compiled by ``sandbox.policy``, run with the sandbox's guards) against
   the same source run by plain ``exec``, both in this process. Target: at
   most 1.3x.
3. Throughput with 2 client threads sharing one Sandbox (submissions/s).

Rounds of the compared variants are interleaved, and medians are reported,
so a busy machine slows both sides alike. The sandbox refills its pool of
warm (pre-forked) children between submissions, as it does between a site's
gradings; the throughput figure is the steady state where every refill is
paid for while the next submissions wait.
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


def bench_grading(sb: Sandbox, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp) / "submission.py"
        program.write_text(SUBMISSION)
        expected = [fresh_interpreter(program, s) for s in INPUTS]
        assert [r.stdout for r in sb.run_many(SUBMISSION, INPUTS)] == expected
        pool = ThreadPoolExecutor(2)
        ours, sequential, parallel = [], [], []
        for _ in range(rounds):
            t = time.perf_counter()
            results = sb.run_many(SUBMISSION, INPUTS)
            ours.append(time.perf_counter() - t)
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
    return {"ours": m(ours), "sequential": m(sequential), "parallel": m(parallel)}


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
    args = parser.parse_args(argv)

    with Sandbox() as sb:
        sb.run_many(SUBMISSION, INPUTS)  # start-up and warm caches are not what we measure
        grading = bench_grading(sb, args.rounds)
        guards = bench_guards(max(5, args.rounds // 3))
        throughput = bench_throughput(sb, args.seconds)
        walls = {k: v for k, v in sb.walls.items() if v}

    ms = 1000
    print(f"sandbox benchmark — Python {sys.version.split()[0]}, walls: {', '.join(sorted(walls))}")
    print(f"{os.cpu_count()} cores, pool {sb.pool_size}, {sb.warm_size} warm children")
    print()
    print(f"{'measure':<58} {'value':>12} {'target':>10}")
    print("-" * 82)
    print(f"{'5-input submission, run_many (median)':<58} {grading['ours'] * ms:>10.2f}ms")
    print(
        f"{'5-input submission, fresh python -I -S, one by one':<58} {grading['sequential'] * ms:>10.2f}ms"
    )
    print(
        f"{'5-input submission, fresh python -I -S, 2 workers':<58} {grading['parallel'] * ms:>10.2f}ms"
    )
    speedup = grading["sequential"] / grading["ours"]
    print(f"{'  speed-up vs fresh interpreters one by one':<58} {speedup:>11.1f}x {'>= 15x':>10}")
    speedup2 = grading["parallel"] / grading["ours"]
    print(f"{'  speed-up vs fresh interpreters on 2 workers':<58} {speedup2:>11.1f}x")
    print(f"{'primes below 50,000, plain exec (median)':<58} {guards['plain'] * ms:>10.1f}ms")
    print(
        f"{'primes below 50,000, under the guards (median)':<58} {guards['guarded'] * ms:>10.1f}ms"
    )
    overhead = guards["guarded"] / guards["plain"]
    print(f"{'  guard overhead':<58} {overhead:>11.2f}x {'<= 1.3x':>10}")
    print(f"{'throughput, 2 client threads (5-input submissions/s)':<58} {throughput:>11.1f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
