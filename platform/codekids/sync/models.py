"""The sync room's tables, both sides (issue 19; DESIGN.md §4, §7).

National side (every site answers the sync API; "national" is where
coordinators registered boxes):

- `SyncBox`: a club laptop registered for one club, known by the sha256 of its
  token (protocol.token_hash); the last 4 characters are kept as a hint for
  coordinators. Replacing a token keeps the row (and its history): the new hash
  goes on the same row, `replaced_at` says when.
- `SyncBatch`: one row per batch applied, with the answer sent, so the same
  batch sent again gets the same answer and adds nothing.
- `SyncItem`: one row per item ever received (accepted or rejected, with its
  reason): an item sent again in a new batch gets its first result again.
- `SyncChild`, `SyncProject`: the national stand-ins for a box's pseudonymous
  child and project (a child of the box's club that cannot log in and carries no
  personal data; that child's playground project).

Box side:

- `SyncSettings`: the one row that makes a site a box (server, token, the last
  attempt and its result, back-off).
- `SyncPseudonym`, `SyncProjectKey`: the random ids a box's children and
  projects go up under.
- `SyncOutbox`: one row per counted submission waiting to go up, sent, or answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from codekids.db import Base, utcnow

# Item statuses (national) and outbox statuses (box).
ACCEPTED = "accepted"
REJECTED = "rejected"
WAITING = "waiting"
SENT = "sent"


# ---------------------------------------------------------------- national side


class SyncBox(Base):
    __tablename__ = "sync_boxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(8))
    # The token before the last replacement: a box still using it is told "revoked".
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Lines its items earned nationally, kept up to date in each batch's transaction:
    # the dashboard's "synced from club laptops" sums boxes, never items.
    lines: Mapped[int] = mapped_column(BigInteger, default=0)

    club = relationship("Club", lazy="joined")


class SyncBatch(Base):
    __tablename__ = "sync_batches"
    __table_args__ = (UniqueConstraint("box_id", "batch_key", name="uq_sync_batches_box_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sync_boxes.id", ondelete="CASCADE"))
    batch_key: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    items: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    box_totals: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class SyncItem(Base):
    __tablename__ = "sync_items"
    __table_args__ = (UniqueConstraint("box_id", "item_key", name="uq_sync_items_box_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sync_boxes.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("sync_batches.id", ondelete="CASCADE"), index=True
    )
    item_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    exercise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    exercise_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    project_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    child_key: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    written_at: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), nullable=True, index=True
    )

    @property
    def written_time(self) -> datetime | None:
        """``written_at`` read as a time (ISO 8601), None when it is not one."""
        try:
            return datetime.fromisoformat((self.written_at or "").replace("Z", "+00:00"))
        except ValueError:
            return None


class SyncChild(Base):
    __tablename__ = "sync_children"
    __table_args__ = (UniqueConstraint("box_id", "child_key", name="uq_sync_children_box_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sync_boxes.id", ondelete="CASCADE"))
    child_key: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class SyncProject(Base):
    __tablename__ = "sync_projects"
    __table_args__ = (
        UniqueConstraint("box_id", "project_key", name="uq_sync_projects_box_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    box_id: Mapped[int] = mapped_column(ForeignKey("sync_boxes.id", ondelete="CASCADE"))
    project_key: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )


# ---------------------------------------------------------------- box side


class SyncSettings(Base):
    __tablename__ = "sync_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(String(300))
    token: Mapped[str] = mapped_column(Text)
    configured_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # "ok", "offline", "token_revoked", "token_unknown", "server_error", "bad_answer"
    last_result: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SyncPseudonym(Base):
    __tablename__ = "sync_pseudonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    child_key: Mapped[str] = mapped_column(String(32), unique=True)


class SyncProjectKey(Base):
    __tablename__ = "sync_project_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    project_key: Mapped[str] = mapped_column(String(32), unique=True)


class SyncOutbox(Base):
    __tablename__ = "sync_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    item_key: Mapped[str] = mapped_column(String(32), unique=True)
    batch_key: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default=WAITING, index=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lines_national: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
