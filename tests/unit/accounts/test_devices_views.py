"""Lockouts a prankster cannot turn against others (issue 15, point 2), and club codes
throttled (point 5), through the real pages.

Each `Browser` is its own test client with its own cookies (its device cookie among
them), and every one of them comes from the same address, 127.0.0.1: the PCs of a
library all reach the site from one address. The settings are the real defaults
unless a test says otherwise.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import devices, service
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import LoginAttempt, User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club

from .conftest import child_secret, secret_url

WAIT = re.compile(r"wait (\d+) seconds?")
# A time of day as Babel writes it for the page's language (English: "3:14\u202fPM").
LOCAL_TIME = r"\d{1,2}:\d\d(?:[\s\u202f][AP]M)?"


@pytest.fixture
def eight(app, world) -> list[int]:
    """Club A (picture secrets) with eight children: Ana, Mihai, Ioana and five more."""
    with app.app_context():
        club = db.session.get(Club, world.club)
        more = clubs.create_children(club, "Bianca\nDan\nEla\nFlorin\nGeo").created
        return [*world.children, *(c.id for c in more)]


def wrong_guess(secret, n: int) -> tuple[str, ...]:
    """The n-th three-picture guess that is not the secret: a prankster tries new ones."""
    guesses = (
        g for g in itertools.permutations(child_secrets.PICTURES, 3) if g != tuple(secret.value)
    )
    return next(itertools.islice(guesses, n, None))


class Browser:
    """One browser on one of the library's PCs, reading the site in English."""

    def __init__(self, app, address: str = "127.0.0.1"):
        self.app = app
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.client.post("/language", data={"lang": "en"})
        self.guesses = 0
        self.clears_cookies = False  # a prankster deleting the device cookie before each try

    @property
    def device(self) -> str | None:
        cookie = self.client.get_cookie(devices.COOKIE_NAME)
        with self.app.app_context():
            return devices.read(cookie.value) if cookie else None

    def open(self, child_id: int):
        return self.client.get(secret_url(self.app, child_id))

    def answer(self, child_id: int, right: bool):
        secret = child_secret(self.app, child_id)
        if right:
            sequence = secret.value
        else:
            sequence = wrong_guess(secret, self.guesses)
            self.guesses += 1
        if self.clears_cookies:
            self.client.delete_cookie(devices.COOKIE_NAME)
        return self.client.post(
            secret_url(self.app, child_id), data={"sequence": ",".join(sequence)}
        )

    def log_in(self, child_id: int) -> int:
        self.open(child_id)
        status = self.answer(child_id, right=True).status_code
        self.client.post("/iesire")  # "This is not me": the next child's turn
        return status


def patient_wrong(browser: Browser, child_id: int, clock, waits: list[int] | None = None):
    """A wrong secret, sent again after every "wait N seconds" until it is answered."""
    while True:
        r = browser.answer(child_id, right=False)
        match = WAIT.search(r.get_data(as_text=True))
        if r.status_code == 429 and match:
            if waits is not None:
                waits.append(int(match.group(1)))
            clock.advance(seconds=int(match.group(1)))
            browser.guesses -= 1  # the same guess again: it was not even looked at
            continue
        return r


def failures_from(app, device: str | None) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.device_id.is_(None)
                if device is None
                else LoginAttempt.device_id == device,
                LoginAttempt.succeeded.is_(False),
            )
        )


# ---- the scenario -------------------------------------------------------------


def test_a_pranksters_25_wrong_secrets_for_five_children_lock_only_his_browser(app, eight, clock):
    ana, mihai, ioana, bianca, dan, ela, florin, geo = eight
    victims = [ana, mihai, bianca, dan, ela]
    # Last week Bianca logged in on her usual PC: that browser is trusted for her.
    biancas_pc = Browser(app)
    assert biancas_pc.log_in(bianca) == 302

    prankster = Browser(app)
    prankster.open(ana)
    statuses, waits = [], []
    for n in range(25):
        statuses.append(patient_wrong(prankster, victims[n % 5], clock, waits).status_code)

    # Nine wrong answers, slowed down more after each from the third on; the tenth
    # locks the browser, and the fifteen after it are refused without being looked at.
    assert statuses == [422] * 9 + [429] * 16
    assert waits == [5, 10, 15, 20, 25, 30, 35]
    assert failures_from(app, prankster.device) == 10
    page = prankster.open(geo).get_data(as_text=True)
    assert "Too many wrong tries from this computer" in page and 'name="add"' not in page
    assert f"This computer's code is <strong>{devices.label(prankster.device)}</strong>" in page

    # Two other children log in from another browser of the same library...
    next_pc = Browser(app)
    assert next_pc.log_in(ioana) == 302
    assert next_pc.log_in(florin) == 302
    # ...a victim logs in from the browser she used before...
    assert biancas_pc.log_in(bianca) == 302
    # ...and every victim, from any other browser: no child is locked everywhere.
    for child_id in victims:
        assert Browser(app).log_in(child_id) == 302
    # The prankster's browser opens again by itself after 15 minutes.
    clock.advance(minutes=15)
    assert prankster.open(geo).status_code == 200


