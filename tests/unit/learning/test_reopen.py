"""A solved exercise reopened shows the child's last passing program; "Start again"
gives the starter back and "Bring back" the passing program, which is never lost."""

from __future__ import annotations

import re
from datetime import timedelta

from codekids import db
from codekids.learning import service
from codekids.learning.models import Draft
from tests.unit.learning.conftest import HELLO, HELLO_RIGHT, HELLO_WRONG, bank, child

STARTER = 'print("Bună!")\n'


def _hello(app):
    return service.get_exercise(bank(app), HELLO)


def _submit(kid, app, source, key):
    return service.record_submission(kid, _hello(app), source, key, "en", bank=bank(app))


def test_a_passing_program_sent_by_the_script_is_what_the_editor_shows(world, ctx):
    # The page's script saves drafts while typing, but its Submit is no draft save:
    # the last draft is an older half-done program (or there is none at all).
    kid = child(world.children[0])
    service.save_draft(kid, _hello(ctx), 'print("Bună zi")\n')
    _submit(kid, ctx, HELLO_RIGHT, "reopen-key-01")
    assert service.code_for(kid, _hello(ctx)) == HELLO_RIGHT


def test_with_no_draft_the_passing_program_beats_the_starter(world, ctx):
    kid = child(world.children[0])
    assert service.code_for(kid, _hello(ctx)) == STARTER
    _submit(kid, ctx, HELLO_RIGHT, "reopen-key-02")
    assert service.code_for(kid, _hello(ctx)) == HELLO_RIGHT


def test_a_draft_written_after_the_solve_is_shown(world, ctx):
    kid = child(world.children[0])
    passing = _submit(kid, ctx, HELLO_RIGHT, "reopen-key-03").submission
    draft = service.save_draft(kid, _hello(ctx), 'print("Bună ziua!")\nprint("încă")\n')
    draft.updated_at = passing.created_at + timedelta(seconds=1)
    db.session.commit()
    assert service.code_for(kid, _hello(ctx)) == 'print("Bună ziua!")\nprint("încă")\n'


def test_a_failed_program_alone_does_not_replace_the_draft(world, ctx):
    kid = child(world.children[0])
    service.save_draft(kid, _hello(ctx), 'print("Bună")\n')
    _submit(kid, ctx, HELLO_WRONG, "reopen-key-04")
    assert service.code_for(kid, _hello(ctx)) == 'print("Bună")\n'


def test_another_childs_solution_is_never_shown(world, ctx):
    _submit(child(world.children[1]), ctx, HELLO_RIGHT, "reopen-key-05")
    assert service.code_for(child(world.children[0]), _hello(ctx)) == STARTER


def test_restart_gives_the_starter_and_keeps_the_solution(world, ctx):
    kid = child(world.children[0])
    _submit(kid, ctx, HELLO_RIGHT, "reopen-key-06")
    assert service.restart(kid, _hello(ctx)) == STARTER
    assert service.code_for(kid, _hello(ctx)) == STARTER
    assert service.last_passing_submission(kid, HELLO).source == HELLO_RIGHT
    assert service.restore_solution(kid, _hello(ctx)) == HELLO_RIGHT
    assert service.code_for(kid, _hello(ctx)) == HELLO_RIGHT


# ---- the page, without JavaScript --------------------------------------------------------


def _page(client) -> str:
    return client.get(f"/exercitii/{HELLO}").get_data(as_text=True)


def test_the_reopened_page_shows_the_passing_program_and_a_way_to_start_again(
        app, world, child_client):
    with app.app_context():
        _submit(child(world.children[0]), app, 'print("Bună ziua!")  # gata\n', "reopen-key-07")
    html = _page(child_client)
    assert "# gata" in html
    assert 'name="action" value="restart"' in html
    assert "Your program that passed stays saved." in html
    # Its post reopens the page at the program, not at an empty results area (#results).
    assert re.search(r'value="restart" [^>]*formaction="/exercitii/[^"#]+#code-form"', html)


def test_restart_and_bring_back_through_the_form(app, world, child_client):
    with app.app_context():
        _submit(child(world.children[0]), app, 'print("Bună ziua!")  # gata\n', "reopen-key-08")
    html = child_client.post(f"/exercitii/{HELLO}", data={"action": "restart"}).get_data(
        as_text=True)
    assert "# gata" not in html and "print(&#34;Bună!&#34;)" in html
    assert 'name="action" value="restore"' in html and 'value="restart"' not in html
    assert "# gata" not in _page(child_client)  # the restart is kept
    with app.app_context():
        assert db.session.query(Draft).one().source == STARTER
    back = child_client.post(f"/exercitii/{HELLO}", data={"action": "restore"}).get_data(
        as_text=True)
    assert "# gata" in back and "# gata" in _page(child_client)


def test_a_fresh_exercise_offers_no_restart(child_client):
    html = _page(child_client)
    assert 'value="restart"' not in html and 'value="restore"' not in html


def test_restore_without_a_solution_changes_nothing(app, world, child_client):
    with app.app_context():
        service.save_draft(child(world.children[0]), _hello(app), 'print("al meu")\n')
    html = child_client.post(f"/exercitii/{HELLO}", data={"action": "restore"}).get_data(
        as_text=True)
    assert "al meu" in html
