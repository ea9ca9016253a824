"""Logging in and out: staff (password, invitation) and everyone's logout.

A child's login (club code → nickname → secret) needs the club at every step, so
its views live in the room above, clubs/child_login.py. Views stay thin: the rules
(lockouts, password strength, invitations, fresh sessions) live in accounts.service.
Every login starts a brand-new session, so nothing planted in a visitor's cookie
before login survives it (session fixation).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from codekids.accounts import devices, service
from codekids.accounts import secrets as child_secrets
from codekids.accounts.forms import AcceptInvitationForm, ChangePasswordForm, StaffLoginForm
from codekids.accounts.models import CHILD
from codekids.db import utcnow
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


@bp.after_request
def _device_cookie(response):
    """Every login page hands the browser its device cookie (accounts/devices.py)."""
    return devices.save_cookie(response)


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
            return redirect(url_for("child_login.child_start"))
        return render_template("auth/logout.html")
    user = current_user._get_current_object()
    target = service.page_after_logout(user)
    if user.is_authenticated:
        service.end_sessions(user)
    service.end_session()
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
    device = devices.current()
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
            service.start_session(outcome.user)
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
            service.start_session(user)
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
            service.start_session(user)
            flash(_("Welcome! Your password is saved."), "success")
            return redirect(url_for("main.index"))
    return render_template(
        "auth/accept_invitation.html", form=form, invitation=invitation, error=error
    ), (422 if error else 200)
