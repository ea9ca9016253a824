"""Club meetings: starting and ending one, who came, what was done, the monthly report.

Attendance comes from the children's own logins (every successful child login is a
LoginAttempt row with the club and the time) between the meeting's start and end;
a librarian may correct any child, and their mark always wins. When a meeting ends
the login marks are written down too, so the meeting keeps its attendance whatever
happens later to the login log.

What was solved and written in a meeting is read from submissions and the counter's
ledger in the meeting's time window: nothing is stored twice.

Times are stored in naive UTC (codekids.db.utcnow) and shown in the site's time zone
(codekids.i18n); a month of the report is a month in that zone, like the counter's days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from codekids import db
from codekids.accounts.models import CHILD, LoginAttempt, User
from codekids.bad_input import parse_id
from codekids.clubs.models import FROM_LIBRARIAN, FROM_LOGIN, Attendance, Club, ClubSession
from codekids.collation import sorted_by
from codekids.counter.models import CountedLine
from codekids.db import utcnow
from codekids.i18n import local_time, to_utc
from codekids.learning.models import SUBMIT, Submission


class MeetingError(ValueError):
    """A meeting cannot do what was asked; `code` says why ("already_open", "ended", …)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# ---- time -----------------------------------------------------------------------------


# The site's time zone (codekids.i18n, CODEKIDS_TIME_ZONE): one helper for every page.
local = local_time


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a month in the site's time zone, as naive UTC."""
    if not (1 <= month <= 12) or not (2000 <= year <= 2200):
        raise MeetingError("month")
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (to_utc(datetime.combine(date(year, month, 1), time())),
            to_utc(datetime.combine(nxt, time())))


# ---- starting and ending ---------------------------------------------------------------


def open_session(club: Club) -> ClubSession | None:
    return db.session.scalar(
        select(ClubSession)
        .where(ClubSession.club_id == club.id, ClubSession.ended_at.is_(None))
        .order_by(ClubSession.started_at.desc())
        .limit(1)
    )


def start_session(club: Club, by: User, *, at: datetime | None = None) -> ClubSession:
    """Start a meeting; a club has at most one running at a time."""
    if open_session(club) is not None:
        raise MeetingError("already_open")
    meeting = ClubSession(club_id=club.id, started_at=at or utcnow(), started_by_id=by.id)
    db.session.add(meeting)
    db.session.commit()
    return meeting


def end_session(meeting: ClubSession, *, at: datetime | None = None) -> ClubSession:
    """End the meeting and write down who logged in during it (marks already made by
    the librarian are left as they are)."""
    if meeting.ended_at is not None:
        raise MeetingError("ended")
    meeting.ended_at = max(at or utcnow(), meeting.started_at)
    marked = set(db.session.scalars(
        select(Attendance.child_id).where(Attendance.session_id == meeting.id)
    ))
    now = utcnow()
    for child_id in logged_in_ids(meeting):
        if child_id not in marked:
            db.session.add(Attendance(session_id=meeting.id, child_id=child_id, present=True,
                                      source=FROM_LOGIN, updated_at=now))
    db.session.commit()
    return meeting


def get_session(club_id: int, session_id) -> ClubSession | None:
    """The meeting, only when it belongs to this club (the URL's club is the one the
    route policy checked; a meeting id of another club is "not found")."""
    sid = parse_id(session_id)
    if sid is None:
        return None
    meeting = db.session.get(ClubSession, sid)
    if meeting is None or meeting.club_id != club_id:
        return None
    return meeting


def sessions_of_club(club: Club, limit: int = 50) -> list[ClubSession]:
    return list(db.session.scalars(
        select(ClubSession).where(ClubSession.club_id == club.id)
        .order_by(ClubSession.started_at.desc(), ClubSession.id.desc()).limit(limit)
    ))


# ---- attendance -----------------------------------------------------------------------


def _window(meeting: ClubSession) -> tuple[datetime, datetime]:
    return meeting.started_at, meeting.ended_at or utcnow()


def logged_in_ids(meeting: ClubSession) -> set[int]:
    """This club's children with a successful login during the meeting."""
    start, end = _window(meeting)
    return set(db.session.scalars(
        select(LoginAttempt.user_id).distinct()
        .join(User, User.id == LoginAttempt.user_id)
        .where(LoginAttempt.succeeded.is_(True), LoginAttempt.at >= start,
               LoginAttempt.at <= end, User.club_id == meeting.club_id,
               User.role == CHILD)
    ))


@dataclass
class AttendanceRow:
    child: User
    present: bool
    source: str | None  # "login", "librarian", or None (not seen, not marked)
    logged_in: bool


