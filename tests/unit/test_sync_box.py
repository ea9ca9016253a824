"""The box's side of sync (issue 19): outbox, pseudonyms, batches, answers, the client's
results, back-off, the CLI and the librarian's sync box on the club page.

The national server here is a fake (`FakeNational`, a stand-in for `requests.post`) where
tests/sync's two real servers do not reach: batch limits, each way an answer can fail,
the exact back-off. The real re-grading and counting on a PostgreSQL national server is
tests/sync/test_two_servers.py.
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.counter.models import CountedLine
from codekids.db import utcnow
from codekids.learning.models import PLAYGROUND, RUN, SUBMIT, Project, Submission
from codekids.learning.service import count_lines
from codekids.sync import box, client, protocol, syncer
from codekids.sync.models import SENT, WAITING, SyncOutbox, SyncPseudonym, SyncSettings

SERVER = "https://national.example"
TOKEN = "t" * 40 + "WXYZ"


# ---- helpers ----------------------------------------------------------------------------


def exercise_ids(app, n=3):
    return sorted(app.extensions["codekids_bank"].exercises)[:n]


def submit(child_id, source, *, exercise=None, solved=True, kind=SUBMIT, project_id=None):
    """A submission counted the way learning counts one (learning.service.count_lines)."""
    child = db.session.get(User, child_id)
    sub = Submission(child_id=child.id, club_id=child.club_id, kind=kind,
                     exercise_id=exercise if kind != PLAYGROUND else None,
                     project_id=project_id, source=source,
                     status="ok" if kind == PLAYGROUND else ("passed" if solved else "failed"),
                     solved=solved)
    db.session.add(sub)
    db.session.flush()
    n = count_lines(sub, starter="", cap=None if kind == PLAYGROUND else 50)
    db.session.commit()
    return sub, n


def unzip(data: bytes) -> dict:
    return json.loads(gzip.decompress(data))


class Resp:
    def __init__(self, status_code=200, body=None, text=None, headers=None):
        self.status_code, self._body, self._text = status_code, body, text
        self.headers = headers or {}

    def json(self):
        if self._text is not None:
            return json.loads(self._text)
        if self._body is None:
            raise ValueError("no JSON")
        return self._body


class FakeNational:
    """requests.post's stand-in: answers each batch by accepting every item (1 line
    each), or by what ``mode`` says; remembers every batch it was sent."""

    def __init__(self, mode="accept"):
        self.mode = mode
        self.batches: list[dict] = []
        self.headers: list[dict] = []
        self.answered: dict[str, dict] = {}

    def post(self, url, data=None, headers=None, timeout=None, allow_redirects=True):
        assert url == SERVER + protocol.PATH
        assert timeout == (client.CONNECT_TIMEOUT, client.READ_TIMEOUT)
        body = unzip(data)
        self.batches.append(body)
        self.headers.append(headers)
        mode = self.mode
        if mode == "offline":
            raise requests.exceptions.ConnectionError("[Errno 111] Connection refused")
        if mode == "timeout":
            raise requests.exceptions.ReadTimeout("read timed out")
        if mode in (protocol.TOKEN_REVOKED, protocol.TOKEN_UNKNOWN):
            return Resp(401, {"error": mode})
        if mode == "500":
            return Resp(500, text="<html>Internal Server Error</html>")
        if mode == "not json":
            return Resp(200, text="<html>a captive portal</html>")
        if mode == "wrong batch":
            return Resp(200, {"protocol": 1, "batch": protocol.new_key(), "results": []})
        if body["batch"] in self.answered:
            return Resp(200, {**self.answered[body["batch"]], "repeated": True})
        results = []
        for item in body["items"]:
            if self.mode == "reject tests" and item["kind"] == "exercise":
                results.append({"item": item["item"], "status": "rejected",
                                "reason": protocol.FAILS_TESTS, "lines": 0})
            else:
                results.append({"item": item["item"], "status": "accepted", "lines": 1})
        answer = {"protocol": 1, "batch": body["batch"], "repeated": False,
                  "results": results, "lines": sum(r["lines"] for r in results)}
        self.answered[body["batch"]] = answer
        if mode == "lose answer":  # committed, then the connection is cut
            self.mode = "accept"
            raise requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected")
        return Resp(200, answer)


@pytest.fixture
def national(monkeypatch):
    fake = FakeNational()
    monkeypatch.setattr(requests, "post", fake.post)
    return fake


@pytest.fixture
def a_box(world, ctx):
    box.configure(SERVER, TOKEN)
    return world


def season(app, world):
    """Counted work of club A's three children, and programs that earned nothing."""
    ex = exercise_ids(app)
    ana, mihai, ioana = world.children
    submit(ana, "x = 1\nprint(x)", exercise=ex[0])
    submit(ana, "print(2)", exercise=ex[1])
    submit(mihai, "print('salut')\nprint(3)", exercise=ex[0])
    submit(mihai, "print(4)", exercise=ex[2], solved=False)  # failed: nothing owed
    submit(ioana, "print(5)", exercise=ex[0], kind=RUN, solved=False)  # a run: not counted
    project = Project(child_id=ioana, name="Desen", source="")
    db.session.add(project)
    db.session.commit()
    submit(ioana, "for i in range(3):\n    print(i)", kind=PLAYGROUND, project_id=project.id)
    return project


