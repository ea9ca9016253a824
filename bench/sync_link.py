"""How long one club's season takes to sync over a slow link (issue 19).

    .venv/bin/python bench/sync_link.py [--rate-kbit 256] [--children 15] [--exercises 40]
                                        [--runs 3] [--postgres-url URL]

What one run does (only 127.0.0.1 is ever contacted):

1. A season on a box, made in this process through the box's own services on a
   fresh SQLite file (not over HTTP, to be quick): one club of ``--children``
   children, each solving ``--exercises`` exercises of the bank (its reference
   solutions, each with a first-line comment of its own so no two texts are the
   same, as with real children) and ``--runs`` error-free playground runs of a
   project. That file is copied twice: the same season on two boxes.
2. National: `codekids serve` (gunicorn, ``--national-workers``) on a fresh
   PostgreSQL database made on ``--postgres-url``'s server and dropped afterwards;
   two clubs, a box registered for each (national's service functions).
3. Each box is set up with `codekids sync setup` through its own proxy
   (tests/sync/harness.py: a TCP proxy that paces bytes), then `codekids sync` is
   timed from start to exit: a baseline box through an unthrottled proxy, another
   through ``--rate-kbit`` kbit/s each way; ``--repeat`` times each, alternating
   which goes first, every time a fresh copy of the season for a club of its own.
   Before anything is timed one item is graded on national (its sandbox starts).
4. Report: items, batches, lines accepted, bytes each way, the times (median and
   each run) and the ratio of the medians, the command's own start, and how long
   the link itself made senders wait (the pacing's sleeps). Every box's total is
   checked against national's (the same lines counted).

Figures (2026-12-04, 2 cores shared with other work, national 1 worker x 4 threads;
defaults: 15 children x 40 exercises + 3 runs = 645 items, 1,290 lines; answers
gzipped since 0311f03):

    link                 codekids sync (median, each run)   ratio  up        down
    baseline (loopback)  10.6 s (9.9, 11.2)                 1.00x  33.9 KiB  16.4 KiB
    256 kbit/s           13.1 s (13.0, 13.1)                1.24x  33.9 KiB  16.4 KiB

4 batches; the link itself made senders wait 1.6 s (1.1 s for the batches, 0.5 s
for the answers); the command's own start was 1.6-1.9 s. The rest is national
re-grading every item in its sandbox: a season's sync over a slow link is bound by
national's CPU more than by the line. (Earlier, with the machine busier and the
answers not yet compressed: 28.9 s against 23.5 s, the link 2.7 s of it.)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and bench/sandbox.py
# would shadow the sandbox package the site imports.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.sync import world  # noqa: E402
from tests.sync.harness import PostgresDatabase, Proxy, Site  # noqa: E402

PLAYGROUND = [
    "for i in range({n}):\n    print('*' * i)\nprint('gata')\n",
    "nume = 'Ana'\nvarsta = {n}\nprint(nume, 'are', varsta, 'ani')\nprint(varsta * 2)\n",
    "total = 0\nfor x in range({n}):\n    total = total + x\nprint('suma', total)\n",
]


def build_season(site: Site, n_children: int, n_exercises: int, n_runs: int) -> dict:
    """The season, through the box's services; returns what was made."""
    from codekids import db, sandbox_client
    from codekids.accounts.models import User
    from codekids.learning import service as learning

    site.migrate()
    names = [f"Copil{i:02d}" for i in range(n_children)]
    club = world.seed_box_club(site, names)
    app = site.app()
    bank = app.extensions["codekids_bank"]
    exercises = [e for e in bank.exercises.values() if e.solution.strip()][:n_exercises]
    solved = runs = 0
    started = time.perf_counter()
    with app.test_request_context():
        for c, kid in enumerate(club.children):
            child = db.session.get(User, kid.id)
            for n, exercise in enumerate(exercises):
                source = f"# {c}.{n}\n" + exercise.solution
                outcome = learning.record_submission(child, exercise, source,
                                                     f"season-{c}-{n}", "ro", bank=bank)
                solved += bool(outcome.report.get("solved"))
            project = learning.create_project(child, "Proiectul meu", PLAYGROUND[0].format(n=3))
            for r in range(n_runs):
                source = PLAYGROUND[r % len(PLAYGROUND)].format(n=3 + c + r)
                answer = learning.run_playground(child, source, "", "ro", project_id=project.id)
                runs += answer["status"] == "ok"
            print(f"  child {c + 1}/{len(club.children)}: {solved} solved, {runs} runs "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
    sandbox_client.stop()
    lines = world.counted(site, club.id).nation
    site.dispose()
    return {"solved": solved, "runs": runs, "lines": lines}


def warm_up(national: Site) -> None:
    """One item graded on national before anything is timed: its worker's sandbox
    starts at the first program it runs, and neither timed sync should pay for that."""
    from codekids.sync import protocol
    from tests.sync.harness import gzip_json, post_batch

    club_id = world.seed_national_club(national, "AB", "Clubul de încălzire")
    _box_id, token = world.register_box(national, club_id, "warm-up")
    item = {"item": protocol.new_key(), "kind": "exercise", "exercise": "hello",
            "exercise_hash": world.exercise_hash(national, "hello"), "child": protocol.new_key(),
            "source": world.solution(national, "hello"), "written_at": None}
    batch = {"protocol": protocol.PROTOCOL, "batch": protocol.new_key(), "items": [item],
             "totals": {}}
    status, answer = post_batch(national.url, gzip_json(batch),
                                {"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert status == 200 and answer["results"][0]["status"] == "accepted", answer


def time_sync(box: Site, national: Site, proxy: Proxy, token: str) -> dict:
    setup = box.cli("sync", "setup", "--server", proxy.url, "--token", token)
    assert "accepts the token" in setup.stdout, setup.stdout
    started = time.perf_counter()
    box.cli("sync", "status")
    floor = time.perf_counter() - started  # the command's own start, nothing sent
    up, down = proxy.bytes_up, proxy.bytes_down
    started = time.perf_counter()
    proc = box.cli("sync", check=False, timeout=3600)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"codekids sync failed:\n{proc.stdout}\n{proc.stderr}")
    batches = [r for r in proxy.batches() if r.batch()["items"]]
    return {"seconds": seconds, "floor": floor, "up": proxy.bytes_up - up, "down": proxy.bytes_down - down,
            "batches": len(batches), "items": sum(len(r.batch()["items"]) for r in batches),
            "output": proc.stdout.strip().splitlines()[-1]}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rate-kbit", type=float, default=256.0,
                   help="the slow link, kbit/s each way (1 kbit = 1000 bits)")
    p.add_argument("--children", type=int, default=15)
    p.add_argument("--exercises", type=int, default=40, help="solved by each child")
    p.add_argument("--runs", type=int, default=3, help="error-free playground runs per child")
    p.add_argument("--repeat", type=int, default=2,
                   help="syncs per link, alternating which goes first")
    p.add_argument("--national-workers", type=int, default=1,
                   help="gunicorn workers of national (a box sends its batches one by one)")
    p.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="a server where this benchmark may CREATE and DROP its own database")
    args = p.parse_args(argv)
    rate = args.rate_kbit * 1000 / 8  # bytes a second

    tmp = Path(tempfile.mkdtemp(prefix="codekids-sync-link-"))
    database = PostgresDatabase(args.postgres_url, prefix="codekids_synclink")
    national = Site("national", database.url, tmp / "national")
    proxies: list[Proxy] = []
    try:
        print(f"season: {args.children} children x {args.exercises} exercises + "
              f"{args.runs} playground runs each, on a box (SQLite) ...", flush=True)
        season_site = Site("season", f"sqlite:///{tmp / 'season.sqlite3'}", tmp / "season")
        season = build_season(season_site, args.children, args.exercises, args.runs)
        print(f"  {season['solved']} solved, {season['runs']} runs, {season['lines']} lines "
              "counted on the box", flush=True)

        print("national: codekids serve on PostgreSQL ...", flush=True)
        national.migrate()
        national.start(workers=args.national_workers, threads=4)
        warm_up(national)
        links = (("baseline (loopback)", None), (f"{args.rate_kbit:g} kbit/s", rate))
        results: dict[str, list[dict]] = {name: [] for name, _ in links}
        for rep in range(args.repeat):
            # Alternate the order: a machine busier at one moment favours neither link.
            for name, link in (links if rep % 2 == 0 else links[::-1]):
                n = sum(len(v) for v in results.values())
                path = tmp / f"box{n}.sqlite3"
                shutil.copy(tmp / "season.sqlite3", path)
                box = Site(f"box{n}", f"sqlite:///{path}", tmp / f"box{n}")
                club_id = world.seed_national_club(national, "CJ", f"Clubul {n}")
                _box_id, token = world.register_box(national, club_id, name)
                proxy = Proxy(national.port, rate=link)
                proxies.append(proxy)
                print(f"sync over {name} ...", flush=True)
                result = time_sync(box, national, proxy, token)
                counted = world.counted(national, club_id).club
                if counted != season["lines"]:
                    raise SystemExit(f"national counted {counted} lines, the box "
                                     f"{season['lines']}")
                result["lines"] = counted
                result["link_wait"] = proxy.up.waited + proxy.down.waited
                results[name].append(result)
                print(f"  {result['seconds']:.1f} s (the link made senders wait "
                      f"{result['link_wait']:.1f} s): {result['output']}", flush=True)
                box.dispose()
    finally:
        for proxy in proxies:
            proxy.close()
        national.stop()
        national.dispose()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)

    (base_name, bases), (slow_name, slows) = results.items()
    slow = slows[0]
    base_median = statistics.median(r["seconds"] for r in bases)
    print()
    print(f"one club's season: {slow['items']} items in {slow['batches']} batches, "
          f"{slow['lines']} lines accepted by national (the same as the box counted)")
    print(f"{'link':<22} {'codekids sync (median, each run)':<40} {'ratio':>6} "
          f"{'box → national':>15} {'national → box':>15}")
    for name, runs in ((base_name, bases), (slow_name, slows)):
        median = statistics.median(r["seconds"] for r in runs)
        each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
        print(f"{name:<22} {f'{median:.1f} s ({each})':<40} {median / base_median:>5.2f}x "
              f"{runs[0]['up'] / 1024:>11.1f} KiB {runs[0]['down'] / 1024:>11.1f} KiB")
    floors = ", ".join(f"{r['floor']:.1f}" for r in bases + slows)
    print(f"the command's own start (`codekids sync status`, nothing sent): {floors} s")
    waits = ", ".join(f"{r['link_wait']:.1f}" for r in slows)
    print(f"at {args.rate_kbit:g} kbit/s the link itself made senders wait {waits} s in all "
          f"({slow['up'] / rate:.1f} s for the batches, {slow['down'] / rate:.1f} s for the "
          "answers); the rest is national re-grading every item and the command's start")

if __name__ == "__main__":
    main()
