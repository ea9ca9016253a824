"""The national side of club laptop sync (issue 19): the API, the re-grading, the counting.

Batches are posted with the Flask test client, gzip-compressed and with the bearer
token, exactly as a box sends them; the programs are graded by the real sandbox.
(Two real servers, a box and the national site, are tests/sync/.)
"""

from __future__ import annotations

import gzip
import json
import os

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts.models import User
from codekids.bank import current_bank
from codekids.clubs.models import Club
from codekids.counter import service as counter
from codekids.counter.models import CountedLine
from codekids.learning import service as learning
from codekids.learning.models import Submission
from codekids.sync import national, protocol
from codekids.sync.models import SyncBox, SyncChild, SyncItem
from tests.conftest import child_secret
from tests.unit.lookups import club as club_row
from tests.unit.lookups import user as user_row

pytestmark = pytest.mark.usefixtures("real_sandbox")

# "two-lines": the starter prints "Ham!"; the solution adds "Miau!".
SOLVED = 'print("Ham!")\nprint("Miau!")\n'
FAILING = 'print("Ham!")\nprint("Muu!")\nprint("inventat")\n'


@pytest.fixture
def box(app, world):
    """A box registered for club A; yields (box id, token)."""
    with app.app_context():
        row, token = national.register_box(club_row(world.club), "Laptopul sălii",
                                           user_row(world.national_coordinator))
        return row.id, token


def exercise_item(app, exercise_id="two-lines", source=SOLVED, child=None, **extra):
    with app.app_context():
        ex = current_bank().get(exercise_id)
        ex_hash = protocol.exercise_hash(ex) if ex else "0" * 64
    item = {"item": protocol.new_key(), "kind": "exercise", "exercise": exercise_id,
            "exercise_hash": ex_hash, "child": child or CHILD_A, "source": source,
            "written_at": "2020-01-01T09:30:00Z"}
    item.update(extra)
    return item


def project_item(source, project=None, child=None):
    return {"item": protocol.new_key(), "kind": "project", "project": project or PROJECT_A,
            "child": child or CHILD_A, "source": source, "written_at": "2026-12-01T09:30:00Z"}


CHILD_A = "a" * 31 + "1"
CHILD_B = "b" * 31 + "2"
PROJECT_A = "c" * 31 + "3"


def batch(items, key=None, totals=None):
    return {"protocol": 1, "batch": key or protocol.new_key(), "sent_at": "2026-12-04T10:00:00Z",
            "items": items, "totals": totals if totals is not None else
            {"lines": 3, "items": len(items), "children": 1, "waiting": 0}}


def post(client, token, body, *, compress=True, raw=None, headers=None):
    data = raw if raw is not None else json.dumps(body).encode()
    hdrs = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if compress and raw is None:
        data = gzip.compress(data)
        hdrs["Content-Encoding"] = "gzip"
    hdrs.update(headers or {})
    return client.post(protocol.PATH, data=data, headers=hdrs)


def nation(app) -> int:
    with app.app_context():
        return counter.national_summary().counted


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def verify_ok(runner):
    result = runner.invoke(args=["counter", "verify"])
    assert result.exit_code == 0, result.output


# ---- a good batch ---------------------------------------------------------------------


def test_a_good_batch_counts_what_the_site_would_count(app, client, world, box, runner):
    box_id, token = box
    # The site's own path: a child of club B solves the same exercise with the same program.
    with app.test_request_context():
        child = user_row(world.other_children[0])
        outcome = learning.record_submission(child, current_bank().get("two-lines"), SOLVED,
                                             "site-key-0001", "ro", bank=current_bank())
        site_lines = outcome.lines_counted
    assert site_lines == 1  # the starter's line never counts
    before = nation(app)
    items = [exercise_item(app), project_item('for i in range(3):\n    print(i)\n')]
    answer = post(client, token, batch(items))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["repeated"] is False
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert body["results"][0]["lines"] == site_lines
    assert body["results"][1]["lines"] == 2
    assert body["lines"] == site_lines + 2
    assert nation(app) == before + site_lines + 2
    with app.app_context():
        a = club_row(world.club)
        assert counter.summary(counter.CLUB, a.id).counted == site_lines + 2
        assert counter.summary(counter.COUNTY, a.county_id).counted == 2 * site_lines + 2
        box_row = db.session.get(SyncBox, box_id)
        assert box_row.last_contact_at is not None
        # Synced lines are ordinary submissions with ledger rows, in the box's club.
        subs = db.session.scalars(select(Submission).join(
            SyncItem, SyncItem.submission_id == Submission.id)).all()
        assert {s.club_id for s in subs} == {world.club}
        # The counter's day is the national day of receipt, whatever the box's clock said.
        days = set(db.session.scalars(select(CountedLine.day).where(
            CountedLine.submission_id.in_([s.id for s in subs]))))
        assert days == {counter.counter_day()}
        assert national.synced_lines() == site_lines + 2
        assert national.synced_lines(a.county_id) == site_lines + 2
        assert national.synced_lines(club_row(world.far_club).county_id) == 0
    verify_ok(runner)


