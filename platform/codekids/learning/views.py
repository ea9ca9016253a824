"""The child's pages: home, a set, an exercise, the playground and its projects.

Every page works without JavaScript as a full-page form. With JavaScript the
page posts the same form to the same route with ``X-CodeKids-Fragment: 1`` and
gets only the answer's pieces, rendered by the same templates (DESIGN.md §8).
Views parse the form, call ``service``, and render; a refused input re-renders
the page with the reason in the child's language and the matching status code.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_translations
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from codekids.bank import current_bank
from codekids.bank.texts import localized
from codekids.i18n import current_locale
from codekids.learning import drawing, service
from codekids.learning.api import next_exercise_dict, submit_payload
from codekids.learning.markdown import render_markdown
from codekids.learning.service import LearningError

bp = Blueprint("learning", __name__)


def markdown_filter(text: str) -> Markup:
    """Template filter ``markdown``: an exercise's statement or hint as HTML."""
    return render_markdown(text or "")


def mark_column(line: str | None, column: int | None) -> Markup:
    """Template filter: a shown line with the character at ``column`` (1-based) in
    <mark>: the first difference."""
    if line is None:
        return Markup("")
    if not column or column < 1 or column > len(line):
        return escape(line) + Markup('<mark class="diff-end"> </mark>')
    i = column - 1
    return escape(line[:i]) + Markup("<mark>") + escape(line[i]) + Markup("</mark>") + escape(
        line[i + 1:])


def turtle_drawing(segments):
    """Template global: the frame of a turtle drawing (learning/drawing.py)."""
    return drawing.drawing(segments)


def js_texts() -> dict[str, str]:
    """Template global: the few texts only the page's JavaScript shows
    (static/js/exercise.js): what it says while a request is on its way, about drafts,
    the font switch and a lost connection.

    Everything shown after Run, Submit and Hint is rendered by the templates
    (``child/_answer.html``) and inserted by the script, never re-written in it.
    """
    return dict(_js_texts(get_translations()))


@lru_cache(maxsize=16)
def _js_texts(_catalog) -> dict[str, str]:
    """The texts as this request's catalog gives them (``_catalog`` is only the cache key)."""
    return {
        "running": _("Running…"),
        "checking": _("Checking your program…"),
        "saving": _("Saving…"),
        "saved": _("Saved"),
        "save_failed": _("Not saved yet — we will try again."),
        "font_larger": _("Bigger letters"),
        "font_smaller": _("Smaller letters"),
        "network_error": _("The server did not answer. Check the connection and try again."),
    }


# The page's script asks for the answer's pieces only (child/exercise_fragment.html),
# through the very route and view code a plain form post uses.
FRAGMENT_HEADER = "X-CodeKids-Fragment"


def _wants_fragment() -> bool:
    return request.method == "POST" and request.headers.get(FRAGMENT_HEADER) == "1"


def _render(page: str, fragment: str, status: int, **context):
    if _wants_fragment():
        return render_template(fragment, **context), status, {"Vary": FRAGMENT_HEADER,
                                                              FRAGMENT_HEADER: "1"}
    return render_template(page, **context), status, {"Vary": FRAGMENT_HEADER}


@bp.get("/acasa")
def home():
    assigned, all_sets = service.home(current_user, current_bank(), current_locale())
    # The club's name read here, not by the template (no query while a page renders).
    return render_template("child/home.html", child=current_user, assigned=assigned,
                           club_name=current_user.club.name, all_sets=all_sets, total_lines=service.child_total_lines(current_user),
                           next_step=service.next_from_views(assigned, all_sets))


@bp.get("/seturi/<set_id>")
def exercise_set(set_id: str):
    try:
        found = service.get_set(current_bank(), set_id)
    except LearningError:
        abort(404)
    view = service.set_view(found, service.progress_by_exercise(current_user), current_locale())
    return render_template("child/set.html", view=view, next_item=service.next_in_set(view))


def _exercise_page(exercise, *, code: str, status: int = 200, results=None, run=None,
                   error: LearningError | None = None, stdin: str = "", new_hint=None):
    locale = current_locale()
    bank = current_bank()
    progress = service.get_progress(current_user.id, exercise.id)
    hints = service.revealed_hints(current_user, exercise, locale)
    exercise_set = bank.get_set(exercise.set_id)
    error_line = None
    if results is not None:
        error_line = (results.get("explanation") or {}).get("line")
    elif run is not None:
        error_line = run.get("error_line")
    segments = (run or {}).get("turtle")
    return _render(
        "child/exercise.html", "child/exercise_fragment.html", status,
        exercise=exercise,
        title=localized(exercise.title, locale),
        statement=localized(exercise.statement, locale),
        exercise_set=exercise_set,
        set_title=localized(exercise_set.title, locale) if exercise_set else "",
        code=code,
        stdin=stdin,
        client_key=secrets.token_urlsafe(24),
        progress=progress,
        hints=hints,
        hints_total=len(service.hints_of(exercise, locale)),
        new_hint=new_hint,
        results=results,
        run=run,
        segments=segments,
        error=error,
        error_line=error_line,
        next_exercise=next_exercise_dict(service.next_exercise(bank, exercise)),
        max_bytes=service.MAX_SOURCE_BYTES,
    )


