"""learning.service: the rules, called directly (real sandbox, real bank)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from codekids import db
from codekids.counter import service as counter
from codekids.learning import service
from codekids.learning.models import (
    PLAYGROUND,
    SUBMIT,
    Draft,
    HintUse,
    Progress,
    Project,
    Submission,
)
from codekids.learning.service import LearningError
from tests.unit.learning.conftest import HELLO, HELLO_RIGHT, HELLO_WRONG, TURTLE_SQUARE, bank, child


def _hello(app):
    return service.get_exercise(bank(app), HELLO)


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


# ---- stars -------------------------------------------------------------------------------


@pytest.mark.parametrize(("failed", "hints", "stars"), [
    (0, 0, 3), (2, 0, 3), (3, 0, 2), (0, 1, 2), (5, 0, 2), (5, 3, 2), (6, 1, 2), (6, 2, 1),
    (0, 2, 2), (9, 3, 1),
])
def test_stars_follow_the_contract(failed, hints, stars):
    assert service.stars_for(failed, hints) == stars


# ---- record_submission ------------------------------------------------------------------


def test_a_passing_submission_is_recorded_with_progress_and_three_stars(world, ctx):
    kid = child(world.children[0])
    outcome = service.record_submission(kid, _hello(ctx), HELLO_RIGHT, "key-pass-0001", "en",
                                        bank=bank(ctx))
    assert outcome.duplicate is False
    assert outcome.report["solved"] is True and outcome.stars == 3
    assert outcome.next_exercise.id == "two-lines"
    sub = db.session.get(Submission, outcome.submission.id)
    assert (sub.kind, sub.solved, sub.passed, sub.total, sub.status) == (SUBMIT, True, 2, 2,
                                                                          "passed")
    progress = service.get_progress(kid.id, HELLO)
    assert (progress.attempts, progress.solved, progress.stars, progress.failed_streak) == (
        1, True, 3, 0)
    assert progress.solved_at is not None


def test_the_same_client_key_twice_is_one_submission(world, ctx):
    kid = child(world.children[0])
    first = service.record_submission(kid, _hello(ctx), HELLO_WRONG, "double-click-1", "en")
    again = service.record_submission(kid, _hello(ctx), HELLO_WRONG, "double-click-1", "en")
    assert again.duplicate is True
    assert again.submission.id == first.submission.id
    assert again.report == first.report
    assert _count(Submission, child_id=kid.id) == 1
    assert service.get_progress(kid.id, HELLO).attempts == 1


def test_the_same_key_from_another_child_is_a_different_submission(world, ctx):
    a, b = child(world.children[0]), child(world.children[1])
    service.record_submission(a, _hello(ctx), HELLO_WRONG, "shared-key-1", "en")
    other = service.record_submission(b, _hello(ctx), HELLO_RIGHT, "shared-key-1", "en")
    assert other.duplicate is False and other.report["solved"] is True


def test_a_lost_race_on_the_client_key_answers_with_the_winner(world, ctx, monkeypatch):
    """Two requests with one key: the second's INSERT fails on the unique key and it
    answers with the first one's submission (nothing recorded twice)."""
    kid = child(world.children[0])
    winner = service.record_submission(kid, _hello(ctx), HELLO_WRONG, "race-key-01", "en")
    # Pretend the early look-up missed it (the other request had not committed yet).
    real = service._submission_by_key
    calls = []

    def late(child_id, key):
        calls.append(key)
        return None if len(calls) == 1 else real(child_id, key)

    monkeypatch.setattr(service, "_submission_by_key", late)
    loser = service.record_submission(kid, _hello(ctx), HELLO_WRONG, "race-key-01", "en")
    assert loser.duplicate is True and loser.submission.id == winner.submission.id
    assert _count(Submission, child_id=kid.id) == 1
    assert service.get_progress(kid.id, HELLO).attempts == 1


def test_failed_attempts_and_hints_lower_the_stars(world, ctx):
    kid = child(world.children[0])
    ex = _hello(ctx)
    for i in range(3):
        service.record_submission(kid, ex, HELLO_WRONG, f"fail-key-{i:03}", "en")
    assert service.get_progress(kid.id, HELLO).failed_streak == 3
    done = service.record_submission(kid, ex, HELLO_RIGHT, "fail-key-pass", "en")
    assert done.stars == 2  # 3 failures, no hint