def test_the_same_batch_twice_adds_nothing_and_answers_the_same(app, client, box, runner):
    _box_id, token = box
    body = batch([exercise_item(app)])
    first = post(client, token, body).get_json()
    total = nation(app)
    subs = count_rows(app, Submission)
    again = post(client, token, body)
    assert again.status_code == 200
    second = again.get_json()
    assert second["repeated"] is True
    assert {**second, "repeated": False} == first
    assert nation(app) == total
    assert count_rows(app, Submission) == subs
    verify_ok(runner)


def test_an_item_sent_again_in_a_new_batch_adds_nothing(app, client, box):
    _box_id, token = box
    item = exercise_item(app)
    first = post(client, token, batch([item])).get_json()
    assert first["results"][0]["lines"] == 1
    total = nation(app)
    again = post(client, token, batch([item, dict(item)])).get_json()
    assert again["repeated"] is False
    assert again["lines"] == 0
    assert [r["status"] for r in again["results"]] == ["accepted", "accepted"]
    assert all(r.get("repeated") for r in again["results"])
    assert again["results"][0]["lines"] == 1  # its first result, told again
    assert nation(app) == total
    assert count_rows(app, SyncItem) == 1


def test_a_child_earns_an_exercises_lines_once(app, client, box):
    _box_id, token = box
    answer = post(client, token, batch([exercise_item(app), exercise_item(app)])).get_json()
    assert [r["lines"] for r in answer["results"]] == [1, 0]
    # Another child of the box earns them again.
    answer = post(client, token, batch([exercise_item(app, child=CHILD_B)])).get_json()
    assert answer["results"][0]["lines"] == 1


# ---- what the national side does not accept ------------------------------------------


def test_a_failing_program_claimed_solved_counts_nothing(app, client, box, runner):
    _box_id, token = box
    before = nation(app)
    answer = post(client, token, batch([exercise_item(app, source=FAILING, solved=True,
                                                      lines=99)]))
    result = answer.get_json()["results"][0]
    assert result == {"item": result["item"], "status": "rejected", "reason": "fails_tests",
                      "lines": 0}
    assert nation(app) == before
    with app.app_context():
        row = db.session.scalar(select(SyncItem))
        assert (row.status, row.reason, row.lines, row.submission_id) == (
            "rejected", "fails_tests", 0, None)
        assert row.source == FAILING  # kept, so a coordinator can look
    verify_ok(runner)


def test_inflated_totals_change_nothing(app, client, box):
    box_id, token = box
    body = batch([exercise_item(app)], totals={"lines": 10**9, "items": 10**6, "children": 500,
                                                "waiting": 7})
    answer = post(client, token, body).get_json()
    assert answer["lines"] == 1
    assert answer["box_totals_seen"]["lines"] == 10**9
    assert nation(app) == 1
    with app.app_context():
        view = national.box_views([db.session.get(SyncBox, box_id)])[0]
        assert (view.lines, view.waiting, view.box_lines) == (1, 7, 10**9)


