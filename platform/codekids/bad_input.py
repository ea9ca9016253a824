"""Bad input at the edge: every request gets a clear 4xx answer, never a 5xx.

What a visitor sends is checked here, before any view and before any database call,
so that nothing the database cannot hold (an id beyond its integer range, a NUL
byte, a lone surrogate) ever reaches it, on SQLite or on PostgreSQL:

- **Ids in URLs**: the ``id`` converter (``<id:club_id>``) matches 1..2^31-1 only
  (PostgreSQL's ``integer``); anything else matches no route and is "not found"
  (404), answered by the edge check below before the route policy (or anything
  else) loads the user.
- **Ids in forms, query strings and JSON**: ``parse_id`` is the one parser (an int
  in range, else None). ``IdField`` / ``IdListField`` are the form fields built on
  it: an id out of range or not a number is a form error in our words ("Please
  choose one of the options."), and the view is never handed it.
- **Invalid text**: NUL, the other C0 control characters (tab, newline and
  carriage return excepted) and lone surrogates, anywhere in the path, the query
  string, the form (names and values) or a JSON body (keys and strings).
  We chose ONE ``before_request`` check over all of them rather than a check in
  every form: it runs first (right after the request id is set), before the route
  policy loads the user, so no database call is made at all, for every route old
  and new, including the plain ``request.form`` views that have no form class.
  The answer is a 400: for the JSON API ``{"error": {"code": "bad_text", ...}}``,
  for a page an error page that says in a child's words what is wrong ("what you
  sent has characters in it that are not text ...") with a link back. A form of
  ours never produces such characters; they come from a paste of binary junk or
  a prank, and the page sent back does not echo them.
- **JSON bodies**: one parser (``json_body``) with a size limit (``JSON_MAX_BYTES``,
  413 ``too_large``) and a nesting limit (``JSON_MAX_DEPTH``, 400 ``bad_json``);
  broken JSON, bytes that are not UTF-8, NaN/Infinity and numbers Python will not
  read are ``bad_json`` too. Blueprints whose routes read JSON declare it with
  ``takes_json(bp)``: the edge parses their bodies (and any body sent as JSON to
  any route) before anything else runs; views read the parsed value.
- **Server errors**: the 500 handler rolls the database session back and renders
  without the database: the error page shows the user only as far as the request
  had already loaded it (``_AsLoaded``), never looking anything up, and the
  context processors then need no query either. If rendering fails anyway,
  ``_LastResort`` (the outermost WSGI layer inside the proxy fix, which gunicorn's
  workers call) answers a static page of ours instead of gunicorn's bare one, and
  it puts the security headers on every response that lacks them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from html import escape
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, ValidationError
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import StopValidation

from codekids import security_headers

log = logging.getLogger(__name__)

# PostgreSQL's `integer`, the type of every id column; SQLite would take up to 2^63-1.
ID_MIN, ID_MAX = 1, 2**31 - 1
_ID_DIGITS = len(str(ID_MAX))

# The largest JSON body any JSON route needs: a program (64 KB) and its input (64 KB),
# escaped (a newline becomes two characters), with room to spare.
JSON_MAX_BYTES = 512 * 1024
# Our own pages send objects two levels deep; 20 leaves room for API clients.
JSON_MAX_DEPTH = 20

# Characters no form of ours and no keyboard produces, that PostgreSQL refuses (NUL)
# or that cannot be encoded at all (lone surrogates): C0 controls except tab, newline
# and carriage return (text areas carry those), and U+D800..U+DFFF.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

MESSAGES = {
    "bad_text": _l(
        "What you sent has characters in it that are not text. Did you paste "
        "something by mistake? Go back, delete them and try again."
    ),
    "bad_address": _l(
        "This address has characters in it that are not text. Check the link and try again."
    ),
    # The same words the JSON API already uses for a body it cannot read.
    "bad_json": _l("We did not understand what the page sent. Reload the page and try again."),
    "too_large": _l("What you sent is too large."),
}
STATUS = {"bad_text": 400, "bad_address": 400, "bad_json": 400, "too_large": 413}


class BadInput(BadRequest):
    """Refused at the edge; ``error_code`` is what the JSON answer names."""

    def __init__(self, error_code: str):
        super().__init__(error_code)
        self.error_code = error_code
        self.code = STATUS[error_code]


# ---- ids ----------------------------------------------------------------------------


def parse_id(value) -> int | None:
    """An id as the database can hold it (ID_MIN..ID_MAX), from an int or a string of
    ASCII digits; anything else (a bool, a float, "1e3", "-1", 2**63, "١") is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if ID_MIN <= value <= ID_MAX else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    # Length first: int() of a long digit string is slow (and refused past 4,300 digits).
    if not value or len(value) > _ID_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if ID_MIN <= number <= ID_MAX else None


