"""Bad input to every route, as every role, on every database: never a 5xx.

Generated from the URL map (``app.url_map.iter_rules()``: every rule, every method).
For each route the test finds the fields it reads: the ones its own page's forms
send (the page is fetched and parsed) and the ones its view reads in code
(``request.form/args`` names and the fields of the WTForms classes it uses). Then,
as each role, it sends:

- out-of-range ids (2^31, 2^63, -1, 0, 10^30, a 5,000-digit number) in every
  integer URL argument, and NUL, huge and undecodable text in every string one;
- NUL and another control character in every query argument and every form field,
  one field at a time (the others as the page would send them);
- out-of-range ids in every field, one at a time and all at once; every field
  huge (100,000 characters) at once; wrong types (a field sent three times,
  fields sent empty);
- JSON bodies: nested 1,000 deep (arrays and objects), too large, broken,
  not UTF-8, NaN, a 5,000-digit number, NUL and lone surrogates in keys and
  strings, out-of-range ids and wrong types in every field.

Every answer must be below 500 and carry the security headers. The run prints the
number of requests it sent for each role and database (``-s`` shows it), and
records it as the test's ``requests`` property. With CODEKIDS_TEST_POSTGRES_URL set
it runs on SQLite and PostgreSQL (tests/conftest.py): the ranges differ (SQLite
takes integers up to 2^63-1, PostgreSQL's ``integer`` up to 2^31-1, and only
PostgreSQL refuses NUL in text), so both matter.
"""

from __future__ import annotations

import inspect
import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import url_for
from sqlalchemy import text
from werkzeug.routing.converters import NumberConverter
from wtforms.fields.core import UnboundField

from codekids.bad_input import IdConverter
from codekids.db import utcnow
from codekids.security_headers import FRAMEABLE_ENDPOINTS
from tests.security.test_role_matrix import target_librarian, url_values  # noqa: F401

# "admin": the national coordinator is the highest role the site has.
PERSONAS = ["anonymous", "child", "librarian", "county_coordinator", "national_coordinator"]
HOME = {
    "anonymous": "/copii",
    "child": "/acasa",
    "librarian": "/cluburi/",
    "county_coordinator": "/coordonare/",
    "national_coordinator": "/coordonare/",
}

OUT_OF_RANGE = ["2147483648", "9223372036854775808", "-1", "0", "1" + "0" * 30]
LONG_NUMBER = "9" * 5000
FIELD_OUT_OF_RANGE = ["2147483648", "9223372036854775808"]
NUL_TEXT = ["nul\x00byte", "esc\x1b[2J"]
HUGE = "x" * 100_000
# Names every route may be sent: hooks read them (next, v), and a page's own forms
# always carry the CSRF token.
ALWAYS = {"next", "v", "csrf_token"}
# Last, because it succeeds with the page's own form values: the child in the URL
# is deleted and later routes would only see "not found".
LAST = ("following.delete_child",)
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")

# request.form.get("x"), form.getlist("x"), request.args["x"], data.get("x"), _body().get("x")
_CODE_NAMES = re.compile(
    r"""(?:request\.(?:form|args|values)|\b(?:form|data|body)|_body\(\))\s*"""
    r"""(?:\.get(?:list)?\(|\[)\s*["'](\w+)["']"""
)
_FORM_CLASSES = re.compile(r"\b([A-Z]\w*Form)\(")


