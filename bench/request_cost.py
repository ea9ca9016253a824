"""CPU cost of each kind of request, one at a time, against a real ``codekids serve``
and, beside it, against a minimal Flask app: the floor.

    .venv/bin/python bench/request_cost.py [--database sqlite|postgres] [--requests N]
                                           [--shared-sources]

The load benchmark (bench/load.py) says how many children the machine sustains;
this one says where a request's CPU goes, so a change to one endpoint can be
judged without a 10-minute load run. One gunicorn worker with one thread serves
one request at a time; for each kind of request (the same ones the load
benchmark sends, built with its own code, plus the embed and /healthz) it sends
``--requests`` of them and reads, from /proc, the CPU seconds spent meanwhile by

* the worker (Flask, SQLAlchemy, the request's Python),
* the sandbox (its fork server and every child it forked for a run),
* the PostgreSQL backends serving the run's database (none on SQLite: its work
  is in the worker; other databases' backends are left out, the machine is shared),

and prints milliseconds per request.

The floor (bench/floor_app.py) is served in the same run the same way: gunicorn,
gthread, one worker, one thread, the same Python, the same database URL (the
run's SQLite file or PostgreSQL database). It is Flask, Flask-Login, SQLAlchemy
and one small Jinja template, with two endpoints: "hello" (a short text, no
user, no database) and "page" (Flask-Login loads a ``users`` row of the run's
world by primary key, a template renders a few variables and ten items). Its
two lines come first, measured exactly as the site's (the same client, the same
reading of the worker's CPU, ``--requests`` of each); every line of the site
then ends with its ratio to the floor: what needs no user (the static file, the
counter API, the embed, /healthz) against "hello", everything a logged-in
person asks for against "page". What the site costs above the floor is its
plumbing and its own work; issue 18's goals are ratios to it: a static file
<= 1.2x hello, the exercise page <= 2x the floor page, one child's 30 s <= 6x
the floor page and <= 11 ms.

The last lines weigh the site's kinds by what one simulated child of
bench/load.py asks for in 30 s (half a Run, half a Submit, one exercise page in
eight actions, a librarian's grid every 20 s for 15 children), turn that into
the cores N children would need and, last, print it as
``one child's 30 s (bench/load.py's mix): ... = N ms CPU``.

Every program text differs (a comment with a counter on its first line), as
real children's programs do and as bench/load.py sends them: the sandbox
compiles each one. ``--shared-sources`` sends the bank's texts as they are
(the sandbox then finds them compiled in its cache).

Where the time goes under load (issue 18, point 4) is bench/profile_endpoint.py:
py-spy on bench/load.py's workers in the steady state, summarized per endpoint.

    .venv/bin/python bench/profile_endpoint.py --out /tmp/profile-after

(``--children 800 --duration 40 --database postgres`` by default; it writes
OUT.txt, the load run's report and the summary, OUT.raw and OUT.svg.) The
"before" profile of issue 18 was taken the same way on the code of 4b57be0: a
worktree of it with this script, bench/floor_app.py and bench/profile_endpoint.py
copied in, run from the worktree with
``PYTHONPATH=WORKTREE/platform:WORKTREE /work/main/.venv/bin/python bench/...``
(PYTHONPATH comes before the editable install; the scripts then drive the old
load.py and the old site).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/sandbox.py would shadow the sandbox package
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402  - bench/load.py: the world, the server and the client

PARTS = ("worker", "sandbox", "postgres")
BENCH = Path(__file__).resolve().parent
HOST = "127.0.0.1"  # the only address this benchmark ever contacts


class Meter:
    """CPU seconds of the worker, the sandbox (server + reaped children) and the PostgreSQL
    backends serving the run's database (none on SQLite). Other backends and PostgreSQL's
    own background processes are left out: the machine is shared, and another
    database's work must not be counted as this run's."""

    def __init__(self, server, database: str | None):
        self.server = server
        self.database = database

    def read(self) -> dict[str, float]:
        parents = load.children_by_parent()
        worker = sandbox = 0.0
        for pid in parents.get(self.server.proc.pid, []):
            worker += load.cpu_seconds(pid, with_children=False)
            sandbox += sum(load.cpu_seconds(p, with_children=True)
                           for p in load.descendants(pid, parents)[1:])
        postgres = {}
        if self.database:
            for pid, seconds in load.postgres_cpu().items():
                if _backend_database(pid) == self.database:
                    postgres[pid] = seconds
        return {"worker": worker, "sandbox": sandbox, "postgres": postgres}

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds between two readings; a PostgreSQL backend that exited meanwhile
        is left out rather than counted as negative."""
        pg_before, pg_after = before["postgres"], after["postgres"]
        return {"worker": after["worker"] - before["worker"],
                "sandbox": after["sandbox"] - before["sandbox"],
                "postgres": sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())}