def parse_ids(values) -> list[int] | None:
    """Every value an id (see parse_id), or None when any one is not."""
    ids = [parse_id(v) for v in values]
    return None if any(i is None for i in ids) else ids


class IdConverter(BaseConverter):
    """``<id:name>``: a database id in the URL; out of range is "not found"."""

    regex = r"[0-9]+"
    weight = 50  # as werkzeug's own int converter: more specific than a string

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


CHOICE_MESSAGE = _l("Please choose one of the options.")


def _coerce_id(value) -> int | None:
    # WTForms calls coerce for defaults and for each offered choice: never raises.
    return parse_id(value)


class _IdChoices:
    """What IdField and IdListField share: values parsed by parse_id, one message.

    A bad value is a process error (shown on the field); the field's other
    validators do not run then, so the message is not said twice.
    """

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)


class IdField(_IdChoices, SelectField):
    """One id chosen from a list (a <select> or radio buttons of ids). ``data`` is an
    int or None (nothing chosen)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=_coerce_id, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        self.data = parse_id(valuelist[0])
        if self.data is None:
            raise ValueError(str(CHOICE_MESSAGE))


class IdListField(_IdChoices, SelectMultipleField):
    """Several ids (checkboxes). ``data`` is a list of ints."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, coerce=_coerce_id, **kwargs)

    def process_formdata(self, valuelist):
        ids = parse_ids(valuelist)
        self.data = ids or []
        if ids is None:
            raise ValueError(str(CHOICE_MESSAGE))


# ---- JSON -----------------------------------------------------------------------------

_JSON_BLUEPRINTS = "codekids_json_blueprints"
_PARSED = "_codekids_json"


def takes_json(bp: Blueprint) -> Blueprint:
    """Declare that the routes of `bp` read a JSON body (whatever its Content-Type):
    the edge parses it, within the limits, before anything else runs."""
    bp.record_once(
        lambda state: state.app.extensions.setdefault(_JSON_BLUEPRINTS, set()).add(bp.name)
    )
    return bp


def _refuse_constant(_name: str):
    raise ValueError("NaN and Infinity are not JSON")


