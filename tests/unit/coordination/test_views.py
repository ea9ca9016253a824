"""The coordinator's room through HTTP: clubs, librarians, and the county scope."""

import re

from sqlalchemy import func, select

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import service as accounts
from codekids.accounts.models import LIBRARIAN, User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club, County


def _county_id(app, code):
    with app.app_context():
        return db.session.scalar(select(County.id).where(County.code == code))


def _club_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Club.id)))


def _user_by_name(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def _alba_librarian(app, world) -> int:
    with app.app_context():
        county = db.session.scalar(select(County).where(County.code == "AB"))
        lib = accounts.create_staff(role=LIBRARIAN, username="lib.alba", display_name="Lib Alba",
                                    county=county)
        accounts.set_librarian_clubs(lib, [db.session.get(Club, world.far_club)])
        return lib.id


def _club_data(app, **over):
    data = {"name": "Clubul Arici", "library": "Biblioteca Dej", "town": "Dej",
            "county_id": str(_county_id(app, "CJ")), "secret_kind": "words", "active": "y"}
    data.update(over)
    return data


def test_librarians_and_children_cannot_enter(client, world, login):
    login(world.librarian)
    for url in ("/coordonare/", "/coordonare/cluburi", "/coordonare/bibliotecari/nou",
                f"/coordonare/cluburi/{world.club}"):
        assert client.get(url).status_code == 403


def test_overview_counts_what_is_in_scope(client, world, login):
    login(world.county_coordinator)
    page = client.get("/coordonare/").get_data(as_text=True)
    numbers = re.findall(r'<span class="big-number">(\d+)</span>', page)
    assert numbers == ["2", "2", "5"]
    login(world.national_coordinator)
    page = client.get("/coordonare/").get_data(as_text=True)
    assert re.findall(r'<span class="big-number">(\d+)</span>', page) == ["3", "2", "5"]


def test_club_list_is_limited_to_the_county(client, world, login):
    login(world.county_coordinator)
    page = client.get("/coordonare/cluburi").get_data(as_text=True)
    assert "Clubul Albinelor" in page and "Clubul Vulpilor" in page
    assert "Clubul Bufnițelor" not in page
    login(world.national_coordinator)
    assert "Clubul Bufnițelor" in client.get("/coordonare/cluburi").get_data(as_text=True)


def test_new_club_gets_a_fresh_join_code(app, client, world, login):
    login(world.county_coordinator)
    page = client.get("/coordonare/cluburi/nou").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="(\d+)"', page)
    assert offered == [str(_county_id(app, "CJ"))]  # only the coordinator's county
    r = client.post("/coordonare/cluburi/nou", data=_club_data(app))
    assert r.status_code == 302
    with app.app_context():
        club = db.session.scalar(select(Club).where(Club.name == "Clubul Arici"))
        assert club.county.code == "CJ" and club.secret_kind == "words"
        assert len(club.join_code) == clubs.JOIN_LENGTH
        assert club.join_code not in world.join_codes.values()
    assert r.headers["Location"].endswith(f"/coordonare/cluburi/{club.id}/bibliotecari")


def test_new_club_explains_what_is_missing(app, client, world, login):
    login(world.county_coordinator)
    before = _club_count(app)
    r = client.post("/coordonare/cluburi/nou", data=_club_data(app, name="  ", town=""))
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert page.count("Please fill this in.") == 2
    assert _club_count(app) == before
    r = client.post("/coordonare/cluburi/nou", data=_club_data(app, name="x" * 121))
    assert "At most 120 characters" in r.get_data(as_text=True)
    assert _club_count(app) == before


def test_a_county_coordinator_cannot_create_a_club_in_another_county(app, client, world, login):
    login(world.county_coordinator)
    before = _club_count(app)
    r = client.post("/coordonare/cluburi/nou",
                    data=_club_data(app, county_id=str(_county_id(app, "AB"))))
    assert "Please choose one of the options." in r.get_data(as_text=True)
    assert _club_count(app) == before


def test_edit_club(app, client, world, login):
    login(world.county_coordinator)
    page = client.get(f"/coordonare/cluburi/{world.far_club}")
    assert page.status_code == 403
    page = client.get(f"/coordonare/cluburi/{world.club}").get_data(as_text=True)
    assert 'value="Clubul Albinelor"' in page
    assert "the kind of secret stays as it is" in page  # the club has children
    data = _club_data(app, name="Clubul Albinuțelor", secret_kind="words")
    del data["active"]  # unticked: the club closes
    r = client.post(f"/coordonare/cluburi/{world.club}", data=data)
    assert r.status_code == 302
    with app.app_context():
        club = db.session.get(Club, world.club)
        assert club.name == "Clubul Albinuțelor" and club.active is False
        assert club.secret_kind == "pictures"  # children already hold picture cards


def test_a_county_coordinator_cannot_move_a_club_out_of_their_county(app, client, world, login):
    login(world.county_coordinator)
    r = client.post(f"/coordonare/cluburi/{world.club}",
                    data=_club_data(app, county_id=str(_county_id(app, "AB"))))
    assert r.status_code == 200
    with app.app_context():
        assert db.session.get(Club, world.club).county.code == "CJ"


def test_national_coordinator_may_move_a_club(app, client, world, login):
    login(world.national_coordinator)
    r = client.post(f"/coordonare/cluburi/{world.club}",
                    data=_club_data(app, county_id=str(_county_id(app, "AB"))))
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Club, world.club).county.code == "AB"


