"""Diplomas: only for a finished set, in the child's language, only for one's own club."""

from __future__ import annotations

from datetime import datetime

from codekids import db
from codekids.accounts.models import User
from codekids.learning.models import Progress

SET = "first-steps"


def set_exercises(app) -> list[str]:
    return [e.id for e in app.extensions["codekids_bank"].get_set(SET).exercises]


def solve_all(app, child_id: int, *, leave_out: int = 0, locale: str | None = None) -> None:
    with app.app_context():
        ids = set_exercises(app)
        for i, ex in enumerate(ids[: len(ids) - leave_out]):
            db.session.add(Progress(child_id=child_id, exercise_id=ex, attempts=1, solved=True,
                                    stars=3, solved_at=datetime(2026, 11, 20, 9, i)))
        if leave_out:  # tried, not solved
            db.session.add(Progress(child_id=child_id, exercise_id=ids[-1], attempts=4))
        db.session.get(User, child_id).locale = locale
        db.session.commit()


def test_an_unfinished_set_is_refused_with_a_plain_reason(app, client, world, login):
    solve_all(app, world.children[0], leave_out=1)
    total = len(set_exercises(app))
    login(world.librarian)
    resp = client.get(f"/cluburi/copil/{world.children[0]}/diploma/{SET}")
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert f"Ana has not finished “First steps” yet: {total - 1} of {total}" in page
    listing = client.get(f"/cluburi/copil/{world.children[0]}/diplome").get_data(as_text=True)
    assert "not finished yet" in listing and "Print diploma" not in listing


def test_a_child_who_never_started_gets_no_diploma(client, world, login):
    login(world.librarian)
    assert client.get(f"/cluburi/copil/{world.children[1]}/diploma/{SET}").status_code == 409


def test_the_diploma_speaks_romanian_by_default_whatever_the_librarian_reads(
        app, client, world, login):
    solve_all(app, world.children[0])
    login(world.librarian)  # reads the site in English
    listing = client.get(f"/cluburi/copil/{world.children[0]}/diplome").get_data(as_text=True)
    assert "Print diploma" in listing
    resp = client.get(f"/cluburi/copil/{world.children[0]}/diploma/{SET}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert '<main class="diploma" lang="ro">' in page
    assert "Ana" in page and "Primii pași" in page and "Clubul Albinelor" in page
    assert "20 noiembrie 2026" in page  # the day the last exercise was solved
    assert "css/diploma.css" in page
    assert "Diplomă" in page and "pentru că a rezolvat toate exercițiile setului" in page
    assert "First steps" not in page and "is awarded to" not in page


def test_the_diploma_speaks_the_childs_chosen_language(app, client, world, login):
    solve_all(app, world.children[2], locale="hu")
    login(world.librarian)
    page = client.get(f"/cluburi/copil/{world.children[2]}/diploma/{SET}").get_data(as_text=True)
    assert 'lang="hu">' in page and "Első lépések" in page and "Ioana" in page
    assert "2026. november 20." in page and "Oklevél" in page


def _tools_and_card(page: str) -> tuple[str, str]:
    """The page's chrome (back, print, the language note) and the diploma itself."""
    tools = page[page.index('<p class="no-print diploma-tools">'):page.index("<main")]
    return tools, page[page.index("<main"):page.index("</main>")]


def reads_in(client, locale: str) -> None:
    with client.session_transaction() as sess:
        sess["locale"] = locale


def test_a_hungarian_childs_diploma_with_a_romanian_librarians_buttons(app, client, world,
                                                                      login):
    solve_all(app, world.children[2], locale="hu")
    login(world.librarian)
    reads_in(client, "ro")
    page = client.get(f"/cluburi/copil/{world.children[2]}/diploma/{SET}").get_data(as_text=True)
    tools, card = _tools_and_card(page)
    assert '<html lang="ro">' in page and "<title>Diplomă · Ioana</title>" in page
    assert "‹ Înapoi" in tools and ">Tipăriți</button>" in tools
    assert "Diploma este în limba maghiară, limba copilului." in tools
    assert "Vissza" not in page and "Nyomtatás" not in page
    assert '<main class="diploma" lang="hu">' in card and ">Oklevél</h1>" in card
    assert "Első lépések" in card and "2026. november 20." in card
    assert "Primii pași" not in card and "Diplomă" not in card


def test_a_romanian_childs_diploma_with_a_hungarian_librarians_buttons(app, client, world,
                                                                      login):
    solve_all(app, world.children[0], locale="ro")
    login(world.librarian)
    reads_in(client, "hu")
    page = client.get(f"/cluburi/copil/{world.children[0]}/diploma/{SET}").get_data(as_text=True)
    tools, card = _tools_and_card(page)
    assert '<html lang="hu">' in page and "<title>Oklevél · Ana</title>" in page
    assert "‹ Vissza" in tools and ">Nyomtatás</button>" in tools
    assert "Az oklevél a gyerek nyelvén, román nyelven szól." in tools
    assert "Înapoi" not in page and "Tipăriți" not in page
    assert '<main class="diploma" lang="ro">' in card and ">Diplomă</h1>" in card
    assert "Primii pași" in card and "20 noiembrie 2026" in card and "Oklevél" not in card


def test_unknown_set_is_not_found(client, world, login):
    login(world.librarian)
    assert client.get(f"/cluburi/copil/{world.children[0]}/diploma/no-such-set").status_code == 404


def test_another_clubs_librarian_cannot_print_club_as_diplomas(app, client, world, login):
    solve_all(app, world.children[0])
    login(world.other_librarian)
    assert client.get(f"/cluburi/copil/{world.children[0]}/diploma/{SET}").status_code == 403
    assert client.get(f"/cluburi/copil/{world.children[0]}/diplome").status_code == 403


def test_diploma_css_prints_one_a4_landscape_page(app):
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "diploma.css").read_text()
    assert "size: A4 landscape" in css and "@media print" in css
