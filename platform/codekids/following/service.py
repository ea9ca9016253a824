"""The rules of following: what librarians and coordinators follow about a club's children.

Called by following/views.py and directly by the tests; nothing here reads the request.

- **Progress** (assignments, the grid, a cell in detail, who needs help now, the commonest
  errors of an exercise). A cell of the grid (one child, one exercise) is *solved*,
  *trying*, *stuck* or *not started* (``cell_state``); "stuck" is several failed
  submissions in a row (``stuck_failed_streak``) or trying for ``stuck_minutes`` without
  a pass; "who needs help now" lists the children stuck on an exercise they tried in
  the last ``HELP_WINDOW_MINUTES``, with their last error in the librarian's language;
  the commonest errors of an exercise group the club's failed submissions by error kind.
  A graded submission stores its messages as keys with parameters (a misspelt name, a
  bracket: the child's own words), never as words of one language, so the librarian
  reads them in their own language (``plain_words``, ``cell_detail``), rendered by the
  bank's one renderer (``grading.render_report``). Rows from before that hold the
  child's words: see ``explanations.render`` for how they are shown.
- **Meetings** (starting and ending one, who came, what was done, the monthly report).
  Attendance comes from the children's own logins (every successful child login is a
  LoginAttempt row with the club and the time) between the meeting's start and end; a
  librarian may correct any child, and their mark always wins. When a meeting ends the
  login marks are written down too, so the meeting keeps its attendance whatever happens
  later to the login log. What was solved and written in a meeting is read from
  submissions and the counter's ledger in the meeting's time window: nothing is stored
  twice. Times are stored in naive UTC (codekids.db.utcnow) and shown in the site's time
  zone (codekids.i18n); a month of the report is a month in that zone, like the
  counter's days.
- **Diplomas**: a set is finished when every exercise in it is solved. The diploma
  speaks the child's language (their chosen locale, else Romanian), whatever language
  the librarian reads the site in: it is the child who takes it home.
- **A child's data**: everything we hold about one child, to hand over (JSON, CSV) or
  delete. The export is built only from rows whose child_id is this child: never another
  child's data, and never the secret (not even encrypted). Deleting a child (DESIGN.md
  §4): the account and what is only theirs (progress, hints, drafts, projects,
  assignments, attendance, logins) go; their submissions stay, anonymous (child_id NULL),
  because every counted line must stay traceable to the submission that earned it; their
  counted lines stay in the club, county and national totals as anonymous lines. The
  child's own total row goes with them.

Two markers of translatable text live here, with different names on purpose:
``bank.texts._l``/``_ln`` mark messages rendered later in a given language
(``translate(locale, ...)``), and Flask-Babel's ``lazy_gettext`` the CSV headers rendered
in the reader's language.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup
from pygments import format as format_tokens
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import Generic, Text
from sqlalchemy import distinct, func, select, update

from codekids import db
from codekids.accounts.models import CHILD, LoginAttempt, User
from codekids.accounts.service import club_children
from codekids.bad_input import parse_id
from codekids.bank import current_bank, explanations
from codekids.bank.grading import render_report
from codekids.bank.models import Bank, Exercise, ExerciseSet
from codekids.bank.texts import _l, _ln, localized, translate
from codekids.clubs.models import FROM_LIBRARIAN, FROM_LOGIN, Attendance, Club, ClubSession
from codekids.counter import service as counter
from codekids.counter.models import CLUB, CountedLine
from codekids.db import utcnow
from codekids.i18n import LANGUAGES, iso_local, local_time, to_utc
from codekids.learning.models import (
    SUBMIT,
    Assignment,
    Draft,
    HintUse,
    Progress,
    Project,
    Submission,
)

# ==== the club page ===========================================================================


def club_lines(club: Club) -> dict:
    """The club's lines of code for its page: counted, of the last 7 days, historical."""
    s = counter.summary(CLUB, club.id)
    return {"counted": s.counted, "historical": s.historical,
            "week": counter.week_lines(CLUB, club.id)}


# ==== progress ================================================================================


SOLVED, TRYING, STUCK, NOT_STARTED = "solved", "trying", "stuck", "not_started"
STATES = (SOLVED, TRYING, STUCK, NOT_STARTED)
# "Now" during a club meeting: a child who last tried an hour ago has gone home.
HELP_WINDOW_MINUTES = 60
# The grouping key of failed submissions that had no error: the program ran, but
# printed or gave back something else.
WRONG_RESULT = "wrong_result"
WRONG_RESULT_TEXT = _l("The program runs to the end, but what it prints or gives back is not "
                       "what the exercise asks for.")
