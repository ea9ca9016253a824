"""The front door: send each visitor to their room, and switch languages."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from codekids import db
from codekids.i18n import LANGUAGES
from codekids.redirects import redirect_back

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("child_login.child_start"))
    if current_user.is_child:
        return redirect(url_for("learning.home"))
    if current_user.is_coordinator:
        return redirect(url_for("coordination.home"))
    return redirect(url_for("clubs.my_clubs"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    # Back to the page the switch was on: only ever a page of this site.
    return redirect_back(request.form.get("next"))
