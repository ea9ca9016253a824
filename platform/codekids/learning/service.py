"""The rules of the child's side: runs, graded submissions, stars, hints, drafts, projects.

Views (HTML pages and the JSON API alike) parse the request, call one function
here and render what it returns. Everything a child sends is checked here
(``clean_source``), so both doors refuse the same things with the same words.

A graded submission, the child's progress on the exercise and the lines it
earns for the national counter are written in ONE transaction
(``record_submission``); the client's key makes a double click on Submit one
submission.

The sandbox failing is never the child's fault: every run goes through
``sandbox_client.Retrying`` (a lost run is sent once more, a busy queue once
after a short pause), and a run lost twice raises ``sandbox_unavailable``
("try again in a minute") before anything is written: no submission, no
attempt, no "stuck" streak, no stars lost, no lines; the draft stays.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from codekids import db
from codekids.bank import explanations, grade
from codekids.bank.models import Bank, Exercise, ExerciseSet
from codekids.bank.texts import localized
from codekids.clubs.models import Club
from codekids.counter import service as counter
from codekids.counter.models import CountedLine
from codekids.db import utcnow
from codekids.learning.models import (
    PLAYGROUND,
    RUN,
    SUBMIT,
    Assignment,
    Draft,
    HintUse,
    Progress,
    Project,
    Submission,
)
from codekids.sandbox_client import Retrying, SandboxUnavailable
from sandbox.result import Limits

# The sandbox refuses longer programs; saying so before sending one is kinder and cheaper.
MAX_SOURCE_BYTES = Limits().source_bytes
MAX_STDIN_BYTES = 64 * 1024
MAX_PROJECT_NAME = 60
# At most this many segments are drawn on the page (the sandbox allows 50,000).
MAX_DRAWN_SEGMENTS = 5000

# Characters no program typed on a keyboard contains: NUL and the other C0
# controls (tab, newline, carriage return excepted), DEL, the replacement
# character a browser puts where bytes were not UTF-8, and lone surrogates
# (JSON can carry them; nothing can print them).
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ud800-\udfff]")
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

MESSAGES = {
    "empty_source": _l("Your program is empty. Write some code first, then try again."),
    "too_large": _l("Your program is too long: a program can have at most 64 KB. "
                    "Did you paste something by mistake?"),
    "bad_source": _l("Your program has characters in it that are not text. "
                     "Did you paste something by mistake? Delete it and try again."),
    "not_found": _l("We could not find this. Go back to your page and pick it from the list."),
    "bad_request": _l("We did not understand what the page sent. Reload the page and try again."),
    "busy": _l("The computer is very busy right now. Wait a moment and try again."),
    "forbidden": _l("Log in again, please: reload the page."),
    "name_taken": _l("You already have a project with this name. Pick another name."),
    "bad_name": _l("Give your project a name, at most 60 letters long."),
    "no_more_hints": _l("You have seen every hint for this exercise."),
    # The sandbox failed twice (or its queue stayed full): not the child's doing.
    "sandbox_unavailable": _l("The computer could not run your program just now. It is not "
                              "your fault. Try again in a minute."),
}
STATUS = {"empty_source": 400, "too_large": 413, "bad_source": 400, "not_found": 404,
          "bad_request": 400, "busy": 503, "forbidden": 403, "name_taken": 409,
          "bad_name": 400, "no_more_hints": 409, "sandbox_unavailable": 503}


class LearningError(Exception):
    """Something the child sent that we refuse, with the code the API answers and
    the words the child reads (translated when shown)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.status = STATUS[code]

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])


# ---- checking what a child sends ---------------------------------------------------------


def _clean_text(raw, limit: int) -> str:
    """Text, within `limit` bytes, without junk, with newlines normalised."""
    if not isinstance(raw, str):
        raise LearningError("bad_request")
    # Length in characters first: a 1 MB paste is refused before it is scanned.
    if len(raw) > limit or len(raw.encode("utf-8", "surrogatepass")) > limit:
        raise LearningError("too_large")
    if _JUNK.search(raw):
        raise LearningError("bad_source")
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def clean_source(raw, *, allow_empty: bool = False) -> str:
    source = _clean_text(raw, MAX_SOURCE_BYTES)
    if not allow_empty and not source.strip():
        raise LearningError("empty_source")
    return source


