"""clubs.service: bulk creation of children, secrets, join codes.

The coordinator's scope rules are tested in tests/unit/coordination/test_service.py,
staff accounts in tests/unit/accounts/test_staff.py."""

import unicodedata

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, User
from codekids.clubs import service
from tests.unit.lookups import club as _club
from tests.unit.lookups import county as _county
from tests.unit.lookups import user as _user


def _children_count(club_id: int) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(User.club_id == club_id, User.role == CHILD)
    )


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


# ---- clubs ----------------------------------------------------------------------------


def test_join_codes_are_unique_and_easy_to_read(session, world):
    codes = {
        service.create_club(name=f"C{i}", library="L", town="T", county=_county("B")).join_code
        for i in range(30)
    }
    codes |= set(world.join_codes.values())
    assert len(codes) == 33
    assert all(len(c) == service.JOIN_LENGTH and set(c) <= set(service.JOIN_ALPHABET) for c in codes)


def test_secret_kind_is_fixed_once_a_club_has_children(session, world):
    club = _club(world.club)
    with pytest.raises(ValueError, match="secret_kind_locked"):
        service.update_club(club, name="A", library="L", town="T", county=club.county,
                            secret_kind="words", active=True)
    empty = _club(world.far_club)
    service.update_club(empty, name="C", library="L", town="T", county=empty.county,
                        secret_kind="words", active=False)
    assert empty.secret_kind == "words" and not empty.active


def test_closing_a_club_ends_its_childrens_sessions(session, world):
    club = _club(world.club)
    before = {c.id: c.session_version for c in accounts.club_children(club)}
    service.update_club(club, name=club.name, library=club.library, town=club.town,
                        county=club.county, secret_kind=club.secret_kind, active=False)
    for child in accounts.club_children(club):
        db.session.refresh(child)
        assert child.session_version == before[child.id] + 1
    other = _user(world.other_children[0])
    version = other.session_version
    db.session.refresh(other)
    assert other.session_version == version  # another club's children stay logged in