def test_unknown_exercise_other_version_bad_items_and_a_failed_run(app, client, box):
    _box_id, token = box
    unknown = exercise_item(app, exercise_id="no-such-exercise")
    other = exercise_item(app, exercise_hash="f" * 64)
    bad_child = exercise_item(app, child="Ana")  # a nickname instead of a pseudonym
    too_long = exercise_item(app, source="print(1)\n" * 3000)
    nul = exercise_item(app, source="print(1)\x00\n")
    not_an_object = ["nu", "un", "obiect"]
    crashed = project_item("print(1/0)\n")
    answer = post(client, token, batch([unknown, other, bad_child, too_long, nul,
                                        not_an_object, crashed]))
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r.get("reason") for r in results] == [
        "unknown_exercise", "other_version", "bad_item", "bad_item", "bad_item", "bad_item",
        "run_failed"]
    assert all(r["status"] == "rejected" and r["lines"] == 0 for r in results)
    assert results[5]["item"] is None
    assert nation(app) == 0
    assert count_rows(app, SyncItem) == 6  # every item with a key is kept, with its reason


def test_a_malformed_batch_is_refused_in_json(app, client, box):
    _box_id, token = box
    for body in ({"protocol": 2, "batch": protocol.new_key(), "items": []},
                 {"protocol": 1, "batch": "1234", "items": []},
                 {"protocol": 1, "batch": protocol.new_key(), "items": [{}] * 201},
                 {"protocol": 1, "batch": protocol.new_key(), "items": [],
                  "totals": {"lines": "mult"}}):
        answer = post(client, token, body)
        assert answer.status_code == 400
        assert answer.get_json()["error"] == "bad_batch"
    for raw, headers in ((b"\x1f\x8bnot gzip at all", {"Content-Encoding": "gzip"}),
                         (gzip.compress(b'{"protocol": 1, "batch"'), {"Content-Encoding": "gzip"}),
                         (gzip.compress(b"[" * 100000 + b"]" * 100000),
                          {"Content-Encoding": "gzip"}),
                         (b'{"protocol": NaN}', {}),
                         (b"x", {"Content-Encoding": "br"})):
        answer = post(client, token, None, raw=raw, headers=headers)
        assert answer.status_code == 400, raw[:20]
        assert answer.is_json and answer.get_json()["error"] == "bad_batch"
    assert count_rows(app, SyncItem) == 0


def test_an_uncompressed_batch_is_accepted_too(app, client, box):
    _box_id, token = box
    answer = post(client, token, batch([exercise_item(app)]), compress=False)
    assert answer.status_code == 200
    assert answer.get_json()["lines"] == 1


