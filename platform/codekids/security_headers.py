"""Security headers on every response: the Content-Security-Policy, nosniff, the
referrer policy, framing, and HSTS on HTTPS.

Scripts come only from our own files ('self', no inline script, no eval), so an
injected <script> or onclick= does nothing. Styles: our own files, plus the
<style> elements CodeMirror writes at run time, which carry this request's nonce
(the page hands it to the editor through <meta name="csp-nonce">); no
'unsafe-inline'.

Framing is refused everywhere except the endpoints in FRAMEABLE_ENDPOINTS,
which other websites embed on purpose.
"""

from __future__ import annotations

import functools
import secrets

from flask import current_app, g, request

# Pages that any website may show in a frame (the initiative's and the libraries'
# own sites embed the national counter).
FRAMEABLE_ENDPOINTS = frozenset({"counter.embed"})


def csp_nonce() -> str:
    """This request's nonce for the editor's <style> elements (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(*, frame_ancestors: str, nonce: str | None) -> str:
    style = "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        style,
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ])


def headers_for(*, frameable: bool, nonce: str | None, https: bool,
                hsts_seconds: int) -> list[tuple[str, str]]:
    """The headers themselves; also used by the last-resort error page (bad_input.py),
    which answers without a request context."""
    if nonce is None:  # most responses (files, JSON, pages without the editor)
        return list(_headers_without_nonce(frameable, https, hsts_seconds))
    return _headers(frameable, nonce, https, hsts_seconds)


@functools.lru_cache(maxsize=16)
def _headers_without_nonce(frameable: bool, https: bool, hsts_seconds: int
                           ) -> tuple[tuple[str, str], ...]:
    """The same few header lists on every response: built once per process."""
    return tuple(_headers(frameable, None, https, hsts_seconds))


def _headers(frameable: bool, nonce: str | None, https: bool, hsts_seconds: int
             ) -> list[tuple[str, str]]:
    headers = [("Content-Security-Policy", content_security_policy(
        frame_ancestors="*" if frameable else "'none'", nonce=nonce))]
    if not frameable:
        headers.append(("X-Frame-Options", "DENY"))
    headers.append(("X-Content-Type-Options", "nosniff"))
    headers.append(("Referrer-Policy", "same-origin"))
    # Only over HTTPS (seen directly or through a trusted proxy): browsers ignore
    # it on plain HTTP, and a club laptop on http://127.0.0.1 must keep working.
    if hsts_seconds and https:
        headers.append(("Strict-Transport-Security", f"max-age={hsts_seconds}"))
    return headers


def add_headers(response):
    """after_request: every response, pages and errors alike, carries the headers."""
    for name, value in headers_for(
            frameable=request.endpoint in FRAMEABLE_ENDPOINTS, nonce=g.get("csp_nonce"),
            https=request.is_secure, hsts_seconds=current_app.config["CODEKIDS"].hsts_seconds):
        response.headers[name] = value
    return response
