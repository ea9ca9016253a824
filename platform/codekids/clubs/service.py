"""Club rules: who may manage which club, creating and changing clubs and children,
resetting secrets.

Which clubs a user may manage (a librarian their own, a coordinator their county's
or the nation's) lives here, in the lowest room that needs it: the route policy,
the librarian's pages, the counter's forms and the coordinator's room all ask it.
What only the coordinator's room needs (librarians in scope, ids posted in its
forms) is in coordination/service.py; staff accounts are in accounts/service.py.
"""

from __future__ import annotations

import re
import secrets as _random
import unicodedata
from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from codekids import db
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
from codekids.bad_input import parse_id
from codekids.clubs.models import SECRET_KINDS, Club, County
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


def club_or_404(club_id: int) -> Club:
    """The club of a URL (the route policy has checked it may be seen), or "not found"."""
    club = db.session.get(Club, club_id)
    if club is None:
        abort(404)
    return club


def child_or_404(child_id: int) -> User:
    """The child of a URL (the route policy has checked it may be seen), or "not found":
    a staff account's id is not a child."""
    child = db.session.get(User, child_id)
    if child is None or child.role != CHILD:
        abort(404)
    return child


def may_manage_club_id(user, club_id) -> bool:
    cid = parse_id(club_id)
    return cid is not None and may_manage_club(user, db.session.get(Club, cid))


def may_manage_child_id(user, child_id) -> bool:
    cid = parse_id(child_id)
    child = db.session.get(User, cid) if cid is not None else None
    return child is not None and child.role == CHILD and may_manage_club(user, child.club)


def clubs_in_scope(user, *, with_librarians: bool = False) -> list[Club]:
    """The clubs a librarian runs, or a coordinator oversees. ``with_librarians`` loads
    each club's librarians in the same round trip (a list page shows them)."""
    if user.role == LIBRARIAN:
        return sorted_by(user.clubs, lambda c: c.name)
    q = select(Club).join(County)
    if with_librarians:
        q = q.options(selectinload(Club.librarians))
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


# ---- changing a club --------------------------------------------------------------


def club_has_children(club: Club) -> bool:
    return db.session.scalar(
        select(User.id).where(User.club_id == club.id, User.role == CHILD).limit(1)
    ) is not None


def may_change_secret_kind(club: Club) -> bool:
    """Children already hold cards of one kind; switching would strand them."""
    return not club_has_children(club)


def update_club(
    club: Club, *, name: str, library: str, town: str, county: County, secret_kind: str,
    active: bool,
) -> Club:
    """Who may move a club where is the coordinator's rule (coordination.service)."""
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
