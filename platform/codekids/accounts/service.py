"""Account rules: logging in and out, lockouts after failed guesses, staff accounts,
passwords and invitations.

Lockouts are computed from LoginAttempt rows, never kept in memory, so they hold
across several web processes and expire by themselves: only failures inside the
last `lockout_minutes` count, and none a librarian lifted.

Guessing is counted per browser (OWASP's "device cookies", accounts/devices.py),
so that one prankster's PC is slowed and then locked, never the rest of the
library. For every attempt at an account (a child, or a typed staff username)
from a browser (device):

- the device is *trusted* for the account when it logged in to it before; then
  only the account's wrong tries from this device count (`account_device_max_failures`),
  and nothing another browser does locks it out;
- otherwise three counts apply: the account from this device
  (`account_device_max_failures`), this device for any account
  (`device_max_failures`, slowed with "wait N seconds" from `device_slow_after`
  on), and the account from every device it never logged in from
  (`child_max_failures`, `staff_max_failures`: much higher, so that only a
  determined attack locks a child everywhere, and still not on its own PCs);
- a browser that sends no valid device cookie is one "anonymous" device per
  address (`anonymous_max_failures`), so clearing the cookie between tries buys
  nothing but a stricter limit;
- staff logins also count per address (`staff_address_max_failures`), and are
  counted by a hash of the typed username whether an account has it or not.

There is no lock per address or per club for children: every PC of a library
shares one address, and one PC must not lock the others out (see README,
"Lockouts"). While locked, even a right answer is refused and not recorded:
otherwise a lock would only slow guessing, not stop it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets as _random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import (
    DateTime,
    Integer,
    bindparam,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from codekids import db
from codekids.accounts import passwords
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import (
    CHILD,
    CHILD_LOGIN,
    CLUB_CODE,
    LIBRARIAN,
    STAFF_LOGIN,
    Invitation,
    LoginAttempt,
    User,
)
from codekids.bad_input import parse_id
from codekids.collation import sorted_by
from codekids.db import utcnow
from codekids.i18n import LANGUAGES

if TYPE_CHECKING:  # clubs is the room above: its models are only named here
    from codekids.clubs.models import Club, County

# Why an attempt is refused (Lock.reason).
CHILD_EVERYWHERE = "child"  # this child, on every browser it never logged in from
CHILD_ON_DEVICE = "child_device"  # this child, on this browser
DEVICE = "device"  # this browser, for every account it never logged in to
ANONYMOUS = "anonymous"  # browsers without a device cookie, at this address
WAIT = "wait"  # slowed down: this browser may try again in a few seconds
ACCOUNT = "account"  # staff: this username, on every browser it never logged in from
ACCOUNT_ON_DEVICE = "account_device"  # staff: this username, on this browser
ADDRESS = "address"  # staff: this address, for browsers not trusted for the username
CLUB_CODE_WAIT = "club_code"  # too many wrong club codes from this browser or address


@dataclass(frozen=True)
class Lock:
    until: datetime
    reason: str  # one of the names above
    device: str | None = None  # the browser's device id, when the lock is that browser's

    def minutes_left(self, now: datetime | None = None) -> int:
        seconds = (self.until - (now or utcnow())).total_seconds()
        return max(1, int(-(-seconds // 60)))

    def seconds_left(self, now: datetime | None = None) -> int:
        seconds = (self.until - (now or utcnow())).total_seconds()
        return max(1, int(-(-seconds // 1)))


def _settings():
    return current_app.config["CODEKIDS"]


def _window() -> timedelta:
    return timedelta(minutes=_settings().lockout_minutes)


def _lock_from(failures: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """Failures newest first. Locked until the limit-th newest failure leaves the window."""
    if len(failures) < limit:
        return None
    return failures[limit - 1] + window


def _newest_failures(since, limit: int, *where):
    """The select of the times of the newest unlifted failures matching `where`,
    newest first."""
    return (
        select(LoginAttempt.at)
        .where(
            *where,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.lifted_at.is_(None),
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    )


def _failures(since, limit: int, *where) -> list[datetime]:
    """Times of the newest unlifted failures matching `where`, newest first."""
    return list(db.session.scalars(_newest_failures(since, limit, *where)))


@dataclass(frozen=True)
class _Rules:
    """What differs between a child's secret and a staff password."""

    kind: str
    account_reason: str
    pair_reason: str
    account_limit: str  # the setting's name
    account_column: str  # the LoginAttempt column that names the account
    address_limit: str | None = None


