"""Logging staff in for the room tests.

`login(user_id)` sets the Flask-Login session directly, so the room tests do not
depend on the login form (tested in tests/unit/accounts). The session carries the
user's session_version, exactly as a real login would.

The room tests read the site in English (the msgids), so a change of Romanian
wording does not break them; Romanian rendering is checked by the translation
tests and the browser tests.
"""

import pytest

from codekids import db, sandbox_client
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


@pytest.fixture(scope="module")
def real_sandbox():
    """The site's own sandbox for a module that grades for real (opt in with
    ``pytestmark = pytest.mark.usefixtures("real_sandbox")``); stopped after the module."""
    sandbox = sandbox_client.get_sandbox()
    yield sandbox
    sandbox_client.stop()


@pytest.fixture
def ctx(app):
    """A request context, for services that read the locale or the bank."""
    with app.test_request_context():
        yield app
