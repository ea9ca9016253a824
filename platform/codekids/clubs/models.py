"""Counties and clubs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table
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