# ---- what each route reads ---------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action, method, and the fields with the values they send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action") or "",
                    "method": (a.get("method") or "get").upper(),
                    "names": set(),
                    "values": [],
                }
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "option" and self._select is not None:
            if "selected" in a or self._select_first is None:
                self._select_first = a.get("value", "")
            return
        name = a.get("name")
        if not name:
            return
        form["names"].add(name)
        kind = (a.get("type") or "text").lower()
        if tag == "input" and kind not in ("submit", "button", "image", "reset"):
            value = a.get("value") or ("y" if kind == "checkbox" else "")
            if kind == "radio":
                # The checked one, else the first: the page's own choice is a valid one.
                form["values"] = [
                    (k, x) for k, x in form["values"] if k != name or "checked" not in a
                ]
                if "checked" in a or name not in {k for k, _x in form["values"]}:
                    form["values"].append((name, value))
                return
            if kind == "checkbox" and "checked" not in a:
                return
            form["values"].append((name, value))
        elif tag == "select":
            self._select, self._select_first = name, None
        elif tag == "textarea":
            self._textarea = name
            form["values"].append((name, ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            if self._select_first is not None:
                self.forms[-1]["values"].append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            name, value = self.forms[-1]["values"][-1]
            self.forms[-1]["values"][-1] = (name, value + data)


def page_form(html: str, path: str, method: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Field names and the values the page's own forms send to `path` with `method`."""
    parser = _Forms()
    parser.feed(html)
    names: set[str] = set()
    values: list[tuple[str, str]] = []
    for form in parser.forms:
        action = urlsplit(form["action"]).path or path
        if action == path and form["method"] == method:
            names |= form["names"]
            if not values:
                values = form["values"]
    return names, values


def code_names(view) -> set[str]:
    """Names the view reads from the request, and the fields of the forms it builds."""
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return set()
    names = set(_CODE_NAMES.findall(source))
    for cls_name in _FORM_CLASSES.findall(source):
        cls = view.__globals__.get(cls_name)
        if isinstance(cls, type):
            names |= {n for n in dir(cls) if isinstance(getattr(cls, n, None), UnboundField)}
    return names


# ---- personas -----------------------------------------------------------------------------


class Visitor:
    """A test client that is one persona for every request (the session is set afresh
    each time from the database, so a route that ends sessions does not end the run)."""

    def __init__(self, app, client, world, persona: str):
        self.app, self.client, self.persona = app, client, persona
        self.user_id = {
            "anonymous": None,
            "child": world.children[1],
            "librarian": world.librarian,
            "county_coordinator": world.county_coordinator,
            "national_coordinator": world.national_coordinator,
        }[persona]
        self.sent = 0
        self.problems: list[str] = []
        self.kinds: dict[str, int] = {}
        self._cookie: str | None = None

    def _session(self) -> None:
        """The persona's session cookie, signed as the site signs it. The session version
        is read again after each write (a route may have ended the persona's sessions)."""
        name = self.app.config["SESSION_COOKIE_NAME"]
        if self.user_id is None:
            self.client.delete_cookie(name)
            return
        if self._cookie is None:
            with self.app.extensions["codekids_engine"].connect() as conn:
                version = conn.execute(
                    text("SELECT session_version FROM users WHERE id = :i"), {"i": self.user_id}
                ).scalar_one()
            serializer = self.app.session_interface.get_signing_serializer(self.app)
            self._cookie = serializer.dumps(
                {
                    "_user_id": f"{self.user_id}:{version}",
                    "_fresh": True,
                    "last_seen": utcnow().isoformat(),
                }
            )
        self.client.set_cookie(name, self._cookie)

    def send(self, what: str, method: str, url: str, **kwargs):
        self._session()
        if method != "GET":
            self._cookie = None  # read the session version again next time
        self.sent += 1
        kind = what.split(" ")[0]
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        try:
            resp = self.client.open(url, method=method, **kwargs)
        except Exception as exc:  # TESTING: an unhandled error propagates here
            self.problems.append(f"{method} {url[:120]} [{what}]: raised {exc!r:.300}")
            return None
        if resp.status_code >= 500:
            self.problems.append(f"{method} {url[:120]} [{what}]: {resp.status_code}")
        missing = [h for h in SECURITY_HEADERS if h not in resp.headers]
        endpoint = self._endpoint(url, method)
        if endpoint not in FRAMEABLE_ENDPOINTS and resp.headers.get("X-Frame-Options") != "DENY":
            missing.append("X-Frame-Options")
        if missing:
            self.problems.append(f"{method} {url[:120]} [{what}]: no {', '.join(missing)}")
        return resp

    def _endpoint(self, url: str, method: str) -> str | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            return adapter.match(urlsplit(url).path, method=method)[0]
        except Exception:
            return None


# ---- the attacks ----------------------------------------------------------------------------


def _form_body(pairs) -> bytes:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode("ascii")


def json_bodies(names: set[str]) -> list[tuple[str, bytes]]:
    """Hostile JSON bodies; the first four are what every route gets (see attack)."""
    keys = sorted(names - ALWAYS) or ["source"]
    dump = json.dumps
    bodies = [
        ("json nested arrays", b"[" * 1000 + b"]" * 1000),
        ("json NUL", dump({k: "a\x00b" for k in keys}).encode()),
        ("json ids 2^63", dump(dict.fromkeys(keys, 2**63)).encode()),
        ("json objects", dump({k: {"a": [1]} for k in keys}).encode()),
        ("json nested arrays, open", b"[" * 1000),
        ("json nested objects", b'{"a":' * 1000 + b"1" + b"}" * 1000),
        ("json nested 100000", b"[" * 100_000 + b"]" * 100_000),
        ("json too large", dump({keys[0]: "x" * 600_000}).encode()),
        ("json broken", b'{"source": "print(1)"'),
        ("json not utf-8", b'{"source": "\xff\xfe"}'),
        ("json NaN", b'{"source": NaN, "project_id": Infinity}'),
        ("json long number", b'{"project_id": ' + LONG_NUMBER.encode() + b"}"),
        ("json NUL key", b'{"a\\u0000b": 1}'),
        (
            "json lone surrogate",
            ("{" + ",".join(f'"{k}": "a\\ud800b"' for k in keys) + "}").encode(),
        ),
        ("json a list", dump([dict.fromkeys(keys, 1)]).encode()),
    ]
    for value in (2**31, -1, 0, 10**30):
        bodies.append((f"json ids {value}", dump(dict.fromkeys(keys, value)).encode()))
    for label, value in (
        ("lists", ["print(1)", 1]),
        ("bools", True),
        ("floats", 1.5),
        ("nulls", None),
    ):
        bodies.append((f"json {label}", dump(dict.fromkeys(keys, value)).encode()))
    return bodies


def _refused(v: Visitor, resp) -> bool:
    """The route policy turned this persona away before any view code ran."""
    if resp is None:
        return False
    if resp.status_code == 403:
        return True
    location = resp.headers.get("Location", "")
    return (
        v.persona == "anonymous"
        and resp.status_code in (302, 303)
        and "next=" in location
        and ("/autentificare" in location or "/copii" in location)
    )


def attack(v: Visitor, app, rule, method: str, values: dict) -> None:
    with app.test_request_context():
        url = url_for(rule.endpoint, **values)
    path = urlsplit(url).path

    # URL arguments: the route policy reads them for every persona.
    for arg, conv in rule._converters.items():
        bad_values = (
            OUT_OF_RANGE + [LONG_NUMBER]
            if _numeric(conv)
            else ["a\x00b", "x" * 5000, "%ED%A0%80", "..%2F..%2Fetc"]
        )
        for bad in bad_values:
            with app.test_request_context():
                good = url_for(
                    rule.endpoint, **{**values, arg: 1 if _numeric(conv) else "SENTINEL0"}
                )
            marker = "/1" if _numeric(conv) else "SENTINEL0"
            bad_url = _replace_arg(good, rule, arg, bad, marker)
            if bad_url:
                v.send(f"url {arg}={bad[:20]!r}", method, bad_url)

    # What the route reads: its page's form, and what its view reads in code.
    view = app.view_functions[rule.endpoint]
    names = set(ALWAYS) | code_names(view)
    baseline: list[tuple[str, str]] = []
    page = v.send("page", "GET", url) if "GET" in rule.methods else None
    if method != "GET" and page is not None and page.mimetype == "text/html":
        found, baseline = page_form(page.get_data(as_text=True), path, method)
        names |= found
    names_sorted = sorted(names)
    takes_json = rule.endpoint.split(".")[0] in app.extensions.get(
        "codekids_json_blueprints", ()
    ) or "json" in inspect.getsource(view)

    def post(what: str, pairs) -> None:
        v.send(
            what,
            method,
            url,
            data=_form_body(pairs),
            content_type="application/x-www-form-urlencoded",
        )

    probe = page if method == "GET" else None
    if probe is None:
        probe = v.send(
            "form as the page sends it",
            method,
            url,
            data=_form_body(baseline),
            content_type="application/x-www-form-urlencoded",
        )
    if _refused(v, probe):
        # Turned away by the route policy before any view ran: the edge and the policy
        # still see everything, so everything is sent, all fields at once.
        for bad in (NUL_TEXT[0], FIELD_OUT_OF_RANGE[1], "x" * 5000):
            v.send(
                f"query all {bad[:8]!r}",
                method,
                f"{url}?{urlencode(dict.fromkeys(names_sorted, bad))}",
            )
        if method != "GET":
            for bad in (NUL_TEXT[0], FIELD_OUT_OF_RANGE[1], HUGE):
                post(f"form all {bad[:8]!r}", [(n, bad) for n in names_sorted])
            for what, body in json_bodies(names)[:4]:
                v.send(what, method, url, data=body, content_type="application/json")
        return

    # Query string: every argument alone with NUL (GET: the view reads them), then
    # all at once with bad ids, huge, repeated.
    if method == "GET":
        for name in names_sorted:
            v.send(f"query {name} NUL", method, f"{url}?{urlencode({name: NUL_TEXT[0]})}")
    else:
        v.send("query all NUL", method, f"{url}?{urlencode(dict.fromkeys(names, NUL_TEXT[0]))}")
    for bad in OUT_OF_RANGE:
        v.send(f"query ids {bad[:12]}", method, f"{url}?{urlencode(dict.fromkeys(names, bad))}")
    v.send("query huge", method, f"{url}?{urlencode(dict.fromkeys(names, 'x' * 5000))}")
    v.send(
        "query repeated",
        method,
        f"{url}?{urlencode([(n, x) for n in names_sorted for x in ('1', 'x', '')])}",
    )
    if method == "GET":
        return

    # Form fields over the page's own values: each field alone with NUL and with an id
    # out of range; each field kept as the page sends it and all others out of range;
    # then all at once.
    def replaced(name: str, value: str):
        return [(k, x) for k, x in baseline if k != name] + [(name, value)]

    for name in names_sorted:
        post(f"form {name} NUL", replaced(name, NUL_TEXT[0]))
        post(f"form {name}=2^63", replaced(name, FIELD_OUT_OF_RANGE[1]))
        kept = [(k, x) for k, x in baseline if k == name]
        post(
            f"form all but {name}=2^31",
            kept + [(n, FIELD_OUT_OF_RANGE[0]) for n in names_sorted if n != name],
        )
    for bad in OUT_OF_RANGE + [LONG_NUMBER, NUL_TEXT[1]]:
        post(f"form all={bad[:12]!r}", [(n, bad) for n in names_sorted])
    post("form all huge", [(n, HUGE) for n in names_sorted])
    post("form all empty", [(n, "") for n in names_sorted])
    post("form all repeated", [(n, x) for n in names_sorted for x in ("1", "x", "")])
    v.send(
        "form not utf-8",
        method,
        url,
        data=b"source=%FF%FE&name=%C3%28",
        content_type="application/x-www-form-urlencoded",
    )

    # JSON bodies: all of them to a route that reads JSON, the first few to the others
    # (the edge refuses any JSON body there).
    bodies = json_bodies(names)
    for what, body in bodies if takes_json else bodies[:4]:
        v.send(what, method, url, data=body, content_type="application/json")
    if takes_json:
        # Each key alone bad, the others text (so the view gets as far as that key).
        keys = sorted(names - ALWAYS)
        for key in keys:
            for label, bad in (
                ("2^63", 2**63),
                ("2^31", 2**31),
                ("-1", -1),
                ("list", ["x"]),
                ("NUL", "a\x00b"),
            ):
                body = {**dict.fromkeys(keys, "print(1)"), key: bad}
                v.send(f"json {key}={label}", method, url, json=body)
    v.send("json as text/plain", method, url, data=b"[" * 1000, content_type="text/plain")


def _numeric(conv) -> bool:
    return isinstance(conv, NumberConverter | IdConverter)


def _replace_arg(good: str, rule, arg: str, bad: str, marker: str) -> str | None:
    """`good` (built with a marker value for `arg`) with the marker swapped for `bad`."""
    split = urlsplit(good)
    path = split.path
    if marker == "/1":
        # The marker is the id 1: find the segment that holds it in the rule's order.
        parts = path.split("/")
        rule_parts = rule.rule.split("/")
        for i, piece in enumerate(rule_parts):
            if f":{arg}>" in piece and i < len(parts):
                prefix = piece.split("<", 1)[0]
                suffix = piece.rsplit(">", 1)[1]
                parts[i] = prefix + bad + suffix
                return "/".join(parts) + (f"?{split.query}" if split.query else "")
        return None
    encoded = bad if "%" in bad else quote(bad, safe="")
    return good.replace(marker, encoded, 1)


def routes(app):
    """Every rule and method, reads first; LAST at the very end."""
    order = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in LAST, r.rule)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}, key=lambda m: m != "GET"):
            order.append((rule, method))
    # OPTIONS and HEAD are Flask's own: one bad-id request each is enough.
    return order


