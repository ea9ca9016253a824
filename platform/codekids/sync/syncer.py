"""The background syncer (issue 19): a box sends its counted work by itself.

One syncer per box, never one per web worker: `codekids serve` starts it as one
small separate process (`codekids sync background`, which this module's loop
runs), `codekids demo` as a thread beside its one-process development server.
The CLI and the librarian's "sync now" may run a sync at the same moment; the
box's file lock (box.exclusive) lets one through and the other answers "busy".

Every CODEKIDS_SYNC_INTERVAL seconds (300 by default) when the site is set up as
a box: a failure doubles the wait, up to an hour (box.backoff_seconds), and a
refused token stops the syncer until `codekids sync setup` stores a new one
(box.record_attempt). With nothing owed, it stays quiet, except for an empty batch
once an hour so the coordinators see the box is alive.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from flask import Flask

from codekids.db import utcnow
from codekids.sync import box, client

log = logging.getLogger(__name__)

# A syncer with nothing due looks again at least this often (a setup just made,
# a token replaced, a sync by hand that moved the next attempt).
POLL_SECONDS = 60.0
HEARTBEAT_SECONDS = 3600


def run_once(app: Flask, *, http=None) -> float:
    """One look: sync if due; return the seconds to wait before the next look."""
    with app.app_context():
        try:
            now = utcnow()
            if not box.due(now=now):
                row = box.settings()
                if row is None or not row.enabled or row.next_attempt_at is None:
                    return POLL_SECONDS
                return max(1.0, min(POLL_SECONDS, (row.next_attempt_at - now).total_seconds()))
            row = box.settings()
            recent = (row.last_success_at is not None
                      and now - row.last_success_at < timedelta(seconds=HEARTBEAT_SECONDS))
            if recent and box.owed() == 0:
                box.postpone(now=now)
                return POLL_SECONDS
            result = client.sync(http=http, heartbeat=True)
            if result.ok:
                log.info("sync: %d batches, %d items, %d accepted, %d rejected, %d lines",
                         result.batches, result.items, result.accepted, result.rejected,
                         result.lines)
            else:
                log.warning("sync: %s (%s)", result.result, result.detail)
            return 1.0 if result.result == client.BUSY else POLL_SECONDS
        except Exception:  # the syncer never dies of one bad look
            log.exception("the background syncer's look failed")
            return POLL_SECONDS


def run_forever(app: Flask, stop: threading.Event, *, parent_pid: int | None = None,
                http=None) -> None:
    """Look, wait, look again until ``stop`` is set (or the parent process is gone)."""
    while not stop.is_set():
        wait = run_once(app, http=http)
        if parent_pid is not None and os.getppid() != parent_pid:
            return  # `codekids serve` is gone: do not sync on as an orphan
        stop.wait(min(wait, POLL_SECONDS))


class SyncThread:
    """The syncer as a daemon thread (`codekids demo`)."""

    def __init__(self, app: Flask, *, http=None):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_forever, args=(app, self.stop),
                                       kwargs={"http": http}, name="codekids-sync",
                                       daemon=True)

    def start(self) -> SyncThread:
        self.thread.start()
        return self

    def close(self, timeout: float = 5.0) -> None:
        self.stop.set()
        self.thread.join(timeout)