def clean_stdin(raw) -> str:
    if raw is None:
        return ""
    text = _clean_text(raw, MAX_STDIN_BYTES)
    # input() reads lines: the last one needs its newline, as if Enter was pressed.
    return text if not text or text.endswith("\n") else text + "\n"


def clean_client_key(raw) -> str:
    """The page's key for one click on Submit; a fresh one when the page sent none."""
    if raw is None or raw == "":
        return secrets.token_urlsafe(24)
    if not isinstance(raw, str) or not _CLIENT_KEY.match(raw):
        raise LearningError("bad_request")
    return raw


def clean_project_name(raw) -> str:
    if not isinstance(raw, str):
        raise LearningError("bad_name")
    name = " ".join(raw.split())
    if not name or len(name) > MAX_PROJECT_NAME or _JUNK.search(name):
        raise LearningError("bad_name")
    return name


def get_exercise(bank: Bank, exercise_id: str) -> Exercise:
    exercise = bank.get(exercise_id)
    if exercise is None:
        raise LearningError("not_found")
    return exercise


def get_set(bank: Bank, set_id: str) -> ExerciseSet:
    found = bank.get_set(set_id)
    if found is None:
        raise LearningError("not_found")
    return found


def next_exercise(bank: Bank, exercise: Exercise) -> Exercise | None:
    """The next exercise of the set; after the last one, the first of the next set."""
    order = [e for s in bank.sets for e in s.exercises]
    for i, candidate in enumerate(order):
        if candidate.id == exercise.id:
            return order[i + 1] if i + 1 < len(order) else None
    return None


# ---- running -----------------------------------------------------------------------------


def _sandbox(sandbox) -> Retrying:
    """The sandbox to run a child's program in (None: the site's own), retrying lost runs."""
    return Retrying(sandbox)


@contextmanager
def _sandbox_failures() -> Iterator[None]:
    """A run the sandbox lost twice: the child reads "try again in a minute", and the
    caller records nothing, since it raises before its first write."""
    try:
        yield
    except SandboxUnavailable:
        raise LearningError("sandbox_unavailable") from None


def drawn_segments(turtle: list[dict] | None) -> list[dict] | None:
    if turtle is None:
        return None
    return turtle[:MAX_DRAWN_SEGMENTS]


def run_answer(result, source: str, locale: str, *, function_tests: bool = False,
               stdin: str | None = None) -> dict:
    """What a run shows the child: output, drawing, the friendly explanation, and
    gentle warnings (never graded) for a program that ran but surely does not do
    what was meant. ``function_tests``: the exercise's tests call its functions;
    ``stdin``: what the page's input box held (None where the page has no box)."""
    from codekids.bank.advice import advice_for

    explanation = None
    warnings = []
    if not result.ok:
        explanation = explanations.explain(result, source, locale, stdin=stdin)
    else:
        warnings = advice_for(source, locale, function_tests=function_tests)
    error_line = (explanation or {}).get("line") or (result.error or {}).get("line")
    return {
        "status": result.status,
        "stdout": result.stdout,
        "stdout_truncated": result.stdout_truncated,
        "turtle": drawn_segments(result.turtle),
        "turtle_truncated": bool(result.turtle and len(result.turtle) > MAX_DRAWN_SEGMENTS),
        "explanation": explanation,
        "warnings": warnings,
        "error_line": error_line,
    }


