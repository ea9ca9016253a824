"""A club laptop and the national server, both real, on loopback (issue 19, point 6).

The box is `codekids serve` on SQLite, national `codekids serve` on PostgreSQL, a
proxy between them (tests/sync/harness.py). Children work on the box through its
JSON API; the librarian syncs with `codekids sync`. Each scenario ends with the
totals compared (national's club, county and nation lines against what the box
counted) and `codekids counter verify` on national.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from codekids import db
from codekids.sync import protocol
from tests.sync import world
from tests.sync.harness import Browser, gzip_json, post_batch

# Small exercises without input: each a few lines, graded in a few sandbox runs.
EXERCISES = ["hello", "two-lines", "star-tree", "numbers-without-quotes", "football-score",
             "variable-box", "dog-name"]


def _items(record) -> list[str]:
    return [item["item"] for item in record.batch()["items"]]


def _with_items(pair) -> list:
    """The batches the box POSTed through the proxy that carried items (a sync with
    nothing owed sends an empty one, to learn whether national answers)."""
    return [r for r in pair.proxy.batches() if r.batch()["items"]]


def _assert_synced(pair) -> int:
    """The box has nothing left to send, national counted what it counted."""
    state = pair.state()
    assert state.result == "ok", state
    assert state.owed == 0 and not state.outbox.get("waiting") and not state.outbox.get("sent"), (
        state)
    total = pair.assert_totals_equal()
    pair.verify_national()
    return total


def test_offline_for_a_while_then_online(pair):
    pair.proxy.offline()
    box_lines = pair.solve(0, EXERCISES[:3]) + pair.solve(1, EXERCISES[2:4])
    # A playground project: an error-free run counts, a run with an error does not.
    child = pair.child(2)
    project = child.new_project("Desen", "print('casa')\n")
    ran = child.run_project(project, "for i in range(3):\n    print('*' * i)\nprint('gata')\n")
    assert ran["status"] == "ok" and ran["lines_counted"] > 0, ran
    box_lines += ran["lines_counted"]
    broken = child.run_project(project, "print(nimic)\n")
    assert broken["lines_counted"] == 0

    proc = pair.sync()
    assert proc.returncode != 0, proc.stdout  # the librarian's command says it did not work
    state = pair.state()
    assert state.result == "offline", state
    assert pair.national_counts() == world.Counts(0, 0, 0)

    # Still offline a while later; the children go on working.
    box_lines += pair.solve(0, EXERCISES[3:5])
    assert pair.sync().returncode != 0
    assert pair.state().result == "offline"
    assert _with_items(pair) == []  # nothing ever reached national
    assert box_lines == pair.box_lines() > 0

    pair.proxy.online()
    proc = pair.sync()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _assert_synced(pair) == box_lines
    # Every counted submission went up once: playground run included, broken run not.
    items = world.national_items(pair.national, pair.box_id)
    assert len(items) == len({key for key, *_ in items}) == 3 + 2 + 1 + 2
    assert {status for _key, status, *_ in items} == {"accepted"}


def test_cut_after_national_committed_is_sent_again_and_counted_once(pair):
    box_lines = pair.solve(0, EXERCISES[:3]) + pair.solve(1, EXERCISES[:2])
    pair.proxy.cut_next_batches(1)
    proc = pair.sync()
    first = _with_items(pair)[0]
    assert first.cut and first.status == 200, first  # national answered: it committed
    assert first.answered()["repeated"] is False
    assert proc.returncode != 0, proc.stdout  # the box never heard the answer
    state = pair.state()
    assert state.result == "offline", state
    assert state.outbox.get("sent") == len(_items(first)), state  # waiting for its answer
    assert pair.national_counts().club == box_lines  # counted on national already

    # Meanwhile a child works on; then the librarian syncs again.
    box_lines += pair.solve(2, EXERCISES[:2])
    proc = pair.sync()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    batches = _with_items(pair)
    again = batches[1]
    # The lost batch goes first, with the same id and the same items; national answers
    # its stored answer and adds nothing; the new work goes in a batch of its own.
    assert again.batch()["batch"] == first.batch()["batch"]
    assert _items(again) == _items(first)
    assert again.answered()["repeated"] is True
    assert again.answered()["results"] == first.answered()["results"]
    assert len(batches) == 3 and batches[2].batch()["batch"] != first.batch()["batch"]
    assert not set(_items(batches[2])) & set(_items(first))
    keys = [key for key, *_ in world.national_batches(pair.national, pair.box_id)]
    assert len(keys) == len(set(keys))
    assert _assert_synced(pair) == box_lines


def test_tampered_batch_is_rejected_and_changes_nothing(pair):
    box_lines = pair.solve(0, EXERCISES[:2])
    assert pair.sync().returncode == 0
    assert pair.assert_totals_equal() == box_lines
    before = pair.national_counts()
    ledger_before = world.ledger_lines(pair.national)

    # Someone with the box's token POSTs by hand: a program that fails the exercise's
    # tests claimed as solved, a playground run that stops with an error, and the box's
    # totals inflated.
    tampered = {
        "protocol": protocol.PROTOCOL, "batch": protocol.new_key(),
        "sent_at": "2026-12-04T10:00:00Z",
        "items": [
            {"item": protocol.new_key(), "kind": "exercise", "exercise": "two-lines",
             "exercise_hash": world.exercise_hash(pair.national, "two-lines"),
             "child": protocol.new_key(),
             "source": "print('Am rezolvat tot')\n" * 30,
             "written_at": "2026-12-04T09:00:00Z"},
            {"item": protocol.new_key(), "kind": "project", "project": protocol.new_key(),
             "child": protocol.new_key(),
             "source": "\n".join(f"x{i} = {i}" for i in range(150)) + "\nprint(1 / 0)\n",
             "written_at": "2026-12-04T09:01:00Z"},
        ],
        "totals": {"lines": 1_000_000, "items": 5000, "children": 400, "waiting": 0},
    }
    status, answer = post_batch(pair.national.url, gzip_json(tampered),
                                {"Authorization": f"Bearer {pair.token}",
                                 "Content-Type": "application/json",
                                 "Content-Encoding": "gzip"})
    assert status == 200, answer
    results = {r["item"]: r for r in answer["results"]}
    exercise, project = (results[i["item"]] for i in tampered["items"])
    assert (exercise["status"], exercise.get("reason"), exercise["lines"]) == (
        "rejected", protocol.FAILS_TESTS, 0)
    assert (project["status"], project.get("reason"), project["lines"]) == (
        "rejected", protocol.RUN_FAILED, 0)
    assert answer["lines"] == 0
    assert pair.national_counts() == before
    assert world.ledger_lines(pair.national) == ledger_before
    pair.verify_national()


def test_revoked_token_is_refused_clearly_and_nothing_is_lost(pair):
    box_lines = pair.solve(0, EXERCISES[:2])
    assert pair.sync().returncode == 0
    world.revoke_box(pair.national, pair.box_id)

    box_lines += pair.solve(1, EXERCISES[:3])
    proc = pair.sync()
    assert proc.returncode != 0
    state = pair.state()
    assert state.result == "token_revoked", state
    assert "revoked" in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    status = pair.box.cli("sync", "status", check=False)
    assert "revoked" in status.stdout.lower(), status.stdout
    # The librarian's club page says so in plain words (Romanian, the site's default).
    librarian = Browser(pair.box.url)
    librarian.staff_login(pair.club.librarian)
    page = librarian.get(f"/cluburi/{pair.club.id}").text
    assert "Serverul național nu mai acceptă acest laptop" in page
    # Nothing lost: the three new submissions are still owed, national has the first two.
    assert state.owed + state.outbox.get("waiting", 0) + state.outbox.get("sent", 0) == 3, state
    assert pair.national_counts().club < pair.box_lines() == box_lines

    token = world.replace_token(pair.national, pair.box_id)
    # The old token stays refused as revoked.
    assert pair.sync().returncode != 0
    assert pair.state().result == "token_revoked"
    setup = pair.box.cli("sync", "setup", "--server", pair.proxy.url, "--token", token,
                         check=False)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    proc = pair.sync()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _assert_synced(pair) == box_lines


def test_the_same_batch_twice_counts_once(pair):
    box_lines = pair.solve(0, EXERCISES[:3]) + pair.solve(1, EXERCISES[:1])
    assert pair.sync().returncode == 0
    assert pair.assert_totals_equal() == box_lines
    recorded = _with_items(pair)[0]
    before = pair.national_counts()
    batches_before = world.national_batches(pair.national, pair.box_id)

    # The box's own bytes again, byte for byte.
    status, answer = post_batch(pair.national.url, recorded.body, recorded.headers)
    assert status == 200, answer
    assert answer["repeated"] is True
    assert answer["results"] == recorded.answered()["results"]
    # Its items again under a new batch id: each gets its first result, nothing added.
    renamed = dict(recorded.batch(), batch=protocol.new_key())
    status, answer = post_batch(pair.national.url, gzip_json(renamed), recorded.headers)
    assert status == 200, answer
    first = {r["item"]: r["status"] for r in recorded.answered()["results"]}
    assert {r["item"]: r["status"] for r in answer["results"]} == first

    assert pair.national_counts() == before
    assert world.national_batches(pair.national, pair.box_id)[:len(batches_before)] == (
        batches_before)
    assert _assert_synced(pair) == box_lines


def test_a_box_with_a_wrong_clock(pair):
    box_lines = pair.solve(0, EXERCISES[:3]) + pair.solve(1, EXERCISES[3:5])
    # The laptop's clock was years off while the children worked: its submissions say
    # so. (There is no faketime here; the box's own rows are what its clock wrote.)
    from codekids.learning.models import Submission

    future, past = datetime(2031, 6, 1, 12, 0), datetime(2016, 1, 1, 8, 0)
    children = [c.id for c in pair.club.children]
    with pair.box.app().app_context():
        db.session.execute(update(Submission).where(Submission.child_id == children[0])
                           .values(created_at=future))
        db.session.execute(update(Submission).where(Submission.child_id == children[1])
                           .values(created_at=past))
        db.session.commit()

    proc = pair.sync()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _assert_synced(pair) == box_lines
    # National counted them on its own day of receipt; the box's times are kept as
    # information only.
    assert world.counter_days(pair.national, pair.national_club) == {
        world.today(pair.national): box_lines}
    written = {w[:4] for *_rest, w in world.national_items(pair.national, pair.box_id)}
    assert written == {"2031", "2016"}