_CHILD_RULES = _Rules(
    CHILD_LOGIN, CHILD_EVERYWHERE, CHILD_ON_DEVICE, "child_max_failures", "user_id")
_STAFF_RULES = _Rules(
    STAFF_LOGIN, ACCOUNT, ACCOUNT_ON_DEVICE, "staff_max_failures", "username_hash",
    "staff_address_max_failures",
)


@dataclass
class _Tally:
    """The recent failures that bear on one attempt, newest first."""

    device: str | None
    trusted: bool
    pair: list[datetime] = field(default_factory=list)  # this account, this device
    # This device at accounts it is not trusted for (device None: every cookie-less
    # try from this address).
    on_device: list[datetime] = field(default_factory=list)
    account: list[datetime] = field(default_factory=list)  # this account, untrusted devices
    address: list[datetime] = field(default_factory=list)  # staff: this address, untrusted

    def add_failure(self, at: datetime, rules: _Rules) -> None:
        """The failure just recorded, so the answer can say "now locked" without a query."""
        if self.device is not None:
            self.pair.insert(0, at)
        if not self.trusted:
            self.on_device.insert(0, at)
            self.account.insert(0, at)
            if rules.address_limit:
                self.address.insert(0, at)


# Values of the login statements below, bound at each execution.
_ACCOUNT, _DEVICE, _ADDRESS = bindparam("account"), bindparam("device"), bindparam("address")
_SINCE = bindparam("since", type_=DateTime)


def _limit(part: str):
    return bindparam(f"{part}_limit", type_=Integer)


def _failures_at_once(parts: dict[str, list], scalars: dict | None = None):
    """Several _failures in one statement: for each part, the times of its newest
    unlifted failures since ``since`` matching its conditions (at most ``<part>_limit``
    of them); for each of ``scalars`` (a scalar subquery, e.g. a last success), its
    value. One UNION ALL of the same limited selects, built once per shape (the
    callers keep it) and bound to its values at each execution: a child's login asked
    eight small queries where two do, and building a select() cost the worker more
    CPU than running it. Read its rows with _parts_found."""
    selects = []
    for name, where in parts.items():
        inner = _newest_failures(_SINCE, _limit(name), *where).subquery()
        selects.append(select(literal_column(f"'{name}'").label("part"), inner.c.at))
    for name, subquery in (scalars or {}).items():
        selects.append(select(literal_column(f"'{name}'").label("part"), subquery.label("at")))
    return union_all(*selects)


def _parts_found(rows, parts, scalars=()) -> dict:
    """The rows of a _failures_at_once statement: each part's times newest first, each
    scalar's value (None when nothing matched)."""
    found: dict = {name: [] for name in parts}
    found.update({name: None for name in scalars})
    for part, at in rows:
        if part in scalars:
            found[part] = at
        else:
            found[part].append(at)
    for name in parts:
        found[name].sort(reverse=True)
    return found


@functools.cache
def _tally_statement(rules: _Rules, with_device: bool):
    """The one query of _tally, for these rules, with or without a device cookie."""
    of_kind = LoginAttempt.kind == rules.kind
    # A browser's wrong tries at an account it logged in to before are that pair's
    # business only: they never count for the browser, the account or the address.
    untrusted = LoginAttempt.trusted.is_(False)
    of_account = getattr(LoginAttempt, rules.account_column) == _ACCOUNT
    parts: dict[str, list] = {}
    scalars = {}
    if with_device:
        earlier = aliased(LoginAttempt)
        last_success = (
            select(func.max(earlier.at))
            .where(
                earlier.kind == rules.kind,
                getattr(earlier, rules.account_column) == _ACCOUNT,
                earlier.device_id == _DEVICE,
                earlier.succeeded.is_(True),
            )
            .scalar_subquery()
        )
        scalars["last_success"] = last_success
        # The account's failures from this device count only after its last success here.
        parts["pair"] = [of_kind, of_account, LoginAttempt.device_id == _DEVICE,
                         LoginAttempt.at > func.coalesce(last_success, _SINCE)]
        parts["on_device"] = [of_kind, untrusted, LoginAttempt.device_id == _DEVICE]
    else:
        parts["on_device"] = [of_kind, LoginAttempt.device_id.is_(None),
                              LoginAttempt.address == _ADDRESS]
    parts["account"] = [of_kind, of_account, untrusted]
    if rules.address_limit:
        parts["address"] = [of_kind, LoginAttempt.address == _ADDRESS, untrusted]
    return _failures_at_once(parts, scalars), tuple(parts), tuple(scalars)


