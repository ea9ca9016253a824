"""A child's login: club code → nickname → secret.

It lives in the clubs room because every step needs the club (found by its code,
its children listed, its kind of secret), and accounts, the room below, knows clubs
by name only. The rules themselves (checking the secret, lockouts, throttling wrong
club codes) stay in accounts.service; these views only parse, call it and render.

Its own blueprint, since the child's URLs (/copii/...) are not under the club
pages' /cluburi. Like the staff login pages, every page here hands the browser its
device cookie (accounts/devices.py): registered on this blueprint only, below.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from codekids import db
from codekids.accounts import devices
from codekids.accounts import secrets as child_secrets
from codekids.accounts import service as accounts
from codekids.accounts.forms import ClubCodeForm, PictureSecretForm, WordSecretForm
from codekids.accounts.models import CHILD, User
from codekids.clubs import service
from codekids.clubs.models import Club
from codekids.db import utcnow
from codekids.i18n import LANGUAGES

bp = Blueprint("child_login", __name__)
bp.after_request(devices.save_cookie)


def _lock_message(lock: accounts.Lock) -> str:
    if lock.reason == accounts.WAIT:
        return ngettext(
            "Slow down a little: wait %(num)d second, then try again.",
            "Slow down a little: wait %(num)d seconds, then try again.",
            lock.seconds_left(utcnow()),
        )
    n = lock.minutes_left(utcnow())
    if lock.reason == accounts.CHILD_ON_DEVICE:
        return ngettext(
            "Too many wrong tries for this name on this computer. Don't worry: it opens "
            "by itself in %(num)d minute, or your librarian can open it now.",
            "Too many wrong tries for this name on this computer. Don't worry: it opens "
            "by itself in %(num)d minutes, or your librarian can open it now.",
            n,
        )
    if lock.reason in (accounts.DEVICE, accounts.ANONYMOUS):
        return ngettext(
            "Too many wrong tries from this computer. Take a break: it opens by itself "
            "in %(num)d minute, or your librarian can open it now.",
            "Too many wrong tries from this computer. Take a break: it opens by itself "
            "in %(num)d minutes, or your librarian can open it now.",
            n,
        )
    return ngettext(
        "Too many wrong tries for this name. Don't worry: it opens by itself in "
        "%(num)d minute, or your librarian can open it now.",
        "Too many wrong tries for this name. Don't worry: it opens by itself in "
        "%(num)d minutes, or your librarian can open it now.",
        n,
    )


def _code_page(form: ClubCodeForm, unknown: bool, wait: accounts.Lock | None, status: int):
    """The club-code form: after a wrong code, or while wrong codes must wait."""
    wait_message = None
    if wait is not None:
        wait_message = ngettext(
            "Many wrong club codes were typed here. Wait %(num)d minute, then look at "
            "your card and try again.",
            "Many wrong club codes were typed here. Wait %(num)d minutes, then look at "
            "your card and try again.",
            wait.minutes_left(utcnow()),
        )
        status = 429
    return render_template(
        "auth/child_start.html",
        form=form,
        unknown=unknown and wait is None,
        wait_message=wait_message,
    ), status


# The child of a secret page with their club (and its county) in one query: when the
# URL's code is that club's (it nearly always is), the club needs no query of its own.
# (Built at the first request: the mappers are complete only once every room's models
# are imported.)
@functools.cache
def _child_with_club():
    return select(User).options(joinedload(User.club)).where(User.id == bindparam("child_id"))


def _find_club(code: str, known: Club | None = None):
    """The open club of a code in a URL, or the page to answer instead: club codes
    are throttled per browser and per address (accounts.club_code_wait), in the URL
    as in the form, and while they must wait even the right code is refused.

    ``known``: the club the page's child belongs to, already loaded; when the code is
    its code, it needs no query of its own."""
    address = request.remote_addr or ""
    device = devices.current()
    wait = accounts.club_code_wait(address, device)
    if wait is None:
        if (known is not None and known.active
                and known.join_code == service.normalise_join_code(code)):
            return known
        club = service.find_club_by_code(code)
        if club is not None:
            return club
        wait = accounts.record_wrong_club_code(address, device)
    return _code_page(ClubCodeForm(formdata=None), True, wait, 404)


@bp.route("/copii", methods=["GET", "POST"])
def child_start():
    form = ClubCodeForm()
    device = devices.current()
    unknown = False
    wait = None
    if form.validate_on_submit():
        address = request.remote_addr or ""
        wait = accounts.club_code_wait(address, device)
        if wait is None:
            club = service.find_club_by_code(form.code.data)
            if club is not None:
                return redirect(url_for("child_login.child_pick", code=club.join_code))
            unknown = True
            wait = accounts.record_wrong_club_code(address, device)
    return _code_page(form, unknown, wait, 200)


@bp.get("/copii/<code>")
def child_pick(code: str):
    club = _find_club(code)
    if not isinstance(club, Club):
        return club
    if code != club.join_code:  # typed by hand: "abc-def" → "ABCDEF"
        return redirect(url_for("child_login.child_pick", code=club.join_code))
    children = accounts.club_children(club, include_inactive=False)
    return render_template("auth/child_pick.html", club=club, children=children)


def _parse_sequence(raw: str | None) -> list[str]:
    names = [n for n in (raw or "").split(",") if n]
    if len(names) > child_secrets.PICTURE_COUNT or any(
        n not in child_secrets.PICTURES for n in names
    ):
        return []  # tampered with: start again rather than guess what was meant
    return names


@bp.route("/copii/<code>/<id:child_id>", methods=["GET", "POST"])
def child_secret(code: str, child_id: int):
    child = db.session.execute(_child_with_club(), {"child_id": child_id}).scalar()
    club = _find_club(code, child.club if child is not None else None)
    if not isinstance(club, Club):
        return club
    # A child of another club and a deactivated child get the same answer as a
    # child that does not exist: the page reveals nothing about who is where.
    if child is None or child.role != CHILD or child.club_id != club.id or not child.active:
        abort(404)
    if code != club.join_code:
        return redirect(url_for("child_login.child_secret", code=club.join_code,
                                child_id=child.id))

    stored = child_secrets.decrypt(child.secret_enc)
    # The child's own secret decides the form, so a club that switched kinds still
    # lets children with an older card log in.
    kind = stored.kind if stored else club.secret_kind
    address = request.remote_addr or ""
    device = devices.current()
    form = PictureSecretForm() if kind == "pictures" else WordSecretForm()
    error = None
    sequence: list[str] = []
    wrong = False
    answer: tuple[str, ...] | None = None

    if request.method == "POST" and form.validate_on_submit():
        if kind == "pictures":
            sequence = [] if form.restart.data else _parse_sequence(form.sequence.data)
            if not form.restart.data and form.add.data in child_secrets.PICTURES:
                if len(sequence) < child_secrets.PICTURE_COUNT:
                    sequence.append(form.add.data)
            if len(sequence) == child_secrets.PICTURE_COUNT:
                answer = tuple(sequence)
        else:
            answer = (form.words.data or "",)
    if answer is not None:
        # child_login refuses a locked child or PC itself (even with the right answer),
        # so the locks are not looked up here first as well.
        outcome = accounts.child_login(
            child, kind, answer, address=address, device=device, new_device=devices.issued()
        )
        if outcome.ok:
            devices.renew()  # trusted for this child from now on, for one more year
            accounts.start_session(outcome.user)
            return redirect(url_for("learning.home"))
        sequence = []
        lock = outcome.lock
        wrong = outcome.wrong
    else:
        lock = accounts.child_lock(child, address, device)
        if lock is not None:
            sequence = []  # locked: the pictures chosen so far are dropped, as before any answer

    if kind == "pictures":
        form.sequence.data = ",".join(sequence)
    else:
        form.words.data = ""
    # Before login the page speaks the language this visitor chose, else the child's own.
    locale = session.get("locale") or child.locale
    with force_locale(locale) if locale in LANGUAGES else nullcontext():
        error = None
        if wrong:
            error = (_("Those are not your pictures. Try again, slowly.")
                     if kind == "pictures"
                     else _("Those are not your words. Look at your card and try again."))
        # Slowed down: the grid stays, with the wait in words. Locked: no grid.
        waiting = lock is not None and lock.reason == accounts.WAIT
        status = 429 if lock and not (waiting and wrong) else 422 if wrong else 200
        computer = (
            devices.label(lock.device)
            if lock is not None and lock.reason in (accounts.DEVICE, accounts.CHILD_ON_DEVICE)
            else None
        )
        return render_template(
            "auth/child_secret.html",
            club=club,
            child=child,
            kind=kind,
            form=form,
            pictures=child_secrets.PICTURES,
            chosen=len(sequence),
            needed=child_secrets.PICTURE_COUNT,
            error=error,
            lock_message=_lock_message(lock) if lock and not waiting else None,
            wait_message=_lock_message(lock) if waiting else None,
            computer_code=computer,
        ), status
