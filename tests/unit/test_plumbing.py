"""What runs on every request (codekids/plumbing.py): the hooks in their order, and
templates that never query the database."""

from __future__ import annotations

from contextlib import contextmanager

from flask import before_render_template, template_rendered
from sqlalchemy import event

from codekids import plumbing
from codekids.bank import current_bank


def _name(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


# Written out by hand: a change of plumbing's order must show up here too.
BEFORE_VIEW = [
    "codekids.logs.start_request",
    "codekids.web.no_user",
    "codekids.bad_input.check_request",
    "flask_wtf.csrf.CSRFProtect.init_app.<locals>.csrf_protect",
    "codekids.security_policy.enforce",
    "codekids.web.idle_logout",
    "codekids.accounts.views.force_password_change",
]
AFTER_VIEW = [  # in the order they run
    "codekids.static_files.static_headers",
    "flask_login.login_manager.LoginManager._update_remember_cookie",
    "codekids.security_headers.add_headers",
    "codekids.logs.finish_request",
]


def test_the_hooks_run_in_the_order_plumbing_declares(app):
    assert [_name(f) for f in app.before_request_funcs[None]] == BEFORE_VIEW
    # Flask runs after_request hooks last-registered first.
    assert [_name(f) for f in reversed(app.after_request_funcs[None])] == AFTER_VIEW
    assert [_name(f) for f in app.teardown_appcontext_funcs] == ["codekids.db.close_session"]


def test_plumbing_lists_each_hook_where_it_runs():
    def declared(step):
        return type(step).__name__ if hasattr(step, "init_app") else _name(step)

    assert [declared(s) for s in plumbing.BEFORE_EACH_REQUEST] == [
        "CSRFProtect" if "csrf" in n else n for n in BEFORE_VIEW]
    assert [declared(s) for s in plumbing.AFTER_EACH_REQUEST] == [
        "LoginManager" if "flask_login" in n else n for n in AFTER_VIEW]


def test_the_edge_check_answers_before_the_csrf_check(app_config):
    """Bytes the database must never see are refused as such, even in a POST without a
    CSRF token: the edge runs first."""
    from codekids import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    with client.session_transaction() as session:
        session["locale"] = "en"
    refused = client.post("/autentificare", data={"username": "a\x00b"})
    assert refused.status_code == 400
    assert b"characters in it that are not text" in refused.data
    # The same POST with plain text reaches the CSRF check.
    assert b"open too long" in client.post("/autentificare", data={"username": "ab"}).data


def test_no_two_context_processors_give_the_same_name(app):
    """Their order then changes nothing."""
    with app.test_request_context("/"):
        seen: dict[str, str] = {}
        for processor in app.template_context_processors[None]:
            for key in processor():
                assert key not in seen, (key, seen.get(key), _name(processor))
                seen[key] = _name(processor)
    assert {"LANGUAGES", "current_locale", "idle_minutes", "current_user",
            "csrf_token"} <= set(seen)


@contextmanager
def queries_while_rendering(app):
    """The SQL statements run while a template renders: while the context processors
    fill its context, and between Flask's before_render_template and template_rendered
    signals (globals, filters, the template's own reads)."""
    rendering: list[str] = []
    seen: list[tuple[str, str]] = []

    def started(sender, template, context, **extra):
        rendering.append(template.name)

    def finished(sender, template, context, **extra):
        rendering.pop()

    def executed(conn, cursor, statement, parameters, context, executemany):
        if rendering:
            seen.append((rendering[-1], statement.split("\n")[0]))

    fill_context = app.update_template_context

    def context_processors(context):
        rendering.append("(context processors)")
        try:
            fill_context(context)
        finally:
            rendering.pop()

    engine = app.extensions["codekids_engine"]
    event.listen(engine, "before_cursor_execute", executed)
    app.update_template_context = context_processors
    before_render_template.connect(started, app)
    template_rendered.connect(finished, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(finished, app)
        before_render_template.disconnect(started, app)
        event.remove(engine, "before_cursor_execute", executed)
        del app.update_template_context


def _pages(app, world) -> dict[str, list[str]]:
    with app.app_context():
        bank = current_bank()
        a_set = bank.sets[0]
        exercise = a_set.exercises[0]
    club, child = world.club, world.children[0]
    return {
        "anonymous": ["/", "/copii", f"/copii/{world.join_codes[club]}",
                      f"/copii/{world.join_codes[club]}/{child}", "/autentificare",
                      "/counter/embed", "/no-such-page"],
        "child": ["/acasa", f"/seturi/{a_set.id}", f"/exercitii/{exercise.id}", "/joaca"],
        "librarian": ["/cluburi/", f"/cluburi/{club}", f"/cluburi/{club}/progres",
                      f"/cluburi/{club}/progres/{a_set.id}", f"/cluburi/{club}/ajutor",
                      f"/cluburi/{club}/intalniri", f"/cluburi/{club}/cartonase",
                      f"/cluburi/{club}/teme", f"/cluburi/{club}/raport",
                      f"/cluburi/copil/{child}", f"/cluburi/copil/{child}/diplome",
                      f"/cluburi/copil/{child}/exercitiu/{exercise.id}", "/parola"],
        "coordinator": ["/coordonare/", "/coordonare/cluburi", "/coordonare/bibliotecari",
                        "/coordonare/contor", f"/coordonare/cluburi/{club}"],
    }


# Pages whose template still loads a relationship its view did not load (a lazy load is a
# query from inside the template): none. A page that starts doing it fails the test below.
TEMPLATES_THAT_STILL_QUERY: set[tuple[str, str]] = set()


def test_no_query_runs_while_a_page_renders(app, client, world, login, auth):
    """Template globals and context processors read the request, the settings or a
    catalog; a page's data comes from its view, loaded before the template renders."""
    pages = _pages(app, world)
    found: dict[str, list[tuple[str, str]]] = {}
    for persona, urls in pages.items():
        if persona == "child":
            auth.child(world.children[0])
        elif persona == "librarian":
            login(world.librarian)
        elif persona == "coordinator":
            login(world.national_coordinator)
        for url in urls:
            with queries_while_rendering(app) as seen:
                response = client.get(url, follow_redirects=True)
            assert response.status_code in (200, 404), (url, response.status_code)
            if seen:
                found[url] = seen
        client.post("/iesire")
    querying = {(url, template) for url, seen in found.items() for template, _sql in seen}
    assert querying == TEMPLATES_THAT_STILL_QUERY, "\n".join(
        f"{url}: {template}: {sql[:70]}" for url, seen in found.items() for template, sql in seen)
