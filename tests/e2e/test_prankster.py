"""One prankster cannot lock a library out (issue 15, point 2), in real browsers.

Every browser context is one PC of the same library, all on 127.0.0.1. A prankster
clicks 25 wrong secrets for five children on his PC; then two other children log in
on another PC, a victim logs in on the PC she used before, and the librarian finds
the locked PC by the code on its screen and unlocks it. The pages are in Romanian,
as the children see them.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from codekids.accounts import secrets as child_secrets
from codekids.accounts import service
from tests.e2e.child import demo_child, log_in_child
from tests.e2e.test_librarian import demo_club_id, log_in_librarian

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
VICTIMS = ("Andrei", "Bianca", "Mihai", "Raluca", "Tudor")
OTHERS = ("Ana", "Ioana")
LOCKED_PC = "Prea multe încercări greșite de pe acest calculator"
WRONG = "Acestea nu sunt imaginile tale"


def new_pc(browser, width=1366, height=768, scale=1):
    context = browser.new_context(
        locale="ro-RO", viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def wrong_sequences(secret):
    return (s for s in itertools.permutations(child_secrets.PICTURES, 3) if s != tuple(secret))


def open_secret_page(page, live_server, nickname: str) -> None:
    child = demo_child(live_server, nickname)
    page.goto(f"{live_server.url}/copii/{live_server.demo.join_code}/{child.id}")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lockouts-{name}.png"), full_page=True)


@pytest.fixture
def no_waiting(live_server, monkeypatch):
    """The "wait N seconds" between tries is tested with a moved clock in
    tests/unit/accounts/test_devices_views.py; here the prankster is not slowed."""
    monkeypatch.setattr(live_server.app.config["CODEKIDS"], "device_slow_seconds", 0)
    yield
    with live_server.app.app_context():
        from codekids import db
        from codekids.clubs.models import Club

        service.lift_club_locks(db.session.get(Club, demo_club_id(live_server)))


def test_a_prankster_locks_only_his_own_pc(live_server, browser, no_waiting):
    # Bianca logged in on her usual PC before: it stays trusted for her.
    biancas_context, biancas_pc = new_pc(browser)
    log_in_child(biancas_pc, live_server, "Bianca")
    biancas_context.clear_cookies(name="session")  # she left; the device cookie stays

    prank_context, prankster = new_pc(browser)
    prankster.goto(f"{live_server.url}/copii")
    guesses = {n: wrong_sequences(demo_child(live_server, n).secret) for n in VICTIMS}
    answered_wrong = locked = 0
    for n in range(25):
        nickname = VICTIMS[n % 5]
        open_secret_page(prankster, live_server, nickname)
        if prankster.locator("button[name=add]").count() == 0:
            expect(prankster.locator(".message-lock")).to_contain_text(LOCKED_PC)
            locked += 1
            continue
        for picture in next(guesses[nickname]):
            prankster.locator(f"button[name=add][value={picture}]").click()
            prankster.wait_for_load_state()
        if prankster.locator(".message-lock").count():
            expect(prankster.locator(".message-lock")).to_contain_text(LOCKED_PC)
            answered_wrong += 1  # the tenth wrong secret locks this PC
        else:
            expect(prankster.locator(".message-kind")).to_contain_text(WRONG)
            answered_wrong += 1
    assert (answered_wrong, locked) == (10, 15)
    code = re.search(
        r"Codul acestui calculator este (\w{4})", prankster.locator("main").inner_text()
    ).group(1)
    shoot(prankster, "locked-pc")

    # Two other children log in on another PC of the library (same address)...
    next_context, next_pc = new_pc(browser)
    for nickname in OTHERS:
        log_in_child(next_pc, live_server, nickname)
        next_context.clear_cookies(name="session")
    # ...and Bianca, one of the five, on the PC she used before.
    log_in_child(biancas_pc, live_server, "Bianca")
    expect(biancas_pc.locator("h1")).to_contain_text("Bianca")

    # The same locked page at 200% zoom: the message and the code still fit and read.
    zoom_context, zoomed = new_pc(browser, 683, 384, 2)
    zoomed.context.add_cookies(prank_context.cookies())
    open_secret_page(zoomed, live_server, "Ana")
    expect(zoomed.locator(".message-lock")).to_contain_text(LOCKED_PC)
    shoot(zoomed, "locked-pc-zoom200")

    # The librarian sees that PC by its code and unlocks it.
    lib_context, librarian = new_pc(browser)
    log_in_librarian(librarian, live_server)
    librarian.goto(f"{live_server.url}/cluburi/{demo_club_id(live_server)}")
    row = librarian.locator("section.locked-computers tr", has_text=f"Calculatorul {code}")
    expect(row).to_contain_text("adresa 127.0.0.1")
    for nickname in VICTIMS:
        expect(row).to_contain_text(nickname)
    expect(row).to_contain_text(re.compile(r"\d\d:\d\d"))
    shoot(librarian, "librarian-locks")
    lib_zoom_context, lib_zoomed = new_pc(browser, 683, 384, 2)
    lib_zoomed.context.add_cookies(lib_context.cookies())
    lib_zoomed.goto(librarian.url)
    shoot(lib_zoomed, "librarian-locks-zoom200")
    row.get_by_role("button", name="Deblocați calculatorul").click()
    expect(librarian.locator("section.locked-computers")).to_have_count(0)

    open_secret_page(prankster, live_server, "Ana")
    expect(prankster.locator("button[name=add]")).to_have_count(9)
    for context in (
        biancas_context,
        prank_context,
        next_context,
        zoom_context,
        lib_context,
        lib_zoom_context,
    ):
        context.close()
