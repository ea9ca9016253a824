"""The child's pages without JavaScript: every action is a full-page form post."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.learning.models import Assignment, Draft, HintUse, Progress, Project, Submission
from tests.unit.learning.conftest import HELLO, HELLO_RIGHT, HELLO_WRONG, TURTLE_SQUARE


def _count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query)


def _client_key(html: str) -> str:
    return re.search(r'name="client_key" value="([^"]+)"', html).group(1)


def _post(client, action, source, *, key="nojs-key-0001", stdin="", exercise=HELLO):
    return client.post(f"/exercitii/{exercise}", data={
        "action": action, "source": source, "stdin": stdin, "client_key": key})


# ---- home and sets ------------------------------------------------------------------------


def test_home_shows_assigned_sets_first_and_every_set(app, world, child_client):
    with app.app_context():
        db.session.add(Assignment(club_id=world.club, set_id="loops"))
        db.session.commit()
    html = child_client.get("/acasa").get_data(as_text=True)
    assert "From your librarian" in html
    assert html.index("From your librarian") < html.index("All exercises")
    assigned = html[html.index("From your librarian"):html.index("All exercises")]
    assert "/seturi/loops" in assigned and "/seturi/first-steps" not in assigned
    assert "/seturi/first-steps" in html and "/exercitii/hello" in html
    assert 'id="my-lines"' in html


def test_home_shows_stars_and_set_progress(app, world, child_client):
    _post(child_client, "submit", HELLO_RIGHT)
    html = child_client.get("/acasa").get_data(as_text=True)
    assert "3 stars of 3" in html
    assert "1 of 7 solved" in html


def test_a_set_page_lists_its_exercises(child_client):
    resp = child_client.get("/seturi/first-steps")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.index("/exercitii/hello") < html.index("/exercitii/two-lines")


def test_an_unknown_set_is_not_found(child_client):
    assert child_client.get("/seturi/no-such-set").status_code == 404


# ---- the exercise page --------------------------------------------------------------------


def test_the_exercise_page_is_a_working_form_without_javascript(child_client):
    resp = child_client.get("/exercitii/hello")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<form id="code-form" method="post" action="/exercitii/hello#results">' in html
    assert 'name="csrf_token"' in html and 'name="client_key"' in html
    assert '<textarea id="code" name="source"' in html and 'print(&#34;Bună!&#34;)' in html
    assert 'id="stdin"' not in html  # hello reads no input: no input box (test_input_box.py)
    for action in ("run", "submit", "hint"):
        assert f'name="action" value="{action}"' in html
    assert 'id="results" aria-live="polite"' in html and 'id="hints"' in html
    assert 'id="turtle"' in html
    # The script posts this same form (X-CodeKids-Fragment): the page names no run/submit API.
    assert "data-api-submit" not in html and 'data-api-draft="/api/v1/exercises/hello/draft"' in html
    assert 'data-max-bytes="65536"' in html
    assert '<meta name="csrf-token"' in html
    assert '<script type="application/json" id="i18n">' in html
    # The statement is Markdown, rendered.
    assert "<strong>write something on the screen</strong>" in html


def test_each_render_has_a_fresh_client_key(child_client):
    first = _client_key(child_client.get("/exercitii/hello").get_data(as_text=True))
    second = _client_key(child_client.get("/exercitii/hello").get_data(as_text=True))
    assert first != second and len(first) >= 16


def test_a_wrong_submission_shows_the_visible_test_details(app, world, child_client):
    resp = _post(child_client, "submit", HELLO_WRONG)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "0 of 2 tests passed" in html
    assert '<table class="results results-table compact">' in html
    # Expected and actual with their whitespace visible, the first difference marked.
    assert "Bună ziua!↵" in html and "Buna ziua↵" in html
    assert "First difference: line 1, column 4." in html
    assert "Bun<mark>ă</mark> ziua!</code>" in html and "Bun<mark>a</mark> ziua</code>" in html
    # The hidden test says only that it did not pass.
    assert "A hidden test did not pass." in html
    hidden_row = html[html.index("hidden-test"):]
    hidden_row = hidden_row[:hidden_row.index("</tr>")]
    assert "ziua" not in hidden_row
    # The child's code stays in the editor, and is their draft now.
    assert "Buna ziua" in html[html.index('<textarea id="code"'):]
    with app.app_context():
        assert db.session.scalar(select(Draft.source)) == HELLO_WRONG


def test_an_error_is_explained_at_its_line(child_client):
    html = _post(child_client, "submit", 'print("Bună ziua!"\n').get_data(as_text=True)
    assert 'data-error-line="1"' in html
    assert "Line 1" in html


def test_a_right_submission_shows_stars_and_the_next_exercise(app, world, child_client):
    html = _post(child_client, "submit", HELLO_RIGHT).get_data(as_text=True)
    assert "Well done! Every test passed." in html
    assert "3 stars of 3" in html
    assert 'href="/exercitii/two-lines"' in html and "Next exercise:" in html
    with app.app_context():
        progress = db.session.scalar(select(Progress))
        assert (progress.solved, progress.stars) == (True, 3)


def test_a_double_click_on_submit_is_recorded_once(app, world, child_client):
    first = _post(child_client, "submit", HELLO_WRONG, key="same-key-0001")
    again = _post(child_client, "submit", HELLO_WRONG, key="same-key-0001")
    assert first.status_code == again.status_code == 200
    assert "You already sent this program" in again.get_data(as_text=True)
    assert _count(app, Submission) == 1
    with app.app_context():
        assert db.session.scalar(select(Progress.attempts)) == 1


def test_run_shows_the_output_for_the_childs_input(app, child_client):
    resp = _post(child_client, "run", 'n = input()\nprint("Salut,", n)', stdin="Ioana",
                 exercise="hello-input")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Salut, Ioana" in html and "What your program did" in html
    assert _count(app, Submission, kind="run") == 1
    assert _count(app, Progress) == 0


def test_a_turtle_run_is_drawn_as_static_svg_with_its_segments(child_client):
    html = _post(child_client, "run", TURTLE_SQUARE, exercise="turtle-square").get_data(
        as_text=True)
    turtle = html[html.index('id="turtle"'):]
    assert "<svg" in turtle and turtle.count("<line ") == 4
    # The drawing is the server's SVG only: no second copy of the segments for a script.
    assert "data-segments" not in html


def test_hints_come_one_at_a_time_and_are_recorded(app, world, child_client):
    first = _post(child_client, "hint", HELLO_WRONG).get_data(as_text=True)
    assert "Look only at the text between the quotes" in first
    assert "Keep the word" not in first
    assert "Show a hint (2 left)" in first
    second = _post(child_client, "hint", HELLO_WRONG).get_data(as_text=True)
    assert "Keep the word" in second
    assert _count(app, HintUse) == 2
    # Still there on the next visit, on any PC.
    assert "Keep the word" in child_client.get("/exercitii/hello").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Progress.hints_used)) == 2


def test_the_draft_is_restored_on_the_next_visit(child_client):
    _post(child_client, "run", "print('my own work')")
    html = child_client.get("/exercitii/hello").get_data(as_text=True)
    assert "print(&#39;my own work&#39;)" in html


def test_a_statement_cannot_inject_html(app, child_client):
    exercise = app.extensions["codekids_bank"].get(HELLO)
    exercise.statement["en"] = "Hi <script>alert('x')</script> [x](javascript:alert(1))"
    html = child_client.get("/exercitii/hello").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert 'href="javascript:' not in html


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "status", "words"), [
    ("", 400, "Your program is empty"),
    ("   \n", 400, "Your program is empty"),
    ("x = 1\n" * 180_000, 413, "Your program is too long"),
    ("print(1)\x7f", 400, "characters in it that are not text"),
])
def test_bad_submissions_get_a_clear_answer_and_record_nothing(app, world, child_client, source,
                                                                status, words):
    resp = _post(child_client, "submit", source)
    assert resp.status_code == status
    html = resp.get_data(as_text=True)
    assert words in html and 'role="alert"' in html
    assert _count(app, Submission) == 0 and _count(app, Progress) == 0


@pytest.mark.parametrize("source", ["print(1)\x00\x00", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_nul_in_a_program_is_refused_at_the_edge_and_records_nothing(app, world, child_client,
                                                                     source):
    # NUL never reaches a view (bad_input.check_request): the answer is the error page,
    # in the same words, with a way back to the exercise.
    resp = child_client.post("/exercitii/hello", data={"action": "submit", "source": source,
                                                      "client_key": "nul-key-00001"},
                             headers={"Referer": "http://localhost/exercitii/hello"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "characters in it that are not text" in html
    assert 'href="/exercitii/hello"' in html
    assert _count(app, Submission) == 0 and _count(app, Progress) == 0


def test_invalid_utf8_in_a_form_post_is_refused(app, world, child_client):
    body = (b"action=submit&client_key=utf8-key-0001&source=print%28%22"
            b"\xff\xfe%C3%28%22%29")
    resp = child_client.post("/exercitii/hello", data=body,
                             content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400
    # Werkzeug leaves out a field that is not UTF-8: the page did not send a program.
    assert 'role="alert"' in resp.get_data(as_text=True)
    assert _count(app, Submission) == 0 and _count(app, Draft) == 0


def test_a_1mb_paste_does_not_come_back_into_the_page(child_client):
    resp = _post(child_client, "submit", "a" * (1024 * 1024))
    assert resp.status_code == 413
    assert len(resp.get_data()) < 200_000
    assert "print(&#34;Bună!&#34;)" in resp.get_data(as_text=True)  # the starter, not the paste


def test_an_unknown_action_is_a_bad_request(app, child_client):
    resp = _post(child_client, "delete-everything", HELLO_RIGHT)
    assert resp.status_code == 400
    assert _count(app, Submission) == 0


def test_an_exercise_that_does_not_exist_is_not_found(app, child_client):
    assert child_client.get("/exercitii/no-such-exercise").status_code == 404
    resp = _post(child_client, "submit", HELLO_RIGHT, exercise="no-such-exercise")
    assert resp.status_code == 404
    assert "We could not find this page." in resp.get_data(as_text=True)
    assert _count(app, Submission) == 0


def test_the_answer_is_in_the_childs_language(app, world, login_as):
    client = login_as(world.children[0], locale="ro")
    html = _post(client, "submit", "").get_data(as_text=True)
    assert "Programul tău este gol." in html


# ---- playground and projects --------------------------------------------------------------


def test_a_new_project_opens_and_reopens(app, world, child_client):
    resp = child_client.post("/joaca", data={"name": "Casa mea"})
    assert resp.status_code == 303
    url = resp.headers["Location"]
    with app.app_context():
        project = db.session.scalar(select(Project))
    assert url.endswith(f"/joaca/{project.id}")
    html = child_client.post(url, data={"action": "save", "name": "Casa mea",
                                        "source": "print('acoperiș')"}).get_data(as_text=True)
    assert "Your project is saved." in html
    listing = child_client.get("/joaca").get_data(as_text=True)
    assert "Casa mea" in listing and f"/joaca/{project.id}" in listing
    reopened = child_client.get(url).get_data(as_text=True)
    assert "print(&#39;acoperiș&#39;)" in reopened
    assert 'data-api-project="/api/v1/projects/' in reopened


def test_a_project_run_draws_and_keeps_the_code(app, world, child_client):
    child_client.post("/joaca", data={"name": "Pătrat"})
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
    html = child_client.post(f"/joaca/{project_id}", data={
        "action": "run", "name": "Pătrat", "source": TURTLE_SQUARE}).get_data(as_text=True)
    assert html[html.index('id="turtle"'):].count("<line ") == 4
    with app.app_context():
        assert db.session.get(Project, project_id).source == TURTLE_SQUARE
    assert _count(app, Submission, kind="playground") == 1


def test_two_projects_cannot_share_a_name(app, world, child_client):
    child_client.post("/joaca", data={"name": "Joc"})
    resp = child_client.post("/joaca", data={"name": "Joc"})
    assert resp.status_code == 409
    assert "You already have a project with this name" in resp.get_data(as_text=True)
    assert _count(app, Project) == 1


def test_a_project_needs_a_name(app, child_client):
    resp = child_client.post("/joaca", data={"name": "   "})
    assert resp.status_code == 400
    assert _count(app, Project) == 0


def test_an_error_in_a_project_run_is_explained(app, world, child_client):
    child_client.post("/joaca", data={"name": "Greșeli"})
    with app.app_context():
        project_id = db.session.scalar(select(Project.id))
    html = child_client.post(f"/joaca/{project_id}", data={
        "action": "run", "source": "print(1)\nprint(nume)\n"}).get_data(as_text=True)
    assert 'data-error-line="2"' in html


def test_the_scripts_texts_come_translated_from_the_page(world, login_as):
    import json

    client = login_as(world.children[0], locale="ro")
    html = client.get("/exercitii/hello").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="i18n">(.*?)</script>', html, re.S)
    texts = json.loads(block.group(1))
    assert texts["running"] == "Rulează…"
    assert texts["network_error"] != "The server did not answer. Check the connection and try again."
    # Only what must live in the browser: no text of the results (the templates render those).
    assert set(texts) == {"running", "checking", "saving", "saved", "save_failed", "font_larger",
                          "font_smaller", "network_error"}


def test_a_run_of_print_alone_shows_a_warning_in_romanian(app, world, login_as):
    client = login_as(world.children[0], locale="ro")
    html = _post(client, "run", 'print("Salut")\nprint\n').get_data(as_text=True)
    warning = re.search(r'<li class="warning" data-line="(\d+)">(.*?)</li>', html, re.S)
    assert warning is not None and warning.group(1) == "2"
    assert "print are nevoie de paranteze ca să facă ceva: print(...)" in warning.group(2)
    assert "Rândul 2" in warning.group(2)
    assert "Merită să te uiți aici" in html
    # A run that works without such a mistake shows no warnings at all.
    clean = _post(client, "run", 'print("Salut")\n').get_data(as_text=True)
    assert 'class="warnings"' not in clean


# ---- the fragments the page's script asks for (X-CodeKids-Fragment) ----------------------

FRAGMENT = {"X-CodeKids-Fragment": "1"}


def _fragment_post(client, action, source, *, key="frag-key-0001", exercise=HELLO, headers=None):
    return client.post(f"/exercitii/{exercise}", headers=headers or FRAGMENT, data={
        "action": action, "source": source, "stdin": "", "client_key": key})


def _results_section(html: str) -> str:
    start = html.index('<section id="results"')
    return html[start:html.index("</section>", start)]


def test_a_fragment_submit_answers_the_results_the_full_page_shows(app, world, login_as):
    client = login_as(world.children[0])
    frag = _fragment_post(client, "submit", HELLO_WRONG, key="frag-wrong-001")
    html = frag.get_data(as_text=True)
    assert frag.status_code == 200 and frag.headers["X-CodeKids-Fragment"] == "1"
    assert "X-CodeKids-Fragment" in frag.headers["Vary"]
    assert "<html" not in html and "<form" not in html and 'id="code"' not in html
    assert 'id="results"' in html and 'id="turtle"' in html and 'id="hints"' in html
    assert "0 of 2 tests passed" in html and "Bun<mark>ă</mark> ziua!" in html
    # The same program by the plain form: the same results section, word for word.
    full = _post(login_as(world.children[1]), "submit", HELLO_WRONG, key="full-wrong-001")
    assert "X-CodeKids-Fragment" not in full.headers
    assert _results_section(full.get_data(as_text=True)) == _results_section(html)
    assert _count(app, Submission, kind="submit") == 2


def test_a_fragment_solve_says_why_three_stars_and_the_lines_earned(app, world, login_as):
    client = login_as(world.children[0])
    html = _fragment_post(client, "submit", HELLO_RIGHT).get_data(as_text=True)
    assert "Well done! Every test passed." in html
    assert "3 stars: no hints, right the first time!" in html
    assert "+1 line of code for you!" in html and "Now you have 1 line of code in all." in html
    assert html.index("Well done!") < html.index("<table")  # the verdict before the table
    assert "/exercitii/two-lines" in html  # the next exercise, as a big button
    assert 'id="next-link"' not in html  # …so the page's small link goes


def test_stars_after_a_hint_say_so_and_how_three_are_earned(app, world, login_as):
    client = login_as(world.children[0])
    _fragment_post(client, "hint", HELLO_WRONG)
    html = _fragment_post(client, "submit", HELLO_RIGHT).get_data(as_text=True)
    assert "2 stars: you used 1 hint." in html
    assert "3 stars go to a program solved without hints in at most 3 tries." in html
    again = _fragment_post(client, "submit", HELLO_RIGHT + "\n", key="frag-key-0002")
    assert "You earned these stars the first time you solved this exercise." in again.get_data(
        as_text=True)


def test_a_fragment_hint_is_the_hint_list_rendered_from_markdown(app, world, login_as):
    client = login_as(world.children[0])
    html = _fragment_post(client, "hint", HELLO_WRONG).get_data(as_text=True)
    new = re.search(r'<li data-level="1" class="new" tabindex="-1">(.*?)</li>', html, re.S)
    assert new is not None
    assert "<code>Bună!</code>" in new.group(1) and "`" not in new.group(1)
    assert 'id="hint-button"' in html and "Show a hint (2 left)" in html
    _fragment_post(client, "hint", HELLO_WRONG)
    last = _fragment_post(client, "hint", HELLO_WRONG).get_data(as_text=True)
    assert 'id="hint-button"' not in last  # every hint shown: the button goes


def test_a_fragment_run_carries_the_error_line_and_the_turtle_svg(app, world, login_as):
    client = login_as(world.children[0])
    html = _fragment_post(client, "run", "print(1)\nprint(nume)\n").get_data(as_text=True)
    assert re.search(r'<section id="results"[^>]*data-error-line="2"', html)
    drawn = _fragment_post(client, "run", TURTLE_SQUARE, exercise="turtle-square").get_data(
        as_text=True)
    turtle = drawn[drawn.index('id="turtle"'):]
    assert "<svg" in turtle and turtle.count("<line ") == 4 and "draw-again" in turtle


def test_a_refused_fragment_post_shows_the_reason_in_the_results(app, world, login_as):
    client = login_as(world.children[0])
    resp = _fragment_post(client, "submit", "   \n")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and resp.headers["X-CodeKids-Fragment"] == "1"
    assert 'data-error-code="empty_source"' in _results_section(html)


def test_a_project_run_answers_a_fragment_too(app, world, login_as):
    client = login_as(world.children[0])
    created = client.post("/joaca", data={"name": "Al meu", "action": "save", "source": ""})
    project_url = created.headers["Location"]
    resp = client.post(project_url, headers=FRAGMENT, data={"action": "run", "source": "print(7)"})
    html = resp.get_data(as_text=True)
    assert resp.headers["X-CodeKids-Fragment"] == "1" and "<form" not in html
    assert '<pre class="output ws">7\n</pre>' in html


def test_finishing_a_set_is_celebrated_once(app, world, login_as):
    from codekids.learning.models import Progress as P

    first = app.extensions["codekids_bank"].get_set("first-steps")
    client = login_as(world.children[0])
    with app.app_context():
        for ex in first.exercises[:-1]:
            db.session.add(P(child_id=world.children[0], exercise_id=ex.id, attempts=1,
                             failed_streak=0, solved=True, stars=3, hints_used=0))
        db.session.commit()
    last = first.exercises[-1]
    html = _fragment_post(client, "submit", last.solution, exercise=last.id).get_data(
        as_text=True)
    assert 'class="celebration"' in html and "You finished the whole set" in html
    again = _fragment_post(client, "submit", last.solution + "\n", exercise=last.id,
                           key="frag-key-0002").get_data(as_text=True)
    assert 'class="celebration"' not in again


def test_a_fragment_is_for_children_only(app, world, client, auth):
    auth.staff(world.librarian)
    resp = _fragment_post(client, "submit", HELLO_RIGHT)
    assert resp.headers.get("X-CodeKids-Fragment") is None
    assert resp.status_code in (302, 303, 403)
    assert _count(app, Submission) == 0
    auth.logout()
    anonymous = _fragment_post(client, "run", "print(1)")
    assert anonymous.headers.get("X-CodeKids-Fragment") is None
    assert anonymous.status_code in (302, 303, 401, 403)


class TestFragmentCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_a_fragment_post_needs_the_csrf_token(self, app, world, login_as):
        client = login_as(world.children[0])
        page = client.get("/exercitii/hello").get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        refused = _fragment_post(client, "submit", HELLO_RIGHT)
        assert refused.status_code == 400
        assert refused.headers.get("X-CodeKids-Fragment") is None
        assert _count(app, Submission) == 0
        ok = _fragment_post(client, "submit", HELLO_RIGHT,
                            headers={**FRAGMENT, "X-CSRFToken": token})
        assert ok.status_code == 200 and "Well done!" in ok.get_data(as_text=True)
        assert _count(app, Submission) == 1


def test_the_whitespace_legend_only_where_a_difference_is_about_spaces(app, world, login_as):
    client = login_as(world.children[0])
    legend = "↵ is where a line ends"
    letters = _fragment_post(client, "submit", HELLO_WRONG).get_data(as_text=True)
    assert "First difference" in letters and legend not in letters
    spaces = _fragment_post(client, "submit", 'print("Bună  ziua!")\n',
                            key="frag-key-0002").get_data(as_text=True)
    assert "First difference: line 1, column 6." in spaces and legend in spaces


def test_the_result_page_reads_in_the_childs_language_and_the_report_stores_none(
        app, world, login_as):
    client = login_as(world.children[0], locale="hu")
    html = client.post("/exercitii/hello", data={
        "action": "submit", "source": 'pritn("Bună ziua!")\n', "client_key": "lang-page-001",
    }).get_data(as_text=True)
    assert ("Ezt írtad: pritn, de a Python ezt ismeri: print. A Python nagyon pontos: minden "
            "betű számít, és a kis- meg a nagybetű sem ugyanaz.") in html
    assert "Egy rejtett teszt nem sikerült." in html
    assert '<p class="where"><strong>1. sor</strong></p>' in html
    with app.app_context():
        report = db.session.scalar(select(Submission.report))
    # What is stored is keys and the child's own words, in no language.
    assert report["locale"] == "hu"
    assert report["explanation"]["message"] == {
        "key": "explanation.misspelt_builtin.default",
        "params": {"name": "pritn", "suggestion": "print"}}
    assert [t["message"] for t in report["tests"]] == [{"key": "grading.error"},
                                                       {"key": "grading.hidden"}]
    assert "Ezt írtad" not in str(report) and "Python" not in str(report["tests"])


def test_the_same_submission_read_again_in_another_language_reads_in_that_one(
        world, login_as):
    payload = {"source": HELLO_WRONG, "client_key": "lang-api-0001"}
    client = login_as(world.children[0], locale="en")
    first = client.post("/api/v1/exercises/hello/submit", json=payload).get_json()
    assert first["tests"][0]["message"] == (
        "The program printed something different from what was expected.")
    assert first["tests"][0]["details"]["difference_text"] == (
        "First difference: line 1, column 4.")
    client = login_as(world.children[0], locale="ro")
    again = client.post("/api/v1/exercises/hello/submit", json=payload).get_json()
    assert again["duplicate"] is True and again["locale"] == "en"
    assert again["tests"][0]["message"] == "Programul a afișat altceva decât se aștepta."
    assert again["tests"][1]["message"] == "Un test ascuns nu a trecut."
    assert again["tests"][0]["details"]["difference_text"].startswith("Prima diferență")
