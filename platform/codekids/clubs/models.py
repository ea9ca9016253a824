"""Counties, clubs, and club meetings with their attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codekids.db import Base, utcnow

SECRET_KINDS = ("pictures", "words")

librarian_clubs = Table(
    "librarian_clubs",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("club_id", ForeignKey("clubs.id", ondelete="CASCADE"), primary_key=True),
)


class County(Base):
    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # ISO 3166-2:RO code without the "RO-" prefix: "CJ", "B" for Bucharest.
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<County {self.code}>"


class Club(Base):
    __tablename__ = "clubs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    library: Mapped[str] = mapped_column(String(160))
    town: Mapped[str] = mapped_column(String(120))
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    secret_kind: Mapped[str] = mapped_column(String(16), default="pictures")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set when a librarian lifts lockouts for the whole club: failures before it no longer count.
    lockouts_lifted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    county: Mapped[County] = relationship(lazy="joined")
    librarians = relationship("User", secondary=librarian_clubs, back_populates="clubs")

    def __repr__(self) -> str:
        return f"<Club {self.join_code} {self.name!r}>"


# Where a child's attendance mark came from.
FROM_LOGIN = "login"  # they logged in during the meeting
FROM_LIBRARIAN = "librarian"  # the librarian marked them present or absent


class ClubSession(Base):
    """One club meeting (usually weekly): when it started and ended, and who opened it.

    What was solved and written in it is read from submissions and the counter's
    ledger in its time window, so nothing about it is stored twice.
    """

    __tablename__ = "club_sessions"
    __table_args__ = (Index("ix_club_sessions_club_started", "club_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    club: Mapped[Club] = relationship()


class Attendance(Base):
    """A child's mark for one meeting. Rows from logins are written when the meeting
    ends (or read live while it runs); a librarian's mark always wins over a login."""

    __tablename__ = "club_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "child_id", name="uq_club_attendance_session_child"),
        CheckConstraint("source in ('login', 'librarian')", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique constraint's index (session_id first) serves lookups by session.
    session_id: Mapped[int] = mapped_column(ForeignKey("club_sessions.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default=FROM_LOGIN)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
