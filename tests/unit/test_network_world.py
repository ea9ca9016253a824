"""The national demo world (codekids.network_world): `codekids demo --network` and
bench/load.py seed it. Small worlds here (20 clubs, 160 children, 4 weeks; or 6 clubs)
so each test seeds in about a second; the programs are graded for real once per process."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import delete, func, select

from codekids import create_app, db, migrate, network_world
from codekids.accounts import passwords
from codekids.accounts import secrets as child_secrets
from codekids.accounts.models import CHILD, COORDINATOR, LIBRARIAN, User
from codekids.clubs import service as clubs
from codekids.clubs.models import Club, County, librarian_clubs
from codekids.counter import service as counter
from codekids.counter.models import (
    NATION,
    Adjustment,
    AuditEntry,
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.learning import service as learning
from codekids.learning.models import PLAYGROUND, SUBMIT, Submission
from codekids.models import Base
from tests.conftest import FAST_HASHING

pytestmark = pytest.mark.usefixtures("real_sandbox")

SMALL = network_world.Scale(clubs=20, children=160, weeks=4)
TINY = network_world.Scale(clubs=6, children=40, weeks=3)  # where the counties do not matter
NOW = datetime(2026, 11, 27, 19, 0)  # a Friday evening, UTC: every meeting of the week is over


def seed(app, **kw):
    with app.app_context():
        return network_world.seed(kw.pop("scale", SMALL), now=kw.pop("now", NOW), **kw)


def test_the_initiative_spreads_95_clubs_over_its_18_counties():
    spread = dict(network_world.clubs_per_county(95))
    assert sum(spread.values()) == 95
    assert set(spread) == set(network_world.COUNTY_CODES)
    assert len(network_world.COUNTY_CODES) == 18
    assert all(n >= 1 for n in spread.values())
    # More clubs (bench/load.py's bigger worlds) keep the same counties.
    assert set(dict(network_world.clubs_per_county(260))) == set(network_world.COUNTY_CODES)
    assert sum(dict(network_world.clubs_per_county(260)).values()) == 260


def test_the_18_counties_are_the_initiatives_and_the_app_knows_them(app):
    names = {"Sălaj", "Bihor", "Timiș", "Vâlcea", "Gorj", "Argeș", "Vrancea", "Tulcea", "Galați",
             "Hunedoara", "Caraș-Severin", "Harghita", "Brașov", "Neamț", "Iași", "Constanța",
             "Bacău", "Arad"}
    with app.app_context():
        known = dict(db.session.execute(select(County.code, County.name)).all())
    assert {known[code] for code in network_world.COUNTY_CODES} == names


def test_clubs_children_and_staff(app):
    world = seed(app)
    with app.app_context():
        s = db.session
        assert s.scalar(select(func.count(Club.id))) == 20
        codes = set(s.scalars(select(County.code).join(Club, Club.county_id == County.id)))
        assert codes == set(network_world.COUNTY_CODES)
        assert s.scalar(select(func.count(User.id)).where(User.role == CHILD)) == 160
        assert len(world.children) == 160 and len(world.clubs) == 20
        # A librarian for each club, coordinators for some counties and one for the nation.
        runs = dict(s.execute(select(librarian_clubs.c.club_id, func.count())
                              .group_by(librarian_clubs.c.club_id)).all())
        assert sorted(runs) == sorted(c.id for c in world.clubs)
        assert s.scalar(select(func.count(User.id)).where(User.role == LIBRARIAN)) == 20
        coordinators = list(s.scalars(select(User).where(User.role == COORDINATOR)))
        assert [u.username for u in coordinators if u.county_id is None] == ["coordonator.national"]
        assert 1 <= sum(u.county_id is not None for u in coordinators) < 18
        # The printed child's club logs in with pictures, as the printed logins say.
        first = s.scalar(select(Club).where(Club.join_code == network_world.FIRST_JOIN_CODE))
        assert first.secret_kind == "pictures"


def test_a_season_of_solved_and_failed_submissions_over_past_weeks(app):
    world = seed(app)
    with app.app_context():
        s = db.session
        graded = list(s.execute(select(Submission.solved, Submission.status, Submission.error_kind,
                                       Submission.created_at)
                                .where(Submission.kind == SUBMIT)))
        solved = [g for g in graded if g.solved]
        failed = [g for g in graded if not g.solved]
        assert len(solved) == world.solved > 100
        assert len(failed) == world.failed > 30
        assert all(g.status == "passed" for g in solved)
        # An error explained to the child, or a wrong answer (status "failed").
        assert all(g.status != "passed" for g in failed)
        assert {g.status for g in failed} >= {"error", "failed"}
        assert sum(bool(g.error_kind) for g in failed) > len(failed) / 2
        weeks = {g.created_at.isocalendar()[:2] for g in graded}
        assert len(weeks) == SMALL.weeks
        assert max(g.created_at for g in graded) < NOW
        assert s.scalar(select(func.count(Submission.id))
                        .where(Submission.kind == PLAYGROUND)) == world.playground > 0


def test_every_submission_carries_the_verdict_real_grading_gives(app):
    """Known-failing variants really fail and reference solutions really pass: the
    reports stored are the bank's grading of the very source stored."""
    seed(app, scale=TINY)
    with app.app_context(), app.test_request_context():
        bank = app.extensions["codekids_bank"]
        s = db.session
        rows = list(s.scalars(select(Submission).where(Submission.kind == SUBMIT)
                              .order_by(Submission.id)))
        samples = {(r.exercise_id, r.source): r for r in rows}
        solved = [r for r in samples.values() if r.solved][:12]
        failed = [r for r in samples.values() if not r.solved][:12]
        assert len(solved) >= 5 and len(failed) >= 5
        picked = solved + failed
        for row in picked:
            report = learning.grade(bank.exercises[row.exercise_id], row.source, "ro")
            assert (report.solved, report.passed, report.total) == (row.solved, row.passed,
                                                                    row.total)
            assert report.to_dict()["tests"] == row.report["tests"]


