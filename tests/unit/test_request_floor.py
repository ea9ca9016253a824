"""The per-request floor (issue 18, point 1): what a request pays before its own work.

Requests that need no user (plumbing.NO_USER_ENDPOINTS: static files, the public
counter and its embed, /healthz) load no user, read no session cookie and open no
database session in any hook; a logged-in page loads its user and their club in one
query; a child's login (the secret page, then the pictures) asks the lockouts one query
per request; WTForms' catalog is read from disk once per process. Counted, never timed.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from babel import support
from flask import request
from flask_babel import force_locale
from sqlalchemy import event

from codekids import plumbing, web
from codekids.accounts.models import User
from codekids.bank import current_bank

SESSION_COOKIE = "session"


@contextmanager
def statements(app):
    """The SQL statements run meanwhile, and how many database sessions were opened."""
    seen: list[str] = []
    opened: list[int] = []

    def executed(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["codekids_engine"]
    make_session = app.extensions["codekids_sessionmaker"]

    def counting_sessionmaker(*args, **kwargs):
        opened.append(1)
        return make_session(*args, **kwargs)

    event.listen(engine, "before_cursor_execute", executed)
    app.extensions["codekids_sessionmaker"] = counting_sessionmaker
    try:
        yield seen, opened
    finally:
        app.extensions["codekids_sessionmaker"] = make_session
        event.remove(engine, "before_cursor_execute", executed)


def _loads_a_user(statement: str) -> bool:
    # Every way of loading a user (the session's loader, a remember-me cookie, a get by
    # primary key) selects all of its columns, session_version among them.
    return "users.session_version" in statement


def _logged_in_child(app, client, world, auth):
    assert auth.child(world.children[0]).status_code == 302
    assert client.get("/acasa").status_code == 200  # the session works
    return client


NO_USER_URLS = ["/static/css/site.css", "/api/v1/counter", "/counter/embed", "/healthz"]


@pytest.mark.parametrize("url", NO_USER_URLS)
def test_a_request_that_needs_no_user_loads_none_even_from_a_logged_in_browser(
        app, client, world, auth, url, monkeypatch):
    from codekids import health

    # /healthz runs the sandbox's probe: here it answers at once (its own tests run it).
    monkeypatch.setattr(health, "sandbox_state", lambda: health.OK)
    _logged_in_child(app, client, world, auth)
    with statements(app) as (seen, opened):
        response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert [s for s in seen if _loads_a_user(s)] == []
    if url.startswith("/static/") or url == "/healthz":
        # No database session at all: healthz asks the engine itself, on a connection.
        assert opened == []
        if url.startswith("/static/"):
            assert seen == []
    # The browser's session is left as it was: no new cookie, and it still works.
    assert SESSION_COOKIE not in response.headers.get("Set-Cookie", "")
    assert client.get("/acasa").status_code == 200


@pytest.mark.parametrize("url", NO_USER_URLS[:3])
def test_a_request_that_needs_no_user_ignores_session_and_remember_cookies(app, client, url):
    """A cookie that is not even well signed changes nothing: it is never read."""
    client.set_cookie(SESSION_COOKIE, "not-a-signed-session")
    client.set_cookie("remember_token", "1|not-a-signed-token")
    with statements(app) as (seen, opened):
        response = client.get(url)
    assert response.status_code == 200
    assert [s for s in seen if _loads_a_user(s)] == []
    assert "Set-Cookie" not in response.headers


def test_what_a_request_without_user_writes_to_its_session_is_never_saved(app, client):
    """Its session is a stand-in: writing to it (a template asking for a CSRF token, say)
    must never replace the browser's real session cookie."""
    with app.test_request_context("/static/css/site.css"):
        unread = app.session_interface.open_session(app, request)
        assert isinstance(unread, web.UnreadSession)
        unread["_user_id"] = "1:1"
        response = app.response_class("")
        app.session_interface.save_session(app, unread, response)
        assert "Set-Cookie" not in response.headers


def test_only_the_endpoints_without_user_skip_the_session(app):
    """The session opens before Flask matches the URL, so these requests are known by
    their paths: no other rule of the site may start with one of them."""
    exact, prefixes = web.no_session_paths(app)
    assert "/healthz" in exact and "/api/v1/counter" in exact and "/counter/embed" in exact
    assert prefixes == ("/static/",)
    for rule in app.url_map.iter_rules():
        if rule.endpoint in plumbing.NO_USER_ENDPOINTS:
            continue
        assert rule.rule not in exact, rule
        assert not rule.rule.startswith(prefixes), rule
    # Every endpoint listed exists.
    assert plumbing.NO_USER_ENDPOINTS <= {r.endpoint for r in app.url_map.iter_rules()}