UNKNOWN_ERROR_TEXT = _l("The program stopped with an error.")


class AssignmentProblem(ValueError):
    """A request to assign that cannot be done; ``reason`` names it for the page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Thresholds:
    failed_streak: int = 3
    minutes: int = 20

    @classmethod
    def from_settings(cls, settings) -> Thresholds:
        return cls(settings.stuck_failed_streak, settings.stuck_minutes)


# ---- the traffic light ---------------------------------------------------------------


def cell_state(progress: Progress | None, now: datetime, thresholds: Thresholds) -> str:
    """Solved (green), trying, stuck, or not started, for one child and one exercise."""
    if progress is None or not progress.attempts:
        return NOT_STARTED
    if progress.solved:
        return SOLVED
    if progress.failed_streak >= thresholds.failed_streak:
        return STUCK
    started = progress.first_attempt_at or progress.last_attempt_at
    if started is not None and now - started >= timedelta(minutes=thresholds.minutes):
        return STUCK
    return TRYING


# ---- assignments -----------------------------------------------------------------------


@dataclass
class AssignmentView:
    assignment: Assignment
    set_title: str
    child: User | None  # None: the whole club


def assign_set(club: Club, bank: Bank, set_id: str, *, child_ids=None, due_date: date | None,
               by: User | None = None, today: date | None = None) -> list[Assignment]:
    """Give a set to the whole club (``child_ids`` None) or to chosen children of this club.

    Giving the same set to the same child (or the whole club) again changes its due
    date instead of adding a second line. Ids of children of other clubs are refused.
    """
    if bank.get_set(set_id or "") is None:
        raise AssignmentProblem("unknown_set")
    today = today or utcnow().date()
    if due_date is not None and due_date < today:
        raise AssignmentProblem("due_in_past")
    targets: list[int | None]
    if child_ids is None:
        targets = [None]
    else:
        wanted = set()
        for raw in child_ids:
            child_id = parse_id(raw)  # out of range is as unknown as "abc"
            if child_id is None:
                raise AssignmentProblem("unknown_child")
            wanted.add(child_id)
        if not wanted:
            raise AssignmentProblem("no_children")
        found = {c.id for c in club_children(club, wanted, include_inactive=True)}
        if found != wanted:
            raise AssignmentProblem("unknown_child")
        targets = sorted(wanted)
    made = []
    for child_id in targets:
        existing = db.session.scalar(select(Assignment).where(
            Assignment.club_id == club.id, Assignment.set_id == set_id,
            Assignment.child_id.is_(None) if child_id is None else Assignment.child_id == child_id))
        if existing is None:
            existing = Assignment(club_id=club.id, set_id=set_id, child_id=child_id,
                                  created_by_id=by.id if by is not None else None)
            db.session.add(existing)
        existing.due_date = due_date
        made.append(existing)
    db.session.commit()
    return made


def assignments_of_club(club: Club, bank: Bank, locale: str) -> list[AssignmentView]:
    rows = db.session.scalars(select(Assignment).where(Assignment.club_id == club.id).order_by(
        Assignment.due_date.is_(None), Assignment.due_date, Assignment.created_at,
        Assignment.id))
    children = {c.id: c for c in club_children(club, include_inactive=True)}
    views = []
    for a in rows:
        found = bank.get_set(a.set_id)
        title = localized(found.title, locale) if found else a.set_id
        views.append(AssignmentView(a, title, children.get(a.child_id)))
    return views


def remove_assignment(club: Club, assignment_id) -> bool:
    """False when there is no such assignment *in this club* (another club's id included)."""
    aid = parse_id(assignment_id)
    if aid is None:
        return False
    found = db.session.get(Assignment, aid)
    if found is None or found.club_id != club.id:
        return False
    db.session.delete(found)
    db.session.commit()
    return True


def assigned_set_ids_of_club(club: Club) -> list[str]:
    ids = db.session.scalars(select(Assignment.set_id).where(Assignment.club_id == club.id)
                             .order_by(Assignment.created_at, Assignment.id))
    return list(dict.fromkeys(ids))


# ---- the grid -------------------------------------------------------------------------


@dataclass
class Cell:
    state: str
    progress: Progress | None = None

    @property
    def attempts(self) -> int:
        return self.progress.attempts if self.progress else 0


@dataclass
class Grid:
    exercise_set: ExerciseSet
    exercises: list[Exercise]
    children: list[User]
    cells: dict[tuple[int, str], Cell] = field(default_factory=dict)

    def cell(self, child_id: int, exercise_id: str) -> Cell:
        return self.cells.get((child_id, exercise_id), Cell(NOT_STARTED))

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells.values() if c.state == state)


