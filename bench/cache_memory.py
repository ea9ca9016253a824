"""The fork server's memory after 1,000 runs of cache-filling programs.

Each program is a small source (~8 KB) whose compiled code is ~5 MB (constants
the compiler folds), every one a different source, so each asks the server to
keep 5 MB more. Prints the server's RSS and address space (VmRSS, VmSize)
before and after, and a child's 40 MB list still running at the end.

    .venv/bin/python bench/cache_memory.py [runs]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sandbox import Sandbox  # noqa: E402

WORDS = [a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]
BODY = ",".join(f"'{w}'*2000" for w in WORDS)


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":", 1) for line in f if ":" in line)


def _mb(pid: int) -> str:
    s = _status(pid)
    return f"VmRSS {s['VmRSS'].strip()}, VmSize {s['VmSize'].strip()}"


def main(runs: int = 1000) -> None:
    with Sandbox() as sb:
        sb.run("print(1)")
        print("fork server before:", _mb(sb.server_pid))
        for i in range(runs):
            r = sb.run(f"# {i}\nt = ({BODY})\nprint(len(t))\n")
            assert r.status == "ok", r
        print(f"fork server after {runs} cache-filling runs:", _mb(sb.server_pid))
        r = sb.run("x = [0] * 5_000_000\nprint(len(x))")
        print("a 40 MB list afterwards:", r.status, r.stdout.strip())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
