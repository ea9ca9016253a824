"""Following a club's children: assignments, the progress grid, who needs help, common errors.

The rules a librarian's pages rest on, called directly by the tests:

- a cell of the grid (one child, one exercise) is *solved*, *trying*, *stuck* or
  *not started* (``cell_state``); "stuck" is several failed submissions in a row
  (``stuck_failed_streak``) or trying for ``stuck_minutes`` without a pass;
- "who needs help now" lists the children stuck on an exercise they tried in the
  last ``HELP_WINDOW_MINUTES``, with their last error in the librarian's language;
- the commonest errors of an exercise group the club's failed submissions by error kind.

A graded submission stores its messages as keys with parameters (a misspelt name, a
bracket: the child's own words), never as words of one language, so the librarian
reads them in their own language (``plain_words``, ``cell_detail``), rendered by the
bank's one renderer (``grading.render_report``). Rows from before that hold the
child's words: see ``explanations.render`` for how they are shown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from markupsafe import Markup
from pygments import format as format_tokens
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import Generic, Text
from sqlalchemy import distinct, func, select

from codekids import db
from codekids.accounts.models import CHILD, User
from codekids.bad_input import parse_id
from codekids.bank import explanations
from codekids.bank.grading import render_report
from codekids.bank.models import Bank, Exercise, ExerciseSet
from codekids.bank.texts import _l, _ln, localized, translate
from codekids.clubs.models import Club
from codekids.collation import sorted_by
from codekids.db import utcnow
from codekids.learning.models import SUBMIT, Assignment, HintUse, Progress, Submission

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
        found = set(db.session.scalars(select(User.id).where(
            User.id.in_(wanted), User.club_id == club.id, User.role == CHILD)))
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
    children = {c.id: c for c in db.session.scalars(
        select(User).where(User.club_id == club.id, User.role == CHILD))}
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


def club_children(club: Club) -> list[User]:
    return sorted_by(db.session.scalars(select(User).where(
        User.club_id == club.id, User.role == CHILD, User.active.is_(True))),
        lambda u: u.nickname)


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