def run_exercise(child, exercise: Exercise, source: str, stdin: str, locale: str, *,
                 sandbox=None) -> dict:
    """Run (not graded) with the child's own input; recorded so a librarian can see it."""
    source = clean_source(source)
    stdin = clean_stdin(stdin)
    with _sandbox_failures():
        result = _sandbox(sandbox).run(source, stdin=stdin)
    function_tests = any(t.kind == "function" for t in exercise.tests)
    # The page shows the input box only on exercises that read input (Exercise.reads_input).
    answer = run_answer(result, source, locale, function_tests=function_tests,
                        stdin=stdin if exercise.reads_input else None)
    db.session.add(Submission(
        child_id=child.id, club_id=child.club_id, kind=RUN, exercise_id=exercise.id,
        source=source, status=result.status, solved=False,
        error_kind=(answer["explanation"] or {}).get("kind"), error_line=answer["error_line"],
    ))
    db.session.commit()
    answer["lines_counted"] = 0
    return answer


def run_playground(child, source: str, stdin: str, locale: str, *, project_id: int | None = None,
                   sandbox=None) -> dict:
    """A free run; an error-free one earns counted lines (DESIGN.md §4), in the same transaction."""
    source = clean_source(source)
    stdin = clean_stdin(stdin)
    project = get_project(child, project_id) if project_id is not None else None
    with _sandbox_failures():
        result = _sandbox(sandbox).run(source, stdin=stdin)
    answer = run_answer(result, source, locale, stdin=stdin)
    submission = Submission(
        child_id=child.id, club_id=child.club_id, kind=PLAYGROUND,
        project_id=project.id if project else None, source=source, status=result.status,
        solved=result.ok, error_kind=(answer["explanation"] or {}).get("kind"),
        error_line=answer["error_line"],
    )
    db.session.add(submission)
    db.session.flush()
    # cap None: the counter's own per-project daily cap (CODEKIDS_COUNTER_PLAYGROUND_DAILY_CAP).
    lines = count_lines(submission, starter="", cap=None) if result.ok else 0
    db.session.commit()
    answer["lines_counted"] = lines
    return answer


# ---- the counter (codekids.counter, the room below: it takes plain values) ---------------


def works(submission: Submission) -> bool:
    """A passing graded submission, or a playground run that finished without error
    (DESIGN.md §4: only a program that works earns lines)."""
    if submission.kind == SUBMIT:
        return bool(submission.solved) and bool(submission.exercise_id)
    if submission.kind == PLAYGROUND:
        return submission.status == "ok"
    return False


def counter_target(submission: Submission) -> str:
    """What the submission's lines are distinct within on the counter."""
    if submission.kind == SUBMIT:
        return counter.exercise_target(submission.exercise_id)
    return counter.project_target(submission.project_id)


def count_lines(submission: Submission, *, starter: str, cap: int | None) -> int:
    """Hand a working program to the national counter, inside the caller's transaction
    (the counter flushes, never commits: our single commit saves both or neither)."""
    if submission.child_id is None or not works(submission):
        return 0
    db.session.flush()  # the submission's id, for the ledger
    club = db.session.get(Club, submission.club_id)
    return counter.count_submission(
        child_id=submission.child_id, club_id=club.id, county_id=club.county_id,
        target=counter_target(submission), source=submission.source, starter=starter,
        cap=cap, submission_id=submission.id)


def counted_programs() -> Iterator[counter.Program]:
    """Every submission the counter's ledger names, in order of id, as the counter's
    plain values: what `codekids counter verify` traces each counted line to."""
    named = select(CountedLine.submission_id).distinct()
    # Plain rows, not Submission objects (a big ledger names millions): a row has the
    # columns works() and counter_target() read.
    rows = db.session.execute(
        select(Submission.id, Submission.child_id, Submission.kind, Submission.exercise_id,
               Submission.project_id, Submission.source, Submission.solved, Submission.status)
        .where(Submission.id.in_(named)).order_by(Submission.id)
    ).yield_per(1000)
    for sub in rows:
        yield counter.Program(sub.id, sub.child_id, counter_target(sub), sub.source, works(sub))


def child_total_lines(child) -> int:
    """The child's own figure on the national counter."""
    return counter.child_total(child)


# ---- graded submissions ------------------------------------------------------------------


THREE_STARS_MAX_FAILED = 2  # and no hint
TWO_STARS_MAX_HINTS = 1  # or at most TWO_STARS_MAX_FAILED failed attempts
TWO_STARS_MAX_FAILED = 5


