"""Request plumbing shared by every room: login manager, CSRF, the route policy,
idle logout, proxies, and friendly error pages."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import bindparam, select
from werkzeug.middleware.proxy_fix import ProxyFix

from codekids import db, security_policy
from codekids.accounts.models import User
from codekids.db import utcnow


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS
    (directly, or through a trusted proxy: see CODEKIDS_TRUSTED_PROXIES), and
    always when CODEKIDS_SECURE_COOKIES is on."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


login_manager = LoginManager()
csrf = CSRFProtect()


# Every request of a logged-in user runs this: built once, since building a select()
# and computing its cache key afresh cost more CPU than fetching the row.
_USER_BY_ID = select(User).where(User.id == bindparam("uid"))


@login_manager.user_loader
def _load_user(user_id: str):
    try:
        raw_id, version = user_id.split(":", 1)
        uid, ver = int(raw_id), int(version)
    except ValueError:
        return None
    user = db.session.scalar(_USER_BY_ID, {"uid": uid})
    # A bumped session_version (new password, new secret, deactivation) ends old sessions.
    if user is None or user.session_version != ver or not user.active:
        return None
    return user


# How stale ``last_seen`` may get before a request writes it again.
_LAST_SEEN_STEP = timedelta(minutes=1)


def _idle_logout():
    """Shared library PCs: a session nobody touched for a while ends by itself."""
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
            club = current_user.club if current_user.is_child else None
            target = (url_for("auth.child_pick", code=club.join_code) if club is not None
                      else url_for("auth.child_start" if current_user.is_child
                                   else "auth.staff_login"))
            locale = session.get("locale")
            logout_user()
            session.clear()
            if locale:
                session["locale"] = locale
            flash(_("You were logged out because nobody used the site for a while."), "info")
            # A child goes back to their club's nickname list: the next child at
            # this PC only has to find their own name.
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


def init_app(app: Flask) -> None:
    settings = app.config["CODEKIDS"]
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(security_policy.enforce)
    app.before_request(_idle_logout)

    @app.context_processor
    def _page_globals():
        return {"idle_minutes": settings.idle_logout_minutes}

    @app.errorhandler(CSRFError)
    def _csrf_error(_e):
        return render_template("errors/error.html", code=400,
                               message=_("This page was open too long. Please go back, "
                                         "reload it and try again.")), 400

    @app.errorhandler(403)
    def _forbidden(_e):
        return render_template("errors/error.html", code=403,
                               message=_("This page is not for your account.")), 403

    @app.errorhandler(404)
    def _not_found(_e):
        return render_template("errors/error.html", code=404,
                               message=_("We could not find this page.")), 404

    @app.errorhandler(413)
    def _too_large(_e):
        return render_template("errors/error.html", code=413,
                               message=_("What you sent is too large.")), 413

    @app.errorhandler(500)
    def _server_error(_e):
        return render_template("errors/error.html", code=500,
                               message=_("Something broke on our side. Your work is saved; "
                                         "please try again in a minute.")), 500
