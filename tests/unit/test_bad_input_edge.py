"""The edge (codekids/bad_input.py): ids, invalid text and JSON are refused before any
database call, and the 500 page renders without the database, headers on.

"No database call" is measured: every SQL statement the engine sends is recorded
(`statements`), and the requests that must not reach the database must record none.
"""

from __future__ import annotations

import json

import pytest
from flask import g
from flask_login import current_user
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import sessionmaker

from codekids import bad_input, db, security_policy
from codekids.bad_input import (
    ID_MAX,
    JSON_MAX_BYTES,
    JSON_MAX_DEPTH,
    BadInput,
    IdField,
    IdListField,
    parse_id,
    parse_json,
)
from codekids.clubs.models import Club

HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


@pytest.fixture
def statements(app):
    """Every SQL statement sent while the test runs (after the world was built)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = app.extensions["codekids_engine"]
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def assert_headers(resp):
    missing = [h for h in HEADERS if h not in resp.headers]
    assert not missing, f"{resp.status_code} without {missing}"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


# ---- ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        (" 42 ", 42),
        (ID_MAX, ID_MAX),
        (str(ID_MAX), ID_MAX),
        ("007", 7),
        (0, None),
        ("0", None),
        (-1, None),
        ("-1", None),
        (ID_MAX + 1, None),
        (str(ID_MAX + 1), None),
        (2**63, None),
        ("9223372036854775808", None),
        (10**30, None),
        ("9" * 5000, None),
        ("1e3", None),
        ("1.0", None),
        (1.0, None),
        (True, None),
        ("", None),
        (None, None),
        ("١٢", None),
        ("12\x00", None),
        ([1], None),
    ],
)
def test_parse_id_takes_only_what_the_database_can_hold(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/cluburi/2147483648",
        "/cluburi/9223372036854775808",
        "/cluburi/0",
        "/cluburi/-1",
        "/cluburi/" + "9" * 5000,
        "/cluburi/copil/2147483648/cartonas",
        "/coordonare/bibliotecari/9223372036854775808",
        "/joaca/2147483648",
        "/cluburi/1/intalniri/9223372036854775808",
        "/cluburi/1/raport/20261/1",
        "/copii/ABCDEF/2147483648",
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "librarian", "national_coordinator"])
def test_an_id_out_of_range_in_a_url_is_not_found_before_any_query(
    app, client, world, login, statements, path, who
):
    if who != "anonymous":
        login(getattr(world, who))
        statements.clear()
    resp = client.get(path)
    assert resp.status_code == 404
    assert_headers(resp)
    assert statements == []


def test_the_largest_id_is_still_an_id(app, client, world, login, statements):
    login(world.national_coordinator)
    statements.clear()
    # 2^31 - 1 reaches the route (the policy looks for the club: not found, a query).
    assert client.get(f"/cluburi/{ID_MAX}").status_code in (403, 404)
    assert statements


# ---- invalid text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/copii/AB%00CD", {}),
        ("GET", "/autentificare?next=/acasa%00", {}),
        ("GET", "/coordonare/contor?sort=lines%01", {}),
        ("POST", "/copii", {"data": {"code": "AB\x00CD"}}),
        ("POST", "/autentificare", {"data": {"username": "ana\x00", "password": "x"}}),
        ("POST", "/autentificare", {"data": {"user\x00name": "ana", "password": "x"}}),
        ("POST", "/cluburi/1/copii-noi", {"data": {"nicknames": "Ana\nBogdan\x1b[2J"}}),
        (
            "POST",
            "/coordonare/cluburi/nou",
            {"data": {"name": "Club\x0b", "library": "B", "town": "T", "county_id": "1"}},
        ),
        ("POST", "/exercitii/hello", {"data": {"action": "run", "source": "print(1)\x00"}}),
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "child", "librarian", "national_coordinator"])
def test_nul_and_control_characters_are_refused_before_any_query(
    app, client, world, login, statements, method, path, kwargs, who
):
    if who == "child":
        login(world.children[0])
    elif who != "anonymous":
        login(getattr(world, who))
    else:
        client.post("/language", data={"lang": "en"})
    statements.clear()
    resp = client.open(path, method=method, **kwargs)
    assert resp.status_code == 400
    assert_headers(resp)
    html = resp.get_data(as_text=True)
    assert "characters in it that are not text" in html
    assert "\x00" not in html and "\x1b" not in html  # what was refused is not echoed
    assert statements == []


def test_tab_newline_and_carriage_return_are_text(app, client, world, login):
    login(world.librarian)
    resp = client.post(f"/cluburi/{world.club}/copii-noi", data={"nicknames": "Bogdan\r\nDana\t"})
    assert resp.status_code == 200
    assert "characters in it that are not text" not in resp.get_data(as_text=True)


def test_the_refusal_speaks_the_visitors_language_and_offers_the_way_back(client):
    client.post("/language", data={"lang": "hu"})
    resp = client.post(
        "/copii", data={"code": "AB\x00"}, headers={"Referer": "http://localhost/copii"}
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "olyan jelek vannak, amelyek nem szövegek" in html
    assert 'href="/copii"' in html  # back to the page the child came from
    other = client.post(
        "/copii", data={"code": "AB\x00"}, headers={"Referer": "http://evil.example/x"}
    )
    assert "evil.example" not in other.get_data(as_text=True)
    sneaky = client.post(
        "/copii", data={"code": "AB\x00"}, headers={"Referer": "http://localhost//evil.example/x"}
    )
    assert "evil.example" not in sneaky.get_data(as_text=True)


# ---- JSON -----------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b'{"source": ' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (_nested(JSON_MAX_DEPTH + 1), "bad_json"),
        (b"[" * 1000 + b"]" * 1000, "bad_json"),
        (b"[" * 100_000 + b"]" * 100_000, "bad_json"),
        (b'{"a":' * 1000 + b"1" + b"}" * 1000, "bad_json"),
        (b"[" * 1000, "bad_json"),
        (b'{"source": NaN}', "bad_json"),
        (b'{"source": -Infinity}', "bad_json"),
        (b'{"project_id": ' + b"9" * 5000 + b"}", "bad_json"),
        (b'{"source": "\xff"}', "bad_json"),
        (b'{"source": "a\\u0000b"}', "bad_text"),
        (b'{"source": "a\\ud800b"}', "bad_text"),
        (b'{"a\\u0001": 1}', "bad_text"),
        (b'[[["\\u001b"]]]', "bad_text"),
        (json.dumps({"source": "x" * JSON_MAX_BYTES}).encode(), "too_large"),
    ],
)
def test_the_json_parser_refuses_deep_large_and_broken_bodies(raw, code):
    with pytest.raises(BadInput) as refused:
        parse_json(raw)
    assert refused.value.error_code == code


def test_the_json_parser_takes_what_the_pages_send():
    body = {
        "source": "for i in range(3):\n\tprint('ă', i)\r\n",
        "stdin": "",
        "project_id": 7,
        "deep": json.loads(_nested(JSON_MAX_DEPTH - 1)),
    }
    assert parse_json(json.dumps(body).encode()) == body


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[" * 1000 + b"]" * 1000, 400, "bad_json"),
        (b'{"source": "print(1)", "stdin": "\\u0000"}', 400, "bad_text"),
        (json.dumps({"source": "#" * (JSON_MAX_BYTES + 1)}).encode(), 413, "too_large"),
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_json_routes_answer_a_clear_code_before_any_query(
    app, client, world, login, statements, body, status, code, content_type
):
    login(world.children[0])
    statements.clear()
    resp = client.post("/api/v1/playground/run", data=body, content_type=content_type)
    assert resp.status_code == status
    assert resp.is_json and resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["message"]
    assert_headers(resp)
    assert statements == []


@pytest.mark.parametrize("project_id", [2**31, 2**63, -1, 0, "1", True, 1.0])
def test_a_json_id_out_of_range_is_not_found(app, client, world, login, project_id):
    login(world.children[0])
    resp = client.post(
        "/api/v1/playground/run", json={"source": "print(1)", "project_id": project_id}
    )
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_a_page_form_sent_as_json_is_refused(app, client, world, statements):
    # Flask-WTF would hand the numbers and objects of a JSON body to text fields.
    resp = client.post("/autentificare", json={"username": 2**63, "password": {"a": 1}})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_json"
    assert statements == []


# ---- id fields in forms -----------------------------------------------------------------


def _clubs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Club))


@pytest.mark.parametrize(
    "county_id", ["2147483648", "9223372036854775808", "-1", "0", "1e3", "abc", " "]
)
def test_an_id_field_out_of_range_is_a_form_error(app, client, world, login, county_id):
    login(world.national_coordinator)
    before = _clubs(app)
    resp = client.post(
        "/coordonare/cluburi/nou",
        data={
            "name": "Clubul Nou",
            "library": "Biblioteca",
            "town": "Dej",
            "county_id": county_id,
            "secret_kind": "pictures",
        },
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert (
        html.count("Please choose one of the options.") + html.count("Please choose a county.") == 1
    ), "one message, said once"
    assert _clubs(app) == before


def test_an_id_list_field_out_of_range_is_a_form_error(app, client, world, login):
    login(world.national_coordinator)
    resp = client.post(
        f"/coordonare/cluburi/{world.club}/bibliotecari",
        data={"librarian_ids": [str(world.librarian), "9223372036854775808"]},
    )
    assert resp.status_code == 200
    assert "Please choose one of the options." in resp.get_data(as_text=True)
    with app.app_context():
        club = db.session.get(Club, world.club)
        assert [lib.id for lib in club.librarians] == [world.librarian]  # unchanged


def test_id_fields_give_ints_and_render_the_chosen_option(app):
    from flask_wtf import FlaskForm

    from codekids.coordination.forms import option

    class Form(FlaskForm):
        one = IdField(choices=[option("1", "a"), option("2", "b")])
        many = IdListField(choices=[option("1", "a"), option("2", "b")])

    with app.test_request_context(method="POST", data={"one": "2", "many": ["1", "2"]}):
        form = Form(meta={"csrf": False})
        assert form.validate() and form.one.data == 2 and form.many.data == [1, 2]
        assert 'selected value="2"' in form.one()
    with app.test_request_context(method="POST", data={"one": "2147483648", "many": ["1", "x"]}):
        form = Form(meta={"csrf": False})
        assert not form.validate()
        assert form.one.data is None and form.many.data == []
        said = str(bad_input.CHOICE_MESSAGE)  # in the visitor's language, said once
        assert form.errors == {"one": [said], "many": [said]}


def test_an_id_in_a_query_string_out_of_range_is_ignored(app, client, world, login):
    login(world.national_coordinator)
    assert client.get("/coordonare/bibliotecari/nou?club_id=9223372036854775808").status_code == 200
    login(world.librarian)
    resp = client.get(
        f"/cluburi/{world.club}/cartonase?ids=9223372036854775808,{world.children[0]}"
    )
    assert resp.status_code == 200


def test_an_attendance_or_assignment_id_out_of_range_is_refused(app, client, world, login):
    from codekids.clubs.models import ClubSession

    login(world.librarian)
    with app.app_context():
        meeting = ClubSession(club_id=world.club, started_by_id=world.librarian)
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    resp = client.post(
        f"/cluburi/{world.club}/intalniri/{meeting_id}/prezenta",
        data={"child_id": "9223372036854775808", "present": "1"},
    )
    assert resp.status_code == 404
    resp = client.post(
        f"/cluburi/{world.club}/teme",
        data={"set_id": "first-steps", "who": "children", "children": ["9223372036854775808"]},
    )
    assert resp.status_code == 400


# ---- the 500 page: no database, headers on --------------------------------------------


@pytest.fixture
def app_config(app_config):
    # Flask answers an unhandled error with the 500 handler instead of raising it.
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


def _dead_sessions():
    """Sessions on a database that cannot be reached."""
    return sessionmaker(bind=create_engine("sqlite:////nonexistent-dir/none.sqlite3"))


@pytest.fixture
def boom(app, monkeypatch):
    """A route that loads the user, loses the database, then touches it."""
    monkeypatch.setitem(security_policy.ROUTES, "boom", security_policy.ANYONE)

    def view():
        current_user.is_authenticated  # noqa: B018 - the user is loaded, as on any page
        app.extensions["codekids_sessionmaker"] = _dead_sessions()
        g.pop("db_session").close()
        db.session.execute(text("SELECT 1"))  # the database is gone
        return "unreachable"

    app.add_url_rule("/boom", "boom", view)


def test_the_500_page_renders_with_the_database_gone(app, client, world, login, boom):
    login(world.librarian)
    resp = client.get("/boom")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "Something broke on our side" in html
    assert_headers(resp)
    # The user the request had loaded is shown as loaded (no lookup): their name, Log out.
    assert world.usernames[world.librarian] in html and "Log out" in html


def test_the_500_page_renders_when_the_database_is_down_from_the_start(
    app, client, world, login, boom
):
    login(world.children[0])
    app.extensions["codekids_sessionmaker"] = _dead_sessions()
    resp = client.get("/boom")  # the route policy's user lookup itself fails
    assert resp.status_code == 500
    assert "Something broke on our side" in resp.get_data(as_text=True)
    assert_headers(resp)


def test_the_500_handler_rolls_the_session_back_before_the_page(app, client, world, monkeypatch):
    from flask import template_rendered
    from sqlalchemy import update

    monkeypatch.setitem(security_policy.ROUTES, "half_written", security_policy.ANYONE)
    rolled_back: list[int] = []
    at_render: list[int] = []

    def view():
        db.session.execute(update(Club).where(Club.id == world.club).values(name="Pe jumătate"))
        event.listen(
            db.session._get_current_object(), "after_rollback", lambda _s: rolled_back.append(1)
        )
        raise RuntimeError("a bug after a write")

    def rendered(_app, template, context):
        at_render.append(len(rolled_back))

    app.add_url_rule("/half", "half_written", view)
    with template_rendered.connected_to(rendered, app):
        resp = client.get("/half")
    assert resp.status_code == 500
    assert at_render == [1], "rolled back once, before the page was rendered"
    assert_headers(resp)
    with app.app_context():
        assert db.session.get(Club, world.club).name == "Clubul Albinelor"


def test_a_failing_500_page_becomes_our_static_page_with_the_headers(
    app, client, world, monkeypatch
):
    """What gunicorn would otherwise answer with its bare page: the error page itself fails."""
    monkeypatch.setitem(security_policy.ROUTES, "boom2", security_policy.ANYONE)

    def view():
        raise RuntimeError("a bug")

    def broken_page(*_a, **_k):
        raise RuntimeError("and the error page is broken too")

    app.add_url_rule("/boom2", "boom2", view)
    monkeypatch.setattr(bad_input, "error_page", broken_page)
    # Called as gunicorn calls it: the WSGI app itself.
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    body, status, headers = run_wsgi_app(app, EnvironBuilder(path="/boom2").get_environ())
    page = b"".join(body).decode("utf-8")
    assert status.startswith("500")
    assert "Ceva s-a stricat" in page  # ours, in the site's default language
    for name in HEADERS + ("Cache-Control",):
        assert name in headers, name
    assert headers["X-Frame-Options"] == "DENY"


def test_headers_are_on_even_when_an_after_request_hook_fails(app, client, monkeypatch):
    calls = []

    def failing_hook(response):
        calls.append(1)
        raise RuntimeError("a hook that breaks before the headers are set")

    app.after_request(failing_hook)  # runs first: hooks run in reverse order
    resp = client.get("/copii")
    assert calls and resp.status_code == 500
    assert_headers(resp)
