"""Assigning sets: the rules (following.service) and the page (following/views.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.following import service as rules
from codekids.learning import service as learning
from codekids.learning.models import Assignment


def _bank(app):
    return app.extensions["codekids_bank"]


def _rows(club_id):
    return db.session.scalars(select(Assignment).where(Assignment.club_id == club_id)
                              .order_by(Assignment.id)).all()


def test_a_set_for_the_whole_club_reaches_every_child_first_on_their_home(world, ctx):
    club = db.session.get(Club, world.club)
    rules.assign_set(club, _bank(ctx), "loops", due_date=None)
    for child_id in world.children:
        assigned, all_sets = learning.home(db.session.get(User, child_id), _bank(ctx), "en")
        assert [v.set.id for v in assigned] == ["loops"]
        assert all_sets[0].set.id == "first-steps"  # the rest keep the bank's order
    other = db.session.get(User, world.other_children[0])
    assert learning.home(other, _bank(ctx), "en")[0] == []


def test_chosen_children_only_and_the_sooner_due_date_first(world, ctx):
    club = db.session.get(Club, world.club)
    soon, later = date.today() + timedelta(days=3), date.today() + timedelta(days=10)
    rules.assign_set(club, _bank(ctx), "loops", child_ids=[world.children[0]], due_date=later)
    rules.assign_set(club, _bank(ctx), "text", child_ids=[str(world.children[0])],
                     due_date=soon)
    first = db.session.get(User, world.children[0])
    assigned, _ = learning.home(first, _bank(ctx), "en")
    assert [(v.set.id, v.due_date) for v in assigned] == [("text", soon), ("loops", later)]
    second = db.session.get(User, world.children[1])
    assert learning.home(second, _bank(ctx), "en")[0] == []


def test_assigning_again_changes_the_due_date_instead_of_doubling(world, ctx):
    club = db.session.get(Club, world.club)
    day = date.today() + timedelta(days=5)
    rules.assign_set(club, _bank(ctx), "loops", due_date=None)
    rules.assign_set(club, _bank(ctx), "loops", due_date=day)
    rows = _rows(world.club)
    assert [(r.set_id, r.child_id, r.due_date) for r in rows] == [("loops", None, day)]


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"set_id": "no-such-set"}, "unknown_set"),
    ({"child_ids": []}, "no_children"),
    ({"child_ids": ["abc"]}, "unknown_child"),
    ({"due_date": date.today() - timedelta(days=1)}, "due_in_past"),
])
def test_what_cannot_be_assigned_is_refused_and_nothing_is_written(world, ctx, kwargs, reason):
    club = db.session.get(Club, world.club)
    args = {"set_id": "loops", "child_ids": None, "due_date": None, **kwargs}
    with pytest.raises(rules.AssignmentProblem) as exc:
        rules.assign_set(club, _bank(ctx), args.pop("set_id"), **args)
    assert exc.value.reason == reason
    assert _rows(world.club) == []


def test_a_child_of_another_club_cannot_be_given_a_set(world, ctx):
    club = db.session.get(Club, world.club)
    with pytest.raises(rules.AssignmentProblem):
        rules.assign_set(club, _bank(ctx), "loops",
                         child_ids=[world.children[0], world.other_children[0]], due_date=None)
    assert _rows(world.club) == []


def test_removing_works_only_inside_the_club(world, ctx):
    a = db.session.get(Club, world.club)
    b = db.session.get(Club, world.other_club)
    (mine,) = rules.assign_set(a, _bank(ctx), "loops", due_date=None)
    assert rules.remove_assignment(b, mine.id) is False
    assert len(_rows(world.club)) == 1
    assert rules.remove_assignment(a, mine.id) is True
    assert _rows(world.club) == []


# ---- the page --------------------------------------------------------------------------


def test_the_page_assigns_lists_and_removes(app, world, login):
    client = login(world.librarian)
    due = (date.today() + timedelta(days=7)).isoformat()
    resp = client.post(f"/cluburi/{world.club}/teme", data={
        "set_id": "loops", "who": "children", "children": [str(world.children[1])],
        "due_date": due})
    assert resp.status_code == 302
    page = client.get(f"/cluburi/{world.club}/teme").get_data(as_text=True)
    # The due date as the reader's language writes it (English here: "Dec 11, 2026").
    assert "Mihai" in page and format_date(date.fromisoformat(due), "medium", locale="en") in page
    with app.app_context():
        (row,) = _rows(world.club)
        assert (row.set_id, row.child_id, row.created_by_id) == (
            "loops", world.children[1], world.librarian)
        row_id = row.id
    assert client.post(f"/cluburi/{world.club}/teme/{row_id}/stergere").status_code == 302
    with app.app_context():
        assert _rows(world.club) == []


def test_the_page_refuses_a_past_date_and_another_clubs_child(app, world, login):
    client = login(world.librarian)
    past = (date.today() - timedelta(days=2)).isoformat()
    resp = client.post(f"/cluburi/{world.club}/teme",
                       data={"set_id": "loops", "who": "club", "due_date": past})
    assert resp.status_code == 400 and "in the past" in resp.get_data(as_text=True)
    resp = client.post(f"/cluburi/{world.club}/teme", data={
        "set_id": "loops", "who": "children", "children": [str(world.other_children[0])]})
    assert resp.status_code == 400 and "not in this club" in resp.get_data(as_text=True)
    resp = client.post(f"/cluburi/{world.club}/teme",
                       data={"set_id": "loops", "who": "club", "due_date": "31/02/2025"})
    assert resp.status_code == 400 and "could not read the due date" in resp.get_data(
        as_text=True)
    with app.app_context():
        assert _rows(world.club) == []


def test_another_librarian_can_neither_see_nor_remove(app, world, login):
    with app.app_context():
        (row,) = rules.assign_set(db.session.get(Club, world.club), _bank(app), "loops",
                                  due_date=None)
        row_id = row.id
    client = login(world.other_librarian)
    assert client.get(f"/cluburi/{world.club}/teme").status_code == 403
    assert client.post(f"/cluburi/{world.club}/teme/{row_id}/stergere").status_code == 403
    # Through their own club's URL, club A's assignment does not exist.
    assert client.post(f"/cluburi/{world.other_club}/teme/{row_id}/stergere").status_code == 404
    with app.app_context():
        assert len(_rows(world.club)) == 1