def stars_for(failed_before: int, hints_used: int) -> int:
    """3: no hint and at most 2 failed attempts; 2: at most 1 hint or at most 5 failed; else 1."""
    if hints_used == 0 and failed_before <= THREE_STARS_MAX_FAILED:
        return 3
    if hints_used <= TWO_STARS_MAX_HINTS or failed_before <= TWO_STARS_MAX_FAILED:
        return 2
    return 1


def stars_reason(failed_before: int, hints_used: int) -> dict:
    """Why ``stars_for`` gave what it gave, for the child: a code and the numbers it names.

    ``no_hints`` (3 stars), ``hints``, ``tries`` or ``hints_and_tries`` (what kept the
    third star away); ``three_stars_tries`` is the most tries that still earn 3 stars.
    """
    stars = stars_for(failed_before, hints_used)
    tries = failed_before + 1
    many_tries = failed_before > THREE_STARS_MAX_FAILED
    if stars == 3:
        code = "no_hints"
    elif hints_used and many_tries:
        code = "hints_and_tries"
    elif hints_used:
        code = "hints"
    else:
        code = "tries"
    return {"stars": stars, "code": code, "hints": hints_used, "tries": tries,
            "three_stars_tries": THREE_STARS_MAX_FAILED + 1}


# The stars of an exercise solved before: they were earned at its first solve.
EARNED_BEFORE = {"code": "earlier"}


@dataclass
class SubmitOutcome:
    submission: Submission
    report: dict
    stars: int
    duplicate: bool
    lines_counted: int = 0
    next_exercise: Exercise | None = None
    stars_reason: dict | None = None  # stars_reason(), or EARNED_BEFORE; None when not solved
    set_finished: bool = False  # this submission solved the last unsolved exercise of its set


def _submission_by_key(child_id: int, client_key: str) -> Submission | None:
    return db.session.scalar(select(Submission).where(
        Submission.child_id == child_id, Submission.client_key == client_key))


def get_progress(child_id: int, exercise_id: str) -> Progress | None:
    return db.session.scalar(select(Progress).where(
        Progress.child_id == child_id, Progress.exercise_id == exercise_id))


def _progress_for_update(child_id: int, exercise_id: str) -> Progress:
    # FOR UPDATE (PostgreSQL): two tabs submitting at once must not lose an attempt.
    progress = db.session.scalar(select(Progress).where(
        Progress.child_id == child_id, Progress.exercise_id == exercise_id).with_for_update())
    if progress is None:
        progress = Progress(child_id=child_id, exercise_id=exercise_id, attempts=0,
                            failed_streak=0, solved=False, stars=0, hints_used=0)
        db.session.add(progress)
    return progress


def record_submission(child, exercise: Exercise, source, client_key, locale: str, *,
                      bank: Bank | None = None, sandbox=None) -> SubmitOutcome:
    """Grade ``source`` and record it with the progress, stars and counted lines, atomically.

    The same ``client_key`` twice (a double click, a reloaded form) gives the first
    submission's result with ``duplicate=True`` and records nothing.
    """
    source = clean_source(source)
    client_key = clean_client_key(client_key)
    nxt = next_exercise(bank, exercise) if bank is not None else None
    existing = _submission_by_key(child.id, client_key)
    if existing is not None:
        return _duplicate(existing, nxt)
    with _sandbox_failures():  # lost twice: nothing below runs, nothing is recorded
        report = grade(exercise, source, locale, sandbox=_sandbox(sandbox))
    found_set = bank.get_set(exercise.set_id) if bank is not None else None
    set_ids = [e.id for e in found_set.exercises] if found_set is not None else []
    for _attempt in range(2):
        try:
            return _record(child, exercise, source, client_key, report, nxt, set_ids)
        except IntegrityError:
            # Another request with this key won the race (a double click): answer with
            # its result. Or two tabs created the progress row at once: try again.
            db.session.rollback()
            existing = _submission_by_key(child.id, client_key)
            if existing is not None:
                return _duplicate(existing, nxt)
    raise LearningError("busy")


