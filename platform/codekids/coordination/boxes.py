"""The coordinator's pages for club laptops ("boxes", issue 19), on coordination's blueprint.

A national coordinator sees every box, a county coordinator those of clubs in
their county (the same rule as for clubs: clubs.service.may_manage_club): any
other box is "not found". Each box shows its club, label, token hint, last
contact, the lines accepted nationally, what the box last said was still waiting,
and its rejections with their reasons. Registering shows the token once, with the
exact setup line for the librarian; revoking asks first; replacing shows the new
token once. Every change is a POST with the form's CSRF token.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from codekids import db
from codekids.clubs import service as clubs_service
from codekids.form_choices import option
from codekids.sync import national, texts
from codekids.sync.forms import ConfirmForm, RegisterBoxForm
from codekids.sync.models import SyncBox


def _box(box_id: int) -> SyncBox:
    box = db.session.get(SyncBox, box_id)
    if box is None or not clubs_service.may_manage_club(current_user, box.club):
        abort(404)
    return box


def _boxes_in_scope() -> list[SyncBox]:
    club_ids = [c.id for c in clubs_service.clubs_in_scope(current_user)]
    if not club_ids:
        return []
    return list(db.session.scalars(select(SyncBox).where(SyncBox.club_id.in_(club_ids))
                                   .order_by(SyncBox.id)))


def _register_form() -> RegisterBoxForm:
    form = RegisterBoxForm()
    form.club_id.choices = [option("", "—")] + [
        option(str(c.id), f"{c.name} — {c.town} ({c.county.name})")
        for c in clubs_service.clubs_in_scope(current_user) if c.active
    ]
    return form


def _shown_once(box: SyncBox, token: str, replaced: bool):
    """The token appears on this one response and is never stored."""
    server = url_for("main.index", _external=True).rstrip("/")
    command = f"codekids sync setup --server {server} --token {token}"
    response = make_response(render_template("coordinator/box_token.html", box=box,
                                             token=token, command=command, replaced=replaced))
    response.headers["Cache-Control"] = "no-store"
    return response


def boxes():
    views = national.box_views(_boxes_in_scope())
    views.sort(key=lambda v: (v.box.club.name, v.box.label, v.box.id))
    return render_template("coordinator/boxes.html", views=views, form=_register_form())


def register_box():
    form = _register_form()
    if form.validate_on_submit():
        club = clubs_service.club_or_404(form.club_id.data) if form.club_id.data else None
        if club is None or not clubs_service.may_manage_club(current_user, club):
            abort(403)
        box, token = national.register_box(club, form.label.data, current_user)
        return _shown_once(box, token, replaced=False)
    views = national.box_views(_boxes_in_scope())
    return render_template("coordinator/boxes.html", views=views, form=form), 400


def box(box_id: int):
    row = _box(box_id)
    view = national.box_views([row])[0]
    reasons = sorted(((texts.reason_text(k), n) for k, n in (view.reasons or {}).items()),
                     key=lambda kv: -kv[1])
    return render_template("coordinator/box.html", view=view, box=row, reasons=reasons,
                           rejections=national.rejections(row), reason_text=texts.reason_text,
                           form=ConfirmForm())


def revoke_box(box_id: int):
    row = _box(box_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        national.revoke_box(row)
        flash(_("The laptop's token is revoked: it can no longer send anything."), "success")
        return redirect(url_for("coordination.box", box_id=row.id))
    return render_template("coordinator/box_revoke.html", box=row, form=form)


def replace_box_token(box_id: int):
    row = _box(box_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = national.replace_token(row)
    return _shown_once(row, token, replaced=True)


def add_routes(bp) -> None:
    """On coordination's blueprint (coordination/views.py calls this): endpoints
    "coordination.boxes", ".register_box", ".box", ".revoke_box", ".replace_box_token"."""
    bp.add_url_rule("/laptopuri", view_func=boxes, methods=["GET"])
    bp.add_url_rule("/laptopuri", view_func=register_box, methods=["POST"])
    bp.add_url_rule("/laptopuri/<id:box_id>", view_func=box, methods=["GET"])
    bp.add_url_rule("/laptopuri/<id:box_id>/revocare", view_func=revoke_box,
                    methods=["GET", "POST"])
    bp.add_url_rule("/laptopuri/<id:box_id>/token-nou", view_func=replace_box_token,
                    methods=["POST"])
