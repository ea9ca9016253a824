"""The sync API (issue 19): POST protocol.PATH, a box's gzip-compressed batch.

For programs, not browsers: a box authenticates with ``Authorization: Bearer
<token>`` and sends no session cookie, so the route needs no session and no CSRF
token (it is exempt, like nothing else on the site: every other POST is a
browser's). JSON in, JSON out, errors included (``{"error": "<key>"}``, the keys
of protocol.py; never an HTML page, never a stack trace).

The body is taken aside before Flask sees it (`BatchBodies`, a WSGI wrapper for
this one path): the site's edge parses every JSON body within 512 kB, and a
batch is gzip, up to protocol.MAX_BATCH_BYTES compressed and MAX_BODY_BYTES
uncompressed; it is decompressed here, within those limits.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import zlib

from flask import Blueprint, Flask, jsonify, request

from codekids.bank import current_bank
from codekids.sandbox_client import SandboxUnavailable
from codekids.sync import national, protocol
from codekids.sync.national import SyncError

log = logging.getLogger(__name__)

bp = Blueprint("sync", __name__)

_RAW = "codekids.sync.body"  # environ: the batch's bytes as sent
_ENCODING = "codekids.sync.encoding"  # environ: its Content-Encoding
_TOO_LARGE = "codekids.sync.too_large"  # environ: more than MAX_BATCH_BYTES were sent


class BatchBodies:
    """WSGI wrapper: the body of a POST to protocol.PATH is read here (at most
    MAX_BATCH_BYTES; a longer one is not read at all) and handed to the view in the
    environ; Flask, and the site's edge, see an empty body."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == protocol.PATH and environ.get("REQUEST_METHOD") == "POST":
            _take_body(environ)
        return self.wsgi_app(environ, start_response)


def _take_body(environ) -> None:
    stream = environ.get("wsgi.input") or io.BytesIO()
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    raw = b""
    if length > protocol.MAX_BATCH_BYTES:
        environ[_TOO_LARGE] = True
    elif length >= 0:
        raw = stream.read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked: read one byte past the limit
        raw = stream.read(protocol.MAX_BATCH_BYTES + 1)
        if len(raw) > protocol.MAX_BATCH_BYTES:
            environ[_TOO_LARGE] = True
            raw = b""
    environ[_RAW] = raw
    environ[_ENCODING] = (environ.get("HTTP_CONTENT_ENCODING") or "").strip().lower()
    environ["wsgi.input"] = io.BytesIO(b"")
    environ["CONTENT_LENGTH"] = "0"
    environ["CONTENT_TYPE"] = "application/octet-stream"
    environ.pop("HTTP_CONTENT_ENCODING", None)


def init_app(app: Flask) -> None:
    # Flask-WTF's CSRFProtect (web.csrf, an assembler this room does not import): a box has
    # no session to hold a CSRF token; its bearer token is what it proves itself with.
    app.extensions["csrf"].exempt(bp)
    # The counter's dashboard and public API split their figure by source with this
    # (counter.views.SYNCED: the counter, below this room, names no sync table).
    app.extensions["codekids_counter_synced"] = national.synced_by_county
    app.register_blueprint(bp)
    app.wsgi_app = BatchBodies(app.wsgi_app)


def _error(status: int, error: str, detail: str | None = None, headers: dict | None = None):
    body = {"error": error}
    if detail:
        body["detail"] = detail
    return jsonify(body), status, headers or {}


@bp.errorhandler(SyncError)
def _sync_error(err: SyncError):
    return _error(err.status, err.error, err.detail)


@bp.errorhandler(SandboxUnavailable)
def _sandbox_down(_err):
    # Nothing was written: the box sends the same batch again later.
    return _error(503, "sandbox_unavailable", headers={"Retry-After": "60"})


@bp.errorhandler(Exception)
def _unexpected(err):
    from werkzeug.exceptions import HTTPException

    if isinstance(err, HTTPException):
        return _error(err.code or 500, "http_%s" % (err.code or 500))
    from codekids.bad_input import quiet_database

    log.exception("sync: a batch failed")
    quiet_database()
    return _error(500, "server_error")


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _refuse_constant(_name):
    raise ValueError("NaN and Infinity are not JSON")


def _decoded() -> object:
    """The batch as JSON, decompressed within the limits; else SyncError (400/413)."""
    environ = request.environ
    if environ.get(_TOO_LARGE):
        raise SyncError(413, "too_large")
    raw = environ.get(_RAW, b"")
    encoding = environ.get(_ENCODING, "")
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, protocol.MAX_BODY_BYTES + 1)
        except zlib.error:
            raise SyncError(400, "bad_batch", "not gzip") from None
        if len(body) > protocol.MAX_BODY_BYTES:
            raise SyncError(413, "too_large")
        if not inflater.eof:
            raise SyncError(400, "bad_batch", "gzip cut short")
    elif encoding in ("", "identity"):
        body = raw
    else:
        raise SyncError(400, "bad_batch", "Content-Encoding: gzip or none")
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SyncError(400, "bad_batch", "not JSON") from None


@bp.post(protocol.PATH)
def batches():
    box = national.box_for_token(_bearer())
    batch = _decoded()
    answer = national.apply_batch(box, batch, bank=current_bank())
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Encoding")
    if "gzip" in request.accept_encodings:
        # A box is often on a slow link, and an answer of 200 results is
        # larger than the compressed batch it answers (~49 KiB against ~35 KiB
        # for a club's season): gzipped it is about a fifth.
        response.set_data(gzip.compress(response.get_data(), compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


@bp.route(protocol.PATH, methods=["GET", "PUT", "PATCH", "DELETE"])
def batches_other_methods():
    return _error(405, "method_not_allowed", headers={"Allow": "POST"})
