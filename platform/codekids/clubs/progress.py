"""The librarian's room, following the children: assign sets, the progress grid, a cell's
attempts, who needs help now, the commonest errors of an exercise.

Routes on the `clubs` blueprint (imported once at the bottom of clubs/views.py). The
route policy has checked the club or child in the URL; ids *inside* the URL that
name other objects (an assignment, a submission) are checked here against that
club or child, so another club's id answers 404.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from codekids.bank.texts import localized
from codekids.clubs import progress_service as rules
from codekids.clubs.views import _child, _club, bp

# How often the "who needs help" list asks the server again (static/js/help.js).
HELP_REFRESH_SECONDS = 20

PROBLEMS = {
    "unknown_set": _l("Choose a set of exercises from the list."),
    "due_in_past": _l("The due date is in the past. Choose today or a later day."),
    "bad_date": _l("We could not read the due date. Use the calendar, or write it as "
                   "2025-03-31."),
    "no_children": _l("Tick at least one child, or choose “the whole club”."),
    "unknown_child": _l("One of the ticked children is not in this club. Reload the page "
                        "and try again."),
}


def _bank():
    return current_app.extensions["codekids_bank"]


def _locale() -> str:
    return str(get_locale())


def _thresholds() -> rules.Thresholds:
    return rules.Thresholds.from_settings(current_app.config["CODEKIDS"])


def _set_or_404(set_id: str):
    found = _bank().get_set(set_id)
    if found is None:
        abort(404)
    return found


def _exercise_or_404(exercise_id: str):
    found = _bank().get(exercise_id)
    if found is None:
        abort(404)
    return found


def _set_choices(club) -> list[tuple[str, str, bool]]:
    """(id, title, assigned?) of every set, the club's assigned sets first."""
    assigned = rules.assigned_set_ids_of_club(club)
    sets = sorted(_bank().sets, key=lambda s: (s.id not in assigned, s.order))
    return [(s.id, localized(s.title, _locale()), s.id in assigned) for s in sets]


def _parse_due(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise rules.AssignmentProblem("bad_date") from None


# ---- assignments -------------------------------------------------------------------------


@bp.route("/<id:club_id>/teme", methods=["GET", "POST"])
def assignments(club_id: int):
    club = _club(club_id)
    problem, status = None, 200
    form = request.form
    if request.method == "POST":
        try:
            who = form.get("who", "club")
            child_ids = None if who == "club" else form.getlist("children")
            made = rules.assign_set(club, _bank(), form.get("set_id", ""), child_ids=child_ids,
                                    due_date=_parse_due(form.get("due_date", "")),
                                    by=current_user)
            title = localized(_bank().get_set(made[0].set_id).title, _locale())
            if child_ids is None:
                flash(_("“%(set)s” is given to the whole club.", set=title), "success")
            else:
                flash(ngettext("“%(set)s” is given to %(num)s child.",
                               "“%(set)s” is given to %(num)s children.", len(made), set=title),
                      "success")
            return redirect(url_for("clubs.assignments", club_id=club.id))
        except rules.AssignmentProblem as exc:
            problem, status = PROBLEMS[exc.reason], 400
    return render_template(
        "librarian/assign.html", club=club, problem=problem, form=form,
        sets=_set_choices(club), children=rules.club_children(club),
        assignments=rules.assignments_of_club(club, _bank(), _locale()),
        today=rules.utcnow().date().isoformat(),
    ), status


@bp.post("/<id:club_id>/teme/<id:assignment_id>/stergere")
def remove_assignment(club_id: int, assignment_id: int):
    club = _club(club_id)
    if not rules.remove_assignment(club, assignment_id):
        abort(404)
    flash(_("The assignment is removed. The children keep everything they solved."), "success")
    return redirect(url_for("clubs.assignments", club_id=club.id))


# ---- progress ----------------------------------------------------------------------------


@bp.get("/<id:club_id>/progres")
def progress_sets(club_id: int):
    club = _club(club_id)
    return render_template("librarian/progress_sets.html", club=club, sets=_set_choices(club))


@bp.get("/<id:club_id>/progres/<set_id>")
def progress_grid(club_id: int, set_id: str):
    club = _club(club_id)
    grid = rules.progress_grid(club, _set_or_404(set_id), _thresholds())
    titles = {e.id: localized(e.title, _locale()) for e in grid.exercises}
    return render_template("librarian/progress_grid.html", club=club, grid=grid, titles=titles,
                           set_title=localized(grid.exercise_set.title, _locale()),
                           thresholds=_thresholds())


@bp.get("/copil/<id:child_id>/exercitiu/<exercise_id>")
def progress_cell(child_id: int, exercise_id: str):
    child = _child(child_id)
    exercise = _exercise_or_404(exercise_id)
    detail = rules.cell_detail(child, exercise, _locale(), _thresholds())
    return render_template("librarian/progress_cell.html", club=child.club, detail=detail,
                           title=localized(exercise.title, _locale()),
                           set_title=localized(_bank().get_set(exercise.set_id).title,
                                               _locale()))


@bp.get("/copil/<id:child_id>/incercare/<id:submission_id>")
def submission(child_id: int, submission_id: int):
    child = _child(child_id)
    found = rules.submission_of_child(child, submission_id)
    if found is None:
        abort(404)
    return redirect(url_for("clubs.progress_cell", child_id=child.id,
                            exercise_id=found.exercise_id, _anchor=f"attempt-{found.id}"))


@bp.get("/<id:club_id>/exercitii/<exercise_id>/greseli")
def common_errors(club_id: int, exercise_id: str):
    club = _club(club_id)
    exercise = _exercise_or_404(exercise_id)
    return render_template("librarian/progress_errors.html", club=club, exercise=exercise,
                           title=localized(exercise.title, _locale()),
                           errors=rules.common_errors(club, exercise, _locale()))


# ---- who needs help now ------------------------------------------------------------------


def _help_list(club):
    return rules.who_needs_help(club, _bank(), _locale(), _thresholds())


@bp.get("/<id:club_id>/ajutor")
def help_now(club_id: int):
    club = _club(club_id)
    return render_template("librarian/help.html", club=club, stuck=_help_list(club),
                           refresh=HELP_REFRESH_SECONDS, titles=_exercise_titles(),
                           checked_at=rules.utcnow())


@bp.get("/<id:club_id>/ajutor/lista")
def help_now_list(club_id: int):
    """The list alone, an HTML fragment that static/js/help.js swaps in every 20 s."""
    club = _club(club_id)
    resp = current_app.make_response(render_template(
        "librarian/help_list.html", club=club, stuck=_help_list(club), titles=_exercise_titles(),
        checked_at=rules.utcnow()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _exercise_titles() -> dict[str, str]:
    return {e.id: localized(e.title, _locale()) for e in _bank().exercises.values()}
