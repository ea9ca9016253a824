"""The librarian's room through HTTP: club page, bulk children, child actions, cards."""

import re

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import devices
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, LoginAttempt, User
from codekids.clubs import service
from codekids.clubs.models import Club
from codekids.db import utcnow


def child_secret(app, child_id):
    with app.app_context():
        return service.card_secret(db.session.get(User, child_id))


def _count(app, club_id):
    with app.app_context():
        return db.session.scalar(
            select(func.count(User.id)).where(User.club_id == club_id, User.role == CHILD))


def _lock_out(app, child_id, address="10.1.1.1"):
    """Locks the child on every browser it never used: a prankster who takes a new
    device cookie for every try (the only way past the per-browser limits)."""
    with app.app_context():
        child = db.session.get(User, child_id)
        for _ in range(app.config["CODEKIDS"].child_max_failures):
            accounts.child_login(child, "words", ("nu", "stiu"), address,
                                 device=devices.new_device_id())
        assert accounts.user_lock(child) is not None


def test_my_clubs_lists_only_the_librarians_clubs(client, world, login):
    login(world.librarian)
    page = client.get("/cluburi/").get_data(as_text=True)
    assert "Clubul Albinelor" in page and world.join_codes[world.club] in page
    assert "Clubul Vulpilor" not in page


def test_another_librarians_club_and_child_are_refused(client, world, login):
    login(world.librarian)
    assert client.get(f"/cluburi/{world.other_club}").status_code == 403
    assert client.get(f"/cluburi/copil/{world.other_children[0]}").status_code == 403
    assert client.post(f"/cluburi/copil/{world.other_children[0]}/secret-nou").status_code == 403


def test_club_page_shows_code_children_and_lock_state(app, client, world, login):
    _lock_out(app, world.children[1])
    login(world.librarian)
    page = client.get(f"/cluburi/{world.club}").get_data(as_text=True)
    assert f'class="join-code">{world.join_codes[world.club]}<' in page
    for name in ("Ana", "Mihai", "Ioana"):
        assert f">{name}</a>" in page
    # Only the locked child has an unlock button.
    assert page.count("/deblocare\"") == 2  # one child + the whole club
    assert f"/cluburi/copil/{world.children[1]}/deblocare" in page


def test_a_coordinator_sees_clubs_in_scope_only(client, world, login):
    login(world.county_coordinator)
    assert client.get(f"/cluburi/{world.club}").status_code == 200
    assert client.get(f"/cluburi/{world.far_club}").status_code == 403
    page = client.get("/cluburi/").get_data(as_text=True)
    assert "Clubul Vulpilor" in page and "Clubul Bufnițelor" not in page


