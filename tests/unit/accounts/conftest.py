"""Helpers for the login tests: a clock that can be moved, English pages, page parsing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from codekids import db
from codekids.accounts.models import User

# The password tests/conftest.py gives every staff member of the world (kept in step:
# every staff login test fails if the two drift apart).
STAFF_PASSWORD = "correct-horse-battery"


def child_secret(app, child_id: int):
    from codekids.clubs import service as clubs

    with app.app_context():
        return clubs.card_secret(db.session.get(User, child_id))


class Clock:
    """Moves `utcnow` forward for the services, the views and the idle check."""

    def __init__(self, real):
        self.real = real
        self.offset = timedelta(0)

    def now(self):
        return self.real() + self.offset

    def advance(self, **kwargs):
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    from codekids import db as db_module
    from codekids import web
    from codekids.accounts import service, views
    from codekids.clubs import child_login

    c = Clock(db_module.utcnow)
    for module in (service, views, child_login, web, db_module):
        monkeypatch.setattr(module, "utcnow", c.now)
    return c


@pytest.fixture
def english(client):
    """Pages in English, so the tests can read messages before catalogs exist or change."""
    client.post("/language", data={"lang": "en"})
    return client


def hidden_sequence(html: str) -> str:
    match = re.search(r'name="sequence" value="([^"]*)"', html)
    assert match, "no sequence field on the page"
    return match.group(1)


def filled_dots(html: str) -> int:
    return html.count('class="dot filled"')


def get_user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def secret_url(app, child_id: int) -> str:
    with app.app_context():
        child = db.session.get(User, child_id)
        return f"/copii/{child.club.join_code}/{child.id}"
