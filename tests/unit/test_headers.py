"""Security headers on every response; the child's pages run no inline script."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import url_for

from codekids.security_headers import FRAMEABLE_ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]


def directives(resp) -> dict[str, str]:
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:])
            for part in (p.strip() for p in policy.split(";")) if part}


def assert_strict(resp):
    d = directives(resp)
    assert d["default-src"] == "'self'"
    assert d["script-src"] == "'self'"  # no 'unsafe-inline', no nonce, no eval
    assert d["object-src"] == "'none'"
    assert d["base-uri"] == "'self'"
    assert d["form-action"] == "'self'"
    assert d["img-src"] == "'self' data:"
    assert "'unsafe-inline'" not in d["style-src"]
    assert d["style-src"].startswith("'self'")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_a_normal_page_refuses_frames_and_inline_script(client):
    resp = client.get("/autentificare")
    assert resp.status_code == 200
    assert_strict(resp)
    assert directives(resp)["frame-ancestors"] == "'none'"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in resp.headers  # plain HTTP: a club laptop


@pytest.mark.parametrize("path", ["/no-such-page", "/healthz-not", "/static/js/site.js"])
def test_error_pages_and_static_files_carry_the_headers_too(client, path):
    resp = client.get(path)
    assert_strict(resp)
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_the_embeddable_counter_may_be_framed_by_any_site(client):
    resp = client.get("/counter/embed")
    assert resp.status_code == 200
    assert_strict(resp)
    assert directives(resp)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in resp.headers
    assert FRAMEABLE_ENDPOINTS == {"counter.embed"}  # a new exception is a decision


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    resp = client.get("/", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("trusted, expected", [(0, False), (1, True)])
def test_hsts_behind_a_proxy_only_when_the_proxy_is_trusted(app_config, trusted, expected):
    from codekids import create_app

    app = create_app({**app_config, "trusted_proxies": trusted})
    resp = app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in resp.headers) is expected
    app.extensions["codekids_engine"].dispose()


class _Scripts(HTMLParser):
    """Collects inline scripts, inline event handlers and inline styles."""

    def __init__(self):
        super().__init__()
        self.inline_scripts, self.handlers, self.styles, self.metas = [], [], [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not a.get("src") and a.get("type") != "application/json":
            # A JSON data block is never executed (and CSP does not govern it).
            self.inline_scripts.append(a)
        if tag == "style":
            self.styles.append(a)
        if tag == "meta" and a.get("name"):
            self.metas[a["name"]] = a.get("content")
        self.handlers += [name for name, _ in attrs
                          if name.startswith("on") or (name == "style")
                          or (name in ("href", "src", "action")
                              and (_ or "").strip().lower().startswith("javascript:"))]


def parse(html: str) -> _Scripts:
    p = _Scripts()
    p.feed(html)
    return p


def test_the_child_exercise_page_has_no_inline_script(app, client, world):
    from codekids import db
    from codekids.accounts.models import User

    with app.app_context():
        user = db.session.get(User, world.children[0])
        ident = f"{user.id}:{user.session_version}"
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"], sess["locale"] = ident, True, "en"
    resp = client.get("/exercitii/hello")
    assert resp.status_code == 200
    assert_strict(resp)
    page = parse(resp.get_data(as_text=True))
    assert page.inline_scripts == []
    assert page.handlers == []
    assert page.styles == []
    # The editor's run-time <style> elements carry this response's nonce, and only it.
    nonce = page.metas["csp-nonce"]
    assert len(nonce) >= 16
    assert directives(resp)["style-src"] == f"'self' 'nonce-{nonce}'"
    again = parse(client.get("/exercitii/hello").get_data(as_text=True)).metas["csp-nonce"]
    assert again != nonce  # one per request


def test_the_librarians_cards_page_has_no_inline_script(client, world, login):
    login(world.librarian)
    with client.application.test_request_context():
        url = url_for("clubs.cards", club_id=world.club)
    resp = client.get(url)
    assert resp.status_code == 200
    page = parse(resp.get_data(as_text=True))
    assert page.inline_scripts == [] and page.handlers == []


SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_template_holds_an_inline_script_or_handler():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if SCRIPT_WITHOUT_SRC.search(text) or HANDLER.search(text) or "<style" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
