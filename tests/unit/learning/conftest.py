"""The child's side, tested with the real sandbox and the real exercise bank.

`hello` (the bank's first exercise) is solved by `print("Bună ziua!")`; its
starter prints "Bună!". Pages are read in English (the msgids), like the other
room tests; Romanian is checked where the child's language is the point.
"""

from __future__ import annotations

import pytest

from codekids import db, sandbox_client
from codekids.accounts.models import User

HELLO = "hello"
HELLO_RIGHT = 'print("Bună ziua!")\n'
HELLO_WRONG = 'print("Buna ziua")\n'
TURTLE_SQUARE = (
    "import turtle\nt = turtle.Turtle()\nfor i in range(4):\n    t.forward(50)\n    t.left(90)\n"
)


@pytest.fixture(scope="session", autouse=True)
def real_sandbox():
    """The site's own sandbox (one per process), started once for the whole session."""
    sandbox = sandbox_client.get_sandbox()
    yield sandbox
    sandbox_client.stop()


@pytest.fixture
def child_client(app, client, world, login_as):
    return login_as(world.children[0])


@pytest.fixture
def login_as(app, client):
    """A child logged in (session set directly, as tests/unit/conftest.py does for staff)."""

    def _login(user_id: int, locale: str = "en"):
        with app.app_context():
            user = db.session.get(User, user_id)
            ident = f"{user.id}:{user.session_version}"
            user.locale = locale
            db.session.commit()
        with client.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = ident
            sess["_fresh"] = True
            sess["locale"] = locale
        return client

    return _login


def child(child_id: int) -> User:
    return db.session.get(User, child_id)


def bank(app):
    return app.extensions["codekids_bank"]
