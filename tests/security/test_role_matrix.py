"""Every route against every kind of visitor, from a table written out by hand.

MATRIX below says, URL rule by URL rule and persona by persona, what the site
answers. It is written from DESIGN.md §1 and §5 and from reading the views, not
from security_policy.ROUTES: a route declared there with the wrong roles fails
here. It is keyed by URL rule and method, not by endpoint, because URLs are the
promise (bookmarks, printed cards, the embed on partners' sites) and endpoint
names change when a view moves to another room.

A new route fails `test_the_matrix_lists_every_route` until someone writes its
row, deciding who gets in; a removed one fails it until its row goes.

What a cell means:
    OK     the visitor gets through (a page, a file, a redirect to their own page,
           or a 400/409 about the request's content: the empty form these requests
           send, a set not finished for a diploma)
    NO     403
    NF     404: the visitor may use the route, but the object in the URL is not
           theirs or does not exist (the ids url_values() fills in)
    LOGIN  a redirect to the staff login page, carrying `next`
    KIDS   a redirect to the children's login page, carrying `next`

Objects in the URLs (url_values): club A of Cluj, its first child, a librarian of
club A, a meeting of club A; ids of assignments, submissions and projects that do
not exist.

Cells marked `# ?` follow what the site does today where DESIGN.md reads
otherwise; see the note above their rows.
"""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import Rule

from codekids.security_policy import ROUTES
from tests.conftest import STAFF_PASSWORD

PERSONAS = [
    "anonymous",
    "child",  # of club A (Cluj)
    "other_child",  # of club B (Cluj)
    "librarian",  # runs club A
    "other_librarian",  # runs club B, same county
    "county_coordinator",  # Cluj
    "other_county_coordinator",  # Alba
    "national_coordinator",
]

OK, NO, NF, LOGIN, KIDS = "OK", "403", "404", "LOGIN", "KIDS"

