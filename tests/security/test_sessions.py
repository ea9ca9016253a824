"""Sessions end on the server (issue 15, point 3).

The session lives in a signed cookie the browser keeps, so each attack here copies
that cookie the way a thief at a shared library PC would (to a second test client:
"another browser"), then does what should end the session, then replays the copy.
Each test first checks that the copy really works, so it fails if copying is
broken rather than passing for the wrong reason. Both databases.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from codekids import db, sandbox_client
from codekids.accounts.models import User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club
from codekids.counter.models import CountedLine
from codekids.following.service import delete_child
from codekids.learning.models import Submission
from tests.conftest import STAFF_PASSWORD, Auth

HELLO_RIGHT = 'print("Bună ziua!")\n'


def stolen_copy(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None, "nobody is logged in on the client being copied"
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def staff_client(app, world, user_id, password=STAFF_PASSWORD):
    other = app.test_client()
    r = other.post(
        "/autentificare", data={"username": world.usernames[user_id], "password": password}
    )
    assert r.status_code == 302
    return other


def refused_as_child(resp) -> bool:
    return resp.status_code == 302 and resp.location.startswith("/copii")


def refused_as_staff(resp) -> bool:
    return resp.status_code == 302 and resp.location.startswith("/autentificare")


def count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


# ---- logout --------------------------------------------------------------------------------


def test_a_staff_cookie_replayed_after_logout_is_refused(app, client, world, auth):
    auth.staff(world.librarian)
    thief = stolen_copy(app, client)
    assert thief.get("/parola").status_code == 200  # the copy works while the session lives
    r = auth.logout()
    assert r.status_code == 302 and r.location == "/autentificare"
    assert refused_as_staff(thief.get("/parola"))
    assert refused_as_staff(thief.get(f"/cluburi/{world.club}"))
    # The thief cannot use the session to do anything either (no CSRF in these tests, so
    # only the session stands in the way).
    r = thief.post(f"/cluburi/copil/{world.children[0]}/secret-nou")
    assert refused_as_staff(r)


def test_a_childs_cookie_replayed_after_not_me_is_refused(app, client, world, auth):
    auth.child(world.children[0])
    thief = stolen_copy(app, client)
    assert thief.get("/acasa").status_code == 200
    r = auth.logout()  # the "This is not me" button posts here
    assert r.status_code == 302 and r.location == f"/copii/{world.join_codes[world.club]}"
    assert refused_as_child(thief.get("/acasa"))
    resp = thief.post("/api/v1/exercises/hello/draft", json={"source": "print(1)"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


def test_logout_ends_the_users_sessions_on_other_pcs_too(app, client, world, auth):
    """One generation per user (documented in accounts.service.end_sessions)."""
    other_pc = staff_client(app, world, world.librarian)
    auth.staff(world.librarian)
    auth.logout()
    assert refused_as_staff(other_pc.get("/parola"))
    # Logging in again works, and starts a session the old copies still cannot use.
    assert auth.staff(world.librarian).status_code == 302
    assert client.get("/parola").status_code == 200
    assert refused_as_staff(other_pc.get("/parola"))


def test_get_logout_does_not_log_out(app, client, world, auth):
    """A link, a prefetch or another site's <img src="/iesire"> is a GET: it only
    shows the button."""
    auth.staff(world.librarian)
    r = client.get(
        "/iesire",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Dest": "image",
            "Referer": "https://evil.example/",
        },
    )
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(r'<form method="post" action="/iesire"', html)
    assert client.get("/parola").status_code == 200  # still logged in
    auth.child(world.children[0])
    assert client.get("/iesire").status_code == 200
    assert client.get("/acasa").status_code == 200


def test_get_logout_when_nobody_is_logged_in_goes_to_the_start(client):
    r = client.get("/iesire")
    assert r.status_code == 302 and r.location == "/copii"


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def _log_in(self, app, client, user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            ident = f"{user.id}:{user.session_version}"
        with client.session_transaction() as sess:
            sess["_user_id"] = ident
            sess["_fresh"] = True

    def test_a_logout_post_from_another_site_is_refused(self, app, client, world):
        """A cross-site form can POST but cannot know the CSRF token."""
        self._log_in(app, client, world.children[0])
        r = client.post("/iesire", headers={"Origin": "https://evil.example"})
        assert r.status_code == 400
        assert client.get("/acasa").status_code == 200

    def test_the_logout_button_carries_the_token_and_works(self, app, client, world):
        self._log_in(app, client, world.children[0])
        html = client.get("/acasa").get_data(as_text=True)
        form = re.search(
            r'<form class="logout" method="post" action="/iesire">(.*?)</form>', html, re.S
        ).group(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        r = client.post("/iesire", data={"csrf_token": token})
        assert r.status_code == 302 and r.location.startswith("/copii/")
        assert refused_as_child(client.get("/acasa"))

    def test_the_idle_timer_url_logs_out_with_the_pages_token(self, app, client, world):
        """static/js/site.js posts the <meta name="csrf-token"> to data-idle-url."""
        self._log_in(app, client, world.librarian)
        html = client.get("/parola").get_data(as_text=True)
        url = re.search(r'data-idle-url="([^"]+)"', html).group(1).replace("&amp;", "&")
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
        assert client.get(url).status_code == 200  # a GET of it logs nobody out
        assert client.get("/parola").status_code == 200
        r = client.post(url, data={"csrf_token": token})
        assert refused_as_staff(r) or r.location == "/autentificare"
        assert refused_as_staff(client.get("/parola"))


def test_an_idle_session_ends_but_not_the_same_childs_live_one_elsewhere(app, client, world, auth):
    """The server's idle logout needs no bump (web.idle_logout): every copy of a stale
    cookie is as stale; the child's own session on another PC keeps working."""
    other_pc = app.test_client()
    Auth(app, other_pc, world).child(world.children[0])
    auth.child(world.children[0])
    with client.session_transaction() as sess:
        sess["last_seen"] = "2000-01-01T00:00:00"
    thief = stolen_copy(app, client)
    assert refused_as_child(client.get("/acasa"))
    assert refused_as_child(thief.get("/acasa"))
    assert other_pc.get("/acasa").status_code == 200


