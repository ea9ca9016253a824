"""`/healthz`: may a load balancer send children here? The database answers a
SELECT 1 and the node's sandbox runs a one-line program.

200 when both are ok, 503 otherwise. The answer names only which part failed,
never why (an error message can carry a host name or a user): the reason goes to
the log, with the request id.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from codekids import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# The smallest program that proves the fork server forks, runs and answers.
PROBE_SOURCE = "print(6 * 7)"


def database_ok() -> bool:
    try:
        with db.get_engine().connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1
    except Exception:  # any failure means "not ok"; the reason goes to the log
        log.exception("health check: the database did not answer")
        return False


def sandbox_ok() -> bool:
    from codekids.sandbox_client import get_sandbox

    try:
        result = get_sandbox().run(PROBE_SOURCE)
    except Exception:  # as above
        log.exception("health check: the sandbox did not run")
        return False
    if not (result.ok and result.stdout.strip() == "42"):
        log.error("health check: the sandbox answered %s", result.status)
        return False
    return True


@bp.get("/healthz")
def healthz():
    checks = {"database": database_ok(), "sandbox": sandbox_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error",
            **{name: "ok" if ok else "error" for name, ok in checks.items()}}
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp, 200 if healthy else 503