# ---- what is owed -----------------------------------------------------------------------


def test_only_submissions_that_earned_lines_are_owed_once(app, a_box):
    season(app, a_box)
    assert box.enqueue() == 4  # three solved exercises, one error-free playground run
    assert box.enqueue() == 0  # never twice
    owed = db.session.scalars(select(SyncOutbox.submission_id)).all()
    solved = db.session.scalars(select(Submission.id).where(
        (Submission.solved.is_(True)) | (Submission.kind == PLAYGROUND))).all()
    assert sorted(owed) == sorted(solved)
    assert all(protocol.is_key(k) for k in db.session.scalars(select(SyncOutbox.item_key)))


def test_pseudonyms_are_made_on_first_need_and_kept(app, a_box):
    season(app, a_box)
    assert db.session.scalar(select(func.count()).select_from(SyncPseudonym)) == 0
    batch = box.next_batch()
    keys = {i["child"] for i in batch.body["items"]}
    assert len(keys) == 3 and all(protocol.is_key(k) for k in keys)
    assert db.session.scalar(select(func.count()).select_from(SyncPseudonym)) == 3
    ana = a_box.children[0]
    ana_key = db.session.scalar(select(SyncPseudonym.child_key)
                                .where(SyncPseudonym.child_id == ana))
    submit(ana, "print(6)", exercise=exercise_ids(app)[2])
    box.apply_answer(batch.key, {"batch": batch.key, "results": []})
    later = box.next_batch()
    assert {i["child"] for i in later.body["items"]} >= {ana_key}


def test_items_carry_no_personal_data(app, a_box):
    project = season(app, a_box)
    batch = box.next_batch()
    text = json.dumps(batch.body, ensure_ascii=False)
    club = db.session.get(Club, a_box.club)
    children = [db.session.get(User, c) for c in a_box.children]
    forbidden = [club.join_code, club.name, club.library, club.town, project.name,
                 *(c.nickname for c in children), a_box.usernames[a_box.librarian]]
    for word in forbidden:
        assert word not in text, word
    for child in children:
        assert str(child.id) not in {i["child"] for i in batch.body["items"]}
    assert set(batch.body) == {"protocol", "batch", "sent_at", "items", "totals"}
    for item in batch.body["items"]:
        assert protocol.check_item(item) is None
        assert set(item) <= {"item", "kind", "exercise", "exercise_hash", "project", "child",
                             "source", "written_at"}
    exercise_item = next(i for i in batch.body["items"] if i["kind"] == "exercise")
    bank = app.extensions["codekids_bank"]
    assert exercise_item["exercise_hash"] == protocol.exercise_hash(
        bank.get(exercise_item["exercise"]))
    assert protocol.check_batch(batch.body) is None


def test_totals_ride_along_with_what_still_waits(app, a_box):
    season(app, a_box)
    batch = box.next_batch(max_items=3)
    totals = batch.body["totals"]
    assert totals["items"] == 4 and totals["children"] == 3
    assert totals["waiting"] == 1  # the one left for the next batch
    assert totals["lines"] == db.session.scalar(select(func.count()).select_from(CountedLine))