# ---- password, secret, deletion ------------------------------------------------------------


def test_a_cookie_replayed_after_a_password_change_is_refused(app, client, world, auth):
    auth.staff(world.librarian)
    thief = stolen_copy(app, client)
    assert thief.get("/parola").status_code == 200
    r = client.post(
        "/parola",
        data={
            "current_password": STAFF_PASSWORD,
            "new_password": "a brand new password",
            "confirm_password": "a brand new password",
        },
    )
    assert r.status_code == 302
    assert client.get("/parola").status_code == 200  # the browser that changed it stays in
    assert refused_as_staff(thief.get("/parola"))


def test_a_cookie_replayed_after_a_temporary_password_is_refused(app, client, world, auth):
    """The coordinator gives a librarian a new temporary password: old sessions end."""
    auth.staff(world.librarian)
    thief = stolen_copy(app, client)
    coordinator = staff_client(app, world, world.county_coordinator)
    r = coordinator.post(
        f"/coordonare/bibliotecari/{world.librarian}/resetare", data={"mode": "password"}
    )
    assert r.status_code == 200  # the page shows the temporary password once
    with app.app_context():
        assert db.session.get(User, world.librarian).must_change_password
    assert refused_as_staff(thief.get("/parola"))
    assert refused_as_staff(client.get("/parola"))


def test_a_childs_cookie_replayed_after_the_librarian_resets_the_secret(app, client, world, auth):
    auth.child(world.children[0])
    thief = stolen_copy(app, client)
    assert thief.get("/acasa").status_code == 200
    librarian = staff_client(app, world, world.librarian)
    r = librarian.post(f"/cluburi/copil/{world.children[0]}/secret-nou")
    assert r.status_code == 302
    assert refused_as_child(thief.get("/acasa"))
    assert refused_as_child(client.get("/acasa"))
    # The child logs in again with the new card and is in.
    assert auth.child(world.children[0]).status_code == 302
    assert client.get("/acasa").status_code == 200
    assert refused_as_child(thief.get("/acasa"))


def test_a_deleted_childs_cookie_does_not_log_in_as_the_next_account(app, client, world, auth):
    """SQLite gives a deleted row's id to the next row: the old cookie "id:version" must
    not become the new account's session. session_version starts at a random value."""
    newest = world.other_children[-1]  # the last row of users: its id is reused on SQLite
    auth.child(newest)
    thief = stolen_copy(app, client)
    assert thief.get("/acasa").status_code == 200
    with app.app_context():
        delete_child(db.session.get(User, newest))
        club = db.session.get(Club, world.club)
        created = clubs.create_children(club, "Noul").created[0]
        new_id = created.id
    if app.config["CODEKIDS"].database_url.startswith("sqlite"):
        assert new_id == newest  # the id really was handed on
    assert refused_as_child(thief.get("/acasa"))
    with thief.session_transaction() as sess:
        assert sess.get("_user_id", "").split(":")[0] == str(newest)


def test_new_accounts_start_at_different_session_versions(app, world):
    with app.app_context():
        versions = set(db.session.scalars(select(User.session_version)))
        count_users = db.session.scalar(select(func.count()).select_from(User))
    assert len(versions) == count_users  # 12 users: equal versions would be a 1 in 10^7 fluke


# ---- deactivation --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_sandbox():
    sandbox = sandbox_client.get_sandbox()
    yield sandbox
    sandbox_client.stop()