def test_a_child_who_used_the_pranksters_pc_before_still_logs_in_there(app, eight, clock):
    ana, mihai, ioana, *_ = eight
    pc = Browser(app)
    assert pc.log_in(ioana) == 302  # Ioana's usual PC
    for n in range(10):
        patient_wrong(pc, [ana, mihai][n % 2], clock)
    assert pc.open(ana).status_code == 429
    # Trusted for Ioana: the lock of this PC is for the children it never logged in as.
    assert pc.open(ioana).status_code == 200
    assert pc.log_in(ioana) == 302


def test_five_wrong_tries_for_one_child_lock_that_child_on_that_browser_only(app, eight, clock):
    ana, mihai, *_ = eight
    anas_pc = Browser(app)
    assert anas_pc.log_in(ana) == 302
    # Trusted or not, five wrong tries for one child lock that pair: here on Ana's own PC.
    for _ in range(app.config["CODEKIDS"].account_device_max_failures):
        r = patient_wrong(anas_pc, ana, clock)
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert "Too many wrong tries for this name on this computer" in html
    assert f"This computer's code is <strong>{devices.label(anas_pc.device)}</strong>" in html
    assert anas_pc.answer(ana, right=True).status_code == 429
    # Mihai on the same PC, and Ana on another, are not affected.
    assert anas_pc.log_in(mihai) == 302
    assert Browser(app).log_in(ana) == 302


def test_a_trusted_browser_is_never_slowed_down(app, eight):
    ana, *_ = eight
    anas_pc = Browser(app)
    assert anas_pc.log_in(ana) == 302
    for _ in range(4):
        r = anas_pc.answer(ana, right=False)
        assert r.status_code == 422 and not WAIT.search(r.get_data(as_text=True))


def test_slowed_down_tries_are_not_looked_at_and_the_grid_stays(app, eight, clock):
    ana, *_ = eight
    pc = Browser(app)
    pc.open(ana)
    for _ in range(2):
        assert pc.answer(ana, right=False).status_code == 422
    third = pc.answer(ana, right=False)
    html = third.get_data(as_text=True)
    assert third.status_code == 422  # still told it was wrong...
    assert "Those are not your pictures" in html and "wait 5 seconds" in html  # ...and to wait
    early = pc.answer(ana, right=True)  # the right secret, too early: refused, not checked
    html = early.get_data(as_text=True)
    assert early.status_code == 429 and "wait 5 seconds" in html
    assert 'name="add"' in html  # the pictures stay: the child can try again in a moment
    assert failures_from(app, pc.device) == 3
    clock.advance(seconds=5)
    assert pc.answer(ana, right=True).status_code == 302


# ---- cookies cleared: the anonymous device ---------------------------------------------


def test_a_prankster_who_clears_the_cookie_before_each_try(app, eight, clock):
    """Tries that arrive without a device cookie all count as one "anonymous" browser
    of their address: five of them lock the cookie-less browsers of that address,
    nobody else."""
    ana, mihai, ioana, *_ = eight
    anas_pc = Browser(app)
    assert anas_pc.log_in(ana) == 302
    prankster = Browser(app)
    prankster.open(ana)
    prankster.clears_cookies = True
    statuses = []
    for n in range(8):
        statuses.append(patient_wrong(prankster, [ana, mihai][n % 2], clock).status_code)
    assert statuses == [422] * 4 + [429] * 4
    assert failures_from(app, None) == 5
    r = prankster.answer(ioana, right=True)
    assert r.status_code == 429 and "Too many wrong tries from this computer" in r.get_data(
        as_text=True
    )
    # Browsers that keep their cookie, new or trusted, are not affected.
    assert Browser(app).log_in(ioana) == 302
    assert anas_pc.log_in(ana) == 302


