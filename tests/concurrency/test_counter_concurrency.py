"""Hundreds of passing submissions at once, against a running server: every total exact.

The real app is served by Werkzeug's threaded server on a loopback port; many
children log in through the real login route, then fire their correct solutions
at POST /api/v1/exercises/<id>/submit all at once (a barrier releases every
thread together). Runs on SQLite and, when CODEKIDS_TEST_POSTGRES_URL is set, on
PostgreSQL (the `database_url` fixture fails rather than skips when it is set and
the server is not there).
"""

from __future__ import annotations

import http.cookiejar
import json
import threading
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from codekids import db
from codekids.accounts.models import User
from codekids.bank import current_bank
from codekids.clubs import service as clubs
from codekids.clubs.models import Club
from codekids.counter import service
from codekids.counter.models import CHILD, CLUB, COUNTY, NATION, NATION_KEY, CounterTotal
from codekids.learning.service import counted_programs
from tests.conftest import child_secret

CHILDREN_PER_CLUB = 20  # three clubs in two counties: 60 children
EXERCISES = 4  # 60 × 4 = 240 first solutions, plus re-submissions that must add nothing
RESUBMISSIONS = 30

pytestmark = pytest.mark.slow


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def log_in(base: str, app, child_id: int) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with app.app_context():
        code = db.session.get(User, child_id).club.join_code
    secret = child_secret(app, child_id)
    form = ({"sequence": ",".join(secret.value)} if secret.kind == "pictures"
            else {"words": secret.words})
    resp = opener.open(f"{base}/copii/{code}/{child_id}",
                       urllib.parse.urlencode(form).encode(), timeout=60)
    assert "/acasa" in resp.geturl(), f"child {child_id} could not log in: {resp.geturl()}"
    return opener


def post_json(opener, url: str, body: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"}, method="POST")
    with opener.open(req, timeout=300) as resp:
        return json.loads(resp.read())


def test_hundreds_of_simultaneous_passing_submissions_keep_every_total_exact(app, world, server):
    with app.app_context():
        bank = current_bank()
        chosen = [ex for ex in bank.exercises.values()
                  if service.countable_lines(ex.solution, ex.starter)][:EXERCISES]
        assert len(chosen) == EXERCISES
        exercises = [(ex.id, ex.solution,
                      min(len(service.countable_lines(ex.solution, ex.starter)), ex.max_lines))
                     for ex in chosen]
        children = []
        for club_id in (world.club, world.other_club, world.far_club):
            club = db.session.get(Club, club_id)
            names = "\n".join(f"Copil{club_id}x{i}" for i in range(CHILDREN_PER_CLUB))
            children += [(c.id, club.id, club.county_id)
                         for c in clubs.create_children(club, names).created]

    openers = {cid: log_in(server, app, cid) for cid, _club, _county in children}
    jobs = [(cid, ex_id, source) for cid, _c, _k in children for ex_id, source, _n in exercises]
    jobs += [jobs[i * 7 % len(jobs)] for i in range(RESUBMISSIONS)]  # same solution again
    barrier = threading.Barrier(len(jobs))

    def fire(job):
        cid, ex_id, source = job
        barrier.wait()
        return job, post_json(openers[cid], f"{server}/api/v1/exercises/{ex_id}/submit",
                              {"source": source, "client_key": uuid.uuid4().hex})

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        answers = list(pool.map(fire, jobs))

    assert len(answers) >= 200
    assert all(a["solved"] for _job, a in answers), [a for _j, a in answers if not a["solved"]][:3]
    lines_for = {ex_id: n for ex_id, _source, n in exercises}
    want = defaultdict(int)
    for cid, club_id, county_id in children:
        for ex_id, _s, n in exercises:
            for scope, key in ((CHILD, cid), (CLUB, club_id), (COUNTY, county_id),
                               (NATION, NATION_KEY)):
                want[(scope, key)] += n
    # Each (child, exercise) earned its lines exactly once, whichever request won.
    earned = defaultdict(int)
    for (cid, ex_id, _source), answer in answers:
        earned[(cid, ex_id)] += answer["lines_counted"]
    assert all(earned[(cid, ex)] == lines_for[ex] for cid, _c, _k in children for ex in lines_for)

    with app.app_context():
        stored = {(t.scope, t.key): t.lines for t in db.session.scalars(select(CounterTotal))}
        wrong = {k: (stored.get(k), v) for k, v in want.items() if stored.get(k) != v}
        assert not wrong, f"totals off (stored, expected): {wrong}"
        assert service.verify(programs=counted_programs()) == []