def test_counter_verify_recomputes_the_seeded_totals(app, runner):
    world = seed(app)
    with app.app_context():
        assert counter.verify(programs=learning.counted_programs()) == []
        assert db.session.scalar(select(func.count(CountedLine.id))) == world.lines > 0
    result = runner.invoke(args=["counter", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {world.lines} counted lines")


def test_the_ledger_is_what_the_real_count_submission_makes(app):
    """Forget every counted line and total, hand every working submission to the real
    counter (learning.service.count_lines -> counter.count_submission) in order of id:
    the same lines are counted, traced to the same submissions, with the same totals."""
    seed(app, scale=TINY)
    with app.app_context():
        s = db.session
        bank = app.extensions["codekids_bank"]

        def ledger():
            return set(s.execute(select(CountedLine.child_id, CountedLine.target,
                                        CountedLine.line_hash, CountedLine.submission_id)))

        def lines():
            return {(t.scope, t.key): int(t.lines) for t in s.scalars(select(CounterTotal))}

        seeded, seeded_totals = ledger(), lines()
        programs_per_child_day = dict(s.execute(
            select(ChildDay.child_id, func.sum(ChildDay.programs))
            .group_by(ChildDay.child_id)).all())
        for model in (CountedLine, CounterDay, ChildDay, CounterTotal):
            s.execute(delete(model))
        s.commit()
        for sub in s.scalars(select(Submission).order_by(Submission.id)):
            if sub.kind == SUBMIT:
                exercise = bank.exercises[sub.exercise_id]
                learning.count_lines(sub, starter=exercise.starter, cap=exercise.max_lines)
            else:
                learning.count_lines(sub, starter="", cap=None)
        s.commit()
        assert ledger() == seeded
        replayed = lines()
        assert {k: v for k, v in replayed.items() if k[0] != NATION} == {
            k: v for k, v in seeded_totals.items() if k[0] != NATION}
        assert replayed[(NATION, 0)] == seeded_totals[(NATION, 0)]
        assert dict(s.execute(select(ChildDay.child_id, func.sum(ChildDay.programs))
                              .group_by(ChildDay.child_id)).all()) == programs_per_child_day


def test_the_initiatives_3_million_lines_are_an_attributed_adjustment(app):
    seed(app, scale=TINY)
    with app.app_context():
        s = db.session
        (adjustment,) = s.scalars(select(Adjustment))
        assert adjustment.scope == NATION and adjustment.amount == 3_000_000
        assert adjustment.created_by.username == "coordonator.national"
        assert "înainte de platformă" in adjustment.reason
        assert adjustment.day < min(s.scalars(select(Submission.created_at))).date()
        audit = s.scalar(select(AuditEntry).where(AuditEntry.adjustment_id == adjustment.id))
        assert audit.action == "adjustment.create"
        total = counter.national_summary()
        assert total.historical == 3_000_000
        assert total.counted == s.scalar(select(func.count(CountedLine.id))) > 0
        assert total.total > 3_000_000


def fingerprint(app) -> dict:
    with app.app_context():
        s = db.session
        return {
            "clubs": list(s.execute(select(Club.name, Club.library, Club.town, County.code,
                                           Club.join_code, Club.secret_kind)
                                    .join(County).order_by(Club.id))),
            "children": list(s.execute(select(Club.join_code, User.nickname)
                                       .join(Club, User.club_id == Club.id)
                                       .where(User.role == CHILD).order_by(User.id))),
            "staff": list(s.execute(select(User.username, User.display_name)
                                    .where(User.role != CHILD).order_by(User.id))),
            "submissions": list(s.execute(select(Submission.child_id, Submission.kind,
                                                 Submission.exercise_id, Submission.source,
                                                 Submission.solved, Submission.created_at)
                                          .order_by(Submission.id))),
            "lines": sorted(s.execute(select(CountedLine.child_id, CountedLine.line_hash,
                                             CountedLine.submission_id, CountedLine.day))),
        }


def other_app(tmp_path, name: str):
    other = create_app({"database_url": f"sqlite:///{tmp_path / name}", "secret_key": "x" * 40,
                        "INSTANCE_PATH": tmp_path / f"instance-{name}", "TESTING": True,
                        **FAST_HASHING})
    with other.app_context():
        migrate.upgrade(db.get_engine())
    return other


def test_the_same_seed_gives_the_same_world(app, tmp_path):
    seed(app)
    again = other_app(tmp_path, "again.sqlite3")
    seed(again)
    first, second = fingerprint(app), fingerprint(again)
    assert first == second
    assert len(first["submissions"]) > 100
    other = other_app(tmp_path, "other.sqlite3")
    seed(other, seed=7)
    different = fingerprint(other)
    assert different["children"] != first["children"]
    assert different["submissions"] != first["submissions"]
    for a in (again, other):
        a.extensions["codekids_engine"].dispose()


def test_children_are_nicknames_only(app):
    seed(app, scale=TINY)
    # Nothing in the schema can hold a child's e-mail or birth date...
    columns = {c.name for table in Base.metadata.tables.values() for c in table.columns}
    assert not [c for c in columns if "mail" in c or "birth" in c or "phone" in c]
    with app.app_context():
        children = list(db.session.scalars(select(User).where(User.role == CHILD)))
        # ...and a seeded child is a first name, at most with an initial to tell two apart.
        for child in children:
            assert re.fullmatch(r"\w+( [A-Z]\.)?", child.nickname), child.nickname
            assert child.username is None and child.password_hash is None
            assert child.display_name is None and child.county_id is None
            assert clubs.card_secret(child) is not None


def test_the_site_goes_on_after_seeding(app):
    """The world's ids are its own: the site's next club, child and submission get new ones
    (PostgreSQL's sequences were moved past them)."""
    world = seed(app, scale=TINY)
    with app.app_context():
        s = db.session
        county = s.scalar(select(County).where(County.code == "CJ"))
        club = clubs.create_club(name="Clubul nou", library="Biblioteca", town="Dej",
                                 county=county)
        assert club.id > max(c.id for c in world.clubs)
        (child,) = clubs.create_children(club, "Noemi").created
        assert child.id > max(c.id for c in world.children)
        s.add(Submission(child_id=child.id, club_id=club.id, kind=SUBMIT, exercise_id="hello",
                         source="print(1)", status="failed"))
        s.commit()


def test_a_database_with_other_clubs_is_refused(app):
    with app.app_context():
        county = db.session.scalar(select(County).where(County.code == "CJ"))
        clubs.create_club(name="Clubul Demo", library="Biblioteca", town="Cluj-Napoca",
                          county=county)
        with pytest.raises(network_world.NetworkWorldError):
            network_world.seed(SMALL, now=NOW)
        assert not network_world.exists()


def test_the_printed_logins_work(app):
    seed(app)
    with app.app_context():
        logins = network_world.demo_logins()
        s = db.session
        for username in (logins.national, logins.county[0], logins.librarian):
            user = s.scalar(select(User).where(User.username == username))
            assert passwords.verify_password(user.password_hash, network_world.NETWORK_PASSWORD)
            assert user.active and not user.must_change_password
        club = s.scalar(select(Club).where(Club.join_code == logins.join_code))
        nickname, kind, secret = logins.child
        child = s.scalar(select(User).where(User.club_id == club.id, User.nickname == nickname))
        assert child_secrets.matches(clubs.card_secret(child), kind, secret)
        assert logins.county[1] == club.county.name
        assert (logins.clubs, logins.counties, logins.children) == (20, 18, 160)
        text = network_world.format_logins(logins, "http://127.0.0.1:5000/")
        assert logins.join_code in text and nickname in text and " -> ".join(secret) in text
        assert network_world.NETWORK_PASSWORD in text
        assert app.config["CODEKIDS"].secret_key not in text


def test_demo_network_seeds_once_then_only_repairs_the_logins(app, runner, monkeypatch):
    monkeypatch.setattr(network_world, "DEFAULT_SCALE", SMALL)
    first = runner.invoke(args=["demo", "--network", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "graded the programs" in first.output  # progress while it seeds
    assert "The network world is ready" in first.output
    assert "coordonator.national" in first.output and network_world.FIRST_JOIN_CODE in first.output
    with app.app_context():
        submissions = db.session.scalar(select(func.count(Submission.id)))
        librarian = db.session.scalar(select(User).where(User.role == LIBRARIAN)
                                      .order_by(User.id))
        librarian.active = False
        db.session.commit()
    second = runner.invoke(args=["demo", "--network", "--no-serve"])
    assert second.exit_code == 0, second.output
    assert "graded the programs" not in second.output
    assert first.output.endswith(second.output)  # the same logins, printed again
    with app.app_context():
        assert db.session.scalar(select(func.count(Submission.id))) == submissions
        assert db.session.get(User, librarian.id).active


def test_demo_network_refuses_the_plain_demos_database(runner):
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    result = runner.invoke(args=["demo", "--network", "--no-serve"])
    assert result.exit_code == 1
    assert "needs a database without other clubs" in result.output
