"""Request plumbing shared by every room: login manager, CSRF, idle logout, proxies,
and friendly error pages. codekids/plumbing.py registers the hooks and handlers
defined here, in the order they run."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, g, redirect, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.middleware.proxy_fix import ProxyFix

from codekids import db
from codekids.accounts import service as accounts
from codekids.accounts.models import User
from codekids.bad_input import error_page
from codekids.db import utcnow

# Where plumbing.init_app puts its NO_USER_ENDPOINTS (read by the two functions below).
NO_USER = "codekids_no_user_endpoints"


class UnreadSession(SecureCookieSession):
    """The session of a request that needs none (plumbing.NO_USER_ENDPOINTS): its cookie
    is neither verified nor decoded, and nothing written to it is ever saved, so the
    browser's real session cookie is left exactly as it was."""


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS
    (directly, or through a trusted proxy: see CODEKIDS_TRUSTED_PROXIES), and
    always when CODEKIDS_SECURE_COOKIES is on.

    A request for an endpoint that needs no user (a static file, the public counter,
    /healthz) does not open the session at all: checking the cookie's signature and
    decoding it was a third of a static file's CPU. The session opens before Flask
    matches the URL, so these requests are known by their paths, read once from the
    URL map (`no_session_paths`)."""

    def __init__(self) -> None:
        self._paths: tuple[frozenset[str], tuple[str, ...]] | None = None

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if self._paths is None:
            self._paths = no_session_paths(app)
        exact, prefixes = self._paths
        path = request.path
        if path in exact or path.startswith(prefixes):
            return UnreadSession()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if isinstance(session, UnreadSession):
            return
        super().save_session(app, session, response)


def no_session_paths(app: Flask) -> tuple[frozenset[str], tuple[str, ...]]:
    """The paths of the endpoints that need no user: a rule without variables by its
    path ("/healthz"), one with variables by what comes before them ("/static/").
    tests/unit/test_request_floor.py checks that no other rule starts with a prefix."""
    endpoints = app.extensions.get(NO_USER, frozenset())
    exact, prefixes = set(), set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in endpoints:
            continue
        if rule.arguments:
            prefixes.add(rule.rule.split("<", 1)[0])
        else:
            exact.add(rule.rule)
    return frozenset(exact), tuple(sorted(prefixes))


def no_user():
    """before_request, right after the request id: a request for an endpoint that needs
    no user has none. Anonymous from the start, so no later hook (the idle logout, the
    temporary password's redirect), no error page and no log line loads one, even when
    the browser sends a session or remember-me cookie."""
    if request.endpoint in current_app.extensions.get(NO_USER, ()):
        g._login_user = login_manager.anonymous_user()


login_manager = LoginManager()
csrf = CSRFProtect()


# Every request of a logged-in user runs this: built once, since building a select()
# and computing its cache key afresh cost more CPU than fetching the row. The user's
# club (a child's, with its county: Club.county is joined) comes in the same query,
# so the loader checks the club is open and no page queries for the club again.
# (Built at the first request: the mappers are complete only once every room's models
# are imported.)
@functools.cache
def _user_by_id():
    return select(User).options(joinedload(User.club)).where(User.id == bindparam("uid"))


@login_manager.user_loader
def _load_user(user_id: str):
    """The session's user, or None (anonymous) when the session was ended on the server.

    The cookie holds ``"<id>:<session_version>"`` (User.get_id), signed but stored by
    the browser: whoever copied it could replay it. So every request compares the
    version with the row's, and every event that must end sessions bumps the row's:
    logout (accounts/views.py), a new password (accounts/service.set_password), a
    child's new secret and deactivating a child, a staff account or a club
    (clubs/service.py). Deactivations are also checked here directly, so they hold
    even for a session whose version was not bumped.
    """
    try:
        raw_id, version = user_id.split(":", 1)
        uid, ver = int(raw_id), int(version)
    except (AttributeError, ValueError):
        return None
    user = db.session.execute(_user_by_id(), {"uid": uid}).scalar()
    if user is None:
        return None
    if user.session_version != ver or not user.active:
        return None
    if user.is_child and (user.club is None or not user.club.active):
        return None  # a deactivated club's children are logged out at their next request
    return user


# How stale ``last_seen`` may get before a request writes it again.
_LAST_SEEN_STEP = timedelta(minutes=1)


def idle_logout():
    """Shared library PCs: a session nobody touched for a while ends by itself.

    Without bumping session_version: ``last_seen`` travels inside the signed cookie,
    so every copy of this stale cookie is as stale and ends here too, while the same
    child's live session on another PC (a stale cookie left on last week's PC is
    sent when the next child opens the site there) keeps working. The page's own
    idle timer (static/js/site.js) posts the logout form, which does bump it.
    """
    if not current_user.is_authenticated:
        return None
    limit = timedelta(minutes=_idle_minutes())
    now = utcnow()
    last = session.get("last_seen")
    if last is not None:
        try:
            seen = datetime.fromisoformat(last)
        except (TypeError, ValueError):
            seen = None
        if seen is not None and now - seen > limit:
            target = accounts.page_after_logout(current_user)
            accounts.end_session()
            flash(_("You were logged out because nobody used the site for a while."), "info")
            return redirect(target)
        if seen is not None and timedelta(0) <= now - seen < _LAST_SEEN_STEP:
            # Recorded less than a minute ago: leave the session untouched, so the
            # response carries no new session cookie (re-serialising and re-signing it
            # on every request cost CPU under load). The limit is never loosened: a
            # session can only end up to a minute *sooner*, never later.
            return None
    session["last_seen"] = now.isoformat()
    return None


def _idle_minutes() -> int:
    return current_app.config["CODEKIDS"].idle_logout_minutes


def idle_timer() -> dict:
    """Context processor: the page's own idle timer (static/js/site.js) knows the limit."""
    return {"idle_minutes": _idle_minutes()}


# ---- friendly error pages ------------------------------------------------------------
# Error pages never query (bad_input.error_page): lazy messages, so that choosing
# their language does not load the user either.


def csrf_error(_e):
    return error_page(400, _l("This page was open too long. Please go back, "
                              "reload it and try again."))


def forbidden(_e):
    return error_page(403, _l("This page is not for your account."))


def not_found(_e):
    return error_page(404, _l("We could not find this page."))


def too_large(_e):
    return error_page(413, _l("What you sent is too large."))


def init_app(app: Flask) -> None:
    """What is not a hook: the proxy fix, the session cookie and Flask-Login's mode.
    (plumbing.init_app binds Flask-Login and CSRF at their place among the hooks.)"""
    settings = app.config["CODEKIDS"]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = SessionInterface()
    login_manager.session_protection = "basic"