def _set_solved(child_id: int, set_ids: list[str]) -> bool:
    if not set_ids:
        return False
    solved = db.session.scalar(select(func.count(Progress.id)).where(
        Progress.child_id == child_id, Progress.exercise_id.in_(set_ids), Progress.solved))
    return solved == len(set(set_ids))


def _record(child, exercise, source, client_key, report, nxt, set_ids=()) -> SubmitOutcome:
    now = utcnow()
    first_problem = next((t for t in report.tests if not t.passed), None)
    explanation = report.explanation or {}
    submission = Submission(
        child_id=child.id, club_id=child.club_id, kind=SUBMIT, exercise_id=exercise.id,
        client_key=client_key, source=source,
        status=first_problem.status if first_problem else "passed",
        passed=report.passed, total=report.total, solved=report.solved,
        error_kind=explanation.get("kind"), error_line=explanation.get("line"),
        report=report.to_dict(), created_at=now,
    )
    db.session.add(submission)
    db.session.flush()  # the unique client key is checked here
    progress = _progress_for_update(child.id, exercise.id)
    failed_before = progress.attempts  # every earlier attempt failed, or we were solved already
    progress.attempts += 1
    progress.first_attempt_at = progress.first_attempt_at or now
    progress.last_attempt_at = now
    lines = 0
    reason = None
    set_finished = False
    if report.solved:
        reason = EARNED_BEFORE
        if not progress.solved:
            # Stars are earned once, at the first solve, and never change after
            # (re-solving a solved exercise must not polish away the hints used).
            progress.solved = True
            progress.solved_at = now
            reason = stars_reason(failed_before, progress.hints_used)
            progress.stars = reason["stars"]
            set_finished = _set_solved(child.id, list(set_ids))
        progress.failed_streak = 0
        lines = count_lines(submission, starter=exercise.starter, cap=exercise.max_lines)
    else:
        progress.failed_streak += 1
    db.session.commit()
    return SubmitOutcome(submission, submission.report, progress.stars, False, lines, nxt,
                         reason, set_finished)


def _duplicate(submission: Submission, nxt) -> SubmitOutcome:
    progress = get_progress(submission.child_id, submission.exercise_id)
    solved = bool((submission.report or {}).get("solved"))
    return SubmitOutcome(submission, submission.report or {}, progress.stars if progress else 0,
                         True, 0, nxt, EARNED_BEFORE if solved else None)


# ---- hints -------------------------------------------------------------------------------


@dataclass
class Hint:
    level: int
    text: str
    remaining: int
    new: bool = True


def hints_of(exercise: Exercise, locale: str) -> list[str]:
    return list(localized(exercise.hints, locale) or []) if exercise.hints else []


def hints_used(child_id: int, exercise_id: str) -> int:
    return db.session.scalar(select(func.count(HintUse.id)).where(
        HintUse.child_id == child_id, HintUse.exercise_id == exercise_id)) or 0


def revealed_hints(child, exercise: Exercise, locale: str) -> list[Hint]:
    texts = hints_of(exercise, locale)
    used = min(hints_used(child.id, exercise.id), len(texts))
    return [Hint(i + 1, texts[i], len(texts) - i - 1, False) for i in range(used)]


def reveal_hint(child, exercise: Exercise, locale: str) -> Hint:
    """The next hint of the ladder, recorded (one at a time; a double click shows one)."""
    texts = hints_of(exercise, locale)
    for _attempt in range(2):
        used = hints_used(child.id, exercise.id)
        if used >= len(texts):
            raise LearningError("no_more_hints")
        level = used + 1
        try:
            db.session.add(HintUse(child_id=child.id, exercise_id=exercise.id, level=level))
            progress = _progress_for_update(child.id, exercise.id)
            progress.hints_used = level
            db.session.commit()
            return Hint(level, texts[level - 1], len(texts) - level)
        except IntegrityError:
            db.session.rollback()  # the same level from a double click: show the next one
    raise LearningError("busy")


# ---- drafts ------------------------------------------------------------------------------


