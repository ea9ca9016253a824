"""The login pages, driven through the real routes as a browser without JavaScript would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from codekids import db
from codekids.accounts import secrets as child_secrets
from codekids.accounts import service
from codekids.accounts.models import User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club
from codekids.db import utcnow

from .conftest import STAFF_PASSWORD, child_secret, filled_dots, hidden_sequence, secret_url


@pytest.fixture
def app_config(app_config):
    # Small limits, no "wait N seconds" (tests/unit/accounts/test_devices*.py has those).
    return {**app_config, "child_max_failures": 3, "device_max_failures": 5,
            "device_slow_seconds": 0}


def logged_in_as(client) -> int | None:
    with client.session_transaction() as sess:
        raw = sess.get("_user_id")
    return int(raw.split(":")[0]) if raw else None


def wrong_pictures(app, child_id):
    return ",".join(reversed(child_secret(app, child_id).value))


# ---- club code and nickname list --------------------------------------------------------


def test_start_page_is_a_plain_form(client):
    r = client.get("/copii")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert '<form method="post" action="/copii"' in html
    assert 'name="code"' in html


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {a} {b} ", "{a}-{b}", "{lo_a} - {b}"])
def test_club_code_is_normalised(client, world, typed):
    code = world.join_codes[world.club]
    text = typed.format(code=code, lower=code.lower(), a=code[:3], b=code[3:],
                        lo_a=code[:3].lower())
    r = client.post("/copii", data={"code": text})
    assert r.status_code == 302
    assert r.location == f"/copii/{code}"


def test_unknown_club_code_gets_a_kind_message(english, world):
    r = english.post("/copii", data={"code": "ZZZZZZ"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "We could not find a club with this code" in html
    assert 'value="ZZZZZZ"' in html  # what the child typed stays, to be corrected


def test_empty_club_code_is_asked_for_again(english):
    r = english.post("/copii", data={"code": "   "})
    assert r.status_code == 200
    assert "Type the code of your club" in r.get_data(as_text=True)


def test_nickname_list_shows_the_active_children_of_that_club_only(app, client, world):
    with app.app_context():
        clubs.set_child_active(db.session.get(User, world.children[2]), False)
    code = world.join_codes[world.club]
    html = client.get(f"/copii/{code}").get_data(as_text=True)
    assert f'href="/copii/{code}/{world.children[0]}"' in html
    assert f'href="/copii/{code}/{world.children[1]}"' in html
    assert str(world.children[2]) not in re.findall(r'href="/copii/\w+/(\d+)"', html)
    assert "Radu" not in html  # a child of another club
    assert 'href="/copii"' in html  # the way back


def test_nickname_list_accepts_a_hand_typed_code(client, world):
    code = world.join_codes[world.club]
    r = client.get(f"/copii/{code[:3].lower()}-{code[3:].lower()}")
    assert r.status_code == 302 and r.location == f"/copii/{code}"


def test_nickname_list_of_an_unknown_or_closed_club(app, client, world):
    assert client.get("/copii/ZZZZZZ").status_code == 404
    with app.app_context():
        db.session.get(Club, world.club).active = False
        db.session.commit()
    assert client.get(f"/copii/{world.join_codes[world.club]}").status_code == 404


# ---- picture secret ----------------------------------------------------------------------


def test_picture_grid_has_nine_labelled_submit_buttons_in_order(app, client, world):
    html = client.get(secret_url(app, world.children[0])).get_data(as_text=True)
    names = re.findall(r'<button type="submit" name="add" value="(\w+)"', html)
    assert tuple(names) == child_secrets.PICTURES
    # Romanian by default: each picture is labelled with its Romanian name.
    romanian = {"sun": "soare", "tree": "copac", "cat": "pisică", "fish": "pește",
                "house": "casă", "star": "stea", "apple": "măr", "ball": "minge",
                "flower": "floare"}
    for name in names:
        label = romanian[name]
        assert re.search(rf'src="/static/pictures/{name}\.svg(\?v=\w+)?"[^>]*alt="{label}"', html, re.S)
    assert filled_dots(html) == 0
    assert hidden_sequence(html) == ""
    assert "<script" not in html.split("</main>")[0]  # the form needs no script


def test_picture_secret_built_click_by_click(app, client, world):
    url = secret_url(app, world.children[0])
    secret = child_secret(app, world.children[0]).value
    sequence = ""
    for i, picture in enumerate(secret[:2], start=1):
        r = client.post(url, data={"sequence": sequence, "add": picture})
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and filled_dots(html) == i
        sequence = hidden_sequence(html)
        assert sequence == ",".join(secret[:i])
        assert logged_in_as(client) is None
    r = client.post(url, data={"sequence": sequence, "add": secret[2]})
    assert r.status_code == 302 and r.location == "/acasa"
    assert logged_in_as(client) == world.children[0]
    assert client.get("/acasa").status_code == 200


def test_start_again_empties_the_sequence(app, client, world):
    url = secret_url(app, world.children[0])
    html = client.post(url, data={"sequence": "sun,cat"}).get_data(as_text=True)
    assert filled_dots(html) == 2 and 'name="restart"' in html
    html = client.post(url, data={"sequence": "sun,cat", "restart": "1"}).get_data(as_text=True)
    assert filled_dots(html) == 0 and hidden_sequence(html) == ""


def test_a_tampered_sequence_starts_again_and_costs_no_attempt(app, client, world):
    url = secret_url(app, world.children[0])
    for bad in ("sun,<script>", "sun,cat,ball,tree", "sun,,,cat,fish,ball"):
        html = client.post(url, data={"sequence": bad, "add": "tree"}).get_data(as_text=True)
        assert hidden_sequence(html) == "tree"
    with app.app_context():
        assert service.user_lock(db.session.get(User, world.children[0])) is None
        from sqlalchemy import func, select

        from codekids.accounts.models import LoginAttempt

        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_wrong_pictures_get_a_kind_message_and_an_empty_grid(app, english, world):
    url = secret_url(app, world.children[0])
    r = english.post(url, data={"sequence": wrong_pictures(app, world.children[0])})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Those are not your pictures" in html and "message-kind" in html
    assert hidden_sequence(html) == "" and filled_dots(html) == 0
    assert logged_in_as(english) is None


def test_the_page_speaks_the_childs_language_before_login(app, client, world):
    from codekids.i18n import LANGUAGES

    with app.app_context():
        db.session.get(User, world.children[0]).locale = "en"
        db.session.commit()
    html = client.get(secret_url(app, world.children[0])).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "en" in LANGUAGES


def test_this_is_not_me_on_the_secret_page_goes_back_to_the_names(app, client, world):
    code = world.join_codes[world.club]
    html = client.get(secret_url(app, world.children[0])).get_data(as_text=True)
    assert f'class="button big-button not-me" href="/copii/{code}"' in html


# ---- word secret -----------------------------------------------------------------------


def _fancy(words: str) -> str:
    """How a child might type it: shouting, extra spaces, Romanian diacritics."""
    swap = {"a": "ă", "i": "î", "s": "ș", "t": "ț"}
    return "  " + "   ".join("".join(swap.get(c, c) for c in w).upper() for w in words.split())


@pytest.mark.parametrize("typing", [lambda w: w, str.upper, _fancy])
def test_word_secret_typed_many_ways(app, client, world, typing):
    child_id = world.other_children[0]
    html = client.get(secret_url(app, child_id)).get_data(as_text=True)
    assert 'name="words"' in html and 'name="add"' not in html
    r = client.post(secret_url(app, child_id),
                    data={"words": typing(child_secret(app, child_id).words)})
    assert r.status_code == 302 and r.location == "/acasa"
    assert logged_in_as(client) == child_id


def test_wrong_words_get_a_kind_message(app, english, world):
    r = english.post(secret_url(app, world.other_children[0]), data={"words": "nu stiu"})
    assert r.status_code == 422
    assert "Those are not your words" in r.get_data(as_text=True)


def test_a_child_whose_card_is_older_than_the_clubs_kind_still_logs_in(app, client, world):
    with app.app_context():
        db.session.get(Club, world.other_club).secret_kind = "pictures"
        db.session.commit()
    child_id = world.other_children[0]
    assert 'name="words"' in client.get(secret_url(app, child_id)).get_data(as_text=True)
    r = client.post(secret_url(app, child_id), data={"words": child_secret(app, child_id).words})
    assert r.status_code == 302


# ---- who may be asked for a secret ---------------------------------------------------------


def test_child_of_another_club_inactive_or_unknown_all_get_the_same_404(app, client, world):
    code = world.join_codes[world.club]
    with app.app_context():
        clubs.set_child_active(db.session.get(User, world.children[1]), False)
    answers = [
        client.get(f"/copii/{code}/{world.other_children[0]}"),
        client.get(f"/copii/{code}/{world.children[1]}"),
        client.get(f"/copii/{code}/999999"),
        client.get(f"/copii/{code}/{world.librarian}"),
    ]
    assert {r.status_code for r in answers} == {404}
    # Identical pages apart from the language switch's token and way back to this URL.
    pages = {re.sub(r'name="(csrf_token|next)" value="[^"]*"', "", r.get_data(as_text=True))
             for r in answers}
    assert len(pages) == 1


def test_deactivated_child_cannot_post_the_right_secret(app, client, world, auth):
    with app.app_context():
        clubs.set_child_active(db.session.get(User, world.children[0]), False)
    assert auth.child(world.children[0]).status_code == 404
    assert logged_in_as(client) is None


# ---- lockouts through the pages ------------------------------------------------------------


def test_child_is_locked_after_the_limit_with_a_clear_message(app, english, world, auth):
    url = secret_url(app, world.children[0])
    for _ in range(2):
        assert english.post(url, data={"sequence": wrong_pictures(app, world.children[0])}
                            ).status_code == 422
    r = english.post(url, data={"sequence": wrong_pictures(app, world.children[0])})
    html = r.get_data(as_text=True)
    assert r.status_code == 429
    assert "Too many wrong tries for this name" in html
    assert "15 minutes" in html and "librarian can open it now" in html
    assert 'name="add"' not in html  # no grid while locked
    # The right secret is refused while locked, and the lock shows on a plain visit too.
    assert auth.child(world.children[0]).status_code == 429
    assert logged_in_as(english) is None
    assert english.get(url).status_code == 429


def test_child_lock_expires_by_itself_through_the_page(app, client, world, auth, clock):
    for _ in range(3):
        client.post(secret_url(app, world.children[0]),
                    data={"sequence": wrong_pictures(app, world.children[0])})
    assert auth.child(world.children[0]).status_code == 429
    clock.advance(minutes=15, seconds=1)
    assert auth.child(world.children[0]).status_code == 302


def test_librarian_lifting_the_lock_lets_the_child_in(app, client, world, auth, clock):
    for _ in range(3):
        client.post(secret_url(app, world.children[0]),
                    data={"sequence": wrong_pictures(app, world.children[0])})
    clock.advance(seconds=1)
    with app.app_context():
        service.lift_child_lock(db.session.get(User, world.children[0]))
    clock.advance(seconds=1)
    assert auth.child(world.children[0]).status_code == 302


def test_one_pc_is_locked_after_many_failures_not_the_library(app, english, world, auth, clock):
    a, b, c = world.children
    english.get(secret_url(app, a))  # a browser opens the page first: its device cookie
    for child_id in (a, a, b, b, c):
        english.post(secret_url(app, child_id), data={"sequence": wrong_pictures(app, child_id)})
    r = english.get(secret_url(app, c))
    assert r.status_code == 429
    assert "Too many wrong tries from this computer" in r.get_data(as_text=True)
    # Another PC of the library, behind the same address, is not locked.
    other_pc = english.application.test_client()
    other_pc.get(secret_url(app, c))
    r = other_pc.post(secret_url(app, c), data={"sequence": ",".join(child_secret(app, c).value)})
    assert r.status_code == 302
    clock.advance(seconds=1)
    with app.app_context():
        service.lift_club_locks(db.session.get(Club, world.club))
    clock.advance(seconds=1)
    assert auth.child(c).status_code == 302


def test_lock_minutes_count_down(app, english, world, clock):
    url = secret_url(app, world.children[0])
    for _ in range(3):
        english.post(url, data={"sequence": wrong_pictures(app, world.children[0])})
    clock.advance(minutes=14, seconds=10)
    html = english.get(url).get_data(as_text=True)
    assert "in 1 minute," in html


# ---- sessions: fixation, logout, "this is not me", secret reset ----------------------------


def test_child_login_starts_a_fresh_session(app, client, world, auth):
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        sess["locale"] = "hu"
    auth.child(world.children[0])
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["locale"] == "hu"  # only the chosen language is carried over
        assert sess["_user_id"].startswith(f"{world.children[0]}:")


def test_staff_login_starts_a_fresh_session(client, world, auth):
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    assert auth.staff(world.librarian).status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_this_is_not_me_logs_the_child_out_back_to_the_names(app, client, world, auth):
    auth.child(world.children[0])
    r = auth.logout()
    assert r.status_code == 302 and r.location == f"/copii/{world.join_codes[world.club]}"
    assert logged_in_as(client) is None
    r = client.get("/acasa")
    assert r.status_code == 302 and r.location.startswith("/copii")


def test_staff_logout_goes_to_the_staff_login(client, world, auth):
    auth.staff(world.librarian)
    r = auth.logout()
    assert r.status_code == 302 and r.location == "/autentificare"
    assert logged_in_as(client) is None


def test_child_page_header_has_the_not_me_button(app, client, world, auth):
    auth.child(world.children[0])
    html = client.get("/acasa").get_data(as_text=True)
    assert 'action="/iesire"' in html and 'class="not-me"' in html


def test_resetting_the_secret_ends_the_childs_session(app, client, world, auth):
    auth.child(world.children[0])
    assert client.get("/acasa").status_code == 200
    with app.app_context():
        clubs.reset_secret(db.session.get(User, world.children[0]))
    r = client.get("/acasa")
    assert r.status_code == 302 and r.location.startswith("/copii")


def test_deactivating_a_child_ends_their_session(app, client, world, auth):
    auth.child(world.children[0])
    with app.app_context():
        clubs.set_child_active(db.session.get(User, world.children[0]), False)
    assert client.get("/acasa").status_code == 302


# ---- idle logout ---------------------------------------------------------------------------


def _idle_for(client, minutes):
    with client.session_transaction() as sess:
        sess["last_seen"] = (utcnow() - timedelta(minutes=minutes)).isoformat()


def test_idle_child_is_logged_out_back_to_the_names(app, english, world, auth):
    auth.child(world.children[0])
    _idle_for(english, 21)
    r = english.get("/acasa")
    assert r.status_code == 302 and r.location == f"/copii/{world.join_codes[world.club]}"
    assert logged_in_as(english) is None
    html = english.get(r.location).get_data(as_text=True)
    assert "logged out because nobody used the site" in html


def test_a_child_active_within_the_limit_stays(app, client, world, auth):
    auth.child(world.children[0])
    _idle_for(client, 19)
    assert client.get("/acasa").status_code == 200
    with client.session_transaction() as sess:  # the visit counts as activity
        seen = sess["last_seen"]
    assert utcnow() - __import__("datetime").datetime.fromisoformat(seen) < timedelta(minutes=1)


def test_a_fresh_last_seen_is_not_rewritten(app, client, world, auth):
    """Within a minute of the last write the session is left alone: no new cookie
    (re-signing it on every request cost CPU under load), same last_seen."""
    auth.child(world.children[0])
    assert client.get("/acasa").status_code == 200  # the page adds its CSRF token once
    _idle_for(client, 0)
    with client.session_transaction() as sess:
        before = sess["last_seen"]
    r = client.get("/acasa")
    assert r.status_code == 200
    assert not any(h.startswith("session=") for h in r.headers.getlist("Set-Cookie"))
    with client.session_transaction() as sess:
        assert sess["last_seen"] == before


def test_a_last_seen_over_a_minute_old_is_refreshed(app, client, world, auth):
    auth.child(world.children[0])
    _idle_for(client, 2)
    r = client.get("/acasa")
    assert any(h.startswith("session=") for h in r.headers.getlist("Set-Cookie"))
    with client.session_transaction() as sess:
        seen = sess["last_seen"]
    assert utcnow() - __import__("datetime").datetime.fromisoformat(seen) < timedelta(seconds=5)


def test_idle_staff_go_to_the_staff_login(client, world, auth):
    auth.staff(world.librarian)
    _idle_for(client, 21)
    r = client.get("/parola")
    assert r.status_code == 302 and r.location == "/autentificare"


class TestShorterIdleLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "idle_logout_minutes": 5}

    def test_the_idle_limit_follows_the_setting(self, app, client, world, auth):
        auth.child(world.children[0])
        html = client.get("/acasa").get_data(as_text=True)
        assert 'data-idle-minutes="5"' in html
        assert 'data-idle-url="/iesire?reason=idle"' in html
        _idle_for(client, 4)
        assert client.get("/acasa").status_code == 200
        _idle_for(client, 6)
        assert client.get("/acasa").status_code == 302


def test_the_idle_timer_logs_out_with_a_message(app, english, world, auth):
    auth.child(world.children[0])
    r = english.post("/iesire?reason=idle")  # static/js/site.js posts a form there
    assert r.status_code == 302 and r.location == f"/copii/{world.join_codes[world.club]}"
    assert "nobody used the site" in english.get(r.location).get_data(as_text=True)


def test_logout_when_nobody_is_logged_in(client):
    r = client.get("/iesire")
    assert r.status_code == 302 and r.location == "/copii"


# ---- staff login ---------------------------------------------------------------------------


def test_staff_login_and_wrong_password(english, world, auth):
    r = auth.staff(world.librarian, password="not the password")
    assert r.status_code == 422
    assert "The username or the password is not right" in r.get_data(as_text=True)
    assert 'value="not the password"' not in r.get_data(as_text=True)
    assert logged_in_as(english) is None
    r = auth.staff(world.librarian)
    assert r.status_code == 302 and r.location == "/"
    assert logged_in_as(english) == world.librarian


def test_staff_lockout_message(app, english, world, auth):
    english.get("/autentificare")  # the browser's device cookie
    for _ in range(app.config["CODEKIDS"].account_device_max_failures):
        auth.staff(world.librarian, password="not the password")
    r = auth.staff(world.librarian)
    assert r.status_code == 429
    assert "Too many failed attempts for this username" in r.get_data(as_text=True)
    assert logged_in_as(english) is None


def test_local_next_is_honoured(client, world):
    r = client.post("/autentificare", data={"username": "ana.bibliotecara",
                                            "password": STAFF_PASSWORD, "next": "/parola?x=1"})
    assert r.status_code == 302 and r.location == "/parola?x=1"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
     "javascript:alert(1)", "http:/evil.example", " //evil.example", "/\t/evil.example"],
)
def test_next_to_another_site_is_refused(client, world, target):
    r = client.post("/autentificare", data={"username": "ana.bibliotecara",
                                            "password": STAFF_PASSWORD, "next": target})
    assert r.status_code == 302 and r.location == "/"


def test_next_from_the_query_string_travels_in_the_form(client):
    html = client.get("/autentificare?next=/parola").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/parola"' in html
    html = client.get("/autentificare?next=//evil.example").get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in html


def test_protected_staff_page_sends_anonymous_visitors_to_login_with_next(client):
    r = client.get("/parola")
    assert r.status_code == 302 and r.location.startswith("/autentificare?next=/parola")


# ---- forced and voluntary password change -----------------------------------------------


@pytest.fixture
def temporary(app, world):
    with app.app_context():
        user = db.session.get(User, world.librarian)
        user.must_change_password = True
        db.session.commit()
    return world.librarian


def test_temporary_password_forces_a_change_before_anything_else(app, english, world, auth,
                                                                temporary):
    r = auth.staff(temporary)
    assert r.status_code == 302 and r.location == "/parola"
    for path in ("/", "/copii", "/autentificare"):
        r = english.get(path)
        assert r.status_code == 302 and r.location == "/parola", path
    html = english.get("/parola").get_data(as_text=True)
    assert "temporary password" in html
    assert english.post("/language", data={"lang": "hu", "next": "/parola"}).location == "/parola"
    assert english.get("/static/css/site.css").status_code == 200
    r = english.post("/parola", data={"current_password": STAFF_PASSWORD,
                                      "new_password": "my very own password",
                                      "confirm_password": "my very own password"})
    assert r.status_code == 302 and r.location == "/"
    assert english.get("/copii").status_code == 200


@pytest.mark.parametrize(
    "current,new,words",
    [
        ("wrong current pw", "a brand new password", "current password is not right"),
        (STAFF_PASSWORD, STAFF_PASSWORD, "must be different from the current one"),
        (STAFF_PASSWORD, "short", "too short"),
        (STAFF_PASSWORD, "ana.bibliotecara-2025", "must not contain your username"),
        (STAFF_PASSWORD, "abcabcabcabc", "too simple"),
    ],
)
def test_password_rejections_are_shown_in_words(english, world, auth, current, new, words):
    auth.staff(world.librarian)
    r = english.post("/parola", data={"current_password": current, "new_password": new,
                                      "confirm_password": new})
    assert r.status_code == 422
    assert words in r.get_data(as_text=True)


def test_new_passwords_must_match(english, world, auth):
    auth.staff(world.librarian)
    r = english.post("/parola", data={"current_password": STAFF_PASSWORD,
                                      "new_password": "a brand new password",
                                      "confirm_password": "a brand new passwork"})
    assert r.status_code == 200
    assert "The two new passwords are not the same" in r.get_data(as_text=True)


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, client, world, auth):
    other_pc = app.test_client()
    other_pc.post("/autentificare", data={"username": "ana.bibliotecara",
                                          "password": STAFF_PASSWORD})
    assert other_pc.get("/parola").status_code == 200
    auth.staff(world.librarian)
    r = client.post("/parola", data={"current_password": STAFF_PASSWORD,
                                     "new_password": "a brand new password",
                                     "confirm_password": "a brand new password"})
    assert r.status_code == 302
    assert client.get("/parola").status_code == 200
    assert other_pc.get("/parola").status_code == 302
    auth.logout()
    assert auth.staff(world.librarian, password="a brand new password").status_code == 302


def test_children_cannot_reach_the_password_page(app, client, world, auth):
    auth.child(world.children[0])
    assert client.get("/parola").status_code == 403


# ---- invitations ---------------------------------------------------------------------------


@pytest.fixture
def invitation(app, world):
    with app.app_context():
        user = service.create_staff(role="librarian", username="maria.noua", display_name="Maria",
                                    county=None)
        return service.create_invitation(user, None)


def test_invitation_shows_the_username_and_logs_in(app, client, world, invitation):
    html = client.get(f"/invitatie/{invitation}").get_data(as_text=True)
    assert "maria.noua" in html and 'name="new_password"' in html
    r = client.post(f"/invitatie/{invitation}", data={"new_password": "my own good password",
                                                      "confirm_password": "my own good password"})
    assert r.status_code == 302 and r.location == "/"
    with app.app_context():
        user_id = db.session.scalar(
            __import__("sqlalchemy").select(User.id).where(User.username == "maria.noua"))
    assert logged_in_as(client) == user_id


def test_a_used_invitation_does_not_work_again(app, english, world, invitation):
    data = {"new_password": "my own good password", "confirm_password": "my own good password"}
    english.post(f"/invitatie/{invitation}", data=data)
    fresh = app.test_client()
    fresh.post("/language", data={"lang": "en"})
    r = fresh.get(f"/invitatie/{invitation}")
    assert r.status_code == 404
    assert "This invitation link does not work any more" in r.get_data(as_text=True)
    assert fresh.post(f"/invitatie/{invitation}", data=data).status_code == 404
    assert logged_in_as(fresh) is None


def test_an_expired_or_made_up_invitation(app, client, world, invitation, clock):
    assert client.get("/invitatie/made-up").status_code == 404
    clock.advance(days=8)
    assert client.get(f"/invitatie/{invitation}").status_code == 404


def test_a_weak_invitation_password_is_explained_and_the_link_still_works(english, world,
                                                                          invitation):
    r = english.post(f"/invitatie/{invitation}", data={"new_password": "short",
                                                       "confirm_password": "short"})
    assert r.status_code == 422 and "too short" in r.get_data(as_text=True)
    assert english.get(f"/invitatie/{invitation}").status_code == 200


# ---- CSRF on every login form ----------------------------------------------------------------


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_login_forms_refuse_a_post_without_the_token(self, app, client, world):
        assert client.post("/copii", data={"code": world.join_codes[world.club]}).status_code == 400
        assert client.post("/autentificare", data={"username": "ana.bibliotecara",
                                                   "password": STAFF_PASSWORD}).status_code == 400
        assert client.post(secret_url(app, world.children[0]),
                           data={"add": "sun"}).status_code == 400

    def test_the_token_in_the_page_is_accepted(self, app, client, world):
        html = client.get("/copii").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        r = client.post("/copii", data={"code": world.join_codes[world.club],
                                        "csrf_token": token})
        assert r.status_code == 302


# ---- logging out keeps only the chosen language (accounts.service.end_session) ----------


def _plant(client, locale="hu"):
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        sess["locale"] = locale


def test_logout_keeps_only_the_chosen_language(client, world, auth):
    auth.staff(world.librarian)
    _plant(client)
    auth.logout()
    with client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" not in sess
        assert sess["locale"] == "hu"


def test_idle_logout_keeps_only_the_chosen_language(client, world, auth):
    auth.child(world.children[0])
    _plant(client)
    _idle_for(client, 21)
    r = client.get("/acasa")
    assert r.status_code == 302 and r.location == f"/copii/{world.join_codes[world.club]}"
    with client.session_transaction() as sess:
        assert "planted" not in sess and "_user_id" not in sess and "last_seen" not in sess
        assert sess["locale"] == "hu"


def test_a_language_that_is_not_ours_is_not_carried_over(client, world, auth):
    auth.staff(world.librarian)
    _plant(client, locale="xx")
    auth.logout()
    with client.session_transaction() as sess:
        assert "locale" not in sess


def test_after_logout_a_child_of_a_closed_club_goes_to_the_club_code_page(app, world):
    """A closed club has no nickname list to go back to (its children's sessions end at
    their next request anyway, web._load_user)."""
    with app.test_request_context():
        child = db.session.get(User, world.children[0])
        assert service.page_after_logout(child) == f"/copii/{world.join_codes[world.club]}"
        child.club.active = False
        assert service.page_after_logout(child) == "/copii"
        assert service.page_after_logout(db.session.get(User, world.librarian)) == "/autentificare"
