"""following.service (progress): the traffic light, the grid, a cell's attempts, who needs help,
the commonest errors. Submissions go through learning.service.record_submission with the
real sandbox and the real bank; time-based cases write Progress rows directly."""

from __future__ import annotations

from datetime import timedelta

import pytest

from codekids import db
from codekids.accounts.models import User
from codekids.clubs.models import Club
from codekids.db import utcnow
from codekids.following import service as rules
from codekids.learning import service as learning
from codekids.learning.models import Progress, Submission

pytestmark = pytest.mark.usefixtures("real_sandbox")

HELLO_RIGHT = 'print("Bună ziua!")\n'
HELLO_WRONG = 'print("Buna ziua")\n'
HELLO_MISSPELT = 'pritn("Bună ziua!")\n'
T = rules.Thresholds(failed_streak=3, minutes=20)


def _bank(app):
    return app.extensions["codekids_bank"]


def _kid(child_id) -> User:
    return db.session.get(User, child_id)


def _submit(app, child_id, source, key, locale="en", exercise="hello"):
    ex = _bank(app).get(exercise)
    return learning.record_submission(_kid(child_id), ex, source, key, locale)


def _progress(**kw) -> Progress:
    base = dict(child_id=1, exercise_id="hello", attempts=0, failed_streak=0, solved=False,
                stars=0, hints_used=0)
    base.update(kw)
    return Progress(**base)


# ---- the traffic light at its thresholds --------------------------------------------------


def test_no_row_or_no_attempt_is_not_started():
    now = utcnow()
    assert rules.cell_state(None, now, T) == rules.NOT_STARTED
    assert rules.cell_state(_progress(attempts=0), now, T) == rules.NOT_STARTED


@pytest.mark.parametrize(("streak", "state"), [(1, rules.TRYING), (2, rules.TRYING),
                                               (3, rules.STUCK), (7, rules.STUCK)])
def test_failed_streak_reaches_stuck_at_the_threshold(streak, state):
    now = utcnow()
    p = _progress(attempts=streak, failed_streak=streak, first_attempt_at=now - timedelta(
        minutes=1), last_attempt_at=now)
    assert rules.cell_state(p, now, T) == state


@pytest.mark.parametrize(("minutes", "state"), [(19, rules.TRYING), (20, rules.STUCK),
                                                (45, rules.STUCK)])
def test_trying_long_without_a_pass_is_stuck(minutes, state):
    now = utcnow()
    p = _progress(attempts=1, failed_streak=1, first_attempt_at=now - timedelta(minutes=minutes),
                  last_attempt_at=now - timedelta(minutes=minutes))
    assert rules.cell_state(p, now, T) == state


def test_solved_is_green_whatever_the_past():
    now = utcnow()
    p = _progress(attempts=9, failed_streak=0, solved=True,
                  first_attempt_at=now - timedelta(hours=3), last_attempt_at=now)
    assert rules.cell_state(p, now, T) == rules.SOLVED


def test_thresholds_come_from_the_settings(app):
    assert rules.Thresholds.from_settings(app.config["CODEKIDS"]) == rules.Thresholds(3, 20)


def test_real_submissions_move_a_cell_from_trying_to_stuck_to_solved(world, ctx):
    club = db.session.get(Club, world.club)
    first_steps = _bank(ctx).get_set("first-steps")
    kid = world.children[0]

    def state():
        return rules.progress_grid(club, first_steps, T).cell(kid, "hello").state

    assert state() == rules.NOT_STARTED
    _submit(ctx, kid, HELLO_WRONG, "grid-fail-001")
    _submit(ctx, kid, HELLO_WRONG, "grid-fail-002")
    assert state() == rules.TRYING
    _submit(ctx, kid, HELLO_WRONG, "grid-fail-003")
    assert state() == rules.STUCK
    _submit(ctx, kid, HELLO_RIGHT, "grid-pass-001")
    assert state() == rules.SOLVED


def test_grid_is_every_active_child_by_every_exercise_of_the_set(world, ctx):
    club = db.session.get(Club, world.club)
    first_steps = _bank(ctx).get_set("first-steps")
    now = utcnow()
    db.session.add(Progress(child_id=world.children[1], exercise_id="hello", attempts=1,
                            failed_streak=1, solved=False, stars=0, hints_used=0,
                            first_attempt_at=now - timedelta(minutes=21), last_attempt_at=now))
    # A child of another club with progress on the same exercise never enters the grid.
    db.session.add(Progress(child_id=world.other_children[0], exercise_id="hello", attempts=1,
                            failed_streak=5, solved=False, stars=0, hints_used=0))
    db.session.commit()
    grid = rules.progress_grid(club, first_steps, T, now=now)
    assert [c.id for c in grid.children] == sorted(
        world.children, key=lambda i: _kid(i).nickname.lower())
    assert [e.id for e in grid.exercises] == [e.id for e in first_steps.exercises]
    assert len(grid.cells) == len(world.children) * len(first_steps.exercises)
    assert grid.cell(world.children[1], "hello").state == rules.STUCK
    assert grid.count(rules.STUCK) == 1
    assert (world.other_children[0], "hello") not in grid.cells


