"""The box's side of sync (issue 19): what a club laptop owes the national server.

A site is a box when it has a `SyncSettings` row (`codekids sync setup`). Every
submission that earned lines on the box (it has rows in the counter's ledger) is
owed to the national server once, as one item of the protocol (sync/protocol.py).
This module holds the rules, and no HTTP (sync/client.py sends):

- pseudonyms: a child goes up as a random key made on first need
  (`SyncPseudonym`), a playground project likewise (`SyncProjectKey`); no nickname,
  no name, no club code, no secret ever leaves the box;
- the outbox: one `SyncOutbox` row per owed submission, "waiting", then "sent"
  with its batch's key, then "accepted" or "rejected" with the national answer;
- batches: at most protocol.MAX_ITEMS items and protocol.MAX_BATCH_BYTES once
  compressed. A batch is marked "sent" with its key and committed BEFORE it goes
  out, so an answer lost on the way (the connection cut after the national server
  committed) is met by sending the SAME key with the SAME items again, first,
  and the national server answers its stored answer and adds nothing;
- the attempt's record and back-off (doubling while offline, up to an hour), and
  the status the librarian's club page and `codekids sync status` show.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import func, select, update

from codekids import db
from codekids.bank import current_bank
from codekids.counter.models import NATION, NATION_KEY, CountedLine, CounterTotal
from codekids.db import utcnow
from codekids.learning.models import PLAYGROUND, Submission
from codekids.sync import protocol
from codekids.sync.models import (
    ACCEPTED,
    REJECTED,
    SENT,
    WAITING,
    SyncOutbox,
    SyncProjectKey,
    SyncPseudonym,
    SyncSettings,
)

# Results of an attempt (SyncSettings.last_result).
OK = "ok"
OFFLINE = "offline"
TOKEN_REVOKED = protocol.TOKEN_REVOKED
TOKEN_UNKNOWN = protocol.TOKEN_UNKNOWN
SERVER_ERROR = "server_error"
BAD_ANSWER = "bad_answer"
RESULTS = (OK, OFFLINE, TOKEN_REVOKED, TOKEN_UNKNOWN, SERVER_ERROR, BAD_ANSWER)
# A refused token is not retried by the background syncer until it is replaced
# (`codekids sync setup` again): retrying cannot help, and nothing is lost meanwhile.
STOPPING = (TOKEN_REVOKED, TOKEN_UNKNOWN)

MAX_BACKOFF_SECONDS = 3600
# Room left in a batch for its envelope (keys, totals, the sent_at time).
_ENVELOPE_BYTES = 1024


class BadAnswer(ValueError):
    """The national server's answer does not fit the protocol; the message says how."""


# ---- settings: what makes a site a box -------------------------------------------------


def settings() -> SyncSettings | None:
    return db.session.scalar(select(SyncSettings).order_by(SyncSettings.id).limit(1))


def is_box() -> bool:
    return settings() is not None


def _fernet() -> Fernet:
    # The token is kept encrypted with a key derived from the site's secret key (as the
    # children's card secrets are, accounts/secrets.py): a copy of the database alone
    # cannot feed the national total.
    return _fernet_for(current_app.config["CODEKIDS"].secret_key)


@functools.lru_cache(maxsize=8)
def _fernet_for(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"codekids",
                   info=b"sync token").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def normalise_server_url(url: str) -> str:
    """"https://codekids.ro/" → "https://codekids.ro"; ValueError when not http(s)."""
    url = (url or "").strip().rstrip("/")
    if not (url.startswith("http://") or url.startswith("https://")) or len(url) > 300:
        raise ValueError("the server's address must start with http:// or https://")
    if " " in url or url in ("http:/", "https:/", "http:", "https:"):
        raise ValueError("the server's address is not a web address")
    return url


def configure(server_url: str, token: str, *, now: datetime | None = None) -> SyncSettings:
    """Store the server and token (a new token replaces the old one) and start afresh:
    the next background attempt is due at once, a stopped syncer runs again."""
    server_url = normalise_server_url(server_url)
    token = (token or "").strip()
    if not token:
        raise ValueError("the token is empty")
    now = now or utcnow()
    row = settings()
    if row is None:
        row = SyncSettings(server_url=server_url, token="")
        db.session.add(row)
    row.server_url = server_url
    row.token = _fernet().encrypt(token.encode()).decode()
    row.configured_at = now
    row.enabled = True
    row.failures = 0
    row.next_attempt_at = now
    db.session.commit()
    return row


