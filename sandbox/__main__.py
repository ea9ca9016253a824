"""Command line: ``python -m sandbox run PROGRAM`` and ``python -m sandbox doctor``.

``run`` prints the RunResult as one JSON object and exits 0 whenever the
sandbox did its job, whatever the program did; non-zero only when the
sandbox itself failed. ``doctor`` reports which walls are active here, each
both as the server raised it and as a real attempt from an unrestricted
child shows it.
"""

from __future__ import annotations

import argparse
import json
import sys

from .client import Sandbox
from .result import Limits

# Unrestricted probes run through the process layer alone. Each prints
# "blocked" when the wall held and "OPEN" when it did not.
PROBES = {
    "no new processes": "import os\ntry:\n    os.fork()\n    print('OPEN')\nexcept OSError:\n    print('blocked')",
    "no file writes": (
        "try:\n    open('/tmp/sandbox-doctor-probe', 'w').write('x')\n    print('OPEN')\n"
        "except OSError:\n    print('blocked')"
    ),
    "no sockets": (
        "import socket\ntry:\n    socket.socket()\n    print('OPEN')\nexcept OSError:\n    print('blocked')"
    ),
    "no network": (
        "import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', 5432), timeout=1)\n"
        "    print('OPEN')\nexcept OSError:\n    print('blocked')"
    ),
    "empty environment": "import os\nprint('blocked' if not os.environ else 'OPEN')",
    "no files visible": (
        "import os\ntry:\n    print('blocked' if not os.listdir('/') else 'OPEN')\n"
        "except OSError:\n    print('blocked')"
    ),
    "unprivileged uid": "import os\nprint('blocked' if os.getuid() != 0 else 'OPEN')",
    "no new privileges": (
        "import ctypes\nprint('blocked' if ctypes.CDLL(None).prctl(39, 0, 0, 0, 0) == 1 else 'OPEN')"
    ),
}


def _run(args) -> int:
    with open(args.program, encoding="utf-8") as f:
        source = f.read()
    stdin = ""
    if args.stdin:
        with open(args.stdin, encoding="utf-8") as f:
            stdin = f.read()
    changes = {}
    if args.time_limit is not None:
        changes["cpu_seconds"] = args.time_limit
        changes["wall_seconds"] = max(Limits().wall_seconds, args.time_limit * 2.5)
    if args.memory_mb is not None:
        changes["memory_mb"] = args.memory_mb
    limits = Limits(**changes)
    try:
        with Sandbox(limits) as sb:
            result = sb.run(source, stdin=stdin)
    except Exception as exc:  # noqa: BLE001 - the sandbox itself failed
        print(json.dumps({"sandbox_error": str(exc)}), file=sys.stderr)
        return 2
    print(result.to_json())
    if result.error is not None and result.error.get("type") == "SandboxError":
        return 1
    return 0


def doctor_report() -> dict:
    with Sandbox(allow_raw=True) as sb:
        probes = {}
        for name, source in PROBES.items():
            r = sb.run_unrestricted(source)
            probes[name] = r.stdout.strip() or f"probe failed: {r.status} {dict(r.error or {})}"
        language = sb.run("import os")
        probes["language policy (import os)"] = (
            "blocked" if language.status == "refused" else f"OPEN ({language.status})"
        )
        return {"server_walls": sb.walls, "probes": probes}


def _doctor(args) -> int:
    report = doctor_report()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    walls = dict(report["server_walls"])
    print(f"Fork server runs as root: {'yes' if walls.pop('root', False) else 'no'}")
    print("Walls raised by the fork server:")
    for name, active in walls.items():
        print(f"  {name:<14} {'active' if active else 'absent'}")
    print("Attempts from an unrestricted child (process and host layers only):")
    for name, outcome in report["probes"].items():
        print(f"  {name:<28} {outcome}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a program file and print the RunResult as JSON")
    run.add_argument("program")
    run.add_argument("--stdin", metavar="FILE")
    run.add_argument("--time-limit", type=float, metavar="SECONDS", help="CPU seconds")
    run.add_argument("--memory-mb", type=int, metavar="N")
    doctor = sub.add_parser("doctor", help="report which walls are active on this machine")
    doctor.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    return _run(args) if args.command == "run" else _doctor(args)


if __name__ == "__main__":
    sys.exit(main())
