"""Staff login against guessing (issue 15, point 2): the same device cookies as the
children's, a per-address throttle, and nothing that tells a real username from a
made-up one, neither in the answer nor in its time.

"ana.bibliotecara" is a real librarian; "ana.bibliotecarx" (same length) is nobody.
"""

from __future__ import annotations

import re
import statistics
import time

import pytest

from codekids import db
from codekids.accounts import devices, passwords, service
from codekids.accounts.models import User

from .conftest import STAFF_PASSWORD

REAL = "ana.bibliotecara"
NOBODY = "ana.bibliotecarx"
CSRF = re.compile(
    r'(?<=name="csrf-token" content=")[^"]*|(?<=name="csrf_token" value=")[^"]*'
    r'|(?<=id="csrf_token" name="csrf_token" type="hidden" value=")[^"]*'
)


class Browser:
    def __init__(self, app, address: str = "127.0.0.1"):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.client.post("/language", data={"lang": "en"})
        self.client.get("/autentificare")  # its device cookie

    def log_in(self, username: str, password: str):
        return self.client.post("/autentificare", data={"username": username, "password": password})


def same_page(response, typed: str) -> tuple[int, str]:
    """Status and body, with what was typed (shown back in the form) and the session's
    own CSRF token blanked out: what is left must not differ."""
    html = response.get_data(as_text=True).replace(typed, "TYPED")
    return response.status_code, CSRF.sub("CSRF", html)


def test_a_real_and_a_made_up_username_get_the_same_answers_all_the_way_to_the_lock(
    app, world, clock
):
    real, nobody = Browser(app), Browser(app)
    limit = app.config["CODEKIDS"].account_device_max_failures
    answers = []
    for n in range(limit + 2):
        a = same_page(real.log_in(REAL, "not the password"), REAL)
        b = same_page(nobody.log_in(NOBODY, "not the password"), NOBODY)
        assert a == b
        answers.append(a[0])
        if n == 3:  # too soon after the third: both are told to wait, alike
            assert a[0] == 429 and "Please wait 5 seconds before trying again." in a[1]
            answers.pop()
        clock.advance(seconds=0 if n == 2 else 60)
    assert answers == [422] * (limit - 1) + [429] * 2
    a = same_page(real.log_in(REAL, STAFF_PASSWORD), REAL)
    assert a == same_page(nobody.log_in(NOBODY, STAFF_PASSWORD), NOBODY)
    assert a[0] == 429 and "Too many failed attempts for this username" in a[1]


def test_the_same_answer_for_a_username_locked_on_every_new_browser(app, world):
    """A username tried from many browsers (and addresses) is held back on every
    browser it never logged in from, whether anyone has it or not."""
    librarians_pc = Browser(app)
    assert librarians_pc.log_in(REAL, STAFF_PASSWORD).status_code == 302
    librarians_pc.client.post("/iesire")
    limit = app.config["CODEKIDS"].staff_max_failures
    for n in range(limit):
        for name in (REAL, NOBODY):
            Browser(app, address=f"10.7.{n}.1").log_in(name, "not the password")
    a = same_page(Browser(app, address="10.8.0.1").log_in(REAL, STAFF_PASSWORD), REAL)
    b = same_page(Browser(app, address="10.8.0.1").log_in(NOBODY, STAFF_PASSWORD), NOBODY)
    assert a == b and a[0] == 429
    assert "Too many failed attempts for this username" in a[1]
    # The librarian's own PC is trusted for her: she logs in as usual.
    assert librarians_pc.log_in(REAL, STAFF_PASSWORD).status_code == 302


def test_a_deactivated_account_answers_like_a_wrong_password(app, world):
    with app.app_context():
        db.session.get(User, world.librarian).active = False
        db.session.commit()
    a = same_page(Browser(app).log_in(REAL, STAFF_PASSWORD), REAL)
    b = same_page(Browser(app).log_in(NOBODY, STAFF_PASSWORD), NOBODY)
    assert a == b and a[0] == 422