def test_two_hints_and_six_failures_give_one_star(world, ctx):
    kid = child(world.children[0])
    ex = _hello(ctx)
    service.reveal_hint(kid, ex, "en")
    service.reveal_hint(kid, ex, "en")
    for i in range(6):
        service.record_submission(kid, ex, HELLO_WRONG, f"six-fail-{i:03}", "en")
    assert service.record_submission(kid, ex, HELLO_RIGHT, "six-fail-pass", "en").stars == 1


def test_stars_never_change_after_the_first_solve(world, ctx):
    kid = child(world.children[0])
    ex = _hello(ctx)
    for i in range(6):
        service.record_submission(kid, ex, HELLO_WRONG, f"star-fail-{i:03}", "en")
    service.reveal_hint(kid, ex, "en")
    service.reveal_hint(kid, ex, "en")
    assert service.record_submission(kid, ex, HELLO_RIGHT, "star-pass-001", "en").stars == 1
    # A clean re-solve must not polish the record…
    assert service.record_submission(kid, ex, HELLO_RIGHT, "star-pass-002", "en").stars == 1
    # …and a failure after solving takes nothing away.
    service.record_submission(kid, ex, HELLO_WRONG, "star-fail-after", "en")
    progress = service.get_progress(kid.id, HELLO)
    assert progress.solved is True and progress.stars == 1


def test_a_failing_submission_keeps_the_explanation_kind_and_line(world, ctx):
    kid = child(world.children[0])
    outcome = service.record_submission(kid, _hello(ctx), 'print("Bună ziua!"\n', "syntax-key-1",
                                        "en")
    sub = outcome.submission
    assert sub.solved is False and sub.status == "error"
    assert sub.error_kind and sub.error_line == 1
    assert outcome.report["explanation"]["line"] == 1


@pytest.mark.parametrize(("source", "code"), [
    ("", "empty_source"),
    ("   \n\n  ", "empty_source"),
    ("print(1)\n" + "#" * (1024 * 1024), "too_large"),
    ("print('a')\x00", "bad_source"),
    ("print('\ufffd\ufffd')", "bad_source"),
    ("print(1)\ud800", "bad_source"),
    (None, "bad_request"),
    (42, "bad_request"),
])
def test_bad_sources_are_refused_and_nothing_is_recorded(world, ctx, source, code):
    kid = child(world.children[0])
    with pytest.raises(LearningError) as caught:
        service.record_submission(kid, _hello(ctx), source, "bad-source-1", "en")
    assert caught.value.code == code
    assert caught.value.message  # words for the child, never empty
    assert _count(Submission) == 0 and _count(Progress) == 0


def test_a_source_of_exactly_the_limit_is_accepted_by_the_check():
    source = "#" * (service.MAX_SOURCE_BYTES - 9) + "\nprint(1)"
    assert len(source.encode()) == service.MAX_SOURCE_BYTES
    assert service.clean_source(source) == source
    with pytest.raises(LearningError):
        service.clean_source(source + "\n")


