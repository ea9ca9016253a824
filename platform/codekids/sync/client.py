"""The box's HTTP client for sync (issue 19): sends batches, never raises.

One sync sends batches (sync/box.py builds them) until nothing is owed or an
attempt fails, and ends with a `SyncResult`: a key from box.RESULTS (or
"not_set_up", "busy") and a short English detail for the log and the CLI. Pages
and the CLI turn the key into plain words; nothing here raises into them.

HTTP is `requests` (timeouts: 5 s to connect, 60 s to read an answer): a batch is
POSTed gzip-compressed to protocol.PATH with ``Authorization: Bearer <token>``.
A timeout or a cut connection after the batch left is the "lost answer": its
items stay "sent" and go again, first, under the same batch key.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests

from codekids import db
from codekids.sync import box, protocol

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
NOT_SET_UP = "not_set_up"
BUSY = "busy"  # another sync runs on this box right now
USER_AGENT = "codekids-box/1"


@dataclass
class Answer:
    """How one POST ended: result key, detail, the decoded answer when "ok"."""

    result: str
    detail: str = ""
    body: dict | None = None


@dataclass
class SyncResult:
    result: str
    detail: str = ""
    batches: int = 0
    items: int = 0
    accepted: int = 0
    rejected: int = 0
    lines: int = 0

    @property
    def ok(self) -> bool:
        return self.result == box.OK


def post_batch(server_url: str, token: str, data: bytes, *, http=None) -> Answer:
    """POST one gzip body; an Answer whatever happens."""
    http = http or requests
    url = server_url.rstrip("/") + protocol.PATH
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Content-Encoding": "gzip", "Accept": "application/json",
               "User-Agent": USER_AGENT}
    try:
        resp = http.post(url, data=data, headers=headers,
                         timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        return Answer(box.OFFLINE, f"secure connection failed: {_short(exc)}")
    except requests.exceptions.ConnectTimeout:
        return Answer(box.OFFLINE, f"no answer within {CONNECT_TIMEOUT:g} s (connecting)")
    except requests.exceptions.ReadTimeout:
        return Answer(box.OFFLINE, f"no answer within {READ_TIMEOUT:g} s")
    except requests.exceptions.ConnectionError as exc:
        return Answer(box.OFFLINE, _connection_problem(exc, url))
    except requests.exceptions.RequestException as exc:
        return Answer(box.OFFLINE, f"the request failed: {_short(exc)}")
    return read_answer(resp)


def read_answer(resp) -> Answer:
    code = resp.status_code
    try:
        body = resp.json()
    except ValueError:
        body = None
    except requests.exceptions.RequestException as exc:  # the body was cut off
        return Answer(box.OFFLINE, f"the answer was cut off: {_short(exc)}")
    if code == 401:
        error = body.get("error") if isinstance(body, dict) else None
        if error == protocol.TOKEN_REVOKED:
            return Answer(box.TOKEN_REVOKED, "the national server says this box's token "
                                             "was revoked")
        return Answer(box.TOKEN_UNKNOWN, "the national server does not know this token")
    if 300 <= code < 400:
        where = resp.headers.get("Location", "")
        return Answer(box.SERVER_ERROR, f"the server redirects ({code}) to {where[:120]}; "
                                        "set up the box with that address")
    if code == 404:
        return Answer(box.SERVER_ERROR, "no sync API at this address (404): is it a CODE "
                                        "Kids site, and its newest version?")
    if code != 200:
        error = ""
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            error = ": " + body["error"][:40]
            if isinstance(body.get("detail"), str):
                error += f" ({body['detail'][:120]})"
        return Answer(box.SERVER_ERROR, f"the server answered {code}{error}")
    if not isinstance(body, dict):
        return Answer(box.BAD_ANSWER, "the answer is not JSON")
    if body.get("protocol") != protocol.PROTOCOL:
        return Answer(box.BAD_ANSWER, f"unknown protocol {body.get('protocol')!r}")
    return Answer(box.OK, "", body)


# What urllib3's long messages come down to, for a person.
_CONNECTION_WORDS = (
    ("refused", "the connection was refused"),
    ("name or service not known", "the server's name is not found (no internet, or a typo?)"),
    ("temporary failure in name resolution", "the server's name is not found (no internet?)"),
    ("nodename nor servname", "the server's name is not found (no internet, or a typo?)"),
    ("network is unreachable", "no network"),
    ("no route to host", "no route to the server"),
    ("reset by peer", "the connection was cut"),
    ("remotedisconnected", "the connection was cut before the answer"),
    ("connection aborted", "the connection was cut before the answer"),
    ("timed out", "the connection timed out"),
)


def _connection_problem(exc: BaseException, url: str) -> str:
    text = repr(exc).lower()
    host = url.split("://", 1)[-1].split("/", 1)[0]
    for needle, words in _CONNECTION_WORDS:
        if needle in text:
            return f"{words}: {host}"
    return f"cannot reach {host}: {_short(exc)}"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def check(server_url: str, token: str, *, http=None) -> Answer:
    """Whether the server answers and takes the token: an empty batch (it only makes
    the national server note the box's contact and its totals)."""
    body = {"protocol": protocol.PROTOCOL, "batch": protocol.new_key(), "items": [],
            "totals": box.totals()}
    answer = post_batch(server_url, token, box.encode(body), http=http)
    if answer.result == box.OK and answer.body.get("batch") != body["batch"]:
        return Answer(box.BAD_ANSWER, "the answer is for another batch")
    return answer


ProgressCallback = Callable[[int, int], None]  # (batches done, batches in all)


def sync(progress: ProgressCallback | None = None, *, http=None, heartbeat: bool = True,
         on_start: Callable[[], None] | None = None) -> SyncResult:
    """Send batches until nothing is owed or an attempt fails; record the attempt.

    ``heartbeat``: with nothing owed, still send an empty batch (the page's and the
    CLI's "sync now": the librarian learns the server answers and the coordinator
    sees the box's contact). ``on_start``: called once this sync holds the box's
    lock (or found another sync holding it). Needs an app context. Never raises."""
    try:
        with box.exclusive() as mine:
            if not mine:
                if on_start:
                    on_start()
                return SyncResult(BUSY, "another sync is running on this box")
            box.write_progress(0, 0, running=True)
            if on_start:
                on_start()
            return _sync(progress, http, heartbeat)
    except Exception as exc:  # a page or the CLI gets a result, never a traceback
        log.exception("sync failed")
        result = SyncResult(box.SERVER_ERROR, f"the box could not sync: {_short(exc)}")
        with contextlib.suppress(Exception):
            db.session.rollback()
            box.record_attempt(result.result, result.detail)
        return result


def _sync(progress, http, heartbeat) -> SyncResult:
    row = box.settings()
    if row is None:
        return SyncResult(NOT_SET_UP, "this site is not set up as a club box")
    token = box.token_of(row)
    if token is None:
        result = SyncResult(box.TOKEN_UNKNOWN, "the stored token cannot be read (the site's "
                                               "secret key changed); run `codekids sync "
                                               "setup` again")
        box.record_attempt(result.result, result.detail)
        return result
    server = row.server_url
    total = box.estimate_batches()
    done = 0
    box.write_progress(0, total, running=True)
    out = SyncResult(box.OK)
    try:
        # A batch whose answer never came goes again first, and each answered batch
        # leaves fewer items owed: more rounds than batches plus a margin means an
        # answer that keeps giving items back, not progress.
        for _ in range(total + 3):
            batch = box.next_batch()
            if batch is None:
                break
            answer = post_batch(server, token, batch.data, http=http)
            if answer.result != box.OK:
                out.result, out.detail = answer.result, answer.detail
                break
            try:
                applied = box.apply_answer(batch.key, answer.body)
            except box.BadAnswer as exc:
                out.result, out.detail = box.BAD_ANSWER, str(exc)
                break
            done += 1
            out.batches += 1
            out.items += len(batch.item_keys)
            out.accepted += applied.accepted
            out.rejected += applied.rejected
            out.lines += applied.lines
            if progress:
                progress(done, max(total, done))
            box.write_progress(done, max(total, done), running=True)
        if out.ok and out.batches == 0 and heartbeat:
            answer = check(server, token, http=http)
            out.result, out.detail = answer.result, answer.detail
            if progress and out.ok:
                progress(1, 1)
        box.record_attempt(out.result, out.detail)
    finally:
        box.write_progress(done, max(total, done), running=False)
    return out
