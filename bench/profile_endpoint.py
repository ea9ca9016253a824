"""Where the workers' time goes under load: py-spy on bench/load.py's server (issue 18, point 4).

    .venv/bin/python bench/profile_endpoint.py --out /tmp/profile-after \\
        [--children 800] [--duration 40] [--database postgres] [--rate 100]
    .venv/bin/python bench/profile_endpoint.py --summarize /tmp/profile-after.raw

Runs ``bench/load.py --children N --duration S`` (the same Python, the same
environment: PYTHONPATH selects the code, as for the "before" profile taken on a
worktree of 4b57be0), waits for its steady state (the ramp-up: N children at 20
logins a second, 30 s at least; then ``--settle`` s, 60 by default, so that the
profile does not catch the login storm still queued), and samples the gunicorn
master and everything below it for the steady state with ``py-spy record
--subprocesses --nonblocking --gil --format raw``. It writes

* ``OUT.raw``: the collapsed stacks as py-spy wrote them (flamegraph.pl or
  speedscope read them);
* ``OUT.txt``: the load run's report, then the summary below;
* ``OUT.svg``: a flame graph of the workers' samples, drawn here.

The summary counts only the gunicorn workers' samples (not the master, not the
sandbox's processes, whose CPU bench/request_cost.py measures apart, and which
py-spy cannot read inside their chroot anyway): the share of each endpoint (the view
function under Flask's dispatch_request, or the hook or gunicorn step outside
it), and for the endpoint with the largest share, its top functions by own time
and by time including callees. py-spy samples without stopping the workers
(``--nonblocking``), so stacks are now and then torn; that is noise of a few
samples.
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == BENCH:
    sys.path.pop(0)  # bench/sandbox.py would shadow the sandbox package
sys.path.insert(0, str(BENCH))

import load as load_bench  # noqa: E402  - bench/load.py: reading /proc

PROCESS = re.compile(r'^process (\d+):"(.*)"$')
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


# ---- the run -----------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    return load_bench.children_by_parent().get(pid, [])


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def find_server(load: subprocess.Popen, timeout: float = 600) -> tuple[int, list[int]]:
    """The gunicorn master load.py started, and its workers once they are up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and load.poll() is None:
        for pid in children_of(load.pid):
            if " serve " in cmdline(pid) or "load_profile.py" in cmdline(pid):
                workers = children_of(pid)
                if workers:
                    return pid, workers
        time.sleep(0.5)
    raise SystemExit("bench/load.py ended or started no server")


def record(args) -> None:
    out = Path(args.out)
    # The ramp is passed, not left to load.py's default, so that this script knows
    # when the steady state starts.
    ramp = args.ramp if args.ramp is not None else max(30.0, args.children / args.login_rate)
    load_cmd = [sys.executable, str(BENCH / "load.py"), "--database", args.database,
                "--children", str(args.children), "--duration", str(args.duration),
                "--ramp", str(ramp), "--settle", str(args.settle)]
    report = out.with_suffix(".txt")
    with open(report, "w") as log:
        load = subprocess.Popen(load_cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            master, workers = find_server(load)
            # The librarians log in (argon2) before the clock starts: a few seconds.
            steady_in = ramp + args.settle + 8
            print(f"server {master}, workers {workers}; steady state in ~{steady_in:.0f} s",
                  flush=True)
            time.sleep(steady_in)
            spy = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(master),
                   "--subprocesses", "--nonblocking", "--rate", str(args.rate),
                   *(["--gil"] if args.gil else []),
                   "--duration", str(max(5, int(args.duration) - 12)), "--format", "raw",
                   "--output", str(out.with_suffix(".raw"))]
            subprocess.run(spy, check=True, stdout=subprocess.DEVNULL)
            load.wait()
        finally:
            if load.poll() is None:
                load.terminate()
                load.wait()
    summary = summarize(out.with_suffix(".raw"), None, out.with_suffix(".svg"))
    with open(report, "a") as log:
        log.write("\n-- py-spy, the workers' samples in the steady state --\n" + summary)
    print(report.read_text())