# ---- a cell in detail ----------------------------------------------------------------------


def test_cell_detail_has_highlighted_code_a_diff_between_attempts_and_the_hints(world, ctx):
    kid = world.children[0]
    hello = _bank(ctx).get("hello")
    _submit(ctx, kid, HELLO_WRONG, "detail-001")
    learning.reveal_hint(_kid(kid), hello, "en")
    _submit(ctx, kid, HELLO_WRONG, "detail-002")
    _submit(ctx, kid, HELLO_RIGHT, "detail-003")
    detail = rules.cell_detail(_kid(kid), hello, "en", T)

    assert [a.number for a in detail.attempts] == [1, 2, 3]
    assert detail.state == rules.SOLVED
    first, second, third = detail.attempts
    # Pygments markup: print is a builtin (nb), the text a string (s2), all inside .code.
    assert '<div class="code">' in str(first.code)
    assert '<span class="nb">print</span>' in str(first.code)
    assert "Buna ziua" in str(first.code)
    assert first.diff is None  # nothing before the first attempt
    assert second.diff is None and second.unchanged
    diff = str(third.diff)
    assert 'class="gd"' in diff and 'class="gi"' in diff
    assert '<span class="gd">− print("Buna ziua")</span>' in diff
    assert '<span class="gi">+ print("Bună ziua!")</span>' in diff
    assert first.tests and first.tests[0]["status"] == "failed"
    assert third.explanation is None and first.explanation
    assert [h.level for h in detail.hints] == [1]
    assert detail.hints[0].text == learning.hints_of(hello, "en")[0]


def test_the_difference_has_no_patch_headers_and_says_what_it_leaves_out(ctx):
    before = "".join(f"x{i} = {i}\n" for i in range(1, 16))
    after = before.replace("x1 = 1", "x1 = 10").replace("x15 = 15", "x15 = 150")
    html = str(rules.difference(before, after, "ro"))
    assert "@@" not in html and "---" not in html and "+++" not in html
    # Two changes far apart: the 9 unchanged lines between them are said, in Romanian
    # with its plural ("9 rânduri", not "9 rând"), as one muted line.
    assert html.count('<span class="gu">') == 1
    assert '<span class="gu">⋯ 9 rânduri neschimbate ⋯</span>' in html
    assert '<span class="gd">− x1 = 1</span>' in html and '<span class="gi">+ x1 = 10</span>' in html
    assert '<span class="gi">+ x15 = 150</span>' in html
    assert "  x3 = 3" in html and "x4 = 4" not in html
    middle = before.replace("x8 = 8", "x8 = 80")  # 5 left out above, 5 below
    html = str(rules.difference(before, middle, "hu"))
    assert html.count("⋯ 5 változatlan sor ⋯") == 2 and "@@" not in html
    assert "1 unchanged line ⋯" in str(rules.difference("a\nb\nc\nd\n", "a\nb\nc\nD\n", "en"))
    assert rules.difference(before, before, "ro") is None


def test_code_is_escaped_and_the_error_line_marked(ctx):
    html = str(rules.highlighted('x = "<script>alert(1)</script>"\nprint(y)\n', error_line=2))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<span class="hll">' in html
    marked = html.split('<span class="hll">', 1)[1]
    assert marked.split("</span>", 1)[0].count("print") or "print" in marked.split("\n", 1)[0]


def test_a_submission_by_id_must_belong_to_the_child(world, ctx):
    mine = _submit(ctx, world.children[0], HELLO_WRONG, "owner-0001").submission
    assert rules.submission_of_child(_kid(world.children[0]), mine.id).id == mine.id
    assert rules.submission_of_child(_kid(world.children[1]), mine.id) is None
    assert rules.submission_of_child(_kid(world.other_children[0]), mine.id) is None
    assert rules.submission_of_child(_kid(world.children[0]), "x") is None


# ---- plain words in the librarian's language -------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "hu", "ro"])
def test_the_childs_error_is_explained_again_in_the_librarians_language(world, ctx, locale):
    outcome = _submit(ctx, world.children[0], HELLO_MISSPELT, "plain-0001", locale="ro")
    s = outcome.submission
    assert s.error_kind == "misspelt_builtin"
    words = rules.plain_words(s.error_kind, s.report, locale)
    assert "pritn" in words and "print" in words
    from codekids.bank.explanations import REGISTRY
    from codekids.bank.texts import translate

    expected = translate(locale, REGISTRY["misspelt_builtin"].messages["default"],
                         name="pritn", suggestion="print")
    assert words == expected
    if locale != "en":
        assert words != REGISTRY["misspelt_builtin"].messages["default"] % {
            "name": "pritn", "suggestion": "print"}


