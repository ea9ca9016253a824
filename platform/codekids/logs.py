"""Logs: one line per request with a request id, as JSON for a log collector or
as text for a person at a terminal.

What a line may hold is deliberately narrow: the method, the path (with secret
URL parts such as invitation tokens blanked), the status, the time taken and the
role of the user. Never form data, query strings, cookies, passwords, children's
secrets or children's code: werkzeug's own access log, which prints the full URL,
is left out under `codekids serve` for the same reason.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import secrets
import time
from datetime import UTC, datetime

from flask import g, has_request_context, request

REQUEST_LOGGER = "codekids.request"
# URL variables that are secrets: the path in a log line shows them blanked.
SECRET_URL_VARIABLES = frozenset({"token"})
# A proxy's request id is taken as it is only if it looks like one: no newlines
# or quotes to forge log lines, and short.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The fields a request adds to every line logged while it runs.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "role")
_request_log = logging.getLogger(REQUEST_LOGGER)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message and the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is None and name == "request_id" and has_request_context():
                value = g.get("request_id")
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")


def dict_config(fmt: str = "json", level: str = "INFO") -> dict:
    """A logging.config.dictConfig for the whole process, gunicorn's loggers included
    (gunicorn's access log is dropped: our request line replaces it)."""
    formatter = "codekids.logs.JsonFormatter" if fmt == "json" else "codekids.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"codekids": {"()": formatter}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "codekids",
                       "stream": "ext://sys.stderr"},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            # werkzeug's lines carry full URLs (query strings, tokens): ours replace them.
            "werkzeug": {"level": "WARNING"},
        },
    }


def configure(fmt: str = "json", level: str = "INFO") -> None:
    """Set up the process's logging. Called by the commands that serve, never by create_app."""
    logging.config.dictConfig(dict_config(fmt, level))


def _request_id() -> str:
    """The proxy's X-Request-ID when a proxy is trusted (CODEKIDS_TRUSTED_PROXIES), else ours."""
    from flask import current_app

    if current_app.config["CODEKIDS"].trusted_proxies:
        incoming = request.headers.get("X-Request-ID", "")
        if _REQUEST_ID.match(incoming):
            return incoming
    # 32 random hex digits, as a uuid4's hex; without building a UUID object.
    return secrets.token_hex(16)


def start_request() -> None:
    """before_request, first of all: the clock and the request id."""
    g.request_started = time.perf_counter()
    g.request_id = _request_id()


def loggable_path() -> str:
    """The request's path, with secret URL variables (invitation tokens) blanked."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_URL_VARIABLES and value:
            path = path.replace(str(value), "[hidden]")
    return path


def _role() -> str:
    # Only a user the request already loaded: logging must not cost a query.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return user.role


def finish_request(response):
    """after_request, last of all: X-Request-ID and the log line, with the final status."""
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if not _request_log.isEnabledFor(logging.INFO):
        return response
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    path = loggable_path()
    fields = {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": path,
        "status": response.status_code,
        "duration_ms": duration,
        "role": _role(),
    }
    _request_log.info(
        "%s %s %s %sms", request.method, path, response.status_code, duration, extra=fields)
    return response