@bp.route("/exercitii/<exercise_id>", methods=["GET", "POST"])
def exercise(exercise_id: str):
    try:
        ex = service.get_exercise(current_bank(), exercise_id)
    except LearningError:
        abort(404)
    if request.method == "GET":
        return _exercise_page(ex, code=service.code_for(current_user, ex), stdin=ex.starter_stdin)

    action = request.form.get("action", "")
    if action in ("restart", "restore"):
        # Start again from the starter; the passing program stays a submission, and
        # "restore" brings it back.
        code = (service.restart(current_user, ex) if action == "restart"
                else service.restore_solution(current_user, ex))
        return _exercise_page(ex, code=code, stdin=ex.starter_stdin)
    raw = request.form.get("source")
    stdin = request.form.get("stdin", "")
    # What goes back into the editor: what the child sent, unless it is the thing refused.
    code = raw if isinstance(raw, str) else service.code_for(current_user, ex)
    try:
        if action not in ("run", "submit", "hint"):
            raise LearningError("bad_request")
        try:
            service.clean_source(raw, allow_empty=True)
        except LearningError:
            code = service.code_for(current_user, ex)
            raise
        # No JavaScript: every post keeps the child's code as their draft.
        service.save_draft(current_user, ex, raw)
        if action == "run":
            run = service.run_exercise(current_user, ex, raw, stdin, current_locale())
            return _exercise_page(ex, code=code, run=run, stdin=stdin)
        if action == "submit":
            outcome = service.record_submission(current_user, ex, raw,
                                                request.form.get("client_key"), current_locale(),
                                                bank=current_bank())
            results = submit_payload(outcome)
            return _exercise_page(ex, code=code, results=results, stdin=stdin)
        hint = service.reveal_hint(current_user, ex, current_locale())
        return _exercise_page(ex, code=code, stdin=stdin, new_hint=hint)
    except LearningError as err:
        if len(stdin) > service.MAX_STDIN_BYTES:
            stdin = ""
        return _exercise_page(ex, code=code, status=err.status, error=err, stdin=stdin)


@bp.route("/joaca", methods=["GET", "POST"])
def playground():
    """An editor ready to type: Run works at once (no project yet, its runs count like a
    project's); Save names the program and makes it a project. A post with only a name
    (the older form) starts an empty project."""
    error = run = None
    code = stdin = ""
    name = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        raw = request.form.get("source", "")
        stdin = request.form.get("stdin", "")
        name = request.form.get("name", "")
        code = raw if isinstance(raw, str) else ""
        try:
            if action == "save":
                project = service.create_project(current_user, name, raw)
                return redirect(url_for("learning.project", project_id=project.id), code=303)
            if action != "run":
                raise LearningError("bad_request")
            run = service.run_playground(current_user, raw, stdin, current_locale())
        except LearningError as err:
            error = err
            if err.code in ("too_large", "bad_source", "bad_request"):
                code = ""
            if len(stdin) > service.MAX_STDIN_BYTES:
                stdin = ""
    if not (name or "").strip():
        name = service.default_project_name(current_user)
    return _render("child/playground.html", "child/project_fragment.html",
                   error.status if error else 200, projects=service.list_projects(current_user),
                   error=error, name=name[:service.MAX_PROJECT_NAME], code=code, stdin=stdin,
                   run=run, segments=(run or {}).get("turtle"),
                   error_line=(run or {}).get("error_line"), max_bytes=service.MAX_SOURCE_BYTES)


def _project_page(project, *, code: str, stdin: str = "", run=None, error=None, status=200,
                  saved=False, name=None):
    return _render("child/project.html", "child/project_fragment.html", status, project=project,
                   code=code, stdin=stdin, run=run, segments=(run or {}).get("turtle"),
                   error=error, saved=saved, name=project.name if name is None else name,
                   error_line=(run or {}).get("error_line"), max_bytes=service.MAX_SOURCE_BYTES)


@bp.route("/joaca/<id:project_id>", methods=["GET", "POST"])
def project(project_id: int):
    try:
        proj = service.get_project(current_user, project_id)
    except LearningError:
        abort(404)  # someone else's project looks exactly like a missing one
    if request.method == "GET":
        return _project_page(proj, code=proj.source)

    action = request.form.get("action", "")
    raw = request.form.get("source")
    stdin = request.form.get("stdin", "")
    name = request.form.get("name")
    code = raw if isinstance(raw, str) else proj.source
    try:
        if action not in ("run", "save"):
            raise LearningError("bad_request")
        try:
            service.clean_source(raw, allow_empty=True)
        except LearningError:
            code = proj.source
            raise
        if action == "save":
            service.update_project(current_user, proj.id, name=name, source=raw)
            return _project_page(proj, code=code, stdin=stdin, saved=True)
        # Running keeps the code too, as a draft keeps an exercise's.
        service.update_project(current_user, proj.id, source=raw)
        run = service.run_playground(current_user, raw, stdin, current_locale(), project_id=proj.id)
        return _project_page(proj, code=code, stdin=stdin, run=run)
    except LearningError as err:
        if len(stdin) > service.MAX_STDIN_BYTES:
            stdin = ""
        return _project_page(proj, code=code, stdin=stdin, error=err, status=err.status,
                             name=(name or "")[:service.MAX_PROJECT_NAME] or None)
