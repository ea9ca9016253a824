"""`/healthz`: may a load balancer send children here? The database answers a
query on the table every request reads (and, on SQLite, can start a write), and
the node's sandbox runs a one-line program.

200 when both are ok, 503 otherwise. Each part is "ok", "error" (it answered
with a failure) or "slow" (no answer in time); the body names each part, and
when something is slow it lists the slow parts as well:

    {"status": "slow", "database": "slow", "sandbox": "ok", "slow": ["database"]}

The answer names only which part failed, never why (an error message can carry
a host name or a user): the reason goes to the log, with the request id.

**Always within 2 seconds.** A load balancer that waits 10 s for a node whose
SQLite file is write-locked stops sending children anywhere while it waits, and
then marks the node down anyway. So:

- each part runs in a thread of its own and the answer waits at most
  `CHECK_DEADLINE` seconds for them (both at once); a part still running then is
  "slow";
- the database bounds the check itself, so a thread left behind ends soon:
  on SQLite the check's own busy timeout is `DATABASE_TIMEOUT_MS` (the site's
  30 s is put back afterwards) and it asks for the write lock with BEGIN
  IMMEDIATE, given back at once (a write lock held elsewhere stops every
  submission, while a plain SELECT 1 still answers); on PostgreSQL the check's
  transaction sets its own `statement_timeout` and `lock_timeout` (SET LOCAL:
  nothing else is affected), so a locked table or a server too busy to answer
  is "slow" after about a second;
- a part whose check from an earlier probe is still running is "slow" at once,
  without a new thread: probes every few seconds never pile threads up.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from codekids import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# The smallest program that proves the fork server forks, runs and answers.
PROBE_SOURCE = "print(6 * 7)"
# How long the answer waits for the checks; the answer itself is well inside 2 s.
CHECK_DEADLINE = 1.2
# How long the database may make the check wait for a lock or a statement.
DATABASE_TIMEOUT_MS = 800

OK, ERROR, SLOW = "ok", "error", "slow"

# SQLite's "database is locked" / "table is locked"; PostgreSQL's query_canceled
# (statement_timeout) and lock_not_available (lock_timeout).
_SQLITE_WAITED = ("SQLITE_BUSY", "SQLITE_LOCKED")
_POSTGRES_WAITED = ("57014", "55P03")


def _waited_too_long(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", "") or ""
    if name.startswith(_SQLITE_WAITED) or "database is locked" in str(orig):
        return True
    return getattr(orig, "sqlstate", None) in _POSTGRES_WAITED


def _check_sqlite(conn: Connection) -> bool:
    previous = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {DATABASE_TIMEOUT_MS}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        conn.exec_driver_sql("SELECT 1 FROM users LIMIT 1").all()
    finally:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {previous}")
    return True


def _check_postgres(conn: Connection) -> bool:
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {DATABASE_TIMEOUT_MS}")
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {DATABASE_TIMEOUT_MS}")
    conn.exec_driver_sql("SELECT 1 FROM users LIMIT 1").all()
    conn.rollback()
    return True


def database_state(engine: Engine) -> str:
    """ "ok", "slow" (a lock or the server kept the check waiting) or "error"."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                _check_sqlite(conn)
            elif engine.dialect.name == "postgresql":
                _check_postgres(conn)
            elif conn.execute(text("SELECT 1")).scalar() != 1:
                return ERROR
        return OK
    except Exception as exc:  # any failure means "not ok"; the reason goes to the log
        if _waited_too_long(exc):
            log.warning(
                "health check: the database kept the check waiting (%s)", type(exc).__name__
            )
            return SLOW
        log.exception("health check: the database did not answer")
        return ERROR


def sandbox_state() -> str:
    from codekids.sandbox_client import get_sandbox

    try:
        result = get_sandbox().run(PROBE_SOURCE)
    except Exception:  # as above
        log.exception("health check: the sandbox did not run")
        return ERROR
    if result.error is not None and result.error.type == "SandboxBusy":
        log.warning("health check: the sandbox's queue is full")
        return SLOW
    if not (result.ok and result.stdout.strip() == "42"):
        log.error("health check: the sandbox answered %s", result.status)
        return ERROR
    return OK


class _Check(threading.Thread):
    def __init__(self, key: tuple, run) -> None:
        super().__init__(name=f"healthz-{key[0]}", daemon=True)
        self.key, self.run_check, self.state = key, run, SLOW

    def run(self) -> None:
        try:
            self.state = self.run_check()
        except Exception:  # the checks catch their own; this is the last word
            log.exception("health check %s failed", self.key[0])
            self.state = ERROR
        finally:
            with _running_lock:
                if _running.get(self.key) is self:
                    del _running[self.key]


# Checks still running, per part (and per database engine), in this process.
_running: dict[tuple, _Check] = {}
_running_lock = threading.Lock()


def run_checks(
    checks: dict[str, tuple[tuple, object]], deadline: float = CHECK_DEADLINE
) -> dict[str, str]:
    """Run each check in its own thread; a check not done by `deadline` is "slow"."""
    started: dict[str, _Check] = {}
    states: dict[str, str] = {}
    with _running_lock:
        for name, (key, run) in checks.items():
            if key in _running:  # still stuck from an earlier probe
                states[name] = SLOW
                continue
            started[name] = _running[key] = _Check(key, run)
    for check in started.values():
        check.start()
    end = time.monotonic() + deadline
    for name, check in started.items():
        check.join(max(0.0, end - time.monotonic()))
        states[name] = check.state if not check.is_alive() else SLOW
        if states[name] == SLOW and check.is_alive():
            log.warning("health check: %s gave no answer within %.1f s", name, deadline)
    return {name: states[name] for name in checks}


@bp.get("/healthz")
def healthz():
    engine = db.get_engine()
    states = run_checks(
        {
            "database": (("database", id(engine)), lambda: database_state(engine)),
            "sandbox": (("sandbox",), sandbox_state),
        }
    )
    slow = [name for name, state in states.items() if state == SLOW]
    healthy = all(state == OK for state in states.values())
    body: dict = {"status": OK if healthy else SLOW if slow else ERROR, **states}
    if slow:
        body["slow"] = slow
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, 200 if healthy else 503
