"""Rows of the test world by id or code, for service tests that work on model objects."""

from __future__ import annotations

from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club, County


def club(club_id: int) -> Club:
    return db.session.get(Club, club_id)


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def county(code: str) -> County:
    return db.session.scalar(select(County).where(County.code == code))
