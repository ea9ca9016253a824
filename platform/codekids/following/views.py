"""The following room's pages: the club page, assignments, the progress grid and a cell's
attempts, who needs help now, the commonest errors, meetings and the monthly report,
diplomas, and a child's data (export, delete).

The URLs stay under /cluburi/ beside the clubs room's pages (the blueprint shares its
prefix). The route policy (security_policy.ROUTES) has checked the club or child in the
URL before any view here runs; ids *inside* the URL that name other objects (an
assignment, a submission, a meeting) are checked by following.service against that club
or child, so another club's id answers 404. Views only parse, call following.service,
render.

The club page lives here, not in clubs/, because it shows the club's lines of code: the
counter is above clubs and below following (ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import threading
from datetime import date

from babel import Locale
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_date, get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from codekids.accounts import devices
from codekids.accounts import service as accounts
from codekids.bank import current_bank
from codekids.bank.models import ExerciseSet
from codekids.bank.texts import localized
from codekids.clubs.service import child_or_404, club_or_404
from codekids.counter import service as counter
from codekids.csv_export import csv_response
from codekids.following import service
from codekids.i18n import current_locale, format_month, local_time
from codekids.sync import box as sync_box
from codekids.sync import client as sync_client
from codekids.sync import texts as sync_texts

bp = Blueprint("following", __name__, url_prefix="/cluburi")

# How often the "who needs help" list asks the server again (static/js/help.js).
HELP_REFRESH_SECONDS = 20

PROBLEMS = {
    "unknown_set": lazy_gettext("Choose a set of exercises from the list."),
    "due_in_past": lazy_gettext("The due date is in the past. Choose today or a later day."),
    "bad_date": lazy_gettext("We could not read the due date. Use the calendar, or write it "
                             "as 2025-03-31."),
    "no_children": lazy_gettext("Tick at least one child, or choose “the whole club”."),
    "unknown_child": lazy_gettext("One of the ticked children is not in this club. Reload "
                                  "the page and try again."),
}


def _thresholds() -> service.Thresholds:
    return service.Thresholds.from_settings(current_app.config["CODEKIDS"])


def _set_or_404(set_id: str) -> ExerciseSet:
    found = current_bank().get_set(set_id)
    if found is None:
        abort(404)
    return found


def _exercise_or_404(exercise_id: str):
    found = current_bank().get(exercise_id)
    if found is None:
        abort(404)
    return found


def _set_choices(club) -> list[tuple[str, str, bool]]:
    """(id, title, assigned?) of every set, the club's assigned sets first."""
    assigned = service.assigned_set_ids_of_club(club)
    sets = sorted(current_bank().sets, key=lambda s: (s.id not in assigned, s.order))
    return [(s.id, localized(s.title, current_locale()), s.id in assigned) for s in sets]


