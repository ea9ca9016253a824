"""Users, login attempts and invitations.

A child is stored with the minimum: a nickname unique in their club and an
encrypted secret (so the librarian can reprint the login card). No e-mail, no
real name, no birth date.
"""

from __future__ import annotations

import secrets as _random
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codekids.db import Base, utcnow

if TYPE_CHECKING:  # clubs is the room above: its models are named, never imported
    from codekids.clubs.models import Club, County

CHILD = "child"
LIBRARIAN = "librarian"
COORDINATOR = "coordinator"
ROLES = (CHILD, LIBRARIAN, COORDINATOR)


def first_session_version() -> int:
    """Random in [1, 2**30]: room for a billion bumps below PostgreSQL's integer limit."""
    return _random.randbelow(2**30) + 1


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("club_id", "nickname", name="uq_users_club_nickname"),
        CheckConstraint("role in ('child', 'librarian', 'coordinator')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    # Staff log in with a username; children have none.
    username: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    display_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Children only.
    nickname: Mapped[str | None] = mapped_column(String(32), nullable=True)
    club_id: Mapped[int | None] = mapped_column(
        ForeignKey("clubs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    secret_enc: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # Coordinators: a county, or NULL for the nation. Librarians: their home county.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lockout_lifted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Bumped on logout, password/secret change or deactivation: older sessions stop
    # working (web._load_user). It starts at a random value, not 1: SQLite hands a
    # deleted row's id to the next new row, and a deleted child's cookie ("id:1")
    # must not log in as whoever gets that id next.
    session_version: Mapped[int] = mapped_column(Integer, default=first_session_version)

    club: Mapped[Club | None] = relationship(foreign_keys=[club_id])
    county: Mapped[County | None] = relationship(foreign_keys=[county_id])
    clubs: Mapped[list[Club]] = relationship(
        secondary="librarian_clubs", back_populates="librarians", order_by="Club.name"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_child(self) -> bool:
        return self.role == CHILD

    @property
    def is_librarian(self) -> bool:
        return self.role == LIBRARIAN

    @property
    def is_coordinator(self) -> bool:
        return self.role == COORDINATOR

    @property
    def is_national(self) -> bool:
        return self.role == COORDINATOR and self.county_id is None

    @property
    def label(self) -> str:
        return self.nickname or self.display_name or self.username or f"#{self.id}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role} {self.label!r}>"


# What a LoginAttempt tried: a child's secret, a staff password, or a club code.
CHILD_LOGIN = "child"
STAFF_LOGIN = "staff"
CLUB_CODE = "club_code"


class LoginAttempt(Base):
    """Every failed (and successful) login, the raw data lockouts are computed from.

    Kept in the database, not in process memory, so that several web processes
    behind a load balancer share one view of who is guessing. `device_id` is the
    browser's device cookie (accounts/devices.py); NULL means the browser sent none,
    and all such attempts from one address count as one "anonymous" device.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_user_at", "user_id", "at"),
        Index("ix_login_attempts_device_at", "device_id", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_username_at", "username_hash", "at"),
        CheckConstraint("kind in ('child', 'staff', 'club_code')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    club_id: Mapped[int | None] = mapped_column(
        ForeignKey("clubs.id", ondelete="CASCADE"), nullable=True
    )
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), default=CHILD_LOGIN, server_default=CHILD_LOGIN)
    device_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Staff attempts: an HMAC of the typed username (known or not), never the text itself
    # (people type passwords into the username field), so that a username nobody has
    # is throttled exactly like a real one and the answers tell nothing apart.
    username_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Whether the device had logged in to this account before: failures from trusted
    # devices never count toward the account's lock on every other device.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when a librarian lifts a lock: a lifted failure counts for nothing.
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Invitation(Base):
    """A one-time link that lets a new librarian choose their own password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a hash of the token is stored: a database leak does not yield working links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
