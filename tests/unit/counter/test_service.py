"""The counting rules of DESIGN.md §4, the roll-ups and verify, on the service directly."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club, County
from codekids.counter import service
from codekids.counter.models import (
    CLUB,
    COUNTY,
    NATION,
    NATION_KEY,
    AuditEntry,
    ChildDay,
    CountedLine,
    CounterDay,
    CounterTotal,
)
from codekids.learning.models import PLAYGROUND, RUN, Project, Submission
from codekids.learning.service import counted_programs


def lines_in_ledger(**where) -> int:
    q = select(func.count()).select_from(CountedLine)
    for name, value in where.items():
        q = q.where(getattr(CountedLine, name) == value)
    return db.session.scalar(q)


def total(scope, key) -> int:
    row = db.session.get(CounterTotal, (scope, key))
    return row.lines if row else 0


def county_of(club_id) -> int:
    return db.session.get(Club, club_id).county_id


# ---- what is a line -------------------------------------------------------------------


def test_normalise_collapses_every_whitespace_run_and_strips():
    assert service.normalise("  x  =\t 1   ") == "x = 1"
    assert service.countable_lines("x = 1\nx  =   1\n\tx = 1\n") == ["x = 1"]


def test_blank_and_comment_only_lines_do_not_count(world, submit):
    source = "x = 1\n\n   \n# a comment\n    # an indented one\nprint(x)  # trailing\n"
    assert submit(world.children[0], source) == 2


def test_starter_lines_never_count_even_reformatted(world, submit):
    starter = "name = input()\n# write below\n"
    source = "name  =   input()\nprint('Salut', name)\n"
    assert submit(world.children[0], source, starter=starter) == 1


def test_the_same_line_with_other_whitespace_counts_once(world, submit):
    assert submit(world.children[0], "x = 1\nx  =  1\n\tx = 1\nprint(x)\n") == 2


def test_resubmitting_adds_nothing_and_a_new_line_adds_one(world, submit):
    child = world.children[0]
    assert submit(child, "x = 1\nprint(x)\n") == 2
    assert submit(child, "x = 1\nprint(x)\n") == 0
    assert submit(child, "x  = 1\nprint( x )\nprint(x)\n") == 1  # only "print( x )" is new
    assert total("child", child) == 3
    assert lines_in_ledger(child_id=child) == 3


def test_a_line_counts_again_in_another_exercise_and_for_another_child(world, submit):
    a, b = world.children[:2]
    assert submit(a, "print(1)\n", exercise="ex1") == 1
    assert submit(a, "print(1)\n", exercise="ex2") == 1
    assert submit(b, "print(1)\n", exercise="ex1") == 1


def test_failing_submissions_and_plain_runs_count_nothing(world, submit):
    child = world.children[0]
    assert submit(child, "x = 1\nprint(x)\n", solved=False) == 0
    assert submit(child, "x = 1\nprint(x)\n", kind=RUN, solved=False) == 0
    assert submit(child, "y = 2\n", kind=PLAYGROUND, status="error") == 0
    assert lines_in_ledger() == 0
    assert total(NATION, NATION_KEY) == 0


def test_the_exercise_cap_counts_lines_already_counted(world, submit):
    child = world.children[0]
    five = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"
    assert submit(child, five, cap=3) == 3
    assert submit(child, five + "f = 6\n", cap=3) == 0
    assert submit(child, five, cap=3, exercise="other") == 3
    assert total("child", child) == 6


@pytest.fixture
def app_config(app_config):
    return {**app_config, "counter_playground_daily_cap": 3}


def test_playground_caps_per_project_per_day(world, submit, session, monkeypatch):
    child = world.children[0]
    p1 = Project(child_id=child, name="joc", source="")
    p2 = Project(child_id=child, name="desen", source="")
    session.add_all([p1, p2])
    session.commit()
    five = "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"
    assert submit(child, five, kind=PLAYGROUND, project_id=p1.id) == 3
    assert submit(child, five + "f = 6\n", kind=PLAYGROUND, project_id=p1.id) == 0
    assert submit(child, five, kind=PLAYGROUND, project_id=p2.id) == 3  # another project
    tomorrow = service.counter_day() + timedelta(days=1)
    monkeypatch.setattr(service, "counter_day", lambda at=None: tomorrow)
    # A new day: the cap opens again, but lines counted yesterday stay counted.
    assert submit(child, five + "f = 6\n", kind=PLAYGROUND, project_id=p1.id) == 3
    assert submit(child, five + "g = 7\n", kind=PLAYGROUND, project_id=p1.id) == 0
    assert total("child", child) == 9


def test_the_counter_takes_plain_values_and_the_target_says_which_cap(world):
    """No Submission object: ids and strings, as a club laptop's synced batch will give."""
    child = db.session.get(User, world.children[0])
    project = Project(child_id=child.id, name="joc", source="")
    db.session.add(project)
    db.session.flush()
    sub = Submission(child_id=child.id, club_id=child.club_id, kind=PLAYGROUND,
                     project_id=project.id, source="a = 1\nb = 2\nc = 3\n", status="ok")
    db.session.add(sub)
    db.session.flush()
    plain = {"child_id": child.id, "club_id": child.club_id,
             "county_id": county_of(child.club_id), "source": sub.source,
             "submission_id": sub.id}
    in_project = service.project_target(project.id)
    assert service.count_submission(target=in_project, cap=2, **plain) == 2
    assert service.count_submission(target=in_project, cap=2, **plain) == 0  # today's cap
    assert service.count_submission(target=service.exercise_target("ex9"), cap=5, **plain) == 3
    db.session.commit()
    ledger = {(r.target, r.exercise_id, r.project_id)
              for r in db.session.scalars(select(CountedLine))}
    assert ledger == {(f"pj:{project.id}", None, project.id), ("ex:ex9", "ex9", None)}
    assert total(COUNTY, county_of(child.club_id)) == total(NATION, NATION_KEY) == 5
    assert service.project_target(None) == "pj:-"
    with pytest.raises(ValueError):
        service.count_submission(target="ex9", cap=5, **plain)


