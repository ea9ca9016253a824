"""The child's home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

bp = Blueprint("learning", __name__)


@bp.get("/acasa")
def home():
    return render_template("child/home.html", child=current_user)
