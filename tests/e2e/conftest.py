"""End-to-end harness: the real site on a free loopback port, driven by Debian's Chromium.

`live_server` starts the site (CSRF on, real login pages, real sessions) in a
thread on a fresh, migrated SQLite database holding the demo world of
`codekids demo`. `page` is a Playwright page in headless Chromium.

The browser is Debian's `chromium` at /usr/bin/chromium (or $CODEKIDS_TEST_CHROMIUM),
launched through `executable_path`; where it is missing, Playwright's own
Chromium, which `./dev test` downloads when the network allows it. When neither
starts the tests fail with the command that installs one: a browser test that
skips quietly is a browser test nobody runs.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from codekids import create_app, db, migrate
from codekids.cli import DemoLogins, seed_demo
from tests.conftest import FAST_HASHING

CHROMIUM = Path(os.environ.get("CODEKIDS_TEST_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's own sandbox refuses to start
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
INSTALL_HINT = (
    f"The browser tests need Chromium: Debian's is not at {CHROMIUM} and Playwright's own "
    "does not start. Run ./dev test (it installs one), or install it with: "
    "sudo apt-get update && sudo apt-get install -y chromium"
)


@dataclass
class LiveServer:
    url: str  # ends without a slash: f"{live_server.url}/copii"
    app: object
    demo: DemoLogins


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    root = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "database_url": f"sqlite:///{root / 'codekids.sqlite3'}",
            "secret_key": "e2e-secret-key-not-for-production",
            "INSTANCE_PATH": root / "instance",
            **FAST_HASHING,
        }
    )
    with app.app_context():
        migrate.upgrade(db.get_engine())
        demo = seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, demo=demo)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    app.extensions["codekids_engine"].dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as pw:
        if CHROMIUM.exists():
            chromium = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        else:
            try:  # Playwright's own, in ~/.cache/ms-playwright
                chromium = pw.chromium.launch(headless=True, args=CHROMIUM_ARGS)
            except Error:
                pytest.fail(INSTALL_HINT, pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    # A fresh context per test: no cookies carried over, like a PC after "this is not me".
    context = browser.new_context(locale="ro-RO", viewport={"width": 1024, "height": 768})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()
