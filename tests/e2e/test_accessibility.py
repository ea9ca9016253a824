"""axe-core in the same Chromium run: the home page, the exercise page and the
results view have no serious or critical accessibility violations.

axe-core comes from npm (frontend/package.json) and is committed as
tests/e2e/vendor/axe.min.js (MPL-2.0), so CI needs no npm.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.child import HINT, RUN, SUBMIT, log_in_child, replace_code

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag',"
        " values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} — {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in violations
    )


@pytest.fixture
def axe_page(browser):
    # bypass_csp: axe is injected as an inline script, which a strict CSP would refuse.
    context = browser.new_context(
        locale="ro-RO", viewport={"width": 1366, "height": 768}, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_home_has_no_serious_violations(live_server, axe_page):
    log_in_child(axe_page, live_server, "Raluca")
    found = axe_violations(axe_page)
    assert not found, describe(found)


def test_exercise_page_has_no_serious_violations(live_server, axe_page):
    log_in_child(axe_page, live_server, "Raluca")
    axe_page.goto(f"{live_server.url}/exercitii/hello")
    expect(axe_page.locator(".cm-editor")).to_be_visible()
    found = axe_violations(axe_page)
    assert not found, describe(found)


def test_results_view_has_no_serious_violations(live_server, axe_page):
    log_in_child(axe_page, live_server, "Raluca")
    axe_page.goto(f"{live_server.url}/exercitii/hello")
    replace_code(axe_page, 'print("Bună!")\nprint(x)\n')
    axe_page.locator(RUN).click()
    expect(axe_page.locator("#results .explanation")).to_be_visible()
    axe_page.locator(SUBMIT).click()
    expect(axe_page.locator("#results table.results-table")).to_be_visible()
    axe_page.locator(HINT).click()
    expect(axe_page.locator("#hints ol.hint-list li")).to_have_count(1)
    found = axe_violations(axe_page)
    assert not found, describe(found)


def test_turtle_drawing_has_no_serious_violations(live_server, axe_page):
    log_in_child(axe_page, live_server, "Raluca")
    axe_page.goto(f"{live_server.url}/exercitii/hello")
    replace_code(
        axe_page, "import turtle\nturtle.forward(80)\nturtle.left(120)\nturtle.forward(80)\n"
    )
    axe_page.locator(RUN).click()
    expect(axe_page.locator("#turtle svg line")).to_have_count(2)
    found = axe_violations(axe_page)
    assert not found, describe(found)
