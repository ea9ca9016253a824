"""The child's way in and back, in a real browser: home's big "Continuă" is in the first
screen and opens the next unsolved exercise; a solved exercise reopened shows the
child's own program, not the starter; the playground opens ready to type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from codekids import db
from codekids.accounts.models import User
from codekids.learning import service
from tests.e2e.child import RUN, SUBMIT, demo_child, log_in_child, replace_code

pytestmark = pytest.mark.e2e

CONTINUE = "#continue a.continue-button"
SHOTS = "/tmp/shots"


def _next_for(live_server, nickname: str):
    """The exercise the service says comes next for this demo child (other tests share
    the server, so the child may have solved some already)."""
    app = live_server.app
    with app.test_request_context():
        child = db.session.get(User, demo_child(live_server, nickname).id)
        step = service.next_for_child(child, app.extensions["codekids_bank"], "ro")
        return step.exercise if step else None


def _in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return (box is not None and box["y"] >= 0 and box["x"] >= 0
            and box["y"] + box["height"] <= size["height"]
            and box["x"] + box["width"] <= size["width"])


@pytest.mark.parametrize("size", [(1366, 768), (1024, 600)])
def test_continue_is_in_the_first_screen_and_opens_the_next_exercise(live_server, page, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    log_in_child(page, live_server, "Tudor")
    expected = _next_for(live_server, "Tudor")
    button = page.locator(CONTINUE)
    expect(button).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert _in_viewport(page, CONTINUE), f"Continuă is below the first screen at {size}"
    page.screenshot(path=f"{SHOTS}/h4-home-{width}x{height}.png")
    title = button.locator(".continue-title").inner_text()
    button.click()
    expect(page).to_have_url(re.compile(rf"/exercitii/{expected.id}$"))
    expect(page.locator("h1#ex-title")).to_contain_text(title)


def test_a_solved_exercise_reopened_shows_the_childs_program(live_server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_child(page, live_server, "Tudor")
    exercise = _next_for(live_server, "Tudor")
    page.locator(CONTINUE).click()
    expect(page.locator(".cm-editor")).to_be_visible()
    # The child's own solution, recognisable by its comment; sent at once, before the
    # draft is saved (the case that showed the starter again).
    mine = exercise.solution.strip("\n") + "\n# programul lui Tudor\n"
    replace_code(page, mine)
    page.locator(SUBMIT).click()
    expect(page.locator("#results .result-ok")).to_be_visible(timeout=20_000)

    page.goto(f"{live_server.url}/acasa")
    expect(page.locator(CONTINUE)).not_to_have_attribute("href", f"/exercitii/{exercise.id}")
    page.goto(f"{live_server.url}/exercitii/{exercise.id}")
    expect(page.locator(".cm-content")).to_contain_text("# programul lui Tudor")
    page.screenshot(path=f"{SHOTS}/h4-reopened.png")

    # Start again: the starter comes back; and the passing program can be brought back.
    page.locator("#code-form button[name=action][value=restart]").click()
    expect(page.locator(".cm-content")).not_to_contain_text("# programul lui Tudor")
    page.screenshot(path=f"{SHOTS}/h4-restarted.png")
    page.locator("#code-form button[name=action][value=restore]").click()
    expect(page.locator(".cm-content")).to_contain_text("# programul lui Tudor")


def test_the_first_exercise_shows_no_input_box(live_server, page):
    log_in_child(page, live_server, "Raluca")
    page.goto(f"{live_server.url}/exercitii/hello")
    expect(page.locator("#code-form")).to_be_visible()
    expect(page.locator("#stdin")).to_have_count(0)
    page.goto(f"{live_server.url}/exercitii/turtle-square")
    expect(page.locator("#stdin")).to_have_value("100\n")
    page.locator(RUN).click()
    expect(page.locator("#turtle svg line")).to_have_count(1, timeout=10_000)
    page.screenshot(path=f"{SHOTS}/h4-square-run.png", full_page=True)


def test_the_playground_is_ready_to_type(live_server, page):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in_child(page, live_server, "Raluca")
    page.goto(f"{live_server.url}/joaca")
    expect(page.locator("#code-form .cm-editor, #code-form textarea#code:visible").first).to_be_visible()
    expect(page.locator("#project-name")).to_have_value(re.compile(r"^Proiectul meu \d+$"))
    page.screenshot(path=f"{SHOTS}/h4-playground.png")
    # A run before the program has a name.
    program = 'nume = input()\nprint("Salut,", nume)\n'
    if page.locator(".cm-editor").count():
        replace_code(page, program)
    else:
        page.fill("#code", program)
    page.fill("#stdin", "Raluca")
    page.locator(RUN).click()
    expect(page.locator("#results")).to_contain_text("Salut, Raluca")
    expect(page.locator("#results .lines-counted")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/h4-playground-run.png", full_page=True)