# ---- batches ----------------------------------------------------------------------------


def test_batches_keep_to_the_item_limit(app, a_box):
    season(app, a_box)
    first = box.next_batch(max_items=3)
    assert len(first.item_keys) == 3
    box.apply_answer(first.key, {"batch": first.key, "results": [
        {"item": k, "status": "accepted", "lines": 1} for k in first.item_keys]})
    second = box.next_batch(max_items=3)
    assert len(second.item_keys) == 1 and second.key != first.key
    box.apply_answer(second.key, {"batch": second.key, "results": [
        {"item": k, "status": "accepted", "lines": 1} for k in second.item_keys]})
    assert box.next_batch() is None


def test_batches_keep_to_the_compressed_size_limit(app, a_box):
    import random

    rng = random.Random(7)
    ex = exercise_ids(app, 20)
    child = a_box.children[0]
    for i, exercise in enumerate(ex):
        # Random lines compress badly: each program is ~6 kB gzip.
        source = "\n".join(f"print('{rng.getrandbits(256):x}')" for _ in range(90))
        submit(child, source + f"\n# {i}", exercise=exercise)
    limit = 20_000
    sizes = []
    while (batch := box.next_batch(max_bytes=limit)) is not None:
        assert len(batch.data) <= limit
        sizes.append(len(batch.item_keys))
        box.apply_answer(batch.key, {"batch": batch.key, "results": [
            {"item": k, "status": "accepted", "lines": 1} for k in batch.item_keys]})
    assert sum(sizes) == len(ex) and len(sizes) > 2 and max(sizes) > 1


def test_a_batch_is_marked_sent_before_it_goes_and_sent_again_the_same(app, a_box):
    season(app, a_box)
    first = box.next_batch()
    statuses = set(db.session.scalars(select(SyncOutbox.status)))
    assert statuses == {SENT}  # committed as sent before any HTTP
    again = box.next_batch()  # the answer never came
    assert again.resent and again.key == first.key
    assert again.body["items"] == first.body["items"]


def test_a_lost_answer_resends_the_same_batch_and_counts_once(app, a_box, national):
    season(app, a_box)
    national.mode = "lose answer"
    lost = client.sync()
    assert lost.result == box.OFFLINE
    assert set(db.session.scalars(select(SyncOutbox.status))) == {SENT}
    done = client.sync()
    assert done.ok and done.accepted == 4
    assert national.batches[0]["batch"] == national.batches[1]["batch"]
    assert national.batches[0]["items"] == national.batches[1]["items"]
    st = box.status()
    assert (st.accepted, st.waiting_items, st.accepted_lines) == (4, 0, 4)


def test_the_answer_marks_accepted_and_rejected_with_reasons(app, a_box, national):
    season(app, a_box)
    national.mode = "reject tests"
    result = client.sync()
    assert result.ok and (result.accepted, result.rejected) == (1, 3)
    st = box.status()
    assert st.rejected == 3 and st.reasons == {protocol.FAILS_TESTS: 3}
    assert st.waiting_items == 0 and st.waiting_lines == 0
    assert client.sync().batches == 0  # nothing sent twice


def test_items_an_answer_leaves_out_wait_again_under_their_keys(app, a_box):
    season(app, a_box)
    batch = box.next_batch()
    applied = box.apply_answer(batch.key, {"batch": batch.key, "results": [
        {"item": batch.item_keys[0], "status": "accepted", "lines": 2}]})
    assert applied.returned == 3
    again = box.next_batch()
    assert again.key != batch.key and set(again.item_keys) == set(batch.item_keys[1:])


@pytest.mark.parametrize("answer", [
    None, [], {"batch": "x" * 32, "results": []},
    {"results": [{"item": "a", "status": "accepted"}]},
    {"results": [{"status": "maybe", "lines": 1}]},
    {"results": [{"status": "accepted", "lines": -3}]},
    {"results": [{"status": "rejected", "lines": 0}]},  # no reason
    {"results": "all good"},
])
def test_a_malformed_answer_changes_nothing(app, a_box, answer):
    season(app, a_box)
    batch = box.next_batch()
    if isinstance(answer, dict) and "batch" not in answer:
        answer = {"batch": batch.key, **answer}
    with pytest.raises(box.BadAnswer):
        box.apply_answer(batch.key, answer)
    assert set(db.session.scalars(select(SyncOutbox.status))) == {SENT}