def test_rollups_child_club_county_nation_and_day_buckets(world, submit):
    a, b = world.children[0], world.other_children[0]  # club A and club B, both in Cluj
    submit(a, "x = 1\ny = 2\n")
    submit(b, "z = 3\n")
    cj = county_of(world.club)
    assert total("child", a) == 2 and total("child", b) == 1
    assert total(CLUB, world.club) == 2 and total(CLUB, world.other_club) == 1
    assert total(COUNTY, cj) == 3
    assert total(NATION, NATION_KEY) == 3
    today = service.counter_day()
    day = db.session.get(CounterDay, (NATION, NATION_KEY, today))
    assert day.lines == 3
    assert db.session.get(CounterDay, (CLUB, world.club, today)).lines == 2
    assert db.session.get(ChildDay, (a, today)).lines == 2
    assert service.week_lines(CLUB, world.club) == 2


def test_every_counted_line_is_traceable_and_the_ledger_sums_to_the_totals(world, submit):
    submit(world.children[0], "x = 1\nprint(x)\n")
    submit(world.children[1], "print('hi')\n", exercise="ex2")
    submit(world.other_children[0], "for i in range(3):\n    print(i)\n")
    for row in db.session.scalars(select(CountedLine)):
        earned_by = db.session.get(Submission, row.submission_id)
        assert earned_by.child_id == row.child_id
        assert row.line_hash in {service.line_hash(x)
                                 for x in service.countable_lines(earned_by.source)}
    assert lines_in_ledger() == total(NATION, NATION_KEY) == 5
    for club in (world.club, world.other_club):
        assert lines_in_ledger(club_id=club) == total(CLUB, club)
    assert service.verify(programs=counted_programs()) == []


def test_child_figures(world, submit):
    child = db.session.get(User, world.children[0])
    submit(child.id, "x = 1\n", exercise="ex1")
    submit(child.id, "a = 1\nb = 2\n", exercise="ex2")
    assert service.child_total(child) == 3
    assert service.child_lines_by_exercise(child) == {"ex1": 1, "ex2": 2}