def test_attach_and_detach_librarians(app, client, world, login):
    login(world.county_coordinator)
    page = client.get(f"/coordonare/cluburi/{world.club}/bibliotecari").get_data(as_text=True)
    assert "ana.bibliotecara" in page and "ion.bibliotecar" in page
    r = client.post(f"/coordonare/cluburi/{world.club}/bibliotecari",
                    data={"librarian_ids": [str(world.other_librarian)]})
    assert r.status_code == 302
    with app.app_context():
        club = db.session.get(Club, world.club)
        assert [lib.id for lib in club.librarians] == [world.other_librarian]


def test_posting_a_librarian_of_another_county_is_refused(app, client, world, login):
    alba = _alba_librarian(app, world)
    login(world.county_coordinator)
    assert "lib.alba" not in client.get(
        f"/coordonare/cluburi/{world.club}/bibliotecari").get_data(as_text=True)
    r = client.post(f"/coordonare/cluburi/{world.club}/bibliotecari",
                    data={"librarian_ids": [str(world.librarian), str(alba)]})
    assert r.status_code == 403
    with app.app_context():
        assert [lib.id for lib in db.session.get(Club, world.club).librarians] == [world.librarian]
    assert client.post(f"/coordonare/cluburi/{world.far_club}/bibliotecari",
                       data={"librarian_ids": [str(world.librarian)]}).status_code == 403


def test_librarian_list_and_page_are_limited_to_the_county(app, client, world, login):
    alba = _alba_librarian(app, world)
    login(world.county_coordinator)
    page = client.get("/coordonare/bibliotecari").get_data(as_text=True)
    assert "ana.bibliotecara" in page and "lib.alba" not in page
    assert client.get(f"/coordonare/bibliotecari/{alba}").status_code == 403
    assert client.post(f"/coordonare/bibliotecari/{alba}/resetare",
                       data={"mode": "password"}).status_code == 403
    login(world.national_coordinator)
    assert "lib.alba" in client.get("/coordonare/bibliotecari").get_data(as_text=True)


def _new_librarian(app, client, world, **over):
    data = {"username": "maria.pop", "display_name": "Maria Pop",
            "county_id": str(_county_id(app, "CJ")), "club_ids": [str(world.club)],
            "access": "password"}
    data.update(over)
    return client.post("/coordonare/bibliotecari/nou", data=data)


