"""Logging in and out: children (club code → nickname → secret) and staff (password).

Views stay thin: the rules (lockouts, password strength, invitations) live in
accounts.service. Every login starts a brand-new session, so nothing planted in
a visitor's cookie before login survives it (session fixation).
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from codekids import db
from codekids.accounts import devices, service
from codekids.accounts import secrets as child_secrets
from codekids.accounts.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ClubCodeForm,
    PictureSecretForm,
    StaffLoginForm,
    WordSecretForm,
)
from codekids.accounts.models import CHILD, User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club
from codekids.db import utcnow
from codekids.i18n import LANGUAGES
from codekids.redirects import local_path

bp = Blueprint("auth", __name__)

PASSWORD_PROBLEMS = {
    "too_short": _l("The new password is too short."),
    "contains_username": _l("The new password must not contain your username."),
    "too_simple": _l("The new password is too simple: use more different characters."),
    "wrong_current": _l("Your current password is not right."),
    "same_as_old": _l("The new password must be different from the current one."),
}

# Pages a user who must change their temporary password may still reach.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static",
                                   "main.set_language"}


def picture_label(name: str) -> str:
    """Template global: the translated name of a secret picture, its alt text everywhere."""
    return str(child_secrets.PICTURE_LABELS.get(name, name))


def force_password_change():
    """before_request (every page of the site): a temporary password is only good for
    choosing a new one."""
    if (
        current_user.is_authenticated
        and current_user.role != CHILD
        and current_user.must_change_password
        and request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    return None


def _start_session(user: User) -> None:
    """Log in on a fresh session: only the chosen language is carried over."""
    locale = session.get("locale")
    session.clear()
    if locale in LANGUAGES:
        session["locale"] = locale
    login_user(user)
    session["last_seen"] = utcnow().isoformat()


@bp.after_request
def _device_cookie(response):
    """Every login page hands the browser its device cookie (accounts/devices.py)."""
    return devices.save_cookie(response)


def _device() -> str | None:
    """The device id this browser sent (None: anonymous); a new cookie goes out if so."""
    device = devices.presented()
    devices.issued()
    return device


def _lock_message(lock: service.Lock) -> str:
    if lock.reason == service.WAIT:
        return ngettext(
            "Slow down a little: wait %(num)d second, then try again.",
            "Slow down a little: wait %(num)d seconds, then try again.",
            lock.seconds_left(utcnow()),
        )
    n = lock.minutes_left(utcnow())
    if lock.reason == service.CHILD_ON_DEVICE:
        return ngettext(
            "Too many wrong tries for this name on this computer. Don't worry: it opens "
            "by itself in %(num)d minute, or your librarian can open it now.",
            "Too many wrong tries for this name on this computer. Don't worry: it opens "
            "by itself in %(num)d minutes, or your librarian can open it now.",
            n,
        )
    if lock.reason in (service.DEVICE, service.ANONYMOUS):
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


# ---- children -----------------------------------------------------------------------


def _code_page(form: ClubCodeForm, unknown: bool, wait: service.Lock | None, status: int):
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


def _find_club(code: str):
    """The open club of a code in a URL, or the page to answer instead: club codes
    are throttled per browser and per address (service.club_code_wait), in the URL
    as in the form, and while they must wait even the right code is refused."""
    address = request.remote_addr or ""
    device = _device()
    wait = service.club_code_wait(address, device)
    if wait is None:
        club = clubs.find_club_by_code(code)
        if club is not None:
            return club
        wait = service.record_wrong_club_code(address, device)
    return _code_page(ClubCodeForm(formdata=None), True, wait, 404)


@bp.route("/copii", methods=["GET", "POST"])
def child_start():
    form = ClubCodeForm()
    device = _device()
    unknown = False
    wait = None
    if form.validate_on_submit():
        address = request.remote_addr or ""
        wait = service.club_code_wait(address, device)
        if wait is None:
            club = clubs.find_club_by_code(form.code.data)
            if club is not None:
                return redirect(url_for("auth.child_pick", code=club.join_code))
            unknown = True
            wait = service.record_wrong_club_code(address, device)
    return _code_page(form, unknown, wait, 200)


@bp.get("/copii/<code>")
def child_pick(code: str):
    club = _find_club(code)
    if not isinstance(club, Club):
        return club
    if code != club.join_code:  # typed by hand: "abc-def" → "ABCDEF"
        return redirect(url_for("auth.child_pick", code=club.join_code))
    children = service.club_children(club, include_inactive=False)
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
    club = _find_club(code)
    if not isinstance(club, Club):
        return club
    child = db.session.get(User, child_id)
    # A child of another club and a deactivated child get the same answer as a
    # child that does not exist: the page reveals nothing about who is where.
    if child is None or child.role != CHILD or child.club_id != club.id or not child.active:
        abort(404)
    if code != club.join_code:
        return redirect(url_for("auth.child_secret", code=club.join_code, child_id=child.id))

    stored = child_secrets.decrypt(child.secret_enc)
    # The child's own secret decides the form, so a club that switched kinds still
    # lets children with an older card log in.
    kind = stored.kind if stored else club.secret_kind
    address = request.remote_addr or ""
    device = _device()
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
        outcome = service.child_login(
            child, kind, answer, address=address, device=device, new_device=devices.issued()
        )
        if outcome.ok:
            devices.renew()  # trusted for this child from now on, for one more year
            _start_session(outcome.user)
            return redirect(url_for("learning.home"))
        sequence = []
        lock = outcome.lock
        wrong = outcome.wrong
    else:
        lock = service.child_lock(child, address, device)
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
        waiting = lock is not None and lock.reason == service.WAIT
        status = 429 if lock and not (waiting and wrong) else 422 if wrong else 200
        computer = (
            devices.label(lock.device)
            if lock is not None and lock.reason in (service.DEVICE, service.CHILD_ON_DEVICE)
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


# ---- everyone -----------------------------------------------------------------------


@bp.route("/iesire", methods=["GET", "POST"])
def logout():
    """Ends the session on the server: a POST with the CSRF token (the header's
    "Log out" and "This is not me" buttons, and the idle timer of static/js/site.js).

    GET only shows that button, so a link, a prefetch or another site's
    ``<img src="/iesire">`` cannot log anyone out. The POST bumps the user's
    session_version (service.end_sessions): a copy of this cookie replayed later is
    refused, and so are this user's sessions on other PCs. A child goes back to
    their club's nickname list, so the next child at the same PC only has to find
    their own name.
    """
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.child_start"))
        return render_template("auth/logout.html")
    target = url_for("auth.staff_login")
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if user.is_child:
            club = user.club
            target = (url_for("auth.child_pick", code=club.join_code) if club and club.active
                      else url_for("auth.child_start"))
        service.end_sessions(user)
    else:
        target = url_for("auth.child_start")
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale in LANGUAGES:
        session["locale"] = locale
    if request.args.get("reason") == "idle":
        flash(_("You were logged out because nobody used the site for a while."), "info")
    return redirect(target)


# ---- staff --------------------------------------------------------------------------


@bp.route("/autentificare", methods=["GET", "POST"])
def staff_login():
    form = StaffLoginForm()
    if request.method == "GET":
        form.next.data = local_path(request.args.get("next")) or ""
    error = None
    status = 200
    device = _device()
    if form.validate_on_submit():
        outcome = service.staff_login(
            form.username.data,
            form.password.data,
            address=request.remote_addr or "",
            device=device,
            new_device=devices.issued(),
        )
        if outcome.ok:
            devices.renew()
            _start_session(outcome.user)
            if outcome.user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(local_path(form.next.data) or url_for("main.index"))
        # The same words for a username nobody has as for a real one, in every case.
        lock = outcome.lock
        waiting = lock is not None and lock.reason == service.WAIT
        status = 429 if lock and not (waiting and outcome.wrong) else 422
        wrong = _("The username or the password is not right.") if outcome.wrong else ""
        if lock is None:
            error = wrong
        else:
            error = f"{wrong} {_staff_lock_message(lock)}" if waiting else _staff_lock_message(lock)
    form.password.data = ""
    return render_template("auth/staff_login.html", form=form, error=error), status


def _staff_lock_message(lock: service.Lock) -> str:
    if lock.reason == service.WAIT:
        return ngettext(
            "Please wait %(num)d second before trying again.",
            "Please wait %(num)d seconds before trying again.",
            lock.seconds_left(utcnow()),
        )
    n = lock.minutes_left(utcnow())
    if lock.reason in (service.DEVICE, service.ANONYMOUS):
        return ngettext(
            "Too many failed attempts from this computer. Try again in %(num)d minute.",
            "Too many failed attempts from this computer. Try again in %(num)d minutes.",
            n,
        )
    if lock.reason == service.ADDRESS:
        return ngettext(
            "Too many failed attempts from this network. Try again in %(num)d minute, "
            "or from a computer you logged in on before.",
            "Too many failed attempts from this network. Try again in %(num)d minutes, "
            "or from a computer you logged in on before.",
            n,
        )
    return ngettext(
        "Too many failed attempts for this username. Try again in %(num)d minute, "
        "or from a computer you logged in on before.",
        "Too many failed attempts for this username. Try again in %(num)d minutes, "
        "or from a computer you logged in on before.",
        n,
    )


@bp.route("/parola", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            service.change_password(user, form.current_password.data, form.new_password.data)
        except service.PasswordRejected as rejected:
            error = str(PASSWORD_PROBLEMS.get(rejected.reason, rejected.reason))
        else:
            # session_version was bumped, which ends every other session of this user;
            # logging in again keeps this one.
            _start_session(user)
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("main.index"))
    return render_template(
        "auth/change_password.html",
        form=form,
        error=error,
        forced=current_user.must_change_password,
    ), (422 if error else 200)


@bp.route("/invitatie/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = service.find_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    form = AcceptInvitationForm()
    error = None
    if form.validate_on_submit():
        try:
            user = service.accept_invitation(invitation, form.new_password.data)
        except service.InvitationUsed:
            return render_template("auth/invitation_invalid.html"), 404
        except service.PasswordRejected as rejected:
            error = str(PASSWORD_PROBLEMS.get(rejected.reason, rejected.reason))
        else:
            _start_session(user)
            flash(_("Welcome! Your password is saved."), "success")
            return redirect(url_for("main.index"))
    return render_template(
        "auth/accept_invitation.html", form=form, invitation=invitation, error=error
    ), (422 if error else 200)