# ---- verify ---------------------------------------------------------------------------


def test_verify_lists_a_tampered_total(world, submit):
    submit(world.children[0], "x = 1\n")
    assert service.verify(programs=counted_programs()) == []
    db.session.execute(update(CounterTotal).where(CounterTotal.scope == NATION)
                       .values(lines=CounterTotal.lines + 1))
    db.session.commit()
    problems = service.verify(programs=counted_programs())
    assert [str(p) for p in problems] == ["nation 0 lines: stored 2, expected 1"]


def test_verify_finds_a_ledger_row_that_is_not_in_its_submission(world, submit):
    submit(world.children[0], "x = 1\n")
    db.session.execute(update(CountedLine).values(line_hash=service.line_hash("y = 2")))
    db.session.commit()
    problems = service.verify(programs=counted_programs())
    assert len(problems) == 1 and "not a code line" in problems[0].what


def test_verify_traces_only_given_the_programs_and_walks_them_by_id(world, submit):
    submit(world.children[0], "x = 1\n")
    row = db.session.scalar(select(CountedLine))
    sub = db.session.get(Submission, row.submission_id)

    def program(works=True, submission_id=sub.id):
        return service.Program(submission_id, sub.child_id, row.target, sub.source, works)

    assert service.verify() == []  # the totals only
    assert service.verify(programs=[program(submission_id=sub.id - 1), program(),
                                    program(submission_id=sub.id + 1)]) == []
    for programs in ([], [program(works=False)], [program(submission_id=sub.id + 1)]):
        problems = service.verify(programs=programs)
        assert [p.what for p in problems] == [
            f"ledger row {row.id} (submission {sub.id}) is not a code line of a working "
            "submission"]