def _tally(rules: _Rules, account, device: str | None, address: str, now: datetime
           ) -> _Tally:
    """The failures bearing on one attempt at ``account`` (a child's id, or the hash of
    a typed staff username: rules.account_column) from this browser, in one query."""
    s = _settings()
    statement, parts, scalars = _tally_statement(rules, device is not None)
    values = {
        "account": account, "device": device, "address": address, "since": now - _window(),
        "pair_limit": s.account_device_max_failures,
        "on_device_limit": s.device_max_failures if device is not None
        else s.anonymous_max_failures,
        "account_limit": getattr(s, rules.account_limit),
        "address_limit": getattr(s, rules.address_limit) if rules.address_limit else 0,
    }
    found = _parts_found(db.session.execute(statement, values), parts, scalars)
    trusted = found.get("last_success") is not None
    tally = _Tally(device=device, trusted=trusted, pair=found.get("pair", []))
    if trusted:
        return tally  # a trusted browser: only this pair's own failures count
    tally.on_device = found["on_device"]
    tally.account = found["account"]
    tally.address = found.get("address", [])
    return tally


def _verdict(tally: _Tally, rules: _Rules, now: datetime) -> Lock | None:
    """The lock that refuses this attempt now (the one that lasts longest), or None."""
    s = _settings()
    window = _window()
    device = tally.device
    locks: list[Lock] = []

    def check(failures: list[datetime], limit: int, reason: str) -> None:
        until = _lock_from(failures, limit, window)
        if until is not None and until > now:
            locks.append(Lock(until, reason, device))

    check(tally.pair, s.account_device_max_failures, rules.pair_reason)
    if not tally.trusted:
        if device is None:
            check(tally.on_device, s.anonymous_max_failures, ANONYMOUS)
        else:
            check(tally.on_device, s.device_max_failures, DEVICE)
        check(tally.account, getattr(s, rules.account_limit), rules.account_reason)
        if rules.address_limit:
            check(tally.address, getattr(s, rules.address_limit), ADDRESS)
    if locks:
        return max(locks, key=lambda lock: lock.until)
    # Slowed before locked: a browser with a few wrong tries waits a little longer
    # after each one. A trusted browser (the child's own PC) is never slowed.
    n = len(tally.on_device)
    if not tally.trusted and s.device_slow_seconds > 0 and n >= s.device_slow_after:
        wait = timedelta(seconds=s.device_slow_seconds * (n - s.device_slow_after + 1))
        until = tally.on_device[0] + wait
        if until > now:
            return Lock(until, WAIT, device)
    return None


def _record(
    kind: str,
    *,
    address: str,
    ok: bool,
    at: datetime,
    user: User | None = None,
    club: Club | None = None,
    device: str | None = None,
    trusted: bool = False,
    username_hash: str | None = None,
) -> None:
    db.session.add(
        LoginAttempt(
            kind=kind,
            user_id=user.id if user else None,
            club_id=club.id if club else None,
            address=address[:64],
            device_id=device,
            username_hash=username_hash,
            trusted=trusted,
            succeeded=ok,
            at=at,
        )
    )


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    lock: Lock | None = None  # refused before checking, or what the failure just started
    wrong: bool = False  # the answer was checked, and it was not right

    @property
    def ok(self) -> bool:
        return self.user is not None


# ---- children -------------------------------------------------------------------------