def test_a_prankster_who_takes_a_new_cookie_for_every_try(app, eight):
    """Each try from a brand-new browser: no browser reaches its own limits, so only
    the child's own count across new browsers (child_max_failures) stops him. Then
    that child waits on new browsers only: her own PC, and every other child, are fine."""
    ana, mihai, ioana, *_ = eight
    anas_pc = Browser(app)
    assert anas_pc.log_in(ana) == 302
    limit = app.config["CODEKIDS"].child_max_failures
    for n in range(limit):
        fresh = Browser(app)
        fresh.guesses = n
        fresh.open(ana)
        assert fresh.answer(ana, right=False).status_code == (422 if n < limit - 1 else 429)
    refused = Browser(app)
    refused.open(ana)
    r = refused.answer(ana, right=True)
    assert r.status_code == 429
    assert "Too many wrong tries for this name." in r.get_data(as_text=True)
    assert anas_pc.log_in(ana) == 302
    assert Browser(app).log_in(mihai) == 302


# ---- club codes ------------------------------------------------------------------------


def type_code(browser: Browser, code: str):
    return browser.client.post("/copii", data={"code": code})


def test_wrong_club_codes_from_one_browser_must_wait(app, world, clock):
    right = world.join_codes[world.club]
    pc = Browser(app)
    pc.client.get("/copii")
    limit = app.config["CODEKIDS"].club_code_device_max_failures
    for n in range(limit - 1):
        r = type_code(pc, f"ZZZ{n:03d}")
        assert r.status_code == 200 and "could not find a club" in r.get_data(as_text=True)
    r = type_code(pc, "ZZZ999")
    assert r.status_code == 429
    assert "Many wrong club codes were typed here. Wait 10 minutes" in r.get_data(as_text=True)
    # While it waits, the right code gets the same answer (no oracle), typed or in the URL.
    assert type_code(pc, right).status_code == 429
    assert pc.client.get(f"/copii/{right}").status_code == 429
    assert pc.open(world.children[0]).status_code == 429
    # Another browser at the same address is not held back.
    other = Browser(app)
    assert type_code(other, right).status_code == 302
    clock.advance(minutes=10)
    assert type_code(pc, right).status_code == 302


def test_codes_in_the_url_count_as_well(app, world):
    pc = Browser(app)
    pc.client.get("/copii")
    limit = app.config["CODEKIDS"].club_code_device_max_failures
    statuses = [pc.client.get(f"/copii/QQQ{n:03d}").status_code for n in range(limit)]
    statuses.append(pc.client.get(f"/copii/QQQ{limit:03d}/1").status_code)
    assert statuses == [404] * (limit - 1) + [429, 429]


def test_many_browsers_guessing_codes_hold_back_new_browsers_of_that_address_only(
    app, world, clock
):
    right = world.join_codes[world.club]
    known = Browser(app)
    assert known.log_in(world.children[0]) == 302  # a PC a child logged in on before
    for n in range(app.config["CODEKIDS"].club_code_max_failures):
        type_code(Browser(app), f"YYY{n:03d}")  # a new browser (cookie cleared) each time
    assert type_code(Browser(app), right).status_code == 429
    assert type_code(known, right).status_code == 302
    assert type_code(Browser(app, address="10.9.9.9"), right).status_code == 302
    clock.advance(minutes=10)
    assert type_code(Browser(app), right).status_code == 302


# ---- the librarian sees and lifts ------------------------------------------------------


def test_the_librarian_sees_which_computer_is_locked_and_unlocks_it(app, eight, clock, login):
    ana, mihai, ioana, *_ = eight
    prankster = Browser(app)
    prankster.open(ana)
    for _ in range(5):
        patient_wrong(prankster, ana, clock)
    for _ in range(5):
        patient_wrong(prankster, mihai, clock)
    code = devices.label(prankster.device)
    locked_page = prankster.open(ioana).get_data(as_text=True)
    assert f"This computer's code is <strong>{code}</strong>" in locked_page

    librarian = login(world_librarian(app, ana))
    page = librarian.get(f"/cluburi/{club_of(app, ana)}").get_data(as_text=True)
    assert "Locked computers" in page
    row = re.search(rf"Computer {code}.*?</tr>", page, re.S).group(0)
    assert "address 127.0.0.1" in row and "Ana, Mihai" in row
    assert re.search(rf"<td>{LOCAL_TIME}</td>", row)  # until when, in the library's time
    assert "Unlock this computer" in row
    # Ana's row says she is locked on that computer only.
    assert re.search(rf"locked on computer {code} until {LOCAL_TIME}", page)

    r = librarian.post(
        f"/cluburi/{club_of(app, ana)}/deblocare-calculator", data={"device": prankster.device}
    )
    assert r.status_code == 302
    page = librarian.get(f"/cluburi/{club_of(app, ana)}").get_data(as_text=True)
    assert "Locked computers" not in page and f"computer {code}" not in page
    assert prankster.open(ioana).status_code == 200
    assert prankster.log_in(mihai) == 302


