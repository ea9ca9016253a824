"""Club rules: who may manage what, creating clubs and children, resetting secrets.

Scope checks live here because both the route policy and the views need them.
"""

from __future__ import annotations

import re
import secrets as _random
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from codekids import db
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
from codekids.bad_input import parse_id
from codekids.clubs.models import SECRET_KINDS, Club, County, librarian_clubs
from codekids.collation import sorted_by

# Join codes avoid letters and digits that look alike on a card (0/O, 1/I/L, 5/S, 8/B).
JOIN_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
JOIN_LENGTH = 6
NICKNAME_MAX = 20
BULK_MAX = 200
# Letters (any alphabet, so Hungarian and Romanian names work), digits, space, - _ .
_NICKNAME_OK = re.compile(r"^[\w .\-]+$", re.UNICODE)


# ---- scopes -------------------------------------------------------------------------


def may_manage_club(user, club: Club | None) -> bool:
    if club is None or not user.is_authenticated:
        return False
    if user.role == LIBRARIAN:
        return any(c.id == club.id for c in user.clubs)
    if user.role == COORDINATOR:
        return user.county_id is None or user.county_id == club.county_id
    return False


def _to_int(value) -> int | None:
    # An id the database can hold, or None (bad_input.parse_id): ids come from URLs,
    # forms and query strings, and 2**63 must not reach the database.
    return parse_id(value)


def may_manage_club_id(user, club_id) -> bool:
    cid = _to_int(club_id)
    return cid is not None and may_manage_club(user, db.session.get(Club, cid))


def may_manage_child_id(user, child_id) -> bool:
    cid = _to_int(child_id)
    child = db.session.get(User, cid) if cid is not None else None
    return child is not None and child.role == CHILD and may_manage_club(user, child.club)


def may_manage_librarian(user, librarian: User | None) -> bool:
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
    uid = _to_int(user_id)
    return uid is not None and may_manage_librarian(user, db.session.get(User, uid))


def clubs_in_scope(user) -> list[Club]:
    """The clubs a librarian runs, or a coordinator oversees."""
    if user.role == LIBRARIAN:
        return sorted_by(user.clubs, lambda c: c.name)
    q = select(Club).join(County)
    if user.county_id is not None:
        q = q.where(Club.county_id == user.county_id)
    return sorted_by(db.session.scalars(q), lambda c: (c.county.name, c.name))


def counties_in_scope(user) -> list[County]:
    q = select(County)
    if user.county_id is not None:
        q = q.where(County.id == user.county_id)
    return sorted_by(db.session.scalars(q), lambda c: c.name)


# ---- clubs --------------------------------------------------------------------------


def new_join_code() -> str:
    rng = _random.SystemRandom()
    for _ in range(50):
        code = "".join(rng.choice(JOIN_ALPHABET) for _ in range(JOIN_LENGTH))
        if db.session.scalar(select(Club.id).where(Club.join_code == code)) is None:
            return code
    raise RuntimeError("could not find a free join code")


def normalise_join_code(text: str) -> str:
    return re.sub(r"[\s\-]", "", text or "").upper()


def find_club_by_code(text: str) -> Club | None:
    code = normalise_join_code(text)
    if not code:
        return None
    return db.session.scalar(select(Club).where(Club.join_code == code, Club.active.is_(True)))


def create_club(
    *, name: str, library: str, town: str, county: County, secret_kind: str = "pictures"
) -> Club:
    if secret_kind not in SECRET_KINDS:
        raise ValueError(secret_kind)
    club = Club(
        name=name.strip(),
        library=library.strip(),
        town=town.strip(),
        county_id=county.id,
        secret_kind=secret_kind,
        join_code=new_join_code(),
    )
    db.session.add(club)
    db.session.commit()
    return club


# ---- children -----------------------------------------------------------------------


def clean_nickname(raw: str) -> str:
    # NFC so that "ș" typed two ways is one nickname; inner runs of spaces folded.
    return " ".join(unicodedata.normalize("NFC", raw).split())


