"""The librarian's progress pages through real requests: grid, cell, submission by id,
who needs help (page and fragment), common errors, and who may open them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from codekids import db
from codekids.accounts.models import User
from codekids.db import utcnow
from codekids.learning import service as learning
from codekids.learning.models import Progress

pytestmark = pytest.mark.usefixtures("real_sandbox")

HELLO_RIGHT = 'print("Bună ziua!")\n'
HELLO_MISSPELT = 'pritn("Bună ziua!")\n'




def _submit(app, child_id, source, key, locale="ro"):
    with app.test_request_context():
        bank = app.extensions["codekids_bank"]
        child = db.session.get(User, child_id)
        return learning.record_submission(child, bank.get("hello"), source, key, locale
                                          ).submission.id


@pytest.fixture
def stuck_and_solved(app, world):
    """Ana stuck on `hello` (3 misspelt tries, graded in Romanian), Mihai solved it."""
    ids = [_submit(app, world.children[0], HELLO_MISSPELT, f"view-stuck-{i:03}")
           for i in range(3)]
    ids.append(_submit(app, world.children[1], HELLO_RIGHT, "view-solved-01"))
    return ids


def test_grid_shows_lights_with_words_and_links_to_cells(world, login, stuck_and_solved):
    page = login(world.librarian).get(f"/cluburi/{world.club}/progres/first-steps")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    cells = re.findall(r'<td class="cell cell-(\w+)" data-state="\w+">', html)
    assert cells.count("stuck") == 1 and cells.count("solved") == 1
    assert cells.count("not_started") == len(cells) - 2
    # Words, not only colour: each cell has its shape-coded icon, and its word for
    # screen readers and as a tooltip; the legend says the words out loud.
    assert re.search(r'title="solved">\s*<span class="light-icon" aria-hidden="true">✔</span>'
                     r'\s*<span class="visually-hidden">solved</span>', html)
    assert re.search(r'title="stuck">\s*<span class="light-icon" aria-hidden="true">!</span>'
                     r'\s*<span class="visually-hidden">stuck</span>', html)
    legend = html.split('class="legend"')[1].split("</ul>")[0]
    assert '<span class="light-word">solved</span>' in legend
    assert f"/cluburi/copil/{world.children[0]}/exercitiu/hello" in html
    assert "css/progress.css" in html
    assert "3 tries" in html


def test_cell_page_shows_code_tests_plain_words_and_differences(world, login, stuck_and_solved):
    client = login(world.librarian)
    html = client.get(f"/cluburi/copil/{world.children[0]}/exercitiu/hello").get_data(
        as_text=True)
    assert '<span class="n">pritn</span>' in html  # Pygments, server-side
    assert "Try 3" in html and "Try 1" in html
    # Graded in Romanian, read by the librarian in English.
    assert "You wrote pritn, but Python knows print." in html
    assert "Nothing: the same program was sent again." in html
    assert "Test results" in html and "not passed" in html
    assert "<script>" not in html.split("</main>")[0]


def test_submission_by_id_opens_its_cell_and_only_through_its_own_child(
        world, login, stuck_and_solved):
    first = stuck_and_solved[0]
    client = login(world.librarian)
    resp = client.get(f"/cluburi/copil/{world.children[0]}/incercare/{first}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(
        f"/cluburi/copil/{world.children[0]}/exercitiu/hello#attempt-{first}")
    # Another child of the same club: the id is not theirs.
    assert client.get(f"/cluburi/copil/{world.children[1]}/incercare/{first}").status_code == 404


def test_librarian_b_cannot_open_club_a_grid_cells_submissions_help_or_errors(
        world, login, stuck_and_solved):
    client = login(world.other_librarian)
    a_child, first = world.children[0], stuck_and_solved[0]
    for url in (f"/cluburi/{world.club}/progres", f"/cluburi/{world.club}/progres/first-steps",
                f"/cluburi/copil/{a_child}/exercitiu/hello",
                f"/cluburi/copil/{a_child}/incercare/{first}",
                f"/cluburi/{world.club}/ajutor", f"/cluburi/{world.club}/ajutor/lista",
                f"/cluburi/{world.club}/exercitii/hello/greseli"):
        assert client.get(url).status_code == 403, url
    # Club A's submission through one of B's own children: does not exist.
    own = world.other_children[0]
    assert client.get(f"/cluburi/copil/{own}/incercare/{first}").status_code == 404
    # B's own pages show nothing of club A.
    html = client.get(f"/cluburi/{world.other_club}/exercitii/hello/greseli").get_data(
        as_text=True)
    assert "No failed tries for this exercise yet." in html
    html = client.get(f"/cluburi/{world.other_club}/ajutor").get_data(as_text=True)
    assert "Nobody is stuck right now." in html and "Ana" not in html


def test_a_coordinator_of_another_county_is_refused_too(world, login, stuck_and_solved):
    client = login(world.other_county_coordinator)
    assert client.get(f"/cluburi/{world.club}/progres/first-steps").status_code == 403
    assert client.get(
        f"/cluburi/copil/{world.children[0]}/exercitiu/hello").status_code == 403


def test_help_page_refreshes_itself_without_inline_scripts(world, login, stuck_and_solved):
    client = login(world.librarian)
    html = client.get(f"/cluburi/{world.club}/ajutor").get_data(as_text=True)
    assert "Ana" in html and "You wrote pritn, but Python knows print." in html
    assert 'src="/static/js/help.js' in html
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None  # no inline script
    assert '<noscript><meta http-equiv="refresh" content="20"></noscript>' in html
    assert f'data-url="/cluburi/{world.club}/ajutor/lista"' in html


def test_help_fragment_is_the_list_alone_and_never_cached(app, world, login):
    client = login(world.librarian)
    resp = client.get(f"/cluburi/{world.club}/ajutor/lista")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "Nobody is stuck right now." in resp.get_data(as_text=True)
    assert "<html" not in resp.get_data(as_text=True)
    with app.app_context():  # Ioana on `hello` for 25 minutes without a pass
        now = utcnow()
        db.session.add(Progress(child_id=world.children[2], exercise_id="hello", attempts=1,
                                failed_streak=1, solved=False, stars=0, hints_used=0,
                                first_attempt_at=now - timedelta(minutes=25),
                                last_attempt_at=now - timedelta(minutes=1)))
        db.session.commit()
    html = client.get(f"/cluburi/{world.club}/ajutor/lista").get_data(as_text=True)
    assert "Ioana" in html and "See Ioana's code" in html


def test_help_is_in_the_librarians_language(world, login, client, stuck_and_solved):
    login(world.librarian)
    with client.session_transaction() as sess:
        sess["locale"] = "hu"
    html = client.get(f"/cluburi/{world.club}/ajutor/lista").get_data(as_text=True)
    assert "pritn" in html
    assert "You wrote pritn" not in html and "Last error, in plain words:" not in html


def test_common_errors_page_counts_tries_and_children(world, login, stuck_and_solved):
    html = login(world.librarian).get(
        f"/cluburi/{world.club}/exercitii/hello/greseli").get_data(as_text=True)
    assert "You wrote pritn, but Python knows print." in html
    assert "3 tries" in html and "1 child" in html


def test_unknown_set_or_exercise_is_not_found(world, login):
    client = login(world.librarian)
    assert client.get(f"/cluburi/{world.club}/progres/nope").status_code == 404
    assert client.get(f"/cluburi/copil/{world.children[0]}/exercitiu/nope").status_code == 404
    assert client.get(f"/cluburi/{world.club}/exercitii/nope/greseli").status_code == 404


def test_the_club_page_leads_to_help_progress_and_assignments(world, login):
    html = login(world.librarian).get(f"/cluburi/{world.club}").get_data(as_text=True)
    for url in (f"/cluburi/{world.club}/ajutor", f"/cluburi/{world.club}/progres",
                f"/cluburi/{world.club}/teme"):
        assert f'href="{url}"' in html


# ---- every reader in their own language (issue 16, point 2) ----------------------------------

HELLO_WRONG = 'print("Buna ziua")\n'
# The Romanian catalog's words, filled with what the child wrote.
RO_PRINTED_ELSE = "Programul a afișat altceva decât se aștepta."
RO_HIDDEN = "Un test ascuns nu a trecut."
RO_WRONG_RESULT = ("Programul merge până la capăt, dar ce afișează sau ce întoarce nu este ce "
                   "cere exercițiul.")
RO_PRITN = ("Ai scris pritn, dar Python cunoaște print. Python e pretențios: contează fiecare "
            "literă, iar literele mici și cele mari sunt diferite.")
EN_PRITN = "You wrote pritn, but Python knows print."


def _read_in(client, locale):
    with client.session_transaction() as sess:
        sess["locale"] = locale
    return client


@pytest.mark.parametrize("child_locale", ["en", "hu"])
def test_a_romanian_librarian_reads_an_attempt_graded_in_another_language_in_romanian(
        app, world, login, child_locale):
    kid = world.children[0]
    _submit(app, kid, HELLO_WRONG, "lang-wrong-01", locale=child_locale)
    _submit(app, kid, HELLO_MISSPELT, "lang-pritn-01", locale=child_locale)
    client = _read_in(login(world.librarian), "ro")
    html = client.get(f"/cluburi/copil/{kid}/exercitiu/hello").get_data(as_text=True)
    assert RO_PRINTED_ELSE in html and RO_HIDDEN in html and RO_WRONG_RESULT in html
    assert RO_PRITN in html
    assert "The program printed something different" not in html and EN_PRITN not in html
    assert "A program mást írt ki" not in html and "Ezt írtad" not in html
    # Both attempts differ: the change is shown without a patch's @@ line.
    assert "@@" not in html and '<span class="gi">+ pritn(' in html


def test_who_needs_help_and_common_errors_read_in_romanian(app, world, login):
    kid = world.children[0]
    for i in range(3):
        _submit(app, kid, HELLO_MISSPELT, f"lang-help-{i:03}", locale="hu")
    _submit(app, world.children[1], HELLO_WRONG, "lang-help-wrong", locale="en")
    client = _read_in(login(world.librarian), "ro")
    help_list = client.get(f"/cluburi/{world.club}/ajutor/lista").get_data(as_text=True)
    assert RO_PRITN in help_list
    errors = client.get(f"/cluburi/{world.club}/exercitii/hello/greseli").get_data(as_text=True)
    assert RO_PRITN in errors and RO_WRONG_RESULT in errors
    assert "Ezt írtad" not in help_list + errors and EN_PRITN not in errors


def _old_row(app, child_id, locale):
    """A submission stored before messages were keys: the child's words in ``locale``."""
    from codekids.learning.models import SUBMIT, Submission

    report = {"exercise": "hello", "locale": locale, "solved": False, "passed": 0, "total": 1,
              "explanation": {"kind": "misspelt_builtin", "line": 1, "where": "Line 1",
                              "message": EN_PRITN + " Python is picky."},
              "tests": [{"index": 1, "kind": "io", "hidden": False, "status": "error",
                         "message": "The program stopped with an error.", "details": {},
                         "error": {"type": "NameError", "line": 1},
                         "explanation": None}]}
    with app.app_context():
        child = db.session.get(User, child_id)
        db.session.add(Submission(child_id=child.id, club_id=child.club_id, kind=SUBMIT,
                                  exercise_id="hello", source=HELLO_MISSPELT, status="error",
                                  passed=0, total=1, solved=False, error_kind="misspelt_builtin",
                                  error_line=1, report=report))
        db.session.commit()


def test_an_old_row_of_stored_words_still_renders(app, world, login):
    kid = world.children[0]
    _old_row(app, kid, "en")
    client = login(world.librarian)  # reads English, as the child wrote it: shown as it was
    html = client.get(f"/cluburi/copil/{kid}/exercitiu/hello").get_data(as_text=True)
    assert EN_PRITN + " Python is picky." in html
    assert "The program stopped with an error." in html
    # In Romanian: the explanation's Romanian words with the child's word left blank
    # (never read back out of the English text); the test's line as it was stored.
    html = _read_in(client, "ro").get(f"/cluburi/copil/{kid}/exercitiu/hello").get_data(
        as_text=True)
    assert "Ai scris …, dar Python cunoaște …." in html and EN_PRITN not in html
    assert "The program stopped with an error." in html
    errors = client.get(f"/cluburi/{world.club}/exercitii/hello/greseli").get_data(as_text=True)
    assert "Ai scris …, dar Python cunoaște …." in errors
