"""Logging staff in for the coordinator's room tests (same helper as tests/unit/clubs).

`login(user_id)` sets the Flask-Login session directly, so these tests do not depend
on the login form (tested in tests/unit/accounts). The session carries the user's
session_version, exactly as a real login would.
"""

import pytest

from codekids import db
from codekids.accounts.models import User


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
