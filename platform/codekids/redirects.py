"""Where a redirect may go: only to a path of this site.

Every redirect target that comes from a request (the language switch's `next`,
the staff login's `?next=`, anything added later) goes through `local_path` or
`redirect_back`, never straight into `redirect()`.

The rule is judged the way a browser reads a `Location` header, not the way
Python's urlsplit does: browsers drop tabs and newlines anywhere in a URL, trim
control characters and spaces at its ends and read a backslash as a slash, so
`/<TAB>/evil.example`, `/\\evil.example` and ` //evil.example` all leave the
site although urlsplit sees a path in each. Hence a target is kept only when it
starts with exactly one "/" and holds no backslash, no control character and no
whitespace, and when every percent-decoding of it still starts that way
(`/%2F/evil.example`, `/%09/evil.example` and `/%5Cevil.example` do not), so a
proxy or a later decoding step cannot turn it into another host either. What
follows the start may hold any encoded character, as our own query strings do
(`?q=Ana%20Maria`). Anything else goes to the home page.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import redirect, url_for
from werkzeug.wrappers import Response

# A `next` longer than this is not one of our own URLs.
MAX_TARGET_LENGTH = 2048
# Percent-decodings looked through; a target still changing after these is refused.
_MAX_DECODINGS = 3
# What a browser trims from the start of a URL: C0 controls and the space.
_LEADING_TRIM = "".join(map(chr, range(0x21)))


def _starts_as_local_path(target: str) -> bool:
    """Does `target` begin like a path of this site once a browser has cleaned it up?"""
    cleaned = target.lstrip(_LEADING_TRIM).replace("\t", "").replace("\n", "").replace("\r", "")
    return cleaned.startswith("/") and cleaned[1:2] not in ("/", "\\")


def _is_plain_path(target: str) -> bool:
    if not target.startswith("/") or target[1:2] == "/" or "\\" in target:
        return False
    # Controls (C0, DEL, C1) and every kind of whitespace, Unicode ones included.
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c.isspace() for c in target):
        return False
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 host
        return False
    return not parts.scheme and not parts.netloc


def local_path(target: object) -> str | None:
    """`target` itself when it is a path of this site, else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_TARGET_LENGTH:
        return None
    if not _is_plain_path(target):
        return None
    current = target
    for _ in range(_MAX_DECODINGS):
        decoded = unquote(current)
        if decoded == current:
            return target
        if not _starts_as_local_path(decoded):
            return None
        current = decoded
    return target if unquote(current) == current else None


def redirect_back(target: object, code: int = 302) -> Response:
    """Redirect to `target` when it is a path of this site, else to the home page."""
    return redirect(local_path(target) or url_for("main.index"), code=code)
