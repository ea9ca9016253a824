"""Logging staff in for the room tests.

`login(user_id)` sets the Flask-Login session directly, so the room tests do not
depend on the login form (tested in tests/unit/accounts). The session carries the
user's session_version, exactly as a real login would.

The room tests read the site in English (the msgids), so a change of Romanian
wording does not break them; Romanian rendering is checked by the translation
tests and the browser tests.
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
            sess["locale"] = "en"
        return client

    return _login
