"""The national side of club laptop sync (issue 19): boxes, and what a batch counts.

A coordinator registers a box for one club (`register_box`): its token is shown
once and kept as its sha256 (protocol.token_hash); it can be revoked and
replaced (the old token is then refused as revoked, not unknown).

A batch (`apply_batch`) is trusted for nothing but the programs it carries:

1. Grading first, writing nothing: every item the server has not seen is checked
   (protocol.check_item), its exercise looked up in the national bank and its
   version compared (protocol.exercise_hash), then re-graded in the national
   sandbox (an exercise) or run (a playground project). A sandbox that loses a
   run twice raises SandboxUnavailable before anything is written: the box sends
   the same batch again later.
2. Then ONE transaction: the batch row (its unique key makes a batch sent twice,
   even at the same moment, apply once), each new item with its result, and for
   an accepted item a national Submission of the box's stand-in child, counted by
   learning.service.count_lines → counter.count_submission exactly as the site's
   own submissions are (distinct lines once per child and exercise or project, the
   exercise's cap, the playground's daily cap, starter lines never; the counter's
   day is the national day of receipt: a box's clock says nothing here). Lines
   roll up club → county → nation like the site's own, and `codekids counter
   verify` traces them to these submissions.

The box's own totals ("lines", "items", "children", "waiting") are stored and
shown to coordinators, never counted. A stand-in child is a child of the box's
club with a nickname like "Laptop 3f2a·7": inactive, without a secret (nobody can
log in as them) and without any personal data (the box sends none).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from codekids import db
from codekids.accounts.models import CHILD, User
from codekids.bank import grade
from codekids.bank.models import Bank
from codekids.clubs.models import Club
from codekids.db import utcnow
from codekids.learning import service as learning
from codekids.learning.models import PLAYGROUND, SUBMIT, Project, Submission
from codekids.sandbox_client import Retrying
from codekids.sync import protocol
from codekids.sync.models import (
    ACCEPTED,
    REJECTED,
    SyncBatch,
    SyncBox,
    SyncChild,
    SyncItem,
    SyncProject,
)

MAX_LABEL = 80
GRADING_LOCALE = "ro"  # the stored report's language (the site's default)


class SyncError(Exception):
    """A refusal of the whole request: its HTTP status and protocol error key."""

    def __init__(self, status: int, error: str, detail: str | None = None):
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail

    def body(self) -> dict:
        body = {"error": self.error}
        if self.detail:
            body["detail"] = self.detail
        return body


# ---- boxes --------------------------------------------------------------------------


def new_token() -> str:
    """32 random bytes, URL-safe (what the librarian pastes after --token)."""
    return secrets.token_urlsafe(32)


def _hint(token: str) -> str:
    return token[-4:]


def register_box(club: Club, label: str, actor: User | None) -> tuple[SyncBox, str]:
    """A new box for ``club``; returns it with its token (shown once, never stored)."""
    token = new_token()
    box = SyncBox(club_id=club.id, label=clean_label(label), token_hash=protocol.token_hash(token),
                  token_hint=_hint(token), created_by_id=actor.id if actor else None)
    db.session.add(box)
    db.session.commit()
    return box, token


def clean_label(label: str | None) -> str:
    text = " ".join((label or "").split())[:MAX_LABEL]
    return text or "Laptop"


def revoke_box(box: SyncBox) -> None:
    if box.revoked_at is None:
        box.revoked_at = utcnow()
        db.session.commit()


def replace_token(box: SyncBox) -> str:
    """A new token for the same box (revoked or not): the old one is refused as revoked
    from now on; what the box counted stays its own."""
    token = new_token()
    box.previous_token_hash = box.token_hash
    box.token_hash = protocol.token_hash(token)
    box.token_hint = _hint(token)
    box.replaced_at = utcnow()
    box.revoked_at = None
    db.session.commit()
    return token


def box_for_token(token: str | None) -> SyncBox:
    """The box a token opens, or SyncError 401 (token_unknown / token_revoked)."""
    if not token or len(token) > 200:
        raise SyncError(401, protocol.TOKEN_UNKNOWN)
    hashed = protocol.token_hash(token)
    box = db.session.scalar(select(SyncBox).where(
        or_(SyncBox.token_hash == hashed, SyncBox.previous_token_hash == hashed)))
    if box is None:
        raise SyncError(401, protocol.TOKEN_UNKNOWN)
    if box.revoked_at is not None or box.token_hash != hashed:
        raise SyncError(401, protocol.TOKEN_REVOKED)
    return box


# ---- a batch: 1. grading, nothing written -------------------------------------------


@dataclass
class Verdict:
    """What grading decided for one new item, before anything is written."""

    item: dict
    key: str
    reason: str | None = None  # None: accepted (it works)
    source: str = ""
    report: object = None  # GradeReport of an exercise
    run: object = None  # RunResult of a playground run
    exercise: object = None


# What no text column may hold: NUL (PostgreSQL refuses it) and lone surrogates (not
# UTF-8; JSON's "\\ud800" makes them). A source's other junk is clean_source's.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean_strings(item: dict) -> bool:
    return not any(isinstance(v, str) and _UNSTORABLE.search(v) for v in item.values())


def _judge(item, bank: Bank, sandbox) -> Verdict:
    key = item["item"]
    reason = protocol.check_item(item)
    if reason is None and not _clean_strings(item):
        reason = protocol.BAD_ITEM
    if reason is not None:
        return Verdict(item, key, reason)
    try:
        source = learning.clean_source(item["source"])
    except learning.LearningError:
        return Verdict(item, key, protocol.BAD_ITEM)
    if item["kind"] == "exercise":
        exercise = bank.get(item["exercise"])
        if exercise is None:
            return Verdict(item, key, protocol.UNKNOWN_EXERCISE, source)
        if item["exercise_hash"] != protocol.exercise_hash(exercise):
            return Verdict(item, key, protocol.OTHER_VERSION, source, exercise=exercise)
        report = grade(exercise, source, GRADING_LOCALE, sandbox=Retrying(sandbox))
        return Verdict(item, key, None if report.solved else protocol.FAILS_TESTS, source,
                       report=report, exercise=exercise)
    run = Retrying(sandbox).run(source, stdin="")
    return Verdict(item, key, None if run.ok else protocol.RUN_FAILED, source, run=run)


def _known_items(box: SyncBox, keys: list[str]) -> dict[str, SyncItem]:
    if not keys:
        return {}
    return {i.item_key: i for i in db.session.scalars(select(SyncItem).where(
        SyncItem.box_id == box.id, SyncItem.item_key.in_(keys)))}


def _stored_answer(box: SyncBox, batch_key: str) -> dict | None:
    row = db.session.scalar(select(SyncBatch).where(
        SyncBatch.box_id == box.id, SyncBatch.batch_key == batch_key))
    if row is None:
        return None
    return {**(row.answer or {}), "repeated": True}


def _result(item: SyncItem) -> dict:
    result = {"item": item.item_key, "status": item.status, "lines": item.lines}
    if item.reason:
        result["reason"] = item.reason
    return result


# ---- a batch: 2. one transaction ------------------------------------------------------


def _standin_nickname(box: SyncBox, child_key: str) -> str:
    """"Laptop 3f2a·7": the pseudonym's first letters and the box's number, longer when
    another stand-in of the club already has that name."""
    for width in (4, 8, 16, 24):
        name = f"Laptop {child_key[:width]}·{box.id}"[:32]
        taken = db.session.scalar(select(User.id).where(
            User.club_id == box.club_id, User.nickname == name))
        if taken is None:
            return name
    return f"Laptop {secrets.token_hex(8)}·{box.id}"[:32]


def standin_child(box: SyncBox, child_key: str) -> User:
    """The national stand-in for the box's child ``child_key``, made on first need."""
    row = db.session.scalar(select(SyncChild).where(
        SyncChild.box_id == box.id, SyncChild.child_key == child_key))
    if row is not None:
        return db.session.get(User, row.user_id)
    child = User(role=CHILD, nickname=_standin_nickname(box, child_key), club_id=box.club_id,
                 secret_enc=None, active=False)
    db.session.add(child)
    db.session.flush()
    db.session.add(SyncChild(box_id=box.id, child_key=child_key, user_id=child.id))
    return child


