"""A child's data: everything we hold about one child, to hand over (JSON, CSV) or delete.

The export is built only from rows whose child_id is this child: never another
child's data, and never the secret (not even encrypted).

Deleting a child (DESIGN.md §4): the account and what is only theirs (progress,
hints, drafts, projects, assignments, attendance, logins) go; their submissions
stay, anonymous (child_id NULL), because every counted line must stay traceable to
the submission that earned it; their counted lines stay in the club, county and
national totals as anonymous lines. The child's own total row goes with them.
"""

from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select, update

from codekids import db
from codekids.accounts.models import User
from codekids.bank.grading import render_report
from codekids.clubs.views import _child, bp
from codekids.counter import service as counter
from codekids.counter.models import CountedLine
from codekids.csv_export import csv_response
from codekids.i18n import iso_local
from codekids.learning.models import Draft, HintUse, Progress, Project, Submission

# Local time with its offset (codekids.i18n.iso_local): the hour the librarian lived,
# and still the exact instant for a program.
_iso = iso_local


# ---- export ---------------------------------------------------------------------------


def export_child(child: User) -> dict:
    """Everything stored about the child, as plain JSON-able data."""
    s = db.session
    projects = list(s.scalars(select(Project).where(Project.child_id == child.id)
                              .order_by(Project.id)))
    project_names = {p.id: p.name for p in projects}
    submissions = s.scalars(select(Submission).where(Submission.child_id == child.id)
                            .order_by(Submission.created_at, Submission.id))
    # Reports hold message keys (bank.texts); the family reads them in the child's language.
    language = child.locale or current_app.config["CODEKIDS"].default_locale
    lines_by_target = dict(s.execute(
        select(CountedLine.target, func.count()).where(CountedLine.child_id == child.id)
        .group_by(CountedLine.target)
    ).all())
    return {
        "nickname": child.nickname,
        "club": child.club.name if child.club else None,
        "library": child.club.library if child.club else None,
        "language": child.locale,
        "created": _iso(child.created_at),
        "last_login": _iso(child.last_login_at),
        "active": bool(child.active),
        "lines_counted": sum(int(n) for n in lines_by_target.values()),
        "lines_by_exercise_or_project": {k: int(n) for k, n in sorted(lines_by_target.items())},
        "submissions": [
            {
                "id": sub.id,
                "kind": sub.kind,
                "exercise": sub.exercise_id,
                "project": project_names.get(sub.project_id),
                "at": _iso(sub.created_at),
                "code": sub.source,
                "status": sub.status,
                "tests_passed": sub.passed,
                "tests_total": sub.total,
                "solved": bool(sub.solved),
                "error": sub.error_kind,
                "error_line": sub.error_line,
                "results": render_report(sub.report, language) if sub.report else None,
            }
            for sub in submissions
        ],
        "progress": [
            {
                "exercise": p.exercise_id,
                "attempts": p.attempts,
                "solved": bool(p.solved),
                "stars": p.stars,
                "hints_used": p.hints_used,
                "first_attempt": _iso(p.first_attempt_at),
                "last_attempt": _iso(p.last_attempt_at),
                "solved_at": _iso(p.solved_at),
            }
            for p in s.scalars(select(Progress).where(Progress.child_id == child.id)
                               .order_by(Progress.exercise_id))
        ],
        "hints": [
            {"exercise": h.exercise_id, "level": h.level, "at": _iso(h.at)}
            for h in s.scalars(select(HintUse).where(HintUse.child_id == child.id)
                               .order_by(HintUse.at, HintUse.id))
        ],
        "projects": [
            {"name": p.name, "code": p.source, "created": _iso(p.created_at),
             "updated": _iso(p.updated_at)}
            for p in projects
        ],
        "drafts": [
            {"exercise": d.exercise_id, "code": d.source, "updated": _iso(d.updated_at)}
            for d in s.scalars(select(Draft).where(Draft.child_id == child.id)
                               .order_by(Draft.exercise_id))
        ],
    }