def test_the_answer_is_gzipped_for_a_box_that_asks(app, client, box):
    # A box on a slow link: its client (requests) sends Accept-Encoding: gzip.
    _box_id, token = box
    items = [exercise_item(app, child=CHILD_B)]
    answer = post(client, token, batch(items), headers={"Accept-Encoding": "gzip, deflate"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["Vary"]
    body = json.loads(gzip.decompress(answer.get_data()))
    assert [r["status"] for r in body["results"]] == ["accepted"] and body["lines"] == 1
    # Sent again without asking: the stored answer, not compressed.
    plain = post(client, token, batch(items, key=body["batch"]))
    assert "Content-Encoding" not in plain.headers
    assert plain.get_json()["repeated"] is True


# ---- tokens and limits ----------------------------------------------------------------


def test_unknown_revoked_and_replaced_tokens_get_401_in_json(app, client, box):
    box_id, token = box
    body = batch([exercise_item(app)])
    for sent in ("not-a-token", ""):
        answer = post(client, sent, body)
        assert answer.status_code == 401
        assert answer.get_json() == {"error": "token_unknown"}
    answer = client.post(protocol.PATH, data=gzip.compress(json.dumps(body).encode()),
                         headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 401 and answer.get_json() == {"error": "token_unknown"}
    with app.app_context():
        new_token = national.replace_token(db.session.get(SyncBox, box_id))
    answer = post(client, token, body)
    assert answer.status_code == 401 and answer.get_json() == {"error": "token_revoked"}
    assert post(client, new_token, body).status_code == 200
    with app.app_context():
        national.revoke_box(db.session.get(SyncBox, box_id))
    answer = post(client, new_token, batch([exercise_item(app)]))
    assert answer.status_code == 401 and answer.get_json() == {"error": "token_revoked"}
    assert "text/html" not in answer.content_type
    assert count_rows(app, SyncItem) == 1


def test_oversize_batches_get_413(app, client, box):
    _box_id, token = box
    compressed = os.urandom(protocol.MAX_BATCH_BYTES + 10)  # does not compress
    answer = post(client, token, None, raw=compressed, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 413 and answer.get_json() == {"error": "too_large"}
    bomb = gzip.compress(b" " * (protocol.MAX_BODY_BYTES + 1))  # small, but too big inside
    assert len(bomb) < protocol.MAX_BATCH_BYTES
    answer = post(client, token, None, raw=bomb, headers={"Content-Encoding": "gzip"})
    assert answer.status_code == 413 and answer.get_json() == {"error": "too_large"}


def test_other_methods_answer_json(client):
    answer = client.get(protocol.PATH)
    assert answer.status_code == 405 and answer.get_json()["error"] == "method_not_allowed"


def test_a_server_error_is_json_without_a_stack_trace(app, client, box, monkeypatch):
    _box_id, token = box

    def broken(*_a, **_k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(national, "apply_batch", broken)
    answer = post(client, token, batch([]))
    assert answer.status_code == 500
    assert answer.get_json() == {"error": "server_error"}
    assert "secret internals" not in answer.get_data(as_text=True)


# ---- stand-in children ----------------------------------------------------------------


def test_stand_in_children_cannot_log_in_and_carry_no_personal_data(app, client, world, box):
    box_id, token = box
    post(client, token, batch([exercise_item(app), exercise_item(app, child=CHILD_B)]))
    with app.app_context():
        rows = db.session.scalars(select(SyncChild).where(SyncChild.box_id == box_id)).all()
        assert {r.child_key for r in rows} == {CHILD_A, CHILD_B}
        children = [db.session.get(User, r.user_id) for r in rows]
        for child in children:
            assert child.role == "child" and child.club_id == world.club
            assert child.nickname.startswith("Laptop ") and child.nickname.endswith(f"·{box_id}")
            assert child.secret_enc is None and not child.active
            assert child.username is None and child.password_hash is None
            assert child.display_name is None
        code = db.session.get(Club, world.club).join_code
    picker = client.get(f"/copii/{code}")
    assert "Laptop" not in picker.get_data(as_text=True)
    for child in children:
        page = client.post(f"/copii/{code}/{child.id}", data={"sequence": "a,b,c"})
        assert page.status_code in (302, 404)
        with client.session_transaction() as sess:
            assert "_user_id" not in sess


def test_a_reactivated_stand_in_still_cannot_log_in(app, client, world, box):
    """A librarian could reactivate a stand-in by hand: without a secret, no answer opens it."""
    from codekids.accounts import secrets as child_secrets

    _box_id, token = box
    post(client, token, batch([exercise_item(app)]))
    with app.app_context():
        child = db.session.scalar(select(User).where(User.nickname.like("Laptop %")))
        child.active = True
        db.session.commit()
        child_id = child.id
        code = db.session.get(Club, world.club).join_code

    def log_in(who, value):
        client.post(f"/copii/{code}/{who}",
                    data={"sequence": ",".join(value[:-1]), "add": value[-1]})
        with client.session_transaction() as sess:
            return "_user_id" in sess

    # The same form logs a real child of the club in with their secret (the control)...
    assert log_in(world.children[0], child_secret(app, world.children[0]).value)
    client.post("/iesire")
    # ...and the stand-in with nothing: whatever the pictures, no secret matches.
    for value in (child_secret(app, world.children[0]).value,
                  child_secrets.PICTURES[:child_secrets.PICTURE_COUNT]):
        assert not log_in(child_id, list(value))


def test_the_same_batch_sent_twice_at_once_counts_once(app, box, runner):
    """A box that timed out and sent again while the first request still ran: one of
    the two applies the batch, the other answers its stored answer (the batch row's
    unique key decides, in the database)."""
    import threading

    _box_id, token = box
    body = batch([exercise_item(app), project_item("print(1)\nprint(2)\n")])
    answers = []
    start = threading.Barrier(2)

    def send():
        client = app.test_client()
        start.wait()
        answer = post(client, token, body)
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [code for code, _ in answers] == [200, 200]
    assert sorted(a["repeated"] for _, a in answers) == [False, True]
    assert answers[0][1]["results"] == answers[1][1]["results"]
    assert nation(app) == 3
    assert count_rows(app, SyncItem) == 2
    verify_ok(runner)