# ---- the client's results ---------------------------------------------------------------


def test_one_sync_sends_every_batch_with_progress(app, a_box, national, monkeypatch):
    season(app, a_box)
    monkeypatch.setattr(protocol, "MAX_ITEMS", 2)
    seen = []
    result = client.sync(lambda done, total: seen.append((done, total)))
    assert result.ok and result.batches == 2 and result.items == 4
    assert seen == [(1, 2), (2, 2)]
    headers = national.headers[0]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Encoding"] == "gzip"
    row = box.settings()
    assert row.last_result == box.OK and row.last_success_at is not None


@pytest.mark.parametrize("mode, result", [
    ("offline", box.OFFLINE), ("timeout", box.OFFLINE), ("500", box.SERVER_ERROR),
    ("not json", box.BAD_ANSWER), ("wrong batch", box.BAD_ANSWER),
])
def test_each_failure_is_a_result_and_loses_nothing(app, a_box, national, mode, result):
    season(app, a_box)
    national.mode = mode
    out = client.sync()
    assert out.result == result and out.detail
    assert box.settings().last_result == result
    assert box.status().waiting_items == 4
    national.mode = "accept"
    assert client.sync().accepted == 4


@pytest.mark.parametrize("refusal", [protocol.TOKEN_REVOKED, protocol.TOKEN_UNKNOWN])
def test_a_refused_token_stops_the_syncer_and_loses_nothing(app, a_box, national, refusal):
    season(app, a_box)
    national.mode = refusal
    out = client.sync()
    assert out.result == refusal
    row = box.settings()
    assert row.enabled is False and not box.due(now=utcnow() + timedelta(days=30))
    assert box.status().waiting_items == 4
    # A new token (`codekids sync setup` again): the syncer runs again, the same items go.
    box.configure(SERVER, "new-token-0000")
    assert box.due()
    national.mode = "accept"
    assert client.sync().accepted == 4
    assert national.headers[-1]["Authorization"] == "Bearer new-token-0000"


def test_the_token_is_not_stored_in_clear(app, a_box):
    row = db.session.scalar(select(SyncSettings))
    assert TOKEN not in row.token and box.token_of(row) == TOKEN


def test_nothing_owed_still_checks_the_server_by_hand(app, a_box, national):
    result = client.sync()
    assert result.ok and result.batches == 0
    assert national.batches[0]["items"] == [] and national.batches[0]["totals"]["waiting"] == 0


def test_a_site_not_set_up_says_so(app, world, ctx):
    assert client.sync().result == client.NOT_SET_UP


def test_one_sync_at_a_time(app, a_box, national):
    season(app, a_box)
    with box.exclusive() as mine:
        assert mine
        assert client.sync().result == client.BUSY
        assert box.read_progress()["running"] is False  # no progress file: not ours
    assert national.batches == []


# ---- back-off and the background syncer -------------------------------------------------


def test_backoff_doubles_up_to_an_hour(app, a_box):
    now = utcnow()
    waits = []
    for i in range(6):
        box.record_attempt(box.OFFLINE, "no network", now=now)
        waits.append((box.settings().next_attempt_at - now).total_seconds())
    assert waits == [600, 1200, 2400, 3600, 3600, 3600]
    box.record_attempt(box.OK, now=now)
    assert (box.settings().next_attempt_at - now).total_seconds() == 300
    assert box.backoff_seconds(3, 7200) == 7200  # an interval longer than an hour stays


def test_the_syncer_syncs_when_due_and_waits_otherwise(app, a_box, national):
    season(app, a_box)
    assert box.due()
    syncer.run_once(app)
    assert box.status().accepted == 4 and not box.due()
    # Nothing owed, a recent success: quiet (no empty batch every few minutes).
    row = box.settings()
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    sent = len(national.batches)
    syncer.run_once(app)
    assert len(national.batches) == sent