def progress_grid(club: Club, exercise_set: ExerciseSet, thresholds: Thresholds,
                  now: datetime | None = None) -> Grid:
    """Every active child of the club × every exercise of the set, in one query."""
    now = now or utcnow()
    children = club_children(club)
    exercises = list(exercise_set.exercises)
    grid = Grid(exercise_set, exercises, children)
    if not children or not exercises:
        return grid
    rows = db.session.scalars(select(Progress).where(
        Progress.child_id.in_([c.id for c in children]),
        Progress.exercise_id.in_([e.id for e in exercises])))
    for p in rows:
        grid.cells[(p.child_id, p.exercise_id)] = Cell(cell_state(p, now, thresholds), p)
    for child in children:
        for exercise in exercises:
            grid.cells.setdefault((child.id, exercise.id), Cell(NOT_STARTED))
    return grid


# ---- explanations in the librarian's language ---------------------------------------------


def plain_words(error_kind: str | None, report: dict | None, locale: str) -> str:
    """The explanation of a failed submission, as the librarian reads it in ``locale``."""
    if not error_kind:
        return translate(locale, WRONG_RESULT_TEXT)
    report = report or {}
    stored = report.get("explanation") or {}
    if stored.get("kind") != error_kind or not stored.get("message"):
        # No words stored for this kind: its message with the blanks marked.
        stored = explanations.blank(error_kind)
        if stored is None:
            return translate(locale, UNKNOWN_ERROR_TEXT)
    words = explanations.render(stored, locale, written_in=report.get("locale"))["message"]
    return words or translate(locale, UNKNOWN_ERROR_TEXT)


# ---- one cell in detail ------------------------------------------------------------------


_CODE = HtmlFormatter(cssclass="code", linenos="inline", wrapcode=True)
_DIFF = HtmlFormatter(cssclass="code diff", wrapcode=True)


def highlighted(source: str, error_line: int | None = None) -> Markup:
    """The child's code as HTML (Pygments escapes it), the error's line marked."""
    formatter = _CODE
    if error_line:
        formatter = HtmlFormatter(cssclass="code", linenos="inline", wrapcode=True,
                                  hl_lines=[error_line])
    return Markup(highlight(source, PythonLexer(), formatter))  # noqa: S704 (Pygments escapes)


UNCHANGED = _ln("⋯ %(num)s unchanged line ⋯", "⋯ %(num)s unchanged lines ⋯")


def difference(before: str, after: str, locale: str = "ro") -> Markup | None:
    """What changed from one attempt to the next: the changed lines with two lines
    around them, taken out ones marked − and added ones +, highlighted. Where lines
    are left out, one line says how many ("⋯ 4 unchanged lines ⋯") in the reader's
    language: never a patch's "@@ -1,3 +1,3 @@", which a librarian cannot read."""
    old, new = before.splitlines(), after.splitlines()
    groups = list(difflib.SequenceMatcher(None, old, new, autojunk=False)
                  .get_grouped_opcodes(2))
    if not groups:
        return None
    tokens = []

    def skipped(count: int) -> None:
        if count > 0:
            tokens.append((Generic.Subheading, translate(locale, UNCHANGED, count) + "\n"))

    shown_to = 0  # lines of the new program shown (or said skipped) so far
    for group in groups:
        skipped(group[0][3] - shown_to)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                tokens += [(Text, f"  {line}\n") for line in new[j1:j2]]
                continue
            tokens += [(Generic.Deleted, f"− {line}\n") for line in old[i1:i2]]
            tokens += [(Generic.Inserted, f"+ {line}\n") for line in new[j1:j2]]
        shown_to = group[-1][4]
    skipped(len(new) - shown_to)
    return Markup(format_tokens(tokens, _DIFF))  # noqa: S704 (Pygments escapes)


@dataclass
class Attempt:
    number: int
    submission: Submission
    code: Markup
    diff: Markup | None
    unchanged: bool
    explanation: str | None
    tests: list[dict]


@dataclass
class HintSeen:
    level: int
    at: datetime
    text: str


@dataclass
class CellDetail:
    child: User
    exercise: Exercise
    state: str
    progress: Progress | None
    attempts: list[Attempt]
    hints: list[HintSeen]


