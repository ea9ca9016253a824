"""The child's exercise page in a real browser: with the editor, without JavaScript,
from the keyboard, at 1366x768 and at 200% zoom.

Each test logs in a different demo child: the live server is shared by the whole
session, and stars and drafts belong to the child.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.child import HINT, RUN, SUBMIT, demo_child, log_in_child, replace_code

pytestmark = pytest.mark.e2e

FIRST = "hello"  # the bank's first exercise: print("Bună ziua!")
WRONG = 'print("Bună!")\n'
RIGHT = 'print("Bună ziua!")\n'
TURTLE_LINE = "import turtle\nt = turtle.Turtle()\nt.forward(100)\nt.left(90)\nt.forward(50)\n"


def open_exercise(page, live_server, exercise=FIRST):
    page.goto(f"{live_server.url}/exercitii/{exercise}")
    expect(page.locator(".cm-editor")).to_be_visible()


def test_wrong_then_right_in_romanian_with_stars(live_server, page, tmp_path):
    log_in_child(page, live_server, "Ana")
    # From the home page, the way a child gets there.
    page.locator(f"a[href$='/exercitii/{FIRST}']").first.click()
    expect(page).to_have_url(re.compile(rf"/exercitii/{FIRST}$"))
    expect(page.locator(".cm-editor")).to_be_visible()
    expect(page.locator("textarea#code")).to_be_hidden()  # CodeMirror took its place

    replace_code(page, WRONG)
    page.locator(SUBMIT).click()
    results = page.locator("#results")
    expect(results.locator("table.results-table")).to_be_visible()
    expect(results.locator(".result-not-yet")).to_contain_text("0")
    expect(results).to_contain_text("Programul a afișat altceva decât se aștepta.")
    expect(results).to_contain_text("Prima diferență: rândul 1, coloana")
    expect(results).to_contain_text("Un test ascuns nu a trecut.")
    expect(results.locator("pre.visible").first).to_be_visible()
    expect(results.locator(".stars")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "exercise_wrong.png"), full_page=True)

    replace_code(page, RIGHT)
    page.locator(SUBMIT).click()
    expect(results.locator(".result-ok")).to_be_visible()
    stars = results.locator(".stars")
    expect(stars).to_be_visible()
    expect(stars).to_contain_text("★★★")  # first fix, no hint: three stars
    expect(results.locator("a.big-button[href*='/exercitii/']")).to_be_visible()
    page.screenshot(path=str(tmp_path / "exercise_solved.png"), full_page=True)

    # The home page shows the stars too.
    page.goto(f"{live_server.url}/acasa")
    expect(page.locator("main")).to_contain_text("★")


def test_double_click_on_submit_is_recorded_once(live_server, page):
    from codekids import db
    from codekids.learning.models import Submission

    child = demo_child(live_server, "Andrei")
    log_in_child(page, live_server, "Andrei")
    open_exercise(page, live_server)
    replace_code(page, WRONG)
    submit = page.locator(SUBMIT)
    submit.dblclick()
    expect(page.locator("#results table.results-table")).to_be_visible()
    expect(submit).to_be_enabled()
    with live_server.app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.child_id == child.id, Submission.kind == "submit")
        )
    assert count == 1


def test_run_shows_output_and_marks_the_error_line(live_server, page):
    log_in_child(page, live_server, "Bianca")
    open_exercise(page, live_server)
    replace_code(page, 'print("unu")\nprint(doi)\n')
    page.locator(RUN).click()
    results = page.locator("#results")
    expect(results).to_contain_text("unu")
    expect(results.locator(".explanation")).to_contain_text("2")
    error_line = page.locator(".cm-editor .cm-ck-error-line")
    expect(error_line).to_have_count(1)
    expect(error_line).to_contain_text("print(doi)")


def test_turtle_drawing_is_animated_stroke_by_stroke(live_server, page):
    log_in_child(page, live_server, "Bianca")
    open_exercise(page, live_server)
    replace_code(page, TURTLE_LINE)
    page.locator(RUN).click()
    svg = page.locator("#turtle svg")
    expect(svg).to_be_visible()
    # While the pen moves, fewer lines than segments are finished; at the end both are there.
    expect(svg.locator("line")).to_have_count(2, timeout=10_000)
    expect(svg.locator("circle.turtle-pen")).to_have_count(0, timeout=10_000)
    box = svg.bounding_box()
    assert box and box["width"] > 50


def test_hint_ladder_one_at_a_time(live_server, page):
    log_in_child(page, live_server, "Ioana")
    open_exercise(page, live_server)
    hint = page.locator(HINT)
    hint.click()
    expect(page.locator("#hints ol.hint-list li")).to_have_count(1)
    expect(page.locator("#hints ol.hint-list li").first).to_contain_text("ghilimele")
    hint.click()
    expect(page.locator("#hints ol.hint-list li")).to_have_count(2)


def test_draft_is_saved_while_typing_and_restored(live_server, page):
    log_in_child(page, live_server, "Mihai")
    open_exercise(page, live_server)
    replace_code(page, 'print("ciornă")\n')
    expect(page.locator(".draft-status.saved")).to_be_visible(timeout=10_000)
    page.reload()
    expect(page.locator(".cm-content")).to_contain_text('print("ciornă")')


def test_larger_font_switch_is_remembered(live_server, page):
    log_in_child(page, live_server, "Mihai")
    open_exercise(page, live_server)
    size = page.locator(".cm-editor").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    switch = page.locator("button.font-switch")
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    bigger = page.locator(".cm-editor").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert bigger > size * 1.2
    page.reload()
    expect(page.locator("button.font-switch")).to_have_attribute("aria-pressed", "true")


def test_the_page_works_without_javascript(live_server, browser, tmp_path):
    context = browser.new_context(
        java_script_enabled=False, locale="ro-RO", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in_child(page, live_server, "Raluca")
        page.goto(f"{live_server.url}/exercitii/{FIRST}")
        code = page.locator("textarea#code")
        expect(code).to_be_visible()
        expect(page.locator(".cm-editor")).to_have_count(0)

        code.fill(WRONG)
        page.locator(SUBMIT).click()
        results = page.locator("#results")
        expect(results).to_contain_text("Programul a afișat altceva decât se aștepta.")

        page.locator("textarea#code").fill(RIGHT)
        page.locator(SUBMIT).click()
        expect(page.locator("#results .result-ok")).to_be_visible()
        expect(page.locator("#results .stars").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "exercise_nojs.png"), full_page=True)
    finally:
        context.close()


def test_keyboard_reaches_editor_and_buttons_and_escape_leaves(live_server, page):
    log_in_child(page, live_server, "Ștefan")
    open_exercise(page, live_server)
    help_text = page.locator("#editor-help")
    expect(help_text).to_be_visible()
    expect(help_text).to_contain_text("Esc")
    content = page.locator(".cm-content")
    expect(content).to_have_attribute("aria-describedby", "editor-help")

    def active():
        return page.evaluate(
            "() => { const a = document.activeElement;"
            " return (a.className || '') + '|' + (a.getAttribute('name') || '') + '|'"
            " + (a.getAttribute('value') || '') + '|' + (a.id || ''); }"
        )

    # Tab from the top of the page until the editor has the focus.
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if "cm-content" in active():
            break
    else:
        pytest.fail("Tab never reached the editor")

    # Tab inside the editor indents…
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    assert "cm-content" in active()
    expect(content).to_contain_text("    ")
    # …and Escape then Tab leaves it, on to the input box and the buttons.
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert "cm-content" not in active()
    seen = []
    for _ in range(8):
        seen.append(active())
        page.keyboard.press("Tab")
    assert any("|action|run|" in s for s in seen), seen
    assert any("|action|submit|" in s for s in seen), seen


@pytest.mark.parametrize(
    ("label", "viewport", "scale"),
    [
        ("1366x768", {"width": 1366, "height": 768}, 1),
        # 200% zoom on a 1366x768 screen: half as many CSS pixels, each drawn twice as big.
        ("zoom200", {"width": 683, "height": 384}, 2),
    ],
)
def test_editor_and_submit_fit_without_horizontal_scrolling(
    live_server, browser, tmp_path, label, viewport, scale
):
    context = browser.new_context(locale="ro-RO", viewport=viewport, device_scale_factor=scale)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in_child(page, live_server, "Tudor")
        open_exercise(page, live_server)
        page.screenshot(path=str(tmp_path / f"exercise_{label}.png"))
        page.screenshot(path=str(tmp_path / f"exercise_{label}_full.png"), full_page=True)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"horizontal scrolling at {label}: {widths}"
        for locator in (page.locator(".cm-editor"), page.locator(SUBMIT)):
            locator.scroll_into_view_if_needed()
            expect(locator).to_be_in_viewport()
            box = locator.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (label, box)
        page.locator(".cm-editor").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / f"exercise_{label}_editor.png"))
    finally:
        context.close()