def test_add_children_reports_each_line_and_keeps_the_text(app, client, world, login):
    login(world.librarian)
    pasted = "Dan\n\nana\n<script>\nDan\n" + "x" * 21 + "\nRobi 🤖"
    before = _count(app, world.club)
    r = client.post(f"/cluburi/{world.club}/copii-noi", data={"nicknames": pasted})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert _count(app, world.club) == before
    rows = re.findall(r'<td class="line-number">(\d+)</td>', page)
    assert rows == ["2", "3", "4", "5", "6", "7"]
    assert "This line is empty" in page
    assert "A child in this club already has this nickname" in page
    assert "This nickname has signs we cannot use" in page
    assert "already higher up in your list" in page
    assert "too long" in page
    assert "<script>" not in page.split("<main", 1)[1]  # escaped, never raw
    # The pasted text comes back in the box, so nothing has to be typed again.
    box = re.search(r'<textarea[^>]*name="nicknames"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box.strip("\r\n") == pasted.replace("<", "&lt;").replace(">", "&gt;")


def test_add_children_success_shows_names_and_a_link_to_their_cards(app, client, world, login):
    login(world.librarian)
    r = client.post(f"/cluburi/{world.club}/copii-noi", data={"nicknames": "Ștefan\nGyőző\n"})
    page = r.get_data(as_text=True)
    assert "Ștefan" in page and "Győző" in page
    with app.app_context():
        ids = [u.id for u in db.session.scalars(
            select(User).where(User.nickname.in_(["Ștefan", "Győző"])).order_by(User.id))]
    assert len(ids) == 2
    assert f"/cluburi/{world.club}/cartonase?ids={ids[0]},{ids[1]}" in page


def test_cards_show_every_child_with_code_and_pictures_in_order(app, client, world, login):
    login(world.librarian)
    page = client.get(f"/cluburi/{world.club}/cartonase").get_data(as_text=True)
    assert page.count('class="login-card"') == 3
    assert page.count(world.join_codes[world.club]) >= 3
    for child_id in world.children:
        secret = child_secret(app, child_id)
        with app.app_context():
            nickname = db.session.get(User, child_id).nickname
        card = page.split(f'class="card-nickname">{nickname}<', 1)[1].split("</article>", 1)[0]
        pictures = re.findall(r'data-picture="(\w+)"', card)
        assert pictures == list(secret.value)
        for name in secret.value:
            assert f"/static/pictures/{name}.svg" in card


def test_cards_of_a_words_club_show_the_two_words(app, client, world, login):
    login(world.other_librarian)
    page = client.get(f"/cluburi/{world.other_club}/cartonase").get_data(as_text=True)
    for child_id in world.other_children:
        assert f'class="secret-words">{child_secret(app, child_id).words}<' in page


def test_cards_for_chosen_ids_skip_others_and_other_clubs(client, world, login):
    login(world.librarian)
    ids = f"{world.children[0]},{world.other_children[0]}"
    page = client.get(f"/cluburi/{world.club}/cartonase?ids={ids}").get_data(as_text=True)
    assert page.count('class="login-card"') == 1
    assert ">Ana<" in page and "Radu" not in page


def test_cards_leave_out_turned_off_children(app, client, world, login):
    with app.app_context():
        service.set_child_active(db.session.get(User, world.children[0]), False)
    login(world.librarian)
    page = client.get(f"/cluburi/{world.club}/cartonase").get_data(as_text=True)
    assert page.count('class="login-card"') == 2


def test_cards_link_an_a4_print_stylesheet(client, world, login, app):
    login(world.librarian)
    page = client.get(f"/cluburi/{world.club}/cartonase").get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" href="/static/css/print.css(\?v=\w+)?" media="print">', page)
    css = client.get("/static/css/print.css").get_data(as_text=True)
    assert re.search(r"@page\s*{\s*size:\s*A4", css)
    assert "page-break-inside: avoid" in css
    assert ".site-header" in css and "display: none" in css


def test_one_childs_card(app, client, world, login):
    login(world.librarian)
    page = client.get(f"/cluburi/copil/{world.children[0]}/cartonas").get_data(as_text=True)
    assert page.count('class="login-card"') == 1
    assert 'class="card-nickname">Ana<' in page


def test_reset_secret_shows_a_new_card_and_logs_the_child_out(app, client, world, login):
    child_client = app.test_client()
    with app.app_context():
        child = db.session.get(User, world.children[0])
        ident = f"{child.id}:{child.session_version}"
    with child_client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = ident, True
    assert child_client.get("/acasa").status_code == 200
    old = child_secret(app, world.children[0])

    login(world.librarian)
    for _ in range(4):  # a new secret may, rarely, equal the old one; four never all do
        r = client.post(f"/cluburi/copil/{world.children[0]}/secret-nou", follow_redirects=True)
        if child_secret(app, world.children[0]) != old:
            break
    new = child_secret(app, world.children[0])
    assert new != old
    page = r.get_data(as_text=True)
    assert re.findall(r'data-picture="(\w+)"', page) == list(new.value)
    assert child_client.get("/acasa").status_code == 302


def test_deactivate_refuses_login_and_reactivate_allows_it(app, client, world, login):
    login(world.librarian)
    r = client.post(f"/cluburi/copil/{world.children[0]}/dezactivare", follow_redirects=True)
    assert "Turn on again" in r.get_data(as_text=True)
    secret = child_secret(app, world.children[0])
    with app.app_context():
        child = db.session.get(User, world.children[0])
        assert not child.active
        assert not accounts.child_login(child, secret.kind, secret.value, "10.0.0.9").ok
    client.post(f"/cluburi/copil/{world.children[0]}/reactivare")
    with app.app_context():
        child = db.session.get(User, world.children[0])
        assert accounts.child_login(child, secret.kind, secret.value, "10.0.0.9").ok


def test_unlock_one_child(app, client, world, login):
    _lock_out(app, world.children[0])
    login(world.librarian)
    page = client.get(f"/cluburi/copil/{world.children[0]}").get_data(as_text=True)
    assert "Unlock now" in page
    client.post(f"/cluburi/copil/{world.children[0]}/deblocare")
    with app.app_context():
        assert accounts.user_lock(db.session.get(User, world.children[0])) is None
    assert "Unlock now" not in client.get(f"/cluburi/copil/{world.children[0]}").get_data(
        as_text=True)


def test_unlock_the_whole_club_including_computers(app, client, world, login):
    _lock_out(app, world.children[0])
    pc = devices.new_device_id()
    with app.app_context():
        club = db.session.get(Club, world.club)
        # Many wrong guesses from one PC, spread over children (no single child is locked).
        for i in range(app.config["CODEKIDS"].device_max_failures):
            db.session.add(LoginAttempt(club_id=club.id, user_id=world.children[1 + i % 2],
                                        address="10.2.2.2", device_id=pc, succeeded=False,
                                        at=utcnow()))
        db.session.commit()
        assert [d.device for d in accounts.club_locks(club).devices] == [pc]
    login(world.librarian)
    r = client.post(f"/cluburi/{world.club}/deblocare")
    assert r.status_code == 302
    with app.app_context():
        club = db.session.get(Club, world.club)
        assert accounts.club_locks(club).devices == []
        for cid in world.children:
            assert accounts.user_lock(db.session.get(User, cid)) is None


def test_child_actions_refuse_get(client, world, login):
    login(world.librarian)
    for action in ("secret-nou", "dezactivare", "reactivare", "deblocare"):
        assert client.get(f"/cluburi/copil/{world.children[0]}/{action}").status_code == 405


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_every_form_carries_a_token_and_posts_without_one_fail(self, app, client, world,
                                                                    login):
        login(world.librarian)
        for url in (f"/cluburi/{world.club}", f"/cluburi/{world.club}/copii-noi",
                    f"/cluburi/copil/{world.children[0]}"):
            page = client.get(url).get_data(as_text=True)
            forms = re.findall(r"<form.*?</form>", page, re.S)
            assert forms
            for form in forms:
                assert 'name="csrf_token"' in form, form
        before = _count(app, world.club)
        r = client.post(f"/cluburi/{world.club}/copii-noi", data={"nicknames": "Dan"})
        assert r.status_code == 400
        assert client.post(f"/cluburi/copil/{world.children[0]}/dezactivare").status_code == 400
        assert _count(app, world.club) == before