def cell_detail(child: User, exercise: Exercise, locale: str, thresholds: Thresholds,
                now: datetime | None = None) -> CellDetail:
    """Every graded attempt of ``child`` on ``exercise``, oldest first, each with its
    highlighted code, its tests, its explanation and what changed since the one before."""
    now = now or utcnow()
    submissions = list(db.session.scalars(select(Submission).where(
        Submission.child_id == child.id, Submission.exercise_id == exercise.id,
        Submission.kind == SUBMIT).order_by(Submission.created_at, Submission.id)))
    attempts, before = [], None
    for number, s in enumerate(submissions, start=1):
        report = s.report or {}
        attempts.append(Attempt(
            number, s, highlighted(s.source, s.error_line),
            difference(before, s.source, locale) if before is not None else None,
            before is not None and before == s.source,
            None if s.solved else plain_words(s.error_kind, report, locale),
            render_report(report, locale).get("tests") or [],
        ))
        before = s.source
    texts = list(localized(exercise.hints, locale) or []) if exercise.hints else []
    hints = [HintSeen(h.level, h.at, texts[h.level - 1] if 0 < h.level <= len(texts) else "")
             for h in db.session.scalars(select(HintUse).where(
                 HintUse.child_id == child.id, HintUse.exercise_id == exercise.id)
                 .order_by(HintUse.level))]
    progress = db.session.scalar(select(Progress).where(
        Progress.child_id == child.id, Progress.exercise_id == exercise.id))
    return CellDetail(child, exercise, cell_state(progress, now, thresholds), progress,
                      attempts, hints)


def submission_of_child(child: User, submission_id) -> Submission | None:
    """The object-level check behind /copil/<child>/incercare/<id>: the route policy has
    checked the child; the submission must be that child's, or it does not exist."""
    sid = parse_id(submission_id)
    if sid is None:
        return None
    found = db.session.get(Submission, sid)
    if found is None or found.child_id != child.id or found.kind != SUBMIT:
        return None
    return found


# ---- who needs help now -------------------------------------------------------------------


@dataclass
class NeedsHelp:
    child: User
    exercise: Exercise
    progress: Progress
    last_error: str
    error_line: int | None
    last_submission: Submission | None


def who_needs_help(club: Club, bank: Bank, locale: str, thresholds: Thresholds,
                   now: datetime | None = None) -> list[NeedsHelp]:
    """The children stuck right now, longest-stuck first, one line each (their most
    recent stuck exercise), with the last error in plain words."""
    now = now or utcnow()
    since = now - timedelta(minutes=HELP_WINDOW_MINUTES)
    rows = db.session.execute(
        select(Progress, User).join(User, User.id == Progress.child_id).where(
            User.club_id == club.id, User.role == CHILD, User.active.is_(True),
            Progress.solved.is_(False), Progress.last_attempt_at >= since)
        .order_by(Progress.last_attempt_at.desc())).all()
    chosen: dict[int, tuple[Progress, User]] = {}
    for progress, child in rows:
        if child.id in chosen or bank.get(progress.exercise_id) is None:
            continue
        if cell_state(progress, now, thresholds) == STUCK:
            chosen[child.id] = (progress, child)
    found = []
    for progress, child in chosen.values():
        last = db.session.scalar(select(Submission).where(
            Submission.child_id == child.id, Submission.exercise_id == progress.exercise_id,
            Submission.kind == SUBMIT, Submission.solved.is_(False))
            .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(1))
        words = (plain_words(last.error_kind, last.report, locale) if last
                 else translate(locale, UNKNOWN_ERROR_TEXT))
        found.append(NeedsHelp(child, bank.get(progress.exercise_id), progress, words,
                               last.error_line if last else None, last))
    found.sort(key=lambda h: (-h.progress.failed_streak,
                              h.progress.first_attempt_at or h.progress.last_attempt_at))
    return found


# ---- the commonest errors of one exercise ---------------------------------------------------


@dataclass
class CommonError:
    kind: str
    explanation: str
    submissions: int
    children: int


def common_errors(club: Club, exercise: Exercise, locale: str, limit: int = 10) -> list[
        CommonError]:
    """Failed submissions of the club on ``exercise`` grouped by error kind, most first."""
    kind = func.coalesce(Submission.error_kind, WRONG_RESULT)
    rows = db.session.execute(
        select(kind, func.count(Submission.id), func.count(distinct(Submission.child_id)),
               func.max(Submission.id))
        .where(Submission.club_id == club.id, Submission.exercise_id == exercise.id,
               Submission.kind == SUBMIT, Submission.solved.is_(False))
        .group_by(kind)
        .order_by(func.count(Submission.id).desc(), func.count(distinct(Submission.child_id))
                  .desc(), kind)
        .limit(limit)).all()
    found = []
    for error_kind, count, children, example_id in rows:
        example = db.session.get(Submission, example_id)
        stored = None if error_kind == WRONG_RESULT else error_kind
        found.append(CommonError(error_kind, plain_words(stored, example.report, locale),
                                 count, children))
    return found