def child_lock(
    child: User, address: str, device: str | None = None, now: datetime | None = None
) -> Lock | None:
    """The lock that would refuse this child's next try from this browser, or None."""
    now = now or utcnow()
    tally = _tally(_CHILD_RULES, child.id, device, address, now)
    lock = _verdict(tally, _CHILD_RULES, now)
    return None if lock is not None and lock.reason == WAIT else lock


def child_login(
    child: User,
    kind: str,
    answer: tuple[str, ...],
    address: str,
    device: str | None = None,
    *,
    new_device: str | None = None,
) -> LoginOutcome:
    """Check a child's secret, unless this browser or this child is locked out.

    `device` is the id the browser's device cookie holds (None: it sent none, an
    anonymous try); `new_device` is the id the browser holds after this answer
    (a new cookie), recorded with a success so that browser is trusted for this
    child from now on.
    """
    now = utcnow()
    club = child.club
    tally = _tally(_CHILD_RULES, child.id, device, address, now)
    lock = _verdict(tally, _CHILD_RULES, now)
    if lock:
        return LoginOutcome(lock=lock)
    ok = child.active and child_secrets.matches(
        child_secrets.decrypt(child.secret_enc), kind, answer
    )
    _record(
        CHILD_LOGIN,
        user=child,
        club=club,
        address=address,
        ok=ok,
        at=now,
        device=(new_device or device) if ok else device,
        trusted=tally.trusted,
    )
    if ok:
        child.last_login_at = now
    db.session.commit()
    if ok:
        return LoginOutcome(user=child)
    tally.add_failure(now, _CHILD_RULES)
    return LoginOutcome(lock=_verdict(tally, _CHILD_RULES, now), wrong=True)


# ---- staff ----------------------------------------------------------------------------


def username_hash(username: str) -> str:
    """An HMAC of the typed username (as looked up: trimmed, lower case)."""
    key = str(current_app.secret_key).encode()
    typed = username.strip().lower().encode()
    return hmac.new(key, b"staff-username:" + typed, hashlib.sha256).hexdigest()


def staff_login(
    username: str,
    password: str,
    address: str,
    device: str | None = None,
    *,
    new_device: str | None = None,
) -> LoginOutcome:
    """Check a staff password. A username nobody has is counted, throttled and
    answered exactly like a real one, and one password hash is verified whatever
    happens (unknown, locked, turned off), so neither the answer nor its time tells
    whether the username exists."""
    now = utcnow()
    typed_hash = username_hash(username)
    user = db.session.scalar(
        select(User).where(
            func.lower(User.username) == username.strip().lower(), User.role != CHILD
        )
    )
    tally = _tally(_STAFF_RULES, typed_hash, device, address, now)
    lock = _verdict(tally, _STAFF_RULES, now)
    real = user.password_hash if user is not None and lock is None else None
    right = passwords.verify_password(real or _dummy_hash(), password) and real is not None
    if lock:
        return LoginOutcome(lock=lock)
    ok = right and user.active
    _record(
        STAFF_LOGIN,
        user=user,
        address=address,
        ok=ok,
        at=now,
        device=(new_device or device) if ok else device,
        trusted=tally.trusted,
        username_hash=typed_hash,
    )
    if ok:
        user.last_login_at = now
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
    db.session.commit()
    if ok:
        return LoginOutcome(user=user)
    tally.add_failure(now, _STAFF_RULES)
    return LoginOutcome(lock=_verdict(tally, _STAFF_RULES, now), wrong=True)


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    key = f"{_settings().argon2_time_cost}:{_settings().argon2_memory_kib}"
    if key not in _DUMMY:
        _DUMMY[key] = passwords.hash_password(_random.token_hex(16))
    return _DUMMY[key]


def user_lock(user: User, now: datetime | None = None) -> Lock | None:
    """This account's lock on every browser it never logged in from (a child after
    `child_max_failures`, a staff username after `staff_max_failures`)."""
    now = now or utcnow()
    if user.role == CHILD:
        rules, account = _CHILD_RULES, LoginAttempt.user_id == user.id
    else:
        rules, account = _STAFF_RULES, LoginAttempt.username_hash == username_hash(user.username)
    limit = getattr(_settings(), rules.account_limit)
    failures = _failures(
        now - _window(),
        limit,
        LoginAttempt.kind == rules.kind,
        account,
        LoginAttempt.trusted.is_(False),
    )
    until = _lock_from(failures, limit, _window())
    return Lock(until, rules.account_reason) if until and until > now else None


