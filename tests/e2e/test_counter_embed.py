"""The embeddable counter in a newspaper's page: its language, and its refresh.

The refresh asks for the embed's own address again and puts the server's figures in
place, so the fresh total keeps the words and number format of the page's language.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from codekids import db
from codekids.accounts.models import COORDINATOR, User
from codekids.counter import service
from codekids.counter.models import NATION

pytestmark = pytest.mark.e2e


@contextmanager
def newspaper(html: str):
    """A newspaper's page on another origin (a real server: Chromium does not let a page
    that came from nowhere, such as about:blank, frame a loopback address)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("localhost", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def add_historical_lines(live_server, amount: int) -> None:
    with live_server.app.app_context():
        coordinator = db.session.scalar(select(User).where(User.role == COORDINATOR))
        service.record_adjustment(coordinator, scope=NATION, amount=amount,
                                  day=date(2024, 1, 1), reason="before the platform")


def test_a_framed_embed_speaks_hungarian_and_refreshes_in_hungarian(live_server, page):
    newspaper_page = (f'<!doctype html><meta charset="utf-8"><h1>Helyi hírek</h1>'
                      f'<iframe src="{live_server.url}/counter/embed?lang=hu" '
                      'title="CODE Kids" width="360" height="200"></iframe>')
    page.clock.install()
    with newspaper(newspaper_page) as url:
        page.goto(url)
    frame = page.frame_locator("iframe")
    total = frame.locator("#embed-total")
    before = int(total.inner_text().replace("\xa0", "").replace(" ", ""))
    assert "állapot szerint" in frame.locator("#embed-date").inner_text()
    assert frame.locator(".embed-label").inner_text() == "Romániai gyerekek által írt kódsorok"
    link = frame.locator(".embed-brand a")
    assert link.get_attribute("href") == f"{live_server.url}/"
    assert link.get_attribute("target") == "_blank"

    add_historical_lines(live_server, 1_234_567)
    page.clock.run_for(11_000)  # one refresh interval
    expected = f"{before + 1_234_567:,}".replace(",", "\xa0")
    expect(total).to_have_text(expected)
    assert "a platform előtti időkből" in frame.locator("#embed-historical").inner_text()


def test_the_browsers_language_picks_the_embeds(live_server, browser):
    context = browser.new_context(locale="en-GB")
    try:
        pg = context.new_page()
        pg.goto(f"{live_server.url}/counter/embed")
        assert pg.locator("html").get_attribute("lang") == "en"
        assert pg.locator("#embed-date").inner_text().startswith("as of ")
    finally:
        context.close()
