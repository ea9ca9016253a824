"""CPU cost of each kind of request, one at a time, against a real ``codekids serve``.

    .venv/bin/python bench/request_cost.py [--database sqlite|postgres] [--requests N]
                                           [--shared-sources]

The load benchmark (bench/load.py) says how many children the machine sustains;
this one says where a request's CPU goes, so a change to one endpoint can be
judged without a 10-minute load run. One gunicorn worker with one thread serves
one request at a time; for each kind of request (the same ones the load
benchmark sends, built with its own code) it sends ``--requests`` of them and
reads, from /proc, the CPU seconds spent meanwhile by

* the worker (Flask, SQLAlchemy, the request's Python),
* the sandbox (its fork server and every child it forked for a run),
* PostgreSQL's processes (0 on SQLite: its work is in the worker),

and prints milliseconds per request. The last line weighs them by what one
simulated child of bench/load.py asks for in 30 s (half a Run, half a Submit,
one exercise page in eight actions, a librarian's grid every 20 s for 15
children) and turns that into the cores N children would need.

Every program text differs (a comment with a counter on its first line), as
real children's programs do and as bench/load.py sends them: the sandbox
compiles each one. ``--shared-sources`` sends the bank's texts as they are
(the sandbox then finds them compiled in its cache).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # bench/sandbox.py would shadow the sandbox package
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402  - bench/load.py: the world, the server and the client

PARTS = ("worker", "sandbox", "postgres")


class Meter:
    """CPU seconds of the worker, the sandbox (server + reaped children) and PostgreSQL."""

    def __init__(self, server: load.Server):
        self.server = server

    def read(self) -> dict[str, float]:
        parents = load.children_by_parent()
        worker = sandbox = 0.0
        for pid in parents.get(self.server.proc.pid, []):
            worker += load.cpu_seconds(pid, with_children=False)
            sandbox += sum(load.cpu_seconds(p, with_children=True)
                           for p in load.descendants(pid, parents)[1:])
        return {"worker": worker, "sandbox": sandbox, "postgres": load.postgres_cpu()}

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """CPU seconds between two readings; a PostgreSQL backend that exited meanwhile
        is left out rather than counted as negative."""
        pg_before, pg_after = before["postgres"], after["postgres"]
        return {"worker": after["worker"] - before["worker"],
                "sandbox": after["sandbox"] - before["sandbox"],
                "postgres": sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())}


async def login_child(c: load.Client, child: load.Child) -> None:
    if await load.child_login(c, child) is None:
        raise SystemExit(f"child {child.id} could not log in")


async def measure(world: load.World, server: load.Server, args) -> dict[str, dict]:
    stats = load.Stats(10**9, time.monotonic() + 10**6)
    meter = Meter(server)
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

    async def static_new_connection(c, _ex):
        await c.close()  # as in bench/load.py, where a child's connection idles out between actions
        await c.request("static", "GET", "/static/css/site.css")

    kinds = {
        # What any request costs before the app's own work: gunicorn, Flask, the hooks.
        "static file (floor)": static,
        "static file, new connection": static_new_connection,
        "exercise page": page,
        "run, right": run,
        "run, NameError": lambda c, ex: run(c, ex, "name"),
        "submit, right": submit,
        "submit, NameError": lambda c, ex: submit(c, ex, "name"),
        "submit, SyntaxError": lambda c, ex: submit(c, ex, "syntax"),
        "progress grid": grid,
        "counter API": counter,
        "child login (2 requests)": child_login,
    }
    # Every child opens an exercise first (the CSRF token), and the sandbox is warm.
    picks = {id(c): rng.choice(world.exercises) for c in clients}
    for c in clients:
        await page(c, picks[id(c)])
        await run(c, picks[id(c)])
    results = {}
    for name, action in kinds.items():
        for c in clients[:3]:  # warm this path
            await action(c, picks[id(c)])
        await asyncio.sleep(0.5)
        before, t0 = meter.read(), time.perf_counter()
        for i in range(args.requests):
            c = clients[i % len(clients)]
            await action(c, picks[id(c)])
        await asyncio.sleep(0.5)  # let finished sandbox children be reaped
        after, wall = meter.read(), time.perf_counter() - t0 - 0.5
        per = {k: v * 1000 / args.requests for k, v in meter.spent(before, after).items()}
        per["wall"] = wall * 1000 / args.requests
        results[name] = per
        print(f"{name:<26} worker {per['worker']:6.2f}  sandbox {per['sandbox']:6.2f}  "
              f"postgres {per['postgres']:5.2f}  = {sum(per[k] for k in PARTS):6.2f} ms CPU"
              f"   (wall {per['wall']:6.1f} ms)", flush=True)
    errors = sum(len(v) for v in stats.errors.values())
    if errors:
        print(f"errors: {errors}: {sorted({e for v in stats.errors.values() for e in v})[:5]}")
    for c in clients:
        await c.close()
    await lib_client.close()
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
    server = None
    try:
        world = load.build_world(database.app_url, args.children)
        server = load.Server(world, 1, 1, None, database.tmp)
        server.wait_ready()
        results = asyncio.run(measure(world, server, args))
    finally:
        if server is not None:
            server.stop()
        database.drop()
    per_child = {k: sum(w * results[name][k] for name, w in MIX.items()) for k in PARTS}
    total = sum(per_child.values())
    print("\none child's 30 s (bench/load.py's mix): "
          + ", ".join(f"{k} {v:.2f}" for k, v in per_child.items())
          + f" = {total:.2f} ms CPU")
    print(f"{args.for_children} children: {args.for_children / 30 * total / 1000:.2f} cores "
          f"(one request at a time; under load the same requests cost more)")


if __name__ == "__main__":
    main()