def test_new_librarian_with_a_temporary_password_shown_once(app, client, world, login):
    login(world.county_coordinator)
    r = _new_librarian(app, client, world)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    temp = re.search(r'id="temporary-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    lib = _user_by_name(app, "maria.pop")
    assert lib.role == LIBRARIAN and lib.must_change_password is True
    with app.app_context():
        assert passwords.verify_password(lib.password_hash, temp)
        assert [c.id for c in db.session.get(User, lib.id).clubs] == [world.club]
    # Never again: not on the librarian's page, not in the list.
    for url in (f"/coordonare/bibliotecari/{lib.id}", "/coordonare/bibliotecari"):
        assert temp not in client.get(url).get_data(as_text=True)


def test_new_librarian_with_a_one_time_link(app, client, world, login):
    login(world.county_coordinator)
    r = _new_librarian(app, client, world, access="invitation")
    page = r.get_data(as_text=True)
    link = re.search(r'id="invitation-link">([^<]+)<', page).group(1)
    assert link.startswith("http://localhost/")
    token = link.rsplit("/", 1)[1]
    lib = _user_by_name(app, "maria.pop")
    assert lib.password_hash is None
    with app.app_context():
        inv = accounts.find_invitation(token)
        assert inv is not None and inv.user_id == lib.id
        accounts.accept_invitation(inv, "a-long-new-password")
        assert accounts.find_invitation(token) is None
    assert link.endswith(f"/{token}")


def test_new_librarian_form_refuses_other_counties_and_their_clubs(app, client, world, login):
    login(world.county_coordinator)
    page = client.get("/coordonare/bibliotecari/nou").get_data(as_text=True)
    assert "Clubul Bufnițelor" not in page
    r = _new_librarian(app, client, world, county_id=str(_county_id(app, "AB")))
    assert "Please choose one of the options." in r.get_data(as_text=True)
    r = _new_librarian(app, client, world, club_ids=[str(world.club), str(world.far_club)])
    assert r.status_code == 403
    assert _user_by_name(app, "maria.pop") is None


def test_new_librarian_username_problems_are_explained(app, client, world, login):
    login(world.county_coordinator)
    page = _new_librarian(app, client, world, username="ana.bibliotecara").get_data(as_text=True)
    assert "This username is already taken" in page
    page = _new_librarian(app, client, world, username="Maria Pop!").get_data(as_text=True)
    assert "Use 3 to 64 small letters" in page
    assert 'value="Maria Pop!"' in page  # what was typed stays in the box
    assert _user_by_name(app, "maria pop!") is None


def test_edit_librarian_keeps_clubs_of_other_counties(app, client, world, login):
    with app.app_context():
        lib = db.session.get(User, world.librarian)
        accounts.set_librarian_clubs(lib, [db.session.get(Club, world.club),
                                           db.session.get(Club, world.far_club)])
    login(world.county_coordinator)
    page = client.get(f"/coordonare/bibliotecari/{world.librarian}").get_data(as_text=True)
    assert "Clubul Bufnițelor" in page  # shown as "also runs", not as a choice
    assert f'value="{world.far_club}"' not in page
    r = client.post(f"/coordonare/bibliotecari/{world.librarian}",
                    data={"display_name": "Ana B.", "club_ids": [str(world.other_club)],
                          "active": "y"})
    assert r.status_code == 302
    with app.app_context():
        lib = db.session.get(User, world.librarian)
        assert lib.display_name == "Ana B." and lib.active
        assert {c.id for c in lib.clubs} == {world.other_club, world.far_club}
    r = client.post(f"/coordonare/bibliotecari/{world.librarian}",
                    data={"display_name": "Ana B.", "club_ids": [str(world.far_club)]})
    assert r.status_code == 403


def test_deactivating_a_librarian_logs_them_out(app, client, world, login):
    lib_client = app.test_client()
    with app.app_context():
        lib = db.session.get(User, world.librarian)
        ident = f"{lib.id}:{lib.session_version}"
    with lib_client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = ident, True
    assert lib_client.get("/cluburi/").status_code == 200
    login(world.county_coordinator)
    client.post(f"/coordonare/bibliotecari/{world.librarian}",
                data={"display_name": "Ana", "club_ids": [str(world.club)]})
    assert lib_client.get("/cluburi/").status_code == 302


def test_reset_gives_a_new_temporary_password_or_link(app, client, world, login):
    login(world.county_coordinator)
    r = client.post(f"/coordonare/bibliotecari/{world.librarian}/resetare",
                    data={"mode": "password"})
    temp = re.search(r'id="temporary-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    lib = _user_by_name(app, "ana.bibliotecara")
    assert lib.must_change_password
    with app.app_context():
        assert passwords.verify_password(lib.password_hash, temp)
    r = client.post(f"/coordonare/bibliotecari/{world.librarian}/resetare",
                    data={"mode": "invitation"})
    link = re.search(r'id="invitation-link">([^<]+)<', r.get_data(as_text=True)).group(1)
    with app.app_context():
        assert accounts.find_invitation(link.rsplit("/", 1)[1]) is not None
    assert client.post(f"/coordonare/bibliotecari/{world.librarian}/resetare",
                       data={"mode": "nonsense"}).status_code == 400
    assert client.get(f"/coordonare/bibliotecari/{world.librarian}/resetare").status_code == 405


def test_a_new_librarian_logs_in_with_the_temporary_password_and_must_change_it(
    app, client, world, login
):
    login(world.county_coordinator)
    r = _new_librarian(app, client, world)
    temp = re.search(r'id="temporary-password">([^<]+)<', r.get_data(as_text=True)).group(1)
    fresh = app.test_client()
    r = fresh.post("/autentificare", data={"username": "maria.pop", "password": temp})
    assert r.status_code == 302 and r.headers["Location"].endswith("/parola")


def test_the_invitation_link_works_exactly_once(app, client, world, login):
    login(world.county_coordinator)
    r = _new_librarian(app, client, world, access="invitation")
    link = re.search(r'id="invitation-link">([^<]+)<', r.get_data(as_text=True)).group(1)
    path = link.removeprefix("http://localhost")
    fresh = app.test_client()
    assert fresh.get(path).status_code == 200
    r = fresh.post(path, data={"new_password": "a-long-new-password",
                               "confirm_password": "a-long-new-password"})
    assert r.status_code == 302
    assert fresh.get("/cluburi/").status_code == 200  # logged in as the new librarian
    assert app.test_client().get(path).status_code == 404