@dataclass
class LineProblem:
    line: int  # 1-based line number in what the librarian pasted
    text: str
    reason: str  # "empty", "too_long", "odd_characters", "duplicate_in_list", "exists"


@dataclass
class BulkResult:
    created: list[User] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_nicknames(club: Club, pasted: str) -> tuple[list[str], list[LineProblem]]:
    """Every line checked, every problem reported with its line number.

    Blank lines between names are forgiven only at the very end (a trailing newline);
    an empty line in the middle is reported, since it often means a name went missing.
    """
    lines = pasted.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    existing = {
        n.casefold()
        for n in db.session.scalars(select(User.nickname).where(User.club_id == club.id))
        if n
    }
    seen: dict[str, int] = {}
    names: list[str] = []
    problems: list[LineProblem] = []
    for number, raw in enumerate(lines, start=1):
        name = clean_nickname(raw)
        key = name.casefold()
        if not name:
            problems.append(LineProblem(number, raw, "empty"))
        elif len(name) > NICKNAME_MAX:
            problems.append(LineProblem(number, raw, "too_long"))
        elif not _NICKNAME_OK.match(name) or not any(ch.isalpha() for ch in name):
            problems.append(LineProblem(number, raw, "odd_characters"))
        elif key in seen:
            problems.append(LineProblem(number, raw, "duplicate_in_list"))
        elif key in existing:
            problems.append(LineProblem(number, raw, "exists"))
        else:
            seen[key] = number
            names.append(name)
    if not lines:
        problems.append(LineProblem(1, "", "empty"))
    if len(names) > BULK_MAX:
        problems.append(LineProblem(BULK_MAX + 1, lines[BULK_MAX], "too_many"))
    return names, problems


def create_children(club: Club, pasted: str) -> BulkResult:
    """All or nothing: when any line has a problem, no child is created."""
    names, problems = check_nicknames(club, pasted)
    if problems:
        return BulkResult(problems=problems)
    children = []
    for name in names:
        child = User(role=CHILD, nickname=name, club_id=club.id, active=True)
        child.secret_enc = child_secrets.encrypt(child_secrets.generate(club.secret_kind))
        children.append(child)
    db.session.add_all(children)
    try:
        db.session.commit()
    except IntegrityError:
        # Another librarian added one of these names a moment ago.
        db.session.rollback()
        _, problems = check_nicknames(club, pasted)
        return BulkResult(problems=problems or [LineProblem(1, "", "exists")])
    return BulkResult(created=children)


def reset_secret(child: User) -> child_secrets.ChildSecret:
    secret = child_secrets.generate(child.club.secret_kind)
    child.secret_enc = child_secrets.encrypt(secret)
    child.session_version += 1  # whoever was logged in with the old secret is logged out
    db.session.commit()
    return secret


def set_child_active(child: User, active: bool) -> None:
    child.active = active
    if not active:
        child.session_version += 1
    db.session.commit()


def card_secret(child: User) -> child_secrets.ChildSecret | None:
    return child_secrets.decrypt(child.secret_enc)


# ---- staff --------------------------------------------------------------------------

_USERNAME_OK = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def username_problem(username: str) -> str | None:
    if not _USERNAME_OK.match(username):
        return "username_format"
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        return "username_taken"
    return None