def test_verify_command_exit_codes(app, world, submit, runner):
    submit(world.children[0], "x = 1\nprint(x)\n")
    ok = runner.invoke(args=["counter", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "every total matches" in ok.output
    with app.app_context():
        db.session.execute(update(CounterTotal).where(CounterTotal.scope == CLUB)
                           .values(lines=99))
        db.session.execute(update(CounterDay).where(CounterDay.scope == COUNTY)
                           .values(lines=7))
        db.session.commit()
    bad = runner.invoke(args=["counter", "verify"])
    assert bad.exit_code == 1
    assert f"club {world.club} lines: stored 99, expected 2" in bad.output
    assert "county" in bad.output and "stored 7, expected 2" in bad.output


# ---- adjustments ----------------------------------------------------------------------


def coordinator(world, which):
    return db.session.get(User, getattr(world, which))


def test_historical_lines_are_kept_apart_and_audited(world, submit):
    submit(world.children[0], "x = 1\n")
    nat = coordinator(world, "national_coordinator")
    adj = service.record_adjustment(nat, scope=NATION, amount=3_000_000, day=date(2024, 6, 1),
                                    reason="Lines counted by the initiative before the platform")
    s = service.national_summary()
    assert (s.counted, s.historical, s.total) == (1, 3_000_000, 3_000_001)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.actor_id == nat.id and entry.adjustment_id == adj.id
    assert entry.details["amount"] == 3_000_000 and entry.at is not None
    assert service.verify(programs=counted_programs()) == []


def test_a_club_adjustment_rolls_up_to_county_and_nation(world):
    nat = coordinator(world, "national_coordinator")
    service.record_adjustment(nat, scope=CLUB, club_id=world.club, amount=500,
                              day=date(2025, 1, 1), reason="paper logs")
    cj = county_of(world.club)
    assert service.summary(CLUB, world.club).historical == 500
    assert service.summary(COUNTY, cj).historical == 500
    assert service.summary(NATION, NATION_KEY).historical == 500
    assert service.summary(CLUB, world.club).counted == 0
    assert service.verify(programs=counted_programs()) == []


def test_a_county_coordinator_adjusts_only_inside_their_county(world):
    cluj = coordinator(world, "county_coordinator")
    service.record_adjustment(cluj, scope=CLUB, club_id=world.club, amount=10,
                              day=date(2025, 1, 1), reason="ok")
    service.record_adjustment(cluj, scope=COUNTY, county_id=cluj.county_id, amount=5,
                              day=date(2025, 1, 1), reason="ok")
    with pytest.raises(service.AdjustmentError):
        service.record_adjustment(cluj, scope=CLUB, club_id=world.far_club, amount=10,
                                  day=date(2025, 1, 1), reason="not mine")
    db.session.rollback()
    alba = db.session.scalar(select(County.id).where(County.code == "AB"))
    for kwargs in ({"scope": COUNTY, "county_id": alba}, {"scope": NATION}):
        with pytest.raises(service.AdjustmentError):
            service.record_adjustment(cluj, amount=10, day=date(2025, 1, 1), reason="no",
                                      **kwargs)
        db.session.rollback()
    assert service.national_summary().historical == 15
    assert service.verify(programs=counted_programs()) == []


def test_an_adjustment_needs_a_reason_and_a_non_zero_amount(world):
    nat = coordinator(world, "national_coordinator")
    for amount, reason in ((0, "x"), (5, "   ")):
        with pytest.raises(service.AdjustmentError):
            service.record_adjustment(nat, scope=NATION, amount=amount, day=date(2025, 1, 1),
                                      reason=reason)
        db.session.rollback()
    assert service.national_summary().historical == 0


def test_a_counted_submission_can_come_from_the_compiled_cache(world, submit):
    """SQLAlchemy can make a cache key for every statement it sends: one it cannot make
    a key for (a multi-row VALUES) was compiled again on every submission, a sizeable
    part of a Submit's CPU."""
    from sqlalchemy import event
    from sqlalchemy.engine.default import NO_CACHE_KEY

    a, b = world.children[0], world.children[1]
    no_key = []

    def _check(conn, cursor, statement, parameters, context, executemany):
        if context is not None and context.cache_hit == NO_CACHE_KEY:
            no_key.append(" ".join(statement.split())[:80])

    engine = db.get_engine()
    event.listen(engine, "after_cursor_execute", _check)
    try:
        assert submit(a, "x = 1\n") == 1            # every row created
        assert submit(a, "x = 1\ny = 2\n") == 1    # added to every total
        assert submit(b, "x = 1\ny = 2\n") == 2    # another child, two ledger rows
        assert submit(a, "x = 1\ny = 2\n") == 0    # nothing new
    finally:
        event.remove(engine, "after_cursor_execute", _check)
    assert no_key == []
    assert service.verify(programs=counted_programs()) == []


def test_a_counted_submission_is_a_few_round_trips_and_keeps_every_total(world, submit):
    """Every counting submission locks the national row until it commits: the statements
    it sends are few (each total and day bucket is one upsert) and still add up."""
    from sqlalchemy import event

    a = world.children[0]
    submit(a, "x = 1\n")  # the rows exist now: the second submission adds to them
    child = db.session.get(User, a)
    sub = Submission(child_id=a, club_id=child.club_id, kind="submit", exercise_id="ex1",
                     source="x = 1\ny = 2\nz = 3\n", status="passed", solved=True)
    db.session.add(sub)
    db.session.flush()
    county_id = county_of(child.club_id)
    statements = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", _count)
    try:
        counted = service.count_submission(
            child_id=a, club_id=child.club_id, county_id=county_id,
            target=service.exercise_target("ex1"), source=sub.source, cap=10,
            submission_id=sub.id)
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    db.session.commit()
    assert counted == 2
    # child lock, ledger read, ledger INSERT, child day, totals, day buckets (the
    # submission's INSERT and the COMMIT are the caller's).
    assert len(statements) <= 6, statements
    today = service.counter_day()
    assert total("child", a) == 3 and total(CLUB, world.club) == 3
    assert total(COUNTY, county_of(world.club)) == 3 and total(NATION, NATION_KEY) == 3
    assert db.session.get(CounterDay, (NATION, NATION_KEY, today)).lines == 3
    child_day = db.session.get(ChildDay, (a, today))
    assert (child_day.programs, child_day.lines) == (2, 3)
    assert service.verify(programs=counted_programs()) == []
