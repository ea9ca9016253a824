"""The JSON API for API clients (documented in README.md, "JSON API").

The exercise and playground pages use it only to save drafts and projects: what
a child sees after Run, Submit and Hint is rendered by the templates
(``views.py``), never re-rendered from this JSON.

Session cookie plus the ``X-CSRFToken`` header; JSON in, JSON out, errors
included: ``{"error": {"code": …, "message": …}}`` with the message in the
child's language. Every route is CHILDREN-only in security_policy.ROUTES, and
every object is looked up through the logged-in child, so another child's
project is "not found", never "forbidden".
"""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from codekids.bad_input import json_body, parse_id, quiet_database, takes_json
from codekids.bank import current_bank
from codekids.bank.grading import render_report
from codekids.i18n import current_locale
from codekids.learning import service
from codekids.learning.service import LearningError

bp = takes_json(Blueprint("api", __name__, url_prefix="/api/v1"))


def _body() -> dict:
    """The JSON object sent. The edge (bad_input.py) has parsed it within its limits and
    refused broken or deep JSON (bad_json) and invalid text (bad_text); anything else
    that is not an object (a list, no body) is a bad request."""
    data = json_body()
    if not isinstance(data, dict):
        raise LearningError("bad_request")
    return data


def error_answer(code: str, status: int | None = None):
    err = LearningError(code)
    return jsonify({"error": {"code": code, "message": err.message}}), status or err.status


@bp.errorhandler(LearningError)
def _learning_error(err: LearningError):
    if err.code == "sandbox_unavailable":  # nothing was recorded: the same request, later
        body, status = error_answer(err.code)
        return body, status, {"Retry-After": "60"}
    return error_answer(err.code)


@bp.errorhandler(CSRFError)
def _csrf_error(_err):
    return error_answer("bad_request", 400)


HTTP_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "bad_request",
              413: "too_large", 500: "busy"}


def _http_error(err: HTTPException):
    if err.code == 500:
        quiet_database()  # roll back; the message's language must not query either
    return error_answer(HTTP_CODES.get(err.code or 400, "bad_request"), err.code)


# By status code: the site's own handlers (web.py) are registered by code too, and
# Flask asks by code before it asks by class; the blueprint's come first.
for _status in HTTP_CODES:
    bp.register_error_handler(_status, _http_error)


def next_exercise_dict(exercise) -> dict | None:
    if exercise is None:
        return None
    from codekids.bank.texts import localized

    return {"id": exercise.id, "url": url_for("learning.exercise", exercise_id=exercise.id),
            "title": localized(exercise.title, current_locale())}


def submit_payload(outcome: service.SubmitOutcome) -> dict:
    """The report, in the reader's language, and what the submission earned; the
    exercise page renders the same dict."""
    total = (service.child_total_lines(outcome.submission.child_id)
             if outcome.lines_counted else None)
    return {**render_report(outcome.report, current_locale()), "stars": outcome.stars, "submission_id": outcome.submission.id,
            "duplicate": outcome.duplicate, "next_exercise": next_exercise_dict(outcome.next_exercise),
            "lines_counted": outcome.lines_counted, "total_lines": total,
            "stars_reason": outcome.stars_reason, "set_finished": outcome.set_finished}


@bp.post("/exercises/<exercise_id>/run")
def exercise_run(exercise_id: str):
    exercise = service.get_exercise(current_bank(), exercise_id)
    data = _body()
    answer = service.run_exercise(current_user, exercise, data.get("source"), data.get("stdin"),
                                  current_locale())
    return jsonify(answer)


@bp.post("/exercises/<exercise_id>/submit")
def exercise_submit(exercise_id: str):
    bank = current_bank()
    exercise = service.get_exercise(bank, exercise_id)
    data = _body()
    outcome = service.record_submission(current_user, exercise, data.get("source"),
                                        data.get("client_key"), current_locale(), bank=bank)
    return jsonify(submit_payload(outcome))


@bp.post("/exercises/<exercise_id>/draft")
def exercise_draft(exercise_id: str):
    exercise = service.get_exercise(current_bank(), exercise_id)
    draft = service.save_draft(current_user, exercise, _body().get("source"))
    return jsonify({"saved_at": draft.updated_at.isoformat() + "Z"})


@bp.post("/exercises/<exercise_id>/hints")
def exercise_hint(exercise_id: str):
    exercise = service.get_exercise(current_bank(), exercise_id)
    try:
        hint = service.reveal_hint(current_user, exercise, current_locale())
    except LearningError as err:
        if err.code != "no_more_hints":
            raise
        shown = service.revealed_hints(current_user, exercise, current_locale())
        body = {"error": {"code": err.code, "message": err.message}, "remaining": 0,
                "level": shown[-1].level if shown else 0,
                "text": shown[-1].text if shown else ""}
        return jsonify(body), err.status
    return jsonify({"level": hint.level, "text": hint.text, "remaining": hint.remaining})


def _project_id(raw) -> int | None:
    if raw is None:
        return None
    # A JSON number, and an id the database can hold (a string or 2**63 is not one).
    project_id = parse_id(raw) if isinstance(raw, int) else None
    if project_id is None:
        raise LearningError("not_found")
    return project_id


@bp.post("/playground/run")
def playground_run():
    data = _body()
    answer = service.run_playground(current_user, data.get("source"), data.get("stdin"),
                                    current_locale(), project_id=_project_id(data.get("project_id")))
    return jsonify(answer)


@bp.post("/projects")
def project_create():
    data = _body()
    project = service.create_project(current_user, data.get("name"), data.get("source", ""))
    return jsonify({"id": project.id, "name": project.name,
                    "url": url_for("learning.project", project_id=project.id)}), 201


@bp.put("/projects/<id:project_id>")
def project_update(project_id: int):
    data = _body()
    project = service.update_project(current_user, project_id, name=data.get("name"),
                                     source=data.get("source"))
    return jsonify({"id": project.id, "name": project.name,
                    "saved_at": project.updated_at.isoformat() + "Z"})