# fmt: off
MATRIX: dict[tuple[str, str], tuple[str, ...]] = {
    #                                                           anonymous child  other   lib    other  county other  nation
    #                                                                            child          lib    coord  county coord
    # ---- anyone: the front door, logging in and out, public figures -----------------------
    ("GET",  "/"):                                              (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/language"):                                      (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/static/<path:filename>"):                        (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/healthz"):                                       (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/autentificare"):                                 (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/autentificare"):                                 (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/iesire"):                                        (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/iesire"):                                        (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/copii"):                                         (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/copii"):                                         (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/copii/<code>"):                                  (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/copii/<code>/<id:child_id>"):                    (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/copii/<code>/<id:child_id>"):                    (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # a made-up invitation token: nobody's
    ("GET",  "/invitatie/<token>"):                             (NF,    NF,    NF,    NF,    NF,    NF,    NF,    NF),
    ("POST", "/invitatie/<token>"):                             (NF,    NF,    NF,    NF,    NF,    NF,    NF,    NF),
    ("GET",  "/api/v1/counter"):                                (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/counter/embed"):                                 (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # The sync API: club laptops by their bearer token, never a session; without a token
    # everyone gets the view's own 401 JSON (OK here: the route policy let them through).
    ("POST", "/api/v1/sync/batches"):                           (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("GET",  "/api/v1/sync/batches"):                           (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("PUT",  "/api/v1/sync/batches"):                           (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("PATCH", "/api/v1/sync/batches"):                          (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    ("DELETE", "/api/v1/sync/batches"):                         (OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK),
    # ---- staff: a password of their own (children have none) ------------------------------
    ("GET",  "/parola"):                                        (LOGIN, NO,    NO,    OK,    OK,    OK,    OK,    OK),
    ("POST", "/parola"):                                        (LOGIN, NO,    NO,    OK,    OK,    OK,    OK,    OK),
    # ---- the child's side: any child, only children ---------------------------------------
    ("GET",  "/acasa"):                                         (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("GET",  "/seturi/<set_id>"):                               (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("GET",  "/exercitii/<exercise_id>"):                       (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/exercitii/<exercise_id>"):                       (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("GET",  "/joaca"):                                         (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/joaca"):                                         (KIDS,  OK,    OK,    NO,    NO,    NO,    NO,    NO),
    # project 1 does not exist: a child finds nothing there, nobody else may look
    ("GET",  "/joaca/<id:project_id>"):                         (KIDS,  NF,    NF,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/joaca/<id:project_id>"):                         (KIDS,  NF,    NF,    NO,    NO,    NO,    NO,    NO),
    # the JSON API never redirects to a login page: 403, and the page reloads itself
    ("POST", "/api/v1/exercises/<exercise_id>/run"):            (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/api/v1/exercises/<exercise_id>/submit"):         (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/api/v1/exercises/<exercise_id>/draft"):          (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/api/v1/exercises/<exercise_id>/hints"):          (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/api/v1/playground/run"):                         (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    ("POST", "/api/v1/projects"):                               (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    # 400 for a child: the empty body is refused before the project is looked up
    ("PUT",  "/api/v1/projects/<id:project_id>"):               (NO,    OK,    OK,    NO,    NO,    NO,    NO,    NO),
    # ---- the librarian's room: every librarian and coordinator sees their own clubs -------
    ("GET",  "/cluburi/"):                                      (LOGIN, NO,    NO,    OK,    OK,    OK,    OK,    OK),
    # ---- club A's pages: its librarian, Cluj's coordinator, the national coordinator ------
    ("GET",  "/cluburi/<id:club_id>"):                          (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/cartonase"):                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/copii-noi"):                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/teme"):                     (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/progres"):                  (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/progres/<set_id>"):         (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/exercitii/<exercise_id>/greseli"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/ajutor"):                   (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/ajutor/lista"):             (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/intalniri"):                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/intalniri/<id:session_id>"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/raport"):                   (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    # the club laptop's sync box alone: 404, the test site is not set up as a club laptop
    ("GET",  "/cluburi/<id:club_id>/sincronizare"):             (LOGIN, NO,    NO,    NF,    NO,    NF,    NO,    NF),
    ("GET",  "/cluburi/<id:club_id>/raport/<int(min=2000, max=2200):year>/<int(min=1, max=12):month>"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/<id:club_id>/raport/<int(min=2000, max=2200):year>/<int(min=1, max=12):month>.csv"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    # ---- club A's first child: the same three -----------------------------------------------
    ("GET",  "/cluburi/copil/<id:child_id>"):                   (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/copil/<id:child_id>/cartonas"):          (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/copil/<id:child_id>/exercitiu/<exercise_id>"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    # submission 1 does not exist (and would have to be this child's)
    ("GET",  "/cluburi/copil/<id:child_id>/incercare/<id:submission_id>"):
                                                                (LOGIN, NO,    NO,    NF,    NO,    NF,    NO,    NF),
    ("GET",  "/cluburi/copil/<id:child_id>/diplome"):           (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    # 409 for those let in: the child has not finished the set
    ("GET",  "/cluburi/copil/<id:child_id>/diploma/<set_id>"):  (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/copil/<id:child_id>/date.json"):         (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/copil/<id:child_id>/date.csv"):          (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    ("GET",  "/cluburi/copil/<id:child_id>/stergere"):          (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),
    # ---- changes to club A and its children -------------------------------------------------
    # ? DESIGN.md §5 gives a coordinator "read access to everything in scope" and the
    # management of clubs and librarians; §1 gives children's accounts, cards,
    # assignments and meetings to the librarian. Today the coordinators of club A may
    # also make every one of these changes (ROUTES: CLUB_STAFF, CHILD_STAFF).
    ("POST", "/cluburi/<id:club_id>/copii-noi"):                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/<id:club_id>/deblocare"):                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/<id:club_id>/deblocare-calculator"):     (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/<id:club_id>/teme"):                     (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    # assignment 1 does not exist (and would have to be club A's)
    ("POST", "/cluburi/<id:club_id>/teme/<id:assignment_id>/stergere"):
                                                                (LOGIN, NO,    NO,    NF,    NO,    NF,    NO,    NF),  # ?
    ("POST", "/cluburi/<id:club_id>/intalniri/incepe"):         (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    # "sync now": 404, the test site is not set up as a club laptop
    ("POST", "/cluburi/<id:club_id>/sincronizare"):             (LOGIN, NO,    NO,    NF,    NO,    NF,    NO,    NF),  # ?
    ("POST", "/cluburi/<id:club_id>/intalniri/<id:session_id>/incheie"):
                                                                (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    # no child posted: none of the meeting's club
    ("POST", "/cluburi/<id:club_id>/intalniri/<id:session_id>/prezenta"):
                                                                (LOGIN, NO,    NO,    NF,    NO,    NF,    NO,    NF),  # ?
    ("POST", "/cluburi/copil/<id:child_id>/secret-nou"):        (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/copil/<id:child_id>/deblocare"):         (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/copil/<id:child_id>/dezactivare"):       (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    ("POST", "/cluburi/copil/<id:child_id>/reactivare"):        (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    # 400 for those let in: the form's confirmation is missing
    ("POST", "/cluburi/copil/<id:child_id>/stergere"):          (LOGIN, NO,    NO,    OK,    NO,    OK,    NO,    OK),  # ?
    # ---- the coordinator's room: any coordinator, narrowed to their county inside ---------
    ("GET",  "/coordonare/"):                                   (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/cluburi"):                            (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/cluburi/nou"):                        (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("POST", "/coordonare/cluburi/nou"):                        (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/bibliotecari"):                       (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/bibliotecari/nou"):                   (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("POST", "/coordonare/bibliotecari/nou"):                   (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor"):                             (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor/judete.csv"):                  (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor/cluburi.csv"):                 (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor/evolutie.csv"):                (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor/ajustari"):                    (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("POST", "/coordonare/contor/ajustari"):                    (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/contor/ajustari.csv"):                (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    # ---- club A and its librarian, as a coordinator: Cluj's and the national one ----------
    ("GET",  "/coordonare/cluburi/<id:club_id>"):               (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    ("POST", "/coordonare/cluburi/<id:club_id>"):               (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    ("GET",  "/coordonare/cluburi/<id:club_id>/bibliotecari"):  (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    ("POST", "/coordonare/cluburi/<id:club_id>/bibliotecari"):  (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    ("GET",  "/coordonare/bibliotecari/<id:user_id>"):          (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    ("POST", "/coordonare/bibliotecari/<id:user_id>"):          (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
    # Club laptops: a box of club A is Cluj's and the nation's; Alba's coordinator gets
    # "not found" (the view checks the box's club, the policy only the role).
    ("GET",  "/coordonare/laptopuri"):                          (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("POST", "/coordonare/laptopuri"):                          (LOGIN, NO,    NO,    NO,    NO,    OK,    OK,    OK),
    ("GET",  "/coordonare/laptopuri/<id:box_id>"):              (LOGIN, NO,    NO,    NO,    NO,    OK,    NF,    OK),
    ("GET",  "/coordonare/laptopuri/<id:box_id>/revocare"):     (LOGIN, NO,    NO,    NO,    NO,    OK,    NF,    OK),
    ("POST", "/coordonare/laptopuri/<id:box_id>/revocare"):     (LOGIN, NO,    NO,    NO,    NO,    OK,    NF,    OK),
    ("POST", "/coordonare/laptopuri/<id:box_id>/token-nou"):    (LOGIN, NO,    NO,    NO,    NO,    OK,    NF,    OK),
    ("POST", "/coordonare/bibliotecari/<id:user_id>/resetare"): (LOGIN, NO,    NO,    NO,    NO,    OK,    NO,    OK),
}
# fmt: on


@pytest.fixture
def target_librarian(app, world):
    """A librarian of club A that exists only to be managed (resetting them logs
    nobody out). Built from the models, which stay where they are when services move."""
    from codekids import db
    from codekids.accounts.models import LIBRARIAN, User
    from codekids.models import Club

    with app.app_context():
        club = db.session.get(Club, world.club)
        lib = User(
            role=LIBRARIAN,
            username="tinta.bibliotecara",
            display_name="Ținta",
            county_id=club.county_id,
            password_hash=None,
            must_change_password=True,
        )
        lib.clubs = [club]
        db.session.add(lib)
        db.session.commit()
        return lib.id


def club_a_meeting(app, world) -> int:
    """A meeting of club A (made once): its id is only club A's staff's business."""
    from sqlalchemy import select

    from codekids import db
    from codekids.models import ClubSession

    with app.app_context():
        found = db.session.scalar(select(ClubSession.id).where(ClubSession.club_id == world.club))
        if found is None:
            meeting = ClubSession(club_id=world.club, started_by_id=world.librarian)
            db.session.add(meeting)
            db.session.commit()
            found = meeting.id
        return found


def club_a_box(app, world) -> int:
    """A club laptop registered for club A (made once): Cluj's and the nation's business."""
    from sqlalchemy import select

    from codekids import db
    from codekids.models import Club, SyncBox
    from codekids.sync import national

    with app.app_context():
        found = db.session.scalar(select(SyncBox.id).where(SyncBox.club_id == world.club))
        if found is None:
            found = national.register_box(db.session.get(Club, world.club), "A", None)[0].id
        return found


def url_values(rule: Rule, app, world, target_librarian) -> dict:
    values = {}
    for arg in rule.arguments:
        if arg == "club_id":
            values[arg] = world.club
        elif arg == "child_id":
            values[arg] = world.children[0]
        elif arg == "user_id":
            values[arg] = target_librarian
        elif arg == "code":
            values[arg] = world.join_codes[world.club]
        elif arg == "filename":
            values[arg] = "js/site.js"
        elif arg == "token":
            values[arg] = "not-a-real-token"
        elif arg == "exercise_id":
            values[arg] = "hello"  # the bank's first exercise
        elif arg == "set_id":
            values[arg] = "first-steps"
        elif arg in ("assignment_id", "submission_id"):
            values[arg] = 1  # none exists: those allowed get "not found", the rest are refused
        elif arg == "project_id":
            values[arg] = 1  # nobody's: a child gets "not found", everyone else is refused
        elif arg == "box_id":
            values[arg] = club_a_box(app, world)
        elif arg == "session_id":
            values[arg] = club_a_meeting(app, world)
        elif arg == "year":
            values[arg] = 2026
        elif arg == "month":
            values[arg] = 11
        else:
            raise AssertionError(f"the role matrix does not know URL argument {arg!r} of {rule}")
    return values


def log_in(client, auth, world, persona: str) -> None:
    with client.session_transaction() as sess:
        sess.clear()
    if persona == "anonymous":
        return
    if persona == "child":
        resp = auth.child(world.children[1])
    elif persona == "other_child":
        resp = auth.child(world.other_children[0])
    else:
        resp = auth.staff(getattr(world, persona), STAFF_PASSWORD)
    assert resp.status_code in (302, 303), f"{persona} could not log in: {resp.status_code}"


def site_routes(app) -> dict[tuple[str, str], Rule]:
    """(method, URL rule) -> rule, for every method a person can send (HEAD and
    OPTIONS are Flask's own answers to GET and to any rule)."""
    found = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[method, rule.rule] = rule
    return found


def outcome(resp) -> str:
    """What a visitor got, in the words of the table."""
    if resp.status_code == 403:
        return NO
    if resp.status_code == 404:
        return NF
    location = resp.headers.get("Location", "")
    if resp.status_code in (301, 302, 303) and "next=" in location:
        # The policy's answer to an anonymous visitor; the front door's own
        # redirect to the children's login carries no `next`.
        if "/autentificare" in location:
            return LOGIN
        if "/copii" in location:
            return KIDS
    return OK


def test_the_matrix_lists_every_route(app):
    routes = site_routes(app)
    missing = sorted(routes.keys() - MATRIX.keys())
    assert not missing, f"routes the role matrix does not list (write their rows): {missing}"
    stale = sorted(MATRIX.keys() - routes.keys())
    assert not stale, f"rows of the role matrix for routes that no longer exist: {stale}"


def test_every_row_has_a_cell_per_persona():
    short = {key: len(cells) for key, cells in MATRIX.items() if len(cells) != len(PERSONAS)}
    assert not short, short
    assert {c for cells in MATRIX.values() for c in cells} <= {OK, NO, NF, LOGIN, KIDS}


def test_every_route_declares_a_policy(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - ROUTES.keys())
    assert not missing, f"routes without a declared policy: {missing}"
    stale = sorted(ROUTES.keys() - endpoints)
    assert not stale, f"policies for routes that do not exist: {stale}"


def test_an_undeclared_route_is_refused_to_everyone(app, client, auth, world):
    # Fail closed: add a route without a policy and check nobody gets in.
    app.add_url_rule("/undeclared", "undeclared", lambda: "open")
    for persona in ("anonymous", "national_coordinator"):
        log_in(client, auth, world, persona)
        assert client.get("/undeclared").status_code == 403


def _request_order(key: tuple[str, str]) -> tuple[bool, str, str]:
    # Every read first, then the writes, by URL: a deactivated child or an ended
    # meeting must not change what a later read of the same run sees, and the
    # order must not depend on endpoint names.
    method, rule = key
    return method != "GET", rule, method


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(app, client, auth, world, target_librarian, persona):
    column = PERSONAS.index(persona)
    routes = site_routes(app)
    problems = []
    for key in sorted(MATRIX.keys() & routes.keys(), key=_request_order):
        method, rule_text = key
        rule = routes[key]
        expected = MATRIX[key][column]
        log_in(client, auth, world, persona)
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(rule, app, world, target_librarian))
        resp = client.open(url, method=method)
        got = outcome(resp)
        if resp.status_code >= 500:
            problems.append(f"{method} {url} ({rule_text}): server error {resp.status_code}")
        elif got != expected:
            problems.append(
                f"{method} {rule_text} as {persona}: got {got} ({resp.status_code}"
                f"{' to ' + resp.headers['Location'] if 'Location' in resp.headers else ''}),"
                f" the table says {expected}"
            )
    assert not problems, "\n".join(problems)
