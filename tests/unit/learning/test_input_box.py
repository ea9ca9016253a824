"""The input box only where a program reads input, labelled for a child, and filled in
for a starter that cannot run without it."""

from __future__ import annotations

import pytest

from codekids.bank.models import Exercise, TestCase, calls_input
from tests.unit.learning.conftest import bank


@pytest.mark.parametrize(("source", "reads"), [
    ("n = input()\n", True),
    ("x = int(input('Câte? '))\n", True),
    ("print([input() for _ in range(2)])\n", True),
    ('print("input()")\n', False),  # the word in a text
    ("# input()\nprint(1)\n", False),  # in a comment
    ("citire = input\n", False),  # named, not called
    ("obj.input()\n", False),  # someone else's method
    ("n = input(\n", False),  # does not parse: nothing to say
    ("", False),
])
def test_calls_input_reads_the_syntax_tree(source, reads):
    assert calls_input(source) is reads


def _exercise(**kwargs) -> Exercise:
    base = {"id": "x", "set_id": "s", "order": 1, "title": {}, "statement": {}, "hints": {},
            "solution": "print(1)\n", "tests": [TestCase(1, "io")]}
    return Exercise(**{**base, **kwargs})


def test_reads_input_comes_from_stdin_or_an_input_call():
    assert _exercise().reads_input is False
    assert _exercise(tests=[TestCase(1, "io", stdin="3\n")]).reads_input is True
    assert _exercise(solution="print(input())\n").reads_input is True
    assert _exercise(starter="n = input()\n").reads_input is True


def test_a_starter_that_reads_gets_the_first_visible_tests_input():
    tests = [TestCase(1, "io", hidden=True, stdin="secret\n"), TestCase(2, "io", stdin="7\n")]
    assert _exercise(starter="n = input()\n", tests=tests).starter_stdin == "7\n"
    assert _exercise(starter="print(1)\n", tests=tests).starter_stdin == ""


def test_in_the_real_bank_print_only_exercises_read_nothing(app):
    exercises = bank(app).exercises
    assert not exercises["hello"].reads_input and not exercises["func-double"].reads_input
    assert exercises["hello-input"].reads_input
    assert exercises["turtle-square"].starter_stdin == "100\n"


def _page(client, exercise_id: str) -> str:
    return client.get(f"/exercitii/{exercise_id}").get_data(as_text=True)


def test_the_first_exercise_has_no_input_box(world, login_as):
    html = _page(login_as(world.children[0], locale="ro"), "hello")
    assert 'id="stdin"' not in html and 'name="stdin"' not in html
    assert "Ce scrii tu când programul te întreabă" not in html
    assert 'id="editor-help" class="editor-help" hidden' in html


def test_an_exercise_that_reads_has_the_box_labelled_for_a_child(world, login_as):
    html = _page(login_as(world.children[0], locale="ro"), "hello-input")
    assert '<textarea id="stdin" name="stdin"' in html
    assert "Ce scrii tu când programul te întreabă ceva (pentru input())" in html
    box = html.split('<textarea id="stdin"', 1)[1].split("</textarea>", 1)[0]
    assert box.endswith(">")  # empty: its starter reads nothing yet


def test_a_starter_that_reads_comes_with_its_input(child_client):
    html = _page(child_client, "turtle-square")
    box = html.split('<textarea id="stdin"', 1)[1].split("</textarea>", 1)[0]
    assert box.endswith(">100\n")


def test_the_prefilled_starter_runs_on_run(app, child_client):
    exercise = bank(app).get("turtle-square")
    resp = child_client.post("/exercitii/turtle-square", data={
        "action": "run", "source": exercise.starter, "stdin": exercise.starter_stdin})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Your program ran to the end." in html
    assert html[html.index('id="turtle"'):].count("<line ") == 1