# ---- club codes -----------------------------------------------------------------------


@functools.cache
def _club_code_statement(with_device: bool):
    """club_code_wait's one query: wrong codes from this browser (or, without a device
    cookie, cookie-less tries from this address) and from this address."""
    of_kind = LoginAttempt.kind == CLUB_CODE
    here = (
        LoginAttempt.device_id == _DEVICE
        if with_device
        else (LoginAttempt.device_id.is_(None) & (LoginAttempt.address == _ADDRESS))
    )
    return _failures_at_once({"here": [of_kind, here],
                              "address": [of_kind, LoginAttempt.address == _ADDRESS]})


def club_code_wait(
    address: str, device: str | None = None, now: datetime | None = None
) -> Lock | None:
    """Refuses every club code, the right ones too (else the wait would be an oracle),
    after too many wrong ones from this browser (`club_code_device_max_failures`;
    cookie-less tries from one address count as one browser) or from this address
    (`club_code_max_failures`; a browser that ever logged in is spared this one, so
    a prankster who clears cookies holds back only browsers as new as his)."""
    s = _settings()
    now = now or utcnow()
    window = timedelta(minutes=s.club_code_minutes)
    since = now - window
    here_limit, address_limit = s.club_code_device_max_failures, s.club_code_max_failures
    statement = _club_code_statement(device is not None)
    found = _parts_found(db.session.execute(statement, {
        "device": device, "address": address, "since": since,
        "here_limit": here_limit, "address_limit": address_limit,
    }), ("here", "address"))
    untils = [_lock_from(found["here"], here_limit, window)]
    at_address = _lock_from(found["address"], address_limit, window)
    # Looked up only when the address is over its limit: the common page view costs one
    # small query, not two.
    if at_address is not None and at_address > now and device is not None:
        known = db.session.scalar(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.device_id == device,
                LoginAttempt.kind != CLUB_CODE,
                LoginAttempt.succeeded.is_(True),
            )
            .limit(1)
        )
        if known is not None:
            at_address = None
    untils.append(at_address)
    until = max((u for u in untils if u is not None and u > now), default=None)
    return Lock(until, CLUB_CODE_WAIT, device) if until else None


def record_wrong_club_code(address: str, device: str | None = None) -> Lock | None:
    """A code that names no open club; returns the wait it starts, if any."""
    now = utcnow()
    _record(CLUB_CODE, address=address, ok=False, at=now, device=device)
    db.session.commit()
    return club_code_wait(address, device, now)


# ---- what the librarian sees and lifts ------------------------------------------------


@dataclass(frozen=True)
class DeviceLock:
    """A browser locked for the children it never logged in as; `device` None: the
    browsers without a device cookie at `address`."""

    device: str | None
    address: str
    until: datetime
    nicknames: tuple[str, ...]  # the club's children it guessed for

    def minutes_left(self, now: datetime | None = None) -> int:
        return Lock(self.until, DEVICE).minutes_left(now)


@dataclass(frozen=True)
class ClubLocks:
    children: dict[int, list[Lock]]  # child id → its locks, everywhere or on one browser
    devices: list[DeviceLock]

    def of(self, child_id: int) -> list[Lock]:
        return self.children.get(child_id, [])


