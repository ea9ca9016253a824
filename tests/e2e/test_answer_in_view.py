"""The answer after Run and Submit is in view without scrolling, with JavaScript and
without, at 1366x768, 1024x600 and at 200% zoom (a 1366x768 screen zoomed 200%: 683x384
CSS pixels, each drawn twice); both paths show the same words, rendered by the server.

Every test gets a child of its own (the live server is shared by the session, and
"+N lines" and the stars are earned once). Screenshots: /tmp/shots/h3-*.png.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from playwright.sync_api import expect

from codekids.cli import DemoChild
from tests.e2e.child import HINT, RUN, SUBMIT, log_in_child, replace_code

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
FIRST = "hello"
RIGHT = 'print("Bună ziua!")\n'
NO_QUOTES = "print(Bună ziua!)\n"  # the commonest first mistake: text without quotes
TURTLE = "import turtle\nt = turtle.Turtle()\nfor _ in range(3):\n    t.forward(80)\n    t.left(120)\n"
SCREENS = [
    ("1366x768", {"width": 1366, "height": 768}, 1),
    ("1024x600", {"width": 1024, "height": 600}, 1),
    ("zoom200", {"width": 683, "height": 384}, 2),
]
_names = (f"Vera{a}{b}" for a, b in itertools.product("ABCDEFGHIJKLMNOPRSTUVZ", repeat=2))


def new_child(live_server) -> str:
    """A child of the demo club who has done nothing yet; returns the nickname."""
    from codekids.clubs import service as clubs
    from codekids.clubs.service import find_club_by_code

    nickname = next(_names)
    with live_server.app.app_context():
        club = find_club_by_code(live_server.demo.join_code)
        child = clubs.create_children(club, nickname).created[0]
        secret = clubs.card_secret(child)
        live_server.demo.children.append(DemoChild(child.id, nickname, secret.kind, secret.value))
    return nickname


def open_page(browser, live_server, *, js: bool, viewport, scale=1):
    context = browser.new_context(java_script_enabled=js, locale="ro-RO", viewport=viewport,
                                  device_scale_factor=scale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in_child(page, live_server, new_child(live_server))
    page.goto(f"{live_server.url}/exercitii/{FIRST}")
    if js:
        expect(page.locator(".cm-editor")).to_be_visible()
    return context, page


def write(page, js: bool, source: str) -> None:
    if js:
        replace_code(page, source)
    else:
        page.locator("textarea#code").fill(source)


def settled(page, js: bool) -> None:
    """Wait until the page has done its own scrolling (JS: the focus is on the answer)."""
    if js:
        page.wait_for_function(
            "() => document.activeElement && document.activeElement.id === 'results-h'")
    page.wait_for_timeout(150)


def assert_in_view(page, locator, what: str) -> None:
    """Wholly inside the window as the page left it: no scrolling done by the test."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None, what
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5, (what, box, size)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 0.5, (what, box, size)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize(("label", "viewport", "scale"), SCREENS, ids=[s[0] for s in SCREENS])
def test_solving_the_first_exercise_shows_verdict_stars_and_lines_in_view(
    live_server, browser, js, label, viewport, scale
):
    context, page = open_page(browser, live_server, js=js, viewport=viewport, scale=scale)
    try:
        write(page, js, RIGHT)
        page.locator(SUBMIT).click()
        results = page.locator("#results")
        expect(results.locator(".result-ok")).to_be_visible()
        settled(page, js)
        assert_in_view(page, results.locator(".result-ok"), "the verdict")
        assert_in_view(page, results.locator(".stars-line .stars"), "the stars")
        assert_in_view(page, results.locator(".stars-reason"), "why three stars")
        assert_in_view(page, results.locator(".lines-counted"), "+N lines")
        expect(results.locator(".stars-reason")).to_have_text("3 stele: fără indicii, din prima încercare!")
        expect(results.locator(".lines-counted")).to_contain_text("+1 linie de cod pentru tine!")
        expect(results.locator(".lines-total")).to_contain_text("Acum ai în total 1 linie de cod.")
        if not js:
            assert page.url.endswith("#results")
        page.screenshot(path=str(SHOTS / f"h3-solved-{label}-{'js' if js else 'nojs'}.png"))
    finally:
        context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize(("label", "viewport", "scale"), SCREENS, ids=[s[0] for s in SCREENS])