def get_draft(child, exercise_id: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(
        Draft.child_id == child.id, Draft.exercise_id == exercise_id))


def save_draft(child, exercise: Exercise, source) -> Draft:
    source = clean_source(source, allow_empty=True)
    for _attempt in range(2):
        draft = get_draft(child, exercise.id)
        if draft is None:
            draft = Draft(child_id=child.id, exercise_id=exercise.id, source=source)
            db.session.add(draft)
        draft.source = source
        draft.updated_at = utcnow()
        try:
            db.session.commit()
            return draft
        except IntegrityError:
            db.session.rollback()  # the first save from two tabs at once: update instead
    raise LearningError("busy")


def starter_code(exercise: Exercise) -> str:
    return exercise.starter.lstrip("\n")


def last_passing_submission(child, exercise_id: str) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.child_id == child.id,
                                 Submission.exercise_id == exercise_id,
                                 Submission.kind == SUBMIT, Submission.solved.is_(True))
        .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(1))


def code_for(child, exercise: Exercise) -> str:
    """What the editor shows: the newer of the child's draft and their last passing
    program; with neither, the exercise's starter code.

    The passing program counts because a Submit sent from the page's script is not
    a draft save (the script even marks the sent program as saved), so a child who
    typed and submitted quickly had no draft, or an older one, and met the starter
    again on reopening a solved exercise. "Start again" (``restart``) writes the
    starter as the newest draft; the passing submission stays, so nothing is lost.
    """
    draft = get_draft(child, exercise.id)
    passing = last_passing_submission(child, exercise.id)
    if passing is not None and (draft is None or passing.created_at >= draft.updated_at):
        return passing.source
    if draft is not None:
        return draft.source
    return starter_code(exercise)


def restart(child, exercise: Exercise) -> str:
    """Start again from the starter: it becomes the draft; the solution stays a submission."""
    code = starter_code(exercise)
    save_draft(child, exercise, code)
    return code


def restore_solution(child, exercise: Exercise) -> str:
    """Bring back the last passing program (after a restart) as the draft; with none,
    the editor's code stays what it was."""
    passing = last_passing_submission(child, exercise.id)
    if passing is None:
        return code_for(child, exercise)
    save_draft(child, exercise, passing.source)
    return passing.source


# ---- projects ----------------------------------------------------------------------------


def list_projects(child) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.child_id == child.id)
                                   .order_by(Project.updated_at.desc(), Project.id.desc())))


def get_project(child, project_id) -> Project:
    """The child's own project; someone else's is 'not found', exactly like a missing one."""
    if not isinstance(project_id, int) or isinstance(project_id, bool):
        raise LearningError("not_found")
    project = db.session.scalar(select(Project).where(
        Project.id == project_id, Project.child_id == child.id))
    if project is None:
        raise LearningError("not_found")
    return project


def default_project_name(child) -> str:
    """A name the child does not use yet, offered when they first save: "My project 3"."""
    names = set(db.session.scalars(select(Project.name).where(Project.child_id == child.id)))
    number = len(names) + 1
    while str(_l("My project %(num)s", num=number)) in names:
        number += 1
    return str(_l("My project %(num)s", num=number))[:MAX_PROJECT_NAME]


def _name_taken(child, name: str, except_id: int | None = None) -> bool:
    query = select(Project.id).where(Project.child_id == child.id, Project.name == name)
    if except_id is not None:
        query = query.where(Project.id != except_id)
    return db.session.scalar(query) is not None


def create_project(child, name, source="") -> Project:
    name = clean_project_name(name)
    source = clean_source(source if source is not None else "", allow_empty=True)
    if _name_taken(child, name):
        raise LearningError("name_taken")
    now = utcnow()
    project = Project(child_id=child.id, name=name, source=source, created_at=now, updated_at=now)
    db.session.add(project)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LearningError("name_taken") from None
    return project