def test_a_wrong_result_without_error_has_its_own_plain_words(ctx):
    assert "not what the exercise asks for" in rules.plain_words(None, None, "en")
    assert rules.plain_words(None, None, "ro") != rules.plain_words(None, None, "en")


# ---- who needs help now --------------------------------------------------------------------


def test_who_needs_help_lists_the_stuck_children_of_this_club_with_their_last_error(world, ctx):
    club = db.session.get(Club, world.club)
    stuck, trying, solved = world.children
    for i in range(3):
        _submit(ctx, stuck, HELLO_MISSPELT, f"help-stuck-{i:03}", locale="ro")
    _submit(ctx, trying, HELLO_WRONG, "help-trying-01")
    for i in range(3):
        _submit(ctx, solved, HELLO_WRONG, f"help-solved-{i:03}")
    _submit(ctx, solved, HELLO_RIGHT, "help-solved-ok")
    for i in range(3):  # stuck, but in another club
        _submit(ctx, world.other_children[0], HELLO_WRONG, f"help-other-{i:03}")

    found = rules.who_needs_help(club, _bank(ctx), "en", T)
    assert [h.child.id for h in found] == [stuck]
    assert found[0].exercise.id == "hello"
    assert found[0].last_error.startswith("You wrote pritn, but Python knows print.")
    assert found[0].error_line == 1


def test_who_needs_help_forgets_children_who_left_and_counts_time(world, ctx):
    club = db.session.get(Club, world.club)
    now = utcnow()
    gone, slow = world.children[0], world.children[1]
    # Stuck two hours ago: gone home, not "now".
    db.session.add(Progress(child_id=gone, exercise_id="hello", attempts=4, failed_streak=4,
                            solved=False, stars=0, hints_used=0,
                            first_attempt_at=now - timedelta(hours=2),
                            last_attempt_at=now - timedelta(hours=2)))
    # One failed try, but on it for 25 minutes: stuck by time.
    db.session.add(Progress(child_id=slow, exercise_id="two-lines", attempts=1, failed_streak=1,
                            solved=False, stars=0, hints_used=0,
                            first_attempt_at=now - timedelta(minutes=25),
                            last_attempt_at=now - timedelta(minutes=2)))
    db.session.commit()
    found = rules.who_needs_help(club, _bank(ctx), "en", T, now=now)
    assert [(h.child.id, h.exercise.id) for h in found] == [(slow, "two-lines")]
    # No submission stored: still a plain sentence, never an empty line.
    assert found[0].last_error
    assert rules.who_needs_help(club, _bank(ctx), "en", rules.Thresholds(3, 30), now=now) == []


# ---- the commonest errors ------------------------------------------------------------------


def test_common_errors_group_failed_submissions_by_kind_with_children_counted(world, ctx):
    club = db.session.get(Club, world.club)
    a, b, c = world.children
    _submit(ctx, a, HELLO_MISSPELT, "common-a-001")
    _submit(ctx, a, HELLO_MISSPELT, "common-a-002")
    _submit(ctx, b, HELLO_MISSPELT, "common-b-001", locale="hu")
    _submit(ctx, c, HELLO_WRONG, "common-c-001")
    _submit(ctx, c, HELLO_RIGHT, "common-c-002")  # a pass is no error
    _submit(ctx, world.other_children[0], HELLO_WRONG, "common-o-001")  # another club
    _submit(ctx, world.other_children[0], HELLO_WRONG, "common-o-002")
    _submit(ctx, world.other_children[0], HELLO_WRONG, "common-o-003")

    found = rules.common_errors(club, _bank(ctx).get("hello"), "en")
    assert [(e.kind, e.submissions, e.children) for e in found] == [
        ("misspelt_builtin", 3, 2), (rules.WRONG_RESULT, 1, 1)]
    assert found[0].explanation.startswith("You wrote pritn, but Python knows print.")
    assert "not what the exercise asks for" in found[1].explanation
    assert rules.common_errors(club, _bank(ctx).get("two-lines"), "en") == []


def test_common_errors_ignore_runs(world, ctx):
    club = db.session.get(Club, world.club)
    hello = _bank(ctx).get("hello")
    learning.run_exercise(_kid(world.children[0]), hello, HELLO_MISSPELT, "", "en")
    assert db.session.query(Submission).count() == 1
    assert rules.common_errors(club, hello, "en") == []
