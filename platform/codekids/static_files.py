"""Static files: fingerprinted URLs, cached for a year, gzipped text.

``url_for('static', filename=…)`` adds ``?v=<hash of the file's content>``, so
a changed file gets a new URL and an unchanged one can be cached "forever"
(library PCs on slow links load the editor once). Such URLs are answered with
``Cache-Control: public, max-age=31536000, immutable``; the bare URL keeps
Flask's revalidating default. Text files are gzipped here when the browser
accepts it, so the page weight is right with or without a proxy in front.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache

from flask import Response, current_app, request

LONG_CACHE = "public, max-age=31536000, immutable"
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
MIN_GZIP_BYTES = 512


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(65536), b""):
            sha.update(chunk)
    return sha.hexdigest()[:12]


@lru_cache(maxsize=256)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as fh:
        return gzip.compress(fh.read(), compresslevel=9, mtime=0)


@lru_cache(maxsize=512)
def _realpath(path: str) -> str:
    """``os.path.realpath``, remembered: it walks every part of the path (an lstat
    each), and every page links the same few files. The file itself is still
    stat'ed on each use, so a changed file gets its new hash without a restart."""
    return os.path.realpath(path)


def fingerprint(static_folder: str, filename: str) -> str | None:
    real = _realpath(os.path.join(static_folder, filename))
    if not real.startswith(_realpath(static_folder) + os.sep):
        return None
    try:
        st = os.stat(real)
    except OSError:
        return None
    return _digest(real, st.st_mtime_ns, st.st_size)


def add_fingerprint(endpoint: str, values: dict) -> None:
    """url_defaults: ``url_for('static', filename=…)`` gets ``v=<hash of the file>``."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = fingerprint(current_app.static_folder, values["filename"])
        if version:
            values["v"] = version


def static_headers(response: Response) -> Response:
    """after_request: a fingerprinted file is cached for a year; text is gzipped."""
    if request.endpoint != "static" or response.status_code != 200:
        return response
    if request.args.get("v"):
        response.headers["Cache-Control"] = LONG_CACHE
    mimetype = response.mimetype or ""
    response.vary.add("Accept-Encoding")
    if (mimetype.startswith(GZIP_TYPES) and "gzip" in request.accept_encodings
            and "Content-Encoding" not in response.headers):
        filename = (request.view_args or {}).get("filename", "")
        real = _realpath(os.path.join(current_app.static_folder, filename))
        try:
            st = os.stat(real)
        except OSError:
            return response
        if st.st_size < MIN_GZIP_BYTES:
            return response
        body = _gzipped(real, st.st_mtime_ns, st.st_size)
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(body))
        if response.headers.get("ETag"):
            response.set_etag(response.get_etag()[0] + "-gz")
    return response
