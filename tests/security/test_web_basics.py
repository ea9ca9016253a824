"""CSRF on every form, and the session cookie's flags."""

from __future__ import annotations

import pytest

from tests.conftest import STAFF_PASSWORD


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


# The only POST routes without CSRF: they read no session cookie at all.
TOKEN_ROUTES = {"sync.batches"}


def test_every_post_route_refuses_a_request_without_csrf_token(app, client):
    from flask import url_for

    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {a: 1 if a.endswith("_id") else "x" for a in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        resp = client.post(url, data={"anything": "1"})
        if rule.endpoint in TOKEN_ROUTES:
            # No session, no cookie: a club laptop's bearer token, refused without it.
            assert resp.status_code == 401, f"POST {url} without a token got {resp.status_code}"
            assert resp.get_json() == {"error": "token_unknown"}
            continue
        assert resp.status_code == 400, f"POST {url} without a CSRF token got {resp.status_code}"
        checked += 1
    assert checked >= 5


def test_staff_login_with_csrf_token_works(app, client, world):
    import re

    page = client.get("/autentificare").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/autentificare", data={
        "csrf_token": token, "username": world.usernames[world.librarian],
        "password": STAFF_PASSWORD,
    })
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_session_cookie_is_secure_over_https(app, client):
    resp = client.get("/copii", base_url="https://localhost")
    with client.session_transaction(base_url="https://localhost") as sess:
        sess["x"] = 1
    resp = client.get("/copii", base_url="https://localhost")
    cookies = resp.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)
