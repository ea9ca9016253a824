"""coordination.service: what a county or national coordinator may see and change.

The rules these build on are tested where they live: changing a club in
tests/unit/clubs/test_service.py, staff accounts in tests/unit/accounts/test_staff.py.
"""

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import service as accounts
from codekids.accounts.models import LIBRARIAN, User
from codekids.coordination import service
from tests.unit.lookups import club as _club
from tests.unit.lookups import county as _county
from tests.unit.lookups import user as _user

# ---- clubs ----------------------------------------------------------------------------


def test_county_coordinator_creates_clubs_only_in_their_county(session, world):
    coord = _user(world.county_coordinator)
    club = service.create_club_in_scope(coord, name="Nou", library="L", town="Dej",
                                        county_id=_county("CJ").id)
    assert club.county.code == "CJ"
    with pytest.raises(service.OutOfScope):
        service.create_club_in_scope(coord, name="X", library="L", town="Blaj",
                                     county_id=_county("AB").id)
    with pytest.raises(service.OutOfScope):
        service.create_club_in_scope(coord, name="X", library="L", town="?", county_id="999")


def test_county_coordinator_cannot_move_a_club_out_or_edit_another_county(session, world):
    coord = _user(world.county_coordinator)
    club = _club(world.club)
    fields = dict(name="A", library="L", town="T", secret_kind="pictures", active=True)
    with pytest.raises(service.OutOfScope):
        service.edit_club(coord, club, county_id=_county("AB").id, **fields)
    db.session.refresh(club)
    assert club.county.code == "CJ" and club.name == "Clubul Albinelor"
    with pytest.raises(service.OutOfScope):
        service.edit_club(coord, _club(world.far_club), county_id=_county("CJ").id, **fields)
    national = _user(world.national_coordinator)
    service.edit_club(national, club, county_id=_county("AB").id, **fields)
    assert club.county.code == "AB"


def test_secret_kind_is_fixed_once_a_club_has_children(session, world):
    coord = _user(world.national_coordinator)
    club = _club(world.club)
    with pytest.raises(ValueError, match="secret_kind_locked"):
        service.edit_club(coord, club, name="A", library="L", town="T",
                          county_id=club.county_id, secret_kind="words", active=True)
    empty = _club(world.far_club)
    service.edit_club(coord, empty, name="C", library="L", town="T",
                      county_id=empty.county_id, secret_kind="words", active=False)
    assert empty.secret_kind == "words" and not empty.active


# ---- librarians -----------------------------------------------------------------------


def _alba_librarian(world) -> User:
    lib = accounts.create_staff(role=LIBRARIAN, username="lib.alba", display_name="Alba",
                                county=_county("AB"))
    accounts.set_librarian_clubs(lib, [_club(world.far_club)])
    return lib


def test_librarians_in_scope(session, world):
    alba = _alba_librarian(world)
    cluj = {u.username for u in service.librarians_in_scope(_user(world.county_coordinator))}
    assert cluj == {"ana.bibliotecara", "ion.bibliotecar"}
    everyone = {u.id for u in service.librarians_in_scope(_user(world.national_coordinator))}
    assert alba.id in everyone and world.librarian in everyone


def test_scope_counts(session, world):
    counts = service.scope_counts(_user(world.county_coordinator))
    assert counts == {"clubs": 2, "active_clubs": 2, "librarians": 2, "children": 5}
    counts = service.scope_counts(_user(world.other_county_coordinator))
    assert counts == {"clubs": 1, "active_clubs": 1, "librarians": 0, "children": 0}


def test_librarian_with_temporary_password_must_change_it(session, world):
    coord = _user(world.county_coordinator)
    access = service.create_librarian_with_temporary_password(
        coord, username="Maria.Pop", display_name="Maria Pop", county_id=_county("CJ").id,
        club_ids=[str(world.club)],
    )
    lib = access.librarian
    assert lib.username == "maria.pop" and lib.role == LIBRARIAN
    assert lib.must_change_password is True
    assert passwords.verify_password(lib.password_hash, access.temporary_password)
    assert access.invitation_token is None
    assert [c.id for c in lib.clubs] == [world.club]


def test_librarian_with_invitation_link_that_works_once(session, world):
    coord = _user(world.county_coordinator)
    access = service.create_librarian_with_invitation(
        coord, username="maria.pop", display_name="Maria", county_id=_county("CJ").id,
        club_ids=[],
    )
    assert access.temporary_password is None and access.librarian.password_hash is None
    inv = accounts.find_invitation(access.invitation_token)
    assert inv is not None and inv.user_id == access.librarian.id
    accounts.accept_invitation(inv, "a-good-long-password")
    assert accounts.find_invitation(access.invitation_token) is None


