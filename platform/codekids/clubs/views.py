"""The librarian's room: clubs, children, lockouts and printable login cards.

The club page itself (it shows the club's lines, counted by the room above) and what a
librarian follows (progress, meetings, diplomas, a child's data) are in following/.

The route policy (security_policy.ROUTES) has already checked the club or child in
the URL before any view here runs; views only parse, call clubs.service, render.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from codekids.accounts import devices
from codekids.accounts import service as accounts
from codekids.accounts.models import User
from codekids.accounts.secrets import PICTURE_LABELS
from codekids.clubs import service
from codekids.clubs.forms import AddChildrenForm, line_problem_message
from codekids.clubs.service import child_or_404, club_or_404
from codekids.i18n import local_time

bp = Blueprint("clubs", __name__, url_prefix="/cluburi")


def _card(child: User) -> dict:
    return {"child": child, "club": child.club, "secret": service.card_secret(child)}


@bp.get("/")
def my_clubs():
    return render_template("librarian/my_clubs.html", clubs=service.clubs_in_scope(current_user))


@bp.route("/<id:club_id>/copii-noi", methods=["GET", "POST"])
def add_children(club_id: int):
    club = club_or_404(club_id)
    form = AddChildrenForm()
    problems = []
    if form.validate_on_submit():
        result = service.create_children(club, form.nicknames.data)
        if result.ok:
            ids = ",".join(str(c.id) for c in result.created)
            return render_template("librarian/children_added.html", club=club,
                                   children=result.created, ids=ids)
        problems = [(p, line_problem_message(p.reason)) for p in result.problems]
    return render_template("librarian/add_children.html", club=club, form=form,
                           problems=problems, nickname_max=service.NICKNAME_MAX,
                           bulk_max=service.BULK_MAX)


@bp.get("/<id:club_id>/cartonase")
def cards(club_id: int):
    club = club_or_404(club_id)
    raw = request.args.get("ids", "").strip()
    ids = [x for x in raw.split(",") if x.strip()] if raw else None
    # Ids of children of other clubs are silently dropped: the query is bound to this club.
    children = accounts.club_children(club, ids=ids)
    return render_template("librarian/cards.html", club=club,
                           cards=[_card(c) for c in children], picture_labels=PICTURE_LABELS)


@bp.post("/<id:club_id>/deblocare")
def lift_club_lockouts(club_id: int):
    club = club_or_404(club_id)
    accounts.lift_club_locks(club)
    flash(_("All lockouts of this club are lifted, on every computer."), "success")
    return redirect(url_for("following.club", club_id=club.id))


@bp.post("/<id:club_id>/deblocare-calculator")
def lift_device_lockout(club_id: int):
    """One locked computer (its device cookie), or the cookie-less browsers of one address."""
    club = club_or_404(club_id)
    device = request.form.get("device", "")
    address = request.form.get("address", "")
    if device and devices.is_device_id(device):
        accounts.lift_device_lock(club, device)
    elif not device and address and len(address) <= 64:
        accounts.lift_device_lock(club, None, address)
    else:
        abort(400)
    flash(_("This computer is unlocked: every child can try to log in on it again."), "success")
    return redirect(url_for("following.club", club_id=club.id))


@bp.get("/copil/<id:child_id>")
def child(child_id: int):
    child = child_or_404(child_id)
    return render_template("librarian/child.html", child=child, club=child.club,
                           locks=accounts.club_locks(child.club).of(child.id),
                           local=local_time, computer_code=devices.label)


@bp.post("/copil/<id:child_id>/secret-nou")
def reset_secret(child_id: int):
    child = child_or_404(child_id)
    service.reset_secret(child)
    flash(_("%(name)s has a new secret. Print the new card; the old one no longer works.",
            name=child.nickname), "success")
    return redirect(url_for("clubs.child_card", child_id=child.id))


@bp.post("/copil/<id:child_id>/dezactivare")
def deactivate_child(child_id: int):
    child = child_or_404(child_id)
    service.set_child_active(child, False)
    flash(_("%(name)s can no longer log in. You can turn the account back on at any time.",
            name=child.nickname), "success")
    return redirect(url_for("clubs.child", child_id=child.id))


@bp.post("/copil/<id:child_id>/reactivare")
def reactivate_child(child_id: int):
    child = child_or_404(child_id)
    service.set_child_active(child, True)
    flash(_("%(name)s can log in again.", name=child.nickname), "success")
    return redirect(url_for("clubs.child", child_id=child.id))


@bp.post("/copil/<id:child_id>/deblocare")
def lift_lockout(child_id: int):
    child = child_or_404(child_id)
    accounts.lift_child_lock(child)
    flash(_("%(name)s can try to log in again now.", name=child.nickname), "success")
    if request.form.get("back") == "club":
        return redirect(url_for("following.club", club_id=child.club_id))
    return redirect(url_for("clubs.child", child_id=child.id))


@bp.get("/copil/<id:child_id>/cartonas")
def child_card(child_id: int):
    child = child_or_404(child_id)
    return render_template("librarian/cards.html", club=child.club, cards=[_card(child)],
                           picture_labels=PICTURE_LABELS, single=True)
