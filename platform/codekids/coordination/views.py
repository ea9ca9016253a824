"""The coordinator's room: clubs and librarians in the coordinator's county, or the nation.

The route policy checks ids in the URL; ids posted in forms are checked again by
coordination.service (OutOfScope), which is the rule that counts.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from codekids import db
from codekids.accounts import service as accounts
from codekids.accounts.models import LIBRARIAN, User
from codekids.bad_input import parse_id
from codekids.clubs import service as clubs_service
from codekids.coordination import boxes, service
from codekids.coordination.forms import (
    SECRET_KIND_LABELS,
    ClubForm,
    ClubLibrariansForm,
    EditClubForm,
    EditLibrarianForm,
    NewLibrarianForm,
    choice_values,
)
from codekids.form_choices import option

bp = Blueprint("coordination", __name__, url_prefix="/coordonare")

USERNAME_PROBLEMS = {
    "username_format": _l("Use 3 to 64 small letters, digits, dots, dashes or underscores, "
                          "starting with a letter or digit."),
    "username_taken": _l("This username is already taken. Please choose another."),
}


def _librarian(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != LIBRARIAN:
        abort(404)
    return user


def _county_choices(form_field) -> None:
    form_field.choices = [option(str(c.id), c.name)
                          for c in clubs_service.counties_in_scope(current_user)]


def _club_choices(form_field) -> None:
    form_field.choices = [
        option(str(c.id), f"{c.name} — {c.town} ({c.county.name})")
        for c in clubs_service.clubs_in_scope(current_user)
    ]


def _shown_once(template: str, **context):
    """Passwords and invitation links appear on this one response and are never stored."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _shown_once_page(access: accounts.NewAccess, created: bool):
    link = None
    if access.invitation_token:
        link = url_for("auth.accept_invitation", token=access.invitation_token, _external=True)
    return _shown_once("coordinator/librarian_access.html", librarian=access.librarian,
                       temporary_password=access.temporary_password, invitation_link=link,
                       created=created)


@bp.get("/")
def home():
    return render_template("coordinator/home.html", counts=service.scope_counts(current_user),
                           counties=clubs_service.counties_in_scope(current_user))


@bp.get("/cluburi")
def clubs():
    return render_template("coordinator/clubs.html",
                           clubs=clubs_service.clubs_in_scope(current_user, with_librarians=True))


@bp.route("/cluburi/nou", methods=["GET", "POST"])
def new_club():
    form = ClubForm()
    _county_choices(form.county_id)
    if form.validate_on_submit():
        try:
            club = service.create_club_in_scope(
                current_user, name=form.name.data, library=form.library.data,
                town=form.town.data, county_id=form.county_id.data,
                secret_kind=form.secret_kind.data,
            )
        except service.OutOfScope:
            abort(403)
        flash(_("The club is created. Its code is %(code)s.", code=club.join_code), "success")
        return redirect(url_for("coordination.club_librarians", club_id=club.id))
    return render_template("coordinator/club_form.html", form=form, club=None,
                           kind_locked=False)


@bp.route("/cluburi/<id:club_id>", methods=["GET", "POST"])
def edit_club(club_id: int):
    club = clubs_service.club_or_404(club_id)
    kind_locked = not clubs_service.may_change_secret_kind(club)
    form = EditClubForm(obj=None if request.method == "POST" else club)
    if request.method == "GET":
        form.county_id.data = club.county_id
    _county_choices(form.county_id)
    if kind_locked:
        form.secret_kind.data = club.secret_kind  # shown, not changeable
    if form.validate_on_submit():
        try:
            service.edit_club(
                current_user, club, name=form.name.data, library=form.library.data,
                town=form.town.data, county_id=form.county_id.data,
                secret_kind=form.secret_kind.data, active=form.active.data,
            )
        except service.OutOfScope:
            abort(403)
        flash(_("Saved."), "success")
        return redirect(url_for("following.club", club_id=club.id))
    return render_template("coordinator/club_form.html", form=form, club=club,
                           kind_locked=kind_locked, kind_labels=SECRET_KIND_LABELS)


@bp.route("/cluburi/<id:club_id>/bibliotecari", methods=["GET", "POST"])
def club_librarians(club_id: int):
    club = clubs_service.club_or_404(club_id)
    in_scope = service.librarians_in_scope(current_user)
    others = [lib for lib in club.librarians if lib not in in_scope]
    form = ClubLibrariansForm()
    form.librarian_ids.choices = [option(str(lib.id), lib.label) for lib in in_scope]
    if request.method == "GET":
        form.librarian_ids.data = [lib.id for lib in club.librarians if lib in in_scope]
    if form.validate_on_submit():
        try:
            service.set_club_librarians(current_user, club, form.librarian_ids.data)
        except service.OutOfScope:
            abort(403)
        flash(_("The librarians of %(club)s are saved.", club=club.name), "success")
        return redirect(url_for("following.club", club_id=club.id))
    return render_template("coordinator/club_librarians.html", form=form, club=club,
                           others=others)


@bp.get("/bibliotecari")
def librarians():
    return render_template("coordinator/librarians.html",
                           librarians=service.librarians_in_scope(current_user))


@bp.route("/bibliotecari/nou", methods=["GET", "POST"])
def new_librarian():
    form = NewLibrarianForm()
    _county_choices(form.county_id)
    _club_choices(form.club_ids)
    wanted = parse_id(request.args.get("club_id")) if request.method == "GET" else None
    if wanted is not None:  # "add a librarian to this club"; a bad id preselects nothing
        form.club_ids.data = [wanted]
    if form.validate_on_submit():
        make = (service.create_librarian_with_invitation if form.access.data == "invitation"
                else service.create_librarian_with_temporary_password)
        try:
            access = make(current_user, username=form.username.data,
                          display_name=form.display_name.data, county_id=form.county_id.data,
                          club_ids=form.club_ids.data)
        except service.OutOfScope:
            abort(403)
        except ValueError as exc:
            message = USERNAME_PROBLEMS.get(str(exc))
            if message is None:
                raise
            form.username.errors = [*form.username.errors, str(message)]
        else:
            return _shown_once_page(access, created=True)
    return render_template("coordinator/new_librarian.html", form=form)


@bp.route("/bibliotecari/<id:user_id>", methods=["GET", "POST"])
def librarian(user_id: int):
    librarian = _librarian(user_id)
    form = EditLibrarianForm(obj=None if request.method == "POST" else librarian)
    _club_choices(form.club_ids)
    in_scope_ids = choice_values(form.club_ids)
    if request.method == "GET":
        form.club_ids.data = [c.id for c in librarian.clubs if str(c.id) in in_scope_ids]
    others = [c for c in librarian.clubs if str(c.id) not in in_scope_ids]
    if form.validate_on_submit():
        try:
            service.update_librarian(current_user, librarian,
                                     display_name=form.display_name.data,
                                     club_ids=form.club_ids.data, active=form.active.data)
        except service.OutOfScope:
            abort(403)
        flash(_("Saved."), "success")
        return redirect(url_for("coordination.librarians"))
    return render_template("coordinator/librarian.html", form=form, librarian=librarian,
                           others=others)


@bp.post("/bibliotecari/<id:user_id>/resetare")
def librarian_reset(user_id: int):
    librarian = _librarian(user_id)
    mode = request.form.get("mode", "")
    if mode not in ("password", "invitation"):
        abort(400)
    try:
        access = service.reset_librarian_access(current_user, librarian, mode)
    except service.OutOfScope:
        abort(403)
    return _shown_once_page(access, created=False)


# The club laptops' pages (issue 19), on this blueprint.
boxes.add_routes(bp)
