"""Logging staff in for the librarian's room tests.

`login(user_id)` sets the Flask-Login session directly, so these tests do not depend
on the login form (tested in tests/unit/accounts). The session carries the user's
session_version, exactly as a real login would.
"""

import pytest
from codekids import db
from codekids.accounts.models import User
from flask import Flask


def _placeholder_auth_routes(app: Flask) -> None:
    """base.html links to auth routes; until accounts/views.py defines them, stand in."""
    for endpoint, rule in (
        ("auth.logout", "/iesire"),
        ("auth.staff_login", "/autentificare"),
        ("auth.child_start", "/copii"),
        ("auth.accept_invitation", "/invitatie/<token>"),
    ):
        if endpoint not in app.view_functions:
            app.add_url_rule(rule, endpoint, lambda **_: "")


@pytest.fixture
def app(app):
    _placeholder_auth_routes(app)
    return app


@pytest.fixture
def login(app, client):
    def _login(user_id: int):
        with app.app_context():
            user = db.session.get(User, user_id)
            ident = f"{user.id}:{user.session_version}"
        with client.session_transaction() as sess:
            sess["_user_id"] = ident
            sess["_fresh"] = True
        return client

    return _login
