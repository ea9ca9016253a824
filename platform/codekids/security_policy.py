"""Who may use which route: the one visible table, enforced before every request.

Every endpoint of the site must appear in ROUTES. An endpoint that is missing is
refused (and `tests/security/test_role_matrix.py` fails), so a new route cannot
go live without someone deciding who may use it.

Scopes narrow a role to the objects it may touch, read from the URL:
- "club": the `club_id` in the URL must be a club the user runs (librarian) or
  one inside the coordinator's county (national coordinators: all clubs);
- "child": the `child_id` must be a child of such a club;
- "librarian": the `user_id` must be a librarian the coordinator manages.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str] | None  # None: anyone, signed in or not
    scope: str | None = None


ANYONE = Policy(None)
CHILDREN = Policy(frozenset({CHILD}))
STAFF = Policy(frozenset({LIBRARIAN, COORDINATOR}))
COORDINATORS = Policy(frozenset({COORDINATOR}))
CLUB_STAFF = Policy(frozenset({LIBRARIAN, COORDINATOR}), scope="club")
CHILD_STAFF = Policy(frozenset({LIBRARIAN, COORDINATOR}), scope="child")
CLUB_COORDINATORS = Policy(frozenset({COORDINATOR}), scope="club")
LIBRARIAN_COORDINATORS = Policy(frozenset({COORDINATOR}), scope="librarian")

ROUTES: dict[str, Policy] = {
    "static": ANYONE,
    "health.healthz": ANYONE,  # the load balancer's probe: says only ok or error
    "main.index": ANYONE,
    "main.set_language": ANYONE,
    "auth.staff_login": ANYONE,
    "auth.logout": ANYONE,
    "child_login.child_start": ANYONE,
    "child_login.child_pick": ANYONE,
    "child_login.child_secret": ANYONE,
    "auth.accept_invitation": ANYONE,
    "auth.change_password": STAFF,
    "learning.home": CHILDREN,
    "learning.exercise_set": CHILDREN,
    "learning.exercise": CHILDREN,
    "learning.playground": CHILDREN,
    "learning.project": CHILDREN,
    "api.exercise_run": CHILDREN,
    "api.exercise_submit": CHILDREN,
    "api.exercise_draft": CHILDREN,
    "api.exercise_hint": CHILDREN,
    "api.playground_run": CHILDREN,
    "api.project_create": CHILDREN,
    "api.project_update": CHILDREN,
    "clubs.my_clubs": STAFF,
    "clubs.add_children": CLUB_STAFF,
    "clubs.cards": CLUB_STAFF,
    "clubs.lift_club_lockouts": CLUB_STAFF,
    "clubs.lift_device_lockout": CLUB_STAFF,
    "clubs.child": CHILD_STAFF,
    "clubs.reset_secret": CHILD_STAFF,
    "clubs.deactivate_child": CHILD_STAFF,
    "clubs.reactivate_child": CHILD_STAFF,
    "clubs.lift_lockout": CHILD_STAFF,
    "clubs.child_card": CHILD_STAFF,
    # Following the children (following/): the club page; an assignment id is checked
    # against the URL's club, a submission id against the URL's child (404 otherwise).
    "following.club": CLUB_STAFF,
    "following.assignments": CLUB_STAFF,
    "following.remove_assignment": CLUB_STAFF,
    "following.progress_sets": CLUB_STAFF,
    "following.progress_grid": CLUB_STAFF,
    "following.common_errors": CLUB_STAFF,
    "following.help_now": CLUB_STAFF,
    "following.help_now_list": CLUB_STAFF,
    "following.progress_cell": CHILD_STAFF,
    "following.submission": CHILD_STAFF,
    # Meetings and the monthly report: a meeting id is checked against the URL's club
    # in following/service.py, a posted child id against the meeting's club.
    "following.meetings": CLUB_STAFF,
    "following.start_meeting": CLUB_STAFF,
    "following.meeting": CLUB_STAFF,
    "following.end_meeting": CLUB_STAFF,
    "following.mark_attendance": CLUB_STAFF,
    "following.report_now": CLUB_STAFF,
    "following.report": CLUB_STAFF,
    "following.report_csv": CLUB_STAFF,
    # A club laptop's sync with the national server (issue 19): the box's staff; 404 on
    # a site that is not set up as a box.
    "following.sync_now": CLUB_STAFF,
    "following.sync_state": CLUB_STAFF,
    # Diplomas and a child's data (export, delete).
    "following.diplomas": CHILD_STAFF,
    "following.diploma": CHILD_STAFF,
    "following.child_data_json": CHILD_STAFF,
    "following.child_data_csv": CHILD_STAFF,
    "following.delete_child": CHILD_STAFF,
    "coordination.home": COORDINATORS,
    "coordination.clubs": COORDINATORS,
    "coordination.new_club": COORDINATORS,
    "coordination.edit_club": CLUB_COORDINATORS,
    "coordination.club_librarians": CLUB_COORDINATORS,
    "coordination.librarians": COORDINATORS,
    "coordination.new_librarian": COORDINATORS,
    "coordination.librarian": LIBRARIAN_COORDINATORS,
    "coordination.librarian_reset": LIBRARIAN_COORDINATORS,
    # Club laptops (coordination/boxes.py): the view finds a box only in the coordinator's
    # clubs (404 otherwise); a posted club is checked against the scope again.
    "coordination.boxes": COORDINATORS,
    "coordination.register_box": COORDINATORS,
    "coordination.box": COORDINATORS,
    "coordination.revoke_box": COORDINATORS,
    "coordination.replace_box_token": COORDINATORS,
    # The counter: the dashboard narrows itself to a county coordinator's county.
    "counter.dashboard": COORDINATORS,
    "counter.counties_csv": COORDINATORS,
    "counter.clubs_csv": COORDINATORS,
    "counter.trend_csv": COORDINATORS,
    "counter.adjustments": COORDINATORS,
    "counter.adjustments_csv": COORDINATORS,
    # Public figures: anyone, and other websites may frame the embed.
    "counter.api": ANYONE,
    "counter.embed": ANYONE,
    # The sync API (sync/views.py): club laptops, by their bearer token, no session;
    # the view itself refuses a missing, unknown or revoked token (401 JSON).
    "sync.batches": ANYONE,
    "sync.batches_other_methods": ANYONE,
}


def may_access(user, policy: Policy, view_args: dict) -> bool:
    """The rule itself, shared by the request hook and the role-matrix test."""
    if policy.roles is None:
        return True
    if not user.is_authenticated or user.role not in policy.roles:
        return False
    if policy.scope is None:
        return True
    from codekids.clubs import service as clubs
    from codekids.coordination import service as coordination

    if policy.scope == "club":
        return clubs.may_manage_club_id(user, view_args.get("club_id"))
    if policy.scope == "child":
        return clubs.may_manage_child_id(user, view_args.get("child_id"))
    if policy.scope == "librarian":
        return coordination.may_manage_librarian_id(user, view_args.get("user_id"))
    return False


def enforce() -> object | None:
    """before_request hook: refuse anything the table does not allow."""
    endpoint = request.endpoint
    if endpoint is None:  # unknown URL: let Flask answer 404
        return None
    policy = ROUTES.get(endpoint)
    if policy is None:
        # Fail closed: an undeclared route is nobody's.
        abort(403)
    g.route_policy = policy
    if may_access(current_user, policy, request.view_args or {}):
        return None
    if request.blueprint == "api":
        # The JSON API never redirects to a login page: it answers 403 in JSON
        # (learning/api.py) and the page reloads itself.
        abort(403)
    if not current_user.is_authenticated:
        if policy.roles == CHILDREN.roles:
            return redirect(url_for("child_login.child_start", next=request.full_path))
        return redirect(url_for("auth.staff_login", next=request.full_path))
    abort(403)
