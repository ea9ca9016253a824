"""What runs on every request, registered in one place, in the order it runs.

An assembler (like the factory): it imports the rooms and no room imports it. The
functions live in their own modules; only their registration is here, so a reader
follows a request from top to bottom:

    around it all   WSGI middleware: web.init_app's proxy fix (outermost) and
                    bad_input.init_app's last-resort answer (not hooks: set up there)
    0. no user      NO_USER_ENDPOINTS: their session cookie is never read
                    (web.SessionInterface) and they stay anonymous (web.no_user)
    1. before the view   BEFORE_EACH_REQUEST, in order
    2. while it renders  URL defaults, template globals, filters, context processors
    3. when it fails     ERROR_HANDLERS
    4. after the view    AFTER_EACH_REQUEST, in order
    5. at the very end   the database session is closed

A step that is an extension (Flask-WTF's CSRFProtect, Flask-Login's LoginManager) registers
its own hook where it stands in the list (its ``init_app`` is called there); it also
gives the templates a name or two (``csrf_token()``, ``current_user``).

Left with their blueprint, because they concern only it: the login pages' device
cookie (``after_request`` of the ``auth`` and ``child_login`` blueprints,
accounts/devices.py) and the JSON API's error handlers (learning/api.py answers
errors in JSON, not pages).

No template global or context processor here queries the database: each reads the
request, the session's locale, the settings or a catalog (tests/unit/test_plumbing.py
counts the queries run while pages render). A page's data comes from its view.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError

from codekids import (
    bad_input,
    collation,
    db,
    i18n,
    logs,
    security_headers,
    security_policy,
    static_files,
    web,
)
from codekids.accounts import views as accounts_views
from codekids.learning import views as learning_views

# ---- 0. requests that need no user ---------------------------------------------------
# Their session cookie is not even read (web.SessionInterface), and they are anonymous
# from the first hook on (web.no_user): no query loads a user, no database session is
# opened by any hook. What they answer is the same for everyone. A new endpoint here
# must not read the session or the user (tests/unit/test_request_floor.py).
NO_USER_ENDPOINTS = frozenset({
    "static",  # the site's files
    "health.healthz",  # the load balancer's probe
    "counter.api",  # the public figures, polled by other websites
    "counter.embed",  # framed by other websites; its language comes from its URL
})

# ---- 1. before the view, in the order they run ----------------------------------------
# The first hook that returns a response ends the request there (the later ones do not run).
BEFORE_EACH_REQUEST = (
    # First: the clock and the request id, which every later hook's log line carries.
    logs.start_request,
    # Before anything asks for the user: the endpoints above have none.
    web.no_user,
    # The edge: bytes the database must never see, and URLs no route matches, refused
    # before anything below loads the user or checks a token.
    bad_input.check_request,
    # Flask-WTF: a POST without this session's CSRF token is refused.
    web.csrf,
    # The route table: may this user's role use this route? (loads the user)
    security_policy.enforce,
    # Shared library PCs: a session nobody touched for a while ends.
    web.idle_logout,
    # A temporary password opens only the page that changes it.
    accounts_views.force_password_change,
)

# ---- 2. while the view renders ----------------------------------------------------------
TEMPLATE_GLOBALS = {
    "csp_nonce": security_headers.csp_nonce,  # this request's nonce for the editor's <style>
    "picture_label": accounts_views.picture_label,  # a secret picture's name, its alt text
    "turtle_drawing": learning_views.turtle_drawing,  # a drawing's frame, drawn by the server
    "js_texts": learning_views.js_texts,  # the few texts only the page's script shows
}
TEMPLATE_FILTERS = {
    "number": i18n.format_number,  # 3.000.000 / 3 000 000 / 3,000,000
    "local_date": i18n.format_local_date,  # stored UTC times, in the site's zone
    "local_time": i18n.format_local_time,
    "local_datetime": i18n.format_local_datetime,
    "alphabetical": collation.alphabetical,  # lists in the reader's alphabet
    "markdown": learning_views.markdown_filter,  # an exercise's statement and hints
    "mark_column": learning_views.mark_column,  # the first difference in an output line
}
CONTEXT_PROCESSORS = (
    i18n.languages,  # the language switch and the page's language
    web.idle_timer,  # the page's idle timer knows when the server logs out
)

# ---- 3. when the view (or a hook) fails ---------------------------------------------------
# Friendly pages that never query; a 500 rolls the session back first.
ERROR_HANDLERS = (
    (CSRFError, web.csrf_error),  # a form open too long: its token expired
    (403, web.forbidden),
    (404, web.not_found),
    (413, web.too_large),
    (500, bad_input.server_error_page),
)

# ---- 4. after the view, in the order they run -------------------------------------------
AFTER_EACH_REQUEST = (
    # A static file: a year's cache when its URL is fingerprinted; text gzipped.
    static_files.static_headers,
    # Flask-Login: sets or clears its remember cookie.
    web.login_manager,
    # Every response, error pages included: CSP with the page's nonce, framing, HSTS.
    security_headers.add_headers,
    # Last: X-Request-ID and the log line, with the final status and time.
    logs.finish_request,
)


def init_app(app: Flask) -> None:
    """Called once by create_app, after i18n.init_app (the templates' gettext replaces
    Flask-Babel's own)."""
    app.extensions[web.NO_USER] = NO_USER_ENDPOINTS
    for step in BEFORE_EACH_REQUEST:
        _add(app, app.before_request, step)

    app.url_defaults(static_files.add_fingerprint)  # url_for('static', …) gets ?v=<hash>
    i18n.install_template_gettext(app)  # the templates' _() and ngettext(), catalog cached
    for name, function in TEMPLATE_GLOBALS.items():
        app.add_template_global(function, name)
    for name, function in TEMPLATE_FILTERS.items():
        app.add_template_filter(function, name)
    for processor in CONTEXT_PROCESSORS:
        app.context_processor(processor)

    for error, handler in ERROR_HANDLERS:
        app.register_error_handler(error, handler)

    # Flask runs after_request hooks last-registered first: register the list from its end.
    for step in reversed(AFTER_EACH_REQUEST):
        _add(app, app.after_request, step)

    # 5. The request's database session goes back to the pool, whatever happened.
    app.teardown_appcontext(db.close_session)


def _add(app: Flask, add_hook, step) -> None:
    """A hook, or an extension: its init_app registers its own hook at this place."""
    if hasattr(step, "init_app"):
        step.init_app(app)
    else:
        add_hook(step)