def test_a_deactivated_clubs_child_is_logged_out_and_earns_no_lines(
    app, client, world, auth, real_sandbox
):
    auth.child(world.children[0])
    second = app.extensions["codekids_bank"].get_set("first-steps").exercises[1]
    ok = client.post(
        "/api/v1/exercises/hello/submit",
        json={"source": HELLO_RIGHT, "client_key": "before-off-0001"},
    )
    assert ok.status_code == 200 and ok.get_json()["lines_counted"] >= 1  # the session earns
    lines_before = count(app, CountedLine, child_id=world.children[0])
    assert count(app, Submission, child_id=world.children[0]) == 1

    coordinator = staff_client(app, world, world.county_coordinator)
    with app.app_context():
        c = db.session.get(Club, world.club)
        form = {
            "name": c.name,
            "library": c.library,
            "town": c.town,
            "county_id": str(c.county_id),
            "secret_kind": c.secret_kind,
        }  # "active" unticked
    r = coordinator.post(f"/coordonare/cluburi/{world.club}", data=form)
    assert r.status_code == 302
    with app.app_context():
        assert not db.session.get(Club, world.club).active

    # The next request: logged out, to the start (the club's list is closed).
    assert refused_as_child(client.get("/acasa"))
    # A Submit from the old session, through the API and through the page's form.
    api = client.post(
        f"/api/v1/exercises/{second.id}/submit",
        json={"source": second.solution, "client_key": "after-off-0001"},
    )
    assert api.status_code == 403
    assert api.get_json()["error"] == {  # in Romanian, the site's default language
        "code": "forbidden",
        "message": "Intră din nou în cont, te rog: reîncarcă pagina.",
    }
    page = client.post(
        f"/exercitii/{second.id}",
        data={
            "action": "submit",
            "source": second.solution,
            "stdin": "",
            "client_key": "after-off-0002",
        },
    )
    assert refused_as_child(page)
    run = client.post("/api/v1/playground/run", json={"source": "print(1)\nprint(2)\n"})
    assert run.status_code == 403
    assert count(app, Submission, child_id=world.children[0]) == 1
    assert count(app, CountedLine, child_id=world.children[0]) == lines_before
    # Its children cannot log in again either, and opening the club again does not bring
    # the old session back.
    assert client.get(f"/copii/{world.join_codes[world.club]}").status_code == 404
    form["active"] = "y"
    assert coordinator.post(f"/coordonare/cluburi/{world.club}", data=form).status_code == 302
    assert refused_as_child(client.get("/acasa"))
    assert auth.child(world.children[0]).status_code == 302
    assert client.get("/acasa").status_code == 200


def test_a_closed_club_refuses_the_session_even_without_a_bump(app, client, world, auth):
    """web._load_user checks the club itself (in the same query): a club closed by any
    path, even a plain UPDATE, logs its children out at their next request."""
    auth.child(world.children[0])
    assert client.get("/acasa").status_code == 200
    with app.app_context():
        db.session.execute(update(Club).where(Club.id == world.club).values(active=False))
        db.session.commit()
    assert refused_as_child(client.get("/acasa"))
    # Another club's child is not affected.
    other = app.test_client()
    Auth(app, other, world).child(world.other_children[0])
    assert other.get("/acasa").status_code == 200


def test_a_deactivated_childs_cookie_is_refused(app, client, world, auth):
    auth.child(world.children[0])
    thief = stolen_copy(app, client)
    librarian = staff_client(app, world, world.librarian)
    assert librarian.post(f"/cluburi/copil/{world.children[0]}/dezactivare").status_code == 302
    assert refused_as_child(thief.get("/acasa"))
    assert refused_as_child(client.get("/acasa"))
    # Turned back on, the child logs in again; the old copies stay dead.
    assert librarian.post(f"/cluburi/copil/{world.children[0]}/reactivare").status_code == 302
    assert refused_as_child(thief.get("/acasa"))


def test_a_deactivated_staff_account_is_logged_out_at_its_next_request(app, client, world, auth):
    auth.staff(world.librarian)
    assert client.get("/parola").status_code == 200
    coordinator = staff_client(app, world, world.county_coordinator)
    with app.app_context():
        lib = db.session.get(User, world.librarian)
        form = {
            "display_name": lib.display_name or "Ana",
            "club_ids": [str(c.id) for c in lib.clubs],
        }  # "active" unticked
    r = coordinator.post(f"/coordonare/bibliotecari/{world.librarian}", data=form)
    assert r.status_code == 302
    with app.app_context():
        assert not db.session.get(User, world.librarian).active
    assert refused_as_staff(client.get("/parola"))
    assert refused_as_staff(client.get(f"/cluburi/{world.club}"))