def test_the_librarian_unlocks_the_cookieless_browsers_of_an_address(app, eight, clock, login):
    ana, mihai, *_ = eight
    prankster = Browser(app, address="10.4.4.4")
    prankster.clears_cookies = True
    for n in range(5):
        patient_wrong(prankster, [ana, mihai][n % 2], clock)
    librarian = login(world_librarian(app, ana))
    page = librarian.get(f"/cluburi/{club_of(app, ana)}").get_data(as_text=True)
    assert "Browsers that do not keep cookies" in page and "address 10.4.4.4" in page
    librarian.post(
        f"/cluburi/{club_of(app, ana)}/deblocare-calculator", data={"address": "10.4.4.4"}
    )
    assert "Browsers that do not keep cookies" not in librarian.get(
        f"/cluburi/{club_of(app, ana)}"
    ).get_data(as_text=True)
    assert prankster.answer(mihai, right=True).status_code == 302


def test_the_librarian_sees_and_lifts_a_child_locked_on_new_browsers(app, eight, login):
    ana, *_ = eight
    for n in range(app.config["CODEKIDS"].child_max_failures):
        fresh = Browser(app)
        fresh.guesses = n
        fresh.open(ana)
        fresh.answer(ana, right=False)
    librarian = login(world_librarian(app, ana))
    page = librarian.get(f"/cluburi/copil/{ana}").get_data(as_text=True)
    assert re.search(
        rf"locked until {LOCAL_TIME}, except on computers where this child logged "
        r"in before",
        page,
    )
    librarian.post(f"/cluburi/copil/{ana}/deblocare")
    assert "locked until" not in librarian.get(f"/cluburi/copil/{ana}").get_data(as_text=True)
    assert Browser(app).log_in(ana) == 302


@pytest.mark.parametrize("data", [{"device": "not-a-device"}, {}, {"address": "x" * 65}])
def test_unlocking_a_computer_wants_a_real_device_or_address(app, eight, login, data):
    librarian = login(world_librarian(app, eight[0]))
    r = librarian.post(f"/cluburi/{club_of(app, eight[0])}/deblocare-calculator", data=data)
    assert r.status_code == 400


def test_a_librarian_cannot_unlock_the_computers_of_another_club(app, world, login):
    client = login(world.librarian)
    r = client.post(
        f"/cluburi/{world.other_club}/deblocare-calculator",
        data={"device": devices.new_device_id()},
    )
    assert r.status_code == 403


def test_unlocking_a_computer_leaves_its_tries_at_other_clubs(app, world, eight, clock):
    ana = eight[0]
    radu = world.other_children[0]
    pc = devices.new_device_id()
    with app.app_context():
        a = db.session.get(User, ana)
        r = db.session.get(User, radu)
        m = db.session.get(User, eight[1])
        # One browser, slowly: five wrong tries in club A (Ana, Mihai), five in B (Radu).
        for child in (a, a, a, a, m, r, r, r, r, r):
            secret = ("nu stiu",) if child is r else ("sun", "sun", "sun")
            service.child_login(
                child, "words" if child is r else "pictures", secret, "10.0.0.1", pc
            )
            clock.advance(minutes=1)
        assert service.child_lock(a, "10.0.0.1", devices.new_device_id()) is None
        assert service.child_lock(a, "10.0.0.1", pc).reason == "device"
        service.lift_device_lock(db.session.get(Club, world.club), pc)
        # Club A forgot its five; club B's five still count for that browser.
        assert service.club_locks(db.session.get(Club, world.club)).devices == []
        assert service.child_lock(a, "10.0.0.1", pc) is None
        with_b = service.club_locks(db.session.get(Club, world.other_club))
        assert with_b.devices == []  # five is below the ten of a device
        assert service.child_lock(r, "10.0.0.1", pc).reason == "child_device"


def world_librarian(app, child_id: int) -> int:
    with app.app_context():
        club = db.session.get(User, child_id).club
        return club.librarians[0].id


def club_of(app, child_id: int) -> int:
    with app.app_context():
        return db.session.get(User, child_id).club_id
