"""A Hungarian-speaking child's path, and a Romanian librarian reading it (issue 16).

The child logs in, switches the site to Magyar, finds the turtle set and its square
exercise in Hungarian, runs the starter (one side drawn), submits it and reads the
result in Hungarian. The librarian, whose site is in Romanian, opens the progress
grid and that child's cell, and reads the same attempt in Romanian: the stored
report holds message keys, so nothing of the child's language leaks into hers.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from codekids.bank import texts
from tests.e2e.child import RUN, SUBMIT, log_in_child
from tests.e2e.test_librarian import demo_club_id, log_in_librarian

pytestmark = pytest.mark.e2e

CHILD = "Ioana"
EXERCISE = "turtle-square"


def catalog(locale: str, name: str, num: int | None = None) -> str:
    # By its stored key: the turtle's messages are its kind's (bank/kinds/turtle.py).
    return texts.translate(locale, texts.KEYS[f"grading.{name}"], num)


def switch_language(page, code: str) -> None:
    page.locator(f"form.lang-switch button[value={code}]").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_a_hungarian_child_draws_and_a_romanian_librarian_reads_it(
        live_server, browser, page, tmp_path):
    log_in_child(page, live_server, CHILD)
    switch_language(page, "hu")

    # The turtle set and its exercise, in Hungarian.
    expect(page.get_by_text("Rajzolás a teknőssel").first).to_be_visible()
    page.goto(f"{live_server.url}/exercitii/{EXERCISE}")
    expect(page.locator("h1")).to_have_text(re.compile("A négyzet"))
    expect(page.locator("main")).to_contain_text("Rajzolj egy négyzetet")  # the statement
    expect(page.locator(RUN)).to_have_text(re.compile("Futtatás"))

    # Run the starter: the turtle draws one side; then submit it as it is.
    page.locator(RUN).click()
    expect(page.locator("#results-h")).to_be_visible(timeout=15_000)
    page.locator(SUBMIT).click()
    hungarian = catalog("hu", "drawing_missing").split(":")[0]  # "A rajz más…"
    result = page.locator("#results")
    expect(result).to_contain_text(hungarian, timeout=15_000)
    assert catalog("ro", "drawing_missing").split(":")[0] not in result.inner_text()
    page.screenshot(path=str(tmp_path / "child-hu.png"), full_page=True)

    # The librarian, in Romanian, in another browser.
    staff = browser.new_context(viewport={"width": 1366, "height": 768})
    librarian = staff.new_page()
    log_in_librarian(librarian, live_server)
    switch_language(librarian, "ro")
    club_id = demo_club_id(live_server)
    librarian.goto(f"{live_server.url}/cluburi/{club_id}/progres/turtle")
    librarian.locator(f"tr:has(th:text-is('{CHILD}')) a[href$='/exercitiu/{EXERCISE}']").click()
    expect(librarian).to_have_url(re.compile(rf"/exercitiu/{EXERCISE}$"))
    main = librarian.locator("main")
    romanian = catalog("ro", "drawing_missing").split(":")[0]
    expect(main).to_contain_text(romanian)
    expect(main).to_contain_text(CHILD)
    text = main.inner_text()
    assert hungarian not in text, "the child's language leaked into the librarian's page"
    assert "A négyzet" not in text  # the exercise's title is in her language too
    librarian.screenshot(path=str(tmp_path / "librarian-ro.png"), full_page=True)
    staff.close()
