"""A child logs in with the picture secret in a real browser and lands on their home page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_child_logs_in_with_three_pictures(live_server, page, tmp_path):
    child = next(c for c in live_server.demo.children if c.nickname == "Ana")
    assert child.kind == "pictures" and len(child.secret) == 3

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/copii$"))
    page.screenshot(path=str(tmp_path / "child_login.png"), full_page=True)

    page.fill("input[name=code]", live_server.demo.join_code.lower())  # children type lower case
    page.locator("form:has(input[name=code]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/copii/{live_server.demo.join_code}$"))

    page.get_by_role("link", name=child.nickname, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/copii/{live_server.demo.join_code}/{child.id}$"))
    page.screenshot(path=str(tmp_path / "child_secret.png"), full_page=True)

    for picture in child.secret:
        page.locator(f"button[name=add][value={picture}]").click()
        page.wait_for_load_state()

    expect(page).to_have_url(re.compile(r"/acasa$"))
    expect(page.locator("h1")).to_contain_text(child.nickname)
    page.screenshot(path=str(tmp_path / "child_home.png"), full_page=True)