def test_the_syncer_stops_on_a_revoked_token(app, a_box, national):
    season(app, a_box)
    national.mode = protocol.TOKEN_REVOKED
    syncer.run_once(app)
    sent = len(national.batches)
    db.session.expire_all()
    row = box.settings()
    row.next_attempt_at = None
    db.session.commit()
    syncer.run_once(app)
    assert len(national.batches) == sent


def test_a_site_not_set_up_has_no_syncer_work(app, world, ctx, national):
    assert syncer.run_once(app) == syncer.POLL_SECONDS and national.batches == []


# ---- the CLI ----------------------------------------------------------------------------


def test_cli_setup_checks_the_server_and_stores_the_settings(app, world, runner, national):
    result = runner.invoke(args=["sync", "setup", "--server", SERVER + "/", "--token", TOKEN])
    assert result.exit_code == 0, result.output
    assert "accepts the token (ending in WXYZ)" in result.output
    assert national.batches[0]["items"] == []
    with app.app_context():
        assert box.settings().server_url == SERVER


def test_cli_setup_refuses_a_token_the_server_refuses(app, world, runner, national):
    national.mode = protocol.TOKEN_UNKNOWN
    result = runner.invoke(args=["sync", "setup", "--server", SERVER, "--token", TOKEN])
    assert result.exit_code == 1 and "nothing was stored" in result.output
    with app.app_context():
        assert not box.is_box()


def test_cli_sync_prints_progress_and_the_result(app, world, runner, national):
    with app.test_request_context():
        season(app, world)
        box.configure(SERVER, TOKEN)
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 0, result.output
    assert "batch 1 of 1 answered" in result.output
    assert "4 item(s) sent in 1 batch(es)" in result.output
    national.mode = "offline"
    with app.test_request_context():
        submit(world.children[0], "print(99)", exercise=exercise_ids(app, 5)[4])
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 1 and "could not be reached" in result.output
    status = runner.invoke(args=["sync", "status"])
    assert "Waiting:          1 item(s)" in status.output
    assert "Accepted:         4 item(s)" in status.output


def test_cli_sync_on_a_site_not_set_up(app, world, runner):
    result = runner.invoke(args=["sync"])
    assert result.exit_code == 1 and "not set up" in result.output


# ---- the club page ----------------------------------------------------------------------


def test_no_sync_box_on_a_site_that_is_not_a_box(app, world, login):
    page = login(world.librarian).get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert "Sync with the national server" not in page and "sync.js" not in page


@pytest.mark.parametrize("who, shown", [
    ("librarian", 200), ("county_coordinator", 200), ("national_coordinator", 200),
    ("other_librarian", 403), ("other_county_coordinator", 403),
])
def test_the_sync_box_by_role(app, world, login, national, who, shown):
    with app.test_request_context():
        season(app, world)
        box.configure(SERVER, TOKEN)
    c = login(getattr(world, who))
    page = c.get(f"/cluburi/{world.club}")
    assert page.status_code == shown
    fragment = c.get(f"/cluburi/{world.club}/sincronizare")
    assert fragment.status_code == shown
    if shown == 200:
        html = page.get_data(as_text=True)
        assert "Sync with the national server" in html and "Sync now" in html
        assert "This laptop has not synced yet." in html
        assert "4 programs are waiting to be sent" in html.replace(
            '<span class="big-number">4</span>', "4")


def test_sync_now_without_javascript_redirects_with_the_result(app, world, login, national):
    with app.test_request_context():
        season(app, world)
        box.configure(SERVER, TOKEN)
    c = login(world.librarian)
    resp = c.post(f"/cluburi/{world.club}/sincronizare")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#sync-h")
    page = c.get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert "Sent 4 programs; the national server accepted 4." in page
    assert "It worked" in page and "Nothing is waiting" in page
    national.mode = protocol.TOKEN_REVOKED
    c.post(f"/cluburi/{world.club}/sincronizare")
    page = c.get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert "key was withdrawn" in page and "stopped syncing by itself" in page