def _standin_project(box: SyncBox, project_key: str, child: User) -> Project | None:
    """The stand-in child's project for the box's ``project_key``; None when that key
    already belongs to another of the box's children (a malformed batch)."""
    row = db.session.scalar(select(SyncProject).where(
        SyncProject.box_id == box.id, SyncProject.project_key == project_key))
    if row is not None:
        project = db.session.get(Project, row.project_id)
        return project if project is not None and project.child_id == child.id else None
    now = utcnow()
    project = Project(child_id=child.id, name=f"Laptop {project_key}", source="",
                      created_at=now, updated_at=now)
    db.session.add(project)
    db.session.flush()
    db.session.add(SyncProject(box_id=box.id, project_key=project_key, project_id=project.id))
    return project


def _record(box: SyncBox, verdict: Verdict) -> tuple[str | None, int, int | None]:
    """Write one accepted item's national submission and count it: (reason, lines, id)."""
    item = verdict.item
    child = standin_child(box, item["child"])
    now = utcnow()
    if item["kind"] == "exercise":
        report = verdict.report
        first_problem = next((t for t in report.tests if not t.passed), None)
        explanation = report.explanation or {}
        submission = Submission(
            child_id=child.id, club_id=box.club_id, kind=SUBMIT, exercise_id=verdict.exercise.id,
            client_key=verdict.key, source=verdict.source,
            status=first_problem.status if first_problem else "passed",
            passed=report.passed, total=report.total, solved=report.solved,
            error_kind=explanation.get("kind"), error_line=explanation.get("line"),
            report=report.to_dict(), created_at=now)
        db.session.add(submission)
        db.session.flush()
        lines = learning.count_lines(submission, starter=verdict.exercise.starter,
                                     cap=verdict.exercise.max_lines)
        return None, lines, submission.id
    project = _standin_project(box, item["project"], child)
    if project is None:
        return protocol.BAD_ITEM, 0, None
    run = verdict.run
    submission = Submission(
        child_id=child.id, club_id=box.club_id, kind=PLAYGROUND, project_id=project.id,
        client_key=verdict.key, source=verdict.source, status=run.status, solved=run.ok,
        created_at=now)
    db.session.add(submission)
    db.session.flush()
    project.source = verdict.source
    project.updated_at = now
    # cap None: the counter's own per-project daily cap, by the national day of receipt.
    lines = learning.count_lines(submission, starter="", cap=None)
    return None, lines, submission.id