# ---- the summary -------------------------------------------------------------------------


def parse(raw: Path) -> list[tuple[list[str], list[tuple[str, str]], int]]:
    """(process pids outermost first, frames outermost first as (func, file), count)."""
    stacks = []
    for line in raw.read_text().splitlines():
        path, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        pids, frames = [], []
        for part in path.split(";"):
            m = PROCESS.match(part)
            if m:
                pids.append(m.group(1))
                continue
            f = FRAME.match(part)
            frames.append((f.group("func"), short(f.group("file"))) if f else (part, ""))
        stacks.append((pids, frames, int(count)))
    return stacks


def short(file: str) -> str:
    for marker in ("site-packages/", "/platform/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def endpoint(frames: list[tuple[str, str]]) -> str:
    """The view under Flask's dispatch_request (past the decorators), else where the
    request was outside any view."""
    names = [f.rpartition(".")[2] for f, _ in frames]  # py-spy writes Flask.dispatch_request
    if not frames:
        return "(no Python frame: a thread in C outside any Python call)"
    if "dispatch_request" in names:
        i = names.index("dispatch_request") + 1
        while i < len(frames) and (frames[i][1].startswith(("flask", "functools"))
                                   or names[i] in ("decorated_view", "wrapper", "inner",
                                                   "decorated", "wrapped_view")):
            i += 1
        if i < len(frames):
            func, file = frames[i]
            return f"{file.removeprefix('codekids/')}:{func}"
        return "dispatch_request"
    for step in ("preprocess_request", "process_response", "do_teardown_request",
                 "do_teardown_appcontext", "handle_user_exception", "send_static_file"):
        if step in names:
            return f"(Flask {step}: the hooks)"
    if "full_dispatch_request" in names:
        return "(Flask full_dispatch_request, outside the view)"
    if "wsgi_app" in names:
        return "(Flask wsgi_app: request set-up, context, other)"
    if any(f.startswith("gunicorn") for _, f in frames):
        return "(gunicorn: parsing, writing, keep-alive)"
    if any(f.startswith("sandbox/") for _, f in frames):
        return "(the sandbox client outside a request: its reader thread, its stop)"
    return "(other)"


def summarize(raw: Path, workers: list[int] | None = None, svg: Path | None = None) -> str:
    stacks = parse(raw)
    wanted = {str(w) for w in workers} if workers else None

    def is_worker(pids: list[str]) -> bool:
        # master;worker is a worker's stack; master;worker;sandbox... is the sandbox's.
        if wanted is not None:
            return len(pids) >= 2 and pids[1] in wanted and len(pids) == 2
        return len(pids) == 2

    mine = [(frames, n) for pids, frames, n in stacks if is_worker(pids)]
    total = sum(n for _, n in mine) or 1
    everything = sum(n for _, _, n in stacks) or 1
    lines = [f"samples: {everything} in all, {total} of the workers "
             f"({100 * total / everything:.0f} %; the rest the master and the sandbox)"]
    by_endpoint = Counter()
    for frames, n in mine:
        by_endpoint[endpoint(frames)] += n
    lines.append("\nshare of the workers' on-CPU samples, by endpoint:")
    for name, n in by_endpoint.most_common(15):
        lines.append(f"  {100 * n / total:5.1f} %  {name}")
    top = next(name for name, _ in by_endpoint.most_common() if not name.startswith("("))
    in_top = [(frames, n) for frames, n in mine if endpoint(frames) == top]
    top_total = sum(n for _, n in in_top)
    own, inclusive = Counter(), Counter()
    for frames, n in in_top:
        own[frame_name(frames[-1])] += n
        for name in {frame_name(f) for f in frames}:
            inclusive[name] += n
    lines.append(f"\nthe largest endpoint, {top}: {100 * top_total / total:.1f} % of the "
                 "workers' samples; its functions, as % of the workers' samples:")
    lines.append("  own time (the function itself):")
    for name, n in own.most_common(20):
        lines.append(f"    {100 * n / total:5.1f} %  {name}")
    lines.append("  including what they call (from the view down):")
    view_depth_names = [name for name, n in inclusive.most_common(60)
                        if n < top_total * 0.999]
    for name in view_depth_names[:30]:
        lines.append(f"    {100 * inclusive[name] / total:5.1f} %  {name}")
    # Across all endpoints: what every request pays (the plumbing).
    everywhere = Counter()
    for frames, n in mine:
        for name in {frame_name(f) for f in frames if not f[1].startswith(GENERIC)}:
            everywhere[name] += n
    lines.append("\nall endpoints, including callees (what every request runs, and the views):")
    for name, n in everywhere.most_common(45):
        lines.append(f"  {100 * n / total:5.1f} %  {name}")
    if svg is not None:
        svg.write_text(flame_svg(mine, f"workers' on-CPU samples ({raw.name})"))
        lines.append(f"\nflame graph: {svg}")
    return "\n".join(lines) + "\n"


# Frames on nearly every stack, which say nothing of where the time goes.
GENERIC = ("threading.py", "concurrent/", "gunicorn/", "click/", "flask/cli.py", "codekids/cli.py",
           "codekids:")


def frame_name(frame: tuple[str, str]) -> str:
    func, file = frame
    return f"{func} ({file})" if file else func


def flame_svg(stacks: list[tuple[list[tuple[str, str]], int]], title: str,
              width: int = 1800, row: int = 16) -> str:
    """A plain flame graph (roots at the bottom), without flamegraph.pl."""
    tree: dict = {}
    for frames, n in stacks:
        node = tree
        for f in frames:
            child = node.setdefault(frame_name(f), {"": 0})
            child[""] += n
            node = child
    total = sum(c[""] for c in tree.values()) or 1

    def depth(node) -> int:
        return 1 + max((depth(c) for k, c in node.items() if k), default=0)

    height = (depth(tree) + 2) * row
    rects = []

    def draw(node, x: float, level: int) -> None:
        for name, child in sorted((k, v) for k, v in node.items() if k):
            w = child[""] / total * width
            if w >= 0.5:
                y = height - (level + 2) * row
                hue = 20 + (hash(name) % 40)
                label = html.escape(name)
                text = html.escape(name[: int(w / 7)]) if w > 30 else ""
                pct = 100 * child[""] / total
                rects.append(
                    f'<g><title>{label} ({pct:.1f} %)</title>'
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
                    f'fill="hsl({hue},90%,60%)"/>'
                    f'<text x="{x + 3:.1f}" y="{y + row - 4}">{text}</text></g>')
                draw(child, x, level + 1)
            x += w

    draw(tree, 0.0, 0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace" font-size="11"><text x="4" y="14">{html.escape(title)}'
            f'</text>{"".join(rects)}</svg>\n')


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="file prefix: OUT.raw, OUT.txt, OUT.svg")
    p.add_argument("--summarize", metavar="RAW", help="only summarize an existing raw file")
    p.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--children", type=int, default=800)
    p.add_argument("--duration", type=float, default=40.0)
    p.add_argument("--login-rate", type=float, default=20.0,
                   help="children logging in a second: the ramp is N / this, 30 s at least")
    p.add_argument("--ramp", type=float, default=None, help="or the ramp-up in seconds")
    p.add_argument("--settle", type=float, default=60.0,
                   help="load.py's settling: on a busy machine the login storm takes long to drain")
    p.add_argument("--rate", type=int, default=100, help="py-spy samples a second")
    p.add_argument("--no-gil", dest="gil", action="store_false",
                   help="sample every thread on CPU, not only the one holding the GIL")
    args = p.parse_args(argv)
    if args.summarize:
        raw = Path(args.summarize)
        print(summarize(raw, None, raw.with_suffix(".svg")))
    elif args.out:
        record(args)
    else:
        p.error("--out or --summarize")


if __name__ == "__main__":
    main()
