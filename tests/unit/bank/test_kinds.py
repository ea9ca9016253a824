"""A test kind is one module: its judge, its messages and its details macro plug in
without the grading core or the pages knowing it (issue 17, point 4).

A fake kind, registered here as a kind module would register itself, with its template
beside the site's, goes through a real submission: the child's results and the
librarian's cell detail show its details through its own macro."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader

from codekids import db
from codekids.accounts.models import User
from codekids.bank import kinds, texts
from codekids.bank.grading import render_report
from codekids.bank.kinds import TestKind, Verdict, register
from codekids.bank.models import TestCase

pytestmark = pytest.mark.usefixtures("real_sandbox")

ROOT = Path(__file__).resolve().parents[3]
CORE = [ROOT / "platform/codekids/bank/grading.py", ROOT / "templates/child/_results.html",
        ROOT / "templates/librarian/progress_cell.html"]

# What the fake kind's own macro writes, for each reader: nothing of it is in the pages.
ECHO_TEMPLATE = (
    '{% macro details(test, reader) %}<p class="echo-heard" data-reader="{{ reader }}">'
    '{{ _("Heard:") }} {{ test.details.heard }}</p>{% endmacro %}'
)




@pytest.fixture
def echo_kind(app, monkeypatch):
    """The kind "echo": the program must print "echo"; a failure shows what it heard."""
    monkeypatch.setattr(kinds, "KINDS", dict(kinds.KINDS))
    monkeypatch.setattr(texts, "KEYS", dict(texts.KEYS))

    @register
    class Echo(TestKind):
        name = "echo"
        messages = {"echo_not_heard": texts._l("The echo did not come back.")}

        def parse(self, raw, errors):
            return {}

        def judge(self, exercise, test, result):
            if result.stdout.strip() == "echo":
                return Verdict(True)
            return Verdict(False, {"heard": result.stdout.strip()}, reason="echo_not_heard")

    app.jinja_env.loader = ChoiceLoader([DictLoader({"kinds/echo.html": ECHO_TEMPLATE}),
                                         app.jinja_env.loader])
    hello = app.extensions["codekids_bank"].get("hello")
    monkeypatch.setattr(hello, "tests", [TestCase(1, "echo")])
    return hello


def _as_child(app, client, child_id):
    with app.app_context():
        user = db.session.get(User, child_id)
        ident = f"{user.id}:{user.session_version}"
    with client.session_transaction() as sess:
        sess.clear()
        sess.update({"_user_id": ident, "_fresh": True, "locale": "en"})
    return client


def test_a_new_kind_shows_its_details_through_its_own_macro_on_both_pages(
        app, client, world, login, echo_kind):
    child = _as_child(app, client, world.children[0])
    page = child.post("/exercitii/hello", data={"action": "submit", "source": 'print("ecou")\n',
                                                "client_key": "echo-kind-0001"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The echo did not come back." in html
    row = re.search(r'<tr class="test-failed".*?</tr>', html, re.S).group(0)
    assert '<p class="echo-heard" data-reader="child">Heard: ecou</p>' in row
    assert '<dl class="test-details">' in row  # inside the results' own list of details

    cell = login(world.librarian).get(f"/cluburi/copil/{world.children[0]}/exercitiu/hello")
    assert cell.status_code == 200
    html = cell.get_data(as_text=True)
    assert "The echo did not come back." in html
    assert '<p class="echo-heard" data-reader="librarian">Heard: ecou</p>' in html


def test_a_new_kinds_message_renders_from_the_stored_key(app, echo_kind):
    stored = {"locale": "en", "tests": [{"index": 1, "kind": "echo", "hidden": False,
                                         "status": "failed",
                                         "message": {"key": "grading.echo_not_heard"},
                                         "details": {"heard": "ecou"}}]}
    assert render_report(stored, "en")["tests"][0]["message"] == "The echo did not come back."


def test_a_kind_cannot_take_a_message_key_that_means_another_message(monkeypatch):
    monkeypatch.setattr(kinds, "KINDS", dict(kinds.KINDS))
    monkeypatch.setattr(texts, "KEYS", dict(texts.KEYS))

    class Clash(TestKind):
        name = "clash"
        messages = {"output_differs": texts._l("Something else entirely.")}

    with pytest.raises(ValueError, match="grading.output_differs"):
        register(Clash)
    assert "clash" not in kinds.KINDS


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_the_grading_core_and_the_pages_name_no_kind(path):
    source = path.read_text(encoding="utf-8")
    for name in kinds.KINDS:
        assert not re.search(rf"\b{name}\b", source), f"{path.name} speaks of the {name} kind"