def _short(value, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and not _UNSTORABLE.search(value) else None


def _item_row(box: SyncBox, batch: SyncBatch, verdict: Verdict, reason, lines, submission_id):
    item = verdict.item
    return SyncItem(
        box_id=box.id, batch_id=batch.id, item_key=verdict.key,
        kind=_short(item.get("kind"), 16) or "?",
        exercise_id=_short(item.get("exercise"), 64),
        exercise_hash=_short(item.get("exercise_hash"), 64),
        project_key=item["project"] if protocol.is_key(item.get("project")) else None,
        child_key=item["child"] if protocol.is_key(item.get("child")) else "",
        source=verdict.source or (_short(item.get("source"), protocol.MAX_SOURCE_CHARS) or ""),
        written_at=_short(item.get("written_at"), 40),
        status=ACCEPTED if reason is None else REJECTED, reason=reason, lines=lines,
        submission_id=submission_id)


def _write(box: SyncBox, batch: dict, verdicts: dict[str, Verdict], order: list) -> dict:
    """Phase 2, one transaction; raises IntegrityError when another request wrote first."""
    now = utcnow()
    box = db.session.get(SyncBox, box.id)
    box.last_contact_at = now
    totals = batch.get("totals") or {}
    row = SyncBatch(box_id=box.id, batch_key=batch["batch"], received_at=now,
                    items=len(order), box_totals=totals)
    db.session.add(row)
    db.session.flush()  # a batch applied twice at once: the second stops here
    known = _known_items(box, [k for k in order if protocol.is_key(k)])
    results, seen = [], {}
    accepted = rejected = lines_total = 0
    for key in order:
        if not isinstance(key, str) or not protocol.is_key(key):
            # No key to answer under: the box cannot match this result to a row.
            results.append({"item": None, "status": REJECTED, "reason": protocol.BAD_ITEM,
                            "lines": 0})
            rejected += 1
            continue
        if key in known:
            result = {**_result(known[key]), "repeated": True}
        elif key in seen:
            result = {**seen[key], "repeated": True}
        else:
            verdict = verdicts[key]
            reason, lines, submission_id = verdict.reason, 0, None
            if reason is None:
                reason, lines, submission_id = _record(box, verdict)
            db.session.add(_item_row(box, row, verdict, reason, lines, submission_id))
            result = {"item": key, "status": ACCEPTED if reason is None else REJECTED,
                      "lines": lines}
            if reason:
                result["reason"] = reason
            seen[key] = result
            lines_total += lines
        if result["status"] == ACCEPTED:
            accepted += 1
        else:
            rejected += 1
        results.append(result)
    answer = {"protocol": protocol.PROTOCOL, "batch": batch["batch"], "repeated": False,
              "results": results, "lines": lines_total, "box_totals_seen": totals}
    row.accepted, row.rejected, row.lines, row.answer = accepted, rejected, lines_total, answer
    if lines_total:
        box.lines = SyncBox.lines + lines_total  # in SQL: two batches at once lose nothing
    db.session.commit()
    return answer


def apply_batch(box: SyncBox, batch, *, bank: Bank, sandbox=None) -> dict:
    """Apply one batch from ``box``; returns the answer (the stored one when repeated).

    Raises SyncError(400, bad_batch) for a batch without the protocol's shape, and lets
    SandboxUnavailable through (nothing written: the box sends the same batch later)."""
    problem = protocol.check_batch(batch)
    if problem:
        raise SyncError(400, "bad_batch", problem)
    stored = _stored_answer(box, batch["batch"])
    if stored is not None:
        _touch(box)
        return stored
    items = batch["items"]
    order = [i.get("item") if isinstance(i, dict) else None for i in items]
    known = _known_items(box, [k for k in order if protocol.is_key(k)])
    verdicts: dict[str, Verdict] = {}
    for item, key in zip(items, order, strict=True):
        if not protocol.is_key(key) or key in known or key in verdicts:
            continue
        verdicts[key] = _judge(item, bank, sandbox)
    for _attempt in range(3):
        try:
            return _write(box, batch, verdicts, order)
        except IntegrityError:
            # Another request applied this batch (or made one of its stand-ins) a moment ago.
            db.session.rollback()
            stored = _stored_answer(box, batch["batch"])
            if stored is not None:
                return stored
    raise SyncError(503, "busy")


def _touch(box: SyncBox) -> None:
    box.last_contact_at = utcnow()
    db.session.commit()


# ---- what coordinators see ------------------------------------------------------------


@dataclass
class BoxView:
    box: SyncBox
    lines: int = 0  # accepted lines, counted nationally
    accepted: int = 0
    rejected: int = 0
    waiting: int | None = None  # what the box last said it still had to send
    box_lines: int | None = None  # the box's own total, as it last said
    reasons: dict | None = None  # reason -> how many items


def box_views(boxes: list[SyncBox]) -> list[BoxView]:
    """Each box with its figures, in a fixed number of queries."""
    ids = [b.id for b in boxes]
    views = {b.id: BoxView(b, reasons={}) for b in boxes}
    if not ids:
        return []
    for box_id, status, reason, count, lines in db.session.execute(
            select(SyncItem.box_id, SyncItem.status, SyncItem.reason, func.count(),
                   func.coalesce(func.sum(SyncItem.lines), 0))
            .where(SyncItem.box_id.in_(ids))
            .group_by(SyncItem.box_id, SyncItem.status, SyncItem.reason)):
        view = views[box_id]
        if status == ACCEPTED:
            view.accepted += count
            view.lines += int(lines)
        else:
            view.rejected += count
            view.reasons[reason or protocol.BAD_ITEM] = count
    latest = (select(SyncBatch.box_id, func.max(SyncBatch.id).label("last"))
              .where(SyncBatch.box_id.in_(ids)).group_by(SyncBatch.box_id).subquery())
    for box_id, totals in db.session.execute(
            select(SyncBatch.box_id, SyncBatch.box_totals)
            .join(latest, SyncBatch.id == latest.c.last)):
        totals = totals or {}
        views[box_id].waiting = totals.get("waiting")
        views[box_id].box_lines = totals.get("lines")
    return [views[i] for i in ids]


def rejections(box: SyncBox, limit: int = 100) -> list[SyncItem]:
    return list(db.session.scalars(select(SyncItem).where(
        SyncItem.box_id == box.id, SyncItem.status == REJECTED)
        .order_by(SyncItem.id.desc()).limit(limit)))


def synced_by_county() -> dict[int, int]:
    """Lines counted nationally from club laptops, per county (the dashboard's and the
    public API's split by source; the counter asks through counter.views.SYNCED). One
    row per box is summed, never the items."""
    rows = db.session.execute(
        select(Club.county_id, func.coalesce(func.sum(SyncBox.lines), 0))
        .join(Club, Club.id == SyncBox.club_id).group_by(Club.county_id))
    return {county_id: int(lines) for county_id, lines in rows if lines}


def synced_lines(county_id: int | None = None) -> int:
    """Lines counted nationally from club laptops, in the nation or one county."""
    by_county = synced_by_county()
    return by_county.get(county_id, 0) if county_id is not None else sum(by_county.values())
