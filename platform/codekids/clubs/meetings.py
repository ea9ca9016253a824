"""The librarian's room: club meetings (start, end, attendance) and the monthly report.

Routes live on the `clubs` blueprint. The route policy has checked the club in the
URL; a meeting id is checked here to belong to that club (another club's meeting is
"not found"), and so is every child id posted in a form (meetings_service.mark).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from codekids.clubs import meetings_service as service
from codekids.clubs.views import _club, bp
from codekids.csv_export import csv_response
from codekids.i18n import format_month


def _meeting(club_id: int, session_id: int):
    meeting = service.get_session(club_id, session_id)
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/<id:club_id>/intalniri")
def meetings(club_id: int):
    club = _club(club_id)
    year, month = service.this_month()
    return render_template("librarian/meetings.html", club=club,
                           running=service.open_session(club),
                           meetings=service.sessions_of_club(club), local=service.local,
                           year=year, month=month)


@bp.post("/<id:club_id>/intalniri/incepe")
def start_meeting(club_id: int):
    club = _club(club_id)
    try:
        meeting = service.start_session(club, current_user)
    except service.MeetingError:
        flash(_("A meeting is already running. End it before starting a new one."), "warning")
        meeting = service.open_session(club)
    return redirect(url_for("clubs.meeting", club_id=club.id, session_id=meeting.id))


@bp.get("/<id:club_id>/intalniri/<id:session_id>")
def meeting(club_id: int, session_id: int):
    club = _club(club_id)
    meeting = _meeting(club.id, session_id)
    return render_template("librarian/meeting.html", club=club, meeting=meeting,
                           rows=service.attendance(meeting), work=service.session_work(meeting),
                           local=service.local, title=exercise_title)


@bp.post("/<id:club_id>/intalniri/<id:session_id>/incheie")
def end_meeting(club_id: int, session_id: int):
    club = _club(club_id)
    meeting = _meeting(club.id, session_id)
    try:
        service.end_session(meeting)
        flash(_("The meeting has ended. Attendance is saved; you can still correct it."),
              "success")
    except service.MeetingError:
        flash(_("This meeting has already ended."), "warning")
    return redirect(url_for("clubs.meeting", club_id=club.id, session_id=meeting.id))


@bp.post("/<id:club_id>/intalniri/<id:session_id>/prezenta")
def mark_attendance(club_id: int, session_id: int):
    club = _club(club_id)
    meeting = _meeting(club.id, session_id)
    try:
        service.mark(meeting, request.form.get("child_id"), request.form.get("present") == "1")
    except service.MeetingError:
        abort(404)
    return redirect(url_for("clubs.meeting", club_id=club.id, session_id=meeting.id)
                    + "#attendance")


@bp.get("/<id:club_id>/raport")
def report_now(club_id: int):
    year, month = service.this_month()
    return redirect(url_for("clubs.report", club_id=club_id, year=year, month=month))


def _report(club_id: int, year: int, month: int) -> service.MonthReport:
    club = _club(club_id)
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
                           local=service.local, prev=prev, next=nxt,
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
        [_("meeting"), service.local(line.session.started_at).strftime("%Y-%m-%d"),
         service.local(line.session.started_at).strftime("%H:%M"),
         service.local(line.session.ended_at).strftime("%H:%M") if line.session.ended_at else "",
         1, line.present, line.exercises_solved, line.lines]
        for line in report.sessions
    ]
    # The month's own line: different children over all meetings, and everything solved
    # and written in the month (at home too), so it is not the sum of the lines above.
    rows.append([_("whole month"), f"{year:04d}-{month:02d}", "", "", report.sessions_held,
                 report.children_attending, report.exercises_solved, report.lines])
    return csv_response(f"club-{report.club.id}-{year:04d}-{month:02d}.csv",
                        [str(c) for c in REPORT_COLUMNS], rows)


def exercise_title(exercise_id: str | None) -> str:
    """The exercise's title in the page's language (its id if the bank lost it)."""
    from flask_babel import get_locale

    from codekids.bank import current_bank
    from codekids.bank.texts import localized

    exercise = current_bank().get(exercise_id or "")
    return localized(exercise.title, str(get_locale())) if exercise else (exercise_id or "")