def test_multibyte_characters_count_as_bytes():
    source = "ă" * (service.MAX_SOURCE_BYTES // 2 + 1)  # fewer characters than the limit
    with pytest.raises(LearningError) as caught:
        service.clean_source(source)
    assert caught.value.code == "too_large"


def test_an_unknown_exercise_is_not_found(ctx):
    with pytest.raises(LearningError) as caught:
        service.get_exercise(bank(ctx), "no-such-exercise")
    assert caught.value.code == "not_found" and caught.value.status == 404


def test_next_exercise_crosses_into_the_next_set(ctx):
    b = bank(ctx)
    last_of_first = b.sets[0].exercises[-1]
    assert service.next_exercise(b, last_of_first).id == b.sets[1].exercises[0].id
    assert service.next_exercise(b, b.sets[-1].exercises[-1]) is None


def test_the_counter_hook_runs_inside_the_submission_transaction(world, ctx, monkeypatch):
    seen = []

    def fake_count(submission, *, starter, cap):
        # Flushed, not committed: the counter writes in our transaction.
        assert submission.id is not None
        seen.append((submission.kind, starter, cap))
        return 7

    monkeypatch.setattr(service, "count_lines", fake_count)
    kid = child(world.children[0])
    ex = _hello(ctx)
    assert service.record_submission(kid, ex, HELLO_WRONG, "hook-key-fail", "en").lines_counted == 0
    assert seen == []  # a failing submission earns nothing
    outcome = service.record_submission(kid, ex, HELLO_RIGHT, "hook-key-pass", "en")
    assert outcome.lines_counted == 7
    assert seen == [(SUBMIT, ex.starter, ex.max_lines)]


def test_a_counter_failure_rolls_back_the_whole_submission(world, ctx, monkeypatch):
    def broken(submission, *, starter, cap):
        raise RuntimeError("counter broke")

    monkeypatch.setattr(service, "count_lines", broken)
    kid = child(world.children[0])
    with pytest.raises(RuntimeError):
        service.record_submission(kid, _hello(ctx), HELLO_RIGHT, "rollback-key1", "en")
    db.session.rollback()
    assert _count(Submission) == 0 and _count(Progress) == 0


def test_the_counter_gets_plain_values_and_verify_gets_the_counted_programs(world, ctx):
    kid = child(world.children[0])
    project = Project(child_id=kid.id, name="joc", source="")
    db.session.add(project)
    db.session.flush()
    solved = Submission(child_id=kid.id, club_id=kid.club_id, kind=SUBMIT, exercise_id=HELLO,
                        source="x = 1\n", status="passed", solved=True)
    failed = Submission(child_id=kid.id, club_id=kid.club_id, kind=SUBMIT, exercise_id=HELLO,
                        source="y = 2\n", status="failed", solved=False)
    run = Submission(child_id=kid.id, club_id=kid.club_id, kind=PLAYGROUND,
                     project_id=project.id, source="z = 3\n", status="ok")
    db.session.add_all([solved, failed, run])
    assert [service.count_lines(s, starter="", cap=5) for s in (solved, failed, run)] == [1, 0, 1]
    db.session.commit()
    # Only the submissions the ledger names, in order of id, as the counter's plain values.
    assert list(service.counted_programs()) == [
        counter.Program(solved.id, kid.id, f"ex:{HELLO}", "x = 1\n", True),
        counter.Program(run.id, kid.id, f"pj:{project.id}", "z = 3\n", True),
    ]
    assert counter.verify(programs=service.counted_programs()) == []


# ---- runs ---------------------------------------------------------------------------------


def test_a_run_uses_the_childs_input_and_is_recorded_ungraded(world, ctx):
    kid = child(world.children[0])
    ex = service.get_exercise(bank(ctx), "hello-input")
    answer = service.run_exercise(kid, ex, 'nume = input()\nprint("Salut,", nume)', "Zsófi",
                                  "en")
    assert answer["status"] == "ok" and answer["stdout"] == "Salut, Zsófi\n"
    assert answer["explanation"] is None and answer["turtle"] is None
    assert _count(Submission, kind="run") == 1
    assert _count(Progress) == 0  # a run is not an attempt


def test_a_run_that_fails_is_explained_at_its_line(world, ctx):
    kid = child(world.children[0])
    answer = service.run_exercise(kid, _hello(ctx), 'x = 1\nprint(y)\n', "", "en")
    assert answer["status"] == "error"
    assert answer["error_line"] == 2 and answer["explanation"]["line"] == 2
    assert "y" in answer["explanation"]["message"]


def test_a_playground_turtle_run_returns_the_segments(world, ctx):
    kid = child(world.children[0])
    answer = service.run_playground(kid, TURTLE_SQUARE, "", "en")
    assert answer["status"] == "ok" and len(answer["turtle"]) == 4
    assert {"x1", "y1", "x2", "y2", "color", "width"} <= set(answer["turtle"][0])


def test_a_playground_run_in_someone_elses_project_is_not_found(world, ctx):
    a, b = child(world.children[0]), child(world.other_children[0])
    theirs = service.create_project(b, "Secret", "print(1)")
    with pytest.raises(LearningError) as caught:
        service.run_playground(a, "print(2)", "", "en", project_id=theirs.id)
    assert caught.value.code == "not_found"
    assert _count(Submission) == 0


# ---- hints ---------------------------------------------------------------------------------


def test_hints_come_one_at_a_time_and_are_recorded(world, ctx):
    kid = child(world.children[0])
    ex = _hello(ctx)
    first = service.reveal_hint(kid, ex, "en")
    assert (first.level, first.remaining) == (1, 2)
    assert first.text == ex.hints["en"][0]
    second = service.reveal_hint(kid, ex, "ro")
    assert (second.level, second.text) == (2, ex.hints["ro"][1])
    assert [h.level for h in service.revealed_hints(kid, ex, "en")] == [1, 2]
    assert _count(HintUse, child_id=kid.id) == 2
    assert service.get_progress(kid.id, HELLO).hints_used == 2
    service.reveal_hint(kid, ex, "en")
    with pytest.raises(LearningError) as caught:
        service.reveal_hint(kid, ex, "en")
    assert caught.value.code == "no_more_hints"
    assert _count(HintUse, child_id=kid.id) == 3


# ---- drafts --------------------------------------------------------------------------------


def test_a_draft_replaces_the_starter_and_is_kept_per_child(world, ctx):
    a, b = child(world.children[0]), child(world.children[1])
    ex = _hello(ctx)
    assert service.code_for(a, ex) == 'print("Bună!")\n'
    service.save_draft(a, ex, "print('first')")
    service.save_draft(a, ex, "print('second')")
    assert service.code_for(a, ex) == "print('second')"
    assert service.code_for(b, ex) == 'print("Bună!")\n'
    assert _count(Draft) == 1


def test_an_empty_draft_is_kept_but_junk_is_not(world, ctx):
    kid = child(world.children[0])
    ex = _hello(ctx)
    service.save_draft(kid, ex, "")
    assert service.code_for(kid, ex) == ""
    with pytest.raises(LearningError):
        service.save_draft(kid, ex, "\x00\x01\x02")
    assert service.code_for(kid, ex) == ""


# ---- projects ------------------------------------------------------------------------------


def test_projects_are_named_and_private(world, ctx):
    a, b = child(world.children[0]), child(world.children[1])
    p = service.create_project(a, "  My   house ", "print('house')")
    assert p.name == "My house"
    with pytest.raises(LearningError) as taken:
        service.create_project(a, "My house")
    assert taken.value.code == "name_taken"
    service.create_project(b, "My house")  # the same name is fine for another child
    assert [x.name for x in service.list_projects(a)] == ["My house"]
    service.update_project(a, p.id, source="print('roof')")
    assert db.session.get(Project, p.id).source == "print('roof')"
    for bad in ("", "   ", "x" * 61, "a\x00b", None):
        with pytest.raises(LearningError) as caught:
            service.create_project(a, bad)
        assert caught.value.code == "bad_name"
    with pytest.raises(LearningError) as other:
        service.update_project(b, p.id, source="print('mine now')")
    assert other.value.code == "not_found"
    assert db.session.get(Project, p.id).source == "print('roof')"


# ---- home ---------------------------------------------------------------------------------


def test_home_lists_assigned_sets_first_with_progress(world, ctx):
    from codekids.learning.models import Assignment

    kid = child(world.children[0])
    b = bank(ctx)
    db.session.add(Assignment(club_id=world.club, set_id=b.sets[2].id))
    db.session.add(Assignment(club_id=world.club, set_id=b.sets[4].id, child_id=world.children[1]))
    db.session.add(Assignment(club_id=world.other_club, set_id=b.sets[3].id))
    db.session.add(Assignment(club_id=world.club, set_id="not-in-the-bank"))
    db.session.commit()
    service.record_submission(kid, _hello(ctx), HELLO_RIGHT, "home-key-001", "en")
    assigned, all_sets = service.home(kid, b, "en")
    assert [v.set.id for v in assigned] == [b.sets[2].id]
    assert [v.set.id for v in all_sets] == [s.id for s in b.sets]
    first = all_sets[0]
    assert (first.solved, first.total) == (1, len(b.sets[0].exercises))
    assert first.exercises[0].stars == 3 and first.exercises[1].stars == 0