def test_a_page_without_user_speaks_its_own_language_not_the_sessions(app, client):
    """The embed's language comes from its URL (or Accept-Language), never the session
    (the session is not read): unchanged by the floor."""
    with client.session_transaction() as session:
        session["locale"] = "en"
    assert 'lang="hu"' in client.get("/counter/embed?lang=hu").get_data(as_text=True)
    assert 'lang="ro"' in client.get("/counter/embed").get_data(as_text=True)


def _pages_of(app, world):
    with app.app_context():
        exercise = current_bank().sets[0].exercises[0]
    return ["/acasa", f"/exercitii/{exercise.id}", "/joaca"]


def test_a_childs_page_loads_the_child_and_their_club_in_one_query(app, client, world, auth):
    _logged_in_child(app, client, world, auth)
    for url in _pages_of(app, world):
        with statements(app) as (seen, _opened):
            assert client.get(url).status_code == 200
        users = [s for s in seen if " FROM users" in s]
        assert len(users) == 1, (url, users)
        assert "JOIN clubs" in users[0]
        # …and no page asks for the club again.
        assert [s for s in seen if s.startswith("SELECT clubs.")] == [], url


def test_a_librarians_page_loads_the_librarian_in_one_query(app, client, world, auth):
    assert auth.staff(world.librarian).status_code == 302
    with statements(app) as (seen, _opened):
        assert client.get("/cluburi/").status_code == 200
    assert len([s for s in seen if _loads_a_user(s)]) == 1


def test_the_one_query_still_ends_a_closed_clubs_sessions(app, client, world, auth):
    """The loader reads the club's flag from the club it loads with the child."""
    from codekids import db
    from codekids.clubs.models import Club

    _logged_in_child(app, client, world, auth)
    with app.app_context():
        db.session.get(Club, world.club).active = False
        db.session.commit()
    response = client.get("/acasa")
    assert response.status_code == 302 and "/copii" in response.headers["Location"]


def _secret_page_login(app, client, world, child_id):
    """The two requests of a child's login, as a browser sends them: GET the page (its
    CSRF token), POST the pictures; returns the statements of each."""
    from tests.conftest import child_secret

    with app.app_context():
        from codekids import db

        code = db.session.get(User, child_id).club.join_code
    secret = child_secret(app, child_id)
    with statements(app) as (get_seen, _):
        assert client.get(f"/copii/{code}/{child_id}").status_code == 200
    with statements(app) as (post_seen, _):
        response = client.post(f"/copii/{code}/{child_id}",
                               data={"sequence": ",".join(secret.value)})
    assert response.status_code == 302 and "/acasa" in response.headers["Location"]
    return get_seen, post_seen


def test_a_childs_login_asks_the_lockouts_one_query_per_request(app, client, world):
    get_seen, post_seen = _secret_page_login(app, client, world, world.children[0])
    for seen in (get_seen, post_seen):
        # The club-code throttle: one query (this browser, this address).
        assert len([s for s in seen if "login_attempts.kind" in s and "'here'" in s]) == 1
        # The child and their club: one query, no query of the club by its code.
        users = [s for s in seen if " FROM users" in s]
        assert len(users) == 1 and "JOIN clubs" in users[0], users
        assert [s for s in seen if s.startswith("SELECT clubs.")] == []
    # The child's own lockouts (this browser, this child): one query each time.
    assert len([s for s in get_seen if "'on_device'" in s]) == 1
    assert len([s for s in post_seen if "'pair'" in s]) == 1
    selects = [s for s in get_seen + post_seen if s.startswith("SELECT")]
    assert len(selects) == 6, selects


def test_a_child_with_a_wrong_club_code_in_the_url_is_still_refused(app, client, world):
    """The club comes with the child only when the URL's code is that club's: another
    club's code (even a real one) answers 404, as before."""
    other_code = world.join_codes[world.other_club]
    assert client.get(f"/copii/{other_code}/{world.children[0]}").status_code == 404
    assert client.get(f"/copii/NOSUCH/{world.children[0]}").status_code == 404


def test_wtforms_messages_are_read_from_disk_once_per_process(app, monkeypatch):
    from codekids import i18n

    i18n._WTFORMS_CATALOGS.clear()
    loads = []
    real_load = support.Translations.load

    def counting_load(*args, **kwargs):
        loads.append(kwargs.get("domain"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counting_load)
    from flask_wtf.i18n import translations

    required = "This field is required."
    for _ in range(3):
        with app.test_request_context("/"):
            with force_locale("ro"):
                romanian = translations.gettext(required)
            with force_locale("hu"):
                hungarian = translations.gettext(required)
    assert romanian != required and hungarian != required and romanian != hungarian
    assert loads.count("wtforms") == 2  # once per language, not once per request