# ==== meetings and the monthly report ========================================================


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
    children = club_children(meeting.club, include_inactive=True)
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


# ==== diplomas ================================================================================


DIPLOMA_DEFAULT_LOCALE = "ro"


@dataclass
class SetStatus:
    set: ExerciseSet
    solved: int
    total: int
    finished_on: date | None  # the day the last exercise was solved (Romania's time)

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.solved == self.total


def set_status(child: User, exercise_set: ExerciseSet) -> SetStatus:
    ids = [e.id for e in exercise_set.exercises]
    rows = list(db.session.execute(
        select(Progress.exercise_id, Progress.solved_at).where(
            Progress.child_id == child.id, Progress.exercise_id.in_(ids or [""]),
            Progress.solved.is_(True))
    ))
    solved_at = [at for _ex, at in rows if at is not None]
    finished_on = local(max(solved_at)).date() if solved_at and len(rows) == len(ids) else None
    return SetStatus(exercise_set, len(rows), len(ids), finished_on)


def statuses(child: User) -> list[SetStatus]:
    return [set_status(child, s) for s in current_bank().sets]


def diploma_locale(child: User) -> str:
    return child.locale if child.locale in LANGUAGES else DIPLOMA_DEFAULT_LOCALE


# ==== a child's data =========================================================================


# Local time with its offset (codekids.i18n.iso_local): the hour the librarian lived,
# and still the exact instant for a program.
_iso = iso_local


# ---- export ---------------------------------------------------------------------------


def export_child(child: User) -> dict:
    """Everything stored about the child, as plain JSON-able data."""
    s = db.session
    projects = list(s.scalars(select(Project).where(Project.child_id == child.id)
                              .order_by(Project.id)))
    project_names = {p.id: p.name for p in projects}
    submissions = s.scalars(select(Submission).where(Submission.child_id == child.id)
                            .order_by(Submission.created_at, Submission.id))
    # Reports hold message keys (bank.texts); the family reads them in the child's language.
    language = child.locale or current_app.config["CODEKIDS"].default_locale
    lines_by_target = dict(s.execute(
        select(CountedLine.target, func.count()).where(CountedLine.child_id == child.id)
        .group_by(CountedLine.target)
    ).all())
    return {
        "nickname": child.nickname,
        "club": child.club.name if child.club else None,
        "library": child.club.library if child.club else None,
        "language": child.locale,
        "created": _iso(child.created_at),
        "last_login": _iso(child.last_login_at),
        "active": bool(child.active),
        "lines_counted": sum(int(n) for n in lines_by_target.values()),
        "lines_by_exercise_or_project": {k: int(n) for k, n in sorted(lines_by_target.items())},
        "submissions": [
            {
                "id": sub.id,
                "kind": sub.kind,
                "exercise": sub.exercise_id,
                "project": project_names.get(sub.project_id),
                "at": _iso(sub.created_at),
                "code": sub.source,
                "status": sub.status,
                "tests_passed": sub.passed,
                "tests_total": sub.total,
                "solved": bool(sub.solved),
                "error": sub.error_kind,
                "error_line": sub.error_line,
                "results": render_report(sub.report, language) if sub.report else None,
            }
            for sub in submissions
        ],
        "progress": [
            {
                "exercise": p.exercise_id,
                "attempts": p.attempts,
                "solved": bool(p.solved),
                "stars": p.stars,
                "hints_used": p.hints_used,
                "first_attempt": _iso(p.first_attempt_at),
                "last_attempt": _iso(p.last_attempt_at),
                "solved_at": _iso(p.solved_at),
            }
            for p in s.scalars(select(Progress).where(Progress.child_id == child.id)
                               .order_by(Progress.exercise_id))
        ],
        "hints": [
            {"exercise": h.exercise_id, "level": h.level, "at": _iso(h.at)}
            for h in s.scalars(select(HintUse).where(HintUse.child_id == child.id)
                               .order_by(HintUse.at, HintUse.id))
        ],
        "projects": [
            {"name": p.name, "code": p.source, "created": _iso(p.created_at),
             "updated": _iso(p.updated_at)}
            for p in projects
        ],
        "drafts": [
            {"exercise": d.exercise_id, "code": d.source, "updated": _iso(d.updated_at)}
            for d in s.scalars(select(Draft).where(Draft.child_id == child.id)
                               .order_by(Draft.exercise_id))
        ],
    }


