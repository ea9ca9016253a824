"""The counter's ledger and its roll-ups (DESIGN.md §4).

- `CountedLine`: one row per counted line — who earned it (the child, NULL once
  the child is deleted), where (club and county at the time), for what (an
  exercise or a playground project), a hash of the normalised line, and the
  submission that earned it. This is the raw data every total is recomputed from.
- `CounterTotal`: the running totals per child, club, county and the nation,
  updated in the submission's transaction; `lines` are counted lines, `adjusted`
  the recorded historical adjustments, kept apart.
- `CounterDay`: per-day buckets of counted lines (club, county, nation) for charts.
- `ChildDay`: one row per child and day with a working program — "active children
  this week" without scanning submissions.
- `Adjustment` and `AuditEntry`: attributed historical lines, and who did what when.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codekids.db import Base, utcnow

# Scopes of a total. The nation has one total, keyed 0.
CHILD = "child"
CLUB = "club"
COUNTY = "county"
NATION = "nation"
SCOPES = (CHILD, CLUB, COUNTY, NATION)
NATION_KEY = 0


class CountedLine(Base):
    __tablename__ = "counted_lines"
    __table_args__ = (
        # Each distinct line once per child per exercise or project: the database
        # itself refuses a second copy, whatever races happen above it.
        UniqueConstraint("child_id", "target", "line_hash", name="uq_counted_lines_child_target_hash"),
        # The playground cap counts today's lines of one project.
        Index("ix_counted_lines_child_target_day", "child_id", "target", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    # "ex:<exercise id>" or "pj:<project id>": what a line is distinct within.
    target: Mapped[str] = mapped_column(String(80))
    exercise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), nullable=True
    )
    line_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised line
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    counted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CounterTotal(Base):
    __tablename__ = "counter_totals"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)
    adjusted: Mapped[int] = mapped_column(BigInteger, default=0)
    # The last working program (even one that added no new line).
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CounterDay(Base):
    __tablename__ = "counter_days"
    __table_args__ = (Index("ix_counter_days_scope_day", "scope", "day"),)

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lines: Mapped[int] = mapped_column(BigInteger, default=0)


class ChildDay(Base):
    __tablename__ = "counter_child_days"
    __table_args__ = (Index("ix_counter_child_days_day_club", "day", "club_id"),)

    child_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"))
    programs: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)


class Adjustment(Base):
    """Lines counted outside the platform (e.g. the initiative's history), attributed
    to a club, a county or the nation. Never edited: a correction is a new entry."""

    __tablename__ = "counter_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # club, county or nation
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id"), nullable=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)  # when the lines were written
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    club = relationship("Club", lazy="joined")
    county = relationship("County", lazy="joined")
    created_by = relationship("User", lazy="joined")


class AuditEntry(Base):
    __tablename__ = "counter_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Kept as text too: the log still says who, after the account is gone.
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    adjustment_id: Mapped[int | None] = mapped_column(
        ForeignKey("counter_adjustments.id"), nullable=True
    )
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)