def _parse_due(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise service.AssignmentProblem("bad_date") from None


def _exercise_titles() -> dict[str, str]:
    return {e.id: localized(e.title, current_locale()) for e in current_bank().exercises.values()}


def exercise_title(exercise_id: str | None) -> str:
    """The exercise's title in the page's language (its id if the bank lost it)."""
    exercise = current_bank().get(exercise_id or "")
    return localized(exercise.title, current_locale()) if exercise else (exercise_id or "")


def _set_title(exercise_set: ExerciseSet, locale: str | None = None) -> str:
    return localized(exercise_set.title, locale or current_locale())


def language_name(locale: str) -> str:
    """A language's name in the reader's language ("maghiară", "magyar", "Hungarian")."""
    return Locale.parse(locale).get_display_name(get_locale())


# ---- the club page -----------------------------------------------------------------------


@bp.get("/<id:club_id>")
def club(club_id: int):
    club = club_or_404(club_id)
    return render_template("librarian/club.html", club=club,
                           children=accounts.club_children(club, include_inactive=True),
                           lines=service.club_lines(club), locks=accounts.club_locks(club),
                           local=local_time, computer_code=devices.label,
                           **_sync_block())


# ---- the club laptop's sync with the national server (issue 19) --------------------------
# Shown only on a box (a site set up with `codekids sync setup`). One sync at a time on
# the box (sync/box.exclusive): the button finds the background syncer running and shows
# its progress instead.

# What the last sync's result means, in a librarian's words.
SYNC_RESULTS = {
    "ok": lazy_gettext("It worked: the national server has everything that was sent."),
    "offline": lazy_gettext("The national server could not be reached (is the internet "
                            "connection down?). Nothing is lost: the laptop tries again by "
                            "itself."),
    "token_revoked": lazy_gettext("The national server no longer accepts this laptop: its "
                                  "key was withdrawn. Nothing is lost on the laptop. Ask your "
                                  "coordinator for a new key."),
    "token_unknown": lazy_gettext("The national server does not recognise this laptop's key. "
                                  "Nothing is lost on the laptop. Ask your coordinator to "
                                  "check the key."),
    "server_error": lazy_gettext("The national server had a problem. Nothing is lost: the "
                                 "laptop tries again later."),
    "bad_answer": lazy_gettext("The national server's answer could not be read. Nothing is "
                               "lost: the laptop tries again later."),
    "busy": lazy_gettext("A sync is already running on this laptop."),
    "not_set_up": lazy_gettext("This laptop is not set up to sync."),
}
# Why the national server did not count a program: the words coordinators read too.
SYNC_REASONS = sync_texts.REASONS
# How often the page asks how a running sync is doing (static/js/sync.js).
SYNC_POLL_SECONDS = 2
# The button waits at most this long for its sync to start before answering.
SYNC_START_SECONDS = 5.0


def _sync_block() -> dict:
    """The template's values for the club page's sync box: nothing on a site that is not
    a box."""
    status = sync_box.status()
    if not status.configured:
        return {"sync": None}
    return {"sync": status, "sync_results": SYNC_RESULTS, "sync_reasons": SYNC_REASONS,
            "sync_poll": SYNC_POLL_SECONDS}


def _sync_fragment(club, status: int = 200):
    resp = current_app.make_response((render_template(
        "librarian/_sync.html", club=club, **_sync_block()), status))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _start_sync() -> None:
    """A sync in a thread of this process; returns once it holds the box's lock (or
    found another sync holding it), so the page shows it running from the start."""
    app = current_app._get_current_object()
    started = threading.Event()

    def run() -> None:
        try:
            with app.app_context():
                sync_client.sync(on_start=started.set)
        finally:
            started.set()

    threading.Thread(target=run, name="codekids-sync-now", daemon=True).start()
    started.wait(SYNC_START_SECONDS)


@bp.post("/<id:club_id>/sincronizare")
def sync_now(club_id: int):
    """Sync now. From the page's script (Accept: text/html fragment): started in a thread,
    answered at once with the box showing progress. Without JavaScript: run to the end,
    then back to the club page with the result said at the top."""
    club = club_or_404(club_id)
    if not sync_box.is_box():
        abort(404)
    if request.headers.get("X-Requested-With") == "fetch":
        _start_sync()
        return _sync_fragment(club, 202)
    result = sync_client.sync()
    words = SYNC_RESULTS.get(result.result, SYNC_RESULTS["server_error"])
    if result.ok and result.batches:
        words = ngettext("Sent %(num)s program; the national server accepted %(accepted)s.",
                         "Sent %(num)s programs; the national server accepted %(accepted)s.",
                         result.items, accepted=result.accepted)
    elif result.ok:
        words = _("Nothing was waiting to be sent; the national server answers.")
    flash(words, "success" if result.ok else "warning")
    return redirect(url_for("following.club", club_id=club.id) + "#sync-h")


@bp.get("/<id:club_id>/sincronizare")
def sync_state(club_id: int):
    """The sync box alone, an HTML fragment that static/js/sync.js swaps in while a sync runs."""
    club = club_or_404(club_id)
    if not sync_box.is_box():
        abort(404)
    return _sync_fragment(club)


# ---- assignments -------------------------------------------------------------------------


@bp.route("/<id:club_id>/teme", methods=["GET", "POST"])
def assignments(club_id: int):
    club = club_or_404(club_id)
    problem, status = None, 200
    form = request.form
    if request.method == "POST":
        try:
            who = form.get("who", "club")
            child_ids = None if who == "club" else form.getlist("children")
            made = service.assign_set(club, current_bank(), form.get("set_id", ""),
                                      child_ids=child_ids,
                                      due_date=_parse_due(form.get("due_date", "")),
                                      by=current_user)
            title = localized(current_bank().get_set(made[0].set_id).title, current_locale())
            if child_ids is None:
                flash(_("“%(set)s” is given to the whole club.", set=title), "success")
            else:
                flash(ngettext("“%(set)s” is given to %(num)s child.",
                               "“%(set)s” is given to %(num)s children.", len(made), set=title),
                      "success")
            return redirect(url_for("following.assignments", club_id=club.id))
        except service.AssignmentProblem as exc:
            problem, status = PROBLEMS[exc.reason], 400
    return render_template(
        "librarian/assign.html", club=club, problem=problem, form=form,
        sets=_set_choices(club), children=accounts.club_children(club),
        assignments=service.assignments_of_club(club, current_bank(), current_locale()),
        today=service.utcnow().date().isoformat(),
    ), status


@bp.post("/<id:club_id>/teme/<id:assignment_id>/stergere")
def remove_assignment(club_id: int, assignment_id: int):
    club = club_or_404(club_id)
    if not service.remove_assignment(club, assignment_id):
        abort(404)
    flash(_("The assignment is removed. The children keep everything they solved."), "success")
    return redirect(url_for("following.assignments", club_id=club.id))


# ---- progress ----------------------------------------------------------------------------


@bp.get("/<id:club_id>/progres")
def progress_sets(club_id: int):
    club = club_or_404(club_id)
    return render_template("librarian/progress_sets.html", club=club, sets=_set_choices(club))


@bp.get("/<id:club_id>/progres/<set_id>")
def progress_grid(club_id: int, set_id: str):
    club = club_or_404(club_id)
    grid = service.progress_grid(club, _set_or_404(set_id), _thresholds())
    titles = {e.id: localized(e.title, current_locale()) for e in grid.exercises}
    return render_template("librarian/progress_grid.html", club=club, grid=grid, titles=titles,
                           set_title=localized(grid.exercise_set.title, current_locale()),
                           thresholds=_thresholds())


@bp.get("/copil/<id:child_id>/exercitiu/<exercise_id>")
def progress_cell(child_id: int, exercise_id: str):
    child = child_or_404(child_id)
    exercise = _exercise_or_404(exercise_id)
    detail = service.cell_detail(child, exercise, current_locale(), _thresholds())
    return render_template("librarian/progress_cell.html", club=child.club, detail=detail,
                           title=localized(exercise.title, current_locale()),
                           set_title=localized(current_bank().get_set(exercise.set_id).title,
                                               current_locale()))


@bp.get("/copil/<id:child_id>/incercare/<id:submission_id>")
def submission(child_id: int, submission_id: int):
    child = child_or_404(child_id)
    found = service.submission_of_child(child, submission_id)
    if found is None:
        abort(404)
    return redirect(url_for("following.progress_cell", child_id=child.id,
                            exercise_id=found.exercise_id, _anchor=f"attempt-{found.id}"))


@bp.get("/<id:club_id>/exercitii/<exercise_id>/greseli")
def common_errors(club_id: int, exercise_id: str):
    club = club_or_404(club_id)
    exercise = _exercise_or_404(exercise_id)
    return render_template("librarian/progress_errors.html", club=club, exercise=exercise,
                           title=localized(exercise.title, current_locale()),
                           errors=service.common_errors(club, exercise, current_locale()))


# ---- who needs help now ------------------------------------------------------------------


def _help_list(club):
    return service.who_needs_help(club, current_bank(), current_locale(), _thresholds())


@bp.get("/<id:club_id>/ajutor")
def help_now(club_id: int):
    club = club_or_404(club_id)
    return render_template("librarian/help.html", club=club, stuck=_help_list(club),
                           refresh=HELP_REFRESH_SECONDS, titles=_exercise_titles(),
                           checked_at=service.utcnow())


@bp.get("/<id:club_id>/ajutor/lista")
def help_now_list(club_id: int):
    """The list alone, an HTML fragment that static/js/help.js swaps in every 20 s."""
    club = club_or_404(club_id)
    resp = current_app.make_response(render_template(
        "librarian/help_list.html", club=club, stuck=_help_list(club), titles=_exercise_titles(),
        checked_at=service.utcnow()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


# ---- meetings ----------------------------------------------------------------------------


def _meeting(club_id: int, session_id: int):
    meeting = service.get_session(club_id, session_id)
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/<id:club_id>/intalniri")
def meetings(club_id: int):
    club = club_or_404(club_id)
    year, month = service.this_month()
    return render_template("librarian/meetings.html", club=club,
                           running=service.open_session(club),
                           meetings=service.sessions_of_club(club), local=local_time,
                           year=year, month=month)


@bp.post("/<id:club_id>/intalniri/incepe")
def start_meeting(club_id: int):
    club = club_or_404(club_id)
    try:
        meeting = service.start_session(club, current_user)
    except service.MeetingError:
        flash(_("A meeting is already running. End it before starting a new one."), "warning")
        meeting = service.open_session(club)
    return redirect(url_for("following.meeting", club_id=club.id, session_id=meeting.id))


@bp.get("/<id:club_id>/intalniri/<id:session_id>")
def meeting(club_id: int, session_id: int):
    club = club_or_404(club_id)
    meeting = _meeting(club.id, session_id)
    return render_template("librarian/meeting.html", club=club, meeting=meeting,
                           rows=service.attendance(meeting), work=service.session_work(meeting),
                           local=local_time, title=exercise_title)


@bp.post("/<id:club_id>/intalniri/<id:session_id>/incheie")
def end_meeting(club_id: int, session_id: int):
    club = club_or_404(club_id)
    meeting = _meeting(club.id, session_id)
    try:
        service.end_session(meeting)
        flash(_("The meeting has ended. Attendance is saved; you can still correct it."),
              "success")
    except service.MeetingError:
        flash(_("This meeting has already ended."), "warning")
    return redirect(url_for("following.meeting", club_id=club.id, session_id=meeting.id))


@bp.post("/<id:club_id>/intalniri/<id:session_id>/prezenta")
def mark_attendance(club_id: int, session_id: int):
    club = club_or_404(club_id)
    meeting = _meeting(club.id, session_id)
    try:
        service.mark(meeting, request.form.get("child_id"), request.form.get("present") == "1")
    except service.MeetingError:
        abort(404)
    return redirect(url_for("following.meeting", club_id=club.id, session_id=meeting.id)
                    + "#attendance")


# ---- the monthly report ------------------------------------------------------------------


@bp.get("/<id:club_id>/raport")
def report_now(club_id: int):
    year, month = service.this_month()
    return redirect(url_for("following.report", club_id=club_id, year=year, month=month))


def _report(club_id: int, year: int, month: int) -> service.MonthReport:
    club = club_or_404(club_id)
    try:
        return service.month_report(club, year, month)
    except service.MeetingError:
        abort(404)


@bp.get("/<id:club_id>/raport/<int(min=2000, max=2200):year>/<int(min=1, max=12):month>")
def report(club_id: int, year: int, month: int):
    report = _report(club_id, year, month)
    prev = (year - 1, 12) if month == 1 else (year, month - 1)
    nxt = (year + 1, 1) if month == 12 else (year, month + 1)
    return render_template("librarian/report.html", club=report.club, report=report,
                           local=local_time, prev=prev, next=nxt,
                           month_name=format_month(year, month))


# The report's CSV columns, in an order that never changes (README, "A club's CSV
# files"): a spreadsheet or a script may rely on their position. The header row, and
# the word saying what each row is, are in the reader's language.
REPORT_COLUMNS = (
    lazy_gettext("Kind of row"), lazy_gettext("Date"), lazy_gettext("Start time"),
    lazy_gettext("End time"), lazy_gettext("Meetings held"), lazy_gettext("Children present"),
    lazy_gettext("Exercises solved"), lazy_gettext("Lines written"),
)


@bp.get("/<id:club_id>/raport/<int(min=2000, max=2200):year>/<int(min=1, max=12):month>.csv")
def report_csv(club_id: int, year: int, month: int):
    report = _report(club_id, year, month)
    rows = [
        [_("meeting"), local_time(line.session.started_at).strftime("%Y-%m-%d"),
         local_time(line.session.started_at).strftime("%H:%M"),
         local_time(line.session.ended_at).strftime("%H:%M") if line.session.ended_at else "",
         1, line.present, line.exercises_solved, line.lines]
        for line in report.sessions
    ]
    # The month's own line: different children over all meetings, and everything solved
    # and written in the month (at home too), so it is not the sum of the lines above.
    rows.append([_("whole month"), f"{year:04d}-{month:02d}", "", "", report.sessions_held,
                 report.children_attending, report.exercises_solved, report.lines])
    return csv_response(f"club-{report.club.id}-{year:04d}-{month:02d}.csv",
                        [str(c) for c in REPORT_COLUMNS], rows)


# ---- diplomas ----------------------------------------------------------------------------


@bp.get("/copil/<id:child_id>/diplome")
def diplomas(child_id: int):
    child = child_or_404(child_id)
    return render_template("librarian/diplomas.html", child=child, club=child.club,
                           statuses=service.statuses(child), title=_set_title)


@bp.get("/copil/<id:child_id>/diploma/<set_id>")
def diploma(child_id: int, set_id: str):
    child = child_or_404(child_id)
    exercise_set = current_bank().get_set(set_id)
    if exercise_set is None:
        abort(404)
    status = service.set_status(child, exercise_set)
    if not status.finished:
        # Refused in the librarian's own language: they are the one reading it.
        return render_template("librarian/diploma_refused.html", child=child, club=child.club,
                               status=status, set_title=_set_title(exercise_set)), 409
    locale = service.diploma_locale(child)
    with force_locale(locale):
        card = render_template(
            "librarian/_diploma_card.html", child=child, club=child.club, locale=locale,
            set_title=_set_title(exercise_set, locale),
            day=format_date(status.finished_on, "long"),
        )
    # The page around it (back, print, the note on its language) is the librarian's.
    # The card is a template's output (autoescaped): HTML already safe to place.
    card = Markup(card)  # noqa: S704
    return render_template("librarian/diploma.html", child=child, card=card,
                           language=language_name(locale))


# ---- a child's data ----------------------------------------------------------------------


def _filename(child, ext: str) -> str:
    return f"child-{child.id}.{ext}"


@bp.get("/copil/<id:child_id>/date.json")
def child_data_json(child_id: int):
    child = child_or_404(child_id)
    body = json.dumps(service.export_child(child), ensure_ascii=False, indent=2)
    resp = Response(body, mimetype="application/json")
    resp.headers["Content-Disposition"] = f'attachment; filename="{_filename(child, "json")}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/copil/<id:child_id>/date.csv")
def child_data_csv(child_id: int):
    child = child_or_404(child_id)
    return csv_response(_filename(child, "csv"), [str(c) for c in service.CSV_COLUMNS.values()],
                        service.export_rows(service.export_child(child)))


@bp.route("/copil/<id:child_id>/stergere", methods=["GET", "POST"], endpoint="delete_child")
def delete_child_page(child_id: int):
    child = child_or_404(child_id)
    club = child.club
    missing_confirm = False
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            name = child.nickname
            service.delete_child(child)
            flash(_("%(name)s is deleted. Their lines of code stay in the club's, county's and "
                    "country's totals, without a name.", name=name), "success")
            return redirect(url_for("following.club", club_id=club.id))
        missing_confirm = True
    return render_template("librarian/child_data_delete.html", child=child, club=club,
                           lines=counter.child_total(child),
                           missing_confirm=missing_confirm), 400 if missing_confirm else 200
