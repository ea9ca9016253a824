"""Benchmark: the counter's public API and the coordinator's dashboard at 10³ and 10⁶ submissions.

    .venv/bin/python bench/counter.py                 # SQLite file in a temp dir
    .venv/bin/python bench/counter.py --postgres URL  # a scratch database on that server
    .venv/bin/python bench/counter.py --small 1000 --large 1000000 --runs 200

Fills a database with synthetic passing submissions and their counted lines (bulk
inserts, straight into the tables), rebuilds the totals and day buckets from the
ledger, then times GET /api/v1/counter and GET /coordonare/contor through the test
client (median of many runs) at both sizes. Target (issue 6): the median at the
large size is at most 1.5× the median at the small size — reading a total never
scans submissions or the ledger.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

# bench/sandbox.py must not shadow the sandbox package: run from the repository root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path[:0] = [str(_HERE.parent), str(_HERE.parent / "platform")]

from sqlalchemy import create_engine, delete, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from codekids import create_app, db, migrate  # noqa: E402
from codekids.counter import service  # noqa: E402
from codekids.counter.models import (  # noqa: E402
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.learning.models import Submission  # noqa: E402

CLUBS = 120
CHILDREN_PER_CLUB = 20
EXERCISES = [f"bench-{i:02d}" for i in range(60)]
DAYS = 365
BATCH = 20_000


def build_world(app) -> tuple[int, list[tuple[int, int, int]]]:
    from codekids.accounts.models import CHILD, COORDINATOR, User
    from codekids.clubs.models import Club, County

    with app.app_context():
        s = db.session
        counties = list(s.scalars(select(County).order_by(County.id)))
        coordinator = User(role=COORDINATOR, username="bench.national", display_name="Bench",
                           must_change_password=False, county_id=None)
        s.add(coordinator)
        clubs = []
        for i in range(CLUBS):
            county = counties[i % len(counties)]
            clubs.append(Club(name=f"Club {i:03d}", library=f"Library {i}", town=f"Town {i}",
                              county_id=county.id, join_code=f"B{i:05d}"))
        s.add_all(clubs)
        s.flush()
        children = []
        for club in clubs:
            for j in range(CHILDREN_PER_CLUB):
                children.append(User(role=CHILD, nickname=f"c{j}", club_id=club.id))
        s.add_all(children)
        s.commit()
        return coordinator.id, [(c.id, c.club_id, next(k.county_id for k in clubs
                                                       if k.id == c.club_id))
                                for c in children]


def fill(app, children, start: int, count: int, rng: random.Random) -> None:
    """Adds `count` passing submissions, each with one counted line, in bulk."""
    now = datetime(2026, 11, 24, 12, 0)
    with app.app_context():
        engine = db.get_engine()
        with engine.begin() as conn:
            next_id = (conn.scalar(select(Submission.id).order_by(Submission.id.desc())
                                   .limit(1)) or 0) + 1
        done = 0
        while done < count:
            n = min(BATCH, count - done)
            subs, lines = [], []
            for k in range(n):
                sid = next_id + k
                child_id, club_id, county_id = children[rng.randrange(len(children))]
                ex = EXERCISES[(start + done + k) % len(EXERCISES)]
                at = now - timedelta(minutes=rng.randrange(DAYS * 24 * 60))
                source = f"x{sid} = {sid}\nprint(x{sid})\n"
                subs.append({"id": sid, "child_id": child_id, "club_id": club_id,
                             "kind": "submit", "exercise_id": ex,
                             "client_key": uuid.uuid4().hex, "source": source,
                             "status": "passed", "passed": 1, "total": 1, "solved": True,
                             "created_at": at})
                lines.append({"child_id": child_id, "club_id": club_id, "county_id": county_id,
                              "target": f"ex:{ex}", "exercise_id": ex,
                              "line_hash": hashlib.sha256(f"x{sid} = {sid}".encode()).hexdigest(),
                              "submission_id": sid, "day": service.counter_day(at),
                              "counted_at": at})
            with engine.begin() as conn:
                conn.execute(insert(Submission.__table__), subs)
                conn.execute(insert(CountedLine.__table__), lines)
            next_id += n
            done += n


def rebuild(app) -> None:
    """Totals and buckets recomputed from the ledger (what verify compares against)."""
    with app.app_context():
        s = db.session
        s.execute(delete(CounterTotal))
        s.execute(delete(CounterDay))
        s.execute(delete(ChildDay))
        now = datetime.utcnow()
        totals = service.expected_totals(s)
        s.execute(insert(CounterTotal.__table__), [
            {"scope": sc, "key": k, "lines": lines, "adjusted": adj, "updated_at": now,
             "last_activity_at": now}
            for (sc, k), (lines, adj) in totals.items()])
        days = service.expected_days(s)
        s.execute(insert(CounterDay.__table__), [
            {"scope": sc, "key": k, "day": d, "lines": n} for (sc, k, d), n in days.items()])
        s.execute(text(
            "INSERT INTO counter_child_days (child_id, day, club_id, programs, lines) "
            "SELECT child_id, day, club_id, COUNT(*), COUNT(*) FROM counted_lines "
            "WHERE child_id IS NOT NULL GROUP BY child_id, day, club_id"))
        s.commit()
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE"))
            s.commit()


def median_ms(client, url: str, runs: int) -> float:
    for _ in range(5):  # warm-up
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200
    return statistics.median(times)


def measure(app, coordinator_id: int, runs: int) -> dict[str, float]:
    from codekids.accounts.models import User

    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, coordinator_id)
        ident = f"{user.id}:{user.session_version}"
    with client.session_transaction() as sess:
        sess["_user_id"] = ident
        sess["_fresh"] = True
        sess["locale"] = "en"
    return {"GET /api/v1/counter": median_ms(client, "/api/v1/counter", runs),
            "GET /coordonare/contor": median_ms(client, "/coordonare/contor", runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server to use")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="codekids-bench-"))
    admin, dbname = None, None
    if args.postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        dbname = f"codekids_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = make_url(args.postgres).set(database=dbname).render_as_string(False)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    try:
        app = create_app({"database_url": url, "secret_key": "bench", "INSTANCE_PATH": tmp,
                          "TESTING": True})
        with app.app_context():
            migrate.upgrade(db.get_engine())
        coordinator_id, children = build_world(app)
        rng = random.Random(6)
        results = {}
        filled = 0
        for size in (args.small, args.large):
            t0 = time.perf_counter()
            fill(app, children, filled, size - filled, rng)
            filled = size
            rebuild(app)
            print(f"filled {size:>9,} submissions ({time.perf_counter() - t0:.1f} s)",
                  flush=True)
            results[size] = measure(app, coordinator_id, args.runs)
            with app.app_context():
                assert service.verify() == []  # totals only: no trace
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"\n{backend}, median of {args.runs} requests each (test client)")
        print(f"{'':24}{args.small:>12,}{args.large:>12,}   ratio")
        worst = 0.0
        for name in results[args.small]:
            a, b = results[args.small][name], results[args.large][name]
            worst = max(worst, b / a)
            print(f"{name:24}{a:>10.2f}ms{b:>10.2f}ms   {b / a:.2f}×")
        verdict = "OK" if worst <= 1.5 else "TOO SLOW"
        print(f"\nworst ratio {worst:.2f}× (target ≤ 1.5×): {verdict}")
        app.extensions["codekids_engine"].dispose()
        return 0 if worst <= 1.5 else 1
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
