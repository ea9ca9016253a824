"""A child only ever sees and changes their own drafts, projects and submissions.

Another child's project answers exactly like a missing one (404), so ids cannot
be probed; another child's draft never appears in the editor; progress, hints
and submissions of one child never show on another's pages.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts.models import User
from codekids.learning import service
from codekids.learning.models import Project, Submission


@pytest.fixture
def as_child(app, client):
    def _login(user_id: int):
        with app.app_context():
            user = db.session.get(User, user_id)
            ident = f"{user.id}:{user.session_version}"
        with client.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = ident
            sess["locale"] = "en"
        return client

    return _login


@pytest.fixture
def victim(app, world):
    """Another club's child with a project, a draft, a hint and a solved exercise."""
    from codekids.bank import current_bank

    with app.test_request_context():
        kid = db.session.get(User, world.other_children[0])
        exercise = current_bank().get("hello")
        project = service.create_project(kid, "Secretul Elenei", "print('SECRET-PROJECT')")
        service.save_draft(kid, exercise, "print('SECRET-DRAFT')")
        service.reveal_hint(kid, exercise, "en")
        service.record_submission(kid, exercise, 'print("Bună ziua!")', "victim-key-1", "en")
        return {"project": project.id, "child": kid.id}


def _probe(client, project_id: int) -> list:
    return [
        client.get(f"/joaca/{project_id}"),
        client.post(f"/joaca/{project_id}", data={"action": "save", "name": "Furat",
                                                  "source": "print('stolen')"}),
        client.post(f"/joaca/{project_id}", data={"action": "run", "source": "print(1)"}),
        client.put(f"/api/v1/projects/{project_id}", json={"source": "print('stolen')"}),
        client.post("/api/v1/playground/run", json={"source": "print(1)",
                                                    "project_id": project_id}),
    ]


def test_another_childs_project_is_not_found_anywhere(app, world, as_child, victim):
    client = as_child(world.children[0])
    for resp in _probe(client, victim["project"]):
        assert resp.status_code == 404, (resp.request.path, resp.status_code)
        assert "SECRET-PROJECT" not in resp.get_data(as_text=True)
    with app.app_context():
        project = db.session.get(Project, victim["project"])
        assert (project.name, project.source) == ("Secretul Elenei", "print('SECRET-PROJECT')")
        assert db.session.scalar(select(func.count()).select_from(Submission).where(
            Submission.child_id == world.children[0])) == 0


def test_a_missing_project_answers_the_same_as_someone_elses(world, as_child, victim):
    client = as_child(world.children[0])
    theirs = [r.status_code for r in _probe(client, victim["project"])]
    missing = [r.status_code for r in _probe(client, 999_999)]
    assert theirs == missing


def test_a_child_of_the_same_club_cannot_see_the_project_either(app, world, as_child):
    with app.test_request_context():
        owner = db.session.get(User, world.children[1])
        project_id = service.create_project(owner, "Al Mihaei", "print('MINE')").id
    client = as_child(world.children[0])
    assert client.get(f"/joaca/{project_id}").status_code == 404
    assert "Al Mihaei" not in client.get("/joaca").get_data(as_text=True)


def test_another_childs_draft_progress_and_hints_do_not_show(world, as_child, victim):
    client = as_child(world.children[0])
    page = client.get("/exercitii/hello").get_data(as_text=True)
    assert "SECRET-DRAFT" not in page
    assert "print(&#34;Bună!&#34;)" in page  # our own starter code
    assert "Look only at the text between the quotes" not in page  # their hint
    assert "stars of 3" not in page.split('id="ex-title"')[1].split("</h1>")[0]
    home = client.get("/acasa").get_data(as_text=True)
    assert "0 of 7 solved" in home
    assert "Secretul Elenei" not in client.get("/joaca").get_data(as_text=True)


def test_a_submission_key_of_another_child_gives_no_access_to_their_result(app, world, as_child,
                                                                           victim):
    client = as_child(world.children[0])
    body = client.post("/api/v1/exercises/hello/submit",
                       json={"source": "print('mine')", "client_key": "victim-key-1"}).get_json()
    assert body["duplicate"] is False and body["solved"] is False
    with app.app_context():
        theirs = db.session.scalar(select(Submission).where(
            Submission.child_id == victim["child"]))
        assert theirs.source == 'print("Bună ziua!")'


def test_the_owner_still_reaches_their_project(world, as_child, victim):
    client = as_child(world.other_children[0])
    assert "SECRET-PROJECT" in client.get(f"/joaca/{victim['project']}").get_data(as_text=True)
