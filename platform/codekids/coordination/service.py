"""The coordinator's scope: which clubs, counties and librarians a county coordinator
(their county) or a national one (the nation) may see and change.

The route policy (security_policy) only sees ids in the URL. Ids that arrive in a
form (a county, a club to attach, a librarian to attach) are checked here, so a
county coordinator cannot reach another county by editing the HTML of a form.

Which clubs and counties a user may manage at all is the clubs room's rule
(clubs.service.may_manage_club, clubs_in_scope, counties_in_scope), since the
librarian's pages and the counter below use it too; what a club or a staff account
is and how it changes is clubs' and accounts' (clubs.service, accounts.service).
This module adds the coordinator's part on top and calls them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from codekids import db
from codekids.accounts import service as accounts
from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
from codekids.bad_input import parse_id
from codekids.clubs import service as clubs
from codekids.clubs.models import Club, County, librarian_clubs
from codekids.collation import sorted_by


class OutOfScope(PermissionError):
    """Something posted in a form lies outside what this user may manage."""


# ---- librarians -----------------------------------------------------------------------


def may_manage_librarian(user, librarian: User | None) -> bool:
    """National: every librarian. County: those living in it or running a club in it."""
    if librarian is None or librarian.role != LIBRARIAN or not user.is_authenticated:
        return False
    if user.role != COORDINATOR:
        return False
    if user.county_id is None:
        return True
    return librarian.county_id == user.county_id or any(
        c.county_id == user.county_id for c in librarian.clubs
    )


def may_manage_librarian_id(user, user_id) -> bool:
    # An id the database can hold, or None (bad_input.parse_id): ids come from URLs.
    uid = parse_id(user_id)
    return uid is not None and may_manage_librarian(user, db.session.get(User, uid))


def librarians_in_scope(user) -> list[User]:
    """The librarians may_manage_librarian allows, with their clubs, in two queries."""
    q = select(User).where(User.role == LIBRARIAN).options(selectinload(User.clubs))
    if user.county_id is not None:
        in_county_club = (
            select(librarian_clubs.c.user_id)
            .join(Club, Club.id == librarian_clubs.c.club_id)
            .where(Club.county_id == user.county_id)
        )
        q = q.where((User.county_id == user.county_id) | User.id.in_(in_county_club))
    # By the name the list shows (the display name, else the username).
    return sorted_by(db.session.scalars(q), lambda u: (u.display_name or u.username,
                                                       u.username))


def scope_counts(user) -> dict[str, int]:
    in_scope = clubs.clubs_in_scope(user)
    ids = [c.id for c in in_scope]
    children = 0
    if ids:
        children = db.session.scalar(
            select(func.count(User.id)).where(
                User.role == CHILD, User.club_id.in_(ids), User.active.is_(True)
            )
        ) or 0
    return {
        "clubs": len(in_scope),
        "active_clubs": sum(1 for c in in_scope if c.active),
        "librarians": len(librarians_in_scope(user)),
        "children": children,
    }


# ---- posted ids -----------------------------------------------------------------------


def may_use_county(user, county_id) -> bool:
    cid = parse_id(county_id)
    if cid is None or user.role != COORDINATOR:
        return False
    if user.county_id is not None and user.county_id != cid:
        return False
    return db.session.get(County, cid) is not None


def _county_in_scope(user, county_id) -> County:
    if not may_use_county(user, county_id):
        raise OutOfScope("county")
    return db.session.get(County, parse_id(county_id))


def _clubs_from_ids(user, club_ids) -> list[Club]:
    chosen = []
    for raw in club_ids or []:
        cid = parse_id(raw)
        club = db.session.get(Club, cid) if cid is not None else None
        if not clubs.may_manage_club(user, club):
            raise OutOfScope("club")
        if club not in chosen:
            chosen.append(club)
    return chosen


# ---- clubs ----------------------------------------------------------------------------


def create_club_in_scope(
    user, *, name: str, library: str, town: str, county_id, secret_kind: str = "pictures"
) -> Club:
    county = _county_in_scope(user, county_id)
    return clubs.create_club(name=name, library=library, town=town, county=county,
                             secret_kind=secret_kind)


def edit_club(
    user, club: Club, *, name: str, library: str, town: str, county_id, secret_kind: str,
    active: bool,
) -> Club:
    if not clubs.may_manage_club(user, club) or user.role != COORDINATOR:
        raise OutOfScope("club")
    county = _county_in_scope(user, county_id)  # a county coordinator cannot move it out
    return clubs.update_club(club, name=name, library=library, town=town, county=county,
                             secret_kind=secret_kind, active=active)


def set_club_librarians(user, club: Club, librarian_ids) -> None:
    """Replace the librarians of a club; librarians the coordinator cannot see stay."""
    if user.role != COORDINATOR or not clubs.may_manage_club(user, club):
        raise OutOfScope("club")
    chosen = []
    for raw in librarian_ids or []:
        uid = parse_id(raw)
        lib = db.session.get(User, uid) if uid is not None else None
        if not may_manage_librarian(user, lib) and not (
            lib is not None and lib.role == LIBRARIAN and lib in club.librarians
        ):
            raise OutOfScope("librarian")
        if lib not in chosen:
            chosen.append(lib)
    kept = [lib for lib in club.librarians if not may_manage_librarian(user, lib)]
    club.librarians = kept + [lib for lib in chosen if lib not in kept]
    db.session.commit()


# ---- a librarian's account --------------------------------------------------------------


def _clubs_after(user, librarian: User, club_ids) -> list[Club]:
    """The librarian's clubs once this coordinator's choice replaces those in their scope:
    attachments outside it stay."""
    if not may_manage_librarian(user, librarian):
        raise OutOfScope("librarian")
    chosen = _clubs_from_ids(user, club_ids)
    kept = [c for c in librarian.clubs if not clubs.may_manage_club(user, c)]
    return kept + chosen


def set_librarian_clubs_in_scope(user, librarian: User, club_ids) -> None:
    """Replace the clubs this coordinator oversees; attachments outside their scope stay."""
    accounts.set_librarian_clubs(librarian, _clubs_after(user, librarian, club_ids))


def _new_librarian(user, *, username: str, display_name: str, county_id, club_ids) -> User:
    if user.role != COORDINATOR:
        raise OutOfScope("role")
    county = _county_in_scope(user, county_id)
    chosen = _clubs_from_ids(user, club_ids)
    return accounts.create_librarian(username=username, display_name=display_name,
                                     county=county, clubs=chosen)


def create_librarian_with_temporary_password(
    user, *, username: str, display_name: str, county_id, club_ids
) -> accounts.NewAccess:
    librarian = _new_librarian(user, username=username, display_name=display_name,
                               county_id=county_id, club_ids=club_ids)
    return accounts.give_temporary_password(librarian)


def create_librarian_with_invitation(
    user, *, username: str, display_name: str, county_id, club_ids
) -> accounts.NewAccess:
    librarian = _new_librarian(user, username=username, display_name=display_name,
                               county_id=county_id, club_ids=club_ids)
    return accounts.give_invitation(librarian, user)


def reset_librarian_access(user, librarian: User, mode: str) -> accounts.NewAccess:
    """A new temporary password (old sessions end) or a new invitation (older links die)."""
    if not may_manage_librarian(user, librarian):
        raise OutOfScope("librarian")
    return accounts.reset_access(librarian, mode, user)


def update_librarian(user, librarian: User, *, display_name: str, club_ids, active: bool) -> None:
    accounts.update_librarian(librarian, display_name=display_name, active=active,
                              clubs=_clubs_after(user, librarian, club_ids))
