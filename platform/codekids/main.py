"""The front door: send each visitor to their room, and switch languages."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user

from codekids import db
from codekids.i18n import LANGUAGES

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.child_start"))
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
    target = request.form.get("next") or url_for("main.index")
    # Only ever go back to a page of this site.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