def club_locks(club: Club, now: datetime | None = None) -> ClubLocks:
    """Every lock now holding for this club's children, from the same counts as
    child_login (one club's recent failures are few: read once, counted here)."""
    s = _settings()
    now = now or utcnow()
    window = _window()
    since = now - window
    of_club = [LoginAttempt.kind == CHILD_LOGIN, LoginAttempt.club_id == club.id]
    rows = db.session.execute(
        select(
            LoginAttempt.user_id,
            LoginAttempt.device_id,
            LoginAttempt.address,
            LoginAttempt.at,
            LoginAttempt.trusted,
        )
        .where(
            *of_club,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.lifted_at.is_(None),
            LoginAttempt.at > since,
        )
        .order_by(LoginAttempt.at.desc())
    ).all()
    if not rows:
        return ClubLocks({}, [])
    last_success = {
        (uid, dev): at
        for uid, dev, at in db.session.execute(
            select(LoginAttempt.user_id, LoginAttempt.device_id, func.max(LoginAttempt.at))
            .where(*of_club, LoginAttempt.succeeded.is_(True), LoginAttempt.at > since)
            .group_by(LoginAttempt.user_id, LoginAttempt.device_id)
        )
    }
    nickname = {c.id: c.nickname for c in club_children(club, include_inactive=True)}

    def lock(failures: list[datetime], limit: int) -> datetime | None:
        until = _lock_from(failures, limit, window)
        return until if until is not None and until > now else None

    children: dict[int, list[Lock]] = {}
    for uid in {r.user_id for r in rows if r.user_id is not None}:
        mine = [r for r in rows if r.user_id == uid]
        found = []
        until = lock([r.at for r in mine if not r.trusted], s.child_max_failures)
        if until:
            found.append(Lock(until, CHILD_EVERYWHERE))
        for dev in sorted({r.device_id for r in mine if r.device_id is not None}):
            after = last_success.get((uid, dev), since)
            until = lock(
                [r.at for r in mine if r.device_id == dev and r.at > after],
                s.account_device_max_failures,
            )
            if until:
                found.append(Lock(until, CHILD_ON_DEVICE, dev))
        if found:
            children[uid] = found

    devices: list[DeviceLock] = []
    for dev, addr in {(r.device_id, r.address if r.device_id is None else "") for r in rows}:
        if dev is not None:
            limit = s.device_max_failures
            failures = _failures(
                since,
                limit,
                LoginAttempt.kind == CHILD_LOGIN,
                LoginAttempt.trusted.is_(False),
                LoginAttempt.device_id == dev,
            )
            address = next(r.address for r in rows if r.device_id == dev)
        else:
            limit = s.anonymous_max_failures
            failures = _failures(
                since,
                limit,
                LoginAttempt.kind == CHILD_LOGIN,
                LoginAttempt.device_id.is_(None),
                LoginAttempt.address == addr,
            )
            address = addr
        until = lock(failures, limit)
        if until:
            names = sorted(
                {
                    nickname.get(r.user_id, "?")
                    for r in rows
                    if r.device_id == dev
                    and not r.trusted
                    and (dev is not None or r.address == addr)
                },
                key=str.casefold,
            )
            devices.append(DeviceLock(dev, address, until, tuple(names)))
    devices.sort(key=lambda d: d.until, reverse=True)
    return ClubLocks(children, devices)


def _lift(*where) -> datetime:
    now = utcnow()
    db.session.execute(
        update(LoginAttempt)
        .where(
            *where,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.lifted_at.is_(None),
            LoginAttempt.at > now - _window(),
        )
        .values(lifted_at=now)
        .execution_options(synchronize_session=False)
    )
    return now


def lift_child_lock(child: User) -> None:
    """Forgets this child's recent wrong tries, on every browser."""
    child.lockout_lifted_at = _lift(
        LoginAttempt.kind == CHILD_LOGIN, LoginAttempt.user_id == child.id
    )
    db.session.commit()


def lift_device_lock(club: Club, device: str | None, address: str = "") -> None:
    """Forgets the wrong tries one browser made for this club's children (device None:
    the cookie-less browsers at `address`). Tries it made at other clubs stay theirs."""
    here = (
        LoginAttempt.device_id == device
        if device is not None
        else LoginAttempt.device_id.is_(None) & (LoginAttempt.address == address)
    )
    _lift(LoginAttempt.kind == CHILD_LOGIN, LoginAttempt.club_id == club.id, here)
    db.session.commit()


def lift_club_locks(club: Club) -> None:
    """Forgets every recent wrong try for this club's children, from every browser."""
    now = _lift(LoginAttempt.kind == CHILD_LOGIN, LoginAttempt.club_id == club.id)
    club.lockouts_lifted_at = now
    for child in club_children(club, include_inactive=True):
        child.lockout_lifted_at = now
    db.session.commit()


