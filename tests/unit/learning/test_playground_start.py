"""The playground opens ready to type: an editor with Run at once; the program is
named only when it is saved; runs before saving work and count lines."""

from __future__ import annotations

import re

from sqlalchemy import select

from codekids import db
from codekids.learning.models import PLAYGROUND, Project, Submission


def _name_value(html: str) -> str:
    return re.search(r'<input id="project-name" name="name"[^>]*value="([^"]*)"', html).group(1)


def test_the_playground_has_an_editor_and_run_at_once(child_client):
    html = child_client.get("/joaca").get_data(as_text=True)
    form = html.split('<form id="code-form" method="post" action="/joaca#results">', 1)[1]
    form = form.split("</form>", 1)[0]
    assert '<textarea id="code" name="source"' in form
    assert '<textarea id="stdin" name="stdin"' in form
    assert 'name="action" value="run"' in form and 'name="action" value="save"' in form
    assert _name_value(html) == "My project 1"
    assert "You have no projects yet." in html


def test_a_run_before_saving_works_and_counts_lines(app, world, child_client):
    resp = child_client.post("/joaca", data={
        "action": "run", "source": 'n = input()\nprint("Salut,", n)\n', "stdin": "Ioana",
        "name": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Salut, Ioana" in html
    assert "+2 lines of code for you!" in html
    assert 'print(&#34;Salut,&#34;, n)' in html  # the program stays in the editor
    assert _name_value(html) == "My project 1"
    with app.app_context():
        sub = db.session.scalar(select(Submission))
        assert (sub.kind, sub.project_id, sub.solved) == (PLAYGROUND, None, True)
        assert db.session.scalar(select(Project)) is None


def test_an_error_in_a_run_before_saving_is_explained(child_client):
    html = child_client.post("/joaca", data={
        "action": "run", "source": "print(1)\nprint(nume)\n"}).get_data(as_text=True)
    assert 'data-error-line="2"' in html


def test_save_names_the_program_and_opens_the_project(app, world, child_client):
    resp = child_client.post("/joaca", data={
        "action": "save", "name": "Casa mea", "source": "print('acoperiș')\n"})
    assert resp.status_code == 303
    with app.app_context():
        project = db.session.scalar(select(Project))
        assert (project.name, project.source) == ("Casa mea", "print('acoperiș')\n")
    assert resp.headers["Location"].endswith(f"/joaca/{project.id}")
    again = child_client.get("/joaca").get_data(as_text=True)
    assert "Casa mea" in again and _name_value(again) == "My project 2"


def test_the_default_name_skips_one_already_taken(app, world, child_client):
    child_client.post("/joaca", data={"action": "save", "name": "My project 2", "source": ""})
    assert _name_value(child_client.get("/joaca").get_data(as_text=True)) == "My project 3"


def test_a_refused_save_keeps_the_program(app, world, child_client):
    child_client.post("/joaca", data={"action": "save", "name": "Joc", "source": ""})
    resp = child_client.post("/joaca", data={"action": "save", "name": "Joc",
                                             "source": "print('al doilea')\n"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "You already have a project with this name" in html
    assert "print(&#39;al doilea&#39;)" in html and _name_value(html) == "Joc"


def test_the_default_name_is_in_the_childs_language(world, login_as):
    client = login_as(world.children[0], locale="ro")
    assert _name_value(client.get("/joaca").get_data(as_text=True)) == "Proiectul meu 1"


def test_the_pages_script_gets_only_the_answer(child_client):
    resp = child_client.post("/joaca", data={"action": "run", "source": "print(2 + 3)\n"},
                             headers={"X-CodeKids-Fragment": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<html" not in html and 'id="results"' in html and "5" in html


def test_a_run_with_the_answers_box_empty_says_so(child_client):
    program = "nume = input()\nvarsta = input()\nprint(nume, varsta)\n"
    empty = child_client.post("/joaca", data={"action": "run", "source": program, "stdin": "",
                                              "name": ""}).get_data(as_text=True)
    assert "the box under the program, for the answers it reads, is empty" in empty
    short = child_client.post("/joaca", data={"action": "run", "source": program,
                                              "stdin": "Ioana", "name": ""}).get_data(as_text=True)
    assert "more answers than there are lines in the box under it" in short
    assert "input() on line 2" in short