def test_a_county_coordinator_cannot_place_a_librarian_outside_their_county(session, world):
    coord = _user(world.county_coordinator)
    before = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(service.OutOfScope):
        service.create_librarian_with_temporary_password(
            coord, username="x.y", display_name="X", county_id=_county("AB").id, club_ids=[])
    with pytest.raises(service.OutOfScope):
        service.create_librarian_with_temporary_password(
            coord, username="x.y", display_name="X", county_id=_county("CJ").id,
            club_ids=[str(world.far_club)])
    assert db.session.scalar(select(func.count(User.id))) == before


def test_taken_or_malformed_username_is_refused(session, world):
    coord = _user(world.national_coordinator)
    for name, reason in (("ANA.bibliotecara", "username_taken"), ("a", "username_format"),
                         ("ana bibliotecara", "username_format")):
        with pytest.raises(ValueError, match=reason):
            service.create_librarian_with_invitation(
                coord, username=name, display_name="X", county_id=_county("CJ").id, club_ids=[])


def test_attaching_clubs_keeps_those_outside_scope_and_refuses_posted_foreign_ids(session, world):
    alba_club = _club(world.far_club)
    lib = _user(world.librarian)
    accounts.set_librarian_clubs(lib, [_club(world.club), alba_club])
    coord = _user(world.county_coordinator)
    service.set_librarian_clubs_in_scope(coord, lib, [str(world.other_club)])
    assert {c.id for c in lib.clubs} == {world.other_club, world.far_club}
    with pytest.raises(service.OutOfScope):
        service.set_librarian_clubs_in_scope(coord, lib, [str(world.far_club)])
    with pytest.raises(service.OutOfScope):
        service.set_librarian_clubs_in_scope(coord, _alba_librarian(world), [])


def test_club_librarians_refuses_librarians_out_of_scope(session, world):
    alba = _alba_librarian(world)
    coord = _user(world.county_coordinator)
    club = _club(world.club)
    with pytest.raises(service.OutOfScope):
        service.set_club_librarians(coord, club, [world.librarian, alba.id])
    assert [lib.id for lib in club.librarians] == [world.librarian]
    service.set_club_librarians(coord, club, [world.other_librarian])
    assert [lib.id for lib in club.librarians] == [world.other_librarian]
    with pytest.raises(service.OutOfScope):
        service.set_club_librarians(coord, _club(world.far_club), [])


def test_reset_access_new_password_ends_the_old_and_new_link_kills_older_links(session, world):
    coord = _user(world.county_coordinator)
    lib = _user(world.librarian)
    version = lib.session_version
    first = service.reset_librarian_access(coord, lib, "invitation").invitation_token
    second = service.reset_librarian_access(coord, lib, "invitation").invitation_token
    assert accounts.find_invitation(first) is None
    assert accounts.find_invitation(second) is not None
    access = service.reset_librarian_access(coord, lib, "password")
    assert accounts.find_invitation(second) is None
    assert lib.must_change_password and lib.session_version > version
    assert passwords.verify_password(lib.password_hash, access.temporary_password)
    with pytest.raises(service.OutOfScope):
        service.reset_librarian_access(_user(world.other_county_coordinator), lib, "password")


def test_deactivating_a_librarian_ends_their_sessions(session, world):
    coord = _user(world.county_coordinator)
    lib = _user(world.librarian)
    version = lib.session_version
    service.update_librarian(coord, lib, display_name="Ana B.", club_ids=[str(world.club)],
                             active=False)
    assert not lib.active and lib.session_version == version + 1 and lib.display_name == "Ana B."


def test_may_manage_librarian_by_county_home_or_club(session, world):
    alba = _alba_librarian(world)  # lives in Alba and runs an Alba club
    county, other = _user(world.county_coordinator), _user(world.other_county_coordinator)
    national = _user(world.national_coordinator)
    assert service.may_manage_librarian(county, _user(world.librarian))
    assert not service.may_manage_librarian(county, alba)
    assert service.may_manage_librarian(other, alba)
    assert service.may_manage_librarian(national, alba)
    # Someone who is not a librarian is nobody's to manage, and a librarian manages nobody.
    assert not service.may_manage_librarian(national, _user(world.county_coordinator))
    assert not service.may_manage_librarian(_user(world.librarian), _user(world.other_librarian))
    # Ids from a URL: out of range or not numbers are refused, not looked up.
    assert service.may_manage_librarian_id(county, str(world.librarian))
    assert not service.may_manage_librarian_id(county, str(2**63))
    assert not service.may_manage_librarian_id(county, "x")