def create_staff(
    *,
    role: str,
    username: str,
    display_name: str,
    county: County | None,
    password_hash: str | None = None,
    must_change_password: bool = True,
) -> User:
    user = User(
        role=role,
        username=username.strip().lower(),
        display_name=display_name.strip() or None,
        county_id=county.id if county else None,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.commit()
    return user


def set_librarian_clubs(librarian: User, clubs: list[Club]) -> None:
    librarian.clubs = clubs
    db.session.commit()


# ---- the coordinator's room: clubs, librarians, scope checks on posted ids ------------
#
# The route policy only sees ids in the URL. Ids that arrive in a form (a county, a
# club to attach, a librarian to attach) are checked here, so a county coordinator
# cannot reach another county by editing the HTML of a form.


class OutOfScope(PermissionError):
    """Something posted in a form lies outside what this user may manage."""


def may_use_county(user, county_id) -> bool:
    cid = _to_int(county_id)
    if cid is None or user.role != COORDINATOR:
        return False
    if user.county_id is not None and user.county_id != cid:
        return False
    return db.session.get(County, cid) is not None


def _county_in_scope(user, county_id) -> County:
    if not may_use_county(user, county_id):
        raise OutOfScope("county")
    return db.session.get(County, _to_int(county_id))


def create_club_in_scope(
    user, *, name: str, library: str, town: str, county_id, secret_kind: str = "pictures"
) -> Club:
    county = _county_in_scope(user, county_id)
    return create_club(name=name, library=library, town=town, county=county,
                       secret_kind=secret_kind)


def club_has_children(club: Club) -> bool:
    return db.session.scalar(
        select(User.id).where(User.club_id == club.id, User.role == CHILD).limit(1)
    ) is not None


def may_change_secret_kind(club: Club) -> bool:
    """Children already hold cards of one kind; switching would strand them."""
    return not club_has_children(club)


def edit_club(
    user, club: Club, *, name: str, library: str, town: str, county_id, secret_kind: str,
    active: bool,
) -> Club:
    if not may_manage_club(user, club) or user.role != COORDINATOR:
        raise OutOfScope("club")
    county = _county_in_scope(user, county_id)  # a county coordinator cannot move it out
    if secret_kind not in SECRET_KINDS:
        raise ValueError(secret_kind)
    if secret_kind != club.secret_kind and not may_change_secret_kind(club):
        raise ValueError("secret_kind_locked")
    club.name, club.library, club.town = name.strip(), library.strip(), town.strip()
    club.county = county
    club.secret_kind = secret_kind
    if club.active and not active:
        # Its children are logged out at their next request (web._load_user checks the
        # club too); the bump keeps those sessions ended if the club is opened again.
        db.session.execute(
            update(User)
            .where(User.club_id == club.id, User.role == CHILD)
            .values(session_version=User.session_version + 1)
            .execution_options(synchronize_session=False)
        )
    club.active = active
    db.session.commit()
    return club


def librarians_in_scope(user) -> list[User]:
    """National: every librarian. County: those living in it or running a club in it."""
    q = select(User).where(User.role == LIBRARIAN)
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
    clubs = clubs_in_scope(user)
    ids = [c.id for c in clubs]
    children = 0
    if ids:
        children = db.session.scalar(
            select(func.count(User.id)).where(
                User.role == CHILD, User.club_id.in_(ids), User.active.is_(True)
            )
        ) or 0
    return {
        "clubs": len(clubs),
        "active_clubs": sum(1 for c in clubs if c.active),
        "librarians": len(librarians_in_scope(user)),
        "children": children,
    }


def _clubs_from_ids(user, club_ids) -> list[Club]:
    chosen = []
    for raw in club_ids or []:
        club = db.session.get(Club, _to_int(raw)) if _to_int(raw) is not None else None
        if not may_manage_club(user, club):
            raise OutOfScope("club")
        if club not in chosen:
            chosen.append(club)
    return chosen


def set_librarian_clubs_in_scope(user, librarian: User, club_ids) -> None:
    """Replace the clubs this coordinator oversees; attachments outside their scope stay."""
    if not may_manage_librarian(user, librarian):
        raise OutOfScope("librarian")
    chosen = _clubs_from_ids(user, club_ids)
    kept = [c for c in librarian.clubs if not may_manage_club(user, c)]
    set_librarian_clubs(librarian, kept + chosen)


def set_club_librarians(user, club: Club, librarian_ids) -> None:
    """Replace the librarians of a club; librarians the coordinator cannot see stay."""
    if user.role != COORDINATOR or not may_manage_club(user, club):
        raise OutOfScope("club")
    chosen = []
    for raw in librarian_ids or []:
        uid = _to_int(raw)
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


@dataclass
class NewAccess:
    """What to show the coordinator once: a temporary password or an invitation token."""

    librarian: User
    temporary_password: str | None = None
    invitation_token: str | None = None


def _new_librarian(user, *, username: str, display_name: str, county_id, club_ids) -> User:
    if user.role != COORDINATOR:
        raise OutOfScope("role")
    county = _county_in_scope(user, county_id)
    clubs = _clubs_from_ids(user, club_ids)
    problem = username_problem(username.strip().lower())
    if problem:
        raise ValueError(problem)
    try:
        librarian = create_staff(role=LIBRARIAN, username=username, display_name=display_name,
                                 county=county, must_change_password=True)
    except IntegrityError:  # the same username taken a moment ago by someone else
        db.session.rollback()
        raise ValueError("username_taken") from None
    set_librarian_clubs(librarian, clubs)
    return librarian


def _fresh_temporary_password(librarian: User) -> str:
    from codekids.accounts import passwords
    from codekids.accounts import service as accounts

    while True:
        candidate = accounts.temporary_password()
        if passwords.password_problem(candidate, librarian.username) is None:
            return candidate


def create_librarian_with_temporary_password(
    user, *, username: str, display_name: str, county_id, club_ids
) -> NewAccess:
    from codekids.accounts import service as accounts

    librarian = _new_librarian(user, username=username, display_name=display_name,
                               county_id=county_id, club_ids=club_ids)
    temp = _fresh_temporary_password(librarian)
    accounts.set_password(librarian, temp, temporary=True)
    return NewAccess(librarian, temporary_password=temp)


def create_librarian_with_invitation(
    user, *, username: str, display_name: str, county_id, club_ids
) -> NewAccess:
    from codekids.accounts import service as accounts

    librarian = _new_librarian(user, username=username, display_name=display_name,
                               county_id=county_id, club_ids=club_ids)
    return NewAccess(librarian, invitation_token=accounts.create_invitation(librarian, user))


def _revoke_invitations(librarian: User) -> None:
    from codekids.accounts.models import Invitation
    from codekids.db import utcnow

    for inv in db.session.scalars(
        select(Invitation).where(Invitation.user_id == librarian.id, Invitation.used_at.is_(None))
    ):
        inv.used_at = utcnow()  # an older link stops working once a new one exists


def reset_librarian_access(user, librarian: User, mode: str) -> NewAccess:
    """A new temporary password (old sessions end) or a new invitation (older links die)."""
    from codekids.accounts import service as accounts

    if not may_manage_librarian(user, librarian):
        raise OutOfScope("librarian")
    _revoke_invitations(librarian)
    if mode == "password":
        temp = _fresh_temporary_password(librarian)
        accounts.set_password(librarian, temp, temporary=True)
        return NewAccess(librarian, temporary_password=temp)
    if mode == "invitation":
        return NewAccess(librarian, invitation_token=accounts.create_invitation(librarian, user))
    raise ValueError(mode)


def update_librarian(user, librarian: User, *, display_name: str, club_ids, active: bool) -> None:
    if not may_manage_librarian(user, librarian):
        raise OutOfScope("librarian")
    librarian.display_name = display_name.strip() or None
    if librarian.active and not active:
        librarian.session_version += 1  # a deactivated account is logged out everywhere
    librarian.active = active
    set_librarian_clubs_in_scope(user, librarian, club_ids)


def children_of_club(club: Club, ids=None, include_inactive: bool = False) -> list[User]:
    """The club's children by nickname; `ids` narrows to those (others' ids are ignored)."""
    q = select(User).where(User.club_id == club.id, User.role == CHILD)
    if not include_inactive:
        q = q.where(User.active.is_(True))
    if ids is not None:
        wanted = [i for i in (_to_int(x) for x in ids) if i is not None]
        q = q.where(User.id.in_(wanted))
    return sorted_by(db.session.scalars(q), lambda u: u.nickname)
