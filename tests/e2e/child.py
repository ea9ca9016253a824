"""Browser helpers for the child's pages: log a demo child in, as a child would."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

# The form's buttons by what they do, whatever language the page is in.
RUN = "#code-form button[name=action][value=run]"
SUBMIT = "#code-form button[name=action][value=submit]"
HINT = "#code-form button[name=action][value=hint]"


def demo_child(live_server, nickname: str):
    return next(c for c in live_server.demo.children if c.nickname == nickname)


def log_in_child(page: Page, live_server, nickname: str) -> None:
    """Club code, nickname, secret (three pictures or two words): ends on /acasa."""
    child = demo_child(live_server, nickname)
    page.goto(f"{live_server.url}/copii")
    page.fill("input[name=code]", live_server.demo.join_code.lower())
    page.locator("form:has(input[name=code]) button[type=submit]").click()
    page.get_by_role("link", name=child.nickname, exact=True).click()
    if child.kind == "pictures":
        for picture in child.secret:
            page.locator(f"button[name=add][value={picture}]").click()
            page.wait_for_load_state()
    else:
        page.fill("input[name=words]", " ".join(child.secret))
        page.locator("form:has(input[name=words]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/acasa$"))


def replace_code(page: Page, source: str) -> None:
    """Select everything in the CodeMirror editor and type `source` as keys would."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    # insert_text, not type(): the editor would auto-indent every typed newline.
    page.keyboard.insert_text(source)