def test_a_wrong_programs_explanation_is_in_view(live_server, browser, js, label, viewport, scale):
    context, page = open_page(browser, live_server, js=js, viewport=viewport, scale=scale)
    try:
        write(page, js, NO_QUOTES)
        page.locator(SUBMIT).click()
        results = page.locator("#results")
        expect(results.locator(".result-not-yet")).to_be_visible()
        settled(page, js)
        assert_in_view(page, results.locator(".result-not-yet"), "the verdict")
        explanation = results.locator(".explanation").first
        assert_in_view(page, explanation, "the explanation")
        expect(explanation).to_contain_text("1")  # at its line
        if js:  # …and the line is marked in the editor
            expect(page.locator(".cm-editor .cm-ck-error-line")).to_contain_text("print(Bună ziua!)")
        page.screenshot(path=str(SHOTS / f"h3-wrong-{label}-{'js' if js else 'nojs'}.png"))
    finally:
        context.close()


def _results_text(browser, live_server, js: bool, action: str, source: str) -> str:
    context, page = open_page(browser, live_server, js=js, viewport={"width": 1366, "height": 768})
    try:
        write(page, js, source)
        page.locator(RUN if action == "run" else SUBMIT).click()
        expect(page.locator("#results h2")).to_be_visible()
        settled(page, js)
        return page.locator("#results").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize(("action", "source"), [
    ("submit", NO_QUOTES), ("submit", 'print("Buna ziua")\n'), ("submit", RIGHT),
    ("run", 'print("unu")\nprint(doi)\n'),
])
def test_javascript_and_the_plain_form_show_the_same_results(live_server, browser, action, source):
    with_js = _results_text(browser, live_server, True, action, source)
    without = _results_text(browser, live_server, False, action, source)
    assert with_js.strip() and with_js == without


def test_a_revealed_hint_renders_its_markdown(live_server, browser):
    context, page = open_page(browser, live_server, js=True, viewport={"width": 1366, "height": 768})
    try:
        page.locator(HINT).click()
        hint = page.locator("#hints ol.hint-list li.new")
        expect(hint).to_be_visible()
        expect(hint.locator("code")).to_have_text("Bună!")
        assert "`" not in hint.inner_text()
        expect(hint).to_be_focused()
        expect(page.locator(HINT)).to_contain_text("2")  # the server's button: 2 left
        assert_in_view(page, hint, "the new hint")
        page.screenshot(path=str(SHOTS / "h3-hint-js.png"))
    finally:
        context.close()


def test_a_turtle_run_animates_the_servers_drawing(live_server, browser):
    context, page = open_page(browser, live_server, js=True, viewport={"width": 1366, "height": 768})
    try:
        replace_code(page, TURTLE)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator(RUN).click()
        response = answer.value
        assert response.headers.get("x-codekids-fragment") == "1"
        body = response.text()
        assert "<svg" in body and body.count("<line ") == 3 and "<html" not in body
        svg = page.locator("#turtle svg")
        expect(svg).to_be_visible()
        # While it draws, the pen is on the paper; at the end it is gone and every line whole.
        expect(svg.locator("circle.turtle-pen")).to_have_count(1)
        expect(svg.locator("circle.turtle-pen")).to_have_count(0, timeout=10_000)
        whole = svg.evaluate(
            "s => [...s.querySelectorAll('line')].every(l => l.getAttribute('x2') ==="
            " l.getAttribute('data-x2') && l.style.visibility !== 'hidden')")
        assert whole
        expect(page.locator("#turtle button.draw-again")).to_be_visible()
        page.screenshot(path=str(SHOTS / "h3-turtle-js.png"), full_page=True)
    finally:
        context.close()


def test_editor_help_only_with_the_codemirror_editor(live_server, browser):
    context, page = open_page(browser, live_server, js=False, viewport={"width": 1366, "height": 768})
    try:
        expect(page.locator("#editor-help")).to_be_hidden()
    finally:
        context.close()
    context, page = open_page(browser, live_server, js=True, viewport={"width": 1366, "height": 768})
    try:
        expect(page.locator("#editor-help")).to_be_visible()
    finally:
        context.close()
