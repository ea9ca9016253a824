"""Names in the reader's alphabet (CLDR through ICU), on the pages and files that list them.

The old orderings (``lower()`` in SQL, ``casefold()`` in Python) compare code points:
Ș (U+0218) and Ț (U+021A) came after every letter, so Ștefan sorted after Tudor and
Vâlcea after Vrancea. Each case below is one those orderings got wrong.
"""

import csv
import io

import pytest
from sqlalchemy import select

from codekids import db
from codekids.accounts.models import User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club, County
from codekids.collation import sort_key, sorted_by

ROMANIAN_NAMES = ["Tudor", "Ștefan", "Sebastian", "Șerban", "Sorin", "Ana", "Ălina", "Îrina",
                  "Ion"]


def positions(html: str, names: list[str]) -> list[int]:
    found = [html.find(f">{n}<") for n in names]
    assert all(i >= 0 for i in found), dict(zip(names, found, strict=True))
    return found


def in_order(html: str, names: list[str]) -> bool:
    found = positions(html, names)
    return found == sorted(found)


def set_language(client, lang):
    with client.session_transaction() as sess:
        sess["locale"] = lang


@pytest.mark.parametrize(("locale", "expected"), [
    ("ro", ["Ana", "Ălina", "Ion", "Îrina", "Sebastian", "Sorin", "Șerban", "Ștefan", "Tudor"]),
    # English has no letters Ș or Î: they sort as S and I with a mark.
    ("en", ["Ălina", "Ana", "Ion", "Îrina", "Sebastian", "Șerban", "Sorin", "Ștefan", "Tudor"]),
])
def test_romanian_letters_take_their_place_in_each_alphabet(locale, expected):
    assert sorted_by(ROMANIAN_NAMES, lambda n: n, locale) == expected


def test_counties_sort_as_romanian_does():
    names = ["Vrancea", "Vâlcea", "Vaslui", "Covasna", "Călărași", "Caraș-Severin", "Cluj"]
    assert sorted(names, key=sort_key("ro")) == [
        "Caraș-Severin", "Călărași", "Cluj", "Covasna", "Vaslui", "Vâlcea", "Vrancea"]


def test_hungarian_double_letters_are_letters_of_their_own():
    names = ["Csaba", "Cecília", "Cyntia", "Zsolt", "Zoltán", "Zuzana"]
    assert sorted(names, key=sort_key("hu")) == [
        "Cecília", "Cyntia", "Csaba", "Zoltán", "Zuzana", "Zsolt"]
    assert sorted(names, key=sort_key("en")) == [
        "Cecília", "Csaba", "Cyntia", "Zoltán", "Zsolt", "Zuzana"]


def test_a_key_may_be_several_names_and_none_is_empty():
    rows = [("Vâlcea", "B"), ("Vaslui", "Z"), ("Vâlcea", "A"), (None, "x")]
    assert sorted_by(rows, lambda r: r, "ro") == [
        (None, "x"), ("Vaslui", "Z"), ("Vâlcea", "A"), ("Vâlcea", "B")]


# ---- on the pages ---------------------------------------------------------------------


@pytest.fixture
def named_club(app, world):
    """Club A's children renamed to names whose order differs between the alphabets."""
    names = ["Tudor", "Ștefan", "Sebastian", "Șerban", "Sorin", "Csaba", "Cecília", "Cyntia"]
    with app.app_context():
        club = db.session.get(Club, world.club)
        clubs.create_children(club, "\n".join(names[3:]))
        for child_id, name in zip(world.children, names[:3], strict=True):
            db.session.get(User, child_id).nickname = name
        db.session.commit()
    return world


def test_the_club_page_lists_children_in_the_librarians_alphabet(client, named_club, login):
    login(named_club.librarian)
    set_language(client, "ro")
    page = client.get(f"/cluburi/{named_club.club}").get_data(as_text=True)
    assert in_order(page, ["Sebastian", "Sorin", "Șerban", "Ștefan", "Tudor"])
    assert in_order(page, ["Cecília", "Csaba", "Cyntia"])
    set_language(client, "en")
    page = client.get(f"/cluburi/{named_club.club}").get_data(as_text=True)
    assert in_order(page, ["Sebastian", "Șerban", "Sorin", "Ștefan", "Tudor"])
    set_language(client, "hu")
    page = client.get(f"/cluburi/{named_club.club}").get_data(as_text=True)
    assert in_order(page, ["Cecília", "Cyntia", "Csaba"])


def test_the_progress_grid_lists_children_in_the_librarians_alphabet(client, named_club, login):
    login(named_club.librarian)
    set_language(client, "ro")
    page = client.get(f"/cluburi/{named_club.club}/progres/first-steps").get_data(as_text=True)
    assert in_order(page, ["Sebastian", "Sorin", "Șerban", "Ștefan", "Tudor"])
    set_language(client, "hu")
    page = client.get(f"/cluburi/{named_club.club}/progres/first-steps").get_data(as_text=True)
    assert in_order(page, ["Cecília", "Cyntia", "Csaba"])


def test_coordinators_county_lists_are_in_romanian_order(app, client, world, login):
    login(world.national_coordinator)
    set_language(client, "ro")
    form = client.get("/coordonare/cluburi/nou").get_data(as_text=True)
    assert in_order(form, ["Caraș-Severin", "Călărași", "Cluj", "Covasna"])
    assert in_order(form, ["Vaslui", "Vâlcea", "Vrancea"])
    board = client.get("/coordonare/contor").get_data(as_text=True)
    assert in_order(board, ["Caraș-Severin", "Călărași", "Cluj", "Covasna", "Vaslui", "Vâlcea",
                            "Vrancea"])
    text = client.get("/coordonare/contor/judete.csv").get_data(as_text=True).lstrip("\ufeff")
    names = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert names.index("Călărași") < names.index("Covasna")
    assert names.index("Vaslui") < names.index("Vâlcea") < names.index("Vrancea")
    assert names[-1] == "Vrancea"
    with app.app_context():
        assert len(names) == len(db.session.scalars(select(County)).all())


def test_club_lists_and_csv_sort_by_name_in_the_readers_alphabet(app, client, world, login):
    with app.app_context():
        cj = db.session.scalar(select(County).where(County.code == "CJ"))
        for name in ("Clubul Țestoaselor", "Clubul Tigrilor", "Clubul Șoimilor",
                     "Clubul Stejarilor"):
            clubs.create_club(name=name, library="Biblioteca", town="Dej", county=cj)
    expected = ["Clubul Stejarilor", "Clubul Șoimilor", "Clubul Tigrilor", "Clubul Țestoaselor"]
    login(world.national_coordinator)
    set_language(client, "ro")
    board = client.get("/coordonare/contor?sort=name").get_data(as_text=True)
    assert in_order(board, expected)
    listing = client.get("/coordonare/cluburi").get_data(as_text=True)
    assert in_order(listing, expected)
    text = client.get("/coordonare/contor/cluburi.csv?sort=name").get_data(as_text=True)
    names = [row[1] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]
    assert [n for n in names if n in expected] == expected


def test_librarians_sort_by_the_name_the_list_shows(app, client, world, login):
    with app.app_context():
        for user_id, name in ((world.librarian, "Ștefania Pop"),
                              (world.other_librarian, "Sorina Ilie")):
            db.session.get(User, user_id).display_name = name
        db.session.commit()
    login(world.national_coordinator)
    set_language(client, "ro")
    page = client.get("/coordonare/bibliotecari").get_data(as_text=True)
    assert page.index("Sorina Ilie") < page.index("Ștefania Pop")
