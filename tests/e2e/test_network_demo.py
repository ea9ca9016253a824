"""A coordinator's first look at the network demo (`codekids demo --network`), in Chromium.

A small network world (20 clubs over the 18 counties, 160 children, 4 weeks) on a
server of its own: the national coordinator's counter page shows the counties with
their lines, the clubs, and a national total over 3,000,000 that says where the
historical lines come from; a county coordinator sees their county only.
"""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from codekids import create_app, db, migrate, network_world, sandbox_client
from codekids.clubs.models import County
from tests.conftest import FAST_HASHING

pytestmark = pytest.mark.e2e

SMALL = network_world.Scale(clubs=20, children=160, weeks=4)


@pytest.fixture(scope="module")
def network_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("network")
    app = create_app({"database_url": f"sqlite:///{root / 'codekids.sqlite3'}",
                      "secret_key": "e2e-secret-key-not-for-production",
                      "INSTANCE_PATH": root / "instance", **FAST_HASHING})
    with app.app_context():
        migrate.upgrade(db.get_engine())
        world = network_world.seed(SMALL)
        logins = network_world.demo_logins()
        names = {c.code: c.name for c in db.session.query(County)}
    sandbox_client.stop()  # the seeding's; the pages below run no program
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="network-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", world, logins, names
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    app.extensions["codekids_engine"].dispose()


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(locale="ro-RO", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/autentificare")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", network_world.NETWORK_PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/autentificare"))


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def test_the_national_coordinator_sees_the_country(network_server, wide_page):
    url, world, logins, names = network_server
    log_in(wide_page, url, logins.national)
    wide_page.goto(f"{url}/coordonare/contor")
    total = number(wide_page.locator("#counter-total").inner_text())
    assert total == 3_000_000 + world.lines > 3_000_000
    hero = wide_page.locator(".counter-hero")
    expect(hero).to_contain_text("3.000.000")
    expect(hero).to_contain_text("înainte să existe platforma")  # where the 3 million come from
    # The map and the county table: each of the 18 counties has lines of its own.
    expect(wide_page.locator(".counter-map svg path")).not_to_have_count(0)
    rows = wide_page.locator("section[aria-labelledby=counties-h] tbody tr")
    counted = {rows.nth(i).locator("th").inner_text(): number(rows.nth(i).locator("td").nth(1)
                                                              .inner_text())
               for i in range(rows.count())}
    assert {n for n, lines in counted.items() if lines} == {
        names[code] for code in network_world.COUNTY_CODES}
    clubs = wide_page.locator("section[aria-labelledby=clubs-h] tbody tr")
    expect(clubs).to_have_count(len(world.clubs))


def test_a_county_coordinator_sees_their_county(network_server, wide_page):
    url, world, logins, _names = network_server
    username, county = logins.county
    log_in(wide_page, url, username)
    wide_page.goto(f"{url}/coordonare/contor")
    rows = wide_page.locator("section[aria-labelledby=counties-h] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text(county)
    assert number(rows.first.locator("td").nth(1).inner_text()) > 0
    code = next(c.county for c in world.clubs if c.join_code == logins.join_code)
    expect(wide_page.locator("section[aria-labelledby=clubs-h] tbody tr")).to_have_count(
        sum(c.county == code for c in world.clubs))
    # The country's total, with the historical lines, is named beside the county's.
    expect(wide_page.locator(".counter-hero")).to_contain_text(
        f"{3_000_000 + world.lines:,}".replace(",", "."))