def parse_json(raw: bytes):
    """Standard JSON within the limits, its strings free of invalid text; else BadInput."""
    if len(raw) > JSON_MAX_BYTES:
        raise BadInput("too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("bad_json") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the interpreter's own limit.
        raise BadInput("bad_json") from None
    _check_json_value(data)
    return data


def _check_json_value(data) -> None:
    """Depth and text of every value, without recursion (the value may be deep)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _BAD_TEXT.search(value):
                raise BadInput("bad_text")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > JSON_MAX_DEPTH:
            raise BadInput("bad_json")
        if isinstance(value, dict):
            for key, item in value.items():
                if _BAD_TEXT.search(key):
                    raise BadInput("bad_text")
                stack.append((item, depth + 1))
        else:
            stack.extend((item, depth + 1) for item in value)


def json_body():
    """The request's JSON body, parsed once (by the edge for JSON routes); None when the
    body is empty. Raises BadInput for a body the limits refuse."""
    if _PARSED not in g:
        raw = request.get_data(cache=True)
        setattr(g, _PARSED, parse_json(raw) if raw else None)
    return g.get(_PARSED)


def _json_route() -> bool:
    blueprints = current_app.extensions.get(_JSON_BLUEPRINTS, ())
    return any(name in blueprints for name in request.blueprints)


# ---- the edge ---------------------------------------------------------------------------


def _bad_text_in(multidict) -> bool:
    for key, values in multidict.lists():
        if _BAD_TEXT.search(key) or any(_BAD_TEXT.search(v) for v in values if isinstance(v, str)):
            return True
    return False


def check_request():
    """before_request, first after the request id: refuse what the database must never see."""
    if _BAD_TEXT.search(request.path) or _BAD_TEXT.search(request.remote_addr or ""):
        return refusal(BadInput("bad_address"))
    if _bad_text_in(request.args):
        return refusal(BadInput("bad_address"))
    if request.routing_exception is not None:
        # No route matched (an id out of range included): answer now. The hooks after
        # this one (the route policy, idle logout) would load the user for nothing.
        raise request.routing_exception
    try:
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if _bad_text_in(request.form):
                raise BadInput("bad_text")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if _json_route():
                json_body()
            elif request.is_json:
                # A page's form sent as JSON: Flask-WTF would hand its numbers, lists and
                # objects to fields that expect text. None of our pages does that.
                raise BadInput("bad_json")
    except BadInput as refused:
        return refusal(refused)
    return None


def _wants_json() -> bool:
    return request.is_json or _json_route()


def refusal(refused: BadInput):
    """The answer to input refused at the edge: JSON for JSON routes, else a page."""
    _freeze_user()  # before the message: choosing its language must not load the user
    if _wants_json():
        message = str(MESSAGES[refused.error_code])
        return jsonify({"error": {"code": refused.error_code, "message": message}}), refused.code
    return error_page(refused.code, MESSAGES[refused.error_code], refused=True)


# ---- error pages without the database ---------------------------------------------------


class _AsLoaded:
    """The request's user as far as it was already loaded, for an error page: reading it
    never queries. Columns come from a copy of the loaded state; properties (label,
    is_child, is_authenticated) are computed from those; anything not loaded is None."""

    def __init__(self, user):
        from sqlalchemy import inspect

        self._cls = type(user)
        self._state = dict(inspect(user).dict)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._cls, name, None)
        if isinstance(attr, property):
            return attr.fget(self)
        if callable(attr) and not hasattr(attr, "property"):  # a method, e.g. get_id
            return attr.__get__(self, self._cls)
        return self._state.get(name)


def _freeze_user() -> None:
    """Put the user the request loaded (or nobody) in place of a lazy lookup."""
    from sqlalchemy.exc import NoInspectionAvailable

    user = g.get("_login_user")
    if user is None:
        g._login_user = current_app.login_manager.anonymous_user()
        return
    if isinstance(user, _AsLoaded):
        return
    try:
        g._login_user = _AsLoaded(user)
    except NoInspectionAvailable:  # the anonymous user: nothing to load
        pass


def roll_back() -> None:
    """Roll back the request's session, if it has one; never raises."""
    sess = g.get("db_session")
    if sess is None:
        return
    try:
        sess.rollback()
    except Exception:  # a dead connection: the pool replaces it
        log.warning("rolling back after an error failed", exc_info=True)


def quiet_database() -> None:
    """For a 500: keep what the request loaded of the user, then roll back."""
    _freeze_user()
    roll_back()


def _same_site_referrer() -> str | None:
    """The page of this site the visitor came from, as a path (never //host or /\\host)."""
    ref = request.referrer or ""
    parts = urlsplit(ref)
    if not ref or parts.netloc != request.host or _BAD_TEXT.search(ref):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def error_page(code: int, message, *, refused: bool = False):
    """The site's error page. It never queries: the user is shown as the request had
    already loaded them, or not at all. A `refused` request's address is not echoed
    (the language switch goes to the start); the page links back to the referring
    page of this site instead."""
    _freeze_user()
    extra = {"back_url": _same_site_referrer(), "lang_next": ""} if refused else {}
    return render_template("errors/error.html", code=code, message=str(message), **extra), code


SERVER_ERROR = _l("Something broke on our side. Your work is saved; please try again in a minute.")


def server_error_page(_error=None):
    """The 500 handler: roll back, then the page, without the database."""
    quiet_database()
    return error_page(500, SERVER_ERROR)


# ---- the last resort: a page of ours, and the headers, on every response -----------------


class _LastResort:
    """WSGI layer between the proxy fix and Flask.

    - A response without the security headers (an after_request hook failed before
      they were set) gets them.
    - An exception that escapes Flask (the 500 handler itself failed) becomes a static
      500 page of ours with the headers, instead of the server's bare page.
    Views build their bodies before the response starts (no streaming), so every
    failure happens before the first byte goes out.
    """

    def __init__(self, app: Flask, inner):
        self.app = app
        self.inner = inner
        self._page: bytes | None = None

    def _headers(self, environ, present) -> list[tuple[str, str]]:
        names = {name.lower() for name, _value in present}
        if "content-security-policy" in names:
            return []
        https = environ.get("wsgi.url_scheme") == "https"
        settings = self.app.config["CODEKIDS"]
        return [
            (k, v)
            for k, v in security_headers.headers_for(
                frameable=False, nonce=None, https=https, hsts_seconds=settings.hsts_seconds
            )
            if k.lower() not in names
        ]

    def __call__(self, environ, start_response):
        started = []

        def start(status, headers, exc_info=None):
            started.append(True)
            headers = list(headers) + self._headers(environ, headers)
            return start_response(status, headers, exc_info)

        try:
            return self.inner(environ, start)
        except Exception:
            propagate = self.app.config.get("PROPAGATE_EXCEPTIONS")
            if propagate or (propagate is None and (self.app.testing or self.app.debug)):
                raise  # as Flask: tests and the debugger want the traceback itself
            log.exception("the error page itself failed; answering the static page")
            body = self.page()
            headers = [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ]
            # exc_info only if Flask had started a response: the server then replaces it.
            start_response(
                "500 INTERNAL SERVER ERROR",
                headers + self._headers(environ, headers),
                sys.exc_info() if started else None,
            )
            return [body]

    def page(self) -> bytes:
        """The static page, in the site's default language (made once, without a request
        of the visitor's: theirs just failed)."""
        if self._page is None:
            locale = self.app.config["CODEKIDS"].default_locale
            try:
                with self.app.test_request_context("/"), force_locale(locale):
                    message, back, title = (
                        str(SERVER_ERROR),
                        _("Back to the start"),
                        _("CODE Kids"),
                    )
            except Exception:
                log.exception("could not translate the static error page")
                message, back, title = "500", "CODE Kids", "CODE Kids"
            self._page = (
                f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>500 · {escape(title)}</title>"
                '<link rel="stylesheet" href="/static/css/site.css"></head><body>'
                f'<header class="site-header"><a class="brand" href="/">{escape(title)}</a>'
                '</header><main id="main"><section class="card error-page">'
                f'<h1 role="alert">{escape(message)}</h1>'
                f'<p><a class="button" href="/">{escape(back)}</a></p>'
                "</section></main></body></html>"
            ).encode()
        return self._page


def init_app(app: Flask) -> None:
    """Before the blueprints (their rules use the converter) and before the proxy fix
    wraps the WSGI app. Its hook, check_request, is registered by codekids/plumbing.py,
    before the route policy (the edge runs first)."""
    app.url_map.converters["id"] = IdConverter
    app.wsgi_app = _LastResort(app, app.wsgi_app)
