"""Logging out in a real browser (issue 15, point 3): the child's "Nu sunt eu" button,
the staff header's "Ieșire" button, the GET page's button and the idle timer all
post a form with the CSRF token, and a cookie copied before is refused after.

Each test uses its own demo child: the live server is shared by the whole session
and logging out ends every session of that child.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.child import demo_child, log_in_child

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 768}


def replay(browser, cookies, url):
    """Another browser holding a copy of the cookies; returns the page after `url`."""
    context = browser.new_context(locale="ro-RO", viewport=WIDE)
    context.add_cookies(cookies)
    pg = context.new_page()
    pg.goto(url)
    return context, pg


def log_in_librarian(page, live_server) -> None:
    username, password = live_server.demo.librarian
    page.goto(f"{live_server.url}/autentificare")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/autentificare"))


def test_the_not_me_button_logs_the_child_out_for_good(live_server, browser, page, tmp_path):
    page.set_viewport_size(WIDE)
    log_in_child(page, live_server, "Ana")
    copied = page.context.cookies()
    button = page.get_by_role("button", name="Nu sunt eu")
    expect(button).to_be_visible()
    page.screenshot(path=str(tmp_path / "not_me.png"))

    # The copy works while the session lives (so the refusal below means something).
    context, thief = replay(browser, copied, f"{live_server.url}/acasa")
    expect(thief).to_have_url(re.compile(r"/acasa$"))

    button.click()
    code = live_server.demo.join_code
    expect(page).to_have_url(re.compile(rf"/copii/{code}$"))
    expect(page.get_by_role("link", name="Ana", exact=True)).to_be_visible()  # back to the names
    page.goto(f"{live_server.url}/acasa")
    expect(page).to_have_url(re.compile(r"/copii(\?|$)"))

    thief.goto(f"{live_server.url}/acasa")
    expect(thief).to_have_url(re.compile(r"/copii(\?|$)"))
    context.close()


def test_the_staff_logout_button_and_the_get_page(live_server, browser, page):
    page.set_viewport_size(WIDE)
    log_in_librarian(page, live_server)
    header = page.locator("header form.logout")
    expect(header.get_by_role("button", name="Ieșire")).to_be_visible()
    copied = page.context.cookies()

    # An old bookmark or a link to /iesire only shows the button: still logged in.
    page.goto(f"{live_server.url}/iesire")
    expect(page.locator("h1")).to_have_text("Doriți să ieșiți din cont?")
    page.goto(f"{live_server.url}/parola")
    expect(page).to_have_url(re.compile(r"/parola$"))

    page.goto(f"{live_server.url}/iesire")
    page.locator("main").get_by_role("button", name="Ieșire").click()
    expect(page).to_have_url(re.compile(r"/autentificare$"))
    _, thief = replay(browser, copied, f"{live_server.url}/parola")
    expect(thief).to_have_url(re.compile(r"/autentificare\?next="))

    # The header's button does the same.
    log_in_librarian(page, live_server)
    page.locator("header form.logout button").click()
    expect(page).to_have_url(re.compile(r"/autentificare$"))
    page.goto(f"{live_server.url}/parola")
    expect(page).to_have_url(re.compile(r"/autentificare\?next="))
    thief.context.close()


def test_the_idle_timer_posts_the_logout(live_server, page):
    child = demo_child(live_server, "Mihai")
    page.clock.install()
    log_in_child(page, live_server, child.nickname)
    # Nobody touches the PC for 21 minutes (the server's limit is 20).
    page.clock.fast_forward("21:00")
    code = live_server.demo.join_code
    expect(page).to_have_url(re.compile(rf"/copii/{code}$"))
    expect(page.locator(".flash-info")).to_contain_text("nimeni nu a folosit")
    page.goto(f"{live_server.url}/acasa")
    expect(page).to_have_url(re.compile(r"/copii(\?|$)"))