def test_sync_now_from_the_script_answers_the_box_at_once(app, world, login, national):
    with app.test_request_context():
        season(app, world)
        box.configure(SERVER, TOKEN)
    c = login(world.librarian)
    resp = c.post(f"/cluburi/{world.club}/sincronizare", headers={"X-Requested-With": "fetch"})
    assert resp.status_code == 202
    assert 'id="sync-box"' in resp.get_data(as_text=True)
    # The thread finishes; the box then says so.
    import time

    for _ in range(200):
        with app.app_context():
            if box.status().accepted == 4 and not box.is_running():
                break
        time.sleep(0.05)
    html = c.get(f"/cluburi/{world.club}/sincronizare").get_data(as_text=True)
    assert 'data-running="0"' in html and "It worked" in html


def test_rejections_are_shown_with_their_reasons(app, world, login, national):
    with app.test_request_context():
        season(app, world)
        box.configure(SERVER, TOKEN)
    national.mode = "reject tests"
    c = login(world.librarian)
    c.post(f"/cluburi/{world.club}/sincronizare")
    html = c.get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert "programs not accepted by the national server" in html
    assert "does not pass the tests (3)" in html


def test_the_waiting_rows_are_waiting_before_a_sync(app, a_box):
    season(app, a_box)
    box.enqueue()
    assert set(db.session.scalars(select(SyncOutbox.status))) == {WAITING}


# ---- one syncer per box: `codekids serve` (a process beside gunicorn), `codekids demo` ---


class _National:
    """A fake national server on loopback for the real `codekids serve` (its own
    process cannot use the monkeypatched requests.post): accepts every item."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.batches: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = unzip(self.rfile.read(int(self.headers["Content-Length"])))
                outer.batches.append(body)
                out = json.dumps({"protocol": 1, "batch": body["batch"], "repeated": False,
                                  "results": [{"item": i["item"], "status": "accepted",
                                               "lines": 1} for i in body["items"]],
                                  "lines": len(body["items"])}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _syncer_processes(pid: int) -> list[int]:
    from tests.unit.test_serve import children_of

    found = []
    for child in children_of(pid):
        try:
            cmdline = open(f"/proc/{child}/cmdline", "rb").read()
        except OSError:
            continue
        if b"'sync', 'background'" in cmdline:
            found.append(child)
    return found


def test_serve_on_a_box_runs_one_syncer_beside_its_workers(_sqlite_template, tmp_path):
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from codekids import create_app
    from tests.unit.test_serve import children_of, free_port

    national = _National()
    database = tmp_path / "box.sqlite3"
    shutil.copy(_sqlite_template, database)
    env = {**os.environ, "CODEKIDS_DATABASE_URL": f"sqlite:///{database}",
           "CODEKIDS_SECRET_KEY": "serve-sync-secret", "CODEKIDS_SYNC_INTERVAL": "10"}
    app = create_app({"database_url": env["CODEKIDS_DATABASE_URL"],
                      "secret_key": env["CODEKIDS_SECRET_KEY"],
                      "INSTANCE_PATH": tmp_path / "instance"})
    with app.test_request_context():
        from tests.conftest import build_world

        world = build_world(app)
        season(app, world)
        box.configure(national.url, TOKEN)
    app.extensions["codekids_engine"].dispose()
    port = free_port()
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("codekids")), "serve",
                             "--port", str(port), "--workers", "2"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not national.batches or len(children_of(proc.pid)) < 3:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the box never synced by itself"
            time.sleep(0.2)
        assert len(_syncer_processes(proc.pid)) == 1  # one syncer, not one per worker
        syncer_pid = _syncer_processes(proc.pid)[0]
        assert sum(len(b["items"]) for b in national.batches) == 4
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
        national.close()
    deadline = time.monotonic() + 15
    while os.path.exists(f"/proc/{syncer_pid}"):
        stat = open(f"/proc/{syncer_pid}/stat").read()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            break  # gone, only not reaped yet
        assert time.monotonic() < deadline, "the syncer outlived `codekids serve`"
        time.sleep(0.2)


def test_demo_runs_the_syncer_as_a_thread(app, runner, monkeypatch):
    import threading

    from codekids import cli

    seen = []
    monkeypatch.setattr(cli, "_serve_development",
                        lambda *a: seen.append([t.name for t in threading.enumerate()]))
    result = runner.invoke(args=["demo", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert "codekids-sync" in seen[0]
    assert "codekids-sync" not in [t.name for t in threading.enumerate()]  # stopped after
