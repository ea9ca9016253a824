"""What children do: submissions (graded), drafts, playground projects, hints, progress.

A submission keeps the exact source and the grading report, so a librarian can
see any attempt later and every counted line can be traced to the submission
that earned it (DESIGN.md §4).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from codekids.db import Base, utcnow

SUBMIT = "submit"  # graded against an exercise's tests
RUN = "run"  # an exercise run with the child's own input, not graded
PLAYGROUND = "playground"  # a run of a playground project


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        # The same client key twice (a double click on Submit) is one submission.
        UniqueConstraint("child_id", "client_key", name="uq_submissions_child_client_key"),
        Index("ix_submissions_child_exercise_at", "child_id", "exercise_id", "created_at"),
        Index("ix_submissions_club_at", "club_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # NULL once the child is deleted: the submission stays, anonymous, for the totals.
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    exercise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), nullable=True, index=True
    )
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # sandbox status of the (first failing) run
    passed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[bool] = mapped_column(Boolean, default=False)
    # The explanation kind of the first problem ("name_error", "timeout", …), for
    # "who needs help" and the commonest errors of a club.
    error_kind: Mapped[str | None] = mapped_column(String(48), nullable=True)
    error_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class Progress(Base):
    """One row per child and exercise, kept up to date in the submission's transaction,
    so the child's home page and the librarian's grid never scan submissions."""

    __tablename__ = "progress"
    __table_args__ = (UniqueConstraint("child_id", "exercise_id", name="uq_progress_child_ex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_streak: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[bool] = mapped_column(Boolean, default=False)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class HintUse(Base):
    __tablename__ = "hint_uses"
    __table_args__ = (
        UniqueConstraint("child_id", "exercise_id", "level", name="uq_hint_uses_child_ex_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)  # 1 = the first hint of the ladder
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Draft(Base):
    """The child's code as they type, saved on the server so any PC can restore it."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("child_id", "exercise_id", name="uq_drafts_child_ex"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    exercise_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Project(Base):
    """A named playground program."""

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("child_id", "name", name="uq_projects_child_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(Base):
    """An exercise set a librarian gives to the whole club (child_id NULL) or to one child."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_club_set", "club_id", "set_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"))
    set_id: Mapped[str] = mapped_column(String(64))  # the bank's set id
    child_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