def attendance(meeting: ClubSession) -> list[AttendanceRow]:
    """Every child of the club (turned-off accounts too when they have a mark), with
    their mark: the librarian's if any, else whether they logged in."""
    marks = {a.child_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.session_id == meeting.id))}
    seen = logged_in_ids(meeting)
    children = sorted_by(db.session.scalars(
        select(User).where(User.club_id == meeting.club_id, User.role == CHILD)),
        lambda u: u.nickname)
    rows = []
    for child in children:
        mark = marks.get(child.id)
        if not child.active and mark is None and child.id not in seen:
            continue
        if mark is not None:
            rows.append(AttendanceRow(child, bool(mark.present), mark.source, child.id in seen))
        else:
            present = child.id in seen
            rows.append(AttendanceRow(child, present, FROM_LOGIN if present else None, present))
    return rows


def present_ids(meeting: ClubSession) -> set[int]:
    return {r.child.id for r in attendance(meeting) if r.present}


def mark(meeting: ClubSession, child_id, present: bool) -> Attendance:
    """The librarian marks a child of this meeting's club present or absent."""
    cid = parse_id(child_id)  # a posted id: out of range is no child
    if cid is None:
        raise MeetingError("child")
    child = db.session.get(User, cid)
    # A child id typed into the form from another club is refused, not recorded.
    if child is None or child.role != CHILD or child.club_id != meeting.club_id:
        raise MeetingError("child")
    row = db.session.scalar(select(Attendance).where(
        Attendance.session_id == meeting.id, Attendance.child_id == cid))
    if row is None:
        row = Attendance(session_id=meeting.id, child_id=cid)
        db.session.add(row)
    row.present = bool(present)
    row.source = FROM_LIBRARIAN
    row.updated_at = utcnow()
    db.session.commit()
    return row


# ---- what was done --------------------------------------------------------------------


@dataclass
class Solved:
    child: str | None  # nickname; None once the child is deleted
    exercise_id: str
    at: datetime


@dataclass
class Work:
    solved: list[Solved] = field(default_factory=list)
    lines: int = 0

    @property
    def exercises_solved(self) -> int:
        return len(self.solved)


def _solved_between(club_id: int, start: datetime, end: datetime) -> list[Solved]:
    """Each child's solved exercises in the window, once per child and exercise (a
    re-solve is not a new exercise); a deleted child's submissions count each once."""
    rows = db.session.execute(
        select(Submission.id, Submission.child_id, User.nickname, Submission.exercise_id,
               Submission.created_at)
        .outerjoin(User, User.id == Submission.child_id)
        .where(Submission.club_id == club_id, Submission.kind == SUBMIT,
               Submission.solved.is_(True), Submission.created_at >= start,
               Submission.created_at < end)
        .order_by(Submission.created_at, Submission.id)
    )
    seen: set[tuple] = set()
    out = []
    for sub_id, child_id, nickname, exercise_id, at in rows:
        key = (child_id, exercise_id) if child_id is not None else ("gone", sub_id)
        if key in seen:
            continue
        seen.add(key)
        out.append(Solved(nickname, exercise_id, at))
    return out


def _lines_between(club_id: int, start: datetime, end: datetime) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(CountedLine).where(
            CountedLine.club_id == club_id, CountedLine.counted_at >= start,
            CountedLine.counted_at < end)
    ) or 0)


def session_work(meeting: ClubSession) -> Work:
    start, end = _window(meeting)
    end += timedelta(microseconds=1)  # the windows below are half-open; the end belongs in
    return Work(_solved_between(meeting.club_id, start, end),
                _lines_between(meeting.club_id, start, end))


# ---- the monthly report ---------------------------------------------------------------


@dataclass
class SessionLine:
    session: ClubSession
    present: int
    exercises_solved: int
    lines: int


@dataclass
class MonthReport:
    club: Club
    year: int
    month: int
    sessions: list[SessionLine]
    children_attending: int  # different children present at one meeting at least
    exercises_solved: int  # in the whole month, in meetings or not
    lines: int  # counted lines of the whole month

    @property
    def sessions_held(self) -> int:
        return len(self.sessions)


def month_report(club: Club, year: int, month: int) -> MonthReport:
    start, end = month_bounds(year, month)
    meetings = list(db.session.scalars(
        select(ClubSession).where(ClubSession.club_id == club.id,
                                  ClubSession.started_at >= start, ClubSession.started_at < end)
        .order_by(ClubSession.started_at, ClubSession.id)
    ))
    lines = []
    everyone: set[int] = set()
    for meeting in meetings:
        present = present_ids(meeting)
        everyone |= present
        work = session_work(meeting)
        lines.append(SessionLine(meeting, len(present), work.exercises_solved, work.lines))
    return MonthReport(
        club=club, year=year, month=month, sessions=lines, children_attending=len(everyone),
        exercises_solved=len(_solved_between(club.id, start, end)),
        lines=_lines_between(club.id, start, end),
    )


def this_month() -> tuple[int, int]:
    now = local(utcnow())
    return now.year, now.month
