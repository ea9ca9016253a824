"""Open redirects: every route that takes a `next` sends a visitor only to a path of
this site, whatever a prankster puts in it.

Each known bypass is sent to every such route (the language switch, the staff
login's ?next= and its hidden field, the children's start page that the route
policy sends a logged-out child to) and the answer must go to the home page:
not to the target, not to anything a browser would read as another host.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from codekids.redirects import local_path
from tests.conftest import STAFF_PASSWORD

SITE = "http://localhost"

# Each of these leaves the site in some browser, or after one more decoding by a
# proxy, or is simply not a path of ours.
BYPASSES = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\t\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
    "/\u2028/evil.example",
    "\u200b//evil.example",
    "/ /evil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0d%0a/evil.example",
    "/%252F/evil.example",
    "/%25252F/evil.example",
    "https://evil.example",
    "http://evil.example/",
    "HTTPS://evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https:\\\\evil.example",
    "//evil.example@localhost",
    "/\\@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "evil.example/copii",
    ".evil.example",
    "@evil.example",
    "",
    "/" + "a" * 3000,
]

# Paths of our own, which must survive as they are.
OWN_PATHS = [
    "/",
    "/copii?",
    "/cluburi?sort=lines",
    "/cauta?q=Ana%20Maria",
    "/exercitii/3#cod",
    "/@me",
    "/a/b//c",
]


def home_only(resp) -> None:
    """The answer redirects, and only to the home page of this very site."""
    assert resp.status_code in (302, 303), resp.status_code
    location = resp.headers["Location"]
    assert location == "/", f"redirected to {location!r}"
    # And a browser resolving it lands here (a second, independent view).
    assert urlsplit(urljoin(f"{SITE}/language", location)).netloc == "localhost"


def home_or_refused(resp, target: str) -> None:
    """Home, or (for a NUL or other text the site refuses at its edge) a 400 that
    redirects nowhere."""
    if resp.status_code == 400 and any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in target):
        assert "Location" not in resp.headers
        return
    home_only(resp)


@pytest.mark.parametrize("target", BYPASSES)
def test_local_path_refuses_a_bypass(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", OWN_PATHS)
def test_local_path_keeps_our_own_paths(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [None, 42, ["/"], b"/"])
def test_local_path_refuses_what_is_not_text(target):
    assert local_path(target) is None


def _each_bypass(check) -> None:
    """Runs `check(target)` for every bypass; reports every one that got through."""
    failures = []
    for target in BYPASSES:
        try:
            check(target)
        except AssertionError as exc:
            failures.append(f"{target!r}: {exc}")
    assert not failures, "\n".join(failures)


def test_language_switch_goes_home_instead(client):
    _each_bypass(
        lambda target: home_or_refused(
            client.post("/language", data={"lang": "en", "next": target}), target
        )
    )


def test_language_switch_goes_back_to_the_page(client):
    resp = client.post("/language", data={"lang": "hu", "next": "/copii?cod=ABC%20DEF"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/copii?cod=ABC%20DEF"


def _form_field(page: str, form_class_or_action: str, name: str) -> str:
    """The value of the hidden field `name` in the form whose tag mentions the marker."""
    form = re.search(rf"<form[^>]*{re.escape(form_class_or_action)}[^>]*>(.*?)</form>", page, re.S)
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', form.group(1)).group(0)
    value = re.search(r'value="([^"]*)"', field)
    return value.group(1) if value else ""


def _login_next(page: str) -> str:
    return _form_field(page, 'action="/autentificare"', "next")


def test_staff_login_page_drops_a_bypass_from_its_form(client):
    def check(target):
        resp = client.get(f"/autentificare?next={quote(target, safe='')}")
        if resp.status_code == 400:  # refused at the edge (a NUL): no form, no redirect
            home_or_refused(resp, target)
            return
        assert resp.status_code == 200
        assert _login_next(resp.get_data(as_text=True)) == ""

    _each_bypass(check)


def test_staff_login_goes_home_instead(app, world):
    def check(target):
        resp = app.test_client().post(
            "/autentificare",
            data={
                "username": world.usernames[world.librarian],
                "password": STAFF_PASSWORD,
                "next": target,
            },
        )
        home_or_refused(resp, target)

    _each_bypass(check)


def test_staff_login_goes_back_to_the_page_it_was_sent_from(client, world):
    resp = client.get("/cluburi/")  # a staff page, logged out: sent to the login page
    assert resp.status_code == 302
    login = resp.headers["Location"]
    assert login.startswith("/autentificare?next=")
    nxt = _login_next(client.get(login).get_data(as_text=True))
    assert nxt == "/cluburi/?"
    resp = client.post(
        "/autentificare",
        data={
            "username": world.usernames[world.librarian],
            "password": STAFF_PASSWORD,
            "next": nxt,
        },
    )
    # (Werkzeug leaves out the empty query's "?")
    assert resp.status_code == 302 and resp.headers["Location"] == "/cluburi/"


def test_children_start_page_never_follows_next(client):
    def check(target):
        resp = client.get(f"/copii?next={quote(target, safe='')}")
        assert "Location" not in resp.headers
        if resp.status_code == 400:
            home_or_refused(resp, target)
        else:
            assert resp.status_code == 200

    _each_bypass(check)


@pytest.mark.parametrize(
    "path", ["/%09/evil.example", "/%0D/evil.example", "/%5Cevil.example", "/%0A/evil.example"]
)
def test_a_page_the_prankster_made_up_cannot_send_the_language_switch_away(client, path):
    # The language switch on every page, the 404 page included, posts the page's own
    # path back as `next`, and Werkzeug has already decoded that path: a link to
    # /%09/evil.example makes the page post "/<TAB>/evil.example".
    page = client.get(path)
    assert page.status_code == 404
    nxt = _form_field(page.get_data(as_text=True), 'class="lang-switch"', "next")
    assert "evil.example" in nxt
    home_only(client.post("/language", data={"lang": "ro", "next": html.unescape(nxt)}))
