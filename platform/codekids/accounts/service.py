"""Account rules: logging in, lockouts after failed guesses, passwords, invitations.

Lockouts are computed from LoginAttempt rows, never kept in memory, so they hold
across several web processes and expire by themselves: only failures inside the
last `lockout_minutes` count, and only those after the last success or after a
librarian lifted the lock.
"""

from __future__ import annotations

import hashlib
import secrets as _random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import CHILD, Invitation, LoginAttempt, User
from codekids.clubs.models import Club
from codekids.db import utcnow


@dataclass(frozen=True)
class Lock:
    until: datetime
    reason: str  # "child" (this child's secret) or "address" (this PC, this club)

    def minutes_left(self, now: datetime | None = None) -> int:
        seconds = (self.until - (now or utcnow())).total_seconds()
        return max(1, int(-(-seconds // 60)))


def _settings():
    return current_app.config["CODEKIDS"]


def _lock_from(failures: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """Failures newest first. Locked until the limit-th newest failure leaves the window."""
    if len(failures) < limit:
        return None
    return failures[limit - 1] + window


def _recent_failures(where, since: datetime, limit: int) -> list[datetime]:
    return list(
        db.session.scalars(
            select(LoginAttempt.at)
            .where(*where, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
    )


def user_lock(user: User, now: datetime | None = None) -> Lock | None:
    s = _settings()
    now = now or utcnow()
    window = timedelta(minutes=s.lockout_minutes)
    since = max(d for d in (now - window, user.lockout_lifted_at) if d)
    # Only failures after the last success count. That success is found inside the
    # same statement (one round trip, not two: every child login checks this twice).
    last_success = (
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.user_id == user.id, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    where = [LoginAttempt.user_id == user.id, LoginAttempt.at > func.coalesce(last_success, since)]
    limit = s.child_max_failures
    until = _lock_from(_recent_failures(where, since, limit), limit, window)
    return Lock(until, "child") if until and until > now else None


def address_lock(club: Club, address: str, now: datetime | None = None) -> Lock | None:
    s = _settings()
    now = now or utcnow()
    window = timedelta(minutes=s.lockout_minutes)
    since = max(d for d in (now - window, club.lockouts_lifted_at) if d)
    limit = s.club_address_max_failures
    where = [LoginAttempt.club_id == club.id, LoginAttempt.address == address]
    until = _lock_from(_recent_failures(where, since, limit), limit, window)
    return Lock(until, "address") if until and until > now else None


def _record(user: User | None, club: Club | None, address: str, ok: bool) -> None:
    db.session.add(
        LoginAttempt(
            user_id=user.id if user else None,
            club_id=club.id if club else None,
            address=address[:64],
            succeeded=ok,
            at=utcnow(),
        )
    )


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    lock: Lock | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def child_login(child: User, kind: str, answer: tuple[str, ...], address: str) -> LoginOutcome:
    """Check a child's secret, unless this child or this PC is locked out.

    While locked, even a right answer is refused: otherwise the lock would only
    slow guessing, not stop it.
    """
    club = child.club
    lock = address_lock(club, address) or user_lock(child)
    if lock:
        return LoginOutcome(lock=lock)
    ok = child.active and child_secrets.matches(child_secrets.decrypt(child.secret_enc), kind, answer)
    _record(child, club, address, ok)
    if ok:
        child.last_login_at = utcnow()
    db.session.commit()
    if ok:
        return LoginOutcome(user=child)
    return LoginOutcome(lock=address_lock(club, address) or user_lock(child))


def staff_login(username: str, password: str, address: str) -> LoginOutcome:
    user = db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower(), User.role != CHILD)
    )
    if user is None:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        passwords.verify_password(_dummy_hash(), password)
        return LoginOutcome()
    lock = user_lock(user)
    if lock:
        return LoginOutcome(lock=lock)
    ok = user.active and passwords.verify_password(user.password_hash, password)
    _record(user, None, address, ok)
    if ok:
        user.last_login_at = utcnow()
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
    db.session.commit()
    return LoginOutcome(user=user) if ok else LoginOutcome(lock=user_lock(user))


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    key = f"{_settings().argon2_time_cost}:{_settings().argon2_memory_kib}"
    if key not in _DUMMY:
        _DUMMY[key] = passwords.hash_password(_random.token_hex(16))
    return _DUMMY[key]


def lift_child_lock(child: User) -> None:
    child.lockout_lifted_at = utcnow()
    db.session.commit()


def lift_club_locks(club: Club) -> None:
    now = utcnow()
    club.lockouts_lifted_at = now
    for child in club_children(club):
        child.lockout_lifted_at = now
    db.session.commit()


def club_children(club: Club, include_inactive: bool = True) -> list[User]:
    q = select(User).where(User.club_id == club.id, User.role == CHILD)
    if not include_inactive:
        q = q.where(User.active.is_(True))
    return list(db.session.scalars(q.order_by(func.lower(User.nickname))))


class PasswordRejected(ValueError):
    """The new password is not acceptable; `.reason` is a key the view translates."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def end_sessions(user: User) -> None:
    """End every session of this user, on every browser, at its next request.

    Sessions live in signed cookies the browser keeps, so a copied cookie is
    refused only because its session_version no longer matches (web._load_user).
    One version per user, not per browser: a child logged in on two PCs who
    presses "This is not me" on one is logged out on both, which is what a shared
    library PC needs. One UPDATE that adds 1, so two logouts racing both count.
    """
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire(user, ["session_version"])


def set_password(user: User, new_password: str, *, temporary: bool = False) -> None:
    problem = passwords.password_problem(new_password, user.username)
    if problem:
        raise PasswordRejected(problem)
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = temporary
    user.session_version += 1
    db.session.commit()


def change_password(user: User, current: str, new_password: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise PasswordRejected("wrong_current")
    if current == new_password:
        raise PasswordRejected("same_as_old")
    set_password(user, new_password)


def temporary_password() -> str:
    """Readable over the phone: no 0/O or 1/l/I."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    rng = _random.SystemRandom()
    return "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(3))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(user: User, created_by: User | None) -> str:
    """Returns the raw token (shown once, inside a link); only its hash is stored."""
    token = _random.token_urlsafe(32)
    db.session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + timedelta(days=_settings().invitation_days),
        )
    )
    db.session.commit()
    return token


def find_invitation(token: str) -> Invitation | None:
    """A usable invitation: unused, unexpired, for an active account."""
    inv = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if inv is None or inv.used_at is not None or inv.expires_at < utcnow() or not inv.user.active:
        return None
    return inv


class InvitationUsed(ValueError):
    """The invitation was used (or expired) between showing the form and accepting it."""


def accept_invitation(inv: Invitation, new_password: str) -> User:
    user = inv.user
    problem = passwords.password_problem(new_password, user.username)
    if problem:
        raise PasswordRejected(problem)
    # Claim the invitation with one conditional UPDATE, so two tabs (or two web
    # processes) racing with the same link cannot both set a password through it.
    now = utcnow()
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.used_at.is_(None), Invitation.expires_at >= now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvitationUsed(inv.id)
    set_password(user, new_password)  # commits the claim together with the password
    db.session.refresh(inv)
    return user
