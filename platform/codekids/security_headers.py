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

import secrets

from flask import Flask, current_app, g, request

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


def _add_headers(response):
    frameable = request.endpoint in FRAMEABLE_ENDPOINTS
    response.headers["Content-Security-Policy"] = content_security_policy(
        frame_ancestors="*" if frameable else "'none'", nonce=g.get("csp_nonce"))
    if not frameable:
        response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    hsts = current_app.config["CODEKIDS"].hsts_seconds
    # Only over HTTPS (seen directly or through a trusted proxy): browsers ignore
    # it on plain HTTP, and a club laptop on http://127.0.0.1 must keep working.
    if hsts and request.is_secure:
        response.headers["Strict-Transport-Security"] = f"max-age={hsts}"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
