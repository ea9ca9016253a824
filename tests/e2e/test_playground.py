"""The playground in a real browser: a new project, a turtle drawing animated after
Run, Save without leaving the page, and the program still there after a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.child import RUN, log_in_child, replace_code

pytestmark = pytest.mark.e2e

SAVE = "#code-form button[name=action][value=save]"
SQUARE = "import turtle\nfor _ in range(4):\n    turtle.forward(60)\n    turtle.left(90)\n"


def test_project_runs_a_turtle_drawing_and_saves(live_server, page, tmp_path):
    log_in_child(page, live_server, "Ioana")
    page.goto(f"{live_server.url}/joaca")
    # The playground opens ready to type; Save names the program and opens its project.
    page.fill("#code-form input[name=name]", "Pătratul meu")
    page.locator(SAVE).click()
    # The form's #results rides along the redirect: the page opens at its answer.
    expect(page).to_have_url(re.compile(r"/joaca/\d+(#results)?$"))
    expect(page.locator(".cm-editor")).to_be_visible()

    replace_code(page, SQUARE)
    page.locator(RUN).click()
    svg = page.locator("#turtle svg")
    expect(svg).to_be_visible()
    expect(svg.locator("line")).to_have_count(4, timeout=10_000)
    expect(svg.locator("circle.turtle-pen")).to_have_count(0, timeout=10_000)
    page.screenshot(path=str(tmp_path / "playground_turtle.png"), full_page=True)

    page.fill("#code-form input[name=name]", "Pătrat albastru")
    page.locator(SAVE).click()
    expect(page.locator(".draft-status.saved")).to_be_visible()
    expect(page.locator("h1[data-project-name]")).to_have_text("Pătrat albastru")
    page.reload()
    expect(page.locator(".cm-content")).to_contain_text("turtle.forward(60)")
    expect(page.locator("#code-form input[name=name]")).to_have_value("Pătrat albastru")


def test_the_new_playground_runs_in_place_from_the_servers_fragment(live_server, page):
    log_in_child(page, live_server, "Mihai")
    page.goto(f"{live_server.url}/joaca")
    expect(page.locator(".cm-editor")).to_be_visible()
    replace_code(page, 'print("salut")\nprint(nume)\n')
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator(RUN).click()
    assert answer.value.headers.get("x-codekids-fragment") == "1"
    results = page.locator("#results")
    expect(results.locator("pre.output")).to_have_text("salut\n")
    expect(results.locator(".explanation")).to_be_visible()
    expect(page.locator(".cm-editor .cm-ck-error-line")).to_contain_text("print(nume)")
    expect(page).to_have_url(re.compile(r"/joaca$"))  # no page load: the answer came in place