@pytest.mark.parametrize("persona", PERSONAS)
def test_bad_input_never_gets_a_server_error(
    app,
    client,
    world,
    target_librarian,  # noqa: F811
    persona,
    record_property,
    database_url,
):
    v = Visitor(app, client, world, persona)
    # The persona really is logged in (a change to how sessions work must not turn
    # this into a test of anonymous visitors only).
    first = v.send("home", "GET", "/")
    assert first is not None and HOME[persona] in first.headers.get("Location", "")

    for rule, method in routes(app):
        attack(v, app, rule, method, url_values(rule, app, world, target_librarian))
    for rule in app.url_map.iter_rules():
        for method in ("HEAD", "OPTIONS"):
            if method in rule.methods:
                for arg, conv in rule._converters.items():
                    if _numeric(conv):
                        with app.test_request_context():
                            good = url_for(
                                rule.endpoint,
                                **{**url_values(rule, app, world, target_librarian), arg: 1},
                            )
                        bad = _replace_arg(good, rule, arg, OUT_OF_RANGE[1], "/1")
                        if bad:
                            v.send(f"{method} {arg}", method, bad)

    last = v.send("home again", "GET", "/")
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    record_property("requests", v.sent)
    print(
        f"\nbad input, {backend}, {persona}: {v.sent} requests ({v.kinds}), "
        f"{len(v.problems)} problems"
    )
    assert last is not None and HOME[persona] in last.headers.get("Location", "")
    assert not v.problems, f"{len(v.problems)} of {v.sent} requests:\n" + "\n".join(
        v.problems[:200]
    )
