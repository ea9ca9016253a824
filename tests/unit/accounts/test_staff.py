"""accounts.service: staff accounts, their passwords and invitations.

Who may create or change which librarian is the coordinator's rule, tested in
tests/unit/coordination/test_service.py; these rules hold whoever calls them.
"""

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import passwords, service
from codekids.accounts.models import LIBRARIAN, User
from codekids.clubs.models import Club, County


def _county(code: str) -> County:
    return db.session.scalar(select(County).where(County.code == code))


def test_a_new_librarian_is_stored_in_lower_case_with_their_clubs(session, world):
    club = db.session.get(Club, world.club)
    lib = service.create_librarian(username="Maria.Pop", display_name="  Maria Pop ",
                                   county=_county("CJ"), clubs=[club])
    assert (lib.username, lib.display_name, lib.role) == ("maria.pop", "Maria Pop", LIBRARIAN)
    assert lib.password_hash is None and lib.must_change_password is True
    assert [c.id for c in lib.clubs] == [world.club]


@pytest.mark.parametrize(("username", "reason"), [
    ("ANA.bibliotecara", "username_taken"),  # taken, whatever the case
    ("a", "username_format"),
    ("ana bibliotecara", "username_format"),
    ("-ana", "username_format"),
])
def test_a_taken_or_malformed_username_creates_nobody(session, world, username, reason):
    before = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(ValueError, match=reason):
        service.create_librarian(username=username, display_name="X", county=None, clubs=[])
    assert db.session.scalar(select(func.count(User.id))) == before


def test_a_temporary_password_is_good_only_for_choosing_a_new_one(session, world):
    lib = service.create_librarian(username="maria.pop", display_name="Maria", county=None,
                                   clubs=[])
    access = service.give_temporary_password(lib)
    assert access.librarian is lib and access.invitation_token is None
    assert passwords.verify_password(lib.password_hash, access.temporary_password)
    assert lib.must_change_password is True
    assert passwords.password_problem(access.temporary_password, lib.username) is None


def test_an_invitation_works_once(session, world):
    lib = service.create_librarian(username="maria.pop", display_name="Maria", county=None,
                                   clubs=[])
    access = service.give_invitation(lib, db.session.get(User, world.county_coordinator))
    assert access.temporary_password is None and lib.password_hash is None
    inv = service.find_invitation(access.invitation_token)
    assert inv is not None and inv.created_by_id == world.county_coordinator
    service.accept_invitation(inv, "a-good-long-password")
    assert service.find_invitation(access.invitation_token) is None


def test_reset_access_kills_older_links_and_a_new_password_ends_sessions(session, world):
    lib = db.session.get(User, world.librarian)
    version = lib.session_version
    first = service.reset_access(lib, "invitation", None).invitation_token
    second = service.reset_access(lib, "invitation", None).invitation_token
    assert service.find_invitation(first) is None
    assert service.find_invitation(second) is not None
    access = service.reset_access(lib, "password", None)
    assert service.find_invitation(second) is None
    assert lib.must_change_password and lib.session_version > version
    assert passwords.verify_password(lib.password_hash, access.temporary_password)
    with pytest.raises(ValueError):
        service.reset_access(lib, "carrier pigeon", None)


def test_deactivating_a_librarian_ends_their_sessions_once(session, world):
    lib = db.session.get(User, world.librarian)
    version = lib.session_version
    club = db.session.get(Club, world.other_club)
    service.update_librarian(lib, display_name=" ", active=False, clubs=[club])
    assert not lib.active and lib.session_version == version + 1
    assert lib.display_name is None and [c.id for c in lib.clubs] == [world.other_club]
    service.update_librarian(lib, display_name="Ana", active=False, clubs=[club])
    assert lib.session_version == version + 1  # already off: nothing more to end