def update_project(child, project_id, *, name=None, source=None) -> Project:
    project = get_project(child, project_id)
    if name is not None:
        name = clean_project_name(name)
        if _name_taken(child, name, except_id=project.id):
            raise LearningError("name_taken")
        project.name = name
    if source is not None:
        project.source = clean_source(source, allow_empty=True)
    project.updated_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise LearningError("name_taken") from None
    return project


# ---- the home page -----------------------------------------------------------------------


@dataclass
class ExerciseView:
    exercise: Exercise
    title: str
    stars: int = 0
    solved: bool = False
    attempted: bool = False


@dataclass
class SetView:
    set: ExerciseSet
    title: str
    description: str
    exercises: list[ExerciseView] = field(default_factory=list)
    due_date: object = None

    @property
    def solved(self) -> int:
        return sum(e.solved for e in self.exercises)

    @property
    def total(self) -> int:
        return len(self.exercises)

    @property
    def stars(self) -> int:
        return sum(e.stars for e in self.exercises)


def progress_by_exercise(child) -> dict[str, Progress]:
    return {p.exercise_id: p for p in db.session.scalars(
        select(Progress).where(Progress.child_id == child.id))}


def set_view(exercise_set: ExerciseSet, progress: dict[str, Progress], locale: str) -> SetView:
    view = SetView(exercise_set, localized(exercise_set.title, locale),
                   localized(exercise_set.description, locale))
    for exercise in exercise_set.exercises:
        p = progress.get(exercise.id)
        view.exercises.append(ExerciseView(exercise, localized(exercise.title, locale),
                                           p.stars if p else 0, bool(p and p.solved),
                                           bool(p and p.attempts)))
    return view


def assigned_set_ids(child) -> list[tuple[str, object]]:
    """Sets the librarian gave this child or their whole club, soonest due first."""
    rows = db.session.execute(
        select(Assignment.set_id, Assignment.due_date).where(
            Assignment.club_id == child.club_id,
            or_(Assignment.child_id.is_(None), Assignment.child_id == child.id),
        ).order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.created_at)
    ).all()
    seen: dict[str, object] = {}
    for set_id, due in rows:
        seen.setdefault(set_id, due)
    return list(seen.items())


def home(child, bank: Bank, locale: str) -> tuple[list[SetView], list[SetView]]:
    progress = progress_by_exercise(child)
    views = {s.id: set_view(s, progress, locale) for s in bank.sets}
    assigned = []
    for set_id, due in assigned_set_ids(child):
        if set_id in views:
            view = views[set_id]
            view.due_date = due
            assigned.append(view)
    return assigned, [views[s.id] for s in bank.sets]


@dataclass
class NextStep:
    """Where the home page's "Continue" leads: an exercise of a set, and where it stands."""

    exercise: Exercise
    title: str
    set_title: str
    position: int  # 1-based, in its set
    total: int
    assigned: bool  # the set is one the librarian gave
    fresh: bool  # the child has solved nothing yet: "Start here"


def next_from_views(assigned: list[SetView], all_sets: list[SetView]) -> NextStep | None:
    """The first unsolved exercise: in the librarian's sets first (in their order),
    then in the bank's order; inside a set, the first one not solved yet.

    A started but unsolved exercise is not preferred over an earlier one: the
    order the sets teach in is the path, and an exercise the child skipped is
    where they get stuck later. None when every exercise is solved.
    """
    fresh = not any(e.solved for view in all_sets for e in view.exercises)
    for from_librarian, views in ((True, assigned), (False, all_sets)):
        for view in views:
            for position, item in enumerate(view.exercises, 1):
                if not item.solved:
                    return NextStep(item.exercise, item.title, view.title, position,
                                    view.total, from_librarian, fresh)
    return None


def next_for_child(child, bank: Bank, locale: str) -> NextStep | None:
    return next_from_views(*home(child, bank, locale))


def next_in_set(view: SetView) -> ExerciseView | None:
    """The set's first exercise the child has not solved, for the set page's button."""
    return next((item for item in view.exercises if not item.solved), None)


def last_submission(child, exercise_id: str) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.child_id == child.id,
                                 Submission.exercise_id == exercise_id,
                                 Submission.kind == SUBMIT)
        .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(1))