def test_one_password_hash_is_verified_whatever_the_case(app, world, monkeypatch):
    """Unknown, known, locked or turned off: one Argon2 verification each, so the
    time of an answer cannot tell a real username from a made-up one."""
    calls = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(
        passwords, "verify_password", lambda h, p: calls.append(h) or real_verify(h, p)
    )
    limit = app.config["CODEKIDS"].account_device_max_failures
    device = devices.new_device_id()
    with app.app_context():
        for name in (REAL, NOBODY):
            for _ in range(limit + 2):  # wrong, then locked on this browser
                calls.clear()
                service.staff_login(name, "not the password", "10.0.0.1", device)
                assert len(calls) == 1
        calls.clear()
        locked = service.staff_login(REAL, STAFF_PASSWORD, "10.0.0.1", device)
        assert locked.lock is not None and not locked.ok and len(calls) == 1
        # While locked, the real hash is not even tried: the right password tells nothing.
        assert calls[0] != db.session.get(User, world.librarian).password_hash
        db.session.get(User, world.librarian).active = False
        db.session.commit()
        calls.clear()
        assert not service.staff_login(REAL, STAFF_PASSWORD, "10.0.0.2").ok
        assert len(calls) == 1


class TestTiming:
    """With a realistic hash cost, unknown, wrong and locked answers take about as long."""

    @pytest.fixture
    def app_config(self, app_config):
        return {
            **app_config,
            "argon2_time_cost": 2,
            "argon2_memory_kib": 16384,
            "device_slow_seconds": 0,
        }

    def test_known_unknown_and_locked_take_similar_time(self, app, world):
        with app.app_context():
            # The librarians' hashes were made with the fast test cost: give one the real one.
            user = db.session.get(User, world.librarian)
            user.password_hash = passwords.hash_password(STAFF_PASSWORD)
            db.session.commit()
            service.staff_login(NOBODY, "warm-up", "10.0.0.9")  # the dummy hash, made once

            locked = devices.new_device_id()
            for _ in range(app.config["CODEKIDS"].account_device_max_failures):
                service.staff_login(REAL, "not the password", "10.0.0.1", locked)
            assert service.staff_login(REAL, "x", "10.0.0.1", locked).lock is not None
            # Interleaved rounds, so that the load of a shared machine falls on all three.
            spent: dict[str, list[float]] = {"known": [], "unknown": [], "locked": []}
            for _ in range(9):
                for case, name, device in (
                    ("known", REAL, devices.new_device_id()),
                    ("unknown", NOBODY, devices.new_device_id()),
                    ("locked", REAL, locked),
                ):
                    start = time.perf_counter()
                    service.staff_login(name, "not the password", "10.0.0.1", device)
                    spent[case].append(time.perf_counter() - start)
        ms = {case: statistics.median(times) * 1000 for case, times in spent.items()}
        # One hash each: the gap of the old code (10-30 ms against 170-700 ms) is gone.
        for case in ("unknown", "locked"):
            assert 0.5 < ms[case] / ms["known"] < 2, ms


class TestPerAddress:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "staff_address_max_failures": 6}

    def test_many_usernames_from_one_address_are_throttled_there(self, app, world):
        librarians_pc = Browser(app)
        assert librarians_pc.log_in(REAL, STAFF_PASSWORD).status_code == 302
        librarians_pc.client.post("/iesire")
        # Someone tries six usernames, each from a new browser (cookies cleared).
        for n in range(6):
            Browser(app).log_in(f"guess.{n}", "not the password")
        r = Browser(app).log_in(REAL, STAFF_PASSWORD)
        assert r.status_code == 429
        assert "Too many failed attempts from this network" in r.get_data(as_text=True)
        # Another address, and the librarian's own PC at this one, are not held back.
        assert Browser(app, address="10.5.5.5").log_in(REAL, STAFF_PASSWORD).status_code == 302
        assert librarians_pc.log_in(REAL, STAFF_PASSWORD).status_code == 302


def test_a_browser_guessing_many_usernames_is_locked(app, world, clock):
    pc = Browser(app)
    statuses = []
    for n in range(app.config["CODEKIDS"].device_max_failures):
        while True:
            r = pc.log_in(f"guess.{n}", "not the password")
            html = r.get_data(as_text=True)
            if r.status_code == 429 and "Please wait" in html and "not right" not in html:
                clock.advance(seconds=60)
                continue
            statuses.append(r.status_code)
            break
    assert statuses[-1] == 429
    r = pc.log_in(REAL, STAFF_PASSWORD)
    assert r.status_code == 429
    assert "Too many failed attempts from this computer" in r.get_data(as_text=True)
    assert Browser(app).log_in(REAL, STAFF_PASSWORD).status_code == 302


def test_no_page_tells_whether_an_invitation_or_username_exists(app, client, world):
    made_up = same_page(client.get("/invitatie/" + "x" * 43), "x" * 43)
    other = same_page(client.get("/invitatie/" + "y" * 43), "y" * 43)
    assert made_up == other and made_up[0] == 404