# The CSV's columns, in an order that never changes (README, "A club's CSV files"): a
# spreadsheet or a script may rely on their position. The header row, and the word in
# the first column saying what each row is, are in the reader's language.
CSV_COLUMNS = {
    "record": lazy_gettext("Kind of record"), "exercise": lazy_gettext("Exercise"),
    "project": lazy_gettext("Project"), "at": lazy_gettext("Date and time"),
    "code": lazy_gettext("Code"), "result": lazy_gettext("Result"),
    "solved": lazy_gettext("Exercise solved"), "tests_passed": lazy_gettext("Tests passed"),
    "tests_total": lazy_gettext("Tests in all"), "attempts": lazy_gettext("Attempts"),
    "stars": lazy_gettext("Stars"), "hint_level": lazy_gettext("Hint number"),
    "lines": lazy_gettext("Lines of code"),
}
CSV_HEADER = list(CSV_COLUMNS)
RECORD_KINDS = {
    "child": lazy_gettext("child"), "submission": lazy_gettext("submitted program"),
    "progress": lazy_gettext("progress"), "hint": lazy_gettext("hint"),
    "project": lazy_gettext("project"), "draft": lazy_gettext("draft"),
    "lines": lazy_gettext("counted lines"),
}
# What a submission's stored status (codekids.bank.grading, the sandbox) means; a
# status not named here is written as it is stored.
RESULTS = {
    "passed": lazy_gettext("all tests passed"), "failed": lazy_gettext("some tests failed"),
    "error": lazy_gettext("stopped with an error"), "refused": lazy_gettext("not allowed"),
    "timeout": lazy_gettext("ran too long"), "memory": lazy_gettext("used too much memory"),
    "output_limit": lazy_gettext("printed too much"), "ok": lazy_gettext("ran to the end"),
}


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def export_rows(data: dict) -> list[list]:
    """The export as one flat table: a row per record, `record` says what kind."""
    blank = dict.fromkeys(CSV_HEADER, "")

    def row(record, **values):
        return [{**blank, **values, "record": str(RECORD_KINDS[record])}[k]
                for k in CSV_HEADER]

    rows = [row("child", exercise=f"{data['nickname']} · {data['club']}",
                at=data["created"], lines=data["lines_counted"])]
    rows += [row("submission", exercise=s["exercise"] or "", project=s["project"] or "",
                 at=s["at"], code=s["code"], result=str(RESULTS.get(s["status"], s["status"])),
                 solved=_yes_no(s["solved"]),
                 tests_passed=s["tests_passed"], tests_total=s["tests_total"])
             for s in data["submissions"]]
    rows += [row("progress", exercise=p["exercise"], at=p["last_attempt"] or "",
                 solved=_yes_no(p["solved"]), attempts=p["attempts"], stars=p["stars"])
             for p in data["progress"]]
    rows += [row("hint", exercise=h["exercise"], at=h["at"], hint_level=h["level"])
             for h in data["hints"]]
    rows += [row("project", project=p["name"], at=p["updated"], code=p["code"])
             for p in data["projects"]]
    rows += [row("draft", exercise=d["exercise"], at=d["updated"], code=d["code"])
             for d in data["drafts"]]
    rows += [row("lines", exercise=target, lines=n)
             for target, n in data["lines_by_exercise_or_project"].items()]
    return rows


# ---- delete ---------------------------------------------------------------------------


def delete_child(child: User) -> None:
    """Delete the child's account in one transaction; their counted lines and their
    submissions stay, anonymous (see the module's docstring)."""
    s = db.session
    child_id = child.id
    # Said explicitly rather than left to ON DELETE SET NULL, so the rule reads here.
    s.execute(update(Submission).where(Submission.child_id == child_id)
              .values(child_id=None).execution_options(synchronize_session=False))
    s.execute(update(CountedLine).where(CountedLine.child_id == child_id)
              .values(child_id=None).execution_options(synchronize_session=False))
    counter.forget_child(s, child_id)
    # Progress, hints, drafts, projects, assignments, attendance, login attempts and
    # child-days go with the account (ON DELETE CASCADE).
    s.delete(child)
    s.commit()
