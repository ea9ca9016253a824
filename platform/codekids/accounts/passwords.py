"""Staff passwords, hashed with Argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    s = current_app.config["CODEKIDS"]
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password: str, username: str | None = None) -> str | None:
    """A reason the password is too weak, or None. Returned as a msgid key."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if username and username.lower() in password.lower():
        return "contains_username"
    if len(set(password)) < 4:
        return "too_simple"
    return None
