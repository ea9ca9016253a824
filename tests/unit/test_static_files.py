"""Static files: fingerprinted URLs, a year of caching for them, gzip for text."""

from __future__ import annotations

import gzip
import hashlib
import re

from flask import url_for

from codekids import ROOT


def test_static_urls_carry_the_content_hash(app):
    digest = hashlib.sha256((ROOT / "static/js/site.js").read_bytes()).hexdigest()[:12]
    with app.test_request_context():
        assert url_for("static", filename="js/site.js") == f"/static/js/site.js?v={digest}"
        # A file that is not there gets no fingerprint (and stays a plain 404).
        assert url_for("static", filename="js/nope.js") == "/static/js/nope.js"
        assert "v=" not in url_for("static", filename="../pyproject.toml")


def test_pages_link_fingerprinted_files(client):
    html = client.get("/copii").get_data(as_text=True)
    assert re.search(r'href="/static/css/site\.css\?v=[0-9a-f]{12}"', html)
    assert re.search(r'src="/static/js/site\.js\?v=[0-9a-f]{12}"', html)


def test_fingerprinted_files_are_cached_for_a_year(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/site.css")
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    bare = client.get("/static/css/site.css")
    assert "immutable" not in bare.headers.get("Cache-Control", "")


def test_text_files_are_gzipped_when_the_browser_accepts_it(app, client):
    raw = (ROOT / "static/css/site.css").read_bytes()
    resp = client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip, br"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    body = resp.get_data()
    assert gzip.decompress(body) == raw and len(body) < len(raw)
    assert int(resp.headers["Content-Length"]) == len(body)
    plain = client.get("/static/css/site.css")
    assert "Content-Encoding" not in plain.headers and plain.get_data() == raw
