"""The librarian's room in a real browser (issue 7).

A librarian logs in, creates three children, opens their login cards, gives the
club a set, and — once one child solves an exercise in a second browser context,
logged in with the secret read off that child's card — sees the child's cell turn
green in the progress grid and the code in the detail view. Then the meeting and
the monthly report show that child's work.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from codekids import db
from codekids.clubs.models import Club
from tests.e2e.child import SUBMIT, replace_code

pytestmark = pytest.mark.e2e

NEW_CHILDREN = ("Zamfira", "Octav", "Lizuca")
SOLVER = "Octav"
RIGHT = 'print("Bună ziua!")\n'


def demo_club_id(live_server) -> int:
    with live_server.app.app_context():
        return db.session.scalar(select(Club.id).where(Club.join_code == live_server.demo.join_code))


def log_in_librarian(page, live_server) -> None:
    username, password = live_server.demo.librarian
    page.goto(f"{live_server.url}/autentificare")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/autentificare"))


def log_in_child_with_card(page, live_server, nickname: str, pictures: list[str]) -> None:
    page.goto(f"{live_server.url}/copii")
    page.fill("input[name=code]", live_server.demo.join_code)
    page.locator("form:has(input[name=code]) button[type=submit]").click()
    page.get_by_role("link", name=nickname, exact=True).click()
    for picture in pictures:
        page.locator(f"button[name=add][value={picture}]").click()
        page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/acasa$"))


def test_librarian_follows_a_child_from_card_to_green_cell(live_server, page, browser, tmp_path):
    club_id = demo_club_id(live_server)
    log_in_librarian(page, live_server)

    # Three new children, pasted one per line.
    page.goto(f"{live_server.url}/cluburi/{club_id}")
    page.locator(f"a[href$='/cluburi/{club_id}/copii-noi']").first.click()
    page.fill("textarea[name=nicknames]", "\n".join(NEW_CHILDREN))
    page.locator("form:has(textarea[name=nicknames]) button[type=submit]").click()

    # Their login cards.
    page.locator(f"a[href*='/cluburi/{club_id}/cartonase?ids=']").click()
    cards = page.locator("article.login-card")
    expect(cards).to_have_count(3)
    for name in NEW_CHILDREN:
        expect(page.locator(".card-nickname", has_text=name)).to_have_count(1)
    card = page.locator("article.login-card", has=page.locator(".card-nickname",
                                                                has_text=SOLVER))
    pictures = card.locator("li[data-picture]").evaluate_all(
        "items => items.map(li => li.dataset.picture)")
    assert len(pictures) == 3
    page.screenshot(path=str(tmp_path / "cards.png"), full_page=True)

    # A meeting starts as the children arrive.
    page.goto(f"{live_server.url}/cluburi/{club_id}/intalniri")
    page.locator(f"form[action$='/cluburi/{club_id}/intalniri/incepe'] button").click()
    expect(page).to_have_url(re.compile(rf"/cluburi/{club_id}/intalniri/\d+$"))
    meeting_url = page.url

    # Give the whole club the first set.
    page.goto(f"{live_server.url}/cluburi/{club_id}/teme")
    page.select_option("select[name=set_id]", "first-steps")
    page.check("input[name=who][value=club]")
    page.locator("form.assign-form button[type=submit]").click()
    expect(page.locator("table.assignments")).to_be_visible()

    # The grid before: the solver's first cell is not green.
    grid_url = f"{live_server.url}/cluburi/{club_id}/progres/first-steps"
    page.goto(grid_url)
    cell = page.locator("table.progress-grid tr", has_text=SOLVER).locator("td.cell").first
    expect(cell).not_to_have_attribute("data-state", "solved")

    # The child, on another computer: logs in with the card, solves the first exercise.
    child_context = browser.new_context(locale="ro-RO", viewport={"width": 1024, "height": 768})
    child_context.set_default_timeout(15_000)
    try:
        child_page = child_context.new_page()
        log_in_child_with_card(child_page, live_server, SOLVER, pictures)
        child_page.goto(f"{live_server.url}/exercitii/hello")
        expect(child_page.locator(".cm-editor")).to_be_visible()
        replace_code(child_page, RIGHT)
        child_page.locator(SUBMIT).click()
        expect(child_page.locator("#results .result-ok")).to_be_visible()
    finally:
        child_context.close()

    # The librarian sees the cell turn green, and the code behind it.
    page.goto(grid_url)
    cell = page.locator("table.progress-grid tr", has_text=SOLVER).locator("td.cell").first
    expect(cell).to_have_attribute("data-state", "solved")
    page.screenshot(path=str(tmp_path / "grid.png"), full_page=True)
    cell.locator("a").click()
    expect(page.locator("main")).to_contain_text("Bună ziua!")
    expect(page.locator("main")).to_contain_text(SOLVER)

    # The meeting knows who came and what was done; the month's report too.
    page.goto(meeting_url)
    expect(page.locator("table.attendance tr.present", has_text=SOLVER)).to_have_count(1)
    expect(page.locator("#solved-count")).to_have_text("1")
    expect(page.locator("#lines-count")).to_have_text("1")
    page.locator("form[action$='/incheie'] button").click()
    page.goto(f"{live_server.url}/cluburi/{club_id}/raport")
    expect(page.locator("#sessions-held")).to_have_text("1")
    expect(page.locator("#children-attending")).to_have_text("1")
