"""Device cookies: which browser is guessing (OWASP, "Slow down online guessing
attacks with device cookies").

Every browser that opens a login page (club code, nickname list, secret, staff
login) gets a long-lived cookie holding a random device id, signed with the site's
secret key (itsdangerous), so nobody can choose an id, borrow another browser's or
make one up. The cookie says nothing else: whether a device is *trusted* for an
account is a server-side fact, a successful LoginAttempt of that account from that
device (accounts/service.py counts the failures and decides the locks).

- One year (re-signed at every successful login, so a PC in weekly use keeps it).
- HttpOnly (no script reads it), SameSite=Lax, Secure whenever the session cookie
  is (HTTPS, or CODEKIDS_SECURE_COOKIES).
- A browser that sends no valid cookie is *anonymous* for that request: its failed
  tries count together with every other cookie-less try from the same address,
  under strict limits. The response gives it a new cookie, so an ordinary browser
  is anonymous at most once (a POST that arrives before any login page was opened).

Nothing here touches the database; the service only ever sees device ids.
"""

from __future__ import annotations

import re
import secrets as _random
from datetime import timedelta

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "codekids_device"
LIFETIME = timedelta(days=365)
_SALT = "codekids.device-cookie"
# No 0/O or 1/I: the first four characters are read aloud as the computer's code.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ID_LENGTH = 20  # 100 random bits
LABEL_LENGTH = 4
_VALID_ID = re.compile(f"[{ALPHABET}]{{{ID_LENGTH}}}")


def new_device_id() -> str:
    return "".join(_random.choice(ALPHABET) for _ in range(ID_LENGTH))


def label(device_id: str | None) -> str:
    """The short code a librarian sees, and the locked PC shows: "K7QF"."""
    return (device_id or "")[:LABEL_LENGTH]


def is_device_id(value: str | None) -> bool:
    return bool(value) and _VALID_ID.fullmatch(value) is not None


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt=_SALT)


def sign(device_id: str, app: Flask | None = None) -> str:
    return _serializer(app or current_app).dumps(device_id)


def read(raw: str | None, app: Flask | None = None) -> str | None:
    """The device id of a cookie value, or None when it is missing, forged or too old."""
    if not raw or len(raw) > 200:
        return None
    try:
        value = _serializer(app or current_app).loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadData:  # a bad or expired signature, or a payload that is not ours
        return None
    return value if isinstance(value, str) and is_device_id(value) else None


def presented() -> str | None:
    """The device id this request's browser sent (None: anonymous)."""
    if "_device_presented" not in g:
        g._device_presented = read(request.cookies.get(COOKIE_NAME))
    return g._device_presented


def issued() -> str:
    """The device id the browser holds after this response: the one it sent, or a
    new one (sent with the response)."""
    device = presented()
    if device is None:
        device = g.get("_device_new")
        if device is None:
            device = g._device_new = new_device_id()
    return device


def current() -> str | None:
    """What a login page counts a try against: the device id this browser sent (None:
    anonymous). A browser without one is handed a new cookie with this response."""
    device = presented()
    issued()
    return device


def renew() -> None:
    """Send the cookie again with this response (a successful login): one more year."""
    issued()
    g._device_renew = True


def save_cookie(response: Response) -> Response:
    """after_request of the login pages: sets the cookie when one was issued or renewed."""
    device = g.get("_device_new")
    if device is None and g.get("_device_renew"):
        device = presented()
    if device is None:
        return response
    app = current_app
    response.set_cookie(
        COOKIE_NAME,
        sign(device, app),
        max_age=int(LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=bool(app.session_interface.get_cookie_secure(app)),
    )
    return response
