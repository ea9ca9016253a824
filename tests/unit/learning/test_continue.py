"""Home's "Continue": the next unsolved exercise, the librarian's sets first, then the
bank's order; and the set page's own "Continue"."""

from __future__ import annotations

from codekids import db
from codekids.learning import service
from codekids.learning.models import Assignment, Progress
from tests.unit.learning.conftest import HELLO, HELLO_RIGHT, bank, child


def _solve(child_id: int, *exercise_ids: str) -> None:
    for exercise_id in exercise_ids:
        db.session.add(Progress(child_id=child_id, exercise_id=exercise_id, attempts=1,
                                failed_streak=0, solved=True, stars=3, hints_used=0))
    db.session.commit()


def _assign(world, set_id: str) -> None:
    db.session.add(Assignment(club_id=world.club, set_id=set_id))
    db.session.commit()


def _next(app, world):
    return service.next_for_child(child(world.children[0]), bank(app), "en")


def test_a_new_child_starts_at_the_banks_first_exercise(world, ctx):
    step = _next(ctx, world)
    assert step.exercise.id == HELLO
    assert (step.position, step.total, step.set_title) == (1, 7, "First steps")
    assert step.fresh is True and step.assigned is False


def test_the_first_unsolved_exercise_of_the_bank_comes_next(world, ctx):
    _solve(world.children[0], HELLO)
    step = _next(ctx, world)
    assert step.exercise.id == "two-lines" and step.position == 2
    assert step.fresh is False


def test_an_exercise_skipped_earlier_comes_before_one_further_on(world, ctx):
    first_steps = [e.id for e in bank(ctx).get_set("first-steps").exercises]
    _solve(world.children[0], *[e for e in first_steps if e != "fix-the-quotes"])
    assert _next(ctx, world).exercise.id == "fix-the-quotes"


def test_the_librarians_set_comes_first_and_moves_on_when_solved(world, ctx):
    _assign(world, "loops")
    step = _next(ctx, world)
    assert (step.exercise.id, step.assigned) == ("rooster-loop", True)
    _solve(world.children[0], "rooster-loop")
    assert _next(ctx, world).exercise.id == "count-sheep"
    loops = [e.id for e in bank(ctx).get_set("loops").exercises]
    _solve(world.children[0], *loops[1:])
    after = _next(ctx, world)
    assert (after.exercise.id, after.assigned) == (HELLO, False)


def test_a_set_given_to_another_child_does_not_lead_this_one(world, ctx):
    db.session.add(Assignment(club_id=world.club, set_id="loops", child_id=world.children[1]))
    db.session.commit()
    assert _next(ctx, world).exercise.id == HELLO


def test_nothing_is_next_when_everything_is_solved(world, ctx):
    _solve(world.children[0], *bank(ctx).exercises)
    assert _next(ctx, world) is None


def test_a_real_solve_moves_continue_on(world, ctx):
    kid = child(world.children[0])
    service.record_submission(kid, service.get_exercise(bank(ctx), HELLO), HELLO_RIGHT,
                              "continue-key-01", "en", bank=bank(ctx))
    assert _next(ctx, world).exercise.id == "two-lines"


# ---- the pages ---------------------------------------------------------------------------


def _home(client) -> str:
    return client.get("/acasa").get_data(as_text=True)


def test_home_opens_with_continue_before_every_list(app, world, child_client):
    html = _home(child_client)
    block = html[html.index('id="continue"'):]
    assert block.index('href="/exercitii/hello"') < block.index("</div>")
    assert "Start here" in block and "Good day!" in block
    assert "First steps: exercise 1 of 7" in block
    assert html.index('id="continue"') < html.index("All exercises")


def test_home_continue_names_the_next_exercise_after_a_solve(app, world, child_client):
    with app.app_context():
        _solve(world.children[0], HELLO)
    block = _home(child_client).split('id="continue"', 1)[1].split("</div>", 1)[0]
    assert 'href="/exercitii/two-lines"' in block and "Continue" in block
    assert "Start here" not in block


def test_home_continue_is_in_romanian_for_a_romanian_child(app, world, login_as):
    with app.app_context():
        _solve(world.children[0], HELLO)
    client = login_as(world.children[0], locale="ro")
    block = _home(client).split('id="continue"', 1)[1].split("</div>", 1)[0]
    assert "Continuă" in block and "Primii pași: exercițiul 2 din 7" in block


def test_home_says_kindly_when_everything_is_solved(app, world, child_client):
    with app.app_context():
        _solve(world.children[0], *bank(app).exercises)
    html = _home(child_client)
    block = html.split('id="continue"', 1)[1].split("</div>", 1)[0]
    assert "You solved every exercise" in block and 'href="/joaca"' in block
    assert "/exercitii/" not in block
    assert "All exercises" in html and 'href="/exercitii/hello"' in html


def test_the_set_page_continues_at_its_first_unsolved_exercise(app, world, child_client):
    with app.app_context():
        _solve(world.children[0], HELLO, "two-lines")
    html = child_client.get("/seturi/first-steps").get_data(as_text=True)
    button = html.split('class="continue"', 1)[1].split("</p>", 1)[0]
    assert 'href="/exercitii/fix-the-quotes"' in button


def test_a_finished_set_page_says_so(app, world, child_client):
    with app.app_context():
        _solve(world.children[0], *[e.id for e in bank(app).get_set("first-steps").exercises])
    html = child_client.get("/seturi/first-steps").get_data(as_text=True)
    assert "You solved every exercise of this set" in html
    assert 'class="continue"' not in html
