"""What a child sees when the sandbox fails twice on Submit (issue 15, point 4): "try
again in a minute" where the feedback appears, in view at 1366x768, the program still
in the editor, and nothing recorded. With JavaScript (the answer's fragment) and
without (the full page). The live server's sandbox is this process's own, so its fork
server is really killed, twice, while the program runs.

Screenshots: /tmp/shots/sandboxfail-*.png.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from codekids import db, sandbox_client
from codekids.cli import DemoChild
from codekids.learning.models import Progress, Submission
from tests.e2e.child import SUBMIT, log_in_child, replace_code
from tests.unit.learning.test_sandbox_failure import MESSAGE_RO, ServerKiller

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
EXERCISE = "hello"
# A child's program that takes a moment (the server is killed while it runs).
SLOW = 'n = 0\nfor i in range(4000000):\n    n = n + i\nprint("Bună ziua!")\n'
_names = (f"Sorin{a}{b}" for a, b in itertools.product("ABCDEFGHIJKLMNOPRSTUVZ", repeat=2))


def new_child(live_server) -> tuple[int, str]:
    """A child of the demo club who has done nothing yet: (id, nickname)."""
    from codekids.clubs import service as clubs
    from codekids.clubs.service import find_club_by_code

    nickname = next(_names)
    with live_server.app.app_context():
        club = find_club_by_code(live_server.demo.join_code)
        child = clubs.create_children(club, nickname).created[0]
        secret = clubs.card_secret(child)
        live_server.demo.children.append(DemoChild(child.id, nickname, secret.kind, secret.value))
    return child.id, nickname


def recorded(live_server, child_id: int) -> tuple[int, int]:
    with live_server.app.app_context():
        subs = db.session.scalar(
            select(func.count()).select_from(Submission).where(Submission.child_id == child_id)
        )
        progress = db.session.scalar(
            select(func.count()).select_from(Progress).where(Progress.child_id == child_id)
        )
    return subs, progress


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_child_reads_try_again_and_keeps_the_program(live_server, browser, monkeypatch, js):
    child_id, nickname = new_child(live_server)
    context = browser.new_context(
        java_script_enabled=js, locale="ro-RO", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        log_in_child(page, live_server, nickname)
        page.goto(f"{live_server.url}/exercitii/{EXERCISE}")
        if js:
            expect(page.locator(".cm-editor")).to_be_visible()
            replace_code(page, SLOW)
        else:
            page.locator("textarea#code").fill(SLOW)

        sandbox = sandbox_client.get_sandbox()
        assert sandbox.run("print(1)").stdout == "1\n"  # a live server to kill
        killer = ServerKiller(sandbox, kills=2)
        monkeypatch.setattr(sandbox, "grade", killer.grade)
        page.locator(SUBMIT).click()
        results = page.locator("#results")
        problem = results.locator("[data-error-code=sandbox_unavailable]")
        expect(problem).to_contain_text(MESSAGE_RO)
        killer.join()
        assert killer.calls == [1, 1]  # sent, lost, sent once more, lost again
        if js:
            page.wait_for_function(
                "() => document.activeElement && document.activeElement.id === 'results-h'"
            )
        page.wait_for_timeout(200)

        # Where the feedback appears, in view without scrolling.
        box = problem.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 768, box
        # The program is still in the editor, as the child wrote it.
        if js:
            expect(page.locator(".cm-content")).to_contain_text("for i in range(4000000):")
        else:
            expect(page.locator("textarea#code")).to_have_value(SLOW)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"sandboxfail-{'js' if js else 'nojs'}.png"))
        # Nothing recorded: no submission, no attempt.
        assert recorded(live_server, child_id) == (0, 0)
    finally:
        context.close()