def club_children(club: Club, ids=None, *, include_inactive: bool = False) -> list[User]:
    """The children of a club, in the reader's alphabet by nickname (codekids.collation):
    the active ones unless ``include_inactive``. ``ids`` narrows to those (ids from a
    request: one that is not an id, or a child of another club, is left out).

    The one query of a club's children, written here in the lowest room that needs it
    (the lockouts below), for every room above: the club page, the cards, the login
    picker, the grid, the attendance."""
    q = select(User).where(User.club_id == club.id, User.role == CHILD)
    if not include_inactive:
        q = q.where(User.active.is_(True))
    if ids is not None:
        q = q.where(User.id.in_([i for i in (parse_id(x) for x in ids) if i is not None]))
    return sorted_by(db.session.scalars(q), lambda u: u.nickname)


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


# ---- this browser's session -----------------------------------------------------------
#
# Sessions live in signed cookies. Logging in and out both start a brand-new one, so
# nothing planted in a visitor's cookie before login survives it (session fixation);
# only the chosen language is carried over, so the next person at a shared library PC
# reads the page in the language it was left in.


def _fresh_session_keeping_locale() -> None:
    locale = session.get("locale")
    session.clear()
    if locale in LANGUAGES:
        session["locale"] = locale


def start_session(user: User) -> None:
    """Log in on a fresh session: only the chosen language is carried over."""
    _fresh_session_keeping_locale()
    login_user(user)
    session["last_seen"] = utcnow().isoformat()


def end_session() -> None:
    """Log out on this browser: a fresh session that keeps only the chosen language.
    (Other browsers' sessions end only with end_sessions.)"""
    logout_user()
    _fresh_session_keeping_locale()


def page_after_logout(user) -> str:
    """Where someone goes once logged out. A child goes back to their club's nickname
    list, so the next child at the same PC only has to find their own name; a club
    that was closed has no list any more, so its children go to the club-code page."""
    if user is None or not user.is_authenticated:
        return url_for("child_login.child_start")
    if user.is_child:
        club = user.club
        if club is not None and club.active:
            return url_for("child_login.child_pick", code=club.join_code)
        return url_for("child_login.child_start")
    return url_for("auth.staff_login")


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


# ---- staff accounts: librarians and coordinators ---------------------------------------
#
# Who may create or change which librarian (a county coordinator, their county) is the
# coordinator's rule, in coordination/service.py; the rules here hold for everyone.

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


@dataclass
class NewAccess:
    """What to show the coordinator once: a temporary password or an invitation token."""

    librarian: User
    temporary_password: str | None = None
    invitation_token: str | None = None


def create_librarian(
    *, username: str, display_name: str, county: County | None, clubs: list[Club]
) -> User:
    """A new librarian who has no password yet (give_temporary_password or
    give_invitation). ValueError("username_format" or "username_taken")."""
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


def _fresh_temporary_password(user: User) -> str:
    while True:
        candidate = temporary_password()
        if passwords.password_problem(candidate, user.username) is None:
            return candidate


def give_temporary_password(user: User) -> NewAccess:
    """A temporary password, good only for choosing a new one; older sessions end."""
    temp = _fresh_temporary_password(user)
    set_password(user, temp, temporary=True)
    return NewAccess(user, temporary_password=temp)


def give_invitation(user: User, created_by: User | None) -> NewAccess:
    return NewAccess(user, invitation_token=create_invitation(user, created_by))


def _revoke_invitations(user: User) -> None:
    for inv in db.session.scalars(
        select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    ):
        inv.used_at = utcnow()  # an older link stops working once a new one exists


def reset_access(user: User, mode: str, created_by: User | None) -> NewAccess:
    """A new temporary password (old sessions end) or a new invitation (older links die)."""
    _revoke_invitations(user)
    if mode == "password":
        return give_temporary_password(user)
    if mode == "invitation":
        return give_invitation(user, created_by)
    raise ValueError(mode)


def update_librarian(
    librarian: User, *, display_name: str, active: bool, clubs: list[Club]
) -> None:
    librarian.display_name = display_name.strip() or None
    if librarian.active and not active:
        librarian.session_version += 1  # a deactivated account is logged out everywhere
    librarian.active = active
    set_librarian_clubs(librarian, clubs)