def token_of(row: SyncSettings) -> str | None:
    """None when unreadable (the site's secret key was replaced since setup)."""
    try:
        return _fernet().decrypt(row.token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def token_hint(token: str) -> str:
    """What the coordinator's page shows of a token: its last 4 characters."""
    return token[-4:]


# ---- pseudonyms -------------------------------------------------------------------------


def child_key(child_id: int | None, item_key: str) -> str:
    """The child's pseudonym, made on first need. A deleted child's submissions (their
    child_id is NULL, the pseudonym went with the child) go up under a key derived
    from the item's own: stable when the batch is sent again, and linked to nobody."""
    return _pseudonym(SyncPseudonym, "child_id", "child_key", child_id,
                      f"deleted child:{item_key}")


def project_key(project_id: int | None, item_key: str) -> str:
    """The project's pseudonym, made on first need. A run outside a saved project (or
    of a project deleted since) is its own project, keyed from the item's key."""
    return _pseudonym(SyncProjectKey, "project_id", "project_key", project_id,
                      f"no project:{item_key}")


def _pseudonym(model, id_name: str, key_name: str, row_id: int | None, stand_in: str) -> str:
    """The random key ``model`` keeps for ``row_id`` (made and kept on first need), or,
    with no row to key, a hash of ``stand_in``."""
    if row_id is None:
        return hashlib.sha256(stand_in.encode()).hexdigest()[:32]
    found = db.session.scalar(select(getattr(model, key_name))
                              .where(getattr(model, id_name) == row_id))
    if found:
        return found
    key = protocol.new_key()
    db.session.add(model(**{id_name: row_id, key_name: key}))
    db.session.flush()
    return key


# ---- the outbox -------------------------------------------------------------------------


def _counted_submissions():
    return select(CountedLine.submission_id).distinct()


def enqueue() -> int:
    """Give every counted submission without an outbox row one ("waiting"); commits.
    Returns how many were added. Submissions from before the box was set up are owed
    too: the whole season goes up."""
    known = select(SyncOutbox.submission_id)
    ids = db.session.scalars(
        select(Submission.id)
        .where(Submission.id.in_(_counted_submissions()), Submission.id.not_in(known))
        .order_by(Submission.id)
    ).all()
    for sub_id in ids:
        db.session.add(SyncOutbox(submission_id=sub_id, item_key=protocol.new_key(),
                                  status=WAITING))
    db.session.commit()
    return len(ids)


def _item(row: SyncOutbox, sub: Submission) -> dict:
    item = {
        "item": row.item_key,
        "child": child_key(sub.child_id, row.item_key),
        "source": sub.source,
        "written_at": sub.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if sub.created_at else None,
    }
    if sub.kind == PLAYGROUND:
        item["kind"] = "project"
        item["project"] = project_key(sub.project_id, row.item_key)
    else:
        exercise = current_bank().get(sub.exercise_id or "")
        item["kind"] = "exercise"
        item["exercise"] = sub.exercise_id
        # An exercise this box's bank no longer has: the national server decides
        # (unknown there, or another version); the box cannot prove a version.
        item["exercise_hash"] = protocol.exercise_hash(exercise) if exercise else "0" * 64
    return item


def _compressed_size(data: dict) -> int:
    return len(zlib.compress(json.dumps(data, ensure_ascii=False,
                                        separators=(",", ":")).encode("utf-8"), 6))


def encode(body: dict) -> bytes:
    """A batch's body as it goes on the wire: compact JSON, gzip."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(raw, compresslevel=6, mtime=0)


@dataclass
class Batch:
    key: str
    body: dict
    data: bytes  # the gzip body
    resent: bool  # the same key and items as a batch sent before whose answer never came
    item_keys: list[str] = field(default_factory=list)


def totals(excluding: int = 0) -> dict:
    """The box's own counts for the national server's cross-check: lines on its counter,
    items owed in all, children who earned lines, and items still waiting besides the
    batch they ride in (``excluding`` of them)."""
    lines = db.session.scalar(select(CounterTotal.lines).where(
        CounterTotal.scope == NATION, CounterTotal.key == NATION_KEY)) or 0
    items = db.session.scalar(select(func.count()).select_from(SyncOutbox)) or 0
    children = db.session.scalar(select(func.count(func.distinct(CountedLine.child_id)))
                                 .where(CountedLine.child_id.is_not(None))) or 0
    unanswered = db.session.scalar(select(func.count()).select_from(SyncOutbox)
                                   .where(SyncOutbox.status.in_((WAITING, SENT)))) or 0
    return {"lines": int(lines), "items": int(items), "children": int(children),
            "waiting": max(int(unanswered) - excluding, 0)}


def _build(key: str, rows: list[tuple[SyncOutbox, Submission]], *, resent: bool,
           now: datetime) -> Batch:
    items = [_item(row, sub) for row, sub in rows]
    body = {"protocol": protocol.PROTOCOL, "batch": key,
            "sent_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "items": items,
            "totals": totals(excluding=len(items))}
    return Batch(key, body, encode(body), resent, [i["item"] for i in items])


def _rows(where) -> list[tuple[SyncOutbox, Submission]]:
    return list(db.session.execute(
        select(SyncOutbox, Submission).join(Submission, Submission.id == SyncOutbox.submission_id)
        .where(where).order_by(SyncOutbox.id)
    ))


def unanswered_batch_keys() -> list[str]:
    """Batches sent whose answer never came, oldest first."""
    rows = db.session.execute(
        select(SyncOutbox.batch_key, func.min(SyncOutbox.id))
        .where(SyncOutbox.status == SENT, SyncOutbox.batch_key.is_not(None))
        .group_by(SyncOutbox.batch_key).order_by(func.min(SyncOutbox.id))
    ).all()
    return [k for k, _ in rows]


def next_batch(*, now: datetime | None = None, max_items: int | None = None,
               max_bytes: int | None = None) -> Batch | None:
    """The next batch to send, already marked "sent" and committed; None when nothing
    is owed. A batch whose answer was lost comes first, with its key and items."""
    now = now or utcnow()
    max_items = max_items or protocol.MAX_ITEMS
    max_bytes = max_bytes or protocol.MAX_BATCH_BYTES
    for key in unanswered_batch_keys():
        rows = _rows(SyncOutbox.batch_key == key)
        if rows:
            batch = _build(key, rows, resent=True, now=now)
            db.session.commit()  # pseudonyms made while building
            return batch
    enqueue()
    candidates = _rows(SyncOutbox.status == WAITING)[:max_items]
    if not candidates:
        return None
    # Take items while an upper bound of the compressed size fits (each item compressed
    # alone is at least what it adds to the whole), then check the real size.
    chosen, budget = [], max_bytes - _ENVELOPE_BYTES
    for row, sub in candidates:
        size = _compressed_size(_item(row, sub))
        if chosen and size > budget:
            break
        chosen.append((row, sub))
        budget -= size
    key = protocol.new_key()
    batch = _build(key, chosen, resent=False, now=now)
    while len(batch.data) > max_bytes and len(chosen) > 1:
        chosen = chosen[: len(chosen) // 2]
        batch = _build(key, chosen, resent=False, now=now)
    # Claimed only if still waiting: two syncs at once (the page and the background
    # syncer) never put one item in two new batches.
    ids = [row.id for row, _ in chosen]
    claimed = db.session.execute(
        update(SyncOutbox).where(SyncOutbox.id.in_(ids), SyncOutbox.status == WAITING)
        .values(status=SENT, batch_key=key, sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != len(ids):
        # Another sync took some of them: build again from what is ours.
        db.session.expire_all()
        rows = _rows(SyncOutbox.batch_key == key)
        if not rows:
            return next_batch(now=now, max_items=max_items, max_bytes=max_bytes)
        batch = _build(key, rows, resent=False, now=now)
        db.session.commit()
    return batch


def estimate_batches() -> int:
    """How many batches a sync will send now (at least 1), for the progress bar."""
    enqueue()
    waiting = db.session.scalar(select(func.count()).select_from(SyncOutbox)
                                .where(SyncOutbox.status == WAITING)) or 0
    return max(len(unanswered_batch_keys()) + -(-int(waiting) // protocol.MAX_ITEMS), 1)


@dataclass
class Applied:
    accepted: int
    rejected: int
    lines: int
    repeated: bool
    returned: int  # items the answer did not mention, put back to wait for a new batch


def apply_answer(batch_key: str, answer) -> Applied:
    """Record the national server's answer to a batch; commits. Raises BadAnswer (and
    changes nothing) when the answer does not fit: its items stay "sent" and the
    batch goes again with its key."""
    if not isinstance(answer, dict):
        raise BadAnswer("the answer is not a JSON object")
    if answer.get("batch") != batch_key:
        raise BadAnswer("the answer is for another batch")
    results = answer.get("results")
    if not isinstance(results, list):
        raise BadAnswer("the answer has no list of results")
    rows = {row.item_key: row for row in db.session.scalars(
        select(SyncOutbox).where(SyncOutbox.batch_key == batch_key, SyncOutbox.status == SENT))}
    checked = []
    for result in results:
        if not isinstance(result, dict):
            raise BadAnswer("a result is not a JSON object")
        status, lines = result.get("status"), result.get("lines")
        if status not in (ACCEPTED, REJECTED):
            raise BadAnswer(f"unknown status {status!r}")
        if not isinstance(lines, int) or isinstance(lines, bool) or lines < 0:
            raise BadAnswer("a result's lines are not a whole number")
        reason = result.get("reason")
        if status == REJECTED and not isinstance(reason, str):
            raise BadAnswer("a rejected item has no reason")
        checked.append((result.get("item"), status, lines, reason))
    now = utcnow()
    accepted = rejected = total = 0
    for item_key, status, lines, reason in checked:
        row = rows.pop(item_key, None) if isinstance(item_key, str) else None
        if row is None:
            continue  # not one of ours (or answered already): nothing to record
        row.status, row.answered_at = status, now
        row.lines_national = lines if status == ACCEPTED else 0
        row.reason = reason[:32] if status == REJECTED else None
        accepted += status == ACCEPTED
        rejected += status == REJECTED
        total += row.lines_national
    # Items the answer left out wait again, for a new batch under their same item keys:
    # the national server gives an item it knows its first result again.
    for row in rows.values():
        row.status, row.batch_key, row.sent_at = WAITING, None, None
    db.session.commit()
    return Applied(accepted, rejected, total, bool(answer.get("repeated")), len(rows))


# ---- attempts, back-off -----------------------------------------------------------------


def interval_seconds() -> int:
    return int(current_app.config["CODEKIDS"].sync_interval)


def backoff_seconds(failures: int, interval: int) -> int:
    """The wait before the next background attempt: the interval after a success,
    doubling with each failure in a row, never more than an hour (or the interval,
    if that is longer)."""
    if failures <= 0:
        return interval
    return min(interval * 2 ** min(failures, 20), max(MAX_BACKOFF_SECONDS, interval))


def record_attempt(result: str, detail: str = "", *, now: datetime | None = None) -> None:
    """Remember how an attempt ended, and when the background syncer tries next; commits."""
    row = settings()
    if row is None:
        return
    now = now or utcnow()
    row.last_attempt_at = now
    row.last_result = result
    row.last_detail = (detail or "")[:300] or None
    if result == OK:
        row.last_success_at = now
        row.failures = 0
    else:
        row.failures = (row.failures or 0) + 1
    if result in STOPPING:
        row.enabled = False
        row.next_attempt_at = None
    else:
        row.next_attempt_at = now + timedelta(seconds=backoff_seconds(row.failures,
                                                                      interval_seconds()))
    db.session.commit()


def postpone(*, now: datetime | None = None) -> None:
    """Nothing was owed: the background syncer looks again after one interval; commits."""
    row = settings()
    if row is None:
        return
    row.next_attempt_at = (now or utcnow()) + timedelta(seconds=interval_seconds())
    db.session.commit()


def owed() -> int:
    """Items not answered yet (waiting, or sent without an answer)."""
    enqueue()
    return int(db.session.scalar(select(func.count()).select_from(SyncOutbox)
                                 .where(SyncOutbox.status.in_((WAITING, SENT)))) or 0)


def due(*, now: datetime | None = None) -> bool:
    """Whether the background syncer should try now."""
    row = settings()
    if row is None or not row.enabled:
        return False
    now = now or utcnow()
    return row.next_attempt_at is None or row.next_attempt_at <= now


# ---- one sync at a time on a box (the background syncer, the page, the CLI) --------------


def _instance_file(name: str) -> Path:
    """A file of this site's syncing in the instance folder, named after its database:
    two sites sharing one instance folder (a test harness, a demo beside a box) do not
    share a lock."""
    url = current_app.config["CODEKIDS"].database_url
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]
    stem, _, suffix = name.partition(".")
    return Path(current_app.instance_path) / f"{stem}-{tag}.{suffix}"


@contextlib.contextmanager
def exclusive() -> Iterator[bool]:
    """Hold the box's sync lock (a file lock in the instance folder: the gunicorn
    workers, the background syncer and the CLI are separate processes). Yields False
    when another sync holds it."""
    path = _instance_file("sync.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - closed below, after the lock is released
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock between processes
            yield True
            return
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def write_progress(done: int, total: int, *, running: bool) -> None:
    """Where a running sync says how far it is, for the page polling from any worker."""
    path = _instance_file("sync-progress.json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"running": running, "done": done, "total": total,
                               "pid": os.getpid(), "at": utcnow().isoformat()}))
    os.replace(tmp, path)


def read_progress() -> dict:
    """{"running", "done", "total"}; running only while a sync holds the lock."""
    path = _instance_file("sync-progress.json")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    running = bool(data.get("running")) and is_running()
    return {"running": running, "done": int(data.get("done") or 0) if running else 0,
            "total": int(data.get("total") or 0) if running else 0}


def is_running() -> bool:
    with exclusive() as got:
        return not got


# ---- what the librarian sees ------------------------------------------------------------


@dataclass
class Status:
    configured: bool
    server_url: str = ""
    enabled: bool = False
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_result: str | None = None
    last_detail: str | None = None
    next_attempt_at: datetime | None = None
    waiting_items: int = 0
    waiting_lines: int = 0
    accepted: int = 0
    rejected: int = 0
    accepted_lines: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # rejections by reason
    running: bool = False
    done: int = 0
    total: int = 0

    def as_json(self) -> dict:
        def iso(at):
            return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else None

        return {"configured": self.configured, "enabled": self.enabled,
                "last_attempt_at": iso(self.last_attempt_at),
                "last_success_at": iso(self.last_success_at), "last_result": self.last_result,
                "waiting_items": self.waiting_items, "waiting_lines": self.waiting_lines,
                "accepted": self.accepted, "rejected": self.rejected,
                "accepted_lines": self.accepted_lines, "reasons": self.reasons,
                "running": self.running, "done": self.done, "total": self.total}


def status() -> Status:
    row = settings()
    if row is None:
        return Status(configured=False)
    answered = select(SyncOutbox.submission_id).where(SyncOutbox.status.in_((ACCEPTED, REJECTED)))
    waiting_items = db.session.scalar(
        select(func.count(func.distinct(CountedLine.submission_id)))
        .where(CountedLine.submission_id.not_in(answered))) or 0
    waiting_lines = db.session.scalar(
        select(func.count()).select_from(CountedLine)
        .where(CountedLine.submission_id.not_in(answered))) or 0
    by_status = dict(db.session.execute(
        select(SyncOutbox.status, func.count()).group_by(SyncOutbox.status)).all())
    accepted_lines = db.session.scalar(select(func.coalesce(func.sum(SyncOutbox.lines_national), 0))
                                       .where(SyncOutbox.status == ACCEPTED)) or 0
    reasons = dict(db.session.execute(
        select(SyncOutbox.reason, func.count()).where(SyncOutbox.status == REJECTED)
        .group_by(SyncOutbox.reason).order_by(func.count().desc())).all())
    progress = read_progress()
    return Status(
        configured=True, server_url=row.server_url, enabled=bool(row.enabled),
        last_attempt_at=row.last_attempt_at, last_success_at=row.last_success_at,
        last_result=row.last_result, last_detail=row.last_detail,
        next_attempt_at=row.next_attempt_at, waiting_items=int(waiting_items),
        waiting_lines=int(waiting_lines), accepted=int(by_status.get(ACCEPTED, 0)),
        rejected=int(by_status.get(REJECTED, 0)), accepted_lines=int(accepted_lines),
        reasons={str(k or protocol.BAD_ITEM): int(v) for k, v in reasons.items()},
        running=progress["running"], done=progress["done"], total=progress["total"],
    )