def _backend_database(pid: int) -> str | None:
    """The database a PostgreSQL backend serves, from its title ("postgres: [CLUSTER:]
    USER DATABASE HOST(PORT) STATE"); None for other processes."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().split()
    except (OSError, UnicodeDecodeError):
        return None
    if words[:1] != ["postgres:"]:
        return None
    words = words[2:] if len(words) > 1 and words[1].endswith(":") else words[1:]
    return words[1] if len(words) >= 3 else None


class FloorServer:
    """bench/floor_app.py under gunicorn (one worker, one thread), on the run's database;
    ``proc`` and ``port`` as load.Server's, so that a Meter reads its worker the same way."""

    def __init__(self, database_url: str, log_dir: str):
        with socket.socket() as s:
            s.bind((HOST, 0))
            self.port = s.getsockname()[1]
        env = dict(os.environ, FLOOR_DATABASE_URL=database_url,
                   FLOOR_SECRET_KEY=secrets.token_urlsafe(32))
        self.log_path = Path(log_dir) / "floor.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "floor_app.py"), "--bind", f"{HOST}:{self.port}"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the floor app stopped at start:\n"
                                 + self.log_path.read_text()[-3000:])
            with contextlib.suppress(OSError):
                with socket.create_connection((HOST, self.port), timeout=5) as s:
                    s.sendall(b"GET /hello HTTP/1.1\r\nHost: floor\r\nConnection: close\r\n\r\n")
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            time.sleep(0.3)
        raise SystemExit(f"the floor app did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        load.stop_group(self.proc)
        self.log.close()


async def run_kinds(kinds: dict, clients: list, picks: dict, meter: Meter, args,
                    ratio=None) -> dict[str, dict]:
    """Each kind: warmed on three clients, then ``--requests`` of it, one at a time, the
    CPU read before and after. ``ratio(name, per)`` adds a comparison to its line."""
    results = {}
    for name, action in kinds.items():
        for c in clients[:3]:  # warm this path
            await action(c, picks.get(id(c)))
        await asyncio.sleep(0.5)
        before, t0 = meter.read(), time.perf_counter()
        for i in range(args.requests):
            c = clients[i % len(clients)]
            await action(c, picks.get(id(c)))
        await asyncio.sleep(0.5)  # let finished sandbox children be reaped
        after, wall = meter.read(), time.perf_counter() - t0 - 0.5
        per = {k: v * 1000 / args.requests for k, v in meter.spent(before, after).items()}
        per["wall"] = wall * 1000 / args.requests
        results[name] = per
        print(f"{name:<29} worker {per['worker']:6.2f}  sandbox {per['sandbox']:6.2f}  "
              f"postgres {per['postgres']:5.2f}  = {cpu(per):6.2f} ms CPU"
              f"   (wall {per['wall']:6.1f} ms){ratio(name, per) if ratio else ''}", flush=True)
    return results


def cpu(per: dict) -> float:
    return sum(per[k] for k in PARTS)


def check_errors(stats: load.Stats) -> None:
    errors = sum(len(v) for v in stats.errors.values())
    if errors:
        print(f"errors: {errors}: {sorted({e for v in stats.errors.values() for e in v})[:5]}")


async def measure_floor(world: load.World, floor: FloorServer, args) -> dict[str, dict]:
    """The floor app's two endpoints, measured as the site's requests are: the same
    client, the same reading of the worker's CPU, ``--requests`` of each."""
    stats = load.Stats(10**9, time.monotonic() + 10**6)
    clients = []
    for child in world.children[: args.children]:  # real rows of the run's users table
        c = load.Client(floor.port, stats)
        if await c.request("floor login", "POST", f"/login/{child.id}") is None:
            raise SystemExit(f"the floor app could not log user {child.id} in: {stats.errors}")
        clients.append(c)

    async def hello(c, _):
        await c.request("floor hello", "GET", "/hello")

    async def page(c, _):
        await c.request("floor page", "GET", "/page")

    results = await run_kinds({HELLO: hello, PAGE: page}, clients, {},
                              Meter(floor, args.pg_name), args)
    check_errors(stats)
    for c in clients:
        await c.close()
    return results


# Which floor each kind of the site's requests is compared with: what needs no user with
# the floor's "hello", what a logged-in person asks for with its page.
HELLO, PAGE = "floor: hello", "floor: page (user, template)"
PUBLIC = ("static file", "static file, new connection", "counter API", "counter embed",
          "health")


def floor_of(name: str) -> str:
    return HELLO if name in PUBLIC else PAGE


async def login_child(c: load.Client, child: load.Child) -> None:
    if await load.child_login(c, child) is None:
        raise SystemExit(f"child {child.id} could not log in")


async def measure(world: load.World, server: load.Server, args,
                  floor: dict[str, dict]) -> dict[str, dict]:
    stats = load.Stats(10**9, time.monotonic() + 10**6)
    meter = Meter(server, args.pg_name)
    rng = random.Random(args.seed)
    children = world.children[: args.children]
    clients = []
    for child in children:
        c = load.Client(server.port, stats)
        await login_child(c, child)
        clients.append(c)
    lib = world.librarians[0]
    lib_client = await load.librarian_login(lib, server.port, stats)
    serial = [0]

    def source_of(ex: dict, wrong: str | None) -> str:
        src = load.wrong_program(ex["solution"], wrong) if wrong else ex["solution"]
        if not args.shared_sources:
            serial[0] += 1
            src = load.distinct(src, f"program {serial[0]}")
        return src

    csrf: dict[int, str] = {}

    async def page(c, ex):
        r = await c.request("page", "GET", f"/exercitii/{ex['id']}")
        csrf[id(c)] = load._CSRF_META.search(r.body).group(1).decode()

    async def run(c, ex, wrong=None):
        body = json.dumps({"source": source_of(ex, wrong), "stdin": ex["stdin"]}).encode()
        await c.request("run", "POST", f"/api/v1/exercises/{ex['id']}/run", body=body,
                        content_type="application/json", headers={"X-CSRFToken": csrf[id(c)]})

    async def submit(c, ex, wrong=None):
        body = json.dumps({"source": source_of(ex, wrong),
                           "client_key": secrets.token_urlsafe(12)}).encode()
        await c.request("submit", "POST", f"/api/v1/exercises/{ex['id']}/submit", body=body,
                        content_type="application/json", headers={"X-CSRFToken": csrf[id(c)]})

    async def grid(_c, _ex):
        await lib_client.request("grid", "GET", world.grid_path.format(club_id=lib.club_id))

    async def counter(c, _ex):
        await c.request("counter", "GET", "/api/v1/counter")

    async def child_login(c, _ex):
        child = rng.choice(children)
        fresh = load.Client(server.port, stats)
        await login_child(fresh, child)
        await fresh.close()

    async def static(c, _ex):
        await c.request("static", "GET", "/static/css/site.css")

    anonymous = load.Client(server.port, stats)  # an embed, a load balancer: no cookie

    async def embed(_c, _ex):
        await anonymous.request("embed", "GET", "/counter/embed")

    async def health(_c, _ex):
        await anonymous.request("health", "GET", "/healthz")

    async def static_new_connection(c, _ex):
        await c.close()  # as in bench/load.py, where a child's connection idles out between actions
        await c.request("static", "GET", "/static/css/site.css")

    kinds = {
        # What any request costs before the app's own work: gunicorn, Flask, the hooks.
        "static file": static,
        "static file, new connection": static_new_connection,
        "exercise page": page,
        "run, right": run,
        "run, NameError": lambda c, ex: run(c, ex, "name"),
        "submit, right": submit,
        "submit, NameError": lambda c, ex: submit(c, ex, "name"),
        "submit, SyntaxError": lambda c, ex: submit(c, ex, "syntax"),
        "progress grid": grid,
        "counter API": counter,
        "counter embed": embed,
        "health": health,
        "child login (2 requests)": child_login,
    }
    # Every child opens an exercise first (the CSRF token), and the sandbox is warm.
    picks = {id(c): rng.choice(world.exercises) for c in clients}
    for c in clients:
        await page(c, picks[id(c)])
        await run(c, picks[id(c)])

    def ratio(name: str, per: dict) -> str:
        base = floor[floor_of(name)]
        return f"  {cpu(per) / cpu(base):5.1f}x {'hello' if name in PUBLIC else 'page'}"

    results = await run_kinds(kinds, clients, picks, meter, args, ratio)
    check_errors(stats)
    for c in clients:
        await c.close()
    await lib_client.close()
    await anonymous.close()
    return results


# What one child of bench/load.py asks for in 30 s: half a Run, half a Submit (each the
# right program half the time; a wrong Submit is a NameError or a SyntaxError), an
# exercise page every eighth action, and 1/15 of a librarian polling every 20 s.
MIX = {
    "run, right": 0.25, "run, NameError": 0.25,
    "submit, right": 0.25, "submit, NameError": 0.125, "submit, SyntaxError": 0.125,
    "exercise page": 0.125, "progress grid": 1.5 / 15,
}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--requests", type=int, default=200, help="requests of each kind")
    p.add_argument("--children", type=int, default=30)
    p.add_argument("--shared-sources", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--for-children", type=int, default=3900,
                   help="the load to translate the per-child cost into cores for")
    args = p.parse_args(argv)
    database = load.Database(args.database, args.postgres_url)
    args.pg_name = database.pg_name if args.database == "postgres" else None
    server = floor_server = None
    try:
        world = load.build_world(database.app_url, args.children)
        server = load.Server(world, 1, 1, None, database.tmp)
        floor_server = FloorServer(world.database_url, database.tmp)
        server.wait_ready()
        floor_server.wait_ready()
        floor = asyncio.run(measure_floor(world, floor_server, args))
        results = asyncio.run(measure(world, server, args, floor))
    finally:
        for s in (server, floor_server):
            if s is not None:
                s.stop()
        database.drop()
    per_child = {k: sum(w * results[name][k] for name, w in MIX.items()) for k in PARTS}
    total = sum(per_child.values())
    hello, page = cpu(floor[HELLO]), cpu(floor[PAGE])
    print(f"\nissue 18's figures (its goals are for PostgreSQL; this run: {args.database}):")
    for what, got, goal in (
            ("static file / floor hello", cpu(results["static file"]) / hello, "<= 1.2x"),
            ("exercise page / floor page", cpu(results["exercise page"]) / page, "<= 2x"),
            ("one child's 30 s / floor page", total / page, "<= 6x")):
        print(f"  {what:<30} {got:6.1f}x   goal {goal}")
    print(f"  {'one child of bench/load.py, 30 s':<30} {total:6.2f} ms  goal <= 11 ms")
    print(f"{args.for_children} children: {args.for_children / 30 * total / 1000:.2f} cores "
          f"(one request at a time; under load the same requests cost more)")
    print("one child's 30 s (bench/load.py's mix): "
          + ", ".join(f"{k} {v:.2f}" for k, v in per_child.items())
          + f" = {total:.2f} ms CPU")

if __name__ == "__main__":
    main()
