"""Staff passwords: Argon2id hashes and the strength rules."""

from __future__ import annotations

import pytest

from codekids.accounts import passwords


def test_hash_is_argon2id_and_verifies(app):
    with app.app_context():
        h = passwords.hash_password("a long enough password")
        assert h.startswith("$argon2id$")
        assert passwords.verify_password(h, "a long enough password")
        assert not passwords.verify_password(h, "a long enough passwort")
        assert not passwords.verify_password(None, "anything")
        assert not passwords.verify_password("garbage", "anything")


def test_weaker_hash_parameters_need_a_rehash(app):
    with app.app_context():
        h = passwords.hash_password("a long enough password")
        assert not passwords.needs_rehash(h)
        app.config["CODEKIDS"].argon2_time_cost = 2
        assert passwords.needs_rehash(h)


@pytest.mark.parametrize(
    "password,username,problem",
    [
        ("short", None, "too_short"),
        ("ana.bibliotecara!", "ana.bibliotecara", "contains_username"),
        ("xx" + "ANA.Bibliotecara", "ana.bibliotecara", "contains_username"),
        ("aaaaaaaaaaaa", None, "too_simple"),
        ("abababababab", None, "too_simple"),
        ("correct horse battery", "ana", None),
    ],
)
def test_password_problems(password, username, problem):
    assert passwords.password_problem(password, username) == problem
