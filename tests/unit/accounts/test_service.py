"""Account rules called directly: child and staff login, lockouts, passwords, invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import service
from codekids.accounts.models import LoginAttempt, User
from codekids.accounts.secrets import ChildSecret
from codekids.clubs import service as clubs
from codekids.clubs.models import Club

from .conftest import STAFF_PASSWORD, child_secret

PC = "10.0.0.7"
BROWSER = "K7QFABCDEFGHJKLMNPQR"  # the device cookie's id of the browser on that PC
OTHER_BROWSER = "ZZZZABCDEFGHJKLMNPQR"


@pytest.fixture
def app_config(app_config):
    # Small limits, no "wait N seconds" (tests/unit/accounts/test_devices.py has those).
    return {**app_config, "account_device_max_failures": 3, "device_max_failures": 5,
            "child_max_failures": 8, "lockout_minutes": 15, "device_slow_seconds": 0}


def wrong_for(secret: ChildSecret) -> tuple[str, ...]:
    if secret.kind == "pictures":
        return tuple(reversed(secret.value))
    return ("nu", "stiu")


def attempt(app, child_id, right: bool, address=PC, device=BROWSER):
    secret = child_secret(app, child_id)
    with app.app_context():
        child = db.session.get(User, child_id)
        answer = secret.value if right else wrong_for(secret)
        if secret.kind == "words":
            answer = (secret.words,) if right else answer
        return service.child_login(child, secret.kind, tuple(answer), address=address,
                                   device=device)


# ---- children -------------------------------------------------------------------------


def test_right_secret_logs_in_and_is_recorded(app, world):
    outcome = attempt(app, world.children[0], right=True)
    assert outcome.ok and outcome.user.id == world.children[0]
    with app.app_context():
        assert db.session.get(User, world.children[0]).last_login_at is not None
        rows = db.session.scalars(select(LoginAttempt)).all()
        assert [(r.user_id, r.succeeded, r.address, r.device_id, r.kind) for r in rows] == [
            (world.children[0], True, PC, BROWSER, "child")
        ]


def test_word_secret_typed_loosely_logs_in(app, world):
    secret = child_secret(app, world.other_children[0])
    with app.app_context():
        child = db.session.get(User, world.other_children[0])
        typed = "  " + secret.words.upper().replace(" ", "   ") + " "
        assert service.child_login(child, "words", (typed,), address=PC).ok


def test_wrong_secret_is_refused_without_lock_below_the_limit(app, world):
    for _ in range(2):
        outcome = attempt(app, world.children[0], right=False)
        assert not outcome.ok and outcome.lock is None


def test_child_is_locked_on_that_browser_and_even_the_right_secret_is_refused(app, world):
    for _ in range(2):
        attempt(app, world.children[0], right=False)
    third = attempt(app, world.children[0], right=False)
    assert third.lock is not None and third.lock.reason == "child_device"
    assert third.lock.device == BROWSER and third.lock.minutes_left() == 15
    refused = attempt(app, world.children[0], right=True)
    assert not refused.ok and refused.lock.reason == "child_device"
    # The refused right answer is not even recorded: a lock is not an oracle.
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 3
    # Another child on this browser, and this child on another browser, are not affected.
    assert attempt(app, world.children[1], right=True).ok
    assert attempt(app, world.children[0], right=True, device=OTHER_BROWSER).ok


def test_child_lock_expires_by_itself(app, world, clock):
    for _ in range(3):
        attempt(app, world.children[0], right=False)
    clock.advance(minutes=14)
    assert attempt(app, world.children[0], right=True).lock.minutes_left() == 1
    clock.advance(minutes=1, seconds=1)
    assert attempt(app, world.children[0], right=True).ok


def test_failures_spread_beyond_the_window_do_not_lock(app, world, clock):
    for _ in range(2):
        attempt(app, world.children[0], right=False)
    clock.advance(minutes=16)
    assert attempt(app, world.children[0], right=False).lock is None


def test_a_success_clears_the_count(app, world):
    for _ in range(2):
        attempt(app, world.children[0], right=False)
    assert attempt(app, world.children[0], right=True).ok
    assert attempt(app, world.children[0], right=False).lock is None


def test_librarian_lifts_a_child_lock(app, world, clock):
    for _ in range(3):
        attempt(app, world.children[0], right=False)
    clock.advance(seconds=1)
    with app.app_context():
        service.lift_child_lock(db.session.get(User, world.children[0]))
    clock.advance(seconds=1)
    assert attempt(app, world.children[0], right=True).ok


def test_one_browser_guessing_across_children_locks_that_browser_only(app, world):
    a, b, c = world.children
    for child_id in (a, a, b, b):
        assert attempt(app, child_id, right=False).lock is None
    fifth = attempt(app, c, right=False)
    assert fifth.lock is not None and fifth.lock.reason == "device"
    assert attempt(app, c, right=True).lock.reason == "device"
    # Locked for every child it never logged in as, in this club and in others...
    assert attempt(app, world.other_children[0], right=True).lock.reason == "device"
    # ...but another browser behind the same address (the library's next PC) is not.
    assert attempt(app, c, right=True, device=OTHER_BROWSER).ok


def test_browser_lock_expires_and_can_be_lifted_for_the_club(app, world, clock):
    a, b, c = world.children
    for child_id in (a, a, b, b, c):
        attempt(app, child_id, right=False)
    clock.advance(seconds=1)
    with app.app_context():
        service.lift_club_locks(db.session.get(Club, world.club))
    clock.advance(seconds=1)
    assert attempt(app, world.children[2], right=True).ok
    # c is now trusted on this browser: the next lock holds for a and b only.
    for child_id in (a, a, b, b, a):
        attempt(app, child_id, right=False)
    assert attempt(app, b, right=True).lock.reason == "device"
    assert attempt(app, c, right=True).ok
    clock.advance(minutes=15, seconds=2)
    assert attempt(app, b, right=True).ok


def test_lifting_club_locks_also_lifts_child_locks(app, world, clock):
    for _ in range(3):
        attempt(app, world.children[0], right=False, address="10.0.0.9")
    clock.advance(seconds=1)
    with app.app_context():
        service.lift_club_locks(db.session.get(Club, world.club))
    clock.advance(seconds=1)
    assert attempt(app, world.children[0], right=True).ok


def test_deactivated_child_cannot_log_in(app, world):
    with app.app_context():
        clubs.set_child_active(db.session.get(User, world.children[0]), False)
    assert not attempt(app, world.children[0], right=True).ok


def test_club_children_are_sorted_active_by_default_and_can_include_inactive(app, world):
    with app.app_context():
        club = db.session.get(Club, world.club)
        assert [c.nickname for c in service.club_children(club)] == ["Ana", "Ioana", "Mihai"]
        clubs.set_child_active(db.session.get(User, world.children[0]), False)
        assert [c.nickname for c in service.club_children(club)] == ["Ioana", "Mihai"]
        every = service.club_children(club, include_inactive=True)
        assert [c.nickname for c in every] == ["Ana", "Ioana", "Mihai"]


def test_club_children_narrowed_to_ids_ignores_other_clubs_and_non_ids(app, world):
    with app.app_context():
        club = db.session.get(Club, world.club)
        got = service.club_children(
            club, ids=[str(world.children[1]), world.other_children[0], "x", str(2**63)])
        assert [c.id for c in got] == [world.children[1]]


# ---- staff ----------------------------------------------------------------------------


def test_staff_login_by_username_in_any_case(app, world):
    with app.app_context():
        name = world.usernames[world.librarian].upper()
        outcome = service.staff_login(f" {name} ", STAFF_PASSWORD, address=PC)
        assert outcome.ok and outcome.user.id == world.librarian


def test_staff_wrong_password_unknown_user_and_children_are_refused(app, world):
    with app.app_context():
        assert not service.staff_login(world.usernames[world.librarian], "nope", PC).ok
        assert not service.staff_login("nobody.here", STAFF_PASSWORD, PC).ok


def test_staff_lockout_and_expiry(app, world, clock):
    name = world.usernames[world.librarian]
    with app.app_context():
        for _ in range(2):
            assert service.staff_login(name, "wrong", PC, BROWSER).lock is None
        assert service.staff_login(name, "wrong", PC, BROWSER).lock.reason == "account_device"
        locked = service.staff_login(name, STAFF_PASSWORD, PC, BROWSER)
        assert not locked.ok and locked.lock is not None
        # That browser only: the librarian's own PC is not locked out.
        assert service.staff_login(name, STAFF_PASSWORD, PC, OTHER_BROWSER).ok
    clock.advance(minutes=15, seconds=1)
    with app.app_context():
        assert service.staff_login(name, STAFF_PASSWORD, PC, BROWSER).ok


def test_inactive_staff_cannot_log_in(app, world):
    with app.app_context():
        db.session.get(User, world.librarian).active = False
        db.session.commit()
        assert not service.staff_login(world.usernames[world.librarian], STAFF_PASSWORD, PC).ok


# ---- passwords ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current,new,reason",
    [
        ("wrong-current-pw", "a brand new password", "wrong_current"),
        (STAFF_PASSWORD, STAFF_PASSWORD, "same_as_old"),
        (STAFF_PASSWORD, "short", "too_short"),
        (STAFF_PASSWORD, "i-am-ana.bibliotecara", "contains_username"),
        (STAFF_PASSWORD, "abcabcabcabc", "too_simple"),
    ],
)
def test_change_password_rejections(app, world, current, new, reason):
    with app.app_context():
        user = db.session.get(User, world.librarian)
        with pytest.raises(service.PasswordRejected) as rejected:
            service.change_password(user, current, new)
        assert rejected.value.reason == reason


def test_change_password_saves_clears_the_flag_and_ends_old_sessions(app, world):
    with app.app_context():
        user = db.session.get(User, world.librarian)
        user.must_change_password = True
        db.session.commit()
        version = user.session_version
        service.change_password(user, STAFF_PASSWORD, "a brand new password")
        db.session.expire_all()
        user = db.session.get(User, world.librarian)
        assert user.session_version == version + 1
        assert not user.must_change_password
        assert service.staff_login(user.username, "a brand new password", PC).ok
        assert not service.staff_login(user.username, STAFF_PASSWORD, PC).ok


def test_temporary_password_is_strong_enough_and_readable(app):
    pw = service.temporary_password()
    assert len(pw) == 14 and pw.count("-") == 2
    assert not set(pw) & set("0o1lI")
    from codekids.accounts.passwords import password_problem

    assert password_problem(pw) is None


# ---- invitations ----------------------------------------------------------------------


def _new_librarian(app, world, name="maria.noua"):
    with app.app_context():
        user = service.create_staff(role="librarian", username=name, display_name="Maria",
                                    county=None)
        token = service.create_invitation(user, db.session.get(User, world.county_coordinator))
        return user.id, token


def test_invitation_is_accepted_once(app, world):
    user_id, token = _new_librarian(app, world)
    with app.app_context():
        inv = service.find_invitation(token)
        assert inv is not None and inv.user_id == user_id
        user = service.accept_invitation(inv, "my own good password")
        assert user.id == user_id and not user.must_change_password
        assert service.find_invitation(token) is None
        assert service.staff_login("maria.noua", "my own good password", PC).ok


def test_only_the_hash_of_an_invitation_token_is_stored(app, world):
    _, token = _new_librarian(app, world)
    with app.app_context():
        from codekids.accounts.models import Invitation

        stored = db.session.scalar(select(Invitation.token_hash))
        assert token not in stored and len(stored) == 64


def test_expired_or_unknown_invitation_is_not_found(app, world, clock):
    _, token = _new_librarian(app, world)
    with app.app_context():
        assert service.find_invitation("made-up-token") is None
    clock.advance(days=7, seconds=1)
    with app.app_context():
        assert service.find_invitation(token) is None


def test_a_weak_password_does_not_spend_the_invitation(app, world):
    _, token = _new_librarian(app, world)
    with app.app_context():
        with pytest.raises(service.PasswordRejected):
            service.accept_invitation(service.find_invitation(token), "short")
        assert service.find_invitation(token) is not None


def test_two_tabs_racing_with_one_invitation_set_only_one_password(app, world):
    _, token = _new_librarian(app, world)
    with app.app_context():
        first = service.find_invitation(token)
        db.session.expunge(first)  # the second tab loaded the link before the first saved
    with app.app_context():
        second = service.find_invitation(token)
        service.accept_invitation(second, "the first password")
    with app.app_context():
        stale = db.session.merge(first, load=False)
        with pytest.raises(service.InvitationUsed):
            service.accept_invitation(stale, "the second password")
        assert service.staff_login("maria.noua", "the first password", PC).ok
        assert not service.staff_login("maria.noua", "the second password", PC).ok


def test_invitation_for_a_deactivated_account_is_not_found(app, world):
    user_id, token = _new_librarian(app, world)
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
        assert service.find_invitation(token) is None


def test_invitation_lifetime_follows_the_setting(app, world):
    _, token = _new_librarian(app, world)
    with app.app_context():
        inv = service.find_invitation(token)
        assert inv.expires_at - inv.created_at >= timedelta(days=7) - timedelta(seconds=5)
