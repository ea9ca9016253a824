"""Every route against every kind of visitor.

The expectations here are written out by hand from DESIGN.md §5 and the foundation
issue, independently of security_policy.may_access: this test checks that the table
is complete and that what the site *answers* matches who should get in.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from codekids import security_policy
from codekids.security_policy import ROUTES
from tests.conftest import STAFF_PASSWORD

PERSONAS = [
    "anonymous",
    "child",
    "librarian",
    "other_librarian",
    "county_coordinator",
    "other_county_coordinator",
    "national_coordinator",
]
STAFF = {"librarian", "other_librarian", "county_coordinator", "other_county_coordinator",
         "national_coordinator"}
COORDINATORS = {"county_coordinator", "other_county_coordinator", "national_coordinator"}
# Who may touch club A (in Cluj), its children, and the librarians of Cluj.
CLUB_A_STAFF = {"librarian", "county_coordinator", "national_coordinator"}
CLUB_A_COORDINATORS = {"county_coordinator", "national_coordinator"}


def expected_allowed(policy: security_policy.Policy) -> set[str]:
    if policy.roles is None:
        return set(PERSONAS)
    roles = set(policy.roles)
    if policy.scope is None:
        if roles == {"child"}:
            return {"child"}
        if roles == {"librarian", "coordinator"}:
            return set(STAFF)
        if roles == {"coordinator"}:
            return set(COORDINATORS)
    if policy.scope in ("club", "child"):
        if roles == {"librarian", "coordinator"}:
            return set(CLUB_A_STAFF)
        if roles == {"coordinator"}:
            return set(CLUB_A_COORDINATORS)
    if policy.scope == "librarian" and roles == {"coordinator"}:
        return set(CLUB_A_COORDINATORS)
    raise AssertionError(f"no expectation written for {policy}: add one to this test")


@pytest.fixture
def target_librarian(app, world):
    """A Cluj librarian that exists only to be managed (resetting them logs nobody out)."""
    from codekids import db
    from codekids.accounts.models import LIBRARIAN
    from codekids.clubs import service as clubs
    from codekids.clubs.models import Club

    with app.app_context():
        club = db.session.get(Club, world.club)
        lib = clubs.create_staff(role=LIBRARIAN, username="tinta.bibliotecara",
                                 display_name="Ținta", county=club.county,
                                 password_hash=None, must_change_password=True)
        clubs.set_librarian_clubs(lib, [club])
        return lib.id


def club_a_meeting(app, world) -> int:
    """A meeting of club A (made once): its id is only club A's staff's business."""
    from sqlalchemy import select

    from codekids import db
    from codekids.clubs.models import ClubSession

    with app.app_context():
        found = db.session.scalar(select(ClubSession.id).where(ClubSession.club_id == world.club))
        if found is None:
            meeting = ClubSession(club_id=world.club, started_by_id=world.librarian)
            db.session.add(meeting)
            db.session.commit()
            found = meeting.id
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
    else:
        resp = auth.staff(getattr(world, persona), STAFF_PASSWORD)
    assert resp.status_code in (302, 303), f"{persona} could not log in: {resp.status_code}"


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


def _is_login_redirect(resp) -> bool:
    """The policy's answer to an anonymous visitor: a login page that carries `next`
    (the front door's own redirect to the children's login carries none)."""
    if resp.status_code not in (301, 302, 303):
        return False
    location = resp.headers.get("Location", "")
    return ("/autentificare" in location or "/copii" in location) and "next=" in location


@pytest.mark.parametrize("persona", PERSONAS)
def test_role_matrix(app, client, auth, world, target_librarian, persona):
    problems = []
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)
    for method in ("GET", "POST"):  # all reads first, then the writes
        for rule in rules:
            if method not in rule.methods:
                continue
            policy = ROUTES[rule.endpoint]
            allowed = persona in expected_allowed(policy)
            log_in(client, auth, world, persona)
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **url_values(rule, app, world, target_librarian))
            resp = client.open(url, method=method)
            denied = resp.status_code == 403 or (
                persona == "anonymous" and _is_login_redirect(resp)
            )
            if allowed and denied:
                problems.append(f"{method} {url} ({rule.endpoint}): refused, should be allowed")
            if not allowed and not denied:
                problems.append(
                    f"{method} {url} ({rule.endpoint}): answered {resp.status_code}, "
                    "should be refused"
                )
            if resp.status_code >= 500:
                problems.append(f"{method} {url} ({rule.endpoint}): server error")
    assert not problems, "\n".join(problems)
