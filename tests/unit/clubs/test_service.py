"""clubs.service: bulk creation of children, secrets, and the coordinator's scope rules."""

import unicodedata

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, LIBRARIAN, User
from codekids.clubs import service
from codekids.clubs.models import Club, County


def _children_count(club_id: int) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(User.club_id == club_id, User.role == CHILD)
    )


def _club(world_id: int) -> Club:
    return db.session.get(Club, world_id)


def _user(uid: int) -> User:
    return db.session.get(User, uid)


def _county(code: str) -> County:
    return db.session.scalar(select(County).where(County.code == code))


def _reasons(result):
    return [(p.line, p.reason) for p in result.problems]


# ---- bulk creation ------------------------------------------------------------------


def test_romanian_and_hungarian_letters_are_accepted(session, world):
    club = _club(world.club)
    result = service.create_children(club, "Ștefănuț\nȚuțu Î\nÂna-Maria\nGyőző\nŰrsula_2\nDani.B")
    assert result.ok, result.problems
    assert [c.nickname for c in result.created] == [
        "Ștefănuț", "Țuțu Î", "Âna-Maria", "Győző", "Űrsula_2", "Dani.B"
    ]
    assert _children_count(world.club) == 3 + 6


def test_trailing_newlines_are_forgiven_and_spaces_folded(session, world):
    result = service.create_children(_club(world.club), "Luca\r\n  Maria   Ioana \r\n\n\n")
    assert result.ok
    assert [c.nickname for c in result.created] == ["Luca", "Maria Ioana"]


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("Luca\nluca", [(2, "duplicate_in_list")]),
        ("Luca\nLUCA\nDan\nluca", [(2, "duplicate_in_list"), (4, "duplicate_in_list")]),
        ("Luca\n\nDan", [(2, "empty")]),
        ("Luca\n   \nDan", [(2, "empty")]),
        ("", [(1, "empty")]),
        ("a" * 21, [(1, "too_long")]),
        ("Luca\n<script>", [(2, "odd_characters")]),
        ("Luca\n<b>x</b>\na;b", [(2, "odd_characters"), (3, "odd_characters")]),
        ("Luca 🚀", [(1, "odd_characters")]),
        ("12345", [(1, "odd_characters")]),
        ("ana", [(1, "exists")]),
        ("Dan\nMIHAI", [(2, "exists")]),
    ],
)
def test_every_problem_is_reported_with_its_line_and_nothing_is_created(
    session, world, pasted, expected
):
    before = _children_count(world.club)
    result = service.create_children(_club(world.club), pasted)
    assert _reasons(result) == expected
    assert result.created == []
    assert _children_count(world.club) == before


def test_twenty_letters_is_still_fine(session, world):
    assert service.create_children(_club(world.club), "a" * 20).ok


def test_the_same_name_in_two_unicode_forms_is_one_name(session, world):
    nfc = unicodedata.normalize("NFC", "Ștefan")
    nfd = unicodedata.normalize("NFD", "Ștefan")
    assert nfc != nfd
    result = service.create_children(_club(world.club), f"{nfc}\n{nfd}")
    assert _reasons(result) == [(2, "duplicate_in_list")]
    # And against a child already in the club.
    assert service.create_children(_club(world.club), nfc).ok
    assert _reasons(service.create_children(_club(world.club), nfd.lower())) == [(1, "exists")]


def test_too_many_lines_are_refused_whole(session, world):
    names = "\n".join(f"Copil{i}" for i in range(service.BULK_MAX + 1))
    before = _children_count(world.club)
    result = service.create_children(_club(world.club), names)
    assert ("too_many" in [p.reason for p in result.problems])
    assert _children_count(world.club) == before


def test_a_name_in_another_club_is_no_conflict(session, world):
    # "Radu" lives in club B; club A may have its own Radu.
    assert service.create_children(_club(world.club), "Radu").ok


def test_new_children_get_a_secret_of_the_clubs_kind(session, world):
    words_club = _club(world.other_club)
    child = service.create_children(words_club, "Paul").created[0]
    secret = service.card_secret(child)
    assert secret.kind == "words" and len(secret.value) == 2


# ---- one child ------------------------------------------------------------------------


def test_reset_secret_changes_the_card_and_ends_sessions(session, world):
    child = _user(world.children[0])
    old_secret, old_version = service.card_secret(child), child.session_version
    seen = {service.reset_secret(child) for _ in range(5)}
    assert service.card_secret(child) in seen
    assert seen != {old_secret}
    assert child.session_version == old_version + 5


def test_deactivated_child_cannot_log_in_and_can_again_after(app, session, world):
    child = _user(world.children[0])
    secret = service.card_secret(child)
    service.set_child_active(child, False)
    assert not accounts.child_login(child, secret.kind, secret.value, "10.0.0.1").ok
    service.set_child_active(child, True)
    assert accounts.child_login(child, secret.kind, secret.value, "10.0.0.1").ok


def test_children_of_club_ignores_ids_of_other_clubs(session, world):
    club = _club(world.club)
    got = service.children_of_club(club, ids=[world.children[0], world.other_children[0], "x"])
    assert [c.id for c in got] == [world.children[0]]


# ---- clubs ----------------------------------------------------------------------------


def test_join_codes_are_unique_and_easy_to_read(session, world):
    coord = _user(world.national_coordinator)
    codes = {
        service.create_club_in_scope(coord, name=f"C{i}", library="L", town="T",
                                     county_id=_county("B").id).join_code
        for i in range(30)
    }
    codes |= set(world.join_codes.values())
    assert len(codes) == 33
    assert all(len(c) == service.JOIN_LENGTH and set(c) <= set(service.JOIN_ALPHABET) for c in codes)


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
    lib = service.create_staff(role=LIBRARIAN, username="lib.alba", display_name="Alba",
                               county=_county("AB"))
    service.set_librarian_clubs(lib, [_club(world.far_club)])
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
    service.set_librarian_clubs(lib, [_club(world.club), alba_club])
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
