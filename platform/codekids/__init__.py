"""CODE Kids web application: the factory assembles settings, extensions and rooms.

The package is cut into rooms that depend one way, low to high: bank, accounts,
clubs, counter, learning, following, coordination. A room imports only rooms
below it and the base modules (db, settings, i18n, ...); this module, cli, web,
plumbing and security_policy assemble the rooms and no room imports them.
ARCHITECTURE.md at the top of the repository draws the rooms and says where a
new thing goes; `python scripts/rooms.py` prints the room graph and fails on an
import that points up.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from codekids.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    settings = Settings.from_env()
    config = dict(config or {})
    if "INSTANCE_PATH" in config:
        app.instance_path = str(config.pop("INSTANCE_PATH"))
    settings.apply({k: v for k, v in config.items() if not k.isupper()})
    settings.resolve(Path(app.instance_path))
    app.config["CODEKIDS"] = settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the CSRF token lives as long as the session
    )
    app.config.update({k: v for k, v in config.items() if k.isupper()})

    from codekids import bad_input, bank, db, i18n, plumbing, web

    bad_input.init_app(app)  # before web (the proxy fix wraps it) and the blueprints
    db.init_app(app)
    i18n.init_app(app)
    web.init_app(app)
    bank.init_app(app)
    plumbing.init_app(app)  # every hook, template global and filter, in the order they run

    from codekids.accounts.views import bp as auth_bp
    from codekids.clubs.child_login import bp as child_login_bp
    from codekids.clubs.views import bp as clubs_bp
    from codekids.coordination.views import bp as coordination_bp
    from codekids.following.views import bp as following_bp
    from codekids.health import bp as health_bp
    from codekids.learning.api import bp as api_bp
    from codekids.learning.views import bp as learning_bp
    from codekids.main import bp as main_bp

    for bp in (main_bp, health_bp, auth_bp, child_login_bp, learning_bp, api_bp, clubs_bp,
               following_bp, coordination_bp):
        app.register_blueprint(bp)

    from codekids import cli, counter
    from codekids.sync import views as sync_views

    counter.init_app(app)
    sync_views.init_app(app)  # the sync API: its blueprint, CSRF-exempt, its gzip bodies
    cli.init_app(app)
    return app