# The CSV's columns, in an order that never changes (README, "A club's CSV files"): a
# spreadsheet or a script may rely on their position. The header row, and the word in
# the first column saying what each row is, are in the reader's language.
CSV_COLUMNS = {
    "record": lazy_gettext("Kind of record"), "exercise": lazy_gettext("Exercise"),
    "project": lazy_gettext("Project"), "at": lazy_gettext("Date and time"),
    "code": lazy_gettext("Code"), "result": lazy_gettext("Result"),
    "solved": lazy_gettext("Exercise solved"), "tests_passed": lazy_gettext("Tests passed"),
    "tests_total": lazy_gettext("Tests in all"), "attempts": lazy_gettext("Attempts"),
    "stars": lazy_gettext("Stars"), "hint_level": lazy_gettext("Hint number"),
    "lines": lazy_gettext("Lines of code"),
}
CSV_HEADER = list(CSV_COLUMNS)
RECORD_KINDS = {
    "child": lazy_gettext("child"), "submission": lazy_gettext("submitted program"),
    "progress": lazy_gettext("progress"), "hint": lazy_gettext("hint"),
    "project": lazy_gettext("project"), "draft": lazy_gettext("draft"),
    "lines": lazy_gettext("counted lines"),
}
# What a submission's stored status (codekids.bank.grading, the sandbox) means; a
# status not named here is written as it is stored.
RESULTS = {
    "passed": lazy_gettext("all tests passed"), "failed": lazy_gettext("some tests failed"),
    "error": lazy_gettext("stopped with an error"), "refused": lazy_gettext("not allowed"),
    "timeout": lazy_gettext("ran too long"), "memory": lazy_gettext("used too much memory"),
    "output_limit": lazy_gettext("printed too much"), "ok": lazy_gettext("ran to the end"),
}


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def export_rows(data: dict) -> list[list]:
    """The export as one flat table: a row per record, `record` says what kind."""
    blank = dict.fromkeys(CSV_HEADER, "")

    def row(record, **values):
        return [{**blank, **values, "record": str(RECORD_KINDS[record])}[k]
                for k in CSV_HEADER]

    rows = [row("child", exercise=f"{data['nickname']} · {data['club']}",
                at=data["created"], lines=data["lines_counted"])]
    rows += [row("submission", exercise=s["exercise"] or "", project=s["project"] or "",
                 at=s["at"], code=s["code"], result=str(RESULTS.get(s["status"], s["status"])),
                 solved=_yes_no(s["solved"]),
                 tests_passed=s["tests_passed"], tests_total=s["tests_total"])
             for s in data["submissions"]]
    rows += [row("progress", exercise=p["exercise"], at=p["last_attempt"] or "",
                 solved=_yes_no(p["solved"]), attempts=p["attempts"], stars=p["stars"])
             for p in data["progress"]]
    rows += [row("hint", exercise=h["exercise"], at=h["at"], hint_level=h["level"])
             for h in data["hints"]]
    rows += [row("project", project=p["name"], at=p["updated"], code=p["code"])
             for p in data["projects"]]
    rows += [row("draft", exercise=d["exercise"], at=d["updated"], code=d["code"])
             for d in data["drafts"]]
    rows += [row("lines", exercise=target, lines=n)
             for target, n in data["lines_by_exercise_or_project"].items()]
    return rows


# ---- delete ---------------------------------------------------------------------------


def delete_child(child: User) -> None:
    """Delete the child's account in one transaction; their counted lines and their
    submissions stay, anonymous (see the module's docstring)."""
    s = db.session
    child_id = child.id
    # Said explicitly rather than left to ON DELETE SET NULL, so the rule reads here.
    s.execute(update(Submission).where(Submission.child_id == child_id)
              .values(child_id=None).execution_options(synchronize_session=False))
    s.execute(update(CountedLine).where(CountedLine.child_id == child_id)
              .values(child_id=None).execution_options(synchronize_session=False))
    counter.forget_child(s, child_id)
    # Progress, hints, drafts, projects, assignments, attendance, login attempts and
    # child-days go with the account (ON DELETE CASCADE).
    s.delete(child)
    s.commit()


# ---- pages ----------------------------------------------------------------------------


def _filename(child: User, ext: str) -> str:
    return f"child-{child.id}.{ext}"


@bp.get("/copil/<id:child_id>/date.json")
def child_data_json(child_id: int):
    child = _child(child_id)
    body = json.dumps(export_child(child), ensure_ascii=False, indent=2)
    resp = Response(body, mimetype="application/json")
    resp.headers["Content-Disposition"] = f'attachment; filename="{_filename(child, "json")}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/copil/<id:child_id>/date.csv")
def child_data_csv(child_id: int):
    child = _child(child_id)
    return csv_response(_filename(child, "csv"), [str(c) for c in CSV_COLUMNS.values()],
                        export_rows(export_child(child)))


@bp.route("/copil/<id:child_id>/stergere", methods=["GET", "POST"], endpoint="delete_child")
def delete_child_page(child_id: int):
    child = _child(child_id)
    club = child.club
    missing_confirm = False
    if request.method == "POST":
        if request.form.get("confirm") == "yes":
            name = child.nickname
            delete_child(child)
            flash(_("%(name)s is deleted. Their lines of code stay in the club's, county's and "
                    "country's totals, without a name.", name=name), "success")
            return redirect(url_for("clubs.club", club_id=club.id))
        missing_confirm = True
    return render_template("librarian/child_data_delete.html", child=child, club=club,
                           lines=counter.child_total(child),
                           missing_confirm=missing_confirm), 400 if missing_confirm else 200
